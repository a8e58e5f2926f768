//! The key set the instances share: each kind's keys by id, with their status.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{requests, service_keys};
use crate::security::keys::{KeyKind, RecordedKeyStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_keys)]
pub struct ServiceKeyRow {
    pub kind: KeyKind,
    pub key_id: String,
    pub public_half: Option<String>,
    pub status: RecordedKeyStatus,
    pub added_at: NaiveDateTime,
}

/// Every key recorded, by kind, oldest first.
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<ServiceKeyRow>> {
    service_keys::table
        .order((service_keys::kind.asc(), service_keys::added_at.asc()))
        .select(ServiceKeyRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut AnyConnection, row: &ServiceKeyRow) -> QueryResult<()> {
    diesel::insert_into(service_keys::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Retires every key of `kind` but `keep` (active or kept verify-only).
pub fn retire_others(conn: &mut AnyConnection, kind: KeyKind, keep: &str) -> QueryResult<usize> {
    diesel::update(
        service_keys::table
            .filter(service_keys::kind.eq(kind))
            .filter(service_keys::key_id.ne(keep))
            .filter(service_keys::status.ne(RecordedKeyStatus::Retired)),
    )
    .set(service_keys::status.eq(RecordedKeyStatus::Retired))
    .execute(conn)
}

/// Makes a recorded key active again; false if it is not recorded.
pub fn activate(conn: &mut AnyConnection, kind: KeyKind, key_id: &str) -> QueryResult<bool> {
    diesel::update(
        service_keys::table
            .filter(service_keys::kind.eq(kind))
            .filter(service_keys::key_id.eq(key_id)),
    )
    .set(service_keys::status.eq(RecordedKeyStatus::Active))
    .execute(conn)
    .map(|n| n == 1)
}

/// Sets one recorded key's status; false if it is not recorded.
pub fn set_status(
    conn: &mut AnyConnection,
    kind: KeyKind,
    key_id: &str,
    status: RecordedKeyStatus,
) -> QueryResult<bool> {
    diesel::update(
        service_keys::table
            .filter(service_keys::kind.eq(kind))
            .filter(service_keys::key_id.eq(key_id)),
    )
    .set(service_keys::status.eq(status))
    .execute(conn)
    .map(|n| n == 1)
}

/// How many requests (open, or closed with their personal data still kept) carry a tracking token
/// derived with this session key: while any does, the key is needed to write their links again.
pub fn count_with_token_key(conn: &mut AnyConnection, key_id: &str) -> QueryResult<i64> {
    requests::table
        .filter(requests::token_key_id.eq(key_id))
        .filter(requests::personal_data_purged_at.is_null())
        .count()
        .get_result(conn)
}

/// Records `key_id` as the token key of the requests filed before token keys were recorded (their
/// tokens came from the only session key there was). Run before the first rotation.
pub fn record_token_key(conn: &mut AnyConnection, key_id: &str) -> QueryResult<usize> {
    diesel::update(requests::table.filter(requests::token_key_id.is_null()))
        .set(requests::token_key_id.eq(key_id))
        .execute(conn)
}
