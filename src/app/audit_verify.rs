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

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::AppError;
use crate::db::audit::{AuditEventRow, LeafProblem};
use crate::db::tlog::{CheckpointRow, LogState};
use crate::db::{Db, audit, tlog};
use crate::domain::audit::{
    AuditAction, Closure, Era, GENESIS_HASH, RedactionProblem, RedactionRecord, erasure_is_timely,
};
use crate::domain::tlog::{Frontier, Hash, from_base64, leaf_hash, open_checkpoint, to_base64};

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
    /// for this size), `inconsistent` (the log's events give another root at this size).
    pub problem: Option<&'static str>,
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
const PAGE: i64 = 5_120;
const TILE_WIDTH: i64 = 256;

#[derive(Clone)]
struct Header {
    state: LogState,
    before_chain: i64,
    pending: i64,
    last_seq: i64,
    checkpoints: Vec<CheckpointRow>,
}

/// One event as a reader found it.
struct Fact {
    seq: i64,
    id: Option<String>,
    request_id: Option<String>,
    /// A redaction record (`request.records_purged`).
    record: bool,
    occurred_at: chrono::NaiveDateTime,
    details: Option<String>,
    leaf_problem: Option<LeafProblem>,
    /// Chain era: the recomputed chain hash equals the stored one.
    chain_hash_ok: bool,
    details_ok: bool,
    erased: bool,
    /// The tree holds another leaf at this place than the event's (it changed after integration).
    stored_mismatch: bool,
    /// Integrated, yet the tree holds no leaf at this place.
    tile_missing: bool,
    prev_hash: Option<String>,
    hash: Option<String>,
}

/// One page as a reader checked it.
struct Checked {
    facts: Vec<Fact>,
    /// Each event's leaf hash (the empty-tree hash where it has none: a problem is flagged then).
    leaves: Vec<Hash>,
    /// The roots of the page's whole tiles, in order (when the page's events are consecutive).
    tiles: Vec<Hash>,
}

/// An erased event, its request, and where it sits.
struct Erasure {
    seq: i64,
    id: String,
    request_id: Option<String>,
    era: Era,
}

struct Record {
    seq: i64,
    era: Era,
    at: chrono::NaiveDateTime,
    record: RedactionRecord,
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
        let rows = audit::sequenced_between_for_check(conn, after, after + PAGE)?;
        let tiles: HashMap<i64, Vec<u8>> =
            tlog::level_tiles(conn, 0, after / TILE_WIDTH, (after + PAGE) / TILE_WIDTH)?
                .into_iter()
                .collect();
        let checked = check_page(rows, &tiles, after, chain_size, tree_size);
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
        let result = check(&header, ins, &ask_tx, &closures_rx, kept);
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

/// A problem and where it sits in the log (its sequence number, or a checkpoint's size).
type Found = (i64, Problem);

fn earliest(a: Option<Found>, b: Option<Found>) -> Option<Found> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn fact_problem(f: &Fact, era: Era, problem: &'static str) -> Found {
    (
        f.seq,
        Problem {
            seq: Some(f.seq),
            id: f.id.clone(),
            era: Some(era),
            problem,
            checkpoint: None,
        },
    )
}

fn at_position(
    seq: i64,
    era: Option<Era>,
    problem: &'static str,
    checkpoint: Option<i64>,
) -> Found {
    (
        seq,
        Problem {
            seq: checkpoint.is_none().then_some(seq),
            id: None,
            era,
            problem,
            checkpoint,
        },
    )
}

fn check(
    header: &Header,
    pages: Vec<std::sync::mpsc::Receiver<Checked>>,
    ask: &std::sync::mpsc::SyncSender<Vec<String>>,
    closures: &std::sync::mpsc::Receiver<Vec<AuditEventRow>>,
    kept: &[String],
) -> Result<LogReport, AppError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chain_size = header.state.chain_size;
    let vkey = header.state.verifier_key.clone();
    let tree_size = header.checkpoints.last().map_or(0, |c| c.size);
    let mut found: Option<Found> = None;
    // The roots the rebuilt tree must give: every signed checkpoint's, and every kept one's.
    let mut expected: BTreeMap<i64, Hash> = BTreeMap::new();
    match &vkey {
        None if !header.checkpoints.is_empty() => {
            found = earliest(
                found,
                Some(at_position(
                    0,
                    None,
                    "key_missing",
                    Some(header.checkpoints[0].size),
                )),
            );
        }
        None => {}
        Some(vkey) => {
            for (size, bad) in check_signatures(&header.checkpoints, vkey, threads) {
                if bad {
                    found = earliest(
                        found,
                        Some(at_position(size, None, "bad_signature", Some(size))),
                    );
                }
            }
            for c in &header.checkpoints {
                if let Some(root) = from_base64(&c.root_hash) {
                    expected.insert(c.size, root);
                }
            }
        }
    }
    let mut kept_results: Vec<(KeptResult, Option<Hash>)> = kept
        .iter()
        .map(|note| open_kept(note.as_bytes(), vkey.as_deref()))
        .collect();

