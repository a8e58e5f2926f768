//! The Data Rights Protocol's rows: agents, their tokens' digests, the requests they filed, and the
//! signed bodies already received.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{drp_agents, drp_callbacks, drp_requests, drp_seen, drp_tokens};
use crate::domain::drp::CallbackStatus;
use crate::domain::ids::RequestId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = drp_agents)]
pub struct AgentRow {
    pub id: String,
    pub name: String,
    /// Base64 of the 32-byte Ed25519 public key.
    pub verify_key: String,
    pub web_url: Option<String>,
    pub technical_contact: Option<String>,
    pub business_contact: Option<String>,
    /// JSON list of the host names status callbacks may go to.
    pub callback_hosts: String,
    pub added_by: String,
    pub added_at: NaiveDateTime,
    pub removed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = drp_requests)]
pub struct DrpRequestRow {
    pub request_id: RequestId,
    pub agent_id: String,
    pub action: String,
    pub agent_request_id: Option<String>,
    pub status_callback: Option<String>,
    /// JSON list of the identity claims the agent said it verified (names, never values).
    pub verified_claims: String,
    pub created_at: NaiveDateTime,
    pub last_status: Option<String>,
    /// Where the person returns after confirming (DRP `redirect_to`), on the agent's web origin.
    pub redirect_to: Option<String>,
}

