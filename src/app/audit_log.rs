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
    /// `hash_mismatch` (the event was changed), `details_mismatch` (its details were changed),
    /// `prev_hash_mismatch` (an event before it was changed or
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
///
/// One thread reads pages while others hash the page before: each event's hash can be recomputed
/// from its own stored `prev_hash`, so hashing runs in parallel, and only the links (each `prev_hash`
/// equal to the hash before, no sequence number missing) are checked in order.
pub fn verify(db: &Db) -> Result<ChainReport, AppError> {
    let mut conn = db.conn()?;
    let mut prev = GENESIS_HASH.to_owned();
    let mut expected = 1_i64;
    let mut first_broken = None;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (head_seq, head_hash, before_chain) = std::thread::scope(|scope| {
        let (heads, head) = std::sync::mpsc::sync_channel(1);
        let (pages, next_page) = std::sync::mpsc::sync_channel(2);
        // The head and the events are read in one snapshot: events appended meanwhile are checked
        // next time, and a busy log does not look cut off.
        let reader = scope.spawn(move || -> Result<(), AppError> {
            crate::db::snapshot_tx(&mut conn, |conn| {
                let (head_seq, head_hash) = audit::head(conn)?;
                let before_chain = audit::unchained_count(conn)?;
                if heads.send((head_seq, head_hash, before_chain)).is_err() {
                    return Ok(());
                }
                let mut after = 0;
                loop {
                    let page = audit::chained_after(conn, after, PAGE)?;
                    let Some(last) = page.last().and_then(|e| e.seq) else {
                        return Ok(());
                    };
                    after = last;
                    // The verifier stopped at a broken link: nothing more to read.
                    if pages.send(page).is_err() {
                        return Ok(());
                    }
                }
            })
        });
        let Ok(head) = head.recv() else {
            // The reader ended before the head: its error says why.
            return Err(reader
                .join()
                .map_err(|_| AppError::Definition("the audit reader thread failed".into()))?
                .err()
                .unwrap_or_else(|| AppError::Definition("the audit reader stopped".into())));
        };
        'pages: for page in next_page {
            let checks = hash_in_parallel(&page, threads)?;
            for (e, (computed, details_ok)) in page.iter().zip(checks) {
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
                // Computed over the stored prev_hash, which was just found equal to `prev`.
                let stored = e.hash.as_deref().map(str::as_bytes);
                if computed.is_none() || computed.as_ref().map(|h| &h[..]) != stored {
                    first_broken = Some(broken("hash_mismatch"));
                    break 'pages;
                }
                // The details must still be what was hashed, unless they were redacted at retention's end.
                if e.redacted_at.is_none() && !details_ok {
                    first_broken = Some(broken("details_mismatch"));
                    break 'pages;
                }
                prev = e.hash.clone().unwrap_or_default();
                expected += 1;
            }
        }
        // The channel is closed once the verifier is done, so the reader has stopped or will.
        reader
            .join()
            .map_err(|_| AppError::Definition("the audit reader thread failed".into()))??;
        Ok(head)
    })?;
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

/// One event's recomputed hash (hex; `None` when a field the chain needs is missing), and whether its
/// details still match their digest.
type EventCheck = (Option<[u8; 64]>, bool);

/// For each event: its hash recomputed from its stored fields and `prev_hash` (`None` when a field
/// the chain needs is missing), and whether its details still match their digest. Pages are split
/// between `threads` threads.
fn hash_in_parallel(
    page: &[audit::AuditEventRow],
    threads: usize,
) -> Result<Vec<EventCheck>, AppError> {
    let check = |rows: &[audit::AuditEventRow]| -> Vec<EventCheck> {
        let mut buf = Vec::with_capacity(512);
        rows.iter()
            .map(|e| {
                let computed = e
                    .prev_hash
                    .as_deref()
                    .and_then(|p| e.chained(p))
                    .map(|c| c.hash_hex(&mut buf));
                let details_ok = e.details_sha256.as_deref().map(str::as_bytes)
                    == Some(&crate::domain::audit::details_digest_hex(&e.details)[..]);
                (computed, details_ok)
            })
            .collect()
    };
    if threads <= 1 || page.len() < 1_000 {
        return Ok(check(page));
    }
    let chunk = page.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = page
            .chunks(chunk)
            .map(|c| s.spawn(move || check(c)))
            .collect();
        let mut all = Vec::with_capacity(page.len());
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

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

impl std::str::FromStr for ExportFormat {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "csv" | "" => Ok(Self::Csv),
            "jsonl" => Ok(Self::Jsonl),
            _ => Err("unknown_format"),
        }
    }
}

