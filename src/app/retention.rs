//! Record retention: a closed request's record is kept `months` (at least 24, CCPA §7101), then its
//! personal data is erased and its audit events' details redacted; the request's skeleton (type, dates,
//! state) stays for reports and the audit log stays verifiable.
//!
//! Redaction goes through the log: a redaction record (`request.records_purged`, naming every event it
//! erases and the retention period) is appended first, then those events' details and salts are erased
//! (the database refuses an erasure without its record). `kaiji audit verify` checks each erasure
//! against its record and the request's closure in the log.

use std::path::Path;

use chrono::Months;

use super::{AppError, Clock};
use crate::db::{self, Db, audit, retention, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent, RedactionRecord};

/// Erases what is due, with the `.eml` copies of each request's notices in `mail_dir`; returns how
/// many requests. Blocking.
pub fn purge_records(
    db: &Db,
    clock: &Clock,
    months: u32,
    mail_dir: &Path,
) -> Result<usize, AppError> {
    let now = clock.now();
    let cutoff = now
        .checked_sub_months(Months::new(months))
        .ok_or_else(|| AppError::Definition("retention period".into()))?;
    let mut conn = db.conn()?;
    let mut n = 0;
    loop {
        let due = retention::due(&mut conn, db::to_db_time(cutoff), 200)?;
        if due.is_empty() {
            return Ok(n);
        }
        for id in due {
            write_tx(&mut conn, |conn| -> Result<(), AppError> {
                retention::erase(conn, &id, db::to_db_time(now))?;
                let events = audit::erasable_for_request(conn, &id)?;
                let record = RedactionRecord {
                    retention_months: months,
                    redacted_events: Some(events.clone()),
                    reason: Some("record_retention".into()),
                };
                audit::append(
                    conn,
                    &NewAuditEvent::new(
                        AuditAction::RecordsPurged,
                        Actor::System("retention"),
                        now,
                    )
                    .for_request(&id)
                    .details(
                        serde_json::to_value(&record)
                            .map_err(|e| AppError::Definition(format!("redaction record: {e}")))?,
                    ),
                )?;
                audit::erase(conn, &events, db::to_db_time(now))?;
                Ok(())
            })?;
            // After the commit: a file left by a crash here is erased by hand, never a record
            // erased while its files stay because the transaction rolled back.
            match std::fs::remove_dir_all(mail_dir.join(id.as_str())) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(AppError::Definition(format!(
                        "erasing the notices' mail files of a purged request: {e}"
                    )));
                }
                _ => {}
            }
            n += 1;
        }
    }
}
