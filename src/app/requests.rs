//! A request as staff see it (its page and the staff API): particulars, timeline, assignment, notes,
//! the workflow's picture, and the audit log's newest events.

use crate::domain::ids::{RequestId, StaffId};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::cases::{Case, ClockView, clock_views, today_in};
use super::documents::{IdentityDocument, StoredFile};
use super::evidence::SentEvidence;
use super::notices::NoticeLine;
use super::staff::StaffMember;
use super::workflows::WorkflowCatalog;
use super::{AppError, AppState};
use crate::db::audit::AuditEventRow;
use crate::db::requests::{self, OnBehalfRow, RequestRow};
use crate::db::{self, audit};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::request::{Language, RightCode};
use crate::domain::workflow::{Fact, Label, TransitionDef, WorkflowDefinition};

/// Everything the officer's request page and the staff API show.
#[derive(Debug, Clone)]
pub struct RequestDetail {
    pub request: Particulars,
    pub request_type: RightCode,
    /// The right as the workflow's regime defines it (`None` if no file defines it any more).
    pub right: Option<crate::domain::law::RightDef>,
    /// The place's name in each language, or its code where no file defines it any more.
    pub place_name: crate::domain::workflow::Label,
    pub workflow: Arc<WorkflowDefinition>,
    pub state_label: Label,
    pub terminal: bool,
    pub allowed: Vec<TransitionDef>,
    /// The grounds the law gives for refusing this right: a refusal names one (none listed: free text).
    pub grounds: Vec<crate::domain::law::RefusalGround>,
    pub clocks: Vec<ClockView>,
    pub facts: Vec<Fact>,
    pub audit: Vec<AuditLine>,
    /// Each with how its delivery stands (attempts, last error, when sent).
    pub notices: Vec<NoticeLine>,
    pub postal: Option<PostalDetails>,
    /// For requests by post: the identity documents checklist as things stand.
    pub checklist: Option<crate::domain::documents::Checklist>,
    pub documents: Vec<IdentityDocument>,
    pub files: Vec<StoredFile>,
    /// What the requester sent to prove identity or an agent's authority (contents sealed).
    pub evidence: Vec<SentEvidence>,
    pub invoices: Vec<super::fees::InvoiceView>,
    pub reply: super::reply::ReplyView,
    pub tasks: Vec<super::systems::TaskView>,
    /// Filed by an agent or guardian for this person.
    pub on_behalf: Option<OnBehalf>,
    /// Officers' internal notes, oldest first.
    pub notes: Vec<Note>,
    /// Who works the request (email), and who it could be assigned to.
    pub assignee: Option<String>,
    pub workers: Vec<(StaffId, String)>,
    /// Four eyes: who approved which event at this version, (event, name).
    pub approvals: Vec<(String, String)>,
    /// A request for the records of provision (Art. 33(5)): those confirmed as the person's, then
    /// those that may be; `None` for any other right.
    pub provision: Option<Vec<super::provision::Candidate>>,
    /// The words for the codes and ids its history holds (staff names, states, events).
    pub vocabulary: super::vocabulary::Vocabulary,
}

impl RequestDetail {
    pub fn right_label(&self, lang: Language) -> String {
        self.right
            .as_ref()
            .map(|r| r.label.get(lang).to_owned())
            .unwrap_or_else(|| self.request_type.to_string())
    }

    /// The answer records what it changed (corrections, deletions, stops of use).
    pub fn change(&self) -> Option<crate::domain::reply::ChangeAction> {
        self.right.as_ref().and_then(|r| r.change)
    }
}

/// A place's name in both languages, or its code where no file defines it any more.
pub fn place_label(catalog: &WorkflowCatalog, code: &str) -> crate::domain::workflow::Label {
    catalog
        .laws()
        .place(code)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| crate::domain::workflow::Label::plain(code))
}

/// The request's own particulars, as its page and the staff API show them.
#[derive(Clone)]
pub struct Particulars {
    pub id: RequestId,
    pub receipt_number: String,
    pub state: String,
    /// Moves with every change; a form or an API call names the version it saw.
    pub version: i64,
    pub request_type: String,
    pub jurisdiction: String,
    pub channel: String,
    pub language: String,
    pub subject_name: String,
    pub subject_email: Option<String>,
    pub message: String,
    pub received_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// From when the answer should cover (`YYYY-MM-DD`), where the requester said (CCPA "know").
    pub period_from: Option<String>,
    /// Held since, while a complaint, appeal or lawsuit is pending (erasures skip it), and why.
    pub legal_hold_since: Option<NaiveDateTime>,
    pub legal_hold_reason: Option<String>,
}

