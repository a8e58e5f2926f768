//! The audit log table: append and read, nothing else (the database refuses updates and deletes too).
//! Every append extends the hash chain (see `domain::audit::ChainedEvent`) under the head row's lock.

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;

use super::schema::{audit_chain_head, audit_events};
use super::{AnyConnection, new_id, to_db_time};
use crate::domain::audit::{ChainedEvent, NewAuditEvent};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub action: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub request_id: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub details: String,
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    pub details_sha256: Option<String>,
    /// The details were redacted when the record's retention ended (the digest stays).
    pub redacted_at: Option<NaiveDateTime>,
}

/// The canonical time text the chain hashes.
pub fn chain_time(t: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    // chrono's `format` parses its pattern on every call; the verifier formats millions of times.
    // Years outside four digits and leap seconds take chrono's path, which prints them its own way.
    if !(0..=9999).contains(&t.year()) || t.nanosecond() >= 1_000_000_000 {
        return t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    }
    let mut s = String::with_capacity(26);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1_000
    );
    s
}

#[cfg(test)]
mod chain_time_tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_chrono_format(secs in -70_000_000_000_i64..300_000_000_000, nanos in 0_u32..2_000_000_000) {
            if let Some(t) = chrono::DateTime::from_timestamp(secs, nanos).map(|t| t.naive_utc()) {
                prop_assert_eq!(super::chain_time(t), t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
            }
        }
    }
}

impl AuditEventRow {
    /// The event as the chain hashes it, with the given previous hash.
    pub fn chained<'a>(&'a self, prev_hash: &'a str) -> Option<ChainedEvent<'a>> {
        Some(ChainedEvent {
            seq: self.seq?,
            id: &self.id,
            occurred_at: chain_time(self.occurred_at),
            action: &self.action,
            actor_kind: &self.actor_kind,
            actor_id: self.actor_id.as_deref(),
            request_id: self.request_id.as_deref(),
            from_state: self.from_state.as_deref(),
            to_state: self.to_state.as_deref(),
            details_sha256: self.details_sha256.as_deref()?,
            prev_hash,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewRow<'a> {
    id: String,
    occurred_at: NaiveDateTime,
    action: &'a str,
    actor_kind: &'a str,
    actor_id: Option<String>,
    request_id: Option<&'a str>,
    from_state: Option<&'a str>,
    to_state: Option<&'a str>,
    details: String,
    seq: i64,
    prev_hash: String,
    hash: String,
    details_sha256: String,
}

/// The chain's head as `append` takes it.
#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    hash: String,
}

/// Appends an event at the end of the chain. Runs in its own savepoint (or transaction), taking the
/// head row's lock first, so that concurrent appends queue up instead of forking the chain.
pub fn append(conn: &mut AnyConnection, event: &NewAuditEvent) -> QueryResult<()> {
    conn.transaction(|conn| {
        // The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) and reads the head in
        // the same round trip: every trip made while holding the lock is one all appends wait for.
        let Head {
            seq,
            hash: prev_hash,
        } = diesel::sql_query(
            "UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
        )
        .get_result(conn)?;
        // Stored to the microsecond on both backends: hash what is stored.
        let t = to_db_time(event.occurred_at);
        let occurred_at = t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t);
        let id = new_id();
        let details = event.details.to_string();
        let details_sha256 = crate::domain::audit::details_digest(&details);
        let actor_id = event.actor.id();
        let hash = ChainedEvent {
            seq,
            id: &id,
            occurred_at: chain_time(occurred_at),
            action: event.action.as_str(),
            actor_kind: event.actor.kind(),
            actor_id: actor_id.as_deref(),
            request_id: event.request_id.as_deref(),
            from_state: event.from_state.as_deref(),
            to_state: event.to_state.as_deref(),
            details_sha256: &details_sha256,
            prev_hash: &prev_hash,
        }
        .hash();
        diesel::insert_into(audit_events::table)
            .values(NewRow {
                id,
                occurred_at,
                action: event.action.as_str(),
                actor_kind: event.actor.kind(),
                actor_id,
                request_id: event.request_id.as_deref(),
                from_state: event.from_state.as_deref(),
                to_state: event.to_state.as_deref(),
                details,
                seq,
                prev_hash,
                hash: hash.clone(),
                details_sha256,
            })
            .execute(conn)?;
        diesel::update(audit_chain_head::table.filter(audit_chain_head::id.eq(1)))
            .set(audit_chain_head::hash.eq(hash))
            .execute(conn)?;
        Ok(())
    })
}

pub fn list_for_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> QueryResult<Vec<AuditEventRow>> {
    audit_events::table
        .filter(audit_events::request_id.eq(request_id))
        .order((audit_events::occurred_at.asc(), audit_events::id.asc()))
        .select(AuditEventRow::as_select())
        .load(conn)
}

/// The newest events first.
pub fn list_recent(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<AuditEventRow>> {
    audit_events::table
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(AuditEventRow::as_select())
        .load(conn)
}

/// Chained events after `after_seq`, in order, at most `limit` (keyset pages: each costs the same).
pub fn chained_after(
    conn: &mut AnyConnection,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    audit_events::table
        .filter(audit_events::seq.gt(after_seq))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(AuditEventRow::as_select())
        .load(conn)
}

/// Events from before the chain existed.
pub fn unchained_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    audit_events::table
        .filter(audit_events::seq.is_null())
        .count()
        .get_result(conn)
}

/// The last sequence number and hash.
pub fn head(conn: &mut AnyConnection) -> QueryResult<(i64, String)> {
    audit_chain_head::table
        .filter(audit_chain_head::id.eq(1))
        .select((audit_chain_head::seq, audit_chain_head::hash))
        .first(conn)
}

/// Which events an export covers.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub from: Option<NaiveDateTime>,
    /// Exclusive.
    pub to: Option<NaiveDateTime>,
    pub request_id: Option<String>,
    /// A staff id, or an actor kind (`requester`, `staff`, `system`).
    pub actor: Option<String>,
}

