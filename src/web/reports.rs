//! The reports page (server-rendered SVG charts), its CSV of yearly metrics, and the same over JSON.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::csrf::Csrf;
use super::error::{ApiError, PageError};
use super::render;
use super::session::{ApiStaff, Authorized, ReadReports};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState, reports};
use crate::domain::code::Code;
use crate::domain::reports::Report;
use crate::i18n::Tr;

/// One horizontal bar of a chart.
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub percent: u32,
}

/// A bar chart as a table: each row its label (HTML text, which wraps and stays readable on a phone), a
/// bar drawn as an SVG rectangle `percent` wide of its cell, and the value.
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub bars: Vec<Bar>,
}

fn chart(id: &'static str, title: String, values: Vec<(String, u64)>) -> Chart {
    let max = values.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let bars: Vec<Bar> = values
        .into_iter()
        .map(|(label, value)| Bar {
            // Integer percent of the largest value; a non-zero value shows at least a sliver.
            percent: u32::try_from(value.saturating_mul(100) / max)
                .unwrap_or(100)
                .max(u32::from(value > 0)),
            label,
            value,
        })
        .collect();
    Chart { id, title, bars }
}

#[derive(Template)]
#[template(path = "pages/staff/reports.html")]
pub struct ReportsPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub year: i32,
    pub report: Report,
    pub charts: Vec<Chart>,
    /// Each kind's counts, with its name in the page's language.
    pub inquiries: Vec<(String, crate::app::inquiries::InquiryCounts)>,
    pub laws: std::sync::Arc<crate::domain::law::Laws>,
    /// Opt-outs recorded from browsers' opt-out preference signals (Global Privacy Control).
    pub signal_opt_outs: i64,
}

impl ReportsPage {
    /// A right by its name in the page's language.
    pub fn right_label(&self, code: &str) -> String {
        self.laws.right_label(None, code, self.tr.lang)
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year (UTC) whose requests are counted, from 2000 to 2100; this year when absent
    /// or empty.
    #[param(schema_with = year_schema, example = 2026)]
    year: Option<String>,
}

/// `year`: a year from 2000 to 2100, or empty (this year).
fn year_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(2000))
                .maximum(Some(2100)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .into()
}

pub async fn show(
    state: web::Data<AppState>,
    who: Authorized<ReadReports>,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, PageError> {
    let reports::YearReport {
        year,
        report,
        inquiries,
        vocabulary,
        signal_opt_outs,
    } = reports::yearly(&state, q.year.as_deref()).await?;
    let laws = state.workflows.laws();
    let right = |code: &str| laws.right_label(None, code, tr.lang);
    let charts = vec![
        chart(
            "chart-state",
            tr.t("reports-by-state"),
            report
                .by_state
                .iter()
                .map(|(k, v)| (super::narrate::state(&tr, &vocabulary, k), *v))
                .collect(),
        ),
        chart(
            "chart-right",
            tr.t("reports-by-right"),
            report
                .by_right
                .iter()
                .map(|(k, v)| (right(k), *v))
                .collect(),
        ),
        chart(
            "chart-regime",
            tr.t("reports-by-regime"),
            report
                .by_regime
                .iter()
                .map(|(k, v)| (laws.place_name(k, tr.lang), *v))
                .collect(),
        ),
    ];
    render(
        StatusCode::OK,
        &ReportsPage {
            tr,
            csrf: csrf.token(),
            staff: who.staff,
            year,
            report,
            charts,
            inquiries: inquiries
                .into_iter()
                .map(|c| (super::inquiries::kind_label(laws, &tr, &c.kind), c))
                .collect(),
            laws: laws.clone(),
            signal_opt_outs,
        },
    )
}

fn metrics_csv(report: &Report) -> Result<Vec<u8>, AppError> {
    let io = |e: csv::Error| AppError::Definition(format!("writing the report: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "right",
        "received",
        "complied_in_whole_or_part",
        "denied",
        "closed_without_decision",
        "open",
        "median_days_to_respond",
        "p90_days_to_respond",
    ])
    .map_err(io)?;
    let days = |d: Option<i64>| d.map(|d| d.to_string()).unwrap_or_default();
    for (right, m) in &report.metrics {
        w.write_record([
            right.clone(),
            m.received.to_string(),
            m.complied.to_string(),
            m.denied.to_string(),
            m.withdrawn.to_string(),
            m.open.to_string(),
            days(m.median_days),
            days(m.p90_days),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Definition(e.to_string()))
}

/// The yearly metrics per right as CSV (CCPA-style, 11 CCR §7102).
pub async fn metrics(
    state: web::Data<AppState>,
    _who: Authorized<ReadReports>,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, PageError> {
    let reports::YearReport { year, report, .. } =
        reports::yearly(&state, q.year.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"kaiji-metrics-{year}.csv\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics_csv(&report)?))
}

/// A year's report as the API gives it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct YearReportJson {
    /// The calendar year counted.
    pub year: i32,
    /// The requests received in it.
    pub report: Report,
    /// The inquiries and complaints received in it, one entry per kind the desk takes.
    pub inquiries: Vec<crate::app::inquiries::InquiryCounts>,
    /// Opt-outs of sale or sharing recorded from browsers' opt-out preference signals (Global Privacy
    /// Control) in it, besides the opt-outs requested (counted under their right in `report`).
    pub gpc_opt_outs: i64,
}

/// The report over JSON.
#[utoipa::path(
    get, path = "/api/v1/reports", tag = "reports",
    operation_id = "getReport",
    description = "Requests received in a year (default this year): by state, right and regime; days to close; CCPA-style metrics per right; and the inquiries and complaints received, by kind (acknowledged and answered on time or late, open, overdue, median days to answer)",
    params(YearQuery),
    responses(
        (status = 200, description = "The year's figures", body = YearReportJson, example = json!({
            "year": 2026,
            "report": {
                "by_state": {"answered": 3, "in_progress": 1},
                "by_right": {"access": 3, "deletion": 1},
                "by_regime": {"appi": 2, "eea": 2},
                "metrics": {
                    "access": {"received": 3, "complied": 2, "denied": 1, "withdrawn": 0, "open": 0, "median_days": 9, "p90_days": 12},
                    "deletion": {"received": 1, "complied": 0, "denied": 0, "withdrawn": 0, "open": 1, "median_days": null, "p90_days": null}
                },
                "median_days_to_close": 9,
                "p90_days_to_close": 12,
                "overdue_now": 0
            },
            "inquiries": [{
                "kind": "complaint", "received": 2, "acknowledged_on_time": 2, "acknowledged_late": 0,
                "answered_on_time": 1, "answered_late": 0, "open": 1, "overdue": 0, "median_days_to_answer": 6
            }],
            "gpc_opt_outs": 4
        })),
        (status = 422, description = "`validation_failed`: `year` `invalid_year` (not a whole year from 2000 to 2100)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn api(
    state: web::Data<AppState>,
    _who: ApiStaff<ReadReports>,
    q: super::body::ApiQuery<YearQuery>,
) -> Result<HttpResponse, ApiError> {
    let r = reports::yearly(&state, q.year.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(YearReportJson {
            year: r.year,
            report: r.report,
            inquiries: r.inquiries,
            gpc_opt_outs: r.signal_opt_outs,
        }))
}
