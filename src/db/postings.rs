//! Letters recorded as posted: when, by which mail class, and the tracking number of registered mail.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::letter_postings;
use crate::domain::ids::RequestId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = letter_postings)]
pub struct PostingRow {
    pub notice_id: String,
    pub request_id: RequestId,
    pub posted_on: String,
    pub mail_class: String,
    pub tracking_number: Option<String>,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

/// Records a posting; false if the letter was already recorded as posted (the caller's transaction
/// serialises this check with the insert on SQLite; on PostgreSQL the primary key refuses a second).
pub fn insert(conn: &mut AnyConnection, row: &PostingRow) -> QueryResult<bool> {
    let exists = letter_postings::table
        .find(&row.notice_id)
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(letter_postings::table)
        .values(row)
        .execute(conn)?;
    Ok(true)
}

pub fn for_request(conn: &mut AnyConnection, id: &RequestId) -> QueryResult<Vec<PostingRow>> {
    letter_postings::table
        .filter(letter_postings::request_id.eq(id))
        .select(PostingRow::as_select())
        .load(conn)
}