/// Where an export page starts: events from before the chain (in time order) come first, then the
/// chain in sequence order.
#[derive(Debug, Clone)]
pub enum ExportCursor {
    Unchained(Option<(NaiveDateTime, String)>),
    Chained(i64),
}

/// One keyset page of the export after `cursor`.
pub fn export_page(
    conn: &mut AnyConnection,
    filter: &ExportFilter,
    cursor: &ExportCursor,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    let mut q = audit_events::table
        .select(AuditEventRow::as_select())
        .into_boxed();
    if let Some(f) = filter.from {
        q = q.filter(audit_events::occurred_at.ge(f));
    }
    if let Some(t) = filter.to {
        q = q.filter(audit_events::occurred_at.lt(t));
    }
    if let Some(r) = &filter.request_id {
        q = q.filter(audit_events::request_id.eq(r.clone()));
    }
    if let Some(a) = &filter.actor {
        q = match a.as_str() {
            "requester" | "staff" | "system" => q.filter(audit_events::actor_kind.eq(a.clone())),
            _ => q.filter(audit_events::actor_id.eq(a.clone())),
        };
    }
    match cursor {
        ExportCursor::Unchained(after) => {
            q = q.filter(audit_events::seq.is_null());
            if let Some((t, id)) = after {
                q = q.filter(
                    audit_events::occurred_at
                        .gt(*t)
                        .or(audit_events::occurred_at
                            .eq(*t)
                            .and(audit_events::id.gt(id.clone()))),
                );
            }
            q.order((audit_events::occurred_at.asc(), audit_events::id.asc()))
                .limit(limit)
                .load(conn)
        }
        ExportCursor::Chained(after) => q
            .filter(audit_events::seq.gt(*after))
            .order(audit_events::seq.asc())
            .limit(limit)
            .load(conn),
    }
}

/// Redacts the details of a request's chained events (its record's retention ended): the content goes,
/// the digest the chain covers stays. Returns how many events were redacted.
pub fn redact_for_request(
    conn: &mut AnyConnection,
    request_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        audit_events::table
            .filter(audit_events::request_id.eq(request_id))
            .filter(audit_events::redacted_at.is_null())
            .filter(audit_events::details_sha256.is_not_null()),
    )
    .set((
        audit_events::details.eq("{\"redacted\":true}"),
        audit_events::redacted_at.eq(now),
    ))
    .execute(conn)
}
