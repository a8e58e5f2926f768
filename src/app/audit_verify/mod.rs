//! Checking the whole audit log from its rows, as an auditor would: every event's leaf recomputed from
//! its fields, its details against their (salted) digest, the chain's links for the events of the hash
//! chain, the Merkle tree rebuilt leaf by leaf and compared with every signed checkpoint (and with
//! checkpoints kept outside the database), every erasure against its redaction record and the
//! request's closure. It names the first bad event or checkpoint and why, and the era it lies in.
//!
//! Readers on every core (on PostgreSQL each with its own connection, all in one exported snapshot;
//! on SQLite one) take alternate pages, and hash what they read: leaves, details, chain links, and the
//! root of each whole tile of 256 leaves. The main thread takes the pages in order and rebuilds the tree
//! from those tile roots. Memory stays flat: pages in flight, the tree's right edge, and the few erasures
//! and redaction records.

mod erasures;
mod page;
mod walk;

use std::collections::HashMap;

use serde::Serialize;

use super::AppError;
use crate::db::audit::AuditEventRow;
use crate::db::tlog::{CheckpointRow, LogState};
use crate::db::{Db, audit, tlog};
use crate::domain::audit::Era;
use crate::domain::tlog::from_base64;
use page::Checked;

/// What is wrong, where: the first problem found in log order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The event's sequence number (for a missing event, the number that is missing).
    pub seq: Option<i64>,
    pub id: Option<String>,
    /// `chain` (the hash chain written before the tree) or `tree`.
    #[schema(value_type = Option<String>)]
    pub era: Option<Era>,
    /// Stable codes: `missing_event`, `hash_mismatch` (the event's fields changed), `prev_hash_mismatch`
    /// (a chain link), `era_mismatch`, `details_mismatch` (details no longer match their digest),
    /// `redaction_unrecorded` (erased without a redaction record), `redaction_premature` (the record's
    /// request was not closed, by the log's own events, the retention period before it),
    /// `not_covered` (a sequence number no checkpoint gave), `checkpoint_mismatch` (a signed root
    /// differs from the tree rebuilt from the events), `bad_signature`, `tile_mismatch` (the stored
    /// tree differs from the events: proofs would fail), `key_missing`.
    pub problem: &'static str,
    /// The checkpoint concerned (its size), where one is.
    pub checkpoint: Option<i64>,
}

/// A checkpoint kept outside the database, checked against the rebuilt tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KeptResult {
    pub size: Option<u64>,
    pub root_hash: Option<String>,
    /// None when the log extends it; else `malformed`, `bad_signature`, `wrong_origin`, `truncated`
    /// (the log is shorter: events were removed from its end), `fork` (the log signed another root
    /// for this size), `inconsistent` (the log's events give another root at this size),
    /// `lost_in_restore` (signed before the log was restored from an earlier backup).
    pub problem: Option<&'static str>,
    /// For `lost_in_restore`: the backup's last checkpoint's size; the events after it, up to this
    /// checkpoint's size, are not in the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LogReport {
    pub intact: bool,
    /// Sequenced events checked.
    pub events: i64,
    /// Of which written in the hash chain before the tree.
    pub chain_events: i64,
    /// Events written before the log was chained (covered by nothing).
    pub before_chain: i64,
    /// Committed events the sequencer has not integrated yet (the merge window).
    pub pending: i64,
    /// The latest signed checkpoint's size and root.
    pub tree_size: i64,
    pub root_hash: Option<String>,
    pub checkpoints: i64,
    pub verifier_key: Option<String>,
    pub first_broken: Option<Problem>,
    pub kept: Vec<KeptResult>,
}

/// Events per page: a whole number of tiles, so that each page's tiles are its own.
pub(super) const PAGE: i64 = 5_120;
pub(super) const TILE_WIDTH: i64 = 256;

#[derive(Clone)]
pub(super) struct Header {
    pub(super) state: LogState,
    pub(super) before_chain: i64,
    pub(super) pending: i64,
    pub(super) last_seq: i64,
    pub(super) checkpoints: Vec<CheckpointRow>,
    /// Where the log's key changed (rotations, restores).
    pub(super) handovers: Vec<crate::domain::tlog::Handover>,
}

/// Reads the header of the log (in the caller's snapshot).
fn read_header(conn: &mut crate::db::AnyConnection) -> Result<Header, AppError> {
    let state = tlog::state(conn)?;
    let mut checkpoints = Vec::new();
    loop {
        let after = checkpoints.last().map_or(0, |c: &CheckpointRow| c.size);
        let page = tlog::checkpoints_after(conn, after, 10_000)?;
        if page.is_empty() {
            break;
        }
        checkpoints.extend(page);
    }
    Ok(Header {
        before_chain: audit::before_chain_count(conn)?,
        pending: audit::pending_count(conn)?,
        last_seq: audit::last_seq(conn)?,
        handovers: tlog::handovers(conn)?,
        state,
        checkpoints,
    })
}

/// Reads and checks every `readers`-th page from `first`, sending each on `out` until the log ends or
/// the main thread stops listening.
fn read_pages(
    conn: &mut crate::db::AnyConnection,
    first: i64,
    readers: i64,
    last_seq: i64,
    chain_size: i64,
    tree_size: i64,
    out: &std::sync::mpsc::SyncSender<Checked>,
) -> Result<(), AppError> {
    let mut page = first;
    while page * PAGE < last_seq {
        let after = page * PAGE;
        let rows = audit::sequenced_between(conn, after, after + PAGE)?;
        let tiles: HashMap<i64, Vec<u8>> =
            tlog::level_tiles(conn, 0, after / TILE_WIDTH, (after + PAGE) / TILE_WIDTH)?
                .into_iter()
                .collect();
        let checked = page::check_page(rows, &tiles, after, chain_size, tree_size);
        if out.send(checked).is_err() {
            return Ok(());
        }
        page += readers;
    }
    Ok(())
}

