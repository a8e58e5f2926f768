//! Second officers' approvals of answers and refusals (four eyes), each for one version of a request.

use crate::domain::ids::RequestId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{request_approvals, staff_users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_approvals)]
pub struct ApprovalRow {
    pub id: String,
    pub request_id: RequestId,
    pub event: String,
    pub request_version: i64,
    pub approved_by: String,
    pub approved_at: NaiveDateTime,
}

/// Records an approval; false if this officer already approved this event at this version.
pub fn insert(conn: &mut AnyConnection, row: &ApprovalRow) -> QueryResult<bool> {
    let exists = request_approvals::table
        .filter(request_approvals::request_id.eq(&row.request_id))
        .filter(request_approvals::event.eq(&row.event))
        .filter(request_approvals::request_version.eq(row.request_version))
        .filter(request_approvals::approved_by.eq(&row.approved_by))
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(request_approvals::table)
        .values(row)
        .execute(conn)?;
    Ok(true)
}

/// Who approved events of the request at `version`: (event, staff id, staff email).
pub fn at_version(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    version: i64,
) -> QueryResult<Vec<(String, String, String)>> {
    request_approvals::table
        .inner_join(staff_users::table)
        .filter(request_approvals::request_id.eq(request_id))
        .filter(request_approvals::request_version.eq(version))
        .order(request_approvals::approved_at.asc())
        .select((
            request_approvals::event,
            request_approvals::approved_by,
            staff_users::display_name,
        ))
        .load(conn)
}