/// The requester's name, address and words never reach a log through `Debug`.
impl std::fmt::Debug for Particulars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Particulars")
            .field("id", &self.id)
            .field("receipt_number", &self.receipt_number)
            .field("state", &self.state)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl From<RequestRow> for Particulars {
    fn from(r: RequestRow) -> Self {
        Particulars {
            id: r.id,
            receipt_number: r.receipt_number,
            state: r.state,
            version: r.version,
            request_type: r.request_type,
            jurisdiction: r.jurisdiction,
            channel: r.channel,
            period_from: r.period_from,
            language: r.language,
            subject_name: r.subject_name,
            subject_email: r.subject_email,
            message: r.message,
            received_at: r.received_at,
            updated_at: r.updated_at,
            legal_hold_since: r.legal_hold_since,
            legal_hold_reason: r.legal_hold_reason,
        }
    }
}

/// An officer's internal note, with its author's email.
#[derive(Clone)]
pub struct Note {
    pub id: String,
    /// The author's address (what the API gives) and name (what pages show).
    pub author: String,
    pub author_name: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// What officers write about a request stays out of logs.
impl std::fmt::Debug for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Note")
            .field("id", &self.id)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// What was read off the envelope of a request by post, as its page and the API show it.
pub use super::postal_details::PostalDetails;

/// Whom an agent or guardian filed the request for, and whether that person confirmed it (the API's
/// JSON is as it always was).
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct OnBehalf {
    #[schema(value_type = String)]
    pub request_id: RequestId,
    /// `agent` or `guardian`.
    pub kind: String,
    pub person_name: String,
    pub person_email: Option<String>,
    /// When the person confirmed the agent's request through their own link.
    pub person_confirmed_at: Option<DateTime<Utc>>,
    /// A guardian's basis: `minor` or `guardianship`.
    pub guardian_basis: Option<String>,
    /// A minor's date of birth, and the law's age it was checked against on the day of filing.
    #[schema(format = Date)]
    pub person_born_on: Option<String>,
    pub minor_under: Option<i32>,
}

/// Names and addresses never reach a log through `Debug`.
impl std::fmt::Debug for OnBehalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnBehalf")
            .field("request_id", &self.request_id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl From<OnBehalfRow> for OnBehalf {
    fn from(b: OnBehalfRow) -> Self {
        OnBehalf {
            request_id: b.request_id,
            kind: b.kind,
            person_name: b.person_name,
            person_email: b.person_email,
            person_confirmed_at: b.person_confirmed_at.map(db::from_db_time),
            guardian_basis: b.guardian_basis,
            person_born_on: b.person_born_on,
            minor_under: b.minor_under,
        }
    }
}

pub async fn detail(
    state: &AppState,
    staff: &StaffMember,
    id: RequestId,
) -> Result<RequestDetail, AppError> {
    let catalog = state.workflows.clone();
    let role = staff.role;
    let now = state.clock.now();
    let form_date_max_days = state.config.intake.form_date_max_days;
    state
        .db
        .run(move |conn| {
            let case = Case::load(conn, &catalog, &id)?;
            let today = today_in(&case.def, now);
            let cals = catalog.calendars();
            let (label, terminal) = case.state_label();
            let allowed = case
                .def
                .allowed_events(&case.subject(today, cals), role)
                .into_iter()
                .cloned()
                .collect();
            let grounds = case
                .def
                .law
                .grounds_for(case.request_type.as_str())
                .into_iter()
                .cloned()
                .collect();
            Ok(RequestDetail {
                grounds,
                clocks: clock_views(&case.def, &case.clocks, today, cals),
                audit: audit::list_for_request(conn, &case.row.id)?
                    .into_iter()
                    .map(AuditLine::from)
                    .collect(),
                notices: super::notices::notice_lines(conn, &case.row.id)?,
                postal: crate::db::postal::find(conn, &case.row.id)?.map(|row| {
                    let flag = match (row.request_date.as_deref(), row.received_on.parse()) {
                        (Some(d), Ok(received)) => d.parse().ok().and_then(|dated| {
                            crate::domain::postal::form_dated_long_before(
                                dated,
                                received,
                                form_date_max_days,
                            )
                        }),
                        _ => None,
                    };
                    PostalDetails {
                        form_dated_days_before: flag,
                        ..PostalDetails::from(row)
                    }
                }),
                checklist: super::checklist::checklist_of(conn, &case)?,
                documents: crate::db::documents::documents_for_request(conn, &case.row.id)?
                    .into_iter()
                    .map(IdentityDocument::from)
                    .collect(),
                files: crate::db::documents::files_for_request(conn, &case.row.id)?
                    .into_iter()
                    .map(StoredFile::from)
                    .collect(),
                evidence: crate::db::evidence::for_request(conn, &case.row.id)?
                    .into_iter()
                    .map(SentEvidence::from)
                    .collect(),
                invoices: super::fees::invoice_views(conn, &case.row.id)?,
                reply: super::reply::reply_view(conn, &case.row.id)?,
                tasks: super::systems::task_views(conn, &case)?,
                on_behalf: requests::find_on_behalf(conn, &case.row.id)?.map(OnBehalf::from),
                assignee: match requests::assignee(conn, &case.row.id)? {
                    Some(id) => crate::db::staff::find_by_id(conn, &id)?.map(|s| s.email),
                    None => None,
                },
                workers: crate::db::staff::workers(conn)?,
                approvals: super::approvals::current(conn, &case)?,
                provision: if super::provision::answers_from_register(&case) {
                    Some(super::provision::candidates(
                        conn,
                        catalog.laws(),
                        &case,
                        case.language,
                    )?)
                } else {
                    None
                },
                notes: crate::db::notes::for_request(conn, &case.row.id)?
                    .into_iter()
                    .map(|(n, author, author_name)| Note {
                        id: n.id,
                        author,
                        author_name,
                        body: n.body,
                        created_at: n.created_at,
                    })
                    .collect(),
                vocabulary: super::vocabulary::Vocabulary::load(conn, &catalog)?,
                facts: case.facts.iter().copied().collect(),
                place_name: place_label(&catalog, case.jurisdiction.as_str()),
                right: case.right.clone(),
                request_type: case.request_type,
                workflow: case.def.clone(),
                state_label: label,
                terminal,
                allowed,
                request: Particulars::from(case.row),
            })
        })
        .await
}

/// One line of the audit page: what happened, when, by whom, to which request.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub occurred_at: DateTime<Utc>,
    /// Its place in the log; none until the sequencer integrates it.
    pub seq: Option<i64>,
    pub action: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub request_id: Option<RequestId>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub details: String,
}

impl From<AuditEventRow> for AuditLine {
    fn from(e: AuditEventRow) -> Self {
        AuditLine {
            occurred_at: db::from_db_time(e.occurred_at),
            seq: e.seq,
            action: e.action,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            request_id: e.request_id.map(RequestId::new),
            from_state: e.from_state,
            to_state: e.to_state,
            details: e.details,
        }
    }
}

/// The picture of a request's workflow with its current state marked.
pub async fn diagram(
    state: &AppState,
    _staff: &StaffMember,
    id: RequestId,
    lang: Language,
) -> Result<String, AppError> {
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let case = Case::load(conn, &catalog, &id)?;
            super::workflows::diagram_svg(&case.def, Some(&case.row.state), lang)
        })
        .await
}

