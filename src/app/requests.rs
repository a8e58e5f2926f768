//! Reading requests (tracking page, queue, request page, staff API) and moving them through their workflow.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

use super::cases::{
    Case, ClockView, clock_views, facts_json, queue_notices, save_clocks, state_label, today_in,
};
use super::staff::StaffMember;
use super::workflows::WorkflowCatalog;
use super::{AppError, AppState};
use crate::db::audit::AuditEventRow;
use crate::db::notices::{self, NoticeRow};
use crate::db::requests::{self, RequestRow};
use crate::db::{self, AnyConnection, audit, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::notice::NoticeKind;
use crate::domain::request::{Language, RequestType};
use crate::domain::workflow::{
    Effect, EventInput, Fact, Label, Party, TransitionDef, WorkflowDefinition,
};
use crate::security::tokens;

/// What the private tracking link shows: no personal data beyond the request's own facts.
#[derive(Debug, Clone)]
pub struct TrackingView {
    pub receipt_number: String,
    pub request_type: RequestType,
    /// The language the requester wrote in; their pages default to it.
    pub language: Language,
    pub state: String,
    pub state_label: Label,
    pub terminal: bool,
    pub workflow_name: Label,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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

#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueItem {
    pub id: String,
    pub receipt_number: String,
    pub request_type: RequestType,
    pub jurisdiction: String,
    pub channel: String,
    pub state: String,
    pub state_label: Label,
    pub workflow_id: String,
    pub workflow_name: Label,
    pub received_at: DateTime<Utc>,
    /// The nearest deadline of a running clock.
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    /// The request waits on the requester (documents, information, payment).
    pub waiting: bool,
    pub assignee: Option<String>,
}

/// The queue's filters as typed (page query or API), before parsing.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct QueueQuery {
    pub state: Option<String>,
    pub procedure: Option<String>,
    pub right: Option<String>,
    pub jurisdiction: Option<String>,
    /// `me`, `none`, or a staff email.
    pub assignee: Option<String>,
    pub due_within: Option<String>,
    pub overdue: Option<String>,
    pub waiting: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// One page of the queue.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueView {
    pub items: Vec<QueueItem>,
    /// Matching open requests in all.
    pub total: i64,
    /// Pass as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
    /// Open requests per state, right, jurisdiction and procedure (whatever the filter).
    pub counts: BTreeMap<String, BTreeMap<String, i64>>,
}

pub const QUEUE_PAGE: i64 = 50;

fn on(flag: &Option<String>) -> bool {
    matches!(
        flag.as_deref().map(str::trim),
        Some("1" | "true" | "on" | "yes")
    )
}

