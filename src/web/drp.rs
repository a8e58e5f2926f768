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
use crate::domain::ids::RequestId;

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

/// A DRP error as the protocol shapes it (§3.06): the HTTP status as a string, words for people, and
/// whether the request is lost for good (`fatal`) or may be sent again.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "400", "message": "Unsupported rights actions submitted.", "fatal": true}))]
pub struct DrpErrorBody {
    /// The HTTP status, as a string.
    pub code: String,
    pub message: String,
    pub fatal: bool,
}

/// What key setup answers (§2.05).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"agent-id": "CR_AA_PS-DRP_PROD_01", "token": "kj_3q2…"}))]
pub struct KeySetupAnswer {
    #[serde(rename = "agent-id")]
    #[schema(rename = "agent-id")]
    pub agent_id: String,
    /// The bearer token for the agent's further calls; kaiji keeps only its digest.
    pub token: String,
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
    HttpResponse::build(status).json(DrpErrorBody {
        code: status.as_u16().to_string(),
        message,
        fatal,
    })
}

/// The most a signed body may be: claims are a few hundred bytes.
const BODY_LIMIT: usize = 64 * 1024;

/// The raw body, or the protocol's 413 beyond the limit (a broken upload is a 400).
async fn signed_body(payload: web::Payload) -> Result<Vec<u8>, HttpResponse> {
    let error = |status: StatusCode, message: &str| {
        HttpResponse::build(status).json(DrpErrorBody {
            code: status.as_u16().to_string(),
            message: message.to_owned(),
            fatal: true,
        })
    };
    match payload.to_bytes_limited(BODY_LIMIT).await {
        Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        Err(_limit) => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The body is larger than a signed request can be (64 KiB).",
        )),
        Ok(Err(e)) => {
            tracing::info!(error = %e, "a DRP body could not be read");
            Err(error(
                StatusCode::BAD_REQUEST,
                "The body could not be read.",
            ))
        }
    }
}

fn json_or(result: Result<DrpStatusView, DrpFailure>) -> HttpResponse {
    match result {
        Ok(view) => HttpResponse::Ok().json(view),
        Err(f) => answer(f),
    }
}

/// `POST /v1/agent/{agent_id}`: pair-wise key setup (§2.05).
#[utoipa::path(
    post, path = "/v1/agent/{agent_id}", tag = "drp-protocol",
    operation_id = "drpKeySetup",
    description = "DRP pair-wise key setup (§2.05): the agent named in the path signs claims `agent-id`, `business-id`, `issued-at`, `expires-at`; the answer is its bearer token. Audited (`drp.key_set_up`, refusals `drp.call_refused`)",
    request_body(content = String, content_type = "text/plain", description = "The signed body: base64 (standard or URL-safe, padded or not) of the 64-byte Ed25519 signature followed by the UTF-8 JSON claims it signs (libsodium's combined mode), sent as `text/plain` (any content type is read)", example = json!("bXktc2lnbmF0dXJlLi4ueyJhZ2VudC1pZCI6IkNSX0FBX1BTLURSUF9QUk9EXzAxIn0=")),
    params(("agent_id" = String, Path, description = "The agent's service-directory id", example = "CR_AA_PS-DRP_PROD_01")),
    responses(
        (status = 200, description = "A new bearer token for this agent", body = KeySetupAnswer),
        (status = 403, description = "Any failure, with an empty body: an agent not registered or removed, a bad signature, wrong claims, a replay, outside the window"),
        (status = 404, description = "The Data Rights Protocol is not offered here (no `KAIJI_DRP_BUSINESS_ID`)", body = DrpErrorBody),
        (status = 500, description = "The call could not be processed; try again later (not fatal)", body = DrpErrorBody),
    ),
)]
pub async fn key_setup(
    state: web::Data<AppState>,
    agent_id: web::Path<String>,
    body: web::Payload,
) -> HttpResponse {
    let body = match signed_body(body).await {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    match drp::key_setup(&state, agent_id.into_inner(), body).await {
        Ok((agent_id, token)) => HttpResponse::Ok().json(KeySetupAnswer { agent_id, token }),
        Err(f) => answer(f),
    }
}

/// `GET /v1/agent/{agent_id}`: agent information (§2.06).
#[utoipa::path(
    get, path = "/v1/agent/{agent_id}", tag = "drp-protocol",
    operation_id = "drpAgentInformation",
    description = "DRP agent information (§2.06): `{}` when the token is this agent's",
    params(("agent_id" = String, Path, description = "The agent's service-directory id", example = "CR_AA_PS-DRP_PROD_01")),
    responses(
        (status = 200, description = "An empty object", body = Object, example = json!({})),
        (status = 401, description = "No bearer token, or one this business did not issue or no longer honours (its agent removed)", body = DrpErrorBody),
        (status = 403, description = "The token belongs to another agent (empty body)"),
        (status = 404, description = "The Data Rights Protocol is not offered here (no `KAIJI_DRP_BUSINESS_ID`)", body = DrpErrorBody),
        (status = 500, description = "The call could not be processed; try again later (not fatal)", body = DrpErrorBody),
    ),
    security(("drp_token" = []))
)]
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
#[utoipa::path(
    post, path = "/v1/data-rights-request", tag = "drp-protocol",
    operation_id = "drpExercise",
    description = "DRP exercise (§2.01): files the request the signed claims ask for (`exercise`: `sale:opt-out`, `sale:opt-in`, `access`, `access:categories`, `access:specific`, `deletion`; `regime`: `ccpa` or none) for the person they name, with `identity claims` (`name`, `email`, …, `*_verified`), `agent-request-id` and `status_callback` (https, on a host registered for the agent). The same `agent-request-id` again answers the request already filed. Audited (`drp.exercised`)",
    request_body(content = String, content_type = "text/plain", description = "The signed body: base64 (standard or URL-safe, padded or not) of the 64-byte Ed25519 signature followed by the UTF-8 JSON claims it signs (libsodium's combined mode), sent as `text/plain` (any content type is read)", example = json!("bXktc2lnbmF0dXJlLi4ueyJhZ2VudC1pZCI6IkNSX0FBX1BTLURSUF9QUk9EXzAxIn0=")),
    responses(
        (status = 200, description = "The request's status object (§3.03)", body = DrpStatusView),
        (status = 400, description = "Fatal unless said: the body cannot be decoded or its claims read, it is outside its window, `drp.version`, the regime or the action is not supported here, a claim cannot be filed (which says), or (not fatal) `status_callback` is not on a host registered for the agent", body = DrpErrorBody),
        (status = 401, description = "No bearer token, or one this business did not issue or no longer honours (its agent removed)", body = DrpErrorBody),
        (status = 403, description = "Fatal: the signature is not the agent's, or the body names another agent or another business", body = DrpErrorBody),
        (status = 404, description = "The Data Rights Protocol is not offered here (no `KAIJI_DRP_BUSINESS_ID`)", body = DrpErrorBody),
        (status = 409, description = "Fatal: this signed body was already received", body = DrpErrorBody),
        (status = 500, description = "The call could not be processed; try again later (not fatal)", body = DrpErrorBody),
    ),
    security(("drp_token" = []))
)]
pub async fn exercise(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    match signed_body(body).await {
        Ok(body) => json_or(drp::exercise(&state, bearer(&req), body).await),
        Err(answer) => answer,
    }
}

