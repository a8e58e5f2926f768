//! Officers' internal notes on a request.

use crate::domain::ids::RequestId;
use crate::domain::ids::StaffId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{request_notes, staff_users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_notes)]
pub struct NoteRow {
    pub id: String,
    pub request_id: RequestId,
    pub staff_id: StaffId,
    pub body: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &NoteRow) -> QueryResult<()> {
    diesel::insert_into(request_notes::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A request's notes, oldest first, with their authors' emails.
pub fn for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<(NoteRow, String, String)>> {
    request_notes::table
        .inner_join(staff_users::table.on(staff_users::id.eq(request_notes::staff_id)))
        .filter(request_notes::request_id.eq(request_id))
        .order((request_notes::created_at.asc(), request_notes::id.asc()))
        .select((
            NoteRow::as_select(),
            staff_users::email,
            staff_users::display_name,
        ))
        .load(conn)
}