/// The open requests matching the filters, nearest deadline first, one keyset page at a time.
pub async fn queue(
    state: &AppState,
    staff: &StaffMember,
    query: QueueQuery,
) -> Result<QueueView, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let me = staff.id.clone();
    state
        .db
        .run(move |conn| {
            let mut errors = crate::domain::FieldErrors::new();
            let text = |s: &Option<String>| {
                s.as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            // Deadlines count in the desk's calendar for the filter (each row is judged in its own).
            let today = now.with_timezone(&chrono_tz::Asia::Tokyo).date_naive();
            let mut filter = requests::QueueFilter {
                workflow_id: text(&query.procedure),
                ..Default::default()
            };
            if let Some(r) = text(&query.right) {
                filter.request_type = errors.check(
                    "right",
                    r.parse::<RequestType>().map(|t| t.as_str().to_owned()),
                );
            }
            if let Some(j) = text(&query.jurisdiction) {
                filter.jurisdiction = errors.check(
                    "jurisdiction",
                    j.parse::<crate::domain::request::Jurisdiction>()
                        .map(|j| j.as_str().to_owned()),
                );
            }
            filter.assignee = match text(&query.assignee).as_deref() {
                None => None,
                Some("me") => Some(Some(me.clone())),
                Some("none") => Some(None),
                Some(email) => match crate::db::staff::find_by_email(conn, email)? {
                    Some(s) => Some(Some(s.id)),
                    None => {
                        errors.push("assignee", "unknown_staff");
                        None
                    }
                },
            };
            if let Some(n) = text(&query.due_within) {
                match n.parse::<u32>() {
                    Ok(n) if n <= 3650 => {
                        filter.due_by = Some(crate::db::clocks::date_text(
                            today + chrono::Days::new(u64::from(n)),
                        ));
                    }
                    _ => errors.push("due_within", "invalid_days"),
                }
            }
            if on(&query.overdue) {
                filter.due_before = Some(crate::db::clocks::date_text(today));
            }
            // States that wait on the requester, in any published procedure (read only when asked
            // for: this runs on every page).
            let mut waiting_states = std::collections::BTreeSet::new();
            if on(&query.waiting) {
                for (id, version) in crate::db::workflows::list_versions(conn)? {
                    let wf = catalog.get(conn, &id, version)?;
                    for s in wf.states.iter().filter(|s| s.waits_on_requester) {
                        waiting_states.insert(s.id.clone());
                    }
                }
            }
            match (text(&query.state), on(&query.waiting)) {
                (Some(s), true) if !waiting_states.contains(&s) => {
                    filter.states = vec![String::new()]
                }
                (Some(s), _) => filter.states = vec![s],
                (None, true) => filter.states = waiting_states.iter().cloned().collect(),
                (None, false) => {}
            }
            let limit = match text(&query.limit).map(|l| l.parse::<i64>()) {
                None => QUEUE_PAGE,
                Some(Ok(l)) if (1..=500).contains(&l) => l,
                Some(_) => {
                    errors.push("limit", "invalid_limit");
                    QUEUE_PAGE
                }
            };
            let cursor = match text(&query.cursor) {
                None => None,
                Some(c) => match c.split_once('~') {
                    Some((due, id)) if due.len() == 10 && !id.is_empty() => {
                        Some((due.to_owned(), id.to_owned()))
                    }
                    _ => {
                        errors.push("cursor", "invalid_cursor");
                        None
                    }
                },
            };
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors));
            }
            // Counted from the kept bucket counts (cost flat in the table's size); only the due-date
            // filters count rows, through the deadline index.
            let buckets = crate::db::queue_counts::open_buckets(conn)?;
            let total = if filter.counts_by_bucket() {
                buckets
                    .iter()
                    .filter(|b| filter.matches(b))
                    .map(|b| b.n)
                    .sum()
            } else {
                requests::queue_count(conn, &filter)?
            };
            let mut rows = requests::queue_page(conn, &filter, cursor.as_ref(), limit + 1)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next_cursor = more
                .then(|| rows.last().map(|r| format!("{}~{}", r.queue_due, r.id)))
                .flatten();
            let mut emails: BTreeMap<String, String> = BTreeMap::new();
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                let wf = catalog.get(conn, &r.workflow_id, r.workflow_version)?;
                let (label, _) = state_label(&wf, &r.state);
                let due_on = (r.queue_due != crate::db::clocks::NO_DEADLINE)
                    .then(|| r.queue_due.parse::<NaiveDate>().ok())
                    .flatten();
                let assignee = match &r.assigned_to {
                    None => None,
                    Some(id) => {
                        if !emails.contains_key(id) {
                            let email = crate::db::staff::find_by_id(conn, id)?
                                .map(|s| s.email)
                                .unwrap_or_default();
                            emails.insert(id.clone(), email);
                        }
                        emails.get(id).cloned()
                    }
                };
                items.push(QueueItem {
                    request_type: r
                        .request_type
                        .parse()
                        .map_err(|_| AppError::Definition("stored request type".into()))?,
                    overdue: due_on.is_some_and(|d| today_in(&wf, now) > d),
                    waiting: wf.state(&r.state).is_some_and(|s| s.waits_on_requester),
                    due_on,
                    id: r.id,
                    receipt_number: r.receipt_number,
                    jurisdiction: r.jurisdiction,
                    channel: r.channel,
                    state: r.state,
                    state_label: label,
                    workflow_id: r.workflow_id,
                    workflow_name: wf.name.clone(),
                    received_at: db::from_db_time(r.received_at),
                    assignee,
                });
            }
            let mut counts: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
            for c in buckets {
                let n = c.n;
                for (group, key) in [
                    ("state", c.state),
                    ("right", c.request_type),
                    ("jurisdiction", c.jurisdiction),
                    ("procedure", c.workflow_id),
                ] {
                    *counts
                        .entry(group.to_owned())
                        .or_default()
                        .entry(key)
                        .or_default() += n;
                }
            }
            Ok(QueueView {
                items,
                total,
                next_cursor,
                counts,
            })
        })
        .await
}

