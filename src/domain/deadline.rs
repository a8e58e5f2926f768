//! Legal deadlines, in calendar terms: months (clamped to the month's end), calendar days, and business
//! days under a holiday calendar; clocks that start, pause, extend and stop. Pure: "today" comes in as an
//! argument, already in the procedure's time zone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::Deserialize;

use super::definition::{DefinitionError, Label};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("calendar `{calendar}` has no holiday data for {year}; extend it in seeds/calendars")]
    OutsideCalendar { calendar: String, year: i32 },
    #[error("calendar `{0}` is not loaded")]
    UnknownCalendar(String),
    #[error("the date is out of range")]
    OutOfRange,
}

/// Working days and holidays of one place, read from `seeds/calendars/<id>.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub id: String,
    pub name: Label,
    weekend: Vec<Weekday>,
    first_year: i32,
    last_year: i32,
    holidays: BTreeSet<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    id: String,
    name: Label,
    weekend: Vec<String>,
    first_year: i32,
    last_year: i32,
    holidays: Vec<RawHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    date: NaiveDate,
    #[allow(dead_code)]
    name: String,
}

impl Calendar {
    pub fn parse(src: &str) -> Result<Self, DefinitionError> {
        let raw: RawCalendar = toml::from_str(src).map_err(|e| DefinitionError {
            line: e
                .span()
                .map(|s| src[..s.start.min(src.len())].matches('\n').count() + 1),
            reason: e.message().to_owned(),
        })?;
        let plain = |reason: String| DefinitionError { line: None, reason };
        let weekend = raw
            .weekend
            .iter()
            .map(|d| {
                d.parse::<Weekday>()
                    .map_err(|_| plain(format!("unknown weekday `{d}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if raw.first_year > raw.last_year {
            return Err(plain("first_year is after last_year".into()));
        }
        let mut holidays = BTreeSet::new();
        for h in raw.holidays {
            if !(raw.first_year..=raw.last_year).contains(&h.date.year()) {
                return Err(plain(format!(
                    "holiday {} is outside first_year..last_year",
                    h.date
                )));
            }
            holidays.insert(h.date);
        }
        Ok(Self {
            id: raw.id,
            name: raw.name,
            weekend,
            first_year: raw.first_year,
            last_year: raw.last_year,
            holidays,
        })
    }

    /// A calendar with weekends only, for tests.
    pub fn weekends_only(
        id: &str,
        first_year: i32,
        last_year: i32,
        holidays: &[NaiveDate],
    ) -> Self {
        Self {
            id: id.to_owned(),
            name: Label::plain(id),
            weekend: vec![Weekday::Sat, Weekday::Sun],
            first_year,
            last_year,
            holidays: holidays.iter().copied().collect(),
        }
    }

    /// The last year the holiday data covers.
    pub fn last_year(&self) -> i32 {
        self.last_year
    }

    pub fn is_business_day(&self, d: NaiveDate) -> Result<bool, DeadlineError> {
        if !(self.first_year..=self.last_year).contains(&d.year()) {
            return Err(DeadlineError::OutsideCalendar {
                calendar: self.id.clone(),
                year: d.year(),
            });
        }
        Ok(!self.weekend.contains(&d.weekday()) && !self.holidays.contains(&d))
    }
}

/// Calendars by id.
pub type Calendars = BTreeMap<String, Calendar>;

/// A length of time as the law counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(u32),
    /// Calendar weeks: the same weekday `n` weeks on.
    Weeks(u32),
    Months(u32),
    BusinessDays(u32),
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match self {
            Period::Days(n) => (n, "calendar day"),
            Period::Weeks(n) => (n, "week"),
            Period::Months(n) => (n, "month"),
            Period::BusinessDays(n) => (n, "business day"),
        };
        write!(f, "{n} {unit}{}", if *n == 1 { "" } else { "s" })
    }
}

/// `{ days = n }`, `{ weeks = n }`, `{ months = n }` or `{ business_days = n }` in a definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPeriod {
    days: Option<u32>,
    weeks: Option<u32>,
    months: Option<u32>,
    business_days: Option<u32>,
}

impl RawPeriod {
    pub(crate) fn period(&self) -> Result<Period, String> {
        match (self.days, self.weeks, self.months, self.business_days) {
            (Some(n), None, None, None) => Ok(Period::Days(n)),
            (None, Some(n), None, None) => Ok(Period::Weeks(n)),
            (None, None, Some(n), None) => Ok(Period::Months(n)),
            (None, None, None, Some(n)) => Ok(Period::BusinessDays(n)),
            _ => Err(
                "a period needs exactly one of `days`, `weeks`, `months`, `business_days`".into(),
            ),
        }
    }
}

/// The same day `n` months later; a day the month lacks becomes its last day (Jan 31 + 1 month = Feb 28
/// or 29). This is how GDPR (Reg. 1182/71) and the one-month document rule count.
pub fn add_months(d: NaiveDate, n: u32) -> Result<NaiveDate, DeadlineError> {
    d.checked_add_months(Months::new(n))
        .ok_or(DeadlineError::OutOfRange)
}

/// The same day `n` months earlier, clamped likewise (Mar 31 - 1 month = Feb 28 or 29).
pub fn sub_months(d: NaiveDate, n: u32) -> Result<NaiveDate, DeadlineError> {
    d.checked_sub_months(Months::new(n))
        .ok_or(DeadlineError::OutOfRange)
}

pub fn add_days(d: NaiveDate, n: i64) -> Result<NaiveDate, DeadlineError> {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
    .ok_or(DeadlineError::OutOfRange)
}

/// The `n`th business day after `d` (the start day itself does not count).
pub fn add_business_days(d: NaiveDate, n: u32, cal: &Calendar) -> Result<NaiveDate, DeadlineError> {
    let mut day = d;
    let mut left = n;
    while left > 0 {
        day = add_days(day, 1)?;
        if cal.is_business_day(day)? {
            left -= 1;
        }
    }
    Ok(day)
}

/// The first business day on or after `d`.
pub fn roll_forward(d: NaiveDate, cal: &Calendar) -> Result<NaiveDate, DeadlineError> {
    let mut day = d;
    while !cal.is_business_day(day)? {
        day = add_days(day, 1)?;
    }
    Ok(day)
}

fn add_period(
    d: NaiveDate,
    p: Period,
    cal: Option<&Calendar>,
    cal_id: Option<&str>,
) -> Result<NaiveDate, DeadlineError> {
    match p {
        Period::Days(n) => add_days(d, i64::from(n)),
        Period::Weeks(n) => add_days(d, i64::from(n) * 7),
        Period::Months(n) => add_months(d, n),
        Period::BusinessDays(n) => {
            let cal =
                cal.ok_or_else(|| DeadlineError::UnknownCalendar(cal_id.unwrap_or("").to_owned()))?;
            add_business_days(d, n, cal)
        }
    }
}

/// How a procedure's deadline is counted. Every number comes from the workflow definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRule {
    pub period: Period,
    /// Needed for business days and for rolling a deadline off a non-working day.
    pub calendar: Option<String>,
    /// A deadline falling on a weekend or holiday moves to the next business day (GDPR, Reg. 1182/71).
    pub roll_forward: bool,
    /// Whether the clock stops while the request waits on the requester (a property of each law).
    pub pauses_while_waiting: bool,
    /// The day of receipt is day 1 of a calendar-day period (CCPA §7021(b): "the 45-day period will begin
    /// on the day that the business receives the request"), so the period ends a day earlier.
    pub includes_start_day: bool,
    pub extension: Option<Extension>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension {
    pub period: Period,
    /// How many times the deadline may be extended.
    pub times: u32,
}

/// Where one clock of one request stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockState {
    pub started_on: NaiveDate,
    pub paused_since: Option<NaiveDate>,
    /// Whole days spent paused, counted when the pause ends.
    pub paused_days: i64,
    pub extensions: u32,
    pub stopped_on: Option<NaiveDate>,
}

