//! The main thread's walk through the log: pages in order, every problem in log order, the tree
//! rebuilt from whole tiles and compared with every signed and kept checkpoint, then the erasures.

use std::collections::{BTreeMap, HashMap};

use super::erasures::{self, Erasure, Record};
use super::page::{Checked, Fact};
use super::{Header, KeptResult, LogReport, Problem, TILE_WIDTH};
use crate::app::AppError;
use crate::db::audit::{AuditEventRow, LeafProblem};
use crate::db::tlog::CheckpointRow;
use crate::domain::audit::{Era, GENESIS_HASH, RedactionRecord};
use crate::domain::tlog::{Frontier, Hash, KeyHistory, from_base64, to_base64};

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
            id: Some(f.id.clone()),
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

pub(super) fn check(
    header: &Header,
    pages: Vec<std::sync::mpsc::Receiver<Checked>>,
    ask: &std::sync::mpsc::SyncSender<Vec<String>>,
    closures: &std::sync::mpsc::Receiver<Vec<AuditEventRow>>,
    kept: &[String],
) -> Result<LogReport, AppError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chain_size = header.state.chain_size;
    let vkey = header.state.verifier_key.clone();
    // Each checkpoint verifies under the key of its size (a rotated key's handover under both).
    let history = vkey
        .clone()
        .map(|k| KeyHistory::new(k, header.handovers.clone()));
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
        Some(_) => {
            let history = history.as_ref().expect("a key was recorded");
            for (size, bad) in check_signatures(&header.checkpoints, history, threads) {
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
        .map(|note| open_kept(note.as_bytes(), history.as_ref()))
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
                    id: f.id,
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
        if events < header.last_seq.max(tree_size) {
            // Numbers given (or covered by a checkpoint) that no event holds: the log's end was cut.
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
        let closed = erasures::closures(closure_rows, events);
        found = earliest(found, erasures::first_problem(&erasures, &records, &closed));
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

fn open_kept(note: &[u8], history: Option<&KeyHistory>) -> (KeptResult, Option<Hash>) {
    use crate::domain::tlog::CheckpointError;
    let opened = match history {
        Some(history) => history.open(note),
        // A log that never recorded a key cannot vouch for any checkpoint.
        None => Err(CheckpointError::BadSignature),
    };
    match opened {
        Ok(cp) => (
            KeptResult {
                size: Some(cp.size),
                root_hash: Some(to_base64(&cp.root)),
                problem: None,
                lost_after: None,
            },
            Some(cp.root),
        ),
        Err(e) => {
            let (size, lost_after) = match e {
                CheckpointError::LostInRestore { size, backup_size } => {
                    (Some(size), Some(backup_size))
                }
                _ => (None, None),
            };
            (
                KeptResult {
                    size,
                    root_hash: None,
                    problem: Some(e.code()),
                    lost_after,
                },
                None,
            )
        }
    }
}

/// Each checkpoint's size, and whether its signature or its row fails (checked on every core).
fn check_signatures(
    checkpoints: &[CheckpointRow],
    history: &KeyHistory,
    threads: usize,
) -> Vec<(i64, bool)> {
    let one = |c: &CheckpointRow| {
        let ok = history
            .open(c.note.as_bytes())
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
            .zip(checkpoints.chunks(chunk))
            .flat_map(|(p, part)| {
                // A lost part would skip checkpoints: count them as failing instead.
                p.join()
                    .unwrap_or_else(|_| part.iter().map(|c| (c.size, true)).collect())
            })
            .collect()
    })
}