/// Verifies the whole log, and the checkpoints in `kept` (signed notes kept outside the database).
/// Blocking: run it on a blocking thread.
pub fn verify(db: &Db, kept: &[String]) -> Result<LogReport, AppError> {
    let mut conn = db.conn()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // PostgreSQL can share one snapshot between connections; SQLite reads on one.
    let readers = match db.backend() {
        crate::db::Backend::Postgres => cores.clamp(1, 4),
        crate::db::Backend::Sqlite => 1,
    };
    std::thread::scope(|scope| {
        let (header_tx, header_rx) = std::sync::mpsc::sync_channel::<Header>(1);
        let (ask_tx, ask_rx) = std::sync::mpsc::sync_channel::<Vec<String>>(1);
        let (closures_tx, closures_rx) = std::sync::mpsc::sync_channel::<Vec<AuditEventRow>>(1);
        let mut outs = Vec::new();
        let mut ins = Vec::new();
        for _ in 0..readers {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Checked>(2);
            outs.push(tx);
            ins.push(rx);
        }
        let (snapshot_tx, snapshot_rx) = std::sync::mpsc::channel::<(String, Header)>();
        let (imported_tx, imported_rx) = std::sync::mpsc::channel::<()>();
        let mut helpers = Vec::new();
        let snapshot_rx = std::sync::Arc::new(std::sync::Mutex::new(snapshot_rx));
        for (r, out) in outs.iter().enumerate().skip(1) {
            let (out, snapshot_rx, imported_tx) =
                (out.clone(), snapshot_rx.clone(), imported_tx.clone());
            let db = db.clone();
            helpers.push(scope.spawn(move || -> Result<(), AppError> {
                let received = snapshot_rx
                    .lock()
                    .map_err(|_| AppError::Definition("snapshot".into()))?
                    .recv();
                let Ok((snapshot, header)) = received else {
                    return Ok(());
                };
                let mut conn = db.conn()?;
                crate::db::imported_snapshot_tx(&mut conn, &snapshot, |conn| {
                    let _ = imported_tx.send(());
                    let tree_size = header.checkpoints.last().map_or(0, |c| c.size);
                    read_pages(
                        conn,
                        r as i64,
                        readers as i64,
                        header.last_seq,
                        header.state.chain_size,
                        tree_size,
                        &out,
                    )
                })
            }));
        }
        drop(imported_tx);
        let lead_out = outs.swap_remove(0);
        drop(outs);
        // Everything is read in one snapshot: events integrated meanwhile are checked next time, and a
        // busy log never looks cut off.
        let lead = scope.spawn(move || -> Result<(), AppError> {
            crate::db::snapshot_tx(&mut conn, |conn| -> Result<(), AppError> {
                let header = read_header(conn)?;
                let (last, chain_size) = (header.last_seq, header.state.chain_size);
                let tree_size = header.checkpoints.last().map_or(0, |c| c.size);
                if readers > 1 {
                    let snapshot = crate::db::export_snapshot(conn)?;
                    for _ in 1..readers {
                        let _ = snapshot_tx.send((snapshot.clone(), header.clone()));
                    }
                    // The snapshot lives while this transaction does: the helpers take it first.
                    for _ in 1..readers {
                        let _ = imported_rx.recv();
                    }
                }
                drop(snapshot_tx);
                if header_tx.send(header).is_err() {
                    return Ok(());
                }
                read_pages(
                    conn,
                    0,
                    readers as i64,
                    last,
                    chain_size,
                    tree_size,
                    &lead_out,
                )?;
                drop(lead_out);
                // The closures of requests with erased events, read in the same snapshot.
                if let Ok(ids) = ask_rx.recv() {
                    let _ = closures_tx.send(audit::closures_of(conn, &ids)?);
                }
                Ok(())
            })
        });
        let Ok(header) = header_rx.recv() else {
            return Err(reader_failed(lead));
        };
        let result = walk::check(&header, ins, &ask_tx, &closures_rx, kept);
        drop(ask_tx);
        lead.join()
            .map_err(|_| AppError::Definition("the audit reader thread failed".into()))??;
        for h in helpers {
            h.join()
                .map_err(|_| AppError::Definition("an audit reader thread failed".into()))??;
        }
        let mut report = result?;
        // Proofs are served from the stored tiles: the latest checkpoint's edge must authenticate.
        if report.first_broken.is_none()
            && let Some(latest) = header.checkpoints.last()
            && latest.size > 0
            && let Some(root) = from_base64(&latest.root_hash)
        {
            let proof = super::audit_proofs::tiles_authenticate(db, latest.size, root);
            if let Err(e) = proof {
                tracing::warn!(error = %e, "audit tiles do not authenticate");
                report.first_broken = Some(Problem {
                    seq: None,
                    id: None,
                    era: None,
                    problem: "tile_mismatch",
                    checkpoint: Some(latest.size),
                });
                report.intact = false;
            }
        }
        Ok(report)
    })
}

fn reader_failed(reader: std::thread::ScopedJoinHandle<'_, Result<(), AppError>>) -> AppError {
    match reader.join() {
        Ok(Err(e)) => e,
        _ => AppError::Definition("the audit reader stopped".into()),
    }
}