impl ClockState {
    pub fn start(today: NaiveDate) -> Self {
        Self {
            started_on: today,
            paused_since: None,
            paused_days: 0,
            extensions: 0,
            stopped_on: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.stopped_on.is_none() && self.paused_since.is_none()
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped_on.is_some()
    }

    pub fn pause(&mut self, today: NaiveDate) {
        if self.is_running() {
            self.paused_since = Some(today);
        }
    }

    pub fn resume(&mut self, today: NaiveDate) {
        if let (Some(since), None) = (self.paused_since, self.stopped_on) {
            self.paused_days += (today - since).num_days().max(0);
            self.paused_since = None;
        }
    }

    /// Counts afresh from `today` (a clock already stopped stays stopped): pauses are forgotten, the
    /// extensions already notified kept.
    pub fn restart(&mut self, today: NaiveDate) {
        if self.stopped_on.is_none() {
            self.started_on = today;
            self.paused_since = None;
            self.paused_days = 0;
        }
    }

    pub fn stop(&mut self, today: NaiveDate) {
        if self.stopped_on.is_none() {
            self.resume(today);
            self.stopped_on = Some(today);
        }
    }

    /// Days paused up to `today`, including a pause still running.
    pub fn days_paused(&self, today: NaiveDate) -> i64 {
        self.paused_days
            + self
                .paused_since
                .map(|s| (today - s).num_days().max(0))
                .unwrap_or(0)
    }
}

impl ClockRule {
    fn calendar<'a>(
        &self,
        calendars: &'a Calendars,
    ) -> Result<Option<&'a Calendar>, DeadlineError> {
        match &self.calendar {
            None => Ok(None),
            Some(id) => calendars
                .get(id)
                .map(Some)
                .ok_or_else(|| DeadlineError::UnknownCalendar(id.clone())),
        }
    }

    fn due_with(
        &self,
        st: &ClockState,
        extensions: u32,
        today: NaiveDate,
        calendars: &Calendars,
    ) -> Result<NaiveDate, DeadlineError> {
        let cal = self.calendar(calendars)?;
        let id = self.calendar.as_deref();
        let total = |n: u32, e: u32| {
            e.checked_mul(extensions)
                .and_then(|x| x.checked_add(n))
                .ok_or(DeadlineError::OutOfRange)
        };
        let first_day = i64::from(self.includes_start_day);
        let mut due = match (self.period, self.extension) {
            // Same unit: count the whole length from the start (3 months from Jan 31 is Apr 30, not Apr 28).
            (
                Period::Months(n),
                Some(Extension {
                    period: Period::Months(e),
                    ..
                }),
            ) => add_months(st.started_on, total(n, e)?)?,
            (
                Period::Days(n),
                Some(Extension {
                    period: Period::Days(e),
                    ..
                }),
            ) => add_days(st.started_on, i64::from(total(n, e)?) - first_day)?,
            (Period::Days(n), None) => add_days(st.started_on, i64::from(n) - first_day)?,
            (p, ext) => {
                let mut d = add_period(st.started_on, p, cal, id)?;
                if let Some(ext) = ext {
                    for _ in 0..extensions {
                        d = add_period(d, ext.period, cal, id)?;
                    }
                }
                d
            }
        };
        due = add_days(due, st.days_paused(today))?;
        if self.roll_forward {
            let cal =
                cal.ok_or_else(|| DeadlineError::UnknownCalendar(id.unwrap_or("").to_owned()))?;
            due = roll_forward(due, cal)?;
        }
        Ok(due)
    }

    /// The deadline as things stand on `today` (a running pause pushes it back day by day).
    pub fn due(
        &self,
        st: &ClockState,
        today: NaiveDate,
        calendars: &Calendars,
    ) -> Result<NaiveDate, DeadlineError> {
        self.due_with(st, st.extensions, today, calendars)
    }

    /// The deadline before any extension: notices of extension must go out by then.
    pub fn original_due(
        &self,
        st: &ClockState,
        today: NaiveDate,
        calendars: &Calendars,
    ) -> Result<NaiveDate, DeadlineError> {
        self.due_with(st, 0, today, calendars)
    }

    /// Whether one more extension is allowed on `today`: the clock runs, the cap is not reached, and the
    /// original period has not ended.
    pub fn can_extend(
        &self,
        st: &ClockState,
        today: NaiveDate,
        calendars: &Calendars,
    ) -> Result<Result<(), &'static str>, DeadlineError> {
        let Some(ext) = self.extension else {
            return Ok(Err("this deadline cannot be extended"));
        };
        if st.is_stopped() {
            return Ok(Err("the deadline's clock has stopped"));
        }
        if st.extensions >= ext.times {
            return Ok(Err(
                "the deadline has already been extended as far as the law allows",
            ));
        }
        if today > self.original_due(st, today, calendars)? {
            return Ok(Err(
                "an extension must be notified before the original deadline",
            ));
        }
        Ok(Ok(()))
    }

    /// Overdue: past its deadline and not stopped.
    pub fn is_overdue(
        &self,
        st: &ClockState,
        today: NaiveDate,
        calendars: &Calendars,
    ) -> Result<bool, DeadlineError> {
        if st.is_stopped() {
            return Ok(false);
        }
        // A pause does not clear a deadline already missed: a clock paused after it stays overdue.
        match st.paused_since {
            Some(since) => Ok(since > self.due(st, since, calendars)?),
            None => Ok(today > self.due(st, today, calendars)?),
        }
    }
}

