//! The route table: every path and method the server answers, by scope and then by resource. `mount`
//! registers it and `table` lists it, from the same declarations, so the tests that walk every route
//! (roles, CSRF, OpenAPI) walk exactly what is served.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};

use super::{
    account, api, approvals, audit, audit_page, auth, authority, document_rejection, documents,
    drp, drp_agents_page, drp_verify, filing, form_pdf, forms, health, inquiries, inquiries_api,
    metrics, mfa, openapi, payments, people, postal, postings, preferences, procedures, provision,
    public, queue, registry, replies, reports, staff, systems, systems_api, tracking,
};

/// One method on one path (relative to its scope), with its handler.
pub struct Endpoint {
    method: Method,
    path: &'static str,
    route: Route,
}

fn endpoint<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    // HEAD is GET without the body (RFC 9110 §9.3.2): every GET route answers it, and the server sends
    // no body with a HEAD answer.
    let route = if method == Method::GET {
        web::route()
            .guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
            .to(handler)
    } else {
        web::method(method.clone()).to(handler)
    };
    Endpoint {
        route,
        method,
        path,
    }
}

fn get<F, Args>(path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    endpoint(Method::GET, path, handler)
}

fn post<F, Args>(path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    endpoint(Method::POST, path, handler)
}

fn put<F, Args>(path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    endpoint(Method::PUT, path, handler)
}

fn delete<F, Args>(path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    endpoint(Method::DELETE, path, handler)
}

/// The scopes, each with its prefix ("" for the public pages, which have none) and its resources' routes.
fn scopes() -> [(&'static str, Vec<Vec<Endpoint>>); 3] {
    [
        (
            "",
            vec![
                service(),
                filing_and_tracking(),
                links(),
                paper_forms(),
                inquiry_desk(),
                setup(),
                data_rights_protocol(),
            ],
        ),
        (
            "/staff",
            vec![
                staff_sign_in(),
                staff_account(),
                staff_people(),
                staff_requests(),
                staff_postal(),
                staff_audit(),
                staff_reports(),
                staff_payments(),
                staff_provision(),
                staff_inquiries(),
                staff_systems(),
            ],
        ),
        (
            "/api/v1",
            vec![
                api_filing(),
                api_requests(),
                api_queue(),
                api_reports(),
                api_audit(),
                api_payments(),
                api_provision(),
                api_inquiries(),
                api_systems(),
                api_staff(),
                api_drp(),
            ],
        ),
    ]
}

/// Registers every route. The public pages stay at the top level; `/staff` and `/api/v1` are scopes, whose
/// unmatched paths fall to the app's default service like any other (a scope has none of its own).
pub fn mount(cfg: &mut web::ServiceConfig) {
    for (prefix, resources) in scopes() {
        let endpoints = resources.into_iter().flatten();
        if prefix.is_empty() {
            for e in endpoints {
                cfg.route(e.path, e.route);
            }
        } else {
            // `.route` gives each method its own resource, as at the top level: a path asked with another
            // method falls through to the 404, not a 405.
            cfg.service(
                endpoints.fold(web::scope(prefix), |scope, e| scope.route(e.path, e.route)),
            );
        }
    }
}

/// The methods a path is served with (HEAD beside each GET), for the `Allow` of a 405; empty when no
/// route has the path at all.
pub fn allowed_methods(path: &str) -> Vec<Method> {
    use std::sync::OnceLock;
    static PATTERNS: OnceLock<Vec<(Method, actix_web::dev::ResourceDef)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        table()
            .into_iter()
            .map(|(m, p)| (m, actix_web::dev::ResourceDef::new(p)))
            .collect()
    });
    let mut allowed: Vec<Method> = Vec::new();
    for (m, def) in patterns {
        if def.is_match(path) && !allowed.contains(m) {
            allowed.push(m.clone());
            if *m == Method::GET && !allowed.contains(&Method::HEAD) {
                allowed.push(Method::HEAD);
            }
        }
    }
    allowed
}

/// Every route as (method, full path), in registration order.
pub fn table() -> Vec<(Method, String)> {
    scopes()
        .into_iter()
        .flat_map(|(prefix, resources)| {
            resources
                .into_iter()
                .flatten()
                .map(move |e| (e.method, format!("{prefix}{}", e.path)))
        })
        .collect()
}

// The public pages.

