//! The Data Rights Protocol's rows: agents, their tokens' digests, the requests they filed, and the
//! signed bodies already received.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{drp_agents, drp_requests, drp_seen, drp_tokens};

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
    pub request_id: String,
    pub agent_id: String,
    pub action: String,
    pub agent_request_id: Option<String>,
    pub status_callback: Option<String>,
    /// JSON list of the identity claims the agent said it verified (names, never values).
    pub verified_claims: String,
    pub created_at: NaiveDateTime,
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
    request_id: &str,
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
