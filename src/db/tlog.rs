//! The audit log's tree and checkpoints: the log's state row (the chain's size, the recorded key), the
//! tiles (C2SP tlog-tiles of height 8, partial tiles growing in place), the signed checkpoints, and the
//! lock that keeps one sequencer at a time.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{audit_checkpoints, audit_key_handovers, audit_log_state, audit_tiles};
use crate::domain::tlog::Handover;
use crate::domain::tlog::StoredTile;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log_state)]
pub struct LogState {
    pub id: i32,
    /// Events of the hash chain, the tree's first leaves (zero for a log begun as a tree).
    pub chain_size: i64,
    /// The log's name and verifier key, recorded when a sequencer first signed.
    pub origin: Option<String>,
    pub verifier_key: Option<String>,
    pub key_recorded_at: Option<NaiveDateTime>,
    /// When closures from before the tree were carried into it (once).
    pub closures_carried_at: Option<NaiveDateTime>,
}

pub fn state(conn: &mut AnyConnection) -> QueryResult<LogState> {
    audit_log_state::table
        .filter(audit_log_state::id.eq(1))
        .select(LogState::as_select())
        .first(conn)
}

/// Records the log's name and key on first use; returns false if one was recorded already.
pub fn record_key(
    conn: &mut AnyConnection,
    origin: &str,
    verifier_key: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        audit_log_state::table
            .filter(audit_log_state::id.eq(1))
            .filter(audit_log_state::verifier_key.is_null()),
    )
    .set((
        audit_log_state::origin.eq(origin),
        audit_log_state::verifier_key.eq(verifier_key),
        audit_log_state::key_recorded_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The log's key handovers, by size.
pub fn handovers(conn: &mut AnyConnection) -> QueryResult<Vec<Handover>> {
    let rows: Vec<(i64, String, String, Option<i64>)> = audit_key_handovers::table
        .order(audit_key_handovers::size.asc())
        .select((
            audit_key_handovers::size,
            audit_key_handovers::previous_verifier_key,
            audit_key_handovers::verifier_key,
            audit_key_handovers::backup_size,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, previous, next, backup_size)| Handover {
            at: at.max(0) as u64,
            previous,
            next,
            backup_size: backup_size.map(|b| b.max(0) as u64),
        })
        .collect())
}

/// Hands the log over at the newest checkpoint (of size `h.at`): to a rotated key (that checkpoint
/// signed by both), or, after a restore, to a new name (`origin`). Recorded, and the log's key is the
/// new one from now on. Inside the sequencer's transaction.
pub fn hand_over(
    conn: &mut AnyConnection,
    h: &Handover,
    origin: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(audit_key_handovers::table)
        .values((
            audit_key_handovers::size.eq(h.at as i64),
            audit_key_handovers::previous_verifier_key.eq(&h.previous),
            audit_key_handovers::verifier_key.eq(&h.next),
            audit_key_handovers::kind.eq(if h.backup_size.is_some() {
                "restore"
            } else {
                "rotation"
            }),
            audit_key_handovers::backup_size.eq(h.backup_size.map(|b| b as i64)),
            audit_key_handovers::handed_over_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(audit_log_state::table.filter(audit_log_state::id.eq(1)))
        .set((
            audit_log_state::origin.eq(origin),
            audit_log_state::verifier_key.eq(&h.next),
            audit_log_state::key_recorded_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn mark_closures_carried(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        audit_log_state::table
            .filter(audit_log_state::id.eq(1))
            .filter(audit_log_state::closures_carried_at.is_null()),
    )
    .set(audit_log_state::closures_carried_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_checkpoints)]
pub struct CheckpointRow {
    pub size: i64,
    /// Base64, as in the note.
    pub root_hash: String,
    /// The signed note (C2SP tlog-checkpoint).
    pub note: String,
    pub signed_at: NaiveDateTime,
}

pub fn latest_checkpoint(conn: &mut AnyConnection) -> QueryResult<Option<CheckpointRow>> {
    audit_checkpoints::table
        .order(audit_checkpoints::size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

pub fn checkpoint(conn: &mut AnyConnection, size: i64) -> QueryResult<Option<CheckpointRow>> {
    audit_checkpoints::table
        .find(size)
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

/// Checkpoints larger than `after`, smallest first, at most `limit` (keyset pages).
pub fn checkpoints_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<CheckpointRow>> {
    audit_checkpoints::table
        .filter(audit_checkpoints::size.gt(after))
        .order(audit_checkpoints::size.asc())
        .limit(limit)
        .select(CheckpointRow::as_select())
        .load(conn)
}

pub fn insert_checkpoint(conn: &mut AnyConnection, row: &CheckpointRow) -> QueryResult<()> {
    diesel::insert_into(audit_checkpoints::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The stored hashes of these tiles, in the order asked (`None` where a tile is not stored).
pub fn tiles(conn: &mut AnyConnection, wanted: &[(u8, u64)]) -> QueryResult<Vec<Option<Vec<u8>>>> {
    let mut found = std::collections::HashMap::new();
    let mut by_level: std::collections::BTreeMap<u8, Vec<i64>> = Default::default();
    for &(level, index) in wanted {
        by_level
            .entry(level)
            .or_default()
            .push(i64::try_from(index).unwrap_or(i64::MAX));
    }
    for (level, indexes) in by_level {
        let rows: Vec<(i64, Vec<u8>)> = audit_tiles::table
            .filter(audit_tiles::level.eq(i32::from(level)))
            .filter(audit_tiles::idx.eq_any(indexes))
            .select((audit_tiles::idx, audit_tiles::hashes))
            .load(conn)?;
        for (idx, hashes) in rows {
            found.insert((level, idx as u64), hashes);
        }
    }
    Ok(wanted.iter().map(|k| found.remove(k)).collect())
}

/// The tiles of one level with `from <= idx < to`, in order.
pub fn level_tiles(
    conn: &mut AnyConnection,
    level: u8,
    from: i64,
    to: i64,
) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    audit_tiles::table
        .filter(audit_tiles::level.eq(i32::from(level)))
        .filter(audit_tiles::idx.ge(from))
        .filter(audit_tiles::idx.lt(to))
        .order(audit_tiles::idx.asc())
        .select((audit_tiles::idx, audit_tiles::hashes))
        .load(conn)
}

/// Writes tiles an append changed: a grown partial tile in place, a new one inserted.
pub fn write_tiles(conn: &mut AnyConnection, tiles: &[StoredTile]) -> QueryResult<()> {
    for t in tiles {
        let (level, idx) = (i32::from(t.level), t.index as i64);
        let updated = diesel::update(
            audit_tiles::table
                .filter(audit_tiles::level.eq(level))
                .filter(audit_tiles::idx.eq(idx)),
        )
        .set(audit_tiles::hashes.eq(&t.hashes))
        .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(audit_tiles::table)
                .values((
                    audit_tiles::level.eq(level),
                    audit_tiles::idx.eq(idx),
                    audit_tiles::hashes.eq(&t.hashes),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Takes the sequencer's lock for the current transaction; false if another instance holds it. On
/// PostgreSQL an advisory lock released at commit; on SQLite the write transaction is the lock.
pub fn try_sequencer_lock(conn: &mut AnyConnection) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    match conn {
        AnyConnection::Postgresql(_) => {
            // "kaijiaud" as a number: one key for every kaiji instance on this database.
            diesel::sql_query("SELECT pg_try_advisory_xact_lock(7739454087113679204) AS locked")
                .get_result::<Locked>(conn)
                .map(|l| l.locked)
        }
        AnyConnection::Sqlite(_) => Ok(true),
    }
}
