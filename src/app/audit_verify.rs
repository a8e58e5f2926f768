//! Checking the whole audit log from its rows, as an auditor would: every event's leaf recomputed from
//! its fields, its details against their (salted) digest, the chain's links for the events of the hash
//! chain, the Merkle tree rebuilt leaf by leaf and compared with every signed checkpoint (and with
//! checkpoints kept outside the database), every erasure against its redaction record and the
//! request's closure. It names the first bad event or checkpoint and why, and the era it lies in.
//!
//! One reader holds one snapshot while the pages already read are hashed on every core; the tree is
//! rebuilt in order on the main thread (one node hash per leaf). Memory stays flat: pages, the tree's
//! right edge, and the few erasures and redaction records.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::AppError;
use crate::db::audit::{AuditEventRow, LeafProblem};
use crate::db::tlog::{CheckpointRow, LogState};
use crate::db::{Db, audit, tlog};
use crate::domain::audit::{
    AuditAction, Closure, Era, GENESIS_HASH, REDACTED_DETAILS, RedactionProblem, RedactionRecord,
    erasure_is_timely,
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

const PAGE: i64 = 5_120;
const TILE_WIDTH: i64 = 256;

struct Header {
    state: LogState,
    before_chain: i64,
    pending: i64,
    last_seq: i64,
    checkpoints: Vec<CheckpointRow>,
}

struct Page {
    rows: Vec<AuditEventRow>,
    /// Level-0 tiles (the integrated leaf hashes) covering the page: index → hashes.
    tiles: HashMap<i64, Vec<u8>>,
}

/// One event's checks, computed in parallel.
struct EventCheck {
    leaf: Option<Hash>,
    leaf_problem: Option<LeafProblem>,
    /// Chain era: the recomputed chain hash equals the stored one.
    chain_hash_ok: bool,
    details_ok: bool,
    /// The stored leaf hash (from the tiles), when the event is integrated.
    stored_leaf: Option<Hash>,
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

/// Verifies the whole log, and the checkpoints in `kept` (signed notes kept outside the database).
/// Blocking: run it on a blocking thread.
pub fn verify(db: &Db, kept: &[String]) -> Result<LogReport, AppError> {
    let mut conn = db.conn()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let (header_tx, header_rx) = std::sync::mpsc::sync_channel::<Header>(1);
        let (page_tx, page_rx) = std::sync::mpsc::sync_channel::<Page>(2);
        let (ask_tx, ask_rx) = std::sync::mpsc::sync_channel::<Vec<String>>(1);
        let (closures_tx, closures_rx) = std::sync::mpsc::sync_channel::<Vec<AuditEventRow>>(1);
        // Everything is read in one snapshot: events integrated meanwhile are checked next time, and a
        // busy log never looks cut off.
        let reader = scope.spawn(move || -> Result<(), AppError> {
            crate::db::snapshot_tx(&mut conn, |conn| -> Result<(), AppError> {
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
                let header = Header {
                    before_chain: audit::before_chain_count(conn)?,
                    pending: audit::pending_count(conn)?,
                    last_seq: audit::last_seq(conn)?,
                    state,
                    checkpoints,
                };
                let last = header.last_seq;
                if header_tx.send(header).is_err() {
                    return Ok(());
                }
                let mut after = 0;
                while after < last {
                    let rows = audit::sequenced_between(conn, after, after + PAGE)?;
                    let tiles = tlog::level_tiles(
                        conn,
                        0,
                        after / TILE_WIDTH,
                        (after + PAGE) / TILE_WIDTH + 1,
                    )?
                    .into_iter()
                    .collect();
                    // The verifier stopped at a problem: nothing more to read.
                    if page_tx.send(Page { rows, tiles }).is_err() {
                        return Ok(());
                    }
                    after += PAGE;
                }
                drop(page_tx);
                // The closures of requests with erased events, read in the same snapshot.
                if let Ok(ids) = ask_rx.recv() {
                    let _ = closures_tx.send(audit::closures_of(conn, &ids)?);
                }
                Ok(())
            })
        });
        let Ok(header) = header_rx.recv() else {
            return Err(reader_failed(reader));
        };
        let result = check(&header, page_rx, &ask_tx, &closures_rx, kept, threads);
        drop(ask_tx);
        reader
            .join()
            .map_err(|_| AppError::Definition("the audit reader thread failed".into()))??;
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

fn event_problem(e: &AuditEventRow, seq: i64, era: Era, problem: &'static str) -> Found {
    (
        seq,
        Problem {
            seq: Some(seq),
            id: Some(e.id.clone()),
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
    pages: std::sync::mpsc::Receiver<Page>,
    ask: &std::sync::mpsc::SyncSender<Vec<String>>,
    closures: &std::sync::mpsc::Receiver<Vec<AuditEventRow>>,
    kept: &[String],
    threads: usize,
) -> Result<LogReport, AppError> {
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

    let mut frontier = Frontier::default();
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
    'pages: for page in pages {
        let checks = check_page(&page, chain_size, threads)?;
        for (e, c) in page.rows.iter().zip(checks) {
            let seq = e.seq.unwrap_or_default();
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
            let problem = match (c.leaf_problem, c.leaf) {
                (Some(LeafProblem::WrongEra), _) => Some("era_mismatch"),
                (Some(_), _) | (_, None) => Some("hash_mismatch"),
                _ if era == Era::Chain && e.prev_hash.as_deref() != Some(prev_chain.as_str()) => {
                    Some("prev_hash_mismatch")
                }
                _ if era == Era::Chain && !c.chain_hash_ok => Some("hash_mismatch"),
                (None, Some(leaf)) if c.stored_leaf.is_some_and(|s| s != leaf) => {
                    Some("hash_mismatch")
                }
                _ if seq <= tree_size && c.stored_leaf.is_none() => Some("tile_mismatch"),
                _ => None,
            };
            if let Some(p) = problem {
                found = earliest(found, Some(event_problem(e, seq, era, p)));
                stopped_early = true;
                break 'pages;
            }
            let erased = e.redacted_at.is_some()
                && e.details == REDACTED_DETAILS
                && e.details_salt.is_none();
            if erased {
                erasures.push(Erasure {
                    seq,
                    id: e.id.clone(),
                    request_id: e.request_id.clone(),
                    era,
                });
            } else if !c.details_ok {
                found = earliest(found, Some(event_problem(e, seq, era, "details_mismatch")));
                stopped_early = true;
                break 'pages;
            } else if e.action == AuditAction::RecordsPurged.as_str()
                && let (Some(r), Ok(record)) = (
                    &e.request_id,
                    serde_json::from_str::<RedactionRecord>(&e.details),
                )
            {
                records.entry(r.clone()).or_default().push(Record {
                    seq,
                    era,
                    at: e.occurred_at,
                    record,
                });
            }
            if era == Era::Chain {
                chain_events += 1;
                prev_chain = e.hash.clone().unwrap_or_default();
            }
            if let Some(leaf) = c.leaf {
                frontier.push(leaf);
            }
            if let Some(root) = expected.get(&seq)
                && frontier.root() != *root
            {
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
                rebuilt.insert(seq, frontier.root());
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
    use crate::domain::tlog::CheckpointError;
    let Some(vkey) = vkey else {
        return (
            KeptResult {
                size: None,
                root_hash: None,
                problem: Some("bad_signature"),
            },
            None,
        );
    };
    match open_checkpoint(note, vkey) {
        Ok(cp) => (
            KeptResult {
                size: Some(cp.size),
                root_hash: Some(to_base64(&cp.root)),
                problem: None,
            },
            Some(cp.root),
        ),
        Err(e) => (
            KeptResult {
                size: None,
                root_hash: None,
                problem: Some(match e {
                    CheckpointError::Malformed => "malformed",
                    CheckpointError::WrongOrigin => "wrong_origin",
                    CheckpointError::BadSignature | CheckpointError::BadVerifierKey => {
                        "bad_signature"
                    }
                }),
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

/// Each event of a page checked: leaf, chain hash, details, stored leaf. Split between threads.
fn check_page(page: &Page, chain_size: i64, threads: usize) -> Result<Vec<EventCheck>, AppError> {
    let one = |e: &AuditEventRow, buf: &mut Vec<u8>| -> EventCheck {
        let stored_leaf = e.seq.and_then(|seq| {
            let index = seq - 1;
            let tile = page.tiles.get(&(index / TILE_WIDTH))?;
            let at = (index % TILE_WIDTH) as usize * 32;
            tile.get(at..at + 32)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(Hash)
        });
        let details_ok = e.details_match();
        match e.write_leaf_data(chain_size, buf) {
            Ok(era) => {
                let chain_hash_ok = era == Era::Chain && {
                    use sha2::{Digest, Sha256};
                    let mut hex = [0_u8; 64];
                    let _ = hex::encode_to_slice(Sha256::digest(buf.as_slice()), &mut hex);
                    e.hash.as_deref().map(str::as_bytes) == Some(&hex[..])
                };
                EventCheck {
                    leaf: Some(leaf_hash(buf)),
                    leaf_problem: None,
                    chain_hash_ok,
                    details_ok,
                    stored_leaf,
                }
            }
            Err(p) => EventCheck {
                leaf: None,
                leaf_problem: Some(p),
                chain_hash_ok: false,
                details_ok,
                stored_leaf,
            },
        }
    };
    let run = |rows: &[AuditEventRow]| -> Vec<EventCheck> {
        let mut buf = Vec::with_capacity(512);
        rows.iter().map(|e| one(e, &mut buf)).collect()
    };
    if threads <= 1 || page.rows.len() < 1_000 {
        return Ok(run(&page.rows));
    }
    let chunk = page.rows.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = page
            .rows
            .chunks(chunk)
            .map(|c| s.spawn(move || run(c)))
            .collect();
        let mut all = Vec::with_capacity(page.rows.len());
        for p in parts {
            // A lost part would silently skip events: fail the verification instead.
            all.extend(
                p.join()
                    .map_err(|_| AppError::Definition("an audit hashing thread failed".into()))?,
            );
        }
        Ok(all)
    })
}