/// Everything the officer's request page and the staff API show.
#[derive(Debug, Clone)]
pub struct RequestDetail {
    pub request: RequestRow,
    pub request_type: RequestType,
    pub workflow: Arc<WorkflowDefinition>,
    pub state_label: Label,
    pub terminal: bool,
    pub allowed: Vec<TransitionDef>,
    pub clocks: Vec<ClockView>,
    pub facts: Vec<Fact>,
    pub audit: Vec<AuditEventRow>,
    pub notices: Vec<NoticeRow>,
    /// How each notice's delivery stands (attempts, last error, when sent).
    pub deliveries: Vec<notices::Delivery>,
    pub postal: Option<crate::db::postal::PostalRow>,
    /// For requests by post: the identity documents checklist as things stand.
    pub checklist: Option<crate::domain::documents::Checklist>,
    pub documents: Vec<crate::db::documents::IdentityDocumentRow>,
    pub files: Vec<crate::db::documents::FileInfo>,
    /// What the requester sent to prove identity or an agent's authority (contents sealed).
    pub evidence: Vec<crate::db::evidence::EvidenceInfo>,
    pub invoices: Vec<super::fees::InvoiceView>,
    pub reply: super::reply::ReplyView,
    pub tasks: Vec<super::systems::TaskView>,
    /// Filed by an agent or guardian for this person.
    pub on_behalf: Option<requests::OnBehalfRow>,
    /// Officers' internal notes, with their authors' emails.
    pub notes: Vec<(crate::db::notes::NoteRow, String)>,
    /// Who works the request (email), and who it could be assigned to.
    pub assignee: Option<String>,
    pub workers: Vec<(String, String)>,
}

pub async fn detail(
    state: &AppState,
    staff: &StaffMember,
    id: String,
) -> Result<RequestDetail, AppError> {
    let catalog = state.workflows.clone();
    let role = staff.role;
    let now = state.clock.now();
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
            Ok(RequestDetail {
                clocks: clock_views(&case.def, &case.clocks, today, cals),
                audit: audit::list_for_request(conn, &case.row.id)?,
                notices: notices::for_request(conn, &case.row.id)?,
                deliveries: notices::deliveries_for_request(conn, &case.row.id)?,
                postal: crate::db::postal::find(conn, &case.row.id)?,
                checklist: super::documents::checklist_of(conn, &case)?,
                documents: crate::db::documents::documents_for_request(conn, &case.row.id)?,
                files: crate::db::documents::files_for_request(conn, &case.row.id)?,
                evidence: crate::db::evidence::for_request(conn, &case.row.id)?,
                invoices: super::fees::invoice_views(conn, &case.row.id)?,
                reply: super::reply::reply_view(conn, &case.row.id)?,
                tasks: super::systems::task_views(conn, &case.row.id)?,
                on_behalf: requests::find_on_behalf(conn, &case.row.id)?,
                assignee: match requests::assignee(conn, &case.row.id)? {
                    Some(id) => crate::db::staff::find_by_id(conn, &id)?.map(|s| s.email),
                    None => None,
                },
                workers: crate::db::staff::workers(conn)?,
                notes: crate::db::notes::for_request(conn, &case.row.id)?,
                facts: case.facts.iter().copied().collect(),
                request_type: case.request_type,
                workflow: case.def.clone(),
                state_label: label,
                terminal,
                allowed,
                request: case.row,
            })
        })
        .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionOutcome {
    pub from: String,
    pub to: String,
    pub version: i64,
    pub notices: Vec<String>,
    pub allowed: Vec<String>,
}

