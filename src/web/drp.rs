//! The Data Rights Protocol's endpoints (`/v1/…`, relative to the `api_base` of this business's
//! directory entry) and the administrators' agent registry (`/api/v1/drp/agents`). Signed bodies are
//! read as raw bytes whatever their content type (`text/plain` per the specification; none on DELETE);
//! answers are JSON, errors in the protocol's shape `{"code": "<status>", "message", "fatal"}`, and a
//! failed key setup or a token that does not own the request is 403 with an empty body.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::session::{Administer, ApiStaff};
use crate::app::AppState;
use crate::app::drp::{self, DrpFailure};
use crate::app::drp_agents::{self, AgentView};
use crate::app::drp_status::DrpStatusView;
use crate::domain::drp::DrpRefusal;

/// The bearer token of an agent's call, if it sent one.
fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
}

/// A DRP failure as the protocol answers it (§3.06).
fn answer(f: DrpFailure) -> HttpResponse {
    let (status, message, fatal) = match &f {
        DrpFailure::Disabled | DrpFailure::NotFound => {
            (StatusCode::NOT_FOUND, f.to_string(), false)
        }
        DrpFailure::Forbidden => return HttpResponse::Forbidden().finish(),
        DrpFailure::Unauthorized => (StatusCode::UNAUTHORIZED, f.to_string(), false),
        DrpFailure::Refused(r) => match r {
            // A call the agent cannot have signed: another agent's, or a forgery.
            DrpRefusal::BadSignature | DrpRefusal::WrongAgent | DrpRefusal::WrongBusiness => {
                (StatusCode::FORBIDDEN, r.to_string(), true)
            }
            DrpRefusal::Replayed => (StatusCode::CONFLICT, r.to_string(), true),
            // Too late: discarded, fatally (§2.01); the rest cannot be read.
            DrpRefusal::Expired
            | DrpRefusal::NotYetValid
            | DrpRefusal::Undecodable
            | DrpRefusal::BadClaims(_) => (StatusCode::BAD_REQUEST, r.to_string(), true),
        },
        DrpFailure::Invalid { message, fatal } => {
            (StatusCode::BAD_REQUEST, message.clone(), *fatal)
        }
        DrpFailure::App(e) => {
            tracing::error!(error = %e, "a DRP call failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request could not be processed; try again later".to_owned(),
                false,
            )
        }
    };
    HttpResponse::build(status).json(serde_json::json!({
        "code": status.as_u16().to_string(),
        "message": message,
        "fatal": fatal,
    }))
}

fn json_or(result: Result<DrpStatusView, DrpFailure>) -> HttpResponse {
    match result {
        Ok(view) => HttpResponse::Ok().json(view),
        Err(f) => answer(f),
    }
}

/// `POST /v1/agent/{agent_id}`: pair-wise key setup (§2.05).
pub async fn key_setup(
    state: web::Data<AppState>,
    agent_id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    match drp::key_setup(&state, agent_id.into_inner(), body.to_vec()).await {
        Ok(token) => HttpResponse::Ok().json(serde_json::json!({
            "agent-id": token.0,
            "token": token.1,
        })),
        Err(f) => answer(f),
    }
}

/// `GET /v1/agent/{agent_id}`: agent information (§2.06).
pub async fn agent_information(
    state: web::Data<AppState>,
    req: HttpRequest,
    agent_id: web::Path<String>,
) -> HttpResponse {
    match drp::agent_information(&state, bearer(&req), agent_id.into_inner()).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({})),
        Err(f) => answer(f),
    }
}

/// `POST /v1/data-rights-request`: exercise (§2.01).
pub async fn exercise(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    json_or(drp::exercise(&state, bearer(&req), body.to_vec()).await)
}

/// `GET /v1/data-rights-request/{request_id}`: status (§2.02).
pub async fn status(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    json_or(drp::status(&state, bearer(&req), id.into_inner()).await)
}

