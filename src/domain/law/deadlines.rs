//! The law's deadlines as data: how a definition file writes a counting rule (a regime's `[[deadlines]]`
//! and a workflow's `[[clocks]]` share it), and whether a procedure's clock stays within the law's.

use std::collections::BTreeSet;
use std::ops::Range;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use toml::Spanned;

use crate::domain::deadline::{Calendars, ClockRule, ClockState, Extension, Period, RawPeriod};
use crate::domain::definition::Label;
use crate::domain::request::RightCode;

/// A deadline the law sets for answering, counted from receipt. A procedure serving the rights it covers
/// either runs it as it is (a workflow without a clock of the same id) or runs its own clock of that id,
/// which may end sooner but never later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LawDeadline {
    pub id: String,
    /// What it says, with the article, in the requester's words.
    pub label: Label,
    /// The rights it covers; empty: every right of the regime.
    pub rights: Vec<RightCode>,
    pub rule: ClockRule,
}

impl LawDeadline {
    pub fn covers(&self, right: &RightCode) -> bool {
        self.rights.is_empty() || self.rights.contains(right)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExtension {
    pub(crate) duration: Spanned<RawPeriod>,
    pub(crate) times: u32,
}

/// The counting fields a `[[clocks]]` or a `[[deadlines]]` entry shares, as written.
pub(crate) struct RuleParts<'a> {
    pub(crate) id: &'a Spanned<String>,
    pub(crate) duration: &'a Spanned<RawPeriod>,
    pub(crate) calendar: Option<&'a Spanned<String>>,
    pub(crate) roll_forward: bool,
    pub(crate) pauses_while_waiting: bool,
    pub(crate) includes_start_day: bool,
    pub(crate) extension: Option<&'a RawExtension>,
}

impl RuleParts<'_> {
    /// The rule, or where the file is wrong and why. `calendars`: the holiday calendars that exist.
    pub(crate) fn rule(
        &self,
        calendars: &BTreeSet<String>,
    ) -> Result<ClockRule, (Range<usize>, String)> {
        let kid = self.id.get_ref();
        let period = self
            .duration
            .get_ref()
            .period()
            .map_err(|e| (self.duration.span(), e))?;
        let calendar = match self.calendar {
            Some(cal) if !calendars.contains(cal.get_ref()) => {
                return Err((
                    cal.span(),
                    format!("`{kid}` uses unknown calendar `{}`", cal.get_ref()),
                ));
            }
            Some(cal) => Some(cal.get_ref().clone()),
            None => None,
        };
        let extension = match self.extension {
            None => None,
            Some(e) => Some(Extension {
                period: e
                    .duration
                    .get_ref()
                    .period()
                    .map_err(|m| (e.duration.span(), m))?,
                times: e.times,
            }),
        };
        let business = |p: Option<Period>| matches!(p, Some(Period::BusinessDays(_)));
        if (self.roll_forward || business(Some(period)) || business(extension.map(|e| e.period)))
            && calendar.is_none()
        {
            return Err((
                self.id.span(),
                format!("`{kid}` counts business days or rolls forward, so it needs a `calendar`"),
            ));
        }
        for (p, span) in [
            (Some(period), self.duration.span()),
            (extension.map(|e| e.period), self.id.span()),
        ] {
            let too_long = match p {
                Some(Period::Days(n)) => n > 3660,
                Some(Period::Weeks(n)) => n > 522,
                Some(Period::Months(n)) => n > 120,
                Some(Period::BusinessDays(n)) => n > 2600,
                None => false,
            };
            if too_long {
                return Err((
                    span,
                    format!("`{kid}`: a period longer than ten years is not a legal deadline"),
                ));
            }
        }
        if extension.is_some_and(|e| e.times > 12) {
            return Err((self.id.span(), format!("`{kid}`: at most 12 extensions")));
        }
        if self.includes_start_day && !matches!(period, Period::Days(_)) {
            return Err((
                self.id.span(),
                format!("`{kid}`: `includes_start_day` applies to calendar days only"),
            ));
        }
        Ok(ClockRule {
            period,
            calendar,
            roll_forward: self.roll_forward,
            pauses_while_waiting: self.pauses_while_waiting,
            includes_start_day: self.includes_start_day,
            extension,
        })
    }
}

