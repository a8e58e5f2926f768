//! What a requester sees through their private tracking link, and the requests filed with theirs.

use chrono::{DateTime, NaiveDate, Utc};

use super::cases::{Case, clock_views, today_in};
use super::{AppError, AppState};
use crate::db::notices::{self};
use crate::db::requests::{self};
use crate::db::{self};
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::fees::InvoiceStatus;
use crate::domain::identity::EvidenceKind;
use crate::domain::notice::{NoticeKind, NoticePayload};
use crate::domain::request::{Language, RightCode};
use crate::domain::workflow::{Fact, Label, Party, TransitionError};
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
    pub evidence_received: Vec<(EvidenceKind, DateTime<Utc>)>,
    /// The procedure's promise not to discriminate for exercising a right (CCPA).
    pub non_discrimination: Option<Label>,
    /// What the requester may do here themselves (withdraw, appeal), as the procedure words it.
    pub actions: Vec<RequesterAction>,
    /// A refusal (whole or partial) sent to the requester: why, and where to turn.
    pub refusal: Option<RefusalView>,
    /// A fee invoice still to pay.
    pub unpaid: Option<UnpaidInvoice>,
    /// The request was withdrawn by the requester.
    pub withdrawn: bool,
    /// From when the answer should cover, where the requester said.
    pub period_from: Option<String>,
}

/// A button on the tracking page that fires a workflow event on the requester's behalf.
#[derive(Debug, Clone)]
pub struct RequesterAction {
    pub event: String,
    pub label: Label,
    /// The transition closes the request: the page asks the requester to confirm they mean it.
    pub closes: bool,
}

/// Why the request was refused, in whole or in part, as the notice said, and the authority to complain
/// to under the procedure's law.
#[derive(Debug, Clone)]
pub struct RefusalView {
    /// Only part of the request was refused; the rest was answered.
    pub partial: bool,
    /// Identity could not be verified: the requester may file again with better proof.
    pub unverified: bool,
    pub reason: Option<String>,
    /// The legal ground the refusal named, where the law lists grounds.
    pub ground: Option<crate::domain::notice::GroundNotice>,
    pub authority: Option<Label>,
}