/// An export's filter as typed (dates `YYYY-MM-DD`, UTC; `to` inclusive), parsed field by field.
pub fn parse_filter(
    from: Option<&str>,
    to: Option<&str>,
    request: Option<&str>,
    actor: Option<&str>,
) -> Result<crate::db::audit::ExportFilter, crate::domain::FieldErrors> {
    let mut errors = crate::domain::FieldErrors::new();
    let date = |s: Option<&str>| -> Result<Option<chrono::NaiveDate>, &'static str> {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| "invalid_date"),
        }
    };
    let from = errors.check("from", date(from)).flatten();
    let to = errors.check("to", date(to)).flatten();
    let text = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if errors.is_empty() {
        Ok(crate::db::audit::ExportFilter {
            from: from.map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default()),
            to: to
                .and_then(|d| d.succ_opt())
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default()),
            request_id: text(request),
            actor: text(actor),
        })
    } else {
        Err(errors)
    }
}

const COLUMNS: [&str; 14] = [
    "seq",
    "id",
    "occurred_at",
    "action",
    "actor_kind",
    "actor_id",
    "request_id",
    "from_state",
    "to_state",
    "details",
    "details_sha256",
    "redacted_at",
    "prev_hash",
    "hash",
];

fn encode(
    format: ExportFormat,
    rows: &[crate::db::audit::AuditEventRow],
    header: bool,
) -> Result<Vec<u8>, AppError> {
    let io = |e: &dyn std::fmt::Display| AppError::Definition(format!("writing the export: {e}"));
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            if header {
                w.write_record(COLUMNS).map_err(|e| io(&e))?;
            }
            for e in rows {
                w.write_record([
                    e.seq.map(|s| s.to_string()).unwrap_or_default(),
                    e.id.clone(),
                    audit::chain_time(e.occurred_at),
                    e.action.clone(),
                    e.actor_kind.clone(),
                    e.actor_id.clone().unwrap_or_default(),
                    e.request_id.clone().unwrap_or_default(),
                    e.from_state.clone().unwrap_or_default(),
                    e.to_state.clone().unwrap_or_default(),
                    e.details.clone(),
                    e.details_sha256.clone().unwrap_or_default(),
                    e.redacted_at.map(audit::chain_time).unwrap_or_default(),
                    e.prev_hash.clone().unwrap_or_default(),
                    e.hash.clone().unwrap_or_default(),
                ])
                .map_err(|e| io(&e))?;
            }
            w.into_inner().map_err(|e| io(&e))
        }
        ExportFormat::Jsonl => {
            let mut out = Vec::new();
            for e in rows {
                let line = serde_json::json!({
                    "seq": e.seq, "id": e.id, "occurred_at": audit::chain_time(e.occurred_at),
                    "action": e.action, "actor_kind": e.actor_kind, "actor_id": e.actor_id,
                    "request_id": e.request_id, "from_state": e.from_state, "to_state": e.to_state,
                    "details": e.details, "details_sha256": e.details_sha256,
                    "redacted_at": e.redacted_at.map(audit::chain_time),
                    "prev_hash": e.prev_hash, "hash": e.hash,
                });
                serde_json::to_writer(&mut out, &line).map_err(|e| io(&e))?;
                out.push(b'\n');
            }
            Ok(out)
        }
    }
}

/// Writes the events the filter covers, page by page (memory stays flat), to `sink`; stops early if the
/// sink refuses (the reader went away). Returns how many events were written. Blocking.
pub fn export(
    db: &Db,
    filter: &crate::db::audit::ExportFilter,
    format: ExportFormat,
    mut sink: impl FnMut(Vec<u8>) -> bool,
) -> Result<u64, AppError> {
    use crate::db::audit::ExportCursor;
    let mut conn = db.conn()?;
    // Events from before the chain in time order, then the chain in sequence order.
    let mut cursor = ExportCursor::Unchained(None);
    let mut written = 0_u64;
    let mut first = true;
    loop {
        let page = audit::export_page(&mut conn, filter, &cursor, PAGE)?;
        let bytes = encode(format, &page, first)?;
        first = false;
        written += page.len() as u64;
        if !bytes.is_empty() && !sink(bytes) {
            break;
        }
        cursor = match (page.last(), &cursor) {
            (Some(last), ExportCursor::Unchained(_)) => {
                ExportCursor::Unchained(Some((last.occurred_at, last.id.clone())))
            }
            (Some(last), ExportCursor::Chained(_)) => ExportCursor::Chained(last.seq.unwrap_or(0)),
            (None, ExportCursor::Unchained(_)) => ExportCursor::Chained(0),
            (None, ExportCursor::Chained(_)) => break,
        };
    }
    Ok(written)
}

/// Records that someone exported the log (before the export starts: the record is part of it).
pub fn record_export(
    db: &Db,
    actor: crate::domain::audit::Actor,
    filter: &crate::db::audit::ExportFilter,
    format: ExportFormat,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let mut conn = db.conn()?;
    crate::db::write_tx(&mut conn, |c| -> Result<(), AppError> {
        audit::append(
            c,
            &crate::domain::audit::NewAuditEvent::new(
                crate::domain::audit::AuditAction::AuditExported,
                actor,
                now,
            )
            .details(serde_json::json!({
                "format": if format == ExportFormat::Csv { "csv" } else { "jsonl" },
                "from": filter.from.map(|t| t.to_string()), "to": filter.to.map(|t| t.to_string()),
                "request": filter.request_id, "actor": filter.actor,
            })),
        )?;
        Ok(())
    })
}
