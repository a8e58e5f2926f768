//! The API described for clients: `GET /api/openapi.json`, generated from the handlers' annotations
//! and the request and response types (utoipa), so it cannot drift from the code that serves it.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kaiji",
        description = "Personal-data rights requests. Public: file a request and read its status with the tracking token. Staff: bearer tokens from `kaiji token create`."
    ),
    paths(
        super::filing::create_request,
        super::filing::request_status,
        super::procedures::api,
        super::api::request_detail,
        super::api::fire_event,
        super::filing::register_postal,
        super::api::identity_data_points,
        super::api::identity_judgement,
        super::documents::record_api,
        super::documents::view_evidence_api,
        super::replies::retry_notice_api,
        super::replies::assign_api,
        super::audit::verify_api,
        super::audit::verify_against_api,
        super::audit::checkpoint_api,
        super::audit::inclusion_api,
        super::audit::consistency_api,
        super::audit::evidence_api,
        super::queue::queue_api,
        super::reports::api,
        super::staff::add_note_api,
        super::staff::hold_api,
        super::approvals::approve_api,
        super::authority::record_api,
        super::postings::record_api,
        super::inquiries_api::record_api,
        super::inquiries_api::list_api,
        super::inquiries_api::show_api,
        super::inquiries_api::acknowledge_api,
        super::inquiries_api::answer_api,
        super::provision::record_api,
        super::provision::list_api,
        super::provision::attach_api,
        super::provision::detach_api,
        super::document_rejection::reject_api,
        super::account::unlock_api,
        super::people::list_api,
        super::people::role_api,
        super::people::disable_api,
        super::people::enable_api,
        super::people::end_sessions_api,
        super::people::end_every_session_api,
        super::audit::export_api,
        super::payments::record_api,
        super::payments::import_api,
        super::payments::unmatched_api,
        super::payments::assign_api,
        super::replies::change_api,
        super::replies::reply_file_api,
        super::replies::revoke_api,
        super::registry::list_api,
        super::registry::register_api,
        super::registry::update_api,
        super::registry::set_active_api,
        super::systems::complete_api,
        super::systems::lift_api,
        super::systems_api::my_tasks_api,
        super::preferences::lookup_api,
        super::drp::list_api,
        super::drp::add_api,
        super::drp::remove_api,
        super::drp::key_setup,
        super::drp::agent_information,
        super::drp::exercise,
        super::drp::status,
        super::drp::revoke,
        super::systems::withhold_api,
        super::systems::preview_api,
    ),
    components(schemas(super::error::ErrorBody, super::error::ErrorDetail, super::error::FieldProblem, super::drp::DrpErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // An authorised agent's token from DRP key setup (`/v1/agent/{agent_id}`), not a staff token.
        components.add_security_scheme(
            "drp_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token DRP key setup answered (`POST /v1/agent/{agent_id}`)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as served: the annotations' operations, each given the errors its shape can meet (see
/// `with_errors`), cached once built.
pub fn document_json() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        with_errors(&mut doc);
        if let Some(schemas) = doc.pointer_mut("/components/schemas") {
            without_nul(schemas);
        }
        if let Some(paths) = doc.get_mut("paths") {
            without_nul(paths);
        }
        doc
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(document_json())
}

/// No text kaiji takes may hold a NUL (PostgreSQL cannot store one; `refuse_nul` and `ApiJson` refuse it
/// on both backends): every free-text string in the document says so with a pattern, where it has
/// none of its own.
fn without_nul(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let free = !map.contains_key("pattern")
                && !map.contains_key("enum")
                && !map.contains_key("const")
                && !matches!(
                    map.get("format").and_then(Value::as_str),
                    Some("binary" | "byte")
                )
                && map.get("maxLength").and_then(Value::as_u64) != Some(0);
            if is_string && free {
                map.insert("pattern".into(), Value::String("^[^\\u0000]*$".into()));
            }
            for (k, x) in map.iter_mut() {
                // Examples are values, not schemas.
                if k != "example" && k != "examples" {
                    without_nul(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_nul),
        _ => {}
    }
}

fn drp_errors(item: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::json;
    for op in item.values_mut().filter_map(|op| op.as_object_mut()) {
        if !op.contains_key("requestBody") {
            continue;
        }
        if let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) {
            responses.entry("413").or_insert_with(|| {
                json!({
                    "description": "Fatal: the body is larger than a signed request can be (64 KiB)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DrpErrorBody"}}}
                })
            });
        }
    }
}

/// The error answers every operation can give by its shape, so that no annotation repeats them and none
/// is forgotten: a server fault and an unreachable database anywhere; 401 and 403 behind a bearer
/// token; 404 for a path naming nothing; 422 for a query parameter that cannot be read; 413 for any
/// body, and for a JSON body 400 (not JSON), 415 (another content type) and 422 (fields). A text body's
/// own refusals are its annotation's. An annotation's own description of a status (a 404 that says what
/// is missing, a 422 with its codes) is kept.
fn with_errors(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        })
    };
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        // The Data Rights Protocol's endpoints answer in the protocol's own error shape, each status
        // in its annotation; only an oversized body is common to them.
        if path.starts_with("/v1/") {
            drp_errors(item);
            continue;
        }
        for op in item.values_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let in_path = params.iter().any(|p| p["in"] == "path");
            let in_query = params.iter().any(|p| p["in"] == "query");
            let body_types: Vec<String> = op
                .get("requestBody")
                .and_then(|b| b["content"].as_object())
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default();
            let mut add: Vec<(&str, &str)> = vec![
                (
                    "500",
                    "`internal_error`: something went wrong on our side; nothing was changed",
                ),
                (
                    "503",
                    "`unavailable`: the database cannot be reached now; try again",
                ),
            ];
            if secured {
                add.push(("401", "`unauthenticated`: no bearer token, or one revoked or expired (with `WWW-Authenticate: Bearer`)"));
                add.push((
                    "403",
                    "`forbidden`: the token's account has no role that may do this",
                ));
            }
            if in_path {
                add.push((
                    "404",
                    "`not_found`: nothing has this identifier (or it is not yours to see)",
                ));
            }
            let json_body = body_types.iter().any(|t| t == "application/json");
            if in_query || json_body {
                add.push(("422", "`validation_failed`: `fields` names each field or parameter and its problem (`required`, `unknown_field`, `wrong_type`, `invalid_characters`, …)"));
            }
            if json_body {
                add.push(("400", "`invalid_body`: the body is not JSON"));
                add.push((
                    "415",
                    "`unsupported_media_type`: the body was not sent as `application/json`",
                ));
            }
            if !body_types.is_empty() {
                add.push((
                    "413",
                    "`payload_too_large`: the body is larger than this endpoint accepts",
                ));
            }
            let responses = op.entry("responses").or_insert_with(|| json!({}));
            if let Some(responses) = responses.as_object_mut() {
                for (status, description) in add {
                    responses
                        .entry(status)
                        .or_insert_with(|| error(description));
                }
            }
        }
    }
}
