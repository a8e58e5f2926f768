//! The HTTP edge: the route table, extractor limits, security headers, and rendering. Handlers parse,
//! call one `app` function, and render.

pub mod account;
pub mod api;
pub mod audit;
pub mod auth;
pub mod csrf;
pub mod documents;
pub mod error;
pub mod filing;
pub mod forms;
pub mod health;
pub mod language;
pub mod openapi;
pub mod payments;
pub mod postal;
pub mod public;
pub mod queue;
pub mod replies;
pub mod reports;
pub mod session;
pub mod staff;
pub mod systems;
pub mod telemetry;
pub mod uploads;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use askama::Template;
use tracing_actix_web::TracingLogger;

use crate::app::AppState;
use error::{ApiError, PageError, WebError};

/// Forms and JSON bodies are small; anything larger is refused before it is read.
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, PageError> {
    let body = page.render().map_err(|e| WebError::Render(e.to_string()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// 303 See Other: after a POST, the browser follows with a GET.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../templates/static/kaiji.css"))
}

fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

async fn no_route(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    Err(if is_api(&req) {
        ApiError(WebError::NoRoute).into()
    } else {
        PageError(WebError::NoRoute).into()
    })
}

/// Body and query extraction errors, as JSON on the API and as a page elsewhere.
fn extractor_error(err: WebError, req: &HttpRequest) -> actix_web::Error {
    if is_api(req) {
        ApiError(err).into()
    } else {
        PageError(err).into()
    }
}

/// The whole route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(BODY_LIMIT)
            .error_handler(|e, req| extractor_error(error::from_form_error(&e), req)),
    )
    .app_data(
        web::JsonConfig::default()
            .limit(BODY_LIMIT)
            .error_handler(|e, req| extractor_error(error::from_json_error(&e), req)),
    )
    .app_data(web::PayloadConfig::new(BODY_LIMIT))
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, req| extractor_error(WebError::BadBody(e.to_string()), req)),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|e, req| extractor_error(WebError::BadBody(e.to_string()), req)),
    )
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/static/kaiji.css", web::get().to(stylesheet))
    .route("/", web::get().to(public::form))
    .route("/requests", web::post().to(public::submit))
    .route("/track/{token}", web::get().to(public::track))
    .route(
        "/staff/requests/{id}/evidence/{evidence_id}",
        web::get().to(documents::view_evidence),
    )
    .route(
        "/api/v1/requests/{id}/evidence/{evidence_id}",
        web::get().to(documents::view_evidence_api),
    )
    .route(
        "/staff/requests/{id}/notes",
        web::post().to(staff::add_note),
    )
    .route(
        "/api/v1/requests/{id}/notes",
        web::post().to(staff::add_note_api),
    )
    .route(
        "/staff/requests/{id}/assignee",
        web::post().to(replies::assign),
    )
    .route(
        "/api/v1/requests/{id}/assignee",
        web::post().to(replies::assign_api),
    )
    .route(
        "/staff/requests/{id}/notices/{notice_id}/retry",
        web::post().to(replies::retry_notice),
    )
    .route(
        "/api/v1/requests/{id}/notices/{notice_id}/retry",
        web::post().to(replies::retry_notice_api),
    )
    .route(
        "/track/{token}/evidence",
        web::post().to(public::submit_evidence),
    )
    .route("/forms", web::get().to(forms::index))
    .route("/forms/{form}", web::get().to(forms::blank))
    .route("/forms/{form}", web::post().to(forms::print_draft))
    .route("/forms/{form}/draft", web::get().to(forms::draft_form))
    .route("/api/openapi.json", web::get().to(openapi::document))
    .route("/api/v1/requests", web::post().to(filing::create_request))
    .route(
        "/api/v1/requests/status/{token}",
        web::get().to(filing::request_status),
    )
    .route("/setup/{token}", web::get().to(auth::setup_form))
    .route("/setup/{token}", web::post().to(auth::setup))
    .route("/staff", web::get().to(auth::home))
    .route("/staff/login", web::get().to(auth::login_form))
    .route("/staff/login", web::post().to(auth::login))
    .route("/staff/logout", web::post().to(auth::logout))
    .route("/staff/account", web::get().to(account::show))
    .route(
        "/staff/account/password",
        web::post().to(account::change_password),
    )
    .route(
        "/staff/account/logout-everywhere",
        web::post().to(account::logout_everywhere),
    )
    .route("/api/v1/staff/unlock", web::post().to(account::unlock_api))
    .route("/staff/requests", web::get().to(queue::queue))
    .route("/api/v1/queue", web::get().to(queue::queue_api))
    .route("/staff/requests/{id}", web::get().to(staff::request))
    .route(
        "/staff/requests/{id}/events",
        web::post().to(staff::fire_event),
    )
    .route("/staff/audit", web::get().to(audit::page))
    .route("/staff/reports", web::get().to(reports::show))
    .route(
        "/staff/reports/metrics.csv",
        web::get().to(reports::metrics),
    )
    .route("/api/v1/reports", web::get().to(reports::api))
    .route("/staff/audit/export", web::get().to(audit::export_page))
    .route("/staff/audit/evidence", web::get().to(audit::evidence_page))
    .route("/api/v1/audit/export", web::get().to(audit::export_api))
    .route("/api/v1/audit/verify", web::get().to(audit::verify_api))
    .route(
        "/api/v1/audit/verify",
        web::post().to(audit::verify_against_api),
    )
    .route(
        "/api/v1/audit/checkpoint",
        web::get().to(audit::checkpoint_api),
    )
    .route(
        "/api/v1/audit/proof/inclusion",
        web::get().to(audit::inclusion_api),
    )
    .route(
        "/api/v1/audit/proof/consistency",
        web::get().to(audit::consistency_api),
    )
    .route("/api/v1/audit/evidence", web::get().to(audit::evidence_api))
    .route("/staff/postal/new", web::get().to(postal::postal_form))
    .route("/staff/payments", web::get().to(payments::show))
    .route("/staff/payments", web::post().to(payments::record))
    .route("/staff/payments/import", web::post().to(payments::import))
    .route(
        "/staff/payments/{id}/assign",
        web::post().to(payments::assign),
    )
    .route("/api/v1/payments", web::post().to(payments::record_api))
    .route(
        "/api/v1/payments/import",
        web::post().to(payments::import_api),
    )
    .route(
        "/api/v1/payments/unmatched",
        web::get().to(payments::unmatched_api),
    )
    .route(
        "/api/v1/payments/{id}/assign",
        web::post().to(payments::assign_api),
    )
    .route(
        "/staff/requests/{id}/documents",
        web::post().to(documents::record),
    )
    .route(
        "/staff/requests/{id}/letters/{notice_id}",
        web::get().to(replies::letter),
    )
    .route(
        "/staff/requests/{id}/changes",
        web::post().to(replies::change),
    )
    .route(
        "/api/v1/requests/{id}/changes",
        web::post().to(replies::change_api),
    )
    .route(
        "/api/v1/requests/{id}/reply-file",
        web::post().to(replies::reply_file_api),
    )
    .route(
        "/staff/requests/{id}/downloads/{download_id}/revoke",
        web::post().to(replies::revoke),
    )
    .route(
        "/api/v1/requests/{id}/downloads/{download_id}/revoke",
        web::post().to(replies::revoke_api),
    )
    .route("/staff/systems", web::get().to(systems::show))
    .route("/staff/systems", web::post().to(systems::register))
    .route(
        "/staff/systems/{id}/active",
        web::post().to(systems::set_active),
    )
    .route("/api/v1/data-systems", web::get().to(systems::list_api))
    .route(
        "/api/v1/data-systems",
        web::post().to(systems::register_api),
    )
    .route(
        "/api/v1/data-systems/{id}/active",
        web::post().to(systems::set_active_api),
    )
    .route(
        "/staff/requests/{id}/tasks/{task_id}",
        web::post().to(systems::complete),
    )
    .route(
        "/staff/requests/{id}/tasks/{task_id}/export",
        web::get().to(systems::export),
    )
    .route(
        "/api/v1/requests/{id}/tasks/{task_id}",
        web::post().to(systems::complete_api),
    )
    .route(
        "/track/{token}/account-verified",
        web::get().to(public::account_verified),
    )
    .route("/confirm-person/{link}", web::get().to(public::person_page))
    .route(
        "/confirm-person/{link}",
        web::post().to(public::person_confirm),
    )
    .route("/confirm/{link}", web::get().to(public::confirm_page))
    .route("/confirm/{link}", web::post().to(public::confirm))
    .route("/download/{link}", web::get().to(replies::download_page))
    .route("/download/{link}", web::post().to(replies::download_file))
    .route(
        "/staff/requests/{id}/scans",
        web::post().to(documents::scan),
    )
    .route(
        "/staff/requests/{id}/files/{file_id}",
        web::get().to(documents::view),
    )
    .route(
        "/api/v1/requests/{id}/documents",
        web::post().to(documents::record_api),
    )
    .route("/staff/postal", web::post().to(postal::register_postal))
    .route(
        "/staff/requests/{id}/diagram.svg",
        web::get().to(staff::diagram),
    )
    .route(
        "/api/v1/requests/{id}/identity/data-points",
        web::post().to(api::identity_data_points),
    )
    .route(
        "/api/v1/requests/{id}/identity/judgement",
        web::post().to(api::identity_judgement),
    )
    .route("/api/v1/requests/{id}", web::get().to(api::request_detail))
    .route(
        "/api/v1/requests/{id}/events",
        web::post().to(api::fire_event),
    )
    .route(
        "/api/v1/postal-requests",
        web::post().to(filing::register_postal),
    )
    .default_service(web::to(no_route));
}

/// The application with its middleware, as `serve` runs it and as tests drive it.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .configure(configure)
        .wrap(from_fn(csrf::browser_cookies))
        .wrap(
            DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::REFERRER_POLICY, "no-referrer"))
                .add((
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                     frame-ancestors 'none'; base-uri 'none'",
                )),
        )
        .wrap(TracingLogger::<telemetry::KaijiRootSpan>::new())
}