/// What an event may carry: a reason (refusals, extensions, requests for documents) and short notes.
fn check_event_data(data: &Map<String, Value>) -> Result<(), AppError> {
    for (k, v) in data {
        let Some(text) = v.as_str() else {
            return Err(AppError::BadEventData("every value must be text"));
        };
        if k.len() > 64 || !k.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(AppError::BadEventData("field names are lower-case words"));
        }
        if text.chars().count() > 5000 {
            return Err(AppError::BadEventData(
                "a value is longer than 5000 characters",
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(AppError::BadEventData(
                "a value contains control characters",
            ));
        }
    }
    Ok(())
}

/// Fires a workflow event on behalf of a staff member. The engine decides; the state change, facts,
/// clocks, queued notices and the audit event commit together, and only if the request is still at
/// `expected_version`: of two officers acting at once, one wins and the other gets `Conflict` with
/// nothing written.
pub async fn fire_event(
    state: &AppState,
    staff: &StaffMember,
    id: String,
    event: String,
    expected_version: i64,
    data: Map<String, Value>,
) -> Result<TransitionOutcome, AppError> {
    check_event_data(&data)?;
    let catalog = state.workflows.clone();
    let config = state.config.clone();
    let keys = state.keys.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let role = staff.role;
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let mut case = Case::load(conn, &catalog, &id)?;
                if case.row.version != expected_version {
                    return Err(AppError::Conflict);
                }
                apply_event(
                    conn,
                    &catalog,
                    &config,
                    &keys,
                    &mut case,
                    &actor,
                    role.into(),
                    &event,
                    data,
                    now,
                )
            })
        })
        .await
}

