//! `/metrics` in Prometheus' text format, for a scraper holding `KAIJI_METRICS_TOKEN` (unset: 404).
//! Every instance reports the same figures: they are read from the shared database at scrape time.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus::{Encoder, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use secrecy::ExposeSecret;

use super::error::ApiError;
use crate::app::metrics::{self, Snapshot};
use crate::app::{AppError, AppState};
use crate::security::tokens;

pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(expected) = &state.config.http.metrics_token else {
        return Err(AppError::NotFound.into());
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    // Digests compared, so the comparison's time says nothing about the token.
    if given.map(tokens::digest) != Some(tokens::digest(expected.expose_secret())) {
        return Err(AppError::Unauthenticated.into());
    }
    let snapshot = metrics::snapshot(&state).await?;
    let text = render(&snapshot).map_err(|e| {
        tracing::error!(error = %e, "rendering /metrics failed");
        AppError::Definition("the metrics could not be rendered".into())
    })?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

fn gauge(r: &Registry, name: &str, help: &str, value: i64) -> prometheus::Result<()> {
    let g = IntGauge::new(name, help)?;
    g.set(value);
    r.register(Box::new(g))
}

fn gauges(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    let g = IntGaugeVec::new(Opts::new(name, help), labels)?;
    r.register(Box::new(g.clone()))?;
    Ok(g)
}

fn age(now: chrono::DateTime<chrono::Utc>, since: Option<chrono::DateTime<chrono::Utc>>) -> i64 {
    since.map_or(0, |t| (now - t).num_seconds().max(0))
}

fn render(s: &Snapshot) -> prometheus::Result<String> {
    let r = Registry::new_custom(Some("kaiji".into()), None)?;
    let build = gauges(
        &r,
        "build_info",
        "The running kaiji's version.",
        &["version"],
    )?;
    build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
    let notices = gauges(
        &r,
        "notices",
        "Notices in the outbox, by status (queued, sent, failed) and channel (email, letter).",
        &["status", "channel"],
    )?;
    for (status, channel, n) in &s.notices {
        notices.with_label_values(&[status, channel]).set(*n);
    }
    gauge(
        &r,
        "notice_backlog_age_seconds",
        "How long the oldest email notice still to be sent has waited (0: none waits).",
        age(s.now, s.oldest_queued_email),
    )?;
    let open = gauges(
        &r,
        "requests_open",
        "Open requests, by procedure, state, right and place.",
        &["workflow", "state", "right", "place"],
    )?;
    for o in &s.open_requests {
        open.with_label_values(&[&o.workflow, &o.state, &o.right, &o.place])
            .set(o.count);
    }
    gauge(
        &r,
        "requests_overdue",
        "Open requests with a legal deadline passed (as the reminder worker last judged it).",
        s.overdue_requests,
    )?;
    gauge(
        &r,
        "audit_merge_backlog_events",
        "Audit events committed but not yet in a signed checkpoint.",
        s.audit_pending,
    )?;
    gauge(
        &r,
        "audit_merge_delay_seconds",
        "How long the oldest of those has waited (0: none waits).",
        age(s.now, s.oldest_audit_pending),
    )?;
    let last = gauges(
        &r,
        "job_last_run_timestamp_seconds",
        "When each hourly job last started (Unix time).",
        &["job"],
    )?;
    let failed = gauges(
        &r,
        "job_last_run_failed",
        "1 if the hourly job's last run failed (or has not finished), else 0.",
        &["job"],
    )?;
    let records = gauges(
        &r,
        "job_last_run_records",
        "Records the hourly job's last run touched.",
        &["job"],
    )?;
    for j in &s.jobs {
        last.with_label_values(&[&j.job])
            .set(j.started_at.and_utc().timestamp());
        failed
            .with_label_values(&[&j.job])
            .set(i64::from(j.finished_at.is_none() || j.error.is_some()));
        records
            .with_label_values(&[&j.job])
            .set(j.records.unwrap_or(0));
    }
    let mut out = Vec::new();
    TextEncoder::new().encode(&r.gather(), &mut out)?;
    String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
}
