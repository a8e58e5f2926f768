//! Exporting the audit log: every event with what its leaf covers, in log order, ending with one
//! trailer record that holds the signed checkpoint covering the last exported event. Events from before
//! the chain come first (covered by nothing); events still in the merge window wait for the next export.
//! Reads in keyset pages, so memory stays flat however long the log.

use super::AppError;
use crate::db::{Db, audit};

const PAGE: i64 = 5_000;

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

const COLUMNS: [&str; 16] = [
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
    "details_salt",
    "details_sha256",
    "redacted_at",
    "prev_hash",
    "hash",
    "leaf_hash",
];

/// The first field of a CSV export's last row: what follows is the trailer, not an event.
pub const CSV_TRAILER_MARK: &str = "#kaiji-trailer";

/// Each event's leaf hash (base64), for events in the tree.
fn leaf_hash_of(
    e: &crate::db::audit::AuditEventRow,
    chain_size: i64,
    buf: &mut Vec<u8>,
) -> Option<String> {
    e.write_leaf_data(chain_size, buf)
        .ok()
        .map(|_| crate::domain::tlog::to_base64(&crate::domain::tlog::leaf_hash(buf)))
}

fn encode(
    format: ExportFormat,
    rows: &[crate::db::audit::AuditEventRow],
    header: bool,
    chain_size: i64,
) -> Result<Vec<u8>, AppError> {
    let mut buf = Vec::with_capacity(512);
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
                    e.details_salt.clone().unwrap_or_default(),
                    e.details_sha256.clone().unwrap_or_default(),
                    e.redacted_at.map(audit::chain_time).unwrap_or_default(),
                    e.prev_hash.clone().unwrap_or_default(),
                    e.hash.clone().unwrap_or_default(),
                    leaf_hash_of(e, chain_size, &mut buf).unwrap_or_default(),
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
                    "details": e.details, "details_salt": e.details_salt,
                    "details_sha256": e.details_sha256,
                    "redacted_at": e.redacted_at.map(audit::chain_time),
                    "prev_hash": e.prev_hash, "hash": e.hash,
                    "leaf_hash": leaf_hash_of(e, chain_size, &mut buf),
                });
                serde_json::to_writer(&mut out, &line).map_err(|e| io(&e))?;
                out.push(b'\n');
            }
            Ok(out)
        }
    }
}

/// The checkpoint an export ends with, as its trailer record says it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Trailer {
    pub tree_size: i64,
    pub root_hash: String,
    pub checkpoint: String,
    pub verifier_key: String,
    pub events_exported: u64,
    /// SHA-256 (hex) of every byte of the export before this record: a reader that got the trailer
    /// knows it got every row, and `kaiji audit verify-export` checks it.
    pub rows_sha256: String,
}

fn encode_trailer(format: ExportFormat, t: &Trailer) -> Result<Vec<u8>, AppError> {
    let io = |e: &dyn std::fmt::Display| AppError::Definition(format!("writing the export: {e}"));
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut row = vec![
                CSV_TRAILER_MARK.to_owned(),
                t.tree_size.to_string(),
                t.root_hash.clone(),
                t.checkpoint.clone(),
                t.verifier_key.clone(),
                t.events_exported.to_string(),
                t.rows_sha256.clone(),
            ];
            row.resize(COLUMNS.len(), String::new());
            w.write_record(&row).map_err(|e| io(&e))?;
            w.into_inner().map_err(|e| io(&e))
        }
        ExportFormat::Jsonl => {
            let mut out =
                serde_json::to_vec(&serde_json::json!({ "trailer": t })).map_err(|e| io(&e))?;
            out.push(b'\n');
            Ok(out)
        }
    }
}

