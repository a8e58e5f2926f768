//! The counts `/metrics` reports, each one cheap statement over an index (or the queue's folded counts).

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{audit_events, notices, request_clocks, requests};
use crate::domain::notice::{NoticeChannel, NoticeStatus};

/// Notices by status and channel: (status, channel, count).
pub fn notices_by_status(conn: &mut AnyConnection) -> QueryResult<Vec<(String, String, i64)>> {
    notices::table
        .group_by((notices::status, notices::channel))
        .select((notices::status, notices::channel, count_star()))
        .load(conn)
}

/// When the oldest email notice still waiting to be sent was queued.
pub fn oldest_queued_email(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDateTime>> {
    notices::table
        .filter(notices::status.eq(NoticeStatus::Queued))
        .filter(notices::channel.eq(NoticeChannel::Email))
        .select(min(notices::created_at))
        .first(conn)
}

/// Open requests with a running clock whose deadline the reminder worker has found passed (in the
/// procedure's own calendar and zone).
pub fn overdue_requests(conn: &mut AnyConnection) -> QueryResult<i64> {
    request_clocks::table
        .filter(request_clocks::stopped_on.is_null())
        .filter(request_clocks::overdue_notice_for.is_not_null())
        .filter(
            request_clocks::overdue_notice_for
                .nullable()
                .eq(request_clocks::due_on),
        )
        .filter(
            request_clocks::request_id.eq_any(
                requests::table
                    .filter(requests::closed_at.is_null())
                    .select(requests::id),
            ),
        )
        .select(diesel::dsl::count(request_clocks::request_id).aggregate_distinct())
        .first(conn)
}

/// Audit events committed but not yet in the signed tree, and the oldest one's commit time.
pub fn audit_backlog(conn: &mut AnyConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    audit_events::table
        .filter(audit_events::seq.is_null())
        .filter(audit_events::details_sha256.is_not_null())
        .select((count_star(), min(audit_events::committed_at)))
        .first(conn)
}
