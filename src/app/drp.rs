//! Authorised agents over the Data Rights Protocol 1.0 (`domain::drp`): an administrator registers an
//! agent from its service-directory entry; the agent sets up its pair-wise token, files a request
//! (exercise), reads its status and revokes it. Each call is checked in the specification's order and
//! audited with the agent's id; a filing is written with its link to the agent in one transaction. The
//! status is read from the workflow every time, so that it never disagrees with what an officer sees.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::cases::Case;
use super::drp_status::{DrpStatusView, StatusLinks, status_view};
use super::{AppError, AppState};
use crate::db::drp::{self as repo, AgentRow, DrpRequestRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::drp::{Claims, DrpRefusal, Signed};
use crate::domain::ids::RequestId;
use crate::domain::request::{Channel, Language, NewRequest, RawRequest};
use crate::domain::workflow::Party;
use crate::security::tokens;

/// An agent's clock may run this far ahead of ours (the specification wants `issued-at ≤ now`).
const SKEW: Duration = Duration::seconds(60);
/// The longest validity window kaiji believes: the specification recommends 10 minutes and its
/// reference agent uses 15; a body valid for longer could be replayed for longer.
const LONGEST_WINDOW: Duration = Duration::minutes(60);
/// The actor an agent's calls are audited as (the agent's id is in the details).
const AGENT: Actor = Actor::System("drp-agent");

/// Why a DRP call failed, as the web layer answers it.
#[derive(Debug, thiserror::Error)]
pub enum DrpFailure {
    /// `KAIJI_DRP_BUSINESS_ID` is unset: kaiji takes no DRP calls.
    #[error("the Data Rights Protocol is not enabled here")]
    Disabled,
    /// No bearer token, or one that opens nothing.
    #[error("no valid bearer token")]
    Unauthorized,
    /// A failed key setup, or a token that does not own the request: 403 with an empty body.
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    Refused(DrpRefusal),
    /// The call is believed but cannot be acted on (an action or regime kaiji does not take, a claim
    /// missing); `fatal`: sending it again will not help.
    #[error("{message}")]
    Invalid { message: String, fatal: bool },
    #[error("no such request")]
    NotFound,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<crate::db::DbError> for DrpFailure {
    fn from(e: crate::db::DbError) -> Self {
        DrpFailure::App(e.into())
    }
}

impl From<diesel::result::Error> for DrpFailure {
    fn from(e: diesel::result::Error) -> Self {
        DrpFailure::App(e.into())
    }
}

fn invalid(message: impl Into<String>) -> DrpFailure {
    DrpFailure::Invalid {
        message: message.into(),
        fatal: true,
    }
}

pub(crate) fn business_id(state: &AppState) -> Result<String, DrpFailure> {
    state
        .config
        .intake
        .drp_business_id
        .clone()
        .ok_or(DrpFailure::Disabled)
}

fn key_of(agent: &AgentRow) -> Result<ed25519_dalek::VerifyingKey, DrpFailure> {
    let bytes = crate::domain::drp::decode_key(&agent.verify_key)
        .map_err(|_| AppError::Definition("stored agent key".into()))?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|_| DrpFailure::App(AppError::Definition("stored agent key".into())))
}

/// Believes a signed body from `agent`, and refuses it if it was received before or claims a window
/// longer than kaiji believes.
fn believe(
    conn: &mut AnyConnection,
    agent: &AgentRow,
    business: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Claims, DrpRefusal> {
    let signed = Signed::decode(body)?;
    let key = key_of(agent).map_err(|_| DrpRefusal::BadSignature)?;
    let claims = signed.believe(&key, &agent.id, business, now, SKEW)?;
    if claims.expires_at - claims.issued_at > LONGEST_WINDOW {
        return Err(DrpRefusal::BadClaims(
            "expires-at is too far after issued-at",
        ));
    }
    if !repo::first_sight(
        conn,
        &signed.replay_key(),
        db::to_db_time(claims.expires_at),
        db::to_db_time(now),
    )
    .map_err(|_| DrpRefusal::Replayed)?
    {
        return Err(DrpRefusal::Replayed);
    }
    Ok(claims)
}

/// Audits a refused call of a known agent (unknown callers are only counted in the logs).
fn audit_refusal(
    conn: &mut AnyConnection,
    agent_id: &str,
    call: &str,
    why: &DrpRefusal,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::DrpCallRefused, AGENT, now)
            .details(json!({"agent_id": agent_id, "call": call, "why": why.to_string()})),
    )?;
    Ok(())
}