/// Assigns a request to an officer or admin (by email), or to nobody (`None`); the new assignee is told
/// by email. Audited with who assigned whom.
pub async fn assign(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    assignee_email: Option<String>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            requests::lock(conn, &request_id)?;
            requests::find(conn, &request_id)?.ok_or(AppError::NotFound)?;
            let assignee = match assignee_email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
            {
                None => None,
                Some(email) => {
                    let found = crate::db::staff::workers(conn)?
                        .into_iter()
                        .find(|(_, e)| e.eq_ignore_ascii_case(email));
                    let Some((id, _)) = found else {
                        return Err(AppError::invalid("assignee", "unknown_staff"));
                    };
                    Some(id)
                }
            };
            let before = requests::assignee(conn, &request_id)?;
            if before == assignee {
                return Ok(());
            }
            requests::set_assignee(conn, &request_id, assignee.as_ref())?;
            if let Some(id) = &assignee {
                super::notices::queue_staff_notice(
                    conn,
                    &request_id,
                    id,
                    crate::domain::notice::NoticeKind::StaffAssigned,
                    &crate::domain::notice::NoticePayload::default(),
                    now,
                )?;
            }
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::RequestAssigned, actor.clone(), now)
                    .for_request(&request_id)
                    .details(json!({"from": before, "to": assignee})),
            )?;
            Ok(())
        })
        .await
}

/// An officer adds an internal note to a request (never shown to the requester). Audited (its length,
/// not its words).
pub async fn add_note(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    body: String,
) -> Result<(), AppError> {
    let body = crate::domain::field::bounded(&body, 4000)
        .map_err(|code| AppError::invalid("note", code))?;
    super::staff::on_request(
        state,
        staff,
        request_id,
        move |conn, staff, now, request_id| {
            let id = db::new_id();
            crate::db::notes::insert(
                conn,
                &crate::db::notes::NoteRow {
                    id: id.clone(),
                    request_id: request_id.clone(),
                    staff_id: staff.id.clone(),
                    body: body.clone(),
                    created_at: db::to_db_time(now),
                },
            )?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::NoteAdded, staff.actor(), now)
                    .for_request(request_id)
                    .details(json!({"note_id": id, "chars": body.chars().count()})),
            )?;
            Ok(())
        },
    )
    .await
}
