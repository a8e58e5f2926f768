//! Review before release: an officer previews the answer package as it would go out, and withholds a
//! system's export on a ground (another person's data: GDPR Art. 15(4), APPI Art. 33(2)(i), PIPEDA
//! s. 9(1)); the package leaves it out and says why, and so does the answer.

use serde_json::json;

use super::cases::Case;
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::systems as repo;
use crate::db::{audit, replies};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::field::bounded;
use crate::domain::ids::{RequestId, TaskId};

fn officer(staff: &StaffMember) -> Result<(), AppError> {
    if staff.role.works_requests() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Withholds a closed export from the answer on `ground`, or puts it back (`None`), while the answer
/// has not gone out.
pub async fn withhold(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    task_id: TaskId,
    ground: Option<String>,
) -> Result<(), AppError> {
    officer(staff)?;
    let ground = match ground {
        Some(g) => Some(bounded(&g, 500).map_err(|c| AppError::invalid("ground", c))?),
        None => None,
    };
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let mut case = Case::load(conn, &catalog, &request_id)?;
            let (task, system) =
                repo::find_task(conn, &request_id, &task_id)?.ok_or(AppError::NotFound)?;
            // Once released, the answer is what it is.
            let released = !replies::downloads_for_request(conn, &request_id)?.is_empty();
            if case.state_label().1 || released {
                return Err(AppError::invalid("ground", "answer_released"));
            }
            if task.status != "exported" || task.export_purged_at.is_some() {
                return Err(AppError::invalid("ground", "not_an_export"));
            }
            if !repo::set_withheld(conn, &request_id, &task_id, ground.as_deref())? {
                return Err(AppError::Conflict);
            }
            // The answer changed: a page opened before must not send it unseen.
            case.save_facts(conn, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::ExportWithheld, actor, now)
                    .for_request(&request_id)
                    .details(json!({"task_id": task_id, "system": system.name,
                                    "withheld": ground.is_some(), "ground": ground})),
            )?;
            Ok(())
        })
        .await
}

/// The answer package as it would go out now, for the officer to check; audited like every view of
/// the person's data.
pub async fn preview(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
) -> Result<Vec<u8>, AppError> {
    officer(staff)?;
    let catalog = state.workflows.clone();
    let keys = state.keys.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let case = Case::load(conn, &catalog, &request_id)?;
            let answer = case
                .right
                .as_ref()
                .and_then(|r| r.answer)
                .ok_or(AppError::NotFound)?;
            let bytes = super::package::build(conn, catalog.laws(), &keys, &case, answer, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::FileViewed, actor, now)
                    .for_request(&request_id)
                    .details(json!({"purpose": "answer_preview", "size_bytes": bytes.len()})),
            )?;
            Ok(bytes)
        })
        .await
}
