//! The notice outbox: rows queued in the same transaction as the change that caused them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::notices;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notices)]
pub struct NoticeRow {
    pub id: String,
    pub request_id: String,
    pub kind: String,
    pub channel: String,
    pub language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    /// What the notice says beyond its kind, as it was when queued (JSON).
    pub payload: String,
}

pub fn insert(conn: &mut AnyConnection, row: &NoticeRow) -> QueryResult<()> {
    diesel::insert_into(notices::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn for_request(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<NoticeRow>> {
    notices::table
        .filter(notices::request_id.eq(request_id))
        .order((notices::created_at.asc(), notices::id.asc()))
        .select(NoticeRow::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut AnyConnection,
    request_id: &str,
    id: &str,
) -> QueryResult<Option<NoticeRow>> {
    notices::table
        .filter(notices::request_id.eq(request_id))
        .filter(notices::id.eq(id))
        .select(NoticeRow::as_select())
        .first(conn)
        .optional()
}
