//! The audit log table. Writers append events without a sequence number, each committing to its details
//! with a random salt; the sequencer (`app::sequencer`) numbers committed events into the Merkle tree;
//! retention erases details under a redaction record. The database refuses every other change.

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;

use super::schema::audit_events;
use super::{AnyConnection, new_id, to_db_time};
use crate::domain::audit::{
    AuditAction, ChainedEvent, Era, LeafEvent, NewAuditEvent, REDACTED_DETAILS,
};
use crate::domain::code::Code;

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
    /// The event's place in the log (its leaf index is `seq - 1`); none until the sequencer integrates
    /// it, and none for events written before the hash chain existed.
    pub seq: Option<i64>,
    /// Hash-chain era only: the chain link and the event's chain hash.
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    pub details_sha256: Option<String>,
    /// The details were erased when the record's retention ended (the digest stays).
    pub redacted_at: Option<NaiveDateTime>,
    /// Tree era: the random salt the digest covers with the details (erased with them).
    pub details_salt: Option<String>,
    /// When the writer committed it, and when the sequencer integrated it (the checkpoint's signing):
    /// together, the merge delay.
    pub committed_at: Option<NaiveDateTime>,
    pub integrated_at: Option<NaiveDateTime>,
}

/// The canonical time text the log hashes.
pub fn chain_time(t: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    // chrono's `format` parses its pattern on every call, and `write!` goes through `fmt`: the verifier
    // formats millions of times. Years outside four digits and leap seconds take chrono's path, which
    // prints them its own way.
    let year = t.year();
    if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 {
        return t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    }
    let mut b = *b"0000-00-00T00:00:00.000000";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year.unsigned_abs());
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 6, t.nanosecond() / 1_000);
    b.iter().map(|&c| char::from(c)).collect()
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

/// Why a stored event cannot be the leaf it claims to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafProblem {
    /// A field the leaf needs is missing (sequence number, digest, chain link).
    Incomplete,
    /// A chain link on an event after the chain, or none on one inside it.
    WrongEra,
}

/// An event's stored fields, borrowed: what its leaf and its details' digest are computed from.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    pub seq: Option<i64>,
    pub id: &'a str,
    pub occurred_at: NaiveDateTime,
    pub action: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub details: &'a str,
    pub prev_hash: Option<&'a str>,
    pub hash: Option<&'a str>,
    pub details_sha256: Option<&'a str>,
    pub details_salt: Option<&'a str>,
    pub redacted: bool,
}

impl<'a> EventView<'a> {
    /// The event as the chain hashed it, with the given previous hash (chain era).
    pub fn chained(&self, prev_hash: &'a str) -> Option<ChainedEvent<'a>> {
        Some(self.leaf_event()?.in_chain(prev_hash))
    }

    /// The event as its tree leaf holds it (tree era).
    pub fn leaf_event(&self) -> Option<LeafEvent<'a>> {
        Some(LeafEvent {
            seq: self.seq?,
            id: self.id,
            occurred_at: chain_time(self.occurred_at),
            action: self.action,
            actor_kind: self.actor_kind,
            actor_id: self.actor_id,
            request_id: self.request_id,
            from_state: self.from_state,
            to_state: self.to_state,
            details_sha256: self.details_sha256?,
        })
    }

    /// Writes the event's leaf data into `buf`: the chain's canonical form (with the stored link) for
    /// chain-era events, the tree's for the others.
    pub fn write_leaf_data(&self, chain_size: i64, buf: &mut Vec<u8>) -> Result<Era, LeafProblem> {
        let seq = self.seq.ok_or(LeafProblem::Incomplete)?;
        match Era::of(seq, chain_size) {
            Era::Chain => {
                let prev = self.prev_hash.ok_or(LeafProblem::WrongEra)?;
                self.chained(prev)
                    .ok_or(LeafProblem::Incomplete)?
                    .write_canonical(buf);
                Ok(Era::Chain)
            }
            Era::Tree => {
                if self.prev_hash.is_some() || self.hash.is_some() {
                    return Err(LeafProblem::WrongEra);
                }
                self.leaf_event()
                    .ok_or(LeafProblem::Incomplete)?
                    .write_leaf_data(buf);
                Ok(Era::Tree)
            }
        }
    }