fn service() -> Vec<Endpoint> {
    vec![
        get("/healthz", health::healthz),
        get("/readyz", health::readyz),
        get("/metrics", metrics::metrics),
        get("/static/kaiji.css", super::stylesheet),
        get("/static/kaiji.js", super::script),
        get("/api/openapi.json", openapi::document),
        get("/.well-known/gpc.json", preferences::gpc_json),
    ]
}

/// The request form, and the requester's tracking page with what they send from it.
fn filing_and_tracking() -> Vec<Endpoint> {
    vec![
        get("/", public::form),
        post("/requests", public::submit),
        get("/track", tracking::lost_page),
        post("/track", tracking::lost_send),
        get("/track/{token}", tracking::track),
        post("/track/{token}/evidence", tracking::submit_evidence),
        post("/track/{token}/act/{event}", tracking::act),
        get(
            "/track/{token}/account-verified",
            tracking::account_verified,
        ),
    ]
}

/// The links sent by email: confirmations and the reply's download, each a page with a button.
fn links() -> Vec<Endpoint> {
    vec![
        get("/confirm/{link}", public::confirm_page),
        post("/confirm/{link}", public::confirm),
        get("/confirm-person/{link}", public::person_page),
        post("/confirm-person/{link}", public::person_confirm),
        // An authorised agent opens this for the person whose step is awaited (DRP §3.02.1).
        get("/drp/verify/{link}", drp_verify::verify_page),
        post("/drp/verify/{link}", drp_verify::resend),
        get("/download/{link}", replies::download_page),
        post("/download/{link}", replies::download_file),
    ]
}

/// The Data Rights Protocol 1.0, for authorised agents: signed calls and bearer tokens of its own
/// (`api_base` is the site's root). The exercise path is also taken with the trailing `/` of DRP before
/// 0.9.3.
fn data_rights_protocol() -> Vec<Endpoint> {
    vec![
        post("/v1/agent/{agent_id}", drp::key_setup),
        get("/v1/agent/{agent_id}", drp::agent_information),
        post("/v1/data-rights-request", drp::exercise),
        post("/v1/data-rights-request/", drp::exercise),
        get("/v1/data-rights-request/{request_id}", drp::status),
        delete("/v1/data-rights-request/{request_id}", drp::revoke),
    ]
}

/// Inquiries and complaints, from anyone: the desk's form.
fn inquiry_desk() -> Vec<Endpoint> {
    vec![
        get("/inquiries", inquiries::form),
        post("/inquiries", inquiries::submit),
    ]
}

fn paper_forms() -> Vec<Endpoint> {
    vec![
        get("/procedures", procedures::index),
        get("/procedures/{workflow}", procedures::show),
        get("/procedures/{workflow}/print", procedures::print),
        get("/forms", forms::index),
        get("/forms/{form}", forms::blank),
        post("/forms/{form}", forms::print_draft),
        get("/forms/{form}/draft", forms::draft_form),
        get("/forms/{form}/pdf", form_pdf::blank),
        post("/forms/{form}/pdf", form_pdf::draft),
    ]
}

/// The first administrator's setup link.
fn setup() -> Vec<Endpoint> {
    vec![
        get("/setup/{token}", auth::setup_form),
        post("/setup/{token}", auth::setup),
    ]
}

// `/staff`: the officers' pages.

fn staff_sign_in() -> Vec<Endpoint> {
    vec![
        // "" is `/staff` itself; `/staff/` stays a 404, as before the scope.
        get("", auth::home),
        get("/login", auth::login_form),
        post("/login", auth::login),
        post("/logout", auth::logout),
        get("/mfa", mfa::code_form),
        post("/mfa", mfa::verify),
        get("/mfa/enrol", mfa::enrol_form),
        post("/mfa/enrol", mfa::enrol),
    ]
}

/// Staff accounts: read by administrators and auditors, changed by administrators.
fn staff_people() -> Vec<Endpoint> {
    vec![
        get("/people", people::show),
        get("/people.csv", people::export),
        post("/people/{id}/role", people::change_role),
        post("/people/{id}/disable", people::disable),
        post("/people/{id}/enable", people::enable),
        post("/people/{id}/mfa-reset", mfa::reset),
        post("/people/{id}/sessions/end", people::end_sessions),
        post("/people/sessions/end", people::end_every_session),
        // Authorised agents for the Data Rights Protocol (administrators).
        get("/drp-agents", drp_agents_page::show),
        post("/drp-agents", drp_agents_page::add),
        post("/drp-agents/{id}/remove", drp_agents_page::remove),
    ]
}

fn staff_account() -> Vec<Endpoint> {
    vec![
        get("/account", account::show),
        post("/account/password", account::change_password),
        post("/account/name", account::rename),
        post("/account/logout-everywhere", account::logout_everywhere),
        post("/account/tokens", account::create_token),
    ]
}