/// Pair-wise key setup (§2.05): the agent named in the URL signs; the answer is a new bearer token
/// (only its digest is kept). Any failure is the same 403 with nothing said.
pub async fn key_setup(
    state: &AppState,
    agent_id: String,
    body: Vec<u8>,
) -> Result<(String, String), DrpFailure> {
    let business = business_id(state)?;
    let now = state.clock.now();
    let outcome: Result<Result<(String, String), DrpRefusal>, DrpFailure> = state
        .db
        .write(move |conn| {
            let Some(agent) = repo::find_agent(conn, &agent_id)?.filter(|a| a.removed_at.is_none())
            else {
                return Ok(Err(DrpRefusal::WrongAgent));
            };
            let claims = match believe(conn, &agent, &business, &body, now) {
                Ok(c) if c.version_ok() => c,
                Ok(_) => return Ok(Err(DrpRefusal::BadClaims("drp.version"))),
                Err(why) => {
                    audit_refusal(conn, &agent.id, "key_setup", &why, now)?;
                    return Ok(Err(why));
                }
            };
            let token = tokens::new_token();
            repo::insert_token(
                conn,
                &tokens::digest(&token),
                &agent.id,
                db::to_db_time(now),
            )?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DrpKeySetUp, AGENT, now)
                    .details(json!({"agent_id": claims.agent_id})),
            )?;
            Ok(Ok((claims.agent_id, token)))
        })
        .await;
    outcome?.map_err(|_| DrpFailure::Forbidden)
}

/// The agent a bearer token belongs to.
async fn agent_of(state: &AppState, bearer: Option<String>) -> Result<AgentRow, DrpFailure> {
    business_id(state)?;
    let Some(token) = bearer.filter(|t| tokens::looks_like_token(t)) else {
        return Err(DrpFailure::Unauthorized);
    };
    state
        .db
        .run(move |conn| {
            repo::agent_of_token(conn, &tokens::digest(&token)).map_err(AppError::from)
        })
        .await?
        .ok_or(DrpFailure::Unauthorized)
}

/// Agent information (§2.06): `{}` to the agent its token belongs to, 403 to any other.
pub async fn agent_information(
    state: &AppState,
    bearer: Option<String>,
    agent_id: String,
) -> Result<(), DrpFailure> {
    let agent = agent_of(state, bearer).await?;
    if agent.id != agent_id {
        return Err(DrpFailure::Forbidden);
    }
    Ok(())
}

