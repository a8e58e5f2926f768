//! Reading requests (tracking page, queue, request page) and moving them through their workflow.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::audit::AuditEventRow;
use crate::db::requests::{self, RequestRow};
use crate::db::{self, audit, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::request::{Language, RequestType};
use crate::domain::workflow::{Label, TransitionDef, WorkflowDefinition};
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
}

fn request_type(row_value: &str) -> Result<RequestType, AppError> {
    row_value
        .parse()
        .map_err(|_| AppError::Definition(format!("stored request type `{row_value}` is unknown")))
}

fn state_label(wf: &WorkflowDefinition, state: &str) -> (Label, bool) {
    match wf.state(state) {
        Some(s) => (s.label.clone(), s.terminal),
        None => (
            Label {
                en: state.to_owned(),
                ja: state.to_owned(),
            },
            false,
        ),
    }
}

pub async fn track(state: &AppState, token: String) -> Result<TrackingView, AppError> {
    if !tokens::looks_like_token(&token) {
        return Err(AppError::NotFound);
    }
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let row = requests::find_by_token_digest(conn, &tokens::digest(&token))?
                .ok_or(AppError::NotFound)?;
            let wf = catalog.get(conn, &row.workflow_id, row.workflow_version)?;
            let (label, terminal) = state_label(&wf, &row.state);
            Ok(TrackingView {
                receipt_number: row.receipt_number,
                request_type: request_type(&row.request_type)?,
                language: row.language.parse().unwrap_or_default(),
                state: row.state,
                state_label: label,
                terminal,
                workflow_name: wf.name.clone(),
                received_at: db::from_db_time(row.received_at),
                updated_at: db::from_db_time(row.updated_at),
            })
        })
        .await
}

#[derive(Debug, Clone)]
pub struct QueueItem {
    pub id: String,
    pub receipt_number: String,
    pub request_type: RequestType,
    pub channel: String,
    pub state: String,
    pub state_label: Label,
    pub workflow_name: Label,
    pub received_at: DateTime<Utc>,
}

pub const QUEUE_PAGE: i64 = 100;

pub async fn queue(state: &AppState, _staff: &StaffMember) -> Result<Vec<QueueItem>, AppError> {
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let rows = requests::list_queue(conn, QUEUE_PAGE)?;
            rows.into_iter()
                .map(|r| {
                    let wf = catalog.get(conn, &r.workflow_id, r.workflow_version)?;
                    let (label, _) = state_label(&wf, &r.state);
                    Ok(QueueItem {
                        request_type: request_type(&r.request_type)?,
                        id: r.id,
                        receipt_number: r.receipt_number,
                        channel: r.channel,
                        state: r.state,
                        state_label: label,
                        workflow_name: wf.name.clone(),
                        received_at: db::from_db_time(r.received_at),
                    })
                })
                .collect()
        })
        .await
}

/// Everything the officer's request page shows.
#[derive(Debug, Clone)]
pub struct RequestDetail {
    pub request: RequestRow,
    pub request_type: RequestType,
    pub workflow: Arc<WorkflowDefinition>,
    pub state_label: Label,
    pub terminal: bool,
    pub allowed: Vec<TransitionDef>,
    pub audit: Vec<AuditEventRow>,
}

pub async fn detail(
    state: &AppState,
    staff: &StaffMember,
    id: String,
) -> Result<RequestDetail, AppError> {
    let catalog = state.workflows.clone();
    let role = staff.role;
    state
        .db
        .run(move |conn| {
            let row = requests::find(conn, &id)?.ok_or(AppError::NotFound)?;
            let wf = catalog.get(conn, &row.workflow_id, row.workflow_version)?;
            let (label, terminal) = state_label(&wf, &row.state);
            let allowed = wf
                .allowed_events(&row.state, role)
                .into_iter()
                .cloned()
                .collect();
            let audit = audit::list_for_request(conn, &row.id)?;
            Ok(RequestDetail {
                request_type: request_type(&row.request_type)?,
                request: row,
                workflow: wf,
                state_label: label,
                terminal,
                allowed,
                audit,
            })
        })
        .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionOutcome {
    pub from: String,
    pub to: String,
    pub version: i64,
}

/// Fires a workflow event on behalf of a staff member. The state change and its audit event commit
/// together, and only if the request is still at `expected_version`: of two officers acting at once, one
/// wins and the other gets `Conflict` with nothing written.
pub async fn fire_event(
    state: &AppState,
    staff: &StaffMember,
    id: String,
    event: String,
    expected_version: i64,
) -> Result<TransitionOutcome, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = Actor::Staff {
        id: staff.id.clone(),
        role: staff.role,
    };
    let role = staff.role;
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let row = requests::find(conn, &id)?.ok_or(AppError::NotFound)?;
                let wf = catalog.get(conn, &row.workflow_id, row.workflow_version)?;
                if row.version != expected_version {
                    return Err(AppError::Conflict);
                }
                let decision = wf.decide(&row.state, &event, role)?;
                if !requests::update_state(
                    conn,
                    &id,
                    expected_version,
                    decision.to,
                    db::to_db_time(now),
                )? {
                    return Err(AppError::Conflict);
                }
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::RequestTransitioned, actor, now)
                        .for_request(&id)
                        .states(Some(decision.from), Some(decision.to))
                        .details(json!({
                            "event": decision.event,
                            "version": expected_version + 1,
                        })),
                )?;
                Ok(TransitionOutcome {
                    from: decision.from.to_owned(),
                    to: decision.to.to_owned(),
                    version: expected_version + 1,
                })
            })
        })
        .await
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
