//! The HTTP edge: the route table, extractor limits, security headers, and rendering. Handlers parse,
//! call one `app` function, and render.

pub mod account;
pub mod api;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod authority;
pub mod client;
pub mod cookies;
pub mod csrf;
pub mod document_rejection;
pub mod documents;
pub mod error;
pub mod filing;
pub mod form_pdf;
pub mod forms;
pub mod health;
pub mod inquiries;
pub mod inquiries_api;
pub mod language;
pub mod mfa;
pub mod openapi;
pub mod outcome;
pub mod payments;
pub mod people;
pub mod postal;
pub mod postings;
pub mod procedures;
pub mod provision;
pub mod public;
pub mod queue;
pub mod registry;
pub mod replies;
pub mod reports;
pub mod routes;
pub mod session;
pub mod staff;
mod staff_documents;
pub mod systems;
pub mod telemetry;
pub mod tracking;
pub mod uploads;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{Condition, DefaultHeaders, from_fn};
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

/// The one script: conveniences on pages that work without it.
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../templates/static/kaiji.js"))
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

/// The extractor limits, the route table (`routes`), and the 404 for everything else.
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
    .configure(routes::mount)
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
    // Served over https, browsers are told to come back only over https for a year.
    let https = state.config.http.public_url.starts_with("https://");
    App::new()
        .app_data(web::Data::new(state))
        .configure(configure)
        .wrap(from_fn(csrf::browser_cookies))
        .wrap(Condition::new(
            https,
            DefaultHeaders::new().add((
                header::STRICT_TRANSPORT_SECURITY,
                "max-age=31536000; includeSubDomains",
            )),
        ))
        .wrap(
            // Every answer is `no-store` unless it says otherwise (the stylesheet does): pages and API
            // answers carry personal data.
            DefaultHeaders::new()
                .add((header::CACHE_CONTROL, "no-store"))
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::REFERRER_POLICY, "no-referrer"))
                .add((
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
                     frame-ancestors 'none'; base-uri 'none'",
                )),
        )
        .wrap(TracingLogger::<telemetry::KaijiRootSpan>::new())
}