pub fn find_agent(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<AgentRow>> {
    drp_agents::table
        .find(id)
        .select(AgentRow::as_select())
        .first(conn)
        .optional()
}

pub fn agents(conn: &mut AnyConnection) -> QueryResult<Vec<AgentRow>> {
    drp_agents::table
        .order(drp_agents::id.asc())
        .select(AgentRow::as_select())
        .load(conn)
}

/// Adds an agent, or puts back one removed earlier with its new entry (same id).
pub fn upsert_agent(conn: &mut AnyConnection, row: &AgentRow) -> QueryResult<()> {
    let updated = diesel::update(drp_agents::table.find(&row.id))
        .set((
            drp_agents::name.eq(&row.name),
            drp_agents::verify_key.eq(&row.verify_key),
            drp_agents::web_url.eq(&row.web_url),
            drp_agents::technical_contact.eq(&row.technical_contact),
            drp_agents::business_contact.eq(&row.business_contact),
            drp_agents::callback_hosts.eq(&row.callback_hosts),
            drp_agents::added_by.eq(&row.added_by),
            drp_agents::added_at.eq(row.added_at),
            drp_agents::removed_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(drp_agents::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Removes an agent: its tokens stop working at once; its requests stay.
pub fn remove_agent(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        drp_agents::table
            .find(id)
            .filter(drp_agents::removed_at.is_null()),
    )
    .set(drp_agents::removed_at.eq(now))
    .execute(conn)?;
    diesel::update(
        drp_tokens::table
            .filter(drp_tokens::agent_id.eq(id))
            .filter(drp_tokens::revoked_at.is_null()),
    )
    .set(drp_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n > 0)
}

pub fn insert_token(
    conn: &mut AnyConnection,
    token_sha256: &str,
    agent_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(drp_tokens::table)
        .values((
            drp_tokens::token_sha256.eq(token_sha256),
            drp_tokens::agent_id.eq(agent_id),
            drp_tokens::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The agent a live token belongs to (the agent itself not removed).
pub fn agent_of_token(
    conn: &mut AnyConnection,
    token_sha256: &str,
) -> QueryResult<Option<AgentRow>> {
    drp_tokens::table
        .inner_join(drp_agents::table)
        .filter(drp_tokens::token_sha256.eq(token_sha256))
        .filter(drp_tokens::revoked_at.is_null())
        .filter(drp_agents::removed_at.is_null())
        .select(AgentRow::as_select())
        .first(conn)
        .optional()
}

/// Records a signed body as received until it expires; `false` if it was received before (a replay).
pub fn first_sight(
    conn: &mut AnyConnection,
    signature: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    // What has expired cannot be replayed (it would be refused as expired): forget it.
    diesel::delete(drp_seen::table.filter(drp_seen::expires_at.lt(now))).execute(conn)?;
    let seen = drp_seen::table
        .find(signature)
        .count()
        .get_result::<i64>(conn)?;
    if seen > 0 {
        return Ok(false);
    }
    diesel::insert_into(drp_seen::table)
        .values((
            drp_seen::signature.eq(signature),
            drp_seen::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn insert_request(conn: &mut AnyConnection, row: &DrpRequestRow) -> QueryResult<()> {
    diesel::insert_into(drp_requests::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Option<DrpRequestRow>> {
    drp_requests::table
        .find(request_id)
        .select(DrpRequestRow::as_select())
        .first(conn)
        .optional()
}

/// The request an agent filed under its own `agent-request-id`, if it did.
pub fn find_by_agent_request_id(
    conn: &mut AnyConnection,
    agent_id: &str,
    agent_request_id: &str,
) -> QueryResult<Option<DrpRequestRow>> {
    drp_requests::table
        .filter(drp_requests::agent_id.eq(agent_id))
        .filter(drp_requests::agent_request_id.eq(agent_request_id))
        .select(DrpRequestRow::as_select())
        .first(conn)
        .optional()
}

/// Remembers the status last queued for a request's callback.
pub fn set_last_status(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    status: &str,
) -> QueryResult<()> {
    diesel::update(drp_requests::table.find(request_id))
        .set(drp_requests::last_status.eq(status))
        .execute(conn)
        .map(|_| ())
}

pub fn set_redirect_to(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    redirect_to: &str,
) -> QueryResult<()> {
    diesel::update(drp_requests::table.find(request_id))
        .set(drp_requests::redirect_to.eq(redirect_to))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = drp_callbacks)]
pub struct CallbackRow {
    pub id: String,
    pub request_id: RequestId,
    pub agent_id: String,
    pub url: String,
    pub body: String,
    pub status: CallbackStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Queues a callback; one still queued for the same request is superseded (only the latest status
/// matters to the agent).
pub fn queue_callback(conn: &mut AnyConnection, row: &CallbackRow) -> QueryResult<()> {
    diesel::update(
        drp_callbacks::table
            .filter(drp_callbacks::request_id.eq(&row.request_id))
            .filter(drp_callbacks::status.eq(CallbackStatus::Queued)),
    )
    .set(drp_callbacks::status.eq(CallbackStatus::Superseded))
    .execute(conn)?;
    diesel::insert_into(drp_callbacks::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Claims up to `limit` due callbacks until `until` (another worker skips them meanwhile).
pub fn claim_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<CallbackRow>> {
    let due: Vec<CallbackRow> = drp_callbacks::table
        .filter(drp_callbacks::status.eq(CallbackStatus::Queued))
        .filter(drp_callbacks::next_attempt_at.le(now))
        .filter(
            drp_callbacks::claimed_until
                .is_null()
                .or(drp_callbacks::claimed_until.lt(now)),
        )
        .order(drp_callbacks::next_attempt_at.asc())
        .limit(limit)
        .select(CallbackRow::as_select())
        .load(conn)?;
    let mut claimed = Vec::new();
    for c in due {
        // Claimed only if nobody claimed it since it was read.
        let n = diesel::update(
            drp_callbacks::table
                .find(&c.id)
                .filter(drp_callbacks::status.eq(CallbackStatus::Queued))
                .filter(
                    drp_callbacks::claimed_until
                        .is_null()
                        .or(drp_callbacks::claimed_until.lt(now)),
                ),
        )
        .set(drp_callbacks::claimed_until.eq(until))
        .execute(conn)?;
        if n == 1 {
            claimed.push(c);
        }
    }
    Ok(claimed)
}

/// Records a delivery attempt: sent, or tried again at `retry_at`, or failed for good (`retry_at`
/// `None`). A callback superseded meanwhile stays superseded.
pub fn record_attempt(
    conn: &mut AnyConnection,
    id: &str,
    outcome: Result<NaiveDateTime, (String, Option<NaiveDateTime>)>,
) -> QueryResult<()> {
    let target = drp_callbacks::table
        .find(id)
        .filter(drp_callbacks::status.eq(CallbackStatus::Queued));
    match outcome {
        Ok(sent_at) => diesel::update(target)
            .set((
                drp_callbacks::status.eq(CallbackStatus::Sent),
                drp_callbacks::sent_at.eq(sent_at),
                drp_callbacks::attempts.eq(drp_callbacks::attempts + 1),
                drp_callbacks::claimed_until.eq(None::<NaiveDateTime>),
                drp_callbacks::last_error.eq(None::<String>),
            ))
            .execute(conn),
        Err((error, Some(retry_at))) => diesel::update(target)
            .set((
                drp_callbacks::next_attempt_at.eq(retry_at),
                drp_callbacks::attempts.eq(drp_callbacks::attempts + 1),
                drp_callbacks::claimed_until.eq(None::<NaiveDateTime>),
                drp_callbacks::last_error.eq(error),
            ))
            .execute(conn),
        Err((error, None)) => diesel::update(target)
            .set((
                drp_callbacks::status.eq(CallbackStatus::Failed),
                drp_callbacks::attempts.eq(drp_callbacks::attempts + 1),
                drp_callbacks::claimed_until.eq(None::<NaiveDateTime>),
                drp_callbacks::last_error.eq(error),
            ))
            .execute(conn),
    }
    .map(|_| ())
}

/// A request's callbacks, oldest first.
pub fn callbacks_for(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<CallbackRow>> {
    drp_callbacks::table
        .filter(drp_callbacks::request_id.eq(request_id))
        .order((drp_callbacks::created_at.asc(), drp_callbacks::id.asc()))
        .select(CallbackRow::as_select())
        .load(conn)
}
