//! The outbox: notices queued in the transaction of the change that caused them (the notify worker
//! delivers them later), and an officer's retry of one that failed.

use crate::domain::code::Code;
use crate::domain::ids::{InquiryId, NoticeId, RequestId, StaffId};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::notices::{self, NoticeRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::notice::{NoticeChannel, NoticeKind, NoticePayload, NoticeStatus};
use crate::domain::request::Language;

/// Queues notices for the requester: by email when there is an address, otherwise as letters.
pub fn queue_notices(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    has_email: bool,
    language: Language,
    kinds: impl IntoIterator<Item = NoticeKind>,
    payload: &NoticePayload,
    now: DateTime<Utc>,
) -> Result<Vec<NoticeKind>, AppError> {
    let channel = if has_email {
        NoticeChannel::Email
    } else {
        NoticeChannel::Letter
    };
    let mut queued = Vec::new();
    for kind in kinds {
        notices::insert(
            conn,
            &queued_row(request_id, kind, channel, language, payload, now),
        )?;
        queued.push(kind);
    }
    Ok(queued)
}

/// A notice about a request, queued now (to the requester unless a staff recipient is set).
fn queued_row(
    request_id: &RequestId,
    kind: NoticeKind,
    channel: NoticeChannel,
    language: Language,
    payload: &NoticePayload,
    now: DateTime<Utc>,
) -> NoticeRow {
    NoticeRow {
        id: db::new_id().into(),
        request_id: Some(request_id.to_owned()),
        inquiry_id: None,
        kind: kind.as_str().to_owned(),
        channel,
        language: language.as_str().to_owned(),
        status: NoticeStatus::Queued,
        created_at: db::to_db_time(now),
        payload: payload.to_stored(),
        recipient_staff_id: None,
    }
}

/// Queues a notice to a staff member about a request (by email; staff notices are in Japanese, the
/// desk's language).
pub fn queue_staff_notice(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    staff_id: &StaffId,
    kind: NoticeKind,
    payload: &NoticePayload,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    notices::insert(
        conn,
        &NoticeRow {
            recipient_staff_id: Some(staff_id.clone()),
            ..queued_row(
                request_id,
                kind,
                NoticeChannel::Email,
                Language::JA,
                payload,
                now,
            )
        },
    )?;
    Ok(())
}

/// An officer sends a failed notice again.
pub async fn retry_failed(
    state: &AppState,
    staff: &StaffMember,
    owner: NoticeOwner,
    notice_id: NoticeId,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let of = match &owner {
                NoticeOwner::Request(r) => notices::NoticeOf::Request(r),
                NoticeOwner::Inquiry(i) => notices::NoticeOf::Inquiry(i),
            };
            if !notices::requeue_failed(conn, of, &notice_id)? {
                return Err(AppError::NotFound);
            }
            let event = NewAuditEvent::new(AuditAction::NoticeRetried, actor, now);
            let event = match &owner {
                NoticeOwner::Request(r) => event
                    .for_request(r)
                    .details(json!({"notice_id": notice_id})),
                NoticeOwner::Inquiry(i) => {
                    event.details(json!({"inquiry": i, "notice_id": notice_id}))
                }
            };
            audit::append(conn, &event)?;
            Ok(())
        })
        .await
}

/// Whose notice an officer sends again.
pub enum NoticeOwner {
    Request(RequestId),
    /// An inquiry or complaint, by its id.
    Inquiry(InquiryId),
}

/// A notice of a request with where its delivery stands, as the request page and the API list it.
#[derive(Debug, Clone)]
pub struct NoticeLine {
    pub id: String,
    pub request_id: RequestId,
    pub kind: String,
    pub channel: NoticeChannel,
    pub status: NoticeStatus,
    pub created_at: NaiveDateTime,
    pub attempts: i64,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    /// A printed letter recorded as posted.
    pub posted: Option<super::postings::Posted>,
}

/// A request's notices, oldest first, each with its delivery.
pub(crate) fn notice_lines(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Vec<NoticeLine>, AppError> {
    let rows = notices::for_request(conn, request_id)?;
    let deliveries = notices::deliveries_for_request(conn, request_id)?;
    let mut posted = super::postings::posted_letters(conn, request_id)?;
    Ok(rows
        .into_iter()
        .map(|n| {
            let dv = deliveries.iter().find(|d| d.id == n.id.as_str());
            NoticeLine {
                posted: posted
                    .iter()
                    .position(|(id, _)| id == n.id.as_str())
                    .map(|i| posted.swap_remove(i).1),
                attempts: dv.map_or(0, |d| d.attempts),
                sent_at: dv.and_then(|d| d.sent_at),
                last_error: dv.and_then(|d| d.last_error.clone()),
                id: n.id.into_string(),
                request_id: request_id.clone(),
                kind: n.kind,
                channel: n.channel,
                status: n.status,
                created_at: n.created_at,
            }
        })
        .collect())
}
