//! An officer rejects a recorded identity document (illegible, another person's, not what it claims):
//! it keeps its row and the reason, the checklist stops counting it, and the documents request says why
//! it was not accepted; a document sent in its place supersedes it.

use serde_json::json;

use super::cases::Case;
use super::checklist::recheck;
use super::documents::DocumentOutcome;
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::{self, audit, documents as repo};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::ids::{DocumentId, RequestId};

pub async fn reject_document(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    expected_version: i64,
    document_id: DocumentId,
    reason: String,
) -> Result<DocumentOutcome, AppError> {
    let reason = crate::domain::field::bounded(&reason, 500)
        .map_err(|code| AppError::invalid("reason", code))?;
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            let mut case = Case::load_at(conn, &catalog, &request_id, expected_version)?;
            if case.def.state(&case.row.state).is_some_and(|s| s.terminal) {
                return Err(AppError::Conflict);
            }
            if !repo::reject_document(
                conn,
                &request_id,
                &document_id,
                &reason,
                staff.id.as_str(),
                db::to_db_time(now),
            )? {
                return Err(AppError::invalid("reason", "already_rejected"));
            }
            let list = recheck(conn, &mut case, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DocumentRejected, staff.actor(), now)
                    .for_request(&request_id)
                    .details(json!({
                        "document_id": document_id,
                        "reason": reason,
                        "complete": list.complete,
                        "fresh": list.fresh,
                        "version": expected_version + 1,
                    })),
            )?;
            Ok(DocumentOutcome {
                document_id,
                version: expected_version + 1,
                checklist: list,
            })
        })
        .await
}