/// Writes the events the filter covers, page by page (memory stays flat), to `sink`, then the trailer:
/// the latest signed checkpoint, which covers every exported event. Stops early if the sink refuses (the
/// reader went away). Returns how many events were written. Blocking.
pub fn export(
    db: &Db,
    config: &crate::config::Config,
    keys: &crate::config::Keys,
    filter: &crate::db::audit::ExportFilter,
    format: ExportFormat,
    mut sink: impl FnMut(Vec<u8>) -> bool,
) -> Result<u64, AppError> {
    use crate::db::audit::ExportCursor;
    use sha2::Digest;
    let mut digest = sha2::Sha256::new();
    let mut conn = db.conn()?;
    let (history, chain_size) = super::audit_key::log_context(&mut conn, config, keys)?;
    let vkey = history.current().to_owned();
    // The export ends at the latest checkpoint (its signature checked): its events are fixed from here on.
    let latest = crate::db::tlog::latest_checkpoint(&mut conn)?;
    let up_to = match &latest {
        Some(cp) => super::audit_key::open_row(cp, &history)?.size as i64,
        None => 0,
    };
    let mut cursor = ExportCursor::BeforeChain(None);
    let mut written = 0_u64;
    let mut first = true;
    loop {
        let page = audit::export_page(&mut conn, filter, &cursor, PAGE)?;
        let bytes = encode(format, &page, first, chain_size)?;
        first = false;
        written += page.len() as u64;
        digest.update(&bytes);
        if !bytes.is_empty() && !sink(bytes) {
            return Ok(written);
        }
        cursor = match (page.last(), &cursor) {
            (Some(last), ExportCursor::BeforeChain(_)) => {
                ExportCursor::BeforeChain(Some((last.occurred_at, last.id.clone())))
            }
            (Some(last), ExportCursor::Sequenced { .. }) => ExportCursor::Sequenced {
                after: last.seq.unwrap_or(0),
                up_to,
            },
            (None, ExportCursor::BeforeChain(_)) => ExportCursor::Sequenced { after: 0, up_to },
            (None, ExportCursor::Sequenced { .. }) => break,
        };
    }
    let rows_sha256 = hex::encode(digest.finalize());
    // Nothing signed yet (a log no sequencer has run on): the trailer says so with an empty checkpoint.
    let trailer = match latest {
        Some(cp) => Trailer {
            tree_size: cp.size,
            root_hash: cp.root_hash,
            checkpoint: cp.note,
            verifier_key: vkey,
            events_exported: written,
            rows_sha256,
        },
        None => Trailer {
            tree_size: 0,
            root_hash: crate::domain::tlog::to_base64(&crate::domain::tlog::EMPTY_HASH),
            checkpoint: String::new(),
            verifier_key: vkey,
            events_exported: written,
            rows_sha256,
        },
    };
    sink(encode_trailer(format, &trailer)?);
    Ok(written)
}

/// Integrates what is waiting (if this instance may sequence and no other is at it), so that an export
/// or evidence pack made now covers what happened until now, its own record included; otherwise waits
/// up to a few seconds for the running sequencer to cover `event_id`. Blocking.
pub fn integrate_now(
    db: &Db,
    config: &crate::config::Config,
    keys: &crate::config::Keys,
    event_id: &str,
) -> Result<(), AppError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match super::sequencer::integrate(db, config, keys, super::sequencer::BATCH) {
            Ok(_) | Err(AppError::AuditKeyMismatch { .. }) => {}
            Err(e) => return Err(e),
        }
        let integrated = audit::find(&mut *db.conn()?, event_id)?.is_none_or(|e| e.seq.is_some());
        if integrated || std::time::Instant::now() >= deadline {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Records that someone exported the log (before the export starts: the record is part of it).
pub fn record_export(
    db: &Db,
    actor: crate::domain::audit::Actor,
    filter: &crate::db::audit::ExportFilter,
    format: ExportFormat,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, AppError> {
    let mut conn = db.conn()?;
    crate::db::write_tx(&mut conn, |c| -> Result<String, AppError> {
        let id = audit::append_returning_id(
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
        Ok(id)
    })
}

/// Records that someone took a request's evidence pack (it holds the request's audit details).
pub fn record_evidence_export(
    db: &Db,
    actor: crate::domain::audit::Actor,
    request_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, AppError> {
    let mut conn = db.conn()?;
    crate::db::write_tx(&mut conn, |c| -> Result<String, AppError> {
        Ok(audit::append_returning_id(
            c,
            &crate::domain::audit::NewAuditEvent::new(
                crate::domain::audit::AuditAction::AuditExported,
                actor,
                now,
            )
            .details(serde_json::json!({"format": "evidence_pack", "request": request_id})),
        )?)
    })
}
