//! What operators watch, read at scrape time (`/metrics`): the outbox's backlog and its oldest notice,
//! the open requests by procedure and state, requests past a legal deadline, the audit log's merge
//! backlog, and each hourly job's last run. Counts, ages and the seeds' own codes only: no label
//! carries personal data (no names, addresses, request or staff ids).

use chrono::{DateTime, Utc};

use super::{AppError, AppState};
use crate::db::{self, job_runs::JobRunRow, metrics, queue_counts};

/// Open requests of one procedure in one state, for one right and place.
pub struct OpenRequests {
    pub workflow: String,
    pub state: String,
    pub right: String,
    pub place: String,
    pub count: i64,
}

/// One reading of everything `/metrics` reports.
pub struct Snapshot {
    pub now: DateTime<Utc>,
    /// (status, channel, count).
    pub notices: Vec<(String, String, i64)>,
    pub oldest_queued_email: Option<DateTime<Utc>>,
    pub open_requests: Vec<OpenRequests>,
    pub overdue_requests: i64,
    pub audit_pending: i64,
    pub oldest_audit_pending: Option<DateTime<Utc>>,
    pub jobs: Vec<JobRunRow>,
}

pub async fn snapshot(state: &AppState) -> Result<Snapshot, AppError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| -> Result<Snapshot, AppError> {
            let mut open: Vec<OpenRequests> = Vec::new();
            // The queue's buckets also split by assignee, which is not reported: summed here.
            for b in queue_counts::open_buckets(conn)? {
                match open.iter_mut().find(|o| {
                    o.workflow == b.workflow_id
                        && o.state == b.state
                        && o.right == b.request_type
                        && o.place == b.jurisdiction
                }) {
                    Some(o) => o.count += b.n,
                    None => open.push(OpenRequests {
                        workflow: b.workflow_id,
                        state: b.state,
                        right: b.request_type,
                        place: b.jurisdiction,
                        count: b.n,
                    }),
                }
            }
            let (audit_pending, oldest_audit_pending) = metrics::audit_backlog(conn)?;
            Ok(Snapshot {
                now,
                notices: metrics::notices_by_status(conn)?,
                oldest_queued_email: metrics::oldest_queued_email(conn)?.map(db::from_db_time),
                open_requests: open,
                overdue_requests: metrics::overdue_requests(conn)?,
                audit_pending,
                oldest_audit_pending: oldest_audit_pending.map(db::from_db_time),
                jobs: crate::db::job_runs::latest(conn)?,
            })
        })
        .await
}
