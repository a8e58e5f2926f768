//! Replies: registered-mail dispatches, released downloads and the changes an answer made.

use crate::domain::ids::{DataChangeId, DownloadId, FileId, PackageId, RequestId, TaskId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{
    answer_packages, data_changes, reply_dispatches, reply_downloads, requests, stored_files,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = reply_dispatches)]
pub struct DispatchRow {
    pub request_id: RequestId,
    pub tracking_number: String,
    pub dispatched_on: String,
    pub delivered_on: Option<String>,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_dispatch(conn: &mut AnyConnection, row: &DispatchRow) -> QueryResult<()> {
    diesel::insert_into(reply_dispatches::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_dispatch(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Option<DispatchRow>> {
    reply_dispatches::table
        .find(request_id)
        .select(DispatchRow::as_select())
        .first(conn)
        .optional()
}

pub fn set_delivered(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    on: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        reply_dispatches::table
            .filter(reply_dispatches::request_id.eq(request_id))
            .filter(reply_dispatches::delivered_on.is_null()),
    )
    .set(reply_dispatches::delivered_on.eq(on))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reply_downloads)]
pub struct DownloadRow {
    pub id: DownloadId,
    pub request_id: RequestId,
    pub file_id: Option<FileId>,
    pub package_id: Option<PackageId>,
    pub max_downloads: i64,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub first_downloaded_at: Option<NaiveDateTime>,
    pub downloads: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_download(conn: &mut AnyConnection, row: &DownloadRow) -> QueryResult<()> {
    diesel::insert_into(reply_downloads::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_download(
    conn: &mut AnyConnection,
    id: &DownloadId,
) -> QueryResult<Option<DownloadRow>> {
    reply_downloads::table
        .find(id)
        .select(DownloadRow::as_select())
        .first(conn)
        .optional()
}

pub fn downloads_for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<DownloadRow>> {
    reply_downloads::table
        .filter(reply_downloads::request_id.eq(request_id))
        .order(reply_downloads::created_at.asc())
        .select(DownloadRow::as_select())
        .load(conn)
}

/// Withdraws a released link; false if it was not this request's or already withdrawn.
pub fn revoke_download(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    id: &DownloadId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        reply_downloads::table
            .filter(reply_downloads::id.eq(id))
            .filter(reply_downloads::request_id.eq(request_id))
            .filter(reply_downloads::revoked_at.is_null()),
    )
    .set(reply_downloads::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Takes one download from a link in one statement: only while it is open (not withdrawn, not expired)
/// and has downloads left, so two at once cannot both take the last one. False: nothing taken.
/// Download links still usable (not expired, not revoked) among those made before `before`: while any
/// is, the session key that signed their emails is still needed.
pub fn count_live_made_before(
    conn: &mut AnyConnection,
    before: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    reply_downloads::table
        .filter(reply_downloads::created_at.lt(before))
        .filter(reply_downloads::expires_at.gt(now))
        .filter(reply_downloads::revoked_at.is_null())
        .count()
        .get_result(conn)
}

pub fn take_download(
    conn: &mut AnyConnection,
    id: &DownloadId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        reply_downloads::table
            .filter(reply_downloads::id.eq(id))
            .filter(reply_downloads::revoked_at.is_null())
            .filter(reply_downloads::expires_at.gt(now))
            .filter(reply_downloads::downloads.lt(reply_downloads::max_downloads)),
    )
    .set(reply_downloads::downloads.eq(reply_downloads::downloads + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks the first download; returns whether this was it.
pub fn count_download(
    conn: &mut AnyConnection,
    id: &DownloadId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let first = diesel::update(
        reply_downloads::table
            .filter(reply_downloads::id.eq(id))
            .filter(reply_downloads::first_downloaded_at.is_null()),
    )
    .set(reply_downloads::first_downloaded_at.eq(now))
    .execute(conn)?
        == 1;
    Ok(first)
}

/// The newest reply file of a request that has not been purged.
pub fn latest_reply_file(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Option<FileId>> {
    stored_files::table
        .filter(stored_files::request_id.eq(request_id))
        .filter(stored_files::purpose.eq("reply"))
        .filter(stored_files::purged_at.is_null())
        .order((stored_files::created_at.desc(), stored_files::id.desc()))
        .select(stored_files::id)
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = data_changes)]
pub struct DataChangeRow {
    pub id: DataChangeId,
    pub request_id: RequestId,
    pub action: String,
    pub item: String,
    pub prior_value: Option<String>,
    pub new_value: Option<String>,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    /// The rectification task whose owner recorded it; `None`: recorded at the desk.
    pub task_id: Option<TaskId>,
}

pub fn insert_change(conn: &mut AnyConnection, row: &DataChangeRow) -> QueryResult<()> {
    diesel::insert_into(data_changes::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn changes_for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<DataChangeRow>> {
    data_changes::table
        .filter(data_changes::request_id.eq(request_id))
        .order((data_changes::recorded_at.asc(), data_changes::id.asc()))
        .select(DataChangeRow::as_select())
        .load(conn)
}

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = answer_packages)]
pub struct PackageRow {
    pub id: PackageId,
    pub request_id: RequestId,
    pub size_bytes: i64,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub expires_at: NaiveDateTime,
    pub purged_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl std::fmt::Debug for PackageRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageRow")
            .field("id", &self.id)
            .field("size_bytes", &self.size_bytes)
            .finish_non_exhaustive()
    }
}

pub fn insert_package(conn: &mut AnyConnection, row: &PackageRow) -> QueryResult<()> {
    diesel::insert_into(answer_packages::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_package(conn: &mut AnyConnection, id: &PackageId) -> QueryResult<Option<PackageRow>> {
    answer_packages::table
        .find(id)
        .select(PackageRow::as_select())
        .first(conn)
        .optional()
}

/// Packages whose download has expired and that still hold data.
pub fn expired_packages(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<(PackageId, RequestId)>> {
    answer_packages::table
        .inner_join(requests::table.on(requests::id.eq(answer_packages::request_id)))
        .filter(answer_packages::expires_at.le(now))
        .filter(answer_packages::purged_at.is_null())
        .filter(requests::legal_hold_since.is_null())
        .select((answer_packages::id, answer_packages::request_id))
        .load(conn)
}

pub fn purge_package(
    conn: &mut AnyConnection,
    id: &PackageId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        answer_packages::table
            .filter(answer_packages::id.eq(id))
            .filter(answer_packages::purged_at.is_null()),
    )
    .set((
        answer_packages::nonce.eq(Vec::<u8>::new()),
        answer_packages::ciphertext.eq(Vec::<u8>::new()),
        answer_packages::purged_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Released links not used at all, not withdrawn, expiring between `now` and `until`, not yet reminded.
pub fn expiring_unused(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<(DownloadId, RequestId, NaiveDateTime)>> {
    reply_downloads::table
        .filter(reply_downloads::downloads.eq(0))
        .filter(reply_downloads::revoked_at.is_null())
        .filter(reply_downloads::expiry_notice_at.is_null())
        .filter(reply_downloads::expires_at.gt(now))
        .filter(reply_downloads::expires_at.le(until))
        .select((
            reply_downloads::id,
            reply_downloads::request_id,
            reply_downloads::expires_at,
        ))
        .load(conn)
}

pub fn mark_expiry_notice(
    conn: &mut AnyConnection,
    id: &DownloadId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(reply_downloads::table.filter(reply_downloads::id.eq(id)))
        .set(reply_downloads::expiry_notice_at.eq(now))
        .execute(conn)
        .map(|_| ())
}
