//! What was read off envelopes and paper forms.

use crate::domain::ids::RequestId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::postal_details;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postal_details)]
pub struct PostalRow {
    pub request_id: RequestId,
    pub envelope_id: String,
    pub received_on: String,
    pub mail_class: String,
    pub tracking_number: Option<String>,
    pub request_date: Option<String>,
    pub requester_kind: String,
    pub agent_name: Option<String>,
    pub services: String,
    pub postal_address: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub subject_name_kana: Option<String>,
    pub agent_name_kana: Option<String>,
    pub agent_address: Option<String>,
}

/// Addresses and names never reach a log through `Debug`.
impl std::fmt::Debug for PostalRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostalRow")
            .field("request_id", &self.request_id)
            .field("mail_class", &self.mail_class)
            .field("received_on", &self.received_on)
            .finish_non_exhaustive()
    }
}

pub fn insert(conn: &mut AnyConnection, row: &PostalRow) -> QueryResult<()> {
    diesel::insert_into(postal_details::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut AnyConnection, request_id: &RequestId) -> QueryResult<Option<PostalRow>> {
    postal_details::table
        .find(request_id)
        .select(PostalRow::as_select())
        .first(conn)
        .optional()
}
