//! Logs: one line per request with its id, method, route pattern, status and latency. Paths are never
//! logged raw: they can carry tracking and setup tokens. No bodies, no query strings, no addresses.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

use crate::config::LogFormat;

pub struct KaijiRootSpan;

#[derive(Clone, Copy)]
struct Started(Instant);

impl RootSpanBuilder for KaijiRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        request.extensions_mut().insert(Started(Instant::now()));
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "http",
            request_id = %request_id,
            method = %request.method(),
            route = %request.match_pattern().unwrap_or_else(|| "(no route)".into()),
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _enter = span.enter();
        match outcome {
            Ok(res) => {
                let ms = res
                    .request()
                    .extensions()
                    .get::<Started>()
                    .map(|s| s.0.elapsed().as_secs_f64() * 1000.0)
                    .unwrap_or_default();
                let status = res.status().as_u16();
                if res.status().is_server_error() {
                    tracing::error!(status, latency_ms = ms, "request finished");
                } else {
                    tracing::info!(status, latency_ms = ms, "request finished");
                }
            }
            Err(e) => {
                let status = e.as_response_error().status_code().as_u16();
                tracing::error!(status, "request failed");
            }
        }
    }
}

/// Installs the global subscriber: human-readable text, or JSON lines with `KAIJI_LOG_FORMAT=json`.
pub fn init(format: LogFormat, level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
