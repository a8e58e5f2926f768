//! Record retention: a closed request's record is kept `months` (at least 24, CCPA §7101), then its
//! personal data is erased and its audit events' details redacted; the request's skeleton (type, dates,
//! state) stays for reports and the audit chain stays verifiable.

use chrono::Months;
use serde_json::json;

use super::{AppError, Clock};
use crate::db::{self, Db, audit, retention, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};

/// Erases what is due; returns how many requests. Blocking.
pub fn purge_records(db: &Db, clock: &Clock, months: u32) -> Result<usize, AppError> {
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
                let redacted = audit::redact_for_request(conn, &id, db::to_db_time(now))?;
                audit::append(
                    conn,
                    &NewAuditEvent::new(
                        AuditAction::RecordsPurged,
                        Actor::System("retention"),
                        now,
                    )
                    .for_request(&id)
                    .details(
                        json!({"retention_months": months, "audit_events_redacted": redacted}),
                    ),
                )?;
                Ok(())
            })?;
            n += 1;
        }
    }
}
