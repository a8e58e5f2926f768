//! Erasures: each needs a redaction record in the log that names it, and the record's request must
//! have been closed, by the log's own events, the retention period before the record.

use std::collections::HashMap;

use super::Problem;
use crate::db::audit::AuditEventRow;
use crate::domain::audit::{Closure, Era, RedactionProblem, RedactionRecord, erasure_is_timely};

/// An erased event, its request, and where it sits.
pub(super) struct Erasure {
    pub(super) seq: i64,
    pub(super) id: String,
    pub(super) request_id: Option<String>,
    pub(super) era: Era,
}

pub(super) struct Record {
    pub(super) seq: i64,
    pub(super) era: Era,
    pub(super) at: chrono::NaiveDateTime,
    pub(super) record: RedactionRecord,
}

/// A request's closure in the log: its place, and when the request closed (for closures from before
/// the tree, carried over at the upgrade, the instant they record, later in the log than the chain's
/// own redaction records).
pub(super) struct ClosedAt {
    pub(super) seq: i64,
    pub(super) at: chrono::NaiveDateTime,
    pub(super) carried_over: bool,
}

/// Why an erasure does not check out, if it does not.
fn erasure_problem(
    e: &Erasure,
    records: &HashMap<String, Vec<Record>>,
    closed: &HashMap<String, Vec<ClosedAt>>,
) -> Option<RedactionProblem> {
    // An erased event of no request has no record that could name it.
    let Some(request) = e.request_id.as_ref() else {
        return Some(RedactionProblem::Unrecorded);
    };
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

/// The closures of the requests with erased events, by request, from their `request.closed` events
/// (only those the walk found intact: within the log checked, details still matching their digest).
pub(super) fn closures(rows: Vec<AuditEventRow>, events: i64) -> HashMap<String, Vec<ClosedAt>> {
    let mut closed: HashMap<String, Vec<ClosedAt>> = HashMap::new();
    for c in rows {
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
    closed
}

/// The first erasure that does not check out, as the problem to report at its place in the log.
pub(super) fn first_problem(
    erasures: &[Erasure],
    records: &HashMap<String, Vec<Record>>,
    closed: &HashMap<String, Vec<ClosedAt>>,
) -> Option<(i64, Problem)> {
    erasures.iter().find_map(|e| {
        let code = match erasure_problem(e, records, closed)? {
            RedactionProblem::Unrecorded => "redaction_unrecorded",
            RedactionProblem::Premature => "redaction_premature",
        };
        Some((
            e.seq,
            Problem {
                seq: Some(e.seq),
                id: Some(e.id.clone()),
                era: Some(e.era),
                problem: code,
                checkpoint: None,
            },
        ))
    })
}