/// Whether a document dated `created` is "created within `months` months before `requested`": on or after
/// the same day of the earlier month, clamped to that month's last day.
pub fn within_months_before(
    created: NaiveDate,
    requested: NaiveDate,
    months: u32,
) -> Result<bool, DeadlineError> {
    Ok(created <= requested && created >= sub_months(requested, months)?)
}

/// Officers hear of a deadline this many days ahead.
pub const DUE_SOON_DAYS: i64 = 3;

/// A reminder to staff about a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineReminder {
    DueSoon,
    Overdue,
}

/// Which reminder about a deadline `due` is due on `today` (the procedure's calendar day), given those
/// already sent for that date. Once the deadline passed only the overdue one is: a due-soon notice
/// after the fact would mislead.
pub fn reminder_due(
    due: NaiveDate,
    today: NaiveDate,
    due_soon_sent: bool,
    overdue_sent: bool,
) -> Option<DeadlineReminder> {
    if overdue_sent {
        None
    } else if due < today {
        Some(DeadlineReminder::Overdue)
    } else if (due - today).num_days() <= DUE_SOON_DAYS && !due_soon_sent {
        Some(DeadlineReminder::DueSoon)
    } else {
        None
    }
}

/// The instant from which `reminder_due` has something to say for this deadline, in the procedure's
/// zone `tz`: the start of the day `DUE_SOON_DAYS` before it, or, once that reminder went out, the
/// start of the day after it; `None` once the overdue reminder went out. The worker asks the database
/// only for clocks whose instant has come, so its round costs the same however many requests are open.
pub fn next_reminder_at(
    due: NaiveDate,
    tz: chrono_tz::Tz,
    due_soon_sent: bool,
    overdue_sent: bool,
) -> Option<chrono::DateTime<chrono::Utc>> {
    if overdue_sent {
        return None;
    }
    let day = if due_soon_sent {
        due.succ_opt()?
    } else {
        due.checked_sub_days(Days::new(DUE_SOON_DAYS.unsigned_abs()))?
    };
    Some(start_of_day(day, tz))
}

