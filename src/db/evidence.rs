//! What requesters send to prove who they are (or that they act for someone), sealed at rest.

use crate::domain::identity::EvidenceKind;
use crate::domain::ids::{EvidenceId, RequestId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::identity_evidence;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = identity_evidence)]
pub struct EvidenceRow {
    pub id: EvidenceId,
    pub request_id: RequestId,
    pub kind: EvidenceKind,
    pub media_type: String,
    pub size_bytes: i64,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub declared_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub purged_at: Option<NaiveDateTime>,
}

/// Never prints contents or the declared name.
impl std::fmt::Debug for EvidenceRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("media_type", &self.media_type)
            .field("size_bytes", &self.size_bytes)
            .finish_non_exhaustive()
    }
}

/// An item's facts without its contents, for listings.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = identity_evidence)]
pub struct EvidenceInfo {
    pub id: EvidenceId,
    pub kind: EvidenceKind,
    pub media_type: String,
    pub size_bytes: i64,
    pub declared_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub purged_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, row: &EvidenceRow) -> QueryResult<()> {
    diesel::insert_into(identity_evidence::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// How many pieces of evidence a request has received (purged ones too: they were received).
pub fn count_for_request(conn: &mut AnyConnection, request_id: &RequestId) -> QueryResult<i64> {
    identity_evidence::table
        .filter(identity_evidence::request_id.eq(request_id))
        .count()
        .get_result(conn)
}

pub fn for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<EvidenceInfo>> {
    identity_evidence::table
        .filter(identity_evidence::request_id.eq(request_id))
        .order((
            identity_evidence::created_at.asc(),
            identity_evidence::id.asc(),
        ))
        .select(EvidenceInfo::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    id: &EvidenceId,
) -> QueryResult<Option<EvidenceRow>> {
    identity_evidence::table
        .filter(identity_evidence::id.eq(id))
        .filter(identity_evidence::request_id.eq(request_id))
        .select(EvidenceRow::as_select())
        .first(conn)
        .optional()
}

/// Empties the contents of a request's items of the given kinds; returns the ids emptied.
pub fn purge(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    kinds: &[EvidenceKind],
    now: NaiveDateTime,
) -> QueryResult<Vec<(String, EvidenceKind)>> {
    let held: Vec<(String, EvidenceKind)> = identity_evidence::table
        .filter(identity_evidence::request_id.eq(request_id))
        .filter(identity_evidence::kind.eq_any(kinds))
        .filter(identity_evidence::purged_at.is_null())
        .select((identity_evidence::id, identity_evidence::kind))
        .load(conn)?;
    if !held.is_empty() {
        diesel::update(
            identity_evidence::table
                .filter(identity_evidence::id.eq_any(held.iter().map(|(id, _)| id)))
                .filter(identity_evidence::purged_at.is_null()),
        )
        .set((
            identity_evidence::nonce.eq(Vec::<u8>::new()),
            identity_evidence::ciphertext.eq(Vec::<u8>::new()),
            identity_evidence::purged_at.eq(now),
        ))
        .execute(conn)?;
    }
    Ok(held)
}