/// The queue, and one request's page with everything done from it.
fn staff_requests() -> Vec<Endpoint> {
    vec![
        get("/requests", queue::queue),
        get("/requests/{id}", staff::request),
        get("/requests/{id}/diagram.svg", staff::diagram),
        post("/requests/{id}/events", staff::fire_event),
        post("/requests/{id}/notes", staff::add_note),
        post("/requests/{id}/legal-hold", staff::hold),
        post("/requests/{id}/approvals", approvals::approve),
        post("/requests/{id}/authority", authority::record),
        post(
            "/requests/{id}/letters/{notice_id}/posted",
            postings::record,
        ),
        post("/requests/{id}/assignee", replies::assign),
        post(
            "/requests/{id}/notices/{notice_id}/retry",
            replies::retry_notice,
        ),
        get("/requests/{id}/letters/{notice_id}", replies::letter),
        get(
            "/requests/{id}/letters/{notice_id}/pdf",
            replies::letter_pdf,
        ),
        post("/requests/{id}/changes", replies::change),
        post(
            "/requests/{id}/downloads/{download_id}/revoke",
            replies::revoke,
        ),
        get(
            "/requests/{id}/evidence/{evidence_id}",
            documents::view_evidence,
        ),
        post("/requests/{id}/documents", documents::record),
        post(
            "/requests/{id}/documents/{document_id}/reject",
            document_rejection::reject,
        ),
        post("/requests/{id}/scans", documents::scan),
        get("/requests/{id}/files/{file_id}", documents::view),
        post("/requests/{id}/tasks/{task_id}", systems::complete),
        post("/requests/{id}/tasks/{task_id}/lift", systems::lift),
        post("/requests/{id}/tasks/{task_id}/withhold", systems::withhold),
        get("/requests/{id}/package-preview", systems::preview),
        get("/requests/{id}/tasks/{task_id}/export", systems::export),
    ]
}

fn staff_postal() -> Vec<Endpoint> {
    vec![
        get("/postal/new", postal::postal_form),
        post("/postal", postal::register_postal),
    ]
}

fn staff_audit() -> Vec<Endpoint> {
    vec![
        get("/audit", audit_page::page),
        get("/audit/export", audit::export_page),
        get("/audit/evidence", audit::evidence_page),
    ]
}

fn staff_reports() -> Vec<Endpoint> {
    vec![
        get("/reports", reports::show),
        get("/reports/metrics.csv", reports::metrics),
    ]
}

fn staff_payments() -> Vec<Endpoint> {
    vec![
        get("/payments", payments::show),
        post("/payments", payments::record),
        post("/payments/import", payments::import),
        post("/payments/{id}/assign", payments::assign),
    ]
}

fn staff_inquiries() -> Vec<Endpoint> {
    vec![
        get("/inquiries", inquiries::list),
        post("/inquiries", inquiries::record),
        get("/inquiries/{id}", inquiries::show),
        post("/inquiries/{id}/acknowledge", inquiries::acknowledge),
        post("/inquiries/{id}/answer", inquiries::answer),
        get(
            "/inquiries/{id}/letters/{notice_id}/pdf",
            inquiries::letter_pdf,
        ),
        post(
            "/inquiries/{id}/letters/{notice_id}/posted",
            inquiries::posted,
        ),
        post(
            "/inquiries/{id}/notices/{notice_id}/retry",
            inquiries::retry,
        ),
    ]
}

fn api_inquiries() -> Vec<Endpoint> {
    vec![
        post("/inquiries", inquiries_api::record_api),
        get("/inquiries", inquiries_api::list_api),
        get("/inquiries/{id}", inquiries_api::show_api),
        post(
            "/inquiries/{id}/acknowledge",
            inquiries_api::acknowledge_api,
        ),
        post("/inquiries/{id}/answer", inquiries_api::answer_api),
    ]
}

fn staff_provision() -> Vec<Endpoint> {
    vec![
        get("/provision-records", provision::show),
        post("/provision-records", provision::record),
        post(
            "/requests/{id}/provision-records/{record_id}",
            provision::confirm,
        ),
    ]
}

fn staff_systems() -> Vec<Endpoint> {
    vec![
        get("/systems", registry::show),
        post("/systems", registry::register),
        post("/systems/{id}", registry::update),
        get("/tasks/{task_id}", systems::task_page),
        post("/systems/{id}/active", registry::set_active),
    ]
}

