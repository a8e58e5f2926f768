//! Checking the audit log's hash chain: recompute every event's hash from its stored fields, check it
//! links to the one before, that no sequence number is missing, and that the head names the last event.
//! Reads in keyset pages, so memory stays flat however long the log.

use serde::Serialize;

use super::AppError;
use crate::db::{Db, audit};
use crate::domain::audit::GENESIS_HASH;

/// The first event that does not check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub seq: i64,
    pub id: Option<String>,
    /// `hash_mismatch` (the event was changed), `prev_hash_mismatch` (an event before it was changed or
    /// removed), `missing_event` (a sequence number is absent), `head_mismatch` (events at the end were
    /// removed, or the head was changed).
    pub problem: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Chained events checked.
    pub events: i64,
    /// Events written before the chain existed (not covered by it).
    pub before_chain: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub intact: bool,
    pub first_broken: Option<BrokenLink>,
}

const PAGE: i64 = 5_000;

/// Verifies the whole chain. Blocking: run it on a blocking thread.
pub fn verify(db: &Db) -> Result<ChainReport, AppError> {
    let mut conn = db.conn()?;
    let (head_seq, head_hash) = audit::head(&mut conn)?;
    let before_chain = audit::unchained_count(&mut conn)?;
    let mut prev = GENESIS_HASH.to_owned();
    let mut expected = 1_i64;
    let mut first_broken = None;
    'pages: loop {
        let page = audit::chained_after(&mut conn, expected - 1, PAGE)?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            let seq = e.seq.unwrap_or_default();
            let broken = |problem| BrokenLink {
                seq,
                id: Some(e.id.clone()),
                problem,
            };
            if seq != expected {
                first_broken = Some(BrokenLink {
                    seq: expected,
                    id: None,
                    problem: "missing_event",
                });
                break 'pages;
            }
            if e.prev_hash.as_deref() != Some(prev.as_str()) {
                first_broken = Some(broken("prev_hash_mismatch"));
                break 'pages;
            }
            let computed = e.chained(&prev).map(|c| c.hash());
            if computed.is_none() || computed.as_deref() != e.hash.as_deref() {
                first_broken = Some(broken("hash_mismatch"));
                break 'pages;
            }
            prev = computed.unwrap_or_default();
            expected += 1;
        }
    }
    let events = expected - 1;
    if first_broken.is_none() && (events != head_seq || prev != head_hash) {
        first_broken = Some(BrokenLink {
            seq: events + 1,
            id: None,
            problem: "head_mismatch",
        });
    }
    Ok(ChainReport {
        events,
        before_chain,
        head_seq,
        head_hash,
        intact: first_broken.is_none(),
        first_broken,
    })
}