/// The canonical form of an action, for agents that spell it with `_` or `-` (`sale_opt_out`).
fn action_key(a: &str) -> String {
    a.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Exercise (§2.01): files the request the signed body asks for, as the agent's for the person it
/// names, under the law whose `[drp]` takes the body's regime and action.
pub async fn exercise(
    state: &AppState,
    bearer: Option<String>,
    body: Vec<u8>,
) -> Result<DrpStatusView, DrpFailure> {
    let agent = agent_of(state, bearer).await?;
    let business = business_id(state)?;
    let now = state.clock.now();
    let catalog = state.workflows.clone();
    // Believed (and its replay barred) in a transaction of its own: a refusal is audited even though
    // nothing is filed.
    let claims = {
        let agent = agent.clone();
        state
            .db
            .write(move |conn| {
                Ok::<_, AppError>(match believe(conn, &agent, &business, &body, now) {
                    Ok(c) => Ok(c),
                    Err(why) => {
                        audit_refusal(conn, &agent.id, "exercise", &why, now)?;
                        Err(why)
                    }
                })
            })
            .await?
            .map_err(DrpFailure::Refused)?
    };
    if !claims.version_ok() {
        return Err(invalid("Unsupported drp.version."));
    }
    // The same agent-request-id again: the request already filed, not a second one.
    if let Some(arid) = claims.text("agent-request-id").map(str::to_owned) {
        if arid.is_empty() || arid.chars().count() > 200 || arid.chars().any(char::is_control) {
            return Err(invalid(
                "agent-request-id must be 1 to 200 printable characters.",
            ));
        }
        let (agent_id, cat) = (agent.id.clone(), catalog.clone());
        let (base, keys) = (state.config.http.public_url.clone(), state.keys.clone());
        let existing = state
            .db
            .run(
                move |conn| match repo::find_by_agent_request_id(conn, &agent_id, &arid)? {
                    Some(link) => {
                        status_view(conn, &cat, &link, &links(&base, &keys), now).map(Some)
                    }
                    None => Ok(None),
                },
            )
            .await?;
        if let Some(view) = existing {
            return Ok(view);
        }
    }
    let laws = catalog.laws().clone();
    let regime_name = claims
        .text("regime")
        .map(|r| r.trim().to_ascii_lowercase())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "voluntary".to_owned());
    let Some(regime) = laws.regimes().find(|r| {
        r.drp
            .as_ref()
            .is_some_and(|d| d.regimes.contains(&regime_name))
    }) else {
        return Err(invalid(format!("Unsupported regime `{regime_name}`.")));
    };
    let action = claims.text("exercise").unwrap_or_default().to_owned();
    let right = regime.drp.as_ref().and_then(|d| {
        d.actions
            .iter()
            .find(|(a, _)| action_key(a) == action_key(&action))
            .map(|(_, r)| r.clone())
    });
    let Some(right) = right else {
        return Err(invalid("Unsupported rights actions submitted."));
    };
    let Some(place) = laws.served().find(|p| p.regime == regime.id) else {
        return Err(invalid(format!(
            "This business takes no requests under `{regime_name}`."
        )));
    };
    let entry_contact =
        crate::domain::drp::contact_email(&agent.business_contact, &agent.technical_contact)
            .map(str::to_owned)
            .ok_or_else(|| AppError::Definition("agent without a contact address".into()))?;
    let callback = match claims.text("status_callback") {
        None => None,
        Some(u) => Some(
            super::drp_callbacks::callback_allowed(&agent, u).ok_or_else(|| {
                DrpFailure::Invalid {
                    message:
                        "status_callback must be an https URL on a host registered for this agent."
                            .into(),
                    fatal: false,
                }
            })?,
        ),
    };
    let raw = RawRequest {
        name: agent.name.clone(),
        email: entry_contact,
        request_type: right.to_string(),
        jurisdiction: place.code.to_string(),
        message: format!(
            "Filed by the authorised agent {} over the Data Rights Protocol ({action}).",
            agent.name
        ),
        requester_kind: "agent".into(),
        person_name: claims.text("name").unwrap_or_default().to_owned(),
        person_email: claims.text("email").unwrap_or_default().to_owned(),
        ..RawRequest::default()
    };
    let parsed = NewRequest::parse(&raw, Language::EN, Channel::Api, &*laws, now).map_err(|e| {
        let fields: Vec<String> = e
            .iter()
            .map(|f| {
                let claim = match &*f.field {
                    "person_name" => "name",
                    "person_email" => "email",
                    other => other,
                };
                format!("{claim}: {}", f.code)
            })
            .collect();
        invalid(format!(
            "The request cannot be filed: {}.",
            fields.join(", ")
        ))
    })?;
    let verified: Vec<&str> = ["email", "phone_number", "address"]
        .into_iter()
        .filter(|k| claims.verified(k))
        .collect();
    let link = DrpRequestRow {
        request_id: RequestId::new(String::new()),
        agent_id: agent.id.clone(),
        action: action.clone(),
        agent_request_id: claims.text("agent-request-id").map(str::to_owned),
        status_callback: callback,
        verified_claims: serde_json::to_string(&verified).unwrap_or_else(|_| "[]".into()),
        created_at: db::to_db_time(now),
        last_status: None,
        redirect_to: None,
    };
    let regime_id = regime.id.clone();
    let hook_catalog = catalog.clone();
    let (base, keys) = (state.config.http.public_url.clone(), state.keys.clone());
    let (hook_base, hook_keys) = (base.clone(), keys.clone());
    let receipt = super::intake::submit_with(
        state,
        super::limits::Admitted::unlimited(parsed),
        AGENT,
        true,
        move |conn, receipt| {
            let row = DrpRequestRow {
                request_id: receipt.request_id.clone(),
                ..link.clone()
            };
            repo::insert_request(conn, &row)?;
            // The status the exercise answers with is the agent's first; callbacks follow changes.
            let first = status_view(
                conn,
                &hook_catalog,
                &row,
                &links(&hook_base, &hook_keys),
                now,
            )?;
            repo::set_last_status(
                conn,
                &row.request_id,
                &serde_json::to_string(&first).map_err(|e| AppError::Definition(e.to_string()))?,
            )?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DrpExercised, AGENT, now)
                    .for_request(&receipt.request_id)
                    .details(json!({"agent_id": row.agent_id, "action": row.action,
                                    "regime": regime_id, "verified_claims": verified_list(&row)})),
            )?;
            Ok(())
        },
    )
    .await?;
    state
        .db
        .run(move |conn| {
            let link = repo::find_request(conn, &receipt.request_id)?.ok_or(AppError::NotFound)?;
            status_view(conn, &catalog, &link, &links(&base, &keys), now)
        })
        .await
        .map_err(DrpFailure::from)
}

