//! What a requester sees through their private tracking link, and the requests filed with theirs.

use chrono::{DateTime, NaiveDate, Utc};

use super::cases::{Case, clock_views, today_in};
use super::{AppError, AppState};
use crate::db::notices::{self};
use crate::db::requests::{self};
use crate::db::{self};
use crate::domain::request::{Language, RightCode};
use crate::domain::workflow::{Fact, Label};
use crate::security::tokens;

/// What the private tracking link shows: no personal data beyond the request's own facts.
#[derive(Debug, Clone)]
pub struct TrackingView {
    pub receipt_number: String,
    pub request_type: RightCode,
    /// The right's name under the request's law.
    pub right: crate::domain::workflow::Label,
    /// The language the requester wrote in; their pages default to it.
    pub language: Language,
    pub state: String,
    pub state_label: Label,
    pub terminal: bool,
    pub workflow_name: Label,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The requester's place's zone: the page shows its times there (`seeds/places`).
    pub timezone: chrono_tz::Tz,
    /// The nearest deadline of a running clock, in the procedure's calendar.
    pub due_on: Option<NaiveDate>,
    /// The request waits on the requester (documents, information, payment).
    pub waiting_on_requester: bool,
    /// The requester still has to open the confirmation link sent to their email address.
    pub awaiting_email_confirmation: bool,
    pub identity_verified: bool,
    /// An agent filed it and the person has not confirmed yet.
    pub awaiting_person: bool,
    /// Every notice sent or queued: kind and when.
    pub notices: Vec<(String, DateTime<Utc>)>,
    /// A released answer still downloadable, and until when. The link itself goes only to the
    /// (confirmed) email address: whoever filed is not necessarily the person the data is about.
    pub answer_available_until: Option<DateTime<Utc>>,
    /// The requester may send data points or an identity document (not yet verified, still open).
    pub identity_evidence_wanted: bool,
    /// The procedure asks a signed declaration under penalty of perjury for this request type.
    pub declaration_offered: bool,
    /// An agent filed it: the person's signed authorisation may be uploaded.
    pub authorisation_wanted: bool,
    /// What the requester has sent so far: kind and when.
    pub evidence_received: Vec<(String, DateTime<Utc>)>,
    /// The procedure's promise not to discriminate for exercising a right (CCPA).
    pub non_discrimination: Option<Label>,
}

/// Whether a tracking token leads to a request: checked before an upload to it is read.
pub async fn leads_somewhere(state: &AppState, token: &str) -> Result<bool, AppError> {
    if !tokens::looks_like_token(token) {
        return Ok(false);
    }
    let digest = tokens::digest(token);
    state
        .db
        .run(move |conn| Ok(requests::find_by_token_digest(conn, &digest)?.is_some()))
        .await
}

pub async fn track(state: &AppState, token: String) -> Result<TrackingView, AppError> {
    if !tokens::looks_like_token(&token) {
        return Err(AppError::NotFound);
    }
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let row = requests::find_by_token_digest(conn, &tokens::digest(&token))?
                .ok_or(AppError::NotFound)?;
            let case = Case::from_row(conn, &catalog, row)?;
            let (label, terminal) = case.state_label();
            let today = today_in(&case.def, now);
            let due_on = clock_views(&case.def, &case.clocks, today, catalog.calendars())
                .into_iter()
                .filter(|c| c.stopped_on.is_none())
                .filter_map(|c| c.due_on)
                .min();
            let download = crate::db::replies::downloads_for_request(conn, &case.row.id)?
                .into_iter()
                .rev()
                .find(|d| {
                    d.revoked_at.is_none()
                        && d.downloads < d.max_downloads
                        && crate::domain::reply::download_open(db::from_db_time(d.expires_at), now)
                })
                .map(|d| db::from_db_time(d.expires_at));
            let verified = case.facts.contains(&Fact::IdentityVerified);
            let online = case.row.channel != "postal";
            Ok(TrackingView {
                identity_evidence_wanted: online && !terminal && !verified,
                declaration_offered: case.def.verification.as_ref().is_some_and(|v| {
                    v.declaration_for
                        .iter()
                        .any(|t| t == case.request_type.as_str())
                }),
                authorisation_wanted: online
                    && !terminal
                    && case.facts.contains(&Fact::FiledByAgent),
                evidence_received: crate::db::evidence::for_request(conn, &case.row.id)?
                    .into_iter()
                    .map(|e| (e.kind, db::from_db_time(e.created_at)))
                    .collect(),
                identity_verified: verified,
                non_discrimination: case.def.non_discrimination.clone(),
                awaiting_person: !terminal
                    && case.facts.contains(&Fact::FiledByAgent)
                    && !case.facts.contains(&Fact::PersonConfirmed),
                awaiting_email_confirmation: !terminal
                    && case.def.confirm_email
                    && case.row.subject_email.is_some()
                    && !case.facts.contains(&Fact::EmailConfirmed),
                due_on: if terminal { None } else { due_on },
                waiting_on_requester: case
                    .def
                    .state(&case.row.state)
                    .is_some_and(|s| s.waits_on_requester),
                notices: notices::to_requester(conn, &case.row.id)?
                    .into_iter()
                    .map(|n| (n.kind, db::from_db_time(n.created_at)))
                    .collect(),
                answer_available_until: download,
                receipt_number: case.row.receipt_number.clone(),
                right: case.right_name(),
                timezone: case.place_timezone(catalog.laws()),
                request_type: case.request_type,
                language: case.language,
                state: case.row.state.clone(),
                state_label: label,
                terminal,
                workflow_name: case.def.name.clone(),
                received_at: db::from_db_time(case.row.received_at),
                updated_at: db::from_db_time(case.row.updated_at),
            })
        })
        .await
}

/// The requests filed in the same submission as the one behind `token`, among `others` (tracking
/// tokens carried once from the submission to its receipt): receipt number, right, token. Tokens of
/// other filings are ignored.
pub async fn filed_with(
    state: &AppState,
    token: String,
    others: Vec<String>,
) -> Result<Vec<(String, RightCode, String)>, AppError> {
    if !tokens::looks_like_token(&token) {
        return Err(AppError::NotFound);
    }
    state
        .db
        .run(move |conn| {
            let first = requests::find_by_token_digest(conn, &tokens::digest(&token))?
                .ok_or(AppError::NotFound)?;
            let Some(filing) = first.filing_id else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for t in others
                .into_iter()
                .filter(|t| tokens::looks_like_token(t))
                .take(16)
            {
                if let Some(r) = requests::find_by_token_digest(conn, &tokens::digest(&t))?
                    .filter(|r| r.filing_id.as_deref() == Some(filing.as_str()))
                {
                    let kind = r
                        .request_type
                        .parse()
                        .map_err(|_| AppError::Definition("stored request type".into()))?;
                    out.push((r.receipt_number, kind, t));
                }
            }
            Ok(out)
        })
        .await
}
