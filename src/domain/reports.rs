//! Figures for officers and auditors, computed from plain rows (no I/O): requests by state, right and
//! regime; how long closing takes (median and 90th percentile, in days); and the CCPA-style yearly
//! metrics per right (11 CCR §7102: received, complied with in whole or in part, denied, median days to
//! respond).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;

/// One request as the reports see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub right: String,
    pub regime: String,
    pub state: String,
    pub received_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

/// How a closed request ended, by its final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered, completed, closed, or no data held: the request was complied with (in whole or in part).
    Complied,
    Denied,
    /// Closed without a decision on the right: withdrawn, email never confirmed, wrong channel, referred
    /// elsewhere.
    Withdrawn,
}

pub fn outcome(final_state: &str) -> Outcome {
    match final_state {
        "refused" | "denied" => Outcome::Denied,
        "unconfirmed_expired"
        | "withdrawn"
        | "channel_not_accepted"
        | "referred_to_transfer_agent" => Outcome::Withdrawn,
        _ => Outcome::Complied,
    }
}

/// The median and 90th percentile (nearest rank) of whole days, or `None` for no values.
pub fn median_and_p90(mut days: Vec<i64>) -> Option<(i64, i64)> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    let rank = |p: f64| -> i64 {
        // Nearest-rank percentile; the index arithmetic is on counts, not money.
        let n = days.len();
        let k = ((p * n as f64).ceil() as usize).clamp(1, n);
        days[k - 1]
    };
    Some((rank(0.5), rank(0.9)))
}

/// The CCPA-style metrics of one right.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RightMetrics {
    pub received: u64,
    pub complied: u64,
    pub denied: u64,
    pub withdrawn: u64,
    pub open: u64,
    /// Days from receipt to the final answer, of the requests closed.
    pub median_days: Option<i64>,
    pub p90_days: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub by_state: BTreeMap<String, u64>,
    pub by_right: BTreeMap<String, u64>,
    pub by_regime: BTreeMap<String, u64>,
    pub metrics: BTreeMap<String, RightMetrics>,
    pub median_days_to_close: Option<i64>,
    pub p90_days_to_close: Option<i64>,
    /// Open requests (received any year) whose nearest deadline has passed, as of today.
    pub overdue_now: u64,
}

/// Builds the report for a set of requests.
pub fn report(rows: &[ReportRequest]) -> Report {
    let mut r = Report::default();
    let mut all_days = Vec::new();
    let mut days_by_right: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for q in rows {
        *r.by_state.entry(q.state.clone()).or_default() += 1;
        *r.by_right.entry(q.right.clone()).or_default() += 1;
        *r.by_regime.entry(q.regime.clone()).or_default() += 1;
        let m = r.metrics.entry(q.right.clone()).or_default();
        m.received += 1;
        match q.closed_at {
            None => m.open += 1,
            Some(closed) => {
                match outcome(&q.state) {
                    Outcome::Complied => m.complied += 1,
                    Outcome::Denied => m.denied += 1,
                    Outcome::Withdrawn => m.withdrawn += 1,
                }
                let days = (closed - q.received_at).num_days().max(0);
                all_days.push(days);
                days_by_right.entry(q.right.clone()).or_default().push(days);
            }
        }
    }
    for (right, days) in days_by_right {
        if let (Some(m), Some((median, p90))) = (r.metrics.get_mut(&right), median_and_p90(days)) {
            m.median_days = Some(median);
            m.p90_days = Some(p90);
        }
    }
    if let Some((median, p90)) = median_and_p90(all_days) {
        r.median_days_to_close = Some(median);
        r.p90_days_to_close = Some(p90);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, day)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn q(right: &str, state: &str, received: u32, closed: Option<u32>) -> ReportRequest {
        ReportRequest {
            right: right.into(),
            regime: "eea".into(),
            state: state.into(),
            received_at: at(received),
            closed_at: closed.map(at),
        }
    }

    #[test]
    fn metrics_count_outcomes_and_days() {
        let r = report(&[
            q("access", "answered", 1, Some(11)),
            q("access", "refused", 1, Some(3)),
            q("access", "in_progress", 2, None),
            q("deletion", "completed", 1, Some(31)),
            q("deletion", "unconfirmed_expired", 1, Some(4)),
        ]);
        let a = &r.metrics["access"];
        assert_eq!((a.received, a.complied, a.denied, a.open), (3, 1, 1, 1));
        assert_eq!((a.median_days, a.p90_days), (Some(2), Some(10)));
        let d = &r.metrics["deletion"];
        assert_eq!((d.complied, d.withdrawn), (1, 1));
        assert_eq!(r.by_right["access"], 3);
        assert_eq!(r.by_state["answered"], 1);
        assert_eq!(r.median_days_to_close, Some(3));
        assert_eq!(r.p90_days_to_close, Some(30));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        assert_eq!(median_and_p90(vec![]), None);
        assert_eq!(median_and_p90(vec![5]), Some((5, 5)));
        assert_eq!(median_and_p90((1..=10).collect()), Some((5, 9)));
        assert_eq!(median_and_p90(vec![10, 1, 3]), Some((3, 10)));
    }
}
