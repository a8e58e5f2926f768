//! The HTTP edge: the route table, extractor limits, security headers, and rendering. Handlers parse,
//! call one `app` function, and render.

pub mod account;
pub mod api;
pub mod approvals;
pub mod audit;
pub mod audit_page;
pub mod auth;
pub mod authority;
pub mod body;
pub mod client;
pub mod cookies;
pub mod csrf;
pub mod document_rejection;
pub mod documents;
pub mod drp;
pub mod drp_agents_page;
pub mod drp_verify;
pub mod error;
pub mod filing;
pub mod form_pdf;
pub mod forms;
pub mod health;
pub mod inquiries;
pub mod inquiries_api;
pub mod language;
pub mod metrics;
pub mod mfa;
pub mod narrate;
pub mod openapi;
pub mod outcome;
pub mod payments;
pub mod people;
pub mod postal;
pub mod postings;
pub mod preferences;
pub mod procedures;
pub mod provision;
pub mod public;
pub mod queue;
pub mod registry;
pub mod replies;
pub mod reports;
mod request_words;
pub mod routes;
pub mod schemas;
pub mod session;
pub mod staff;
mod staff_documents;
pub mod systems;
pub mod systems_api;
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
/// The input a one-line staff field's name asks for (`text_field.html`): kaiji names a day `…_on` and an
/// amount `…_yen`, so a date gets the browser's date picker and an amount the digit keypad.
pub fn input_kind(name: &str) -> &'static str {
    if name.ends_with("_on") {
        r#" type="date""#
    } else if name.ends_with("_yen") {
        r#" inputmode="numeric""#
    } else {
        ""
    }
}

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

/// Nothing served here with this method: 405 with `Allow` where the path is served with others
/// (RFC 9110 §15.5.6), 404 where it is not served at all; a path or query holding a NUL, which no
/// route serves and no database stores, is a 404 or a 422 before any handler sees it.
async fn no_route(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    let allowed = routes::allowed_methods(req.path());
    let err = if allowed.is_empty() {
        WebError::NoRoute
    } else {
        WebError::MethodNotAllowed {
            allow: allowed.iter().map(|m| m.as_str().to_owned()).collect(),
        }
    };
    Err(if is_api(&req) {
        ApiError(err).into()
    } else {
        PageError(err).into()
    })
}

/// Refuses what no database can store before any handler sees it: a NUL in the path (no route serves
/// it: 404) or in a query parameter (a field error naming the parameter: 422). PostgreSQL refuses NUL in
/// text, SQLite keeps it; both backends now answer alike.
pub async fn refuse_nul(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let problem = nul_problem(req.request());
    if let Some(err) = problem {
        let e: actix_web::Error = if is_api(req.request()) {
            ApiError(err).into()
        } else {
            PageError(err).into()
        };
        return Ok(req.error_response(e).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn nul_problem(req: &HttpRequest) -> Option<WebError> {
    // Every request passes here: a scan of the bytes, no allocation unless a NUL is there.
    let has_nul = |s: &str| {
        s.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    };
    if has_nul(req.uri().path()) {
        return Some(WebError::NoRoute);
    }
    let query = req.query_string();
    if !has_nul(query) {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut errors = crate::domain::FieldErrors::new();
    for (k, v) in pairs {
        if k.contains('\0') || v.contains('\0') {
            errors.push(k.replace('\0', ""), "invalid_characters");
        }
    }
    if errors.is_empty() {
        errors.push("query", "invalid_characters");
    }
    Some(WebError::App(crate::app::AppError::Invalid(errors)))
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
        // A path segment that cannot be an identifier names nothing: 404, as an unknown one does.
        web::PathConfig::default().error_handler(|_, req| extractor_error(WebError::NoRoute, req)),
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
        .wrap(from_fn(refuse_nul))
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
