//! What the request page and the API show of a letter's envelope and form.

use serde::Serialize;

use crate::db::postal::PostalRow;
use crate::domain::postal::TrackingNumber;

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct PostalDetails {
    pub envelope_id: String,
    #[schema(format = Date)]
    pub received_on: String,
    pub mail_class: String,
    /// As printed on Japan Post's receipt (e.g. 131-12-38385-2).
    pub tracking_number: Option<String>,
    /// The date written on the form.
    #[schema(format = Date)]
    pub request_date: Option<String>,
    /// `self`, `agent` or `legal_agent`.
    pub requester_kind: String,
    pub agent_name: Option<String>,
    pub name_kana: Option<String>,
    pub agent_name_kana: Option<String>,
    pub agent_address: Option<String>,
    pub services: Vec<String>,
    pub postal_address: String,
    /// The form is dated this many days before the letter arrived, more than the setting allows:
    /// the officer checks it was not backdated.
    pub form_dated_days_before: Option<i64>,
}

/// Addresses and names never reach a log through `Debug`.
impl std::fmt::Debug for PostalDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostalDetails")
            .field("envelope_id", &self.envelope_id)
            .field("mail_class", &self.mail_class)
            .finish_non_exhaustive()
    }
}

impl From<PostalRow> for PostalDetails {
    fn from(p: PostalRow) -> Self {
        PostalDetails {
            envelope_id: p.envelope_id,
            received_on: p.received_on,
            mail_class: p.mail_class,
            tracking_number: p
                .tracking_number
                .map(|t| TrackingNumber::from_stored(t).display()),
            request_date: p.request_date,
            requester_kind: p.requester_kind,
            agent_name: p.agent_name,
            name_kana: p.subject_name_kana,
            agent_name_kana: p.agent_name_kana,
            agent_address: p.agent_address,
            services: serde_json::from_str(&p.services).unwrap_or_default(),
            postal_address: p.postal_address,
            form_dated_days_before: None,
        }
    }
}