    // The tree rebuilt from the readers' whole-tile roots, and the leaves of the tile being filled.
    let mut tiles = Frontier::default();
    let mut tail: Vec<Hash> = Vec::with_capacity(TILE_WIDTH as usize);
    let mut prev_chain = GENESIS_HASH.to_owned();
    let mut expected_seq = 1_i64;
    let mut chain_events = 0_i64;
    let mut erasures: Vec<Erasure> = Vec::new();
    let mut records: HashMap<String, Vec<Record>> = HashMap::new();
    let mut rebuilt: HashMap<i64, Hash> = HashMap::new();
    let kept_sizes: std::collections::BTreeSet<i64> = kept_results
        .iter()
        .filter_map(|(k, _)| k.size.map(|s| s as i64))
        .collect();
    let mut stopped_early = false;
    // Pages come from the readers in turn: page k from reader k mod n.
    let mut turn = 0;
    'pages: while let Ok(page) = pages[turn % pages.len()].recv() {
        turn += 1;
        let mut page_tiles = page.tiles.into_iter();
        for (f, leaf) in page.facts.into_iter().zip(page.leaves) {
            let seq = f.seq;
            if seq != expected_seq {
                found = earliest(
                    found,
                    Some(at_position(
                        expected_seq,
                        Some(Era::of(expected_seq, chain_size)),
                        "missing_event",
                        None,
                    )),
                );
                stopped_early = true;
                break 'pages;
            }
            let era = Era::of(seq, chain_size);
            let problem = match f.leaf_problem {
                Some(LeafProblem::WrongEra) => Some("era_mismatch"),
                Some(LeafProblem::Incomplete) => Some("hash_mismatch"),
                None if era == Era::Chain
                    && f.prev_hash.as_deref() != Some(prev_chain.as_str()) =>
                {
                    Some("prev_hash_mismatch")
                }
                None if era == Era::Chain && !f.chain_hash_ok => Some("hash_mismatch"),
                None if f.stored_mismatch => Some("hash_mismatch"),
                None if f.tile_missing => Some("tile_mismatch"),
                None if !f.erased && !f.details_ok => Some("details_mismatch"),
                None => None,
            };
            if let Some(p) = problem {
                found = earliest(found, Some(fact_problem(&f, era, p)));
                stopped_early = true;
                break 'pages;
            }
            if f.erased {
                erasures.push(Erasure {
                    seq,
                    id: f.id.unwrap_or_default(),
                    request_id: f.request_id,
                    era,
                });
            } else if f.record
                && let (Some(r), Some(Ok(record))) = (
                    f.request_id,
                    f.details
                        .as_deref()
                        .map(serde_json::from_str::<RedactionRecord>),
                )
            {
                records.entry(r).or_default().push(Record {
                    seq,
                    era,
                    at: f.occurred_at,
                    record,
                });
            }
            if era == Era::Chain {
                chain_events += 1;
                prev_chain = f.hash.unwrap_or_default();
            }
            tail.push(leaf);
            if tail.len() == TILE_WIDTH as usize {
                // The reader hashed the whole tile already (when its page was whole).
                let root = page_tiles
                    .next()
                    .unwrap_or_else(|| crate::domain::tlog::subtree_root(&tail));
                tiles.push(root);
                tail.clear();
            }
            let wanted = expected.get(&seq);
            if wanted.is_some() || kept_sizes.contains(&seq) {
                let root = tiles.root_with(&Frontier::of(&tail));
                if wanted.is_some_and(|w| *w != root) {
                    found = earliest(
                        found,
                        Some(at_position(
                            seq,
                            Some(era),
                            "checkpoint_mismatch",
                            Some(seq),
                        )),
                    );
                    stopped_early = true;
                    break 'pages;
                }
                if kept_sizes.contains(&seq) {
                    rebuilt.insert(seq, root);
                }
            }
            expected_seq += 1;
        }
    }
    // Pages past a problem are not read: the reader stops when the channel closes.
    let events = expected_seq - 1;
    if !stopped_early {
        if events < header.last_seq {
            // The pass ended before the last sequence number (a gap at a page's end).
            found = earliest(
                found,
                Some(at_position(
                    events + 1,
                    Some(Era::of(events + 1, chain_size)),
                    "missing_event",
                    None,
                )),
            );
        } else if tree_size > events {
            // A checkpoint covers events that are not there: the log's end was cut off.
            found = earliest(
                found,
                Some(at_position(
                    events + 1,
                    Some(Era::of(events + 1, chain_size)),
                    "missing_event",
                    None,
                )),
            );
        } else if events > tree_size && events > chain_size {
            // A sequence number no checkpoint gave (the chain's own events may still wait for their
            // first integration after an upgrade).
            let first = tree_size.max(chain_size) + 1;
            found = earliest(
                found,
                Some(at_position(first, Some(Era::Tree), "not_covered", None)),
            );
        }
    }
    // Erasures: each needs its record, and the record's request closed long enough before it. (Past a
    // problem the records that follow were not read: erasures are judged on a whole pass only.)
    if !erasures.is_empty() && !stopped_early {
        let mut ids: Vec<String> = erasures
            .iter()
            .filter_map(|e| e.request_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        let closure_rows = if ask.send(ids).is_ok() {
            closures.recv().unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut closed: HashMap<String, Vec<ClosedAt>> = HashMap::new();
        for c in closure_rows {
            let (Some(seq), Some(r)) = (c.seq, c.request_id.clone()) else {
                continue;
            };
            if seq > events || !c.details_match() {
                continue;
            }
            let carried = serde_json::from_str::<Closure>(&c.details)
                .ok()
                .and_then(|d| d.closed_at);
            closed.entry(r).or_default().push(ClosedAt {
                seq,
                at: carried.unwrap_or(c.occurred_at),
                carried_over: carried.is_some(),
            });
        }
        for e in &erasures {
            if let Some(problem) = erasure_problem(e, &records, &closed) {
                let code = match problem {
                    RedactionProblem::Unrecorded => "redaction_unrecorded",
                    RedactionProblem::Premature => "redaction_premature",
                };
                found = earliest(
                    found,
                    Some((
                        e.seq,
                        Problem {
                            seq: Some(e.seq),
                            id: Some(e.id.clone()),
                            era: Some(e.era),
                            problem: code,
                            checkpoint: None,
                        },
                    )),
                );
                break;
            }
        }
    }
    // Checkpoints kept elsewhere: the log must reach them and give their roots.
    for (k, root) in &mut kept_results {
        let (Some(size), Some(root), None) = (k.size, *root, k.problem) else {
            continue;
        };
        let size = size as i64;
        if size > events {
            k.problem = Some("truncated");
        } else if size == 0 {
            if root != crate::domain::tlog::EMPTY_HASH {
                k.problem = Some("inconsistent");
            }
        } else if let Some(r) = rebuilt.get(&size) {
            if *r != root {
                k.problem = Some(if expected.contains_key(&size) {
                    "fork"
                } else {
                    "inconsistent"
                });
            }
        } else if !stopped_early {
            k.problem = Some("inconsistent");
        }
    }
    let first_broken = found.map(|(_, p)| p);
    let kept: Vec<KeptResult> = kept_results.into_iter().map(|(k, _)| k).collect();
    Ok(LogReport {
        intact: first_broken.is_none() && kept.iter().all(|k| k.problem.is_none()),
        events,
        chain_events,
        before_chain: header.before_chain,
        pending: header.pending,
        tree_size,
        root_hash: header.checkpoints.last().map(|c| c.root_hash.clone()),
        checkpoints: header.checkpoints.len() as i64,
        verifier_key: vkey,
        first_broken,
        kept,
    })
}

/// A request's closure in the log: its place, and when the request closed (for closures from before
/// the tree, carried over at the upgrade, the instant they record, later in the log than the chain's
/// own redaction records).
struct ClosedAt {
    seq: i64,
    at: chrono::NaiveDateTime,
    carried_over: bool,
}

/// Why an erasure does not check out, if it does not.
fn erasure_problem(
    e: &Erasure,
    records: &HashMap<String, Vec<Record>>,
    closed: &HashMap<String, Vec<ClosedAt>>,
) -> Option<RedactionProblem> {
    let request = e.request_id.as_ref()?;
    let record = records.get(request).and_then(|rs| {
        rs.iter().find(|r| {
            r.seq > e.seq
                && match (&r.record.redacted_events, r.era) {
                    (Some(ids), _) => ids.contains(&e.id),
                    // A chain-era record erased every chain-era event of its request before it.
                    (None, Era::Chain) => e.era == Era::Chain,
                    (None, Era::Tree) => false,
                }
        })
    });
    let Some(record) = record else {
        return Some(RedactionProblem::Unrecorded);
    };
    let closure = closed.get(request).and_then(|cs| {
        cs.iter()
            .filter(|c| c.seq < record.seq || c.carried_over)
            .max_by_key(|c| c.at)
    });
    match closure {
        Some(c) if erasure_is_timely(c.at, record.at, record.record.retention_months) => None,
        _ => Some(RedactionProblem::Premature),
    }
}

fn open_kept(note: &[u8], vkey: Option<&str>) -> (KeptResult, Option<Hash>) {
    let opened = match vkey {
        Some(vkey) => open_checkpoint(note, vkey).map_err(|e| e.code()),
        // A log that never recorded a key cannot vouch for any checkpoint.
        None => Err("bad_signature"),
    };
    match opened {
        Ok(cp) => (
            KeptResult {
                size: Some(cp.size),
                root_hash: Some(to_base64(&cp.root)),
                problem: None,
            },
            Some(cp.root),
        ),
        Err(code) => (
            KeptResult {
                size: None,
                root_hash: None,
                problem: Some(code),
            },
            None,
        ),
    }
}

/// Each checkpoint's size, and whether its signature or its row fails (checked on every core).
fn check_signatures(checkpoints: &[CheckpointRow], vkey: &str, threads: usize) -> Vec<(i64, bool)> {
    let one = |c: &CheckpointRow| {
        let ok = open_checkpoint(c.note.as_bytes(), vkey)
            .is_ok_and(|cp| cp.size as i64 == c.size && from_base64(&c.root_hash) == Some(cp.root));
        (c.size, !ok)
    };
    if checkpoints.len() < 64 || threads <= 1 {
        return checkpoints.iter().map(one).collect();
    }
    let chunk = checkpoints.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = checkpoints
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| {
                // A lost part would skip checkpoints: count them as failing instead.
                p.join().unwrap_or_default()
            })
            .collect()
    })
}