/// An invoice not yet paid in full: its number, what is still owed (integer yen) and by when.
#[derive(Debug, Clone)]
pub struct UnpaidInvoice {
    pub number: String,
    pub outstanding_yen: i64,
    pub due_on: NaiveDate,
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
            let sent = notices::to_requester(conn, &case.row.id)?;
            // A refusal stands while the request rests where a refusal leads (an appeal granted moves it on).
            let refused_here = case.def.transitions.iter().any(|t| {
                t.to.as_deref() == Some(case.row.state.as_str())
                    && t.effects.iter().any(|e| {
                        matches!(
                            e,
                            crate::domain::workflow::Effect::SendNotice(
                                NoticeKind::Refused | NoticeKind::IdentityNotVerified
                            )
                        )
                    })
            });
            let refusal = refusal_of(&sent, case.def.complaint_authority.clone())
                .filter(|r| if r.partial { terminal } else { refused_here });
            let unpaid = if terminal {
                None
            } else {
                unpaid_invoice(conn, &case.row.id)?
            };
            let actions = requester_actions(&case);
            Ok(TrackingView {
                actions,
                refusal,
                unpaid,
                // Known by its notice, not by a state's name (states are the workflow's).
                withdrawn: terminal
                    && sent
                        .iter()
                        .any(|n| n.kind == NoticeKind::Withdrawn.as_str()),
                period_from: case.row.period_from.clone(),
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
                notices: sent
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

/// The transitions the procedure lets the requester fire from the request's state with a button.
pub(crate) fn requester_actions(case: &Case) -> Vec<RequesterAction> {
    case.def
        .transitions
        .iter()
        .filter(|t| t.requester && t.from.contains(&case.row.state))
        .filter_map(|t| {
            Some(RequesterAction {
                event: t.event.clone(),
                label: t.requester_action.clone()?,
                closes: t
                    .to
                    .as_deref()
                    .and_then(|to| case.def.state(to))
                    .is_some_and(|s| s.terminal),
            })
        })
        .collect()
}

/// The newest refusal the requester was sent, whole (`refused`, `identity_not_verified`) or partial
/// (an answer naming what it leaves out), unless an answer came after it.
fn refusal_of(sent: &[notices::NoticeRow], authority: Option<Label>) -> Option<RefusalView> {
    sent.iter().rev().find_map(|n| {
        let kind: NoticeKind = n.kind.parse().ok()?;
        let payload = NoticePayload::from_stored(&n.payload).ok();
        match kind {
            NoticeKind::Refused | NoticeKind::IdentityNotVerified => Some(Some(RefusalView {
                partial: false,
                unverified: kind == NoticeKind::IdentityNotVerified,
                ground: payload.as_ref().and_then(|p| p.ground.clone()),
                reason: payload.and_then(|p| p.reason),
                authority: authority.clone(),
            })),
            NoticeKind::AnswerReady
            | NoticeKind::AnswerDispatched
            | NoticeKind::ActionCompleted => Some(payload.and_then(|p| p.partial_refusal).map(
                |why| RefusalView {
                    partial: true,
                    unverified: false,
                    ground: None,
                    reason: Some(why),
                    authority: authority.clone(),
                },
            )),
            _ => None,
        }
    })?
}

/// The request's newest invoice, if some of it is still owed.
fn unpaid_invoice(
    conn: &mut crate::db::AnyConnection,
    id: &crate::domain::ids::RequestId,
) -> Result<Option<UnpaidInvoice>, AppError> {
    let Some(inv) = crate::db::fees::invoices_for_request(conn, id)?
        .into_iter()
        .rev()
        .find(|i| i.status == InvoiceStatus::Unpaid)
    else {
        return Ok(None);
    };
    let paid = crate::db::fees::paid_total(conn, &inv.id)?;
    Ok(Some(UnpaidInvoice {
        outstanding_yen: inv.amount_yen.saturating_sub(paid).max(0),
        due_on: super::cases::stored_date(&inv.due_on)?,
        number: inv.number,
    }))
}

/// What the requester sends with a button: a statement (an appeal's grounds, a reason for withdrawing)
/// and whether they ticked "I mean it" where the action closes the request.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawAction {
    pub statement: String,
    pub confirm: String,
}

/// The statement never reaches a log through `Debug`.
impl std::fmt::Debug for RawAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAction")
            .field("confirm", &self.confirm)
            .finish_non_exhaustive()
    }
}

/// Fires a requester action from the tracking page: the engine decides as for staff (the transition must
/// allow the requester), and the state change, notices and audit event (by the requester) commit
/// together. Bad input is answered field by field with nothing written.
pub async fn act(
    state: &AppState,
    token: String,
    event: String,
    raw: RawAction,
) -> Result<(), AppError> {
    if !tokens::looks_like_token(&token) {
        return Err(AppError::NotFound);
    }
    let mut errors = crate::domain::FieldErrors::new();
    let statement = match crate::domain::field::clean_text(&raw.statement, true) {
        Ok(s) if s.chars().count() > 2000 => {
            errors.push("statement", "too_long");
            String::new()
        }
        Ok(s) => s,
        Err(code) => {
            errors.push("statement", code);
            String::new()
        }
    };
    let catalog = state.workflows.clone();
    let config = state.config.clone();
    let keys = state.keys.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            let row = requests::find_by_token_digest(conn, &tokens::digest(&token))?
                .ok_or(AppError::NotFound)?;
            let mut case = Case::from_row(conn, &catalog, row)?;
            let action = requester_actions(&case)
                .into_iter()
                .find(|a| a.event == event)
                .ok_or_else(|| {
                    AppError::Transition(TransitionError::RequesterNotPermitted {
                        event: event.clone(),
                    })
                })?;
            if action.closes && raw.confirm != "yes" {
                errors.push("confirm", "required");
            }
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors));
            }
            // The statement is for the desk (the audit log and the staff page), never quoted back in a
            // notice: whoever holds a link must not be able to mail their own words to the address.
            let mut data = serde_json::Map::new();
            if !statement.is_empty() {
                data.insert("statement".into(), statement.into());
            }
            let cx = super::transition::TransitionContext {
                catalog: &catalog,
                config: &config,
                keys: &keys,
                actor: &Actor::Requester,
                by: Party::Requester,
                now,
            };
            super::transition::apply_event(conn, &cx, &mut case, &event, data)?;
            // The desk hears of it at once: the assigned officer, or every officer while none is.
            let to = match requests::assignee(conn, &case.row.id)? {
                Some(id) => vec![id],
                None => crate::db::staff::workers(conn)?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect(),
            };
            let payload = NoticePayload {
                event: Some(event.clone()),
                ..NoticePayload::default()
            };
            for staff_id in &to {
                super::notices::queue_staff_notice(
                    conn,
                    &case.row.id,
                    staff_id,
                    NoticeKind::StaffRequesterActed,
                    &payload,
                    now,
                )?;
            }
            Ok(())
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

