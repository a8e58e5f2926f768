//! The audit log table: append and list, nothing else (the database refuses updates and deletes too).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_events;
use super::{AnyConnection, new_id, to_db_time};
use crate::domain::audit::NewAuditEvent;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub action: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub request_id: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub details: String,
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewRow<'a> {
    id: String,
    occurred_at: NaiveDateTime,
    action: &'a str,
    actor_kind: &'a str,
    actor_id: Option<String>,
    request_id: Option<&'a str>,
    from_state: Option<&'a str>,
    to_state: Option<&'a str>,
    details: String,
}

pub fn append(conn: &mut AnyConnection, event: &NewAuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(NewRow {
            id: new_id(),
            occurred_at: to_db_time(event.occurred_at),
            action: event.action.as_str(),
            actor_kind: event.actor.kind(),
            actor_id: event.actor.id(),
            request_id: event.request_id.as_deref(),
            from_state: event.from_state.as_deref(),
            to_state: event.to_state.as_deref(),
            details: event.details.to_string(),
        })
        .execute(conn)
        .map(|_| ())
}

pub fn list_for_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> QueryResult<Vec<AuditEventRow>> {
    audit_events::table
        .filter(audit_events::request_id.eq(request_id))
        .order((audit_events::occurred_at.asc(), audit_events::id.asc()))
        .select(AuditEventRow::as_select())
        .load(conn)
}

/// The newest events first.
pub fn list_recent(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<AuditEventRow>> {
    audit_events::table
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(AuditEventRow::as_select())
        .load(conn)
}
