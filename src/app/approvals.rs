//! Four eyes: where a procedure says so (`four_eyes`), an answer or a refusal goes out only once a second
//! officer has approved it at the request's current version, and the officer who sends it is not the one
//! who approved. Any change to the request after the approval (a task closed, a document recorded) moves
//! its version on and the approval no longer counts.

use serde_json::json;

use super::cases::Case;
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::approvals::{self as repo, ApprovalRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::ids::RequestId;
use crate::domain::workflow::Transition;

/// An officer approves `event` on the request as it stands at `expected_version`.
pub async fn approve(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    event: String,
    expected_version: i64,
) -> Result<(), AppError> {
    if !staff.role.works_requests() {
        return Err(AppError::Forbidden);
    }
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            let case = Case::load_at(conn, &catalog, &request_id, expected_version)?;
            if !case.def.four_eyes {
                return Err(AppError::invalid("event", "no_approval_needed"));
            }
            let decides = case.def.transitions.iter().any(|t| {
                t.event == event && t.from.iter().any(|f| f == &case.row.state) && t.decides()
            });
            if !decides {
                return Err(AppError::invalid("event", "no_approval_needed"));
            }
            let row = ApprovalRow {
                id: db::new_id(),
                request_id: request_id.clone(),
                event: event.clone(),
                request_version: expected_version,
                approved_by: staff.id.to_string(),
                approved_at: db::to_db_time(now),
            };
            if repo::insert(conn, &row)? {
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::RequestApproved, staff.actor(), now)
                        .for_request(&request_id)
                        .details(json!({"event": event, "version": expected_version})),
                )?;
            }
            Ok(())
        })
        .await
}

/// Refuses a deciding transition that lacks a second officer's approval at this version.
pub(crate) fn check(
    conn: &mut AnyConnection,
    case: &Case,
    t: &Transition,
    sender: Option<&str>,
) -> Result<(), AppError> {
    if !case.def.four_eyes || !t.decides() {
        return Ok(());
    }
    let approved = repo::at_version(conn, &case.row.id, case.row.version)?
        .into_iter()
        .any(|(event, by, _)| event == t.event && Some(by.as_str()) != sender);
    if approved {
        Ok(())
    } else {
        Err(AppError::invalid("event", "second_officer_required"))
    }
}

/// Who approved what at the request's current version: (event, name).
pub(crate) fn current(
    conn: &mut AnyConnection,
    case: &Case,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(repo::at_version(conn, &case.row.id, case.row.version)?
        .into_iter()
        .map(|(event, _, name)| (event, name))
        .collect())
}
