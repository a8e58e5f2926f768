//! Reports for a calendar year (UTC): the figures of `domain::reports` over the requests received in it.

use super::{AppError, AppState};
use crate::db::requests;
use crate::domain::reports::{Report, ReportRequest, report};

/// A year's report: the requests received in it, and the inquiries and complaints by kind.
pub struct YearReport {
    pub year: i32,
    pub report: Report,
    pub inquiries: Vec<super::inquiries::InquiryCounts>,
    /// The states' words, for the page.
    pub vocabulary: super::vocabulary::Vocabulary,
    /// Opt-outs of sale or sharing that browsers' opt-out preference signals (Global Privacy
    /// Control) recorded in the year, besides those requested.
    pub signal_opt_outs: i64,
}

/// The report for requests received in `year`; a year outside 2000–2100 is a field error.
pub async fn yearly(state: &AppState, year: Option<&str>) -> Result<YearReport, AppError> {
    let year = match year.filter(|y| !y.is_empty()) {
        None => chrono::Datelike::year(&state.clock.now()),
        Some(y) => match y.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => y,
            _ => {
                return Err(AppError::invalid("year", "invalid_year"));
            }
        },
    };
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(|| AppError::Definition("year".into()))
    };
    let (from, to) = (start(year)?, start(year + 1)?);
    let today = state
        .clock
        .now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let laws = state.workflows.laws().clone();
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1);
            let last = chrono::NaiveDate::from_ymd_opt(year, 12, 31);
            let inquiries = match (first, last) {
                (Some(a), Some(b)) => super::inquiries::counts(conn, &laws, a, b, now)?,
                _ => Vec::new(),
            };
            let overdue = requests::queue_count(
                conn,
                &requests::QueueFilter {
                    due_before: Some(crate::db::clocks::date_text(today)),
                    ..Default::default()
                },
            )?;
            let rows: Vec<ReportRequest> = requests::received_between(conn, from, to)?
                .into_iter()
                .map(|r| ReportRequest {
                    right: r.request_type,
                    regime: r.jurisdiction,
                    state: r.state,
                    received_at: r.received_at,
                    closed_at: r.closed_at,
                })
                .collect();
            let mut r = report(&rows);
            r.overdue_now = u64::try_from(overdue).unwrap_or(0);
            let signal_opt_outs = super::preferences::signal_opt_outs(conn, from, to)?;
            Ok(YearReport {
                signal_opt_outs,
                year,
                report: r,
                inquiries,
                vocabulary: super::vocabulary::Vocabulary::load(conn, &catalog)?,
            })
        })
        .await
}