/// The first instant of `day` in `tz` (midnight, or the end of a daylight-saving gap at midnight).
fn start_of_day(day: NaiveDate, tz: chrono_tz::Tz) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    (0..24)
        .filter_map(|h| day.and_hms_opt(h, 0, 0))
        .find_map(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc())
}

#[cfg(test)]
mod reminder_tests {
    use super::*;
    use proptest::prelude::*;

    const ZONES: [chrono_tz::Tz; 5] = [
        chrono_tz::Asia::Tokyo,
        chrono_tz::Europe::Luxembourg,
        chrono_tz::America::Los_Angeles,
        chrono_tz::America::Toronto,
        chrono_tz::Pacific::Kiritimati,
    ];

    #[test]
    fn reminders_follow_the_deadline() {
        let due = NaiveDate::from_ymd_opt(2026, 12, 22).unwrap();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert_eq!(reminder_due(due, day(18), false, false), None);
        assert_eq!(
            reminder_due(due, day(19), false, false),
            Some(DeadlineReminder::DueSoon)
        );
        assert_eq!(reminder_due(due, day(22), true, false), None, "sent once");
        assert_eq!(
            reminder_due(due, day(23), true, false),
            Some(DeadlineReminder::Overdue)
        );
        assert_eq!(
            reminder_due(due, day(23), false, false),
            Some(DeadlineReminder::Overdue)
        );
        assert_eq!(reminder_due(due, day(30), true, true), None);
        // Tokyo's 19 December starts at 15:00 UTC on the 18th.
        assert_eq!(
            next_reminder_at(due, chrono_tz::Asia::Tokyo, false, false)
                .unwrap()
                .to_rfc3339(),
            "2026-12-18T15:00:00+00:00"
        );
        assert_eq!(
            next_reminder_at(due, chrono_tz::Asia::Tokyo, true, false)
                .unwrap()
                .to_rfc3339(),
            "2026-12-22T15:00:00+00:00"
        );
        assert_eq!(
            next_reminder_at(due, chrono_tz::Asia::Tokyo, true, true),
            None
        );
    }

