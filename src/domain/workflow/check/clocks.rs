//! The `[[clocks]]` section: each legal deadline, when it starts and stops, how it is counted and extended.

use super::super::raw::*;
use super::super::*;
use super::{Checker, States};

impl Checker<'_> {
    pub(super) fn clocks(
        &self,
        raw: &[RawClock],
        states: &States,
        calendars: &BTreeSet<String>,
    ) -> Result<Vec<ClockDef>, DefinitionError> {
        let mut clocks: Vec<ClockDef> = Vec::new();
        for k in raw {
            let kid = k.id.get_ref().clone();
            if clocks.iter().any(|x| x.id == kid) {
                return Err(self.err(k.id.span(), format!("clock `{kid}` is defined twice")));
            }
            let period = k
                .duration
                .get_ref()
                .period()
                .map_err(|e| self.err(k.duration.span(), e))?;
            let start = match (&k.start, k.start_when.is_empty()) {
                (Some(s), true) if s.get_ref() == "receipt" => ClockStart::Receipt,
                (Some(s), true) => {
                    return Err(self.err(
                        s.span(),
                        format!("clock `{kid}`: `start` can only be \"receipt\""),
                    ));
                }
                (None, false) => ClockStart::Entering(
                    k.start_when
                        .iter()
                        .map(|s| states.known(self, s, &format!("clock `{kid}` starts in")))
                        .collect::<Result<_, _>>()?,
                ),
                (None, true) => {
                    return Err(self.err(
                        k.id.span(),
                        format!("clock `{kid}` needs `start = \"receipt\"` or `start_when`"),
                    ));
                }
                (Some(s), false) => {
                    return Err(self.err(
                        s.span(),
                        format!("clock `{kid}` has both `start` and `start_when`"),
                    ));
                }
            };
            let stop_when = k
                .stop_when
                .iter()
                .map(|s| states.known(self, s, &format!("clock `{kid}` stops in")))
                .collect::<Result<Vec<_>, _>>()?;
            let calendar = match &k.calendar {
                Some(cal) if !calendars.contains(cal.get_ref()) => {
                    return Err(self.err(
                        cal.span(),
                        format!("clock `{kid}` uses unknown calendar `{}`", cal.get_ref()),
                    ));
                }
                Some(cal) => Some(cal.get_ref().clone()),
                None => None,
            };
            let extension = match &k.extension {
                None => None,
                Some(e) => Some(Extension {
                    period: e
                        .duration
                        .get_ref()
                        .period()
                        .map_err(|m| self.err(e.duration.span(), m))?,
                    times: e.times,
                }),
            };
            let needs_calendar = k.roll_forward
                || matches!(period, Period::BusinessDays(_))
                || matches!(
                    extension,
                    Some(Extension {
                        period: Period::BusinessDays(_),
                        ..
                    })
                );
            if needs_calendar && calendar.is_none() {
                return Err(self.err(
                    k.id.span(),
                    format!("clock `{kid}` counts business days or rolls forward, so it needs a `calendar`"),
                ));
            }
            for (p, span) in [
                (Some(period), k.duration.span()),
                (extension.map(|e| e.period), k.id.span()),
            ] {
                let too_long = match p {
                    Some(Period::Days(n)) => n > 3660,
                    Some(Period::Weeks(n)) => n > 522,
                    Some(Period::Months(n)) => n > 120,
                    Some(Period::BusinessDays(n)) => n > 2600,
                    None => false,
                };
                if too_long {
                    return Err(self.err(
                        span,
                        format!(
                            "clock `{kid}`: a period longer than ten years is not a legal deadline"
                        ),
                    ));
                }
            }
            if extension.is_some_and(|e| e.times > 12) {
                return Err(self.err(k.id.span(), format!("clock `{kid}`: at most 12 extensions")));
            }
            if k.includes_start_day && !matches!(period, Period::Days(_)) {
                return Err(self.err(
                    k.id.span(),
                    format!("clock `{kid}`: `includes_start_day` applies to calendar days only"),
                ));
            }
            clocks.push(ClockDef {
                id: kid,
                label: k.label.clone(),
                start,
                stop_when,
                rule: ClockRule {
                    period,
                    calendar,
                    roll_forward: k.roll_forward,
                    pauses_while_waiting: k.pauses_while_waiting,
                    includes_start_day: k.includes_start_day,
                    extension,
                },
            });
        }
        Ok(clocks)
    }
}