/// Why a procedure's clock would give the requester less than the law promises, if it would: it ends
/// later than the law's deadline for some day of receipt, before or after every extension it allows,
/// or it pauses where the law's does not. Every day of one year that both rules' calendars cover is
/// tried as the day of receipt, so month ends, leap days, weekends and holidays are all met.
pub fn exceeds(clock: &ClockRule, law: &ClockRule, calendars: &Calendars) -> Option<String> {
    if clock.pauses_while_waiting && !law.pauses_while_waiting {
        return Some("it pauses while waiting on the requester, and the law's does not".into());
    }
    let times = |r: &ClockRule| r.extension.map_or(0, |e| e.times);
    if times(clock) > 0 && times(law) == 0 {
        return Some("it may be extended, and the law's may not".into());
    }
    let year = sample_year(clock, law, calendars);
    let mut day = NaiveDate::from_ymd_opt(year, 1, 1)?;
    while day.year() == year {
        for (ours, theirs) in [(0, 0), (times(clock), times(law))] {
            let at = |r: &ClockRule, n: u32| {
                let mut st = ClockState::start(day);
                st.extensions = n;
                r.due(&st, day, calendars).ok()
            };
            if let (Some(c), Some(l)) = (at(clock, ours), at(law, theirs))
                && c > l
            {
                let after = if ours > 0 {
                    " after every extension"
                } else {
                    ""
                };
                return Some(format!(
                    "for a request received on {day} it ends on {c}{after}, the law's on {l}"
                ));
            }
        }
        day = day.succ_opt()?;
    }
    None
}

/// A year both rules' holiday calendars cover with a year to spare after it (so extended deadlines
/// still count holidays); 2027 when neither names a calendar.
fn sample_year(a: &ClockRule, b: &ClockRule, calendars: &Calendars) -> i32 {
    let last = [a, b]
        .iter()
        .filter_map(|r| r.calendar.as_ref())
        .filter_map(|id| calendars.get(id))
        .map(|c| c.last_year())
        .min();
    match last {
        Some(y) => (y - 2).max(2000),
        None => 2027,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::Calendar;

    fn rule(period: Period, extension: Option<Extension>) -> ClockRule {
        ClockRule {
            period,
            calendar: None,
            roll_forward: false,
            pauses_while_waiting: false,
            includes_start_day: false,
            extension,
        }
    }

    fn ext(period: Period, times: u32) -> Option<Extension> {
        Some(Extension { period, times })
    }

    #[test]
    fn a_clock_within_the_law_passes_and_a_longer_one_is_named() {
        let cals = Calendars::new();
        let law = rule(Period::Months(1), ext(Period::Months(2), 1));
        assert_eq!(exceeds(&law, &law, &cals), None);
        // Sooner is always allowed.
        let sooner = rule(Period::Days(28), ext(Period::Days(30), 1));
        assert_eq!(exceeds(&sooner, &law, &cals), None);
        // 30 days is longer than one month only from a 31-day month's end into February: found anyway.
        let days = rule(Period::Days(30), ext(Period::Months(2), 1));
        let why = exceeds(&days, &law, &cals).unwrap();
        assert!(why.contains("2027-01-30"), "{why}");
        // Extensions count: two extensions where the law allows one.
        let twice = rule(Period::Months(1), ext(Period::Months(2), 2));
        assert!(
            exceeds(&twice, &law, &cals)
                .unwrap()
                .contains("after every extension")
        );
        let no_ext = rule(Period::Days(10), None);
        assert!(
            exceeds(
                &rule(Period::Days(10), ext(Period::Days(10), 1)),
                &no_ext,
                &cals
            )
            .unwrap()
            .contains("may be extended")
        );
        let mut pausing = law.clone();
        pausing.pauses_while_waiting = true;
        assert!(exceeds(&pausing, &law, &cals).unwrap().contains("pauses"));
    }

    #[test]
    fn business_days_are_compared_on_the_calendar() {
        let mut cals = Calendars::new();
        let jp = Calendar::weekends_only("jp", 2026, 2030, &[]);
        cals.insert(jp.id.clone(), jp);
        let mut law = rule(Period::Days(14), None);
        law.calendar = Some("jp".into());
        let mut ten = rule(Period::BusinessDays(10), None);
        ten.calendar = Some("jp".into());
        // Ten business days are fourteen calendar days at most (two weekends): never later.
        assert_eq!(exceeds(&ten, &law, &cals), None);
        let mut eleven = ten.clone();
        eleven.period = Period::BusinessDays(11);
        assert!(exceeds(&eleven, &law, &cals).is_some());
    }
}