    proptest! {
        /// The worker is woken exactly when there is something to send: from the instant
        /// `next_reminder_at` names, never before it.
        #[test]
        fn the_instant_matches_the_judgement(
            due_days in 0_i64..3_000,
            offset_minutes in -20_000_i64..20_000,
            zone in 0_usize..5,
            soon in any::<bool>(),
            overdue in any::<bool>(),
        ) {
            let tz = ZONES[zone];
            let due = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::TimeDelta::days(due_days);
            let now = due.and_time(chrono::NaiveTime::MIN).and_utc()
                + chrono::TimeDelta::minutes(offset_minutes);
            let today = now.with_timezone(&tz).date_naive();
            let judged = reminder_due(due, today, soon, overdue).is_some();
            let woken = next_reminder_at(due, tz, soon, overdue).is_some_and(|t| now >= t);
            prop_assert_eq!(judged, woken, "now {} today {} due {}", now, today, due);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> Calendar {
        // 2026-11-26/27: Thanksgiving and the day after; 2026-12-25 Christmas.
        Calendar::weekends_only(
            "t",
            2025,
            2027,
            &[d("2026-11-26"), d("2026-11-27"), d("2026-12-25")],
        )
    }

    fn cals() -> Calendars {
        Calendars::from([("t".to_owned(), cal())])
    }

    #[test]
    fn months_clamp_to_the_end_of_shorter_months() {
        assert_eq!(add_months(d("2026-01-31"), 1).unwrap(), d("2026-02-28"));
        assert_eq!(
            add_months(d("2028-01-31"), 1).unwrap(),
            d("2028-02-29"),
            "leap year"
        );
        assert_eq!(add_months(d("2026-01-31"), 3).unwrap(), d("2026-04-30"));
        assert_eq!(add_months(d("2026-03-31"), 1).unwrap(), d("2026-04-30"));
        assert_eq!(add_months(d("2026-12-15"), 1).unwrap(), d("2027-01-15"));
        assert_eq!(add_months(d("2028-02-29"), 12).unwrap(), d("2029-02-28"));
        assert_eq!(sub_months(d("2026-03-31"), 1).unwrap(), d("2026-02-28"));
        assert_eq!(sub_months(d("2028-03-31"), 1).unwrap(), d("2028-02-29"));
    }

    #[test]
    fn the_one_month_document_rule() {
        // The seed procedure's example: a request dated 2026-03-31.
        let req = d("2026-03-31");
        assert!(!within_months_before(d("2026-02-27"), req, 1).unwrap());
        assert!(within_months_before(d("2026-02-28"), req, 1).unwrap());
        assert!(within_months_before(d("2026-03-31"), req, 1).unwrap());
        assert!(
            !within_months_before(d("2026-04-01"), req, 1).unwrap(),
            "not after the request"
        );
        assert!(within_months_before(d("2026-04-15"), d("2026-05-15"), 1).unwrap());
        assert!(!within_months_before(d("2026-04-14"), d("2026-05-15"), 1).unwrap());
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let c = cal();
        // Mon 2026-11-23 + 10 business days, across Thanksgiving Thu/Fri: Wed 2026-12-09.
        assert_eq!(
            add_business_days(d("2026-11-23"), 10, &c).unwrap(),
            d("2026-12-09")
        );
        // From a Friday, one business day is Monday.
        assert_eq!(
            add_business_days(d("2026-11-20"), 1, &c).unwrap(),
            d("2026-11-23")
        );
        assert_eq!(
            add_business_days(d("2026-11-20"), 0, &c).unwrap(),
            d("2026-11-20")
        );
        assert_eq!(roll_forward(d("2026-11-26"), &c).unwrap(), d("2026-11-30"));
        assert_eq!(roll_forward(d("2026-11-30"), &c).unwrap(), d("2026-11-30"));
        assert_eq!(
            add_business_days(d("2027-12-30"), 5, &c),
            Err(DeadlineError::OutsideCalendar {
                calendar: "t".into(),
                year: 2028
            })
        );
    }

    fn gdpr() -> ClockRule {
        ClockRule {
            period: Period::Months(1),
            calendar: Some("t".into()),
            roll_forward: true,
            pauses_while_waiting: false,
            includes_start_day: false,
            extension: Some(Extension {
                period: Period::Months(2),
                times: 1,
            }),
        }
    }

    #[test]
    fn gdpr_one_month_rolls_off_weekends_and_extends_to_three_months() {
        let r = gdpr();
        let mut st = ClockState::start(d("2026-01-31"));
        let today = d("2026-02-01");
        // Feb 28 2026 is a Saturday: the deadline moves to Monday Mar 2.
        assert_eq!(r.due(&st, today, &cals()).unwrap(), d("2026-03-02"));
        assert_eq!(r.can_extend(&st, today, &cals()).unwrap(), Ok(()));
        st.extensions = 1;
        assert_eq!(
            r.due(&st, today, &cals()).unwrap(),
            d("2026-04-30"),
            "3 months from Jan 31"
        );
        assert_eq!(
            r.original_due(&st, today, &cals()).unwrap(),
            d("2026-03-02")
        );
        assert!(
            r.can_extend(&st, today, &cals()).unwrap().is_err(),
            "only once"
        );
    }

    #[test]
    fn weeks_land_on_the_same_weekday_and_extend_by_weeks() {
        let r = ClockRule {
            period: Period::Weeks(3),
            calendar: None,
            roll_forward: false,
            pauses_while_waiting: true,
            includes_start_day: false,
            extension: Some(Extension {
                period: Period::Weeks(2),
                times: 2,
            }),
        };
        // Monday 7 December 2026: three weeks on is Monday 28 December, across the month end.
        let mut st = ClockState::start(d("2026-12-07"));
        assert_eq!(
            r.due(&st, d("2026-12-08"), &cals()).unwrap(),
            d("2026-12-28")
        );
        st.extensions = 2;
        assert_eq!(
            r.due(&st, d("2026-12-08"), &cals()).unwrap(),
            d("2027-01-25"),
            "three weeks and twice two"
        );
        assert_eq!(Period::Weeks(3).to_string(), "3 weeks");
        let raw: RawPeriod = toml::from_str("weeks = 4").unwrap();
        assert_eq!(raw.period(), Ok(Period::Weeks(4)));
        let both: RawPeriod = toml::from_str("weeks = 4\ndays = 2").unwrap();
        assert!(both.period().unwrap_err().contains("`weeks`"));
    }

    #[test]
    fn extensions_must_be_notified_inside_the_original_period() {
        let r = ClockRule {
            period: Period::Days(45),
            calendar: None,
            roll_forward: false,
            pauses_while_waiting: false,
            includes_start_day: false,
            extension: Some(Extension {
                period: Period::Days(45),
                times: 1,
            }),
        };
        let st = ClockState::start(d("2026-01-01"));
        assert_eq!(
            r.due(&st, d("2026-01-02"), &cals()).unwrap(),
            d("2026-02-15")
        );
        assert!(r.can_extend(&st, d("2026-02-15"), &cals()).unwrap().is_ok());
        assert!(
            r.can_extend(&st, d("2026-02-16"), &cals())
                .unwrap()
                .is_err()
        );
        let mut ext = st.clone();
        ext.extensions = 1;
        assert_eq!(
            r.due(&ext, d("2026-01-02"), &cals()).unwrap(),
            d("2026-04-01"),
            "90 days in total"
        );
        assert!(!r.is_overdue(&st, d("2026-02-15"), &cals()).unwrap());
        assert!(r.is_overdue(&st, d("2026-02-16"), &cals()).unwrap());
        let mut stopped = st.clone();
        stopped.stop(d("2026-02-01"));
        assert!(!r.is_overdue(&stopped, d("2026-03-01"), &cals()).unwrap());
        assert!(
            r.can_extend(&stopped, d("2026-02-02"), &cals())
                .unwrap()
                .is_err()
        );
    }

    /// Fourteen calendar days that stop while the request waits on the requester.
    fn pausing_fortnight() -> ClockRule {
        ClockRule {
            period: Period::Days(14),
            calendar: None,
            roll_forward: false,
            pauses_while_waiting: true,
            includes_start_day: false,
            extension: None,
        }
    }

    #[test]
    fn pauses_push_the_deadline_back_by_the_days_paused() {
        let r = pausing_fortnight();
        let mut st = ClockState::start(d("2026-03-01"));
        assert_eq!(
            r.due(&st, d("2026-03-02"), &cals()).unwrap(),
            d("2026-03-15")
        );
        st.pause(d("2026-03-05"));
        assert!(
            !r.is_overdue(&st, d("2026-04-30"), &cals()).unwrap(),
            "a paused clock is never overdue"
        );
        assert_eq!(
            r.due(&st, d("2026-03-10"), &cals()).unwrap(),
            d("2026-03-20"),
            "moves while paused"
        );
        st.resume(d("2026-03-12"));
        assert_eq!(st.paused_days, 7);
        assert_eq!(
            r.due(&st, d("2026-03-20"), &cals()).unwrap(),
            d("2026-03-22")
        );
        st.pause(d("2026-03-20"));
        st.resume(d("2026-03-20"));
        assert_eq!(st.paused_days, 7, "a same-day pause costs nothing");
        assert!(
            r.can_extend(&st, d("2026-03-20"), &cals())
                .unwrap()
                .is_err(),
            "no extension rule"
        );
    }

    /// A clock that both pauses and rolls: the days paused are added to the period's end, and that
    /// day is then rolled off a weekend or holiday. While paused, the unrolled end moves a day a day;
    /// the rolled one jumps over the weekend, so the days left are not constant then.
    #[test]
    fn a_paused_deadline_is_rolled_after_the_pause_is_added() {
        let r = ClockRule {
            calendar: Some("t".into()),
            roll_forward: true,
            ..pausing_fortnight()
        };
        let mut st = ClockState::start(d("2026-03-02"));
        assert_eq!(
            r.due(&st, d("2026-03-03"), &cals()).unwrap(),
            d("2026-03-16"),
            "a Monday: nothing to roll"
        );
        st.pause(d("2026-03-05"));
        st.resume(d("2026-03-10"));
        assert_eq!(
            r.due(&st, d("2026-03-10"), &cals()).unwrap(),
            d("2026-03-23"),
            "Saturday the 21st, rolled to Monday"
        );
        st.pause(d("2026-03-11"));
        assert_eq!(
            r.due(&st, d("2026-03-11"), &cals()).unwrap(),
            d("2026-03-23"),
            "the same end on the day it pauses again"
        );
        assert_eq!(
            r.due(&st, d("2026-03-12"), &cals()).unwrap(),
            d("2026-03-23"),
            "Sunday the 22nd, rolled to the same Monday"
        );
        assert_eq!(
            r.due(&st, d("2026-03-13"), &cals()).unwrap(),
            d("2026-03-23"),
            "Monday the 23rd itself"
        );
    }

    #[test]
    fn a_clock_paused_after_its_deadline_stays_overdue() {
        let r = pausing_fortnight();
        let mut st = ClockState::start(d("2026-03-01"));
        st.pause(d("2026-03-20"));
        assert!(r.is_overdue(&st, d("2026-03-25"), &cals()).unwrap());
    }

    #[test]
    fn ccpa_counts_the_day_of_receipt_as_day_one() {
        let r = ClockRule {
            period: Period::Days(45),
            calendar: None,
            roll_forward: false,
            pauses_while_waiting: false,
            includes_start_day: true,
            extension: Some(Extension {
                period: Period::Days(45),
                times: 1,
            }),
        };
        let mut st = ClockState::start(d("2026-01-01"));
        assert_eq!(
            r.due(&st, d("2026-01-01"), &cals()).unwrap(),
            d("2026-02-14"),
            "Jan 1 is day 1, Feb 14 day 45"
        );
        st.extensions = 1;
        assert_eq!(
            r.due(&st, d("2026-01-01"), &cals()).unwrap(),
            d("2026-03-31"),
            "day 90"
        );
    }

    #[test]
    fn absurd_lengths_are_an_error_not_a_panic() {
        let r = ClockRule {
            period: Period::Months(u32::MAX),
            calendar: None,
            roll_forward: false,
            pauses_while_waiting: false,
            includes_start_day: false,
            extension: Some(Extension {
                period: Period::Months(u32::MAX),
                times: 2,
            }),
        };
        let mut st = ClockState::start(d("2026-01-01"));
        st.extensions = 2;
        assert_eq!(
            r.due(&st, d("2026-01-01"), &cals()),
            Err(DeadlineError::OutOfRange)
        );
    }

    #[test]
    fn calendars_parse_and_refuse_bad_data() {
        let src = r#"
id = "x"
name = { en = "X", ja = "X" }
weekend = ["sat", "sun"]
first_year = 2026
last_year = 2026
holidays = [{ date = "2026-01-01", name = "New Year" }]
"#;
        let c = Calendar::parse(src).unwrap();
        assert!(!c.is_business_day(d("2026-01-01")).unwrap());
        assert!(c.is_business_day(d("2026-01-02")).unwrap());
        assert!(Calendar::parse(&src.replace("2026-01-01", "2027-01-01")).is_err());
        assert!(Calendar::parse(&src.replace("\"sat\"", "\"caturday\"")).is_err());
    }

    proptest! {
        #[test]
        fn add_months_never_overflows_the_month_and_keeps_the_day_when_it_can(
            y in 2000i32..2100, m in 1u32..=12, day in 1u32..=31, n in 0u32..40
        ) {
            prop_assume!(NaiveDate::from_ymd_opt(y, m, day).is_some());
            let start = NaiveDate::from_ymd_opt(y, m, day).unwrap();
            let end = add_months(start, n).unwrap();
            let months = (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32;
            prop_assert_eq!(months, n as i32);
            if end.day() != start.day() {
                prop_assert!(end.day() < start.day());
                prop_assert_eq!(add_days(end, 1).unwrap().day(), 1, "clamped to the last day");
            }
        }

        #[test]
        fn business_day_counting_lands_on_a_business_day_after_exactly_n(
            offset in 0i64..600, n in 1u32..30
        ) {
            let c = cal();
            let start = add_days(d("2025-01-01"), offset).unwrap();
            let end = add_business_days(start, n, &c).unwrap();
            prop_assert!(c.is_business_day(end).unwrap());
            let mut count = 0;
            let mut day = start;
            while day < end {
                day = add_days(day, 1).unwrap();
                if c.is_business_day(day).unwrap() { count += 1; }
            }
            prop_assert_eq!(count, n);
        }

        #[test]
        fn a_paused_clock_does_not_run(start_off in 0i64..300, pause_after in 0i64..40, pause_len in 0i64..60, check_after in 0i64..60) {
            let r = ClockRule { period: Period::Days(30), calendar: None, roll_forward: false, pauses_while_waiting: true, includes_start_day: false, extension: None };
            let start = add_days(d("2025-06-01"), start_off).unwrap();
            let mut st = ClockState::start(start);
            let paused_on = add_days(start, pause_after).unwrap();
            let due_before = r.due(&st, paused_on, &cals()).unwrap();
            st.pause(paused_on);
            let later = add_days(paused_on, pause_len).unwrap();
            // While paused, the time left never shrinks.
            let left = |st: &ClockState, today| (r.due(st, today, &cals()).unwrap() - today).num_days();
            prop_assert_eq!(left(&st, later), (due_before - paused_on).num_days());
            st.resume(later);
            prop_assert_eq!(r.due(&st, later, &cals()).unwrap(), add_days(due_before, pause_len).unwrap());
            let after = add_days(later, check_after).unwrap();
            prop_assert_eq!(left(&st, after), left(&st, later) - check_after, "running again");
        }
    }
}
