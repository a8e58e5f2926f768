//! A reader's share of the work: one page of events checked against the stored leaves of its tiles.

use std::collections::HashMap;

use super::TILE_WIDTH;
use crate::db::audit::{AuditEventRow, LeafProblem};
use crate::domain::audit::{AuditAction, Era};
use crate::domain::code::Code;
use crate::domain::tlog::{Hash, leaf_hash};

/// One event as a reader found it.
pub(super) struct Fact {
    pub(super) seq: i64,
    pub(super) id: String,
    pub(super) request_id: Option<String>,
    /// A redaction record (`request.records_purged`).
    pub(super) record: bool,
    pub(super) occurred_at: chrono::NaiveDateTime,
    pub(super) details: Option<String>,
    pub(super) leaf_problem: Option<LeafProblem>,
    /// Chain era: the recomputed chain hash equals the stored one.
    pub(super) chain_hash_ok: bool,
    pub(super) details_ok: bool,
    pub(super) erased: bool,
    /// The tree holds another leaf at this place than the event's (it changed after integration).
    pub(super) stored_mismatch: bool,
    /// Integrated, yet the tree holds no leaf at this place.
    pub(super) tile_missing: bool,
    pub(super) prev_hash: Option<String>,
    pub(super) hash: Option<String>,
}

/// One page as a reader checked it.
pub(super) struct Checked {
    pub(super) facts: Vec<Fact>,
    /// Each event's leaf hash (the empty-tree hash where it has none: a problem is flagged then).
    pub(super) leaves: Vec<Hash>,
    /// The roots of the page's whole tiles, in order (when the page's events are consecutive).
    pub(super) tiles: Vec<Hash>,
}

/// Checks one page's events (`after < seq <= after + PAGE`) against the stored leaves of its tiles:
/// each event's leaf, chain hash and details, and the root of each of the page's whole tiles.
pub(super) fn check_page(
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
            id: row.id,
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