/// `DELETE /v1/data-rights-request/{request_id}`: revoke (§2.04).
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    json_or(drp::revoke(&state, bearer(&req), id.into_inner(), body.to_vec()).await)
}

/// An agent to register: its service-directory entry, and the hosts its status callbacks may go to.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBody {
    /// The agent's entry as the DRP service directory publishes it (`agents/<id>.json`): `id`, `name`,
    /// `verify_key` (base64 Ed25519 public key; hex accepted), `web_url`, `technical_contact`,
    /// `business_contact`. At least one contact must be an email address.
    #[schema(value_type = Object)]
    entry: serde_json::Value,
    /// Host names (with a port if not 443) status callbacks may be sent to; none: no callbacks.
    #[serde(default)]
    callback_hosts: Vec<String>,
}

#[utoipa::path(
    get, path = "/api/v1/drp/agents", tag = "drp",
    operation_id = "listDrpAgents",
    description = "The authorised agents registered for the Data Rights Protocol, removed ones included (administrators)",
    responses(
        (status = 200, description = "Every registered agent", body = Vec<AgentView>, example = json!([{
            "id": "CR_AA_PS-DRP_PROD_01", "name": "Permission Slip",
            "verify_key": "9wFJDq/DmuEUgj3BO3VEY8LgAQ3QtOHH4K6TIlOSpr0=",
            "web_url": "https://permissionslipcr.com", "technical_contact": "drp@example.org",
            "business_contact": "drp@example.org", "callback_hosts": ["api.permissionslipcr.com"],
            "added_at": "2026-12-06T08:00:00Z", "removed_at": null
        }])),
    ),
    security(("bearer" = []))
)]
pub async fn list_api(
    state: web::Data<AppState>,
    _who: ApiStaff<Administer>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(drp_agents::agents(&state).await?))
}

#[utoipa::path(
    post, path = "/api/v1/drp/agents", tag = "drp",
    operation_id = "addDrpAgent",
    description = "Register an authorised agent from its service-directory entry, or replace its entry (administrators); audited (`drp.agent_added`)",
    request_body(content = AgentBody, example = json!({
        "entry": {"id": "CR_AA_PS-DRP_PROD_01", "name": "Permission Slip",
                  "verify_key": "9wFJDq/DmuEUgj3BO3VEY8LgAQ3QtOHH4K6TIlOSpr0=",
                  "web_url": "https://permissionslipcr.com", "technical_contact": "drp@example.org",
                  "business_contact": "drp@example.org"},
        "callback_hosts": ["api.permissionslipcr.com"]})),
    responses(
        (status = 200, description = "The agent as registered", body = AgentView, example = json!({
            "id": "CR_AA_PS-DRP_PROD_01", "name": "Permission Slip",
            "verify_key": "9wFJDq/DmuEUgj3BO3VEY8LgAQ3QtOHH4K6TIlOSpr0=",
            "web_url": "https://permissionslipcr.com", "technical_contact": "drp@example.org",
            "business_contact": "drp@example.org", "callback_hosts": ["api.permissionslipcr.com"],
            "added_at": "2026-12-06T08:00:00Z", "removed_at": null
        })),
        (status = 422, description = "`validation_failed`: `entry` `id_required`, `invalid_agent_id`, `name_required`, `invalid_name`, `verify_key_required`, `invalid_verify_key`, `invalid_url`, `contact_email_required`; `callback_hosts` `invalid_host`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    body: super::body::ApiJson<AgentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?.into_inner();
    let view =
        drp_agents::add_agent(&state, who.staff.actor(), body.entry, body.callback_hosts).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(
    delete, path = "/api/v1/drp/agents/{id}", tag = "drp",
    operation_id = "removeDrpAgent",
    description = "Remove an authorised agent: its tokens stop working at once, the requests it filed go on (administrators); audited (`drp.agent_removed`)",
    params(("id" = String, Path, description = "The agent's directory id", example = "CR_AA_PS-DRP_PROD_01")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`not_found`: no live agent has this id", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    drp_agents::remove_agent(&state, who.staff.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