/// Decides and applies one event to a loaded request, inside the caller's transaction: state, facts,
/// clocks, notices and the audit event. The UPDATE is guarded by the version the case was loaded at.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_event(
    conn: &mut AnyConnection,
    catalog: &WorkflowCatalog,
    config: &crate::config::Config,
    keys: &crate::config::Keys,
    case: &mut Case,
    actor: &Actor,
    by: Party,
    event: &str,
    data: Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<TransitionOutcome, AppError> {
    // Claim the row first: effects below insert rows of their own (tasks, invoices), and of two
    // officers acting at once the second must get a clean conflict, not a clash of those inserts.
    if !requests::claim(conn, &case.row.id, case.row.version)? {
        return Err(AppError::Conflict);
    }
    // Facts learnt without a transition (an email confirmed a moment ago) are read again under the lock.
    if let Some(fresh) = requests::find(conn, &case.row.id)? {
        case.facts = super::cases::parse_facts(&fresh.facts)?;
    }
    let today = today_in(&case.def, now);
    let cals = catalog.calendars();
    let t = case.def.decide(
        &case.subject(today, cals),
        &EventInput {
            event,
            by,
            data: &data,
        },
    )?;
    // Effects the application carries out itself, inside the same transaction; what they did goes into
    // the notices' payload, so the letter says exactly that.
    let mut payload = json!({"event": t.event});
    if let Some(reason) = data.get("reason") {
        payload["reason"] = reason.clone();
    }
    for e in &t.effects {
        match e {
            Effect::IssueInvoice => {
                let inv = super::fees::issue_invoice(conn, config, case, actor, now)?;
                payload["invoice"] = json!({
                    "number": inv.number, "unit_yen": inv.unit_yen, "services": inv.services,
                    "amount_yen": inv.amount_yen, "issued_on": inv.issued_on, "due_on": inv.due_on,
                    "bank_account": config.bank_account,
                });
            }
            Effect::RecordDispatch => {
                let d = super::reply::record_dispatch(conn, case, &data, actor, now)?;
                payload["dispatch"] = json!({
                    "tracking_number": crate::domain::postal::TrackingNumber::from_stored(d.tracking_number).display(),
                    "dispatched_on": d.dispatched_on,
                });
            }
            Effect::RecordDelivery => {
                payload["delivered_on"] =
                    super::reply::record_delivery(conn, case, &data, now)?.into();
            }
            Effect::CreateTasks => super::systems::create_tasks(conn, case, now)?,
            Effect::ReleasePackage => {
                if let Some(d) =
                    super::package::release_package(conn, config, keys, case, actor, now)?
                {
                    payload["download"] = json!({
                        "id": d.id, "expires_at": db::from_db_time(d.expires_at),
                        "max_downloads": d.max_downloads,
                    });
                }
            }
            Effect::ReleaseDownload => {
                let d = super::reply::release_download(conn, config, case, actor, now)?;
                payload["download"] = json!({
                    "id": d.id, "expires_at": db::from_db_time(d.expires_at),
                });
            }
            _ => {}
        }
    }
    let kinds: Vec<NoticeKind> = t.notices().collect();
    if kinds.contains(&NoticeKind::DocumentsRequested)
        && let Some(list) = super::documents::checklist_of(conn, case)?
    {
        payload["missing"] = json!(list.problems().collect::<Vec<_>>());
    }
    if kinds.iter().any(|k| {
        matches!(
            k,
            NoticeKind::AnswerDispatched | NoticeKind::AnswerReady | NoticeKind::ActionCompleted
        )
    }) {
        payload["changes"] = json!(crate::db::replies::changes_for_request(conn, &case.row.id)?);
        let tasks = super::systems::task_views(conn, &case.row.id)?;
        if !tasks.is_empty() {
            payload["systems"] = json!(
                tasks
                    .iter()
                    .map(|t| json!({"system": t.system, "kind": t.kind, "outcome": t.status,
                                    "legal_ground": t.legal_ground, "deletion_method": t.deletion_method}))
                    .collect::<Vec<_>>()
            );
        }
    }
    let def = case.def.clone();
    let id = case.row.id.clone();
    let expected_version = case.row.version;
    let was_verified = case.facts.contains(&Fact::IdentityVerified);
    def.apply(&mut case.facts, &mut case.clocks, &t, today);
    // An extension notice must give the new date (GDPR 12(3), CCPA §1798.130, PIPEDA 8(4)).
    let views = if t
        .effects
        .iter()
        .any(|e| matches!(e, Effect::ExtendDeadline(_)))
    {
        clock_views(&def, &case.clocks, today, cals)
    } else {
        Vec::new()
    };
    let extended: Vec<Value> = t
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::ExtendDeadline(k) => Some(k),
            _ => None,
        })
        .filter_map(|k| views.iter().find(|c| &c.id == k))
        .map(|c| json!({"clock": c.id, "label": c.label, "due_on": c.due_on}))
        .collect();
    if !extended.is_empty() {
        payload["extended"] = json!(extended);
    }
    if let Some(part) = data.get("partial_refusal").filter(|_| {
        kinds.iter().any(|k| {
            matches!(
                k,
                NoticeKind::AnswerReady
                    | NoticeKind::AnswerDispatched
                    | NoticeKind::ActionCompleted
            )
        })
    }) {
        payload["partial_refusal"] = part.clone();
    }
    if !requests::update_after_transition(
        conn,
        &id,
        expected_version,
        &t.to,
        &facts_json(&case.facts),
        def.state(&t.to).is_some_and(|s| s.terminal),
        db::to_db_time(now),
    )? {
        return Err(AppError::Conflict);
    }
    save_clocks(conn, &id, &def, &case.clocks, today, cals)?;
    let queued = queue_notices(
        conn,
        &id,
        case.row.subject_email.is_some(),
        case.language,
        kinds,
        &payload,
        now,
    )?;
    let version = expected_version + 1;
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::RequestTransitioned, actor.clone(), now)
            .for_request(&id)
            .states(Some(&t.from), Some(&t.to))
            .details(json!({
                "event": t.event,
                "version": version,
                "data": data,
                "effects": t.effects,
            })),
    )?;
    // A request reaching a final state says so in the log on its own (details without personal data,
    // never erased): retention's erasures are checked against it.
    let closes = def.state(&t.to).is_some_and(|s| s.terminal);
    if closes {
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::RequestClosed, actor.clone(), now)
                .for_request(&id)
                .states(Some(&t.from), Some(&t.to))
                .details(json!(crate::domain::audit::Closure {
                    state: t.to.clone(),
                    closed_at: None,
                })),
        )?;
    }
    // Evidence is erased when identity is decided by this transition, or the request closes; other
    // transitions have nothing to erase and skip the query.
    if closes || (!was_verified && case.facts.contains(&Fact::IdentityVerified)) {
        super::evidence::purge_after_decision(conn, &id, &case.facts, closes, now)?;
    }
    case.row.state = t.to.clone();
    case.row.version = version;
    let allowed = match by {
        Party::Staff(role) => def
            .allowed_events(&case.subject(today, cals), role)
            .iter()
            .map(|a| a.event.clone())
            .collect(),
        Party::Requester | Party::System => Vec::new(),
    };
    Ok(TransitionOutcome {
        from: t.from,
        to: t.to,
        version,
        notices: queued.iter().map(|n| n.as_str().to_owned()).collect(),
        allowed,
    })
}

