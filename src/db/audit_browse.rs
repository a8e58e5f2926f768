//! The audit page's reading of the log: newest first, a keyset page at a time, filtered.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::audit::AuditEventRow;
use super::schema::audit_events;

/// Which events the page shows.
#[derive(Debug, Clone, Default)]
pub struct BrowseFilter {
    /// An action code (`request.transitioned`).
    pub action: Option<String>,
    /// A staff id, or an actor kind (`requester`, `staff`, `system`).
    pub actor: Option<String>,
    pub request_id: Option<String>,
}

type Boxed = audit_events::BoxedQuery<'static, <AnyConnection as diesel::Connection>::Backend>;

fn filtered(filter: &BrowseFilter) -> Boxed {
    let mut q = audit_events::table.into_boxed();
    if let Some(a) = &filter.action {
        q = q.filter(audit_events::action.eq(a.clone()));
    }
    if let Some(a) = &filter.actor {
        q = match a.as_str() {
            "requester" | "staff" | "system" => q.filter(audit_events::actor_kind.eq(a.clone())),
            _ => q.filter(audit_events::actor_id.eq(a.clone())),
        };
    }
    if let Some(r) = &filter.request_id {
        q = q.filter(audit_events::request_id.eq(r.clone()));
    }
    q
}

/// Up to `limit` events older than `before` (its time and id), newest first.
pub fn page(
    conn: &mut AnyConnection,
    filter: &BrowseFilter,
    before: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    let mut q = filtered(filter).select(AuditEventRow::as_select());
    if let Some((t, id)) = before {
        q = q.filter(
            audit_events::occurred_at
                .lt(*t)
                .or(audit_events::occurred_at
                    .eq(*t)
                    .and(audit_events::id.lt(id.clone()))),
        );
    }
    q.order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .load(conn)
}

/// How many events the filter matches.
pub fn count(conn: &mut AnyConnection, filter: &BrowseFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// An event's place in the newest-first order: its time and id.
pub fn position(
    conn: &mut AnyConnection,
    id: &str,
) -> QueryResult<Option<(NaiveDateTime, String)>> {
    audit_events::table
        .filter(audit_events::id.eq(id))
        .select((audit_events::occurred_at, audit_events::id))
        .first(conn)
        .optional()
}