/// `GET /v1/data-rights-request/{request_id}`: status (§2.02).
#[utoipa::path(
    get, path = "/v1/data-rights-request/{request_id}", tag = "drp-protocol",
    operation_id = "drpStatus",
    description = "DRP status (§2.02), derived from the request's workflow each time: `open`, `in_progress` (with `expected_by`; `need_user_verification` with `user_verification_url`), `fulfilled`, `denied` with a reason, `revoked`. Audited (`drp.status_read`)",
    params(("request_id" = String, Path, description = "The request id kaiji answered exercise with", example = "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f")),
    responses(
        (status = 200, description = "The request's status object (§3.03)", body = DrpStatusView),
        (status = 401, description = "No bearer token, or one this business did not issue or no longer honours (its agent removed)", body = DrpErrorBody),
        (status = 403, description = "Another agent's request (empty body)"),
        (status = 404, description = "No request has this id, or the protocol is not offered here", body = DrpErrorBody),
        (status = 500, description = "The call could not be processed; try again later (not fatal)", body = DrpErrorBody),
    ),
    security(("drp_token" = []))
)]
pub async fn status(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<RequestId>,
) -> HttpResponse {
    json_or(drp::status(&state, bearer(&req), id.into_inner()).await)
}

/// `DELETE /v1/data-rights-request/{request_id}`: revoke (§2.04).
#[utoipa::path(
    delete, path = "/v1/data-rights-request/{request_id}", tag = "drp-protocol",
    operation_id = "drpRevoke",
    description = "DRP revoke (§2.04): the signed claims (with an optional `reason`) withdraw the request as the person's own withdrawal would; the answer is the new status. Audited (`drp.revoked`)",
    request_body(content = String, content_type = "text/plain", description = "The signed body: base64 (standard or URL-safe, padded or not) of the 64-byte Ed25519 signature followed by the UTF-8 JSON claims it signs (libsodium's combined mode), sent as `text/plain` (any content type is read)", example = json!("bXktc2lnbmF0dXJlLi4ueyJhZ2VudC1pZCI6IkNSX0FBX1BTLURSUF9QUk9EXzAxIn0=")),
    params(("request_id" = String, Path, description = "The request id kaiji answered exercise with", example = "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f")),
    responses(
        (status = 200, description = "The request's status object (§3.03)", body = DrpStatusView),
        (status = 400, description = "Fatal: the body cannot be decoded or read, is outside its window, or the request is already final", body = DrpErrorBody),
        (status = 401, description = "No bearer token, or one this business did not issue or no longer honours (its agent removed)", body = DrpErrorBody),
        (status = 403, description = "Another agent's request (empty body), or a signature that is not the agent's"),
        (status = 404, description = "No request has this id, or the protocol is not offered here", body = DrpErrorBody),
        (status = 409, description = "Fatal: this signed body was already received", body = DrpErrorBody),
        (status = 500, description = "The call could not be processed; try again later (not fatal)", body = DrpErrorBody),
    ),
    security(("drp_token" = []))
)]
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<RequestId>,
    body: web::Payload,
) -> HttpResponse {
    match signed_body(body).await {
        Ok(body) => json_or(drp::revoke(&state, bearer(&req), id.into_inner(), body).await),
        Err(answer) => answer,
    }
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
