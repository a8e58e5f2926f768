//! Encrypted files and the identity documents recorded from envelopes.

use crate::domain::ids::{DocumentId, FileId, RequestId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{identity_documents, requests, stored_files};

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stored_files)]
pub struct StoredFileRow {
    pub id: FileId,
    pub request_id: RequestId,
    pub purpose: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub purged_at: Option<NaiveDateTime>,
}

impl std::fmt::Debug for StoredFileRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredFileRow")
            .field("id", &self.id)
            .field("purpose", &self.purpose)
            .field("media_type", &self.media_type)
            .field("size_bytes", &self.size_bytes)
            .finish_non_exhaustive()
    }
}

/// A file's facts without its contents, for listings.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stored_files)]
pub struct FileInfo {
    pub id: FileId,
    pub request_id: RequestId,
    pub purpose: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub created_at: NaiveDateTime,
    pub purged_at: Option<NaiveDateTime>,
}

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = identity_documents)]
pub struct IdentityDocumentRow {
    pub id: DocumentId,
    pub request_id: RequestId,
    pub kind: String,
    pub holder: String,
    pub original: bool,
    pub created_on: Option<String>,
    pub file_id: Option<String>,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    /// Rejected by an officer, with why: kept, and no longer counted.
    pub rejected_reason: Option<String>,
    pub rejected_by: Option<String>,
    pub rejected_at: Option<NaiveDateTime>,
}

/// An officer's reason for rejecting a document may describe the person: never in a log.
impl std::fmt::Debug for IdentityDocumentRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityDocumentRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("rejected", &self.rejected_at.is_some())
            .finish_non_exhaustive()
    }
}

pub fn insert_file(conn: &mut AnyConnection, row: &StoredFileRow) -> QueryResult<()> {
    diesel::insert_into(stored_files::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_file(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    id: &FileId,
) -> QueryResult<Option<StoredFileRow>> {
    stored_files::table
        .filter(stored_files::id.eq(id))
        .filter(stored_files::request_id.eq(request_id))
        .select(StoredFileRow::as_select())
        .first(conn)
        .optional()
}

pub fn files_for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<FileInfo>> {
    stored_files::table
        .filter(stored_files::request_id.eq(request_id))
        .order(stored_files::created_at.asc())
        .select(FileInfo::as_select())
        .load(conn)
}

pub fn insert_document(conn: &mut AnyConnection, row: &IdentityDocumentRow) -> QueryResult<()> {
    diesel::insert_into(identity_documents::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Marks a document rejected with its reason; false if it was already rejected (or is not the request's).
pub fn reject_document(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    id: &DocumentId,
    reason: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        identity_documents::table
            .filter(identity_documents::request_id.eq(request_id))
            .filter(identity_documents::id.eq(id))
            .filter(identity_documents::rejected_at.is_null()),
    )
    .set((
        identity_documents::rejected_reason.eq(reason),
        identity_documents::rejected_by.eq(by),
        identity_documents::rejected_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn documents_for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<IdentityDocumentRow>> {
    identity_documents::table
        .filter(identity_documents::request_id.eq(request_id))
        .order((
            identity_documents::recorded_at.asc(),
            identity_documents::id.asc(),
        ))
        .select(IdentityDocumentRow::as_select())
        .load(conn)
}

/// Files of requests closed before `closed_before` that still hold contents.
pub fn purgeable(
    conn: &mut AnyConnection,
    closed_before: NaiveDateTime,
) -> QueryResult<Vec<FileInfo>> {
    stored_files::table
        .inner_join(requests::table)
        .filter(requests::closed_at.lt(closed_before))
        .filter(requests::legal_hold_since.is_null())
        .filter(stored_files::purged_at.is_null())
        .select(FileInfo::as_select())
        .load(conn)
}

/// Empties a file's contents; false if it was already purged.
pub fn purge_file(conn: &mut AnyConnection, id: &FileId, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        stored_files::table
            .filter(stored_files::id.eq(id))
            .filter(stored_files::purged_at.is_null()),
    )
    .set((
        stored_files::nonce.eq(Vec::<u8>::new()),
        stored_files::ciphertext.eq(Vec::<u8>::new()),
        stored_files::purged_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