    /// Whether the stored details are still the ones the digest commits to (chain era: unsalted).
    pub fn details_match(&self) -> bool {
        let Some(digest) = self.details_sha256 else {
            return false;
        };
        let computed = match self.details_salt {
            Some(salt) => match crate::domain::audit::parse_salt(salt) {
                Some(salt) => crate::domain::audit::salted_details_digest_hex(&salt, self.details),
                None => return false,
            },
            None => crate::domain::audit::details_digest_hex(self.details),
        };
        digest.as_bytes() == computed
    }

    /// Whether the details were erased: marked, their text the marker, no salt left.
    pub fn erased(&self) -> bool {
        self.redacted && self.details == REDACTED_DETAILS && self.details_salt.is_none()
    }
}

impl AuditEventRow {
    pub fn view(&self) -> EventView<'_> {
        EventView {
            seq: self.seq,
            id: &self.id,
            occurred_at: self.occurred_at,
            action: &self.action,
            actor_kind: &self.actor_kind,
            actor_id: self.actor_id.as_deref(),
            request_id: self.request_id.as_deref(),
            from_state: self.from_state.as_deref(),
            to_state: self.to_state.as_deref(),
            details: &self.details,
            prev_hash: self.prev_hash.as_deref(),
            hash: self.hash.as_deref(),
            details_sha256: self.details_sha256.as_deref(),
            details_salt: self.details_salt.as_deref(),
            redacted: self.redacted_at.is_some(),
        }
    }

    /// Writes the event's leaf data into `buf` (see `EventView::write_leaf_data`).
    pub fn write_leaf_data(&self, chain_size: i64, buf: &mut Vec<u8>) -> Result<Era, LeafProblem> {
        self.view().write_leaf_data(chain_size, buf)
    }

    /// The leaf data, allocated.
    pub fn leaf_data(&self, chain_size: i64) -> Result<Vec<u8>, LeafProblem> {
        let mut buf = Vec::with_capacity(320);
        self.write_leaf_data(chain_size, &mut buf)?;
        Ok(buf)
    }

    /// Whether the stored details are still the ones the digest commits to.
    pub fn details_match(&self) -> bool {
        self.view().details_match()
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
    details_sha256: String,
    details_salt: String,
    committed_at: NaiveDateTime,
}

/// Appends an event inside the caller's transaction, committing with it. It takes no shared lock: the
/// event waits, unsequenced, for the sequencer.
pub fn append(conn: &mut AnyConnection, event: &NewAuditEvent) -> QueryResult<()> {
    append_returning_id(conn, event).map(|_| ())
}

/// `append`, returning the new event's id.
pub fn append_returning_id(conn: &mut AnyConnection, event: &NewAuditEvent) -> QueryResult<String> {
    // Stored to the microsecond on both backends: hash what is stored.
    let t = to_db_time(event.occurred_at);
    let occurred_at = t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t);
    let id = new_id();
    let details = event.details.to_string();
    let salt = crate::security::tokens::random_bytes::<32>();
    let details_sha256 = crate::domain::audit::salted_details_digest(&salt, &details);
    diesel::insert_into(audit_events::table)
        .values(NewRow {
            id: id.clone(),
            occurred_at,
            action: event.action.as_str(),
            actor_kind: event.actor.kind(),
            actor_id: event.actor.id(),
            request_id: event.request_id.as_deref(),
            from_state: event.from_state.as_deref(),
            to_state: event.to_state.as_deref(),
            details,
            details_sha256,
            details_salt: hex::encode(salt),
            // The merge delay is a wall-clock figure, whatever clock the use case runs on.
            committed_at: to_db_time(chrono::Utc::now()),
        })
        .execute(conn)?;
    Ok(id)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<AuditEventRow>> {
    audit_events::table
        .find(id)
        .select(AuditEventRow::as_select())
        .first(conn)
        .optional()
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

/// Committed events waiting for the sequencer, oldest id first (ids are time-ordered).
pub fn pending(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<AuditEventRow>> {
    audit_events::table
        .filter(audit_events::seq.is_null())
        .filter(audit_events::details_sha256.is_not_null())
        .order(audit_events::id.asc())
        .limit(limit)
        .select(AuditEventRow::as_select())
        .load(conn)
}

/// Whether the sequencer has work: a committed event without a number, or chain events (from before the
/// tree) not yet in it.
pub fn anything_to_integrate(conn: &mut AnyConnection) -> QueryResult<bool> {
    let waiting = diesel::select(diesel::dsl::exists(
        audit_events::table
            .filter(audit_events::seq.is_null())
            .filter(audit_events::details_sha256.is_not_null()),
    ))
    .get_result::<bool>(conn)?;
    if waiting {
        return Ok(true);
    }
    let chain = super::tlog::state(conn)?.chain_size;
    Ok(chain > 0 && super::tlog::latest_checkpoint(conn)?.is_none_or(|c| c.size < chain))
}

pub fn pending_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    audit_events::table
        .filter(audit_events::seq.is_null())
        .filter(audit_events::details_sha256.is_not_null())
        .count()
        .get_result(conn)
}

/// Events written before the hash chain existed (covered by nothing).
pub fn before_chain_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    audit_events::table
        .filter(audit_events::details_sha256.is_null())
        .count()
        .get_result(conn)
}