fn links<'a>(public_url: &'a str, keys: &'a crate::config::Keys) -> StatusLinks<'a> {
    StatusLinks { public_url, keys }
}

fn verified_list(row: &DrpRequestRow) -> serde_json::Value {
    serde_json::from_str(&row.verified_claims).unwrap_or_default()
}

/// The request an agent's token may see: 403 for another agent's, 404 for none.
fn owned(
    conn: &mut AnyConnection,
    agent: &AgentRow,
    request_id: &RequestId,
) -> Result<DrpRequestRow, DrpFailure> {
    let link = repo::find_request(conn, request_id)?.ok_or(DrpFailure::NotFound)?;
    if link.agent_id != agent.id {
        return Err(DrpFailure::Forbidden);
    }
    Ok(link)
}

/// Status (§2.02).
pub async fn status(
    state: &AppState,
    bearer: Option<String>,
    request_id: RequestId,
) -> Result<DrpStatusView, DrpFailure> {
    let agent = agent_of(state, bearer).await?;
    let now = state.clock.now();
    let catalog = state.workflows.clone();
    let (base, keys) = (state.config.http.public_url.clone(), state.keys.clone());
    state
        .db
        .write(move |conn| {
            let link = owned(conn, &agent, &request_id)?;
            let view = status_view(conn, &catalog, &link, &links(&base, &keys), now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DrpStatusRead, AGENT, now)
                    .for_request(&link.request_id)
                    .details(json!({"agent_id": agent.id, "status": view.status})),
            )?;
            Ok(view)
        })
        .await
}

/// Revoke (§2.04): the signed body from the agent that filed the request withdraws it, as the
/// person's own withdrawal would; the answer is the new status. A request already final is refused.
pub async fn revoke(
    state: &AppState,
    bearer: Option<String>,
    request_id: RequestId,
    body: Vec<u8>,
) -> Result<DrpStatusView, DrpFailure> {
    let agent = agent_of(state, bearer).await?;
    let business = business_id(state)?;
    let now = state.clock.now();
    let catalog = state.workflows.clone();
    let config = state.config.clone();
    let keys = state.keys.clone();
    state
        .db
        .write(move |conn| {
            let link = owned(conn, &agent, &request_id)?;
            let claims = match believe(conn, &agent, &business, &body, now) {
                Ok(c) => c,
                Err(why) => {
                    audit_refusal(conn, &agent.id, "revoke", &why, now)?;
                    return Err(DrpFailure::Refused(why));
                }
            };
            let mut case = Case::load(conn, &catalog, &link.request_id)?;
            let Some(event) = super::tracking::requester_actions(&case)
                .into_iter()
                .find(|a| a.closes)
                .map(|a| a.event)
            else {
                return Err(DrpFailure::Invalid {
                    message: "The request can no longer be revoked.".into(),
                    fatal: true,
                });
            };
            // The reason is the person's words: for the desk, never echoed in a notice.
            let mut data = serde_json::Map::new();
            if let Some(r) = claims
                .text("reason")
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                data.insert(
                    "statement".into(),
                    r.chars().take(2000).collect::<String>().into(),
                );
            }
            let cx = super::transition::TransitionContext {
                catalog: &catalog,
                config: &config,
                keys: &keys,
                actor: &Actor::Requester,
                by: Party::Requester,
                now,
            };
            super::transition::apply_event(conn, &cx, &mut case, &event, data)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DrpRevoked, AGENT, now)
                    .for_request(&link.request_id)
                    .details(json!({"agent_id": agent.id})),
            )?;
            status_view(
                conn,
                &catalog,
                &link,
                &links(&config.http.public_url, &keys),
                now,
            )
            .map_err(DrpFailure::from)
        })
        .await
}