// `/api/v1`: the JSON API.

/// Filing, as the form does, and by post; the public status of a filed request.
fn api_filing() -> Vec<Endpoint> {
    vec![
        post("/requests", filing::create_request),
        get("/requests/status/{token}", filing::request_status),
        post("/postal-requests", filing::register_postal),
        get("/procedures", procedures::api),
    ]
}

/// One request, worked on by staff.
fn api_requests() -> Vec<Endpoint> {
    vec![
        get("/requests/{id}", api::request_detail),
        post("/requests/{id}/events", api::fire_event),
        post(
            "/requests/{id}/identity/data-points",
            api::identity_data_points,
        ),
        post("/requests/{id}/identity/judgement", api::identity_judgement),
        post("/requests/{id}/notes", staff::add_note_api),
        post("/requests/{id}/legal-hold", staff::hold_api),
        post("/requests/{id}/approvals", approvals::approve_api),
        post("/requests/{id}/authority", authority::record_api),
        post(
            "/requests/{id}/letters/{notice_id}/posted",
            postings::record_api,
        ),
        post("/requests/{id}/assignee", replies::assign_api),
        post(
            "/requests/{id}/notices/{notice_id}/retry",
            replies::retry_notice_api,
        ),
        post("/requests/{id}/changes", replies::change_api),
        post("/requests/{id}/reply-file", replies::reply_file_api),
        post(
            "/requests/{id}/downloads/{download_id}/revoke",
            replies::revoke_api,
        ),
        get(
            "/requests/{id}/evidence/{evidence_id}",
            documents::view_evidence_api,
        ),
        post("/requests/{id}/documents", documents::record_api),
        post(
            "/requests/{id}/documents/{document_id}/reject",
            document_rejection::reject_api,
        ),
        post("/requests/{id}/tasks/{task_id}", systems::complete_api),
        post("/requests/{id}/tasks/{task_id}/lift", systems::lift_api),
        post(
            "/requests/{id}/tasks/{task_id}/withhold",
            systems::withhold_api,
        ),
        get("/requests/{id}/package-preview", systems::preview_api),
    ]
}

fn api_queue() -> Vec<Endpoint> {
    vec![get("/queue", queue::queue_api)]
}

fn api_reports() -> Vec<Endpoint> {
    vec![get("/reports", reports::api)]
}

fn api_audit() -> Vec<Endpoint> {
    vec![
        get("/audit/export", audit::export_api),
        get("/audit/verify", audit::verify_api),
        post("/audit/verify", audit::verify_against_api),
        get("/audit/checkpoint", audit::checkpoint_api),
        get("/audit/proof/inclusion", audit::inclusion_api),
        get("/audit/proof/consistency", audit::consistency_api),
        get("/audit/evidence", audit::evidence_api),
    ]
}

fn api_payments() -> Vec<Endpoint> {
    vec![
        post("/payments", payments::record_api),
        post("/payments/import", payments::import_api),
        get("/payments/unmatched", payments::unmatched_api),
        post("/payments/{id}/assign", payments::assign_api),
    ]
}

fn api_provision() -> Vec<Endpoint> {
    vec![
        get("/provision-records", provision::list_api),
        post("/provision-records", provision::record_api),
        put(
            "/requests/{id}/provision-records/{record_id}",
            provision::attach_api,
        ),
        delete(
            "/requests/{id}/provision-records/{record_id}",
            provision::detach_api,
        ),
    ]
}

fn api_systems() -> Vec<Endpoint> {
    vec![
        get("/data-systems", registry::list_api),
        get("/tasks", systems_api::my_tasks_api),
        post("/preferences/lookup", preferences::lookup_api),
        post("/data-systems", registry::register_api),
        post("/data-systems/{id}", registry::update_api),
        post("/data-systems/{id}/active", registry::set_active_api),
    ]
}

fn api_drp() -> Vec<Endpoint> {
    vec![
        get("/drp/agents", drp::list_api),
        post("/drp/agents", drp::add_api),
        delete("/drp/agents/{id}", drp::remove_api),
    ]
}

fn api_staff() -> Vec<Endpoint> {
    vec![
        post("/staff/unlock", account::unlock_api),
        get("/staff", people::list_api),
        post("/staff/{id}/role", people::role_api),
        post("/staff/{id}/disable", people::disable_api),
        post("/staff/{id}/enable", people::enable_api),
        post("/staff/{id}/sessions/end", people::end_sessions_api),
        post("/staff/sessions/end", people::end_every_session_api),
    ]
}