/// The highest sequence number given.
pub fn last_seq(conn: &mut AnyConnection) -> QueryResult<i64> {
    audit_events::table
        .select(diesel::dsl::max(audit_events::seq))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// The merge delays (ms) of the last `n` events the sequencer integrated (none if none).
pub fn recent_merge_delays_ms(conn: &mut AnyConnection, n: i64) -> QueryResult<Option<Vec<i64>>> {
    let rows: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = audit_events::table
        .filter(audit_events::integrated_at.is_not_null())
        .order(audit_events::seq.desc())
        .limit(n)
        .select((audit_events::committed_at, audit_events::integrated_at))
        .load(conn)?;
    let delays: Vec<i64> = rows
        .into_iter()
        .filter_map(|(c, i)| Some((i? - c?).num_milliseconds().max(0)))
        .collect();
    Ok((!delays.is_empty()).then_some(delays))
}

/// Sequenced events with `after < seq <= up_to`, in order, without their merge-delay instants (none of
/// their readers needs them, and the verifier reads millions: nothing is sent or decoded for them).
pub fn sequenced_between(
    conn: &mut AnyConnection,
    after: i64,
    up_to: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    use audit_events::dsl as e;
    type Row = (
        String,
        NaiveDateTime,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDateTime>,
        Option<String>,
    );
    let rows: Vec<Row> = audit_events::table
        .filter(e::seq.gt(after))
        .filter(e::seq.le(up_to))
        .order(e::seq.asc())
        .select((
            e::id,
            e::occurred_at,
            e::action,
            e::actor_kind,
            e::actor_id,
            e::request_id,
            e::from_state,
            e::to_state,
            e::details,
            e::seq,
            e::prev_hash,
            e::hash,
            e::details_sha256,
            e::redacted_at,
            e::details_salt,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEventRow {
            id: r.0,
            occurred_at: r.1,
            action: r.2,
            actor_kind: r.3,
            actor_id: r.4,
            request_id: r.5,
            from_state: r.6,
            to_state: r.7,
            details: r.8,
            seq: r.9,
            prev_hash: r.10,
            hash: r.11,
            details_sha256: r.12,
            redacted_at: r.13,
            details_salt: r.14,
            committed_at: None,
            integrated_at: None,
        })
        .collect())
}

/// Gives pending events their sequence numbers, all or none; returns how many were numbered.
pub fn assign_seqs(
    conn: &mut AnyConnection,
    numbered: &[(String, i64)],
    integrated_at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut done = 0;
    // One statement per slice keeps round trips few (ids are kaiji's own UUIDs, still quoted).
    for chunk in numbered.chunks(500) {
        let cases: String = chunk
            .iter()
            .map(|(id, seq)| format!(" WHEN '{}' THEN {seq}", id.replace('\'', "''")))
            .collect();
        let ids: Vec<String> = chunk
            .iter()
            .map(|(id, _)| format!("'{}'", id.replace('\'', "''")))
            .collect();
        done += diesel::sql_query(format!(
            "UPDATE audit_events SET seq = CASE id{cases} END, integrated_at = '{}' \
             WHERE seq IS NULL AND id IN ({})",
            integrated_at.format("%Y-%m-%d %H:%M:%S%.6f"),
            ids.join(", ")
        ))
        .execute(conn)?;
    }
    Ok(done)
}

/// The `request.closed` events of these requests that are in the log.
pub fn closures_of(
    conn: &mut AnyConnection,
    request_ids: &[String],
) -> QueryResult<Vec<AuditEventRow>> {
    let mut out = Vec::new();
    for chunk in request_ids.chunks(500) {
        out.extend(
            audit_events::table
                .filter(audit_events::request_id.eq_any(chunk))
                .filter(audit_events::action.eq(AuditAction::RequestClosed.as_str()))
                .filter(audit_events::seq.is_not_null())
                .select(AuditEventRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Gives every request closed before the log recorded closures its `request.closed` event, once (at
/// the upgrade to the tree), so that retention's erasures can be checked against the log alone. The
/// closing instant is the request row's, as the database holds it at the upgrade. Returns how many.
pub fn carry_over_closures(conn: &mut AnyConnection) -> QueryResult<usize> {
    use super::schema::requests;
    use crate::domain::audit::{Actor, Closure};
    if super::tlog::state(conn)?.closures_carried_at.is_some() {
        return Ok(0);
    }
    let now = chrono::Utc::now();
    let mut carried = 0;
    let mut after: Option<(NaiveDateTime, String)> = None;
    loop {
        let mut q = requests::table
            .filter(requests::closed_at.is_not_null())
            .select((
                requests::id,
                requests::state,
                requests::closed_at.assume_not_null(),
            ))
            .order((requests::closed_at.asc(), requests::id.asc()))
            .limit(2_000)
            .into_boxed();
        if let Some((t, id)) = &after {
            q = q.filter(
                requests::closed_at
                    .gt(*t)
                    .or(requests::closed_at.eq(*t).and(requests::id.gt(id.clone()))),
            );
        }
        let chunk: Vec<(String, String, NaiveDateTime)> = q.load(conn)?;
        let Some(last) = chunk.last() else { break };
        after = Some((last.2, last.0.clone()));
        let ids: Vec<&str> = chunk.iter().map(|(id, _, _)| id.as_str()).collect();
        let have: std::collections::HashSet<String> = audit_events::table
            .filter(audit_events::request_id.eq_any(&ids))
            .filter(audit_events::action.eq(AuditAction::RequestClosed.as_str()))
            .select(audit_events::request_id.assume_not_null())
            .load::<String>(conn)?
            .into_iter()
            .collect();
        conn.transaction(|conn| {
            for (id, state, closed_at) in chunk.iter().filter(|(id, _, _)| !have.contains(id)) {
                let closure = Closure {
                    state: state.clone(),
                    closed_at: Some(*closed_at),
                };
                append(
                    conn,
                    &NewAuditEvent::new(AuditAction::RequestClosed, Actor::System("upgrade"), now)
                        .for_request(id)
                        .states(None, Some(state))
                        .details(serde_json::to_value(&closure).unwrap_or_default()),
                )?;
                carried += 1;
            }
            QueryResult::Ok(())
        })?;
    }
    super::tlog::mark_closures_carried(conn, to_db_time(now))?;
    Ok(carried)
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

/// Where an export page starts: events from before the chain (in time order) come first, then the log
/// in sequence order up to the checkpoint the export ends with.
#[derive(Debug, Clone)]
pub enum ExportCursor {
    BeforeChain(Option<(NaiveDateTime, String)>),
    Sequenced { after: i64, up_to: i64 },
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
        ExportCursor::BeforeChain(after) => {
            q = q.filter(audit_events::details_sha256.is_null());
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
        ExportCursor::Sequenced { after, up_to } => q
            .filter(audit_events::seq.gt(*after))
            .filter(audit_events::seq.le(*up_to))
            .order(audit_events::seq.asc())
            .limit(limit)
            .load(conn),
    }
}

/// A request's events whose details retention may erase: integrated, not erased yet, and not the
/// closure and redaction records (their details hold no personal data, and verification needs them).
pub fn erasable_for_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> QueryResult<Vec<String>> {
    audit_events::table
        .filter(audit_events::request_id.eq(request_id))
        .filter(audit_events::redacted_at.is_null())
        .filter(audit_events::seq.is_not_null())
        .filter(audit_events::details_sha256.is_not_null())
        .filter(audit_events::action.ne_all([
            AuditAction::RequestClosed.as_str(),
            AuditAction::RecordsPurged.as_str(),
        ]))
        .order(audit_events::seq.asc())
        .select(audit_events::id)
        .load(conn)
}

/// Erases these events' details and salts (their redaction record must already be in the log: the
/// database checks). Returns how many were erased.
pub fn erase(conn: &mut AnyConnection, ids: &[String], now: NaiveDateTime) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        n += diesel::update(
            audit_events::table
                .filter(audit_events::id.eq_any(chunk))
                .filter(audit_events::redacted_at.is_null()),
        )
        .set((
            audit_events::details.eq(REDACTED_DETAILS),
            audit_events::details_salt.eq(None::<String>),
            audit_events::redacted_at.eq(now),
        ))
        .execute(conn)?;
    }
    Ok(n)
}
