//! The person's own account of an access answer, from the registry for the systems that hold their data
//! (not the procedure's generic notice): `index.json`, which says what each file holds, its categories,
//! purposes, sources, recipients, retention and automated decision-making (GDPR Art. 15(1)(a)–(h); CCPA
//! §1798.110 categories, sources, purposes and recipients), what was withheld and on which ground, and
//! which fields are held but never disclosed; and `README.html`, the same for reading, in the
//! requester's language.

use askama::Template;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::AppError;
use super::cases::{Case, today_in};
use crate::db::systems::DataSystemRow;
use crate::domain::notice::ToldRecipient;
use crate::i18n::Tr;

/// A system that holds the person's data, and what the law asks to be said about it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HeldBy {
    pub system: String,
    /// The file in the package with its data; none when it was withheld or holds only what it keeps.
    pub file: Option<String>,
    pub categories: Vec<String>,
    pub purposes: Vec<String>,
    pub sources: String,
    pub recipients: Vec<ToldRecipient>,
    pub retention: String,
    /// Its automated decision-making, including profiling; empty: none declared.
    pub automated_decisions: String,
    /// Fields it holds about the person but never discloses (CCPA Regs. §7024(d)).
    pub not_disclosed: Vec<String>,
    /// Why its data is not in the package (another person's rights, …).
    pub withheld_ground: Option<String>,
}

impl HeldBy {
    pub(crate) fn from_row(
        s: &DataSystemRow,
        file: Option<String>,
        not_disclosed: Vec<String>,
        withheld_ground: Option<String>,
    ) -> Self {
        let list = |raw: &str| serde_json::from_str::<Vec<String>>(raw).unwrap_or_default();
        HeldBy {
            system: s.name.clone(),
            file,
            categories: list(&s.categories),
            purposes: list(&s.purposes),
            sources: s.sources.clone(),
            recipients: super::recipients::named(s),
            retention: s.retention.clone(),
            automated_decisions: s.automated_decisions.clone(),
            not_disclosed,
            withheld_ground,
        }
    }
}

/// `index.json`: the answer to this person, system by system.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PersonIndex {
    pub receipt_number: String,
    pub request_type: String,
    /// The right, in the requester's language.
    pub right: String,
    pub language: String,
    pub answered_on: String,
    pub systems: Vec<HeldBy>,
    /// The rights the person has about this data, as the procedure states them (Art. 15(1)(e)).
    pub rights: Option<String>,
    /// Where to complain (Art. 15(1)(f)).
    pub complaint_authority: Option<String>,
    /// The records of provision to and receipt from third parties disclosed (APPI Art. 33(5)).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provision_records: Vec<ProvisionEntry>,
}

/// One record of provision as the answer discloses it, in the requester's language.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProvisionEntry {
    /// `provided` or `received`.
    pub direction: String,
    pub provided_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_provided_on: Option<String>,
    /// The recipient (provided) or the provider (received).
    pub counterparty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterparty_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterparty_representative: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquired_how: Option<String>,
    pub person: String,
    pub items: String,
    pub basis: String,
}

impl ProvisionEntry {
    pub(crate) fn from_notice(
        r: &crate::domain::notice::ProvisionNotice,
        lang: crate::domain::request::Language,
    ) -> Self {
        ProvisionEntry {
            direction: r.direction.clone(),
            provided_on: r.provided_on.to_string(),
            last_provided_on: r.last_provided_on.map(|d| d.to_string()),
            counterparty: r.counterparty.clone(),
            counterparty_address: r.counterparty_address.clone(),
            counterparty_representative: r.counterparty_representative.clone(),
            acquired_how: r.acquired_how.clone(),
            person: r.person.clone(),
            items: r.items.clone(),
            basis: r.basis.get(lang).to_owned(),
        }
    }
}

impl PersonIndex {
    pub(crate) fn new(
        case: &Case,
        held: &[HeldBy],
        provision_records: Vec<ProvisionEntry>,
        now: DateTime<Utc>,
    ) -> Self {
        let lang = case.language;
        PersonIndex {
            receipt_number: case.row.receipt_number.clone(),
            request_type: case.request_type.as_str().to_owned(),
            right: case.right_label(lang),
            language: lang.as_str().to_owned(),
            answered_on: today_in(&case.def, now).to_string(),
            systems: held.to_vec(),
            rights: case
                .def
                .disclosure
                .as_ref()
                .map(|d| d.rights.get(lang).to_owned()),
            complaint_authority: case
                .def
                .complaint_authority
                .as_ref()
                .map(|a| a.get(lang).to_owned()),
            provision_records,
        }
    }
}

#[derive(Template)]
#[template(path = "package/readme.html")]
struct Readme<'a> {
    tr: Tr,
    index: &'a PersonIndex,
}

impl Readme<'_> {
    fn role(&self, r: &ToldRecipient) -> String {
        self.tr.t(&format!("recipient-role-{}", r.role))
    }
}

/// `README.html`: the index for reading, in the requester's language.
pub(crate) fn readme(case: &Case, index: &PersonIndex) -> Result<String, AppError> {
    Readme {
        tr: Tr::new(case.language),
        index,
    }
    .render()
    .map_err(|e| AppError::Definition(format!("the answer's README: {e}")))
}