/// The newest audit events, for auditors.
pub async fn recent_audit(
    state: &AppState,
    _staff: &StaffMember,
    limit: i64,
) -> Result<Vec<AuditEventRow>, AppError> {
    state
        .db
        .run(move |conn| Ok(audit::list_recent(conn, limit)?))
        .await
}

/// The picture of a request's workflow with its current state marked.
pub async fn diagram(
    state: &AppState,
    _staff: &StaffMember,
    id: String,
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

/// The requests filed in the same submission as the one behind `token`, among `others` (tracking
/// tokens carried once from the submission to its receipt): receipt number, right, token. Tokens of
/// other filings are ignored.
pub async fn filed_with(
    state: &AppState,
    token: String,
    others: Vec<String>,
) -> Result<Vec<(String, RequestType, String)>, AppError> {
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

impl RequestDetail {
    /// The delivery of one notice.
    pub fn delivery(&self, notice_id: &str) -> Option<&notices::Delivery> {
        self.deliveries.iter().find(|d| d.id == notice_id)
    }
}

/// Assigns a request to an officer or admin (by email), or to nobody (`None`); the new assignee is told
/// by email. Audited with who assigned whom.
pub async fn assign(
    state: &AppState,
    staff: &StaffMember,
    request_id: String,
    assignee_email: Option<String>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
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
                            let mut errors = crate::domain::FieldErrors::new();
                            errors.push("assignee", "unknown_staff");
                            return Err(AppError::Invalid(errors));
                        };
                        Some(id)
                    }
                };
                let before = requests::assignee(conn, &request_id)?;
                if before == assignee {
                    return Ok(());
                }
                requests::set_assignee(conn, &request_id, assignee.as_deref())?;
                if let Some(id) = &assignee {
                    super::cases::queue_staff_notice(
                        conn,
                        &request_id,
                        id,
                        crate::domain::notice::NoticeKind::StaffAssigned,
                        &json!({}),
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
        })
        .await
}

/// One line of a request's timeline: what happened (an audit event, a notice, a note), in time order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TimelineEntry {
    pub at: chrono::NaiveDateTime,
    /// `event`, `notice` or `note`.
    pub kind: &'static str,
    pub what: String,
    pub who: Option<String>,
    pub detail: Option<String>,
}

impl RequestDetail {
    /// Audit events, notices and notes merged in time order.
    pub fn timeline(&self) -> Vec<TimelineEntry> {
        let mut out: Vec<TimelineEntry> = self
            .audit
            .iter()
            .map(|e| TimelineEntry {
                at: e.occurred_at,
                kind: "event",
                what: e.action.clone(),
                who: Some(match &e.actor_id {
                    Some(a) => format!("{} {a}", e.actor_kind),
                    None => e.actor_kind.clone(),
                }),
                detail: match (&e.from_state, &e.to_state) {
                    (None, None) => None,
                    (f, t) => Some(format!(
                        "{} → {}",
                        f.as_deref().unwrap_or(""),
                        t.as_deref().unwrap_or("")
                    )),
                },
            })
            .collect();
        out.extend(self.notices.iter().map(|n| TimelineEntry {
            at: n.created_at,
            kind: "notice",
            what: n.kind.clone(),
            who: None,
            detail: Some(format!("{} · {}", n.channel, n.status)),
        }));
        out.extend(self.notes.iter().map(|(n, email)| TimelineEntry {
            at: n.created_at,
            kind: "note",
            what: n.body.clone(),
            who: Some(email.clone()),
            detail: None,
        }));
        out.sort_by_key(|a| a.at);
        out
    }
}

/// An officer adds an internal note to a request (never shown to the requester). Audited (its length,
/// not its words).
pub async fn add_note(
    state: &AppState,
    staff: &StaffMember,
    request_id: String,
    body: String,
) -> Result<(), AppError> {
    let body = crate::domain::field::bounded(&body, 4000).map_err(|code| {
        let mut e = crate::domain::FieldErrors::new();
        e.push("note", code);
        AppError::Invalid(e)
    })?;
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                requests::find(conn, &request_id)?.ok_or(AppError::NotFound)?;
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
                        .for_request(&request_id)
                        .details(json!({"note_id": id, "chars": body.chars().count()})),
                )?;
                Ok(())
            })
        })
        .await
}
