//! The notice outbox: rows queued in the same transaction as the change that caused them.

use crate::domain::code::Code;
use crate::domain::ids::{InquiryId, NoticeId, RequestId, StaffId};
use crate::domain::notice::{NoticeChannel, NoticeStatus};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::notices;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notices)]
pub struct NoticeRow {
    pub id: NoticeId,
    /// The request it is about, or (`inquiry_id`) the inquiry: exactly one.
    pub request_id: Option<RequestId>,
    pub inquiry_id: Option<InquiryId>,
    pub kind: String,
    pub channel: NoticeChannel,
    pub language: String,
    pub status: NoticeStatus,
    pub created_at: NaiveDateTime,
    /// What the notice says beyond its kind, as it was when queued (JSON).
    pub payload: String,
    /// A notice to a staff member (assigned, deadline near or passed); `None` for the requester.
    pub recipient_staff_id: Option<StaffId>,
}

pub fn insert(conn: &mut AnyConnection, row: &NoticeRow) -> QueryResult<()> {
    diesel::insert_into(notices::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The notices to the requester (the tracking page shows these): not those to staff or to recipients.
pub fn to_requester(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<NoticeRow>> {
    notices::table
        .filter(notices::request_id.eq(request_id))
        .filter(notices::recipient_staff_id.is_null())
        .filter(notices::kind.ne(crate::domain::notice::NoticeKind::RecipientNotified.as_str()))
        .order((notices::created_at.asc(), notices::id.asc()))
        .select(NoticeRow::as_select())
        .load(conn)
}

pub fn for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<NoticeRow>> {
    notices::table
        .filter(notices::request_id.eq(request_id))
        .order((notices::created_at.asc(), notices::id.asc()))
        .select(NoticeRow::as_select())
        .load(conn)
}

/// When notices of one kind were queued for a request (only the times: the checklist reads the days the
/// desk asked for documents on every page).
pub fn queued_at(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    kind: &str,
) -> QueryResult<Vec<chrono::NaiveDateTime>> {
    notices::table
        .filter(notices::request_id.eq(request_id))
        .filter(notices::kind.eq(kind))
        .select(notices::created_at)
        .load(conn)
}

pub fn find(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    id: &NoticeId,
) -> QueryResult<Option<NoticeRow>> {
    notices::table
        .filter(notices::request_id.eq(request_id))
        .filter(notices::id.eq(id))
        .select(NoticeRow::as_select())
        .first(conn)
        .optional()
}

/// Where a notice stands in delivery.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notices)]
pub struct Delivery {
    pub id: String,
    pub status: NoticeStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn deliveries_for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<Delivery>> {
    notices::table
        .filter(notices::request_id.eq(request_id))
        .order((notices::created_at.asc(), notices::id.asc()))
        .select(Delivery::as_select())
        .load(conn)
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Claims up to `limit` email notices that are due (queued, past their backoff, not leased to a live
/// worker) for `worker` until `lease_until`, counting the attempt. PostgreSQL skips rows another worker
/// is claiming (`FOR UPDATE SKIP LOCKED`); SQLite runs one writer at a time, so the same statement is
/// safe there.
pub fn claim(
    conn: &mut AnyConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(NoticeRow, i64)>> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let lock = match conn {
        AnyConnection::Postgresql(_) => " FOR UPDATE SKIP LOCKED",
        AnyConnection::Sqlite(_) => "",
    };
    let (p1, p2, p3, p4) = match conn {
        AnyConnection::Postgresql(_) => ("$1", "$2", "$3", "$4"),
        AnyConnection::Sqlite(_) => ("?", "?", "?", "?"),
    };
    let sql = format!(
        "UPDATE notices SET claimed_by = {p1}, claimed_until = {p2}, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM notices WHERE status = 'queued' AND channel = 'email' \
           AND (next_attempt_at IS NULL OR next_attempt_at <= {p3}) \
           AND (claimed_until IS NULL OR claimed_until <= {p3}) \
           ORDER BY created_at, id LIMIT {p4}{lock}) \
         RETURNING id"
    );
    let query = diesel::sql_query(sql)
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now);
    let ids: Vec<Claimed> = match conn {
        // SQLite numbers `?` by position: the time is bound twice.
        AnyConnection::Sqlite(_) => query
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(conn)?,
        AnyConnection::Postgresql(_) => query.bind::<BigInt, _>(limit).load(conn)?,
    };
    let ids: Vec<String> = ids.into_iter().map(|c| c.id).collect();
    notices::table
        .filter(notices::id.eq_any(&ids))
        .order((notices::created_at.asc(), notices::id.asc()))
        .select((NoticeRow::as_select(), notices::attempts))
        .load(conn)
}

/// A printed letter was posted: it counts as sent from the posting's recording.
pub fn mark_posted(conn: &mut AnyConnection, id: &NoticeId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        notices::table
            .filter(notices::id.eq(id))
            .filter(notices::channel.eq(NoticeChannel::Letter)),
    )
    .set((
        notices::status.eq(NoticeStatus::Sent),
        notices::sent_at.eq(now),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Extends `worker`'s claims on the notices `ids` (those it still holds, unsent) to `until`; how many.
pub fn renew(
    conn: &mut AnyConnection,
    worker: &str,
    ids: &[NoticeId],
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notices::table
            .filter(notices::id.eq_any(ids.iter().map(NoticeId::as_str)))
            .filter(notices::claimed_by.eq(worker))
            .filter(notices::status.eq(NoticeStatus::Queued)),
    )
    .set(notices::claimed_until.eq(until))
    .execute(conn)
}

/// Records a delivery by the worker holding the claim; false if another worker holds it now.
pub fn mark_sent(
    conn: &mut AnyConnection,
    id: &NoticeId,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        notices::table
            .filter(notices::id.eq(id))
            .filter(notices::claimed_by.eq(worker))
            .filter(notices::status.eq(NoticeStatus::Queued)),
    )
    .set((
        notices::status.eq(NoticeStatus::Sent),
        notices::sent_at.eq(now),
        notices::claimed_by.eq(None::<String>),
        notices::claimed_until.eq(None::<NaiveDateTime>),
        notices::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a failed attempt: try again at `retry_at`, or give up (`failed`) when `None`.
pub fn mark_attempt_failed(
    conn: &mut AnyConnection,
    id: &NoticeId,
    worker: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let n = diesel::update(
        notices::table
            .filter(notices::id.eq(id))
            .filter(notices::claimed_by.eq(worker))
            .filter(notices::status.eq(NoticeStatus::Queued)),
    )
    .set((
        notices::status.eq(if retry_at.is_some() {
            NoticeStatus::Queued
        } else {
            NoticeStatus::Failed
        }),
        notices::next_attempt_at.eq(retry_at),
        notices::claimed_by.eq(None::<String>),
        notices::claimed_until.eq(None::<NaiveDateTime>),
        notices::last_error.eq(error),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whose notice an officer sends again: a request's or an inquiry's.
pub enum NoticeOf<'a> {
    Request(&'a RequestId),
    Inquiry(&'a InquiryId),
}

/// An officer sends a failed notice again: queued afresh, attempts counted from zero.
pub fn requeue_failed(
    conn: &mut AnyConnection,
    of: NoticeOf<'_>,
    id: &NoticeId,
) -> QueryResult<bool> {
    let mut target = notices::table
        .filter(notices::id.eq(id))
        .filter(notices::status.eq(NoticeStatus::Failed))
        .into_boxed();
    target = match of {
        NoticeOf::Request(r) => target.filter(notices::request_id.eq(r)),
        NoticeOf::Inquiry(i) => target.filter(notices::inquiry_id.eq(i)),
    };
    let ids: Vec<String> = target.select(notices::id).load(conn)?;
    let n = diesel::update(notices::table.filter(notices::id.eq_any(&ids)))
        .set((
            notices::status.eq(NoticeStatus::Queued),
            notices::attempts.eq(0),
            notices::next_attempt_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
