//! Legal holds: while a complaint, appeal or lawsuit about a request is pending (PIPEDA s. 8(8): keep the
//! information as long as needed to exhaust recourse; VCDPA appeals), an officer holds the request, and
//! the erasures that follow its close (identity documents, exports, answer packages, its record) pass it
//! by until the hold is lifted. Placing and lifting are audited with the officer's reason.

use serde_json::json;

use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::{self, audit, requests};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::ids::RequestId;

/// Places (`hold`) or lifts a legal hold, with the reason; refused with `hold: already_held` or
/// `hold: not_held` when the request is not in the state the change starts from.
pub async fn set(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    hold: bool,
    reason: String,
) -> Result<(), AppError> {
    let reason = crate::domain::field::bounded(&reason, 1000)
        .map_err(|code| AppError::invalid("reason", code))?;
    super::staff::on_request(
        state,
        staff,
        request_id,
        move |conn, staff, now, request_id| {
            let at = db::to_db_time(now);
            let change = hold.then_some((reason.as_str(), at));
            if !requests::set_legal_hold(conn, request_id, change)? {
                let code = if hold { "already_held" } else { "not_held" };
                return Err(AppError::invalid("hold", code));
            }
            let action = if hold {
                AuditAction::LegalHoldPlaced
            } else {
                AuditAction::LegalHoldLifted
            };
            audit::append(
                conn,
                &NewAuditEvent::new(action, staff.actor(), now)
                    .for_request(request_id)
                    .details(json!({"reason": reason})),
            )?;
            Ok(())
        },
    )
    .await
}
