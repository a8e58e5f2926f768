//! Letters recorded as posted: an officer says when a printed letter went out, by which mail class and
//! with which tracking number; the notice counts as sent from then, and the audit log keeps it.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;

use super::cases::today_in;
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::postings::{self, PostingRow};
use crate::db::{self, AnyConnection, audit, notices};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::ids::{NoticeId, RequestId};
use crate::domain::notice::NoticeChannel;
use crate::domain::postal::TrackingNumber;
use crate::domain::posting::{LetterPosting, RawPosting};

/// A letter's posting, as the request page and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Posted {
    #[schema(format = Date)]
    pub posted_on: String,
    /// `simple_registered`, `registered_with_delivery_certificate` or `ordinary`.
    pub mail_class: String,
    /// As printed on the receipt, with its hyphens.
    pub tracking_number: Option<String>,
}

pub(crate) fn posted_letters(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Vec<(String, Posted)>, AppError> {
    Ok(postings::for_request(conn, request_id)?
        .into_iter()
        .map(|p| {
            (
                p.notice_id,
                Posted {
                    posted_on: p.posted_on,
                    mail_class: p.mail_class,
                    tracking_number: p
                        .tracking_number
                        .map(|t| TrackingNumber::from_stored(t).display()),
                },
            )
        })
        .collect())
}

pub async fn record_posting(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    notice_id: NoticeId,
    raw: RawPosting,
) -> Result<Posted, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let staff_id = staff.id.to_string();
    state
        .db
        .write(move |conn| {
            let notice = notices::find(conn, &request_id, &notice_id)?.ok_or(AppError::NotFound)?;
            if notice.channel != NoticeChannel::Letter {
                return Err(AppError::invalid("posted_on", "not_a_letter"));
            }
            let case = super::cases::Case::load(conn, &catalog, &request_id)?;
            let printed_on: NaiveDate = today_in(&case.def, db::from_db_time(notice.created_at));
            let posting = LetterPosting::parse(&raw, printed_on, today_in(&case.def, now))
                .map_err(AppError::Invalid)?;
            let row = PostingRow {
                notice_id: notice.id.to_string(),
                request_id: request_id.clone(),
                posted_on: posting.posted_on.to_string(),
                mail_class: posting.mail_class.as_str().to_owned(),
                tracking_number: posting
                    .tracking_number
                    .as_ref()
                    .map(|t| t.as_str().to_owned()),
                recorded_by: staff_id,
                created_at: db::to_db_time(now),
            };
            if !postings::insert(conn, &row)? {
                return Err(AppError::invalid("posted_on", "already_posted"));
            }
            notices::mark_posted(conn, &notice.id, db::to_db_time(now))?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::LetterPosted, actor, now)
                    .for_request(&request_id)
                    .details(json!({
                        "notice": notice.kind,
                        "posted_on": row.posted_on,
                        "mail_class": row.mail_class,
                        "tracking_number": row.tracking_number,
                    })),
            )?;
            Ok(Posted {
                posted_on: row.posted_on,
                mail_class: row.mail_class,
                tracking_number: posting.tracking_number.map(|t| t.display()),
            })
        })
        .await
}