/// Checks one page's events (`after < seq <= after + PAGE`) against the stored leaves of its tiles:
/// each event's leaf, chain hash and details, and the root of each of the page's whole tiles.
fn check_page(
    rows: Vec<AuditEventRow>,
    stored: &HashMap<i64, Vec<u8>>,
    after: i64,
    chain_size: i64,
    tree_size: i64,
) -> Checked {
    let mut buf = Vec::with_capacity(512);
    let mut leaves = Vec::with_capacity(rows.len());
    let mut facts = Vec::with_capacity(rows.len());
    let whole = rows
        .iter()
        .enumerate()
        .all(|(i, r)| r.seq == Some(after + 1 + i as i64));
    for row in rows {
        let seq = row.seq.unwrap_or_default();
        let index = seq - 1;
        let stored_leaf = stored.get(&(index / TILE_WIDTH)).and_then(|tile| {
            let at = (index % TILE_WIDTH) as usize * 32;
            tile.get(at..at + 32)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(Hash)
        });
        let integrated = seq <= tree_size;
        let e = row.view();
        let details_ok = e.details_match();
        let erased = e.erased();
        let (leaf, leaf_problem, chain_hash_ok) = match e.write_leaf_data(chain_size, &mut buf) {
            Ok(era) => {
                let chain_hash_ok = era == Era::Chain && {
                    use sha2::{Digest, Sha256};
                    let mut hex = [0_u8; 64];
                    let _ = hex::encode_to_slice(Sha256::digest(buf.as_slice()), &mut hex);
                    e.hash.map(str::as_bytes) == Some(&hex[..])
                };
                (leaf_hash(&buf), None, chain_hash_ok)
            }
            Err(p) => (crate::domain::tlog::EMPTY_HASH, Some(p), false),
        };
        let record = e.action == AuditAction::RecordsPurged.as_str();
        leaves.push(leaf);
        facts.push(Fact {
            seq,
            leaf_problem,
            chain_hash_ok,
            details_ok,
            erased,
            stored_mismatch: integrated && stored_leaf.is_some_and(|s| s != leaf),
            tile_missing: integrated && stored_leaf.is_none(),
            record,
            details: record.then_some(row.details),
            // Moved to the main thread, which frees it: freed here, glibc hands memory back to the
            // system page by page and verify spends a quarter more time in the kernel.
            id: Some(row.id),
            request_id: row.request_id.filter(|_| erased || record),
            occurred_at: row.occurred_at,
            prev_hash: row.prev_hash,
            hash: row.hash,
        });
    }
    let tiles = if whole {
        leaves
            .chunks(TILE_WIDTH as usize)
            .filter(|c| c.len() == TILE_WIDTH as usize)
            .map(crate::domain::tlog::subtree_root)
            .collect()
    } else {
        Vec::new()
    };
    Checked {
        facts,
        leaves,
        tiles,
    }
}
