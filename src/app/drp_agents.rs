//! The authorised agents an administrator registered for the Data Rights Protocol, from their
//! service-directory entries, and this business's own entry for the directory.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::drp::{DrpFailure, business_id};
use super::{AppError, AppState};
use crate::db::drp::{self as repo, AgentRow};
use crate::db::{self, audit};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::drp::AgentEntry;

/// An agent as the admin API lists it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AgentView {
    pub id: String,
    pub name: String,
    /// Base64 of the Ed25519 public key.
    pub verify_key: String,
    pub web_url: Option<String>,
    pub technical_contact: Option<String>,
    pub business_contact: Option<String>,
    /// Hosts status callbacks may be sent to.
    pub callback_hosts: Vec<String>,
    pub added_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl From<AgentRow> for AgentView {
    fn from(r: AgentRow) -> Self {
        Self {
            callback_hosts: serde_json::from_str(&r.callback_hosts).unwrap_or_default(),
            id: r.id,
            name: r.name,
            verify_key: r.verify_key,
            web_url: r.web_url,
            technical_contact: r.technical_contact,
            business_contact: r.business_contact,
            added_at: db::from_db_time(r.added_at),
            removed_at: r.removed_at.map(db::from_db_time),
        }
    }
}

/// Registers an agent from its service-directory entry (`agents/*.json`), or replaces its entry; the
/// hosts its status callbacks may reach are the operator's to say (never the entry's).
pub async fn add_agent(
    state: &AppState,
    actor: Actor,
    entry: serde_json::Value,
    callback_hosts: Vec<String>,
) -> Result<AgentView, AppError> {
    let entry = AgentEntry::parse(&entry).map_err(|code| AppError::invalid("entry", code))?;
    if crate::domain::drp::contact_email(&entry.business_contact, &entry.technical_contact)
        .is_none()
    {
        return Err(AppError::invalid("entry", "contact_email_required"));
    }
    for h in &callback_hosts {
        if h.is_empty()
            || h.len() > 253
            || !h
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':')
        {
            return Err(AppError::invalid("callback_hosts", "invalid_host"));
        }
    }
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            let row = AgentRow {
                id: entry.id.clone(),
                name: entry.name.clone(),
                verify_key: base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    entry.verify_key,
                ),
                web_url: entry.web_url.clone(),
                technical_contact: entry.technical_contact.clone(),
                business_contact: entry.business_contact.clone(),
                callback_hosts: serde_json::to_string(&callback_hosts)
                    .map_err(|e| AppError::Definition(e.to_string()))?,
                added_by: actor.id().unwrap_or_else(|| actor.kind().to_owned()),
                added_at: db::to_db_time(now),
                removed_at: None,
            };
            repo::upsert_agent(conn, &row)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DrpAgentAdded, actor.clone(), now)
                    .details(json!({"agent_id": row.id, "callback_hosts": callback_hosts})),
            )?;
            Ok(AgentView::from(row))
        })
        .await
}

/// Every registered agent, removed ones included (marked).
pub async fn agents(state: &AppState) -> Result<Vec<AgentView>, AppError> {
    state
        .db
        .run(|conn| {
            Ok(repo::agents(conn)?
                .into_iter()
                .map(AgentView::from)
                .collect())
        })
        .await
}

/// Removes an agent: its tokens stop working at once; the requests it filed go on.
pub async fn remove_agent(
    state: &AppState,
    actor: Actor,
    agent_id: String,
) -> Result<(), AppError> {
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            if !repo::remove_agent(conn, &agent_id, db::to_db_time(now))? {
                return Err(AppError::NotFound);
            }
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DrpAgentRemoved, actor, now)
                    .details(json!({"agent_id": agent_id})),
            )?;
            Ok(())
        })
        .await
}

/// This business's entry for the service directory (`business.schema.json`), from the configuration
/// and the actions the laws it serves take over DRP.
pub fn business_entry(state: &AppState) -> Result<serde_json::Value, DrpFailure> {
    let id = business_id(state)?;
    let laws = state.workflows.laws();
    let mut actions: Vec<String> = laws
        .served()
        .filter_map(|p| laws.regime(&p.regime))
        .filter_map(|r| r.drp.as_ref())
        .flat_map(|d| d.actions.keys().cloned())
        .collect();
    actions.sort();
    actions.dedup();
    let base = &state.config.http.public_url;
    Ok(json!({
        "id": id,
        "name": id,
        "api_base": base,
        "supported_actions": actions,
        // Both spellings: the schema's, and the one live entries and agents read.
        "supported_verifications": ["email"],
        "supported_verfications": ["email"],
        "web_url": base,
        "privacy_policy_url": format!("{base}/procedures"),
    }))
}
