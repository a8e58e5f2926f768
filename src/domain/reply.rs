//! Replies: the registered-mail dispatch (配達証明付書留) and its delivery certificate, the expiring
//! download for electronic disclosure, and what a correction, deletion or stop of use changed.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::FieldErrors;
use super::field::bounded;
use super::postal::{TrackingNumber, parse_date};
use crate::domain::code::{apply, coded};

fn text<'a>(data: &'a Map<String, Value>, key: &str) -> &'a str {
    data.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A reply posted by 配達証明付書留: Japan Post's tracking number and the day it was posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredMailDispatch {
    pub tracking_number: TrackingNumber,
    pub dispatched_on: NaiveDate,
}

/// Reads a dispatch off the officer's event data. It cannot be posted before the request arrived, nor in
/// the future.
pub fn parse_dispatch(
    data: &Map<String, Value>,
    received_on: NaiveDate,
    today: NaiveDate,
) -> Result<RegisteredMailDispatch, FieldErrors> {
    let mut errors = FieldErrors::new();
    let tracking = errors.check(
        "tracking_number",
        TrackingNumber::parse(text(data, "tracking_number")),
    );
    let on = errors.check(
        "dispatched_on",
        parse_date(text(data, "dispatched_on")).and_then(|d| {
            if d > today {
                Err("date_in_future")
            } else if d < received_on {
                Err("before_receipt")
            } else {
                Ok(d)
            }
        }),
    );
    match (tracking, on) {
        (Some(tracking_number), Some(dispatched_on)) => Ok(RegisteredMailDispatch {
            tracking_number,
            dispatched_on,
        }),
        _ => Err(errors),
    }
}

/// Reads the date on the delivery certificate: on or after the dispatch, not in the future.
pub fn parse_delivery(
    data: &Map<String, Value>,
    dispatched_on: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, FieldErrors> {
    let mut errors = FieldErrors::new();
    let on = errors.check(
        "delivered_on",
        parse_date(text(data, "delivered_on")).and_then(|d| {
            if d > today {
                Err("date_in_future")
            } else if d < dispatched_on {
                Err("before_dispatch")
            } else {
                Ok(d)
            }
        }),
    );
    on.ok_or(errors)
}

/// When a released download stops working.
pub fn download_expires(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(now)
}

/// Whether a download link still works at `now`.
pub fn download_open(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < expires_at
}

/// What a request's answer changed.
#[apply(coded)]
pub enum ChangeAction {
    /// Corrected, added to or partly deleted (訂正等): the prior value is kept.
    Corrected,
    /// Deleted (消去): only what was deleted is named, never the data itself.
    Deleted,
    /// Use or third-party provision stopped (利用停止等).
    UseStopped,
}

/// One change, as the reply will list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DataChange {
    pub action: ChangeAction,
    /// What was changed, in the requester's terms (e.g. "住所", "メールアドレス").
    pub item: String,
    pub prior_value: Option<String>,
    pub new_value: Option<String>,
}

/// A change as staff type it in (at the desk, or closing a system's rectification): the item, its value
/// before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct RawChange {
    pub item: String,
    pub prior_value: String,
    pub new_value: String,
}