/// How many of an address's newest requests get their links sent again.
const RESEND_AT_MOST: i64 = 10;

/// Asks for the tracking links of the requests filed with `raw_email` to be sent to that address again.
/// The answer is the same whether or not there are any: the address and the client are counted against
/// their hourly limits first, then the links are queued in a task of their own after the answer (so its
/// timing does not tell either). The handle lets a caller that may wait (a test, a tool) wait.
pub async fn resend_links(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    raw_email: &str,
) -> Result<tokio::task::JoinHandle<()>, AppError> {
    let email = crate::domain::request::SubjectEmail::parse(raw_email).map_err(|code| {
        let mut errors = crate::domain::FieldErrors::new();
        errors.push("email", code);
        AppError::Invalid(errors)
    })?;
    let email: &str = email.as_ref();
    super::limits::admit_resend(state, ip, email).await?;
    let wanted = email.to_lowercase();
    let state = state.clone();
    Ok(tokio::spawn(async move {
        let key = state.keys.clone();
        let now = state.clock.now();
        let queued = state
            .db
            .write(move |conn| queue_links(conn, &key.session, &wanted, now))
            .await;
        match queued {
            Ok(n) => tracing::info!(links = n, "tracking links queued on request"),
            Err(e) => tracing::warn!(error = %e, "tracking links could not be queued"),
        }
    }))
}

/// A request's tracking token, derived again with the session key it came from (any key of the ring
/// for a request filed before token keys were recorded). `None` when no key derives it: the request
/// was filed before links were derived, or its key left the ring.
pub fn derive_token(
    ring: &crate::config::KeyRing,
    request_id: &str,
    token_key_id: Option<&str>,
    digest: &str,
) -> Option<String> {
    let recorded = token_key_id.and_then(|id| ring.by_id(id));
    let keys: Vec<&[u8]> = match recorded {
        Some(k) => vec![k],
        None => ring.all().collect(),
    };
    keys.into_iter()
        .map(|k| tokens::tracking_token(k, request_id))
        .find(|t| tokens::digest(t) == digest)
}

/// Queues a `tracking_link` notice for each of the newest requests filed with the address whose link
/// kaiji can derive (requests filed before links were derived have none to send).
fn queue_links(
    conn: &mut crate::db::AnyConnection,
    key: &crate::config::KeyRing,
    email_lowercase: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut n = 0;
    for row in requests::filed_with_email(conn, email_lowercase, RESEND_AT_MOST)? {
        let derivable = derive_token(
            key,
            &row.id,
            row.token_key_id.as_deref(),
            &row.tracking_token_sha256,
        )
        .is_some();
        // Once a day per request at most: asking again cannot bury the inbox under copies.
        let sent_lately = notices::to_requester(conn, &row.id)?.iter().any(|n| {
            n.kind == NoticeKind::TrackingLink.as_str()
                && crate::db::from_db_time(n.created_at) > now - chrono::Duration::hours(24)
        });
        if !derivable || sent_lately {
            continue;
        }
        let language = row.language.parse().unwrap_or(Language::EN);
        super::notices::queue_notices(
            conn,
            &row.id,
            true,
            language,
            [NoticeKind::TrackingLink],
            &NoticePayload::default(),
            now,
        )?;
        n += 1;
    }
    Ok(n)
}