impl RawChange {
    /// Nothing typed in any of its fields (a form's spare row).
    pub fn is_blank(&self) -> bool {
        [&self.item, &self.prior_value, &self.new_value]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

/// Parses a change the officer records, for a right whose answer records `action` (from its regime). Corrections need the prior and the new value; deletions and stops
/// of use name only the item.
pub fn parse_change(
    action: Option<ChangeAction>,
    item: &str,
    prior_value: &str,
    new_value: &str,
) -> Result<DataChange, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(action) = action else {
        errors.push("item", "no_changes_for_type");
        return Err(errors);
    };
    let item = errors.check("item", bounded(item, 200));
    let (prior, new) = if action == ChangeAction::Corrected {
        (
            errors.check("prior_value", bounded(prior_value, 2000)),
            errors.check("new_value", bounded(new_value, 2000)),
        )
    } else {
        (None, None)
    };
    match item {
        Some(item) if errors.is_empty() => Ok(DataChange {
            action,
            item,
            prior_value: prior,
            new_value: new,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn data(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_dispatch_needs_a_valid_tracking_number_and_a_plausible_date() {
        let ok = parse_dispatch(
            &data(json!({"tracking_number": "１３１－１２－３８３８５－２", "dispatched_on": "2026-11-25"})),
            d("2026-11-19"),
            d("2026-11-25"),
        )
        .unwrap();
        assert_eq!(ok.tracking_number.as_str(), "13112383852");
        assert_eq!(ok.dispatched_on, d("2026-11-25"));
        let e = parse_dispatch(
            &data(json!({"tracking_number": "131-12-38385-3", "dispatched_on": "2026-11-26"})),
            d("2026-11-19"),
            d("2026-11-25"),
        )
        .unwrap_err();
        assert_eq!(
            e.code_for("tracking_number"),
            Some("tracking_number_check_digit")
        );
        assert_eq!(e.code_for("dispatched_on"), Some("date_in_future"));
        let e = parse_dispatch(&data(json!({})), d("2026-11-19"), d("2026-11-25")).unwrap_err();
        assert_eq!(e.code_for("tracking_number"), Some("required"));
        assert_eq!(e.code_for("dispatched_on"), Some("required"));
        let e = parse_dispatch(
            &data(json!({"tracking_number": "131-12-38385-2", "dispatched_on": "2026-11-18"})),
            d("2026-11-19"),
            d("2026-11-25"),
        )
        .unwrap_err();
        assert_eq!(e.code_for("dispatched_on"), Some("before_receipt"));
    }

    #[test]
    fn delivery_comes_after_dispatch_and_not_in_the_future() {
        let dispatched = d("2026-11-25");
        let today = d("2026-11-28");
        assert_eq!(
            parse_delivery(
                &data(json!({"delivered_on": "2026/11/26"})),
                dispatched,
                today
            ),
            Ok(d("2026-11-26"))
        );
        for (raw, code) in [
            ("2026-11-24", "before_dispatch"),
            ("2026-11-29", "date_in_future"),
            ("", "required"),
            ("26/11/2026", "invalid_date"),
        ] {
            let e =
                parse_delivery(&data(json!({"delivered_on": raw})), dispatched, today).unwrap_err();
            assert_eq!(e.code_for("delivered_on"), Some(code), "{raw}");
        }
    }

    #[test]
    fn downloads_expire_after_the_set_days() {
        let now: DateTime<Utc> = "2026-11-22T01:00:00Z".parse().unwrap();
        let until = download_expires(now, 14);
        assert_eq!(
            until,
            "2026-12-06T01:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(download_open(until, now));
        assert!(!download_open(until, until));
    }

    #[test]
    fn corrections_keep_the_prior_value_deletions_name_only_the_item() {
        let c = parse_change(
            Some(ChangeAction::Corrected),
            "住所",
            "東京都千代田区1-1",
            "東京都港区2-2",
        )
        .unwrap();
        assert_eq!(c.action, ChangeAction::Corrected);
        assert_eq!(c.prior_value.as_deref(), Some("東京都千代田区1-1"));
        let e = parse_change(Some(ChangeAction::Corrected), "住所", "", "x").unwrap_err();
        assert_eq!(e.code_for("prior_value"), Some("required"));
        let del = parse_change(
            Some(ChangeAction::Deleted),
            "購買履歴",
            "ignored",
            "ignored",
        )
        .unwrap();
        assert_eq!(
            (del.action, del.prior_value, del.new_value),
            (ChangeAction::Deleted, None, None)
        );
        let e = parse_change(None, "x", "", "").unwrap_err();
        assert_eq!(e.code_for("item"), Some("no_changes_for_type"));
        let e = parse_change(Some(ChangeAction::UseStopped), " ", "", "").unwrap_err();
        assert_eq!(e.code_for("item"), Some("required"));
    }
}
