//! The `[[clocks]]` section: each legal deadline, when it starts and stops, how it is counted and extended.

use super::super::raw::*;
use super::super::*;
use super::{Checker, States};
use crate::domain::deadline::Calendars;
use crate::domain::law::Regime;
use crate::domain::law::deadlines::{RuleParts, exceeds};

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
            let rule = RuleParts {
                id: &k.id,
                duration: &k.duration,
                calendar: k.calendar.as_ref(),
                roll_forward: k.roll_forward,
                pauses_while_waiting: k.pauses_while_waiting,
                includes_start_day: k.includes_start_day,
                extension: k.extension.as_ref(),
            }
            .rule(calendars)
            .map_err(|(span, why)| self.err(span, format!("clock {why}")))?;
            clocks.push(ClockDef {
                id: kid,
                label: k.label.clone(),
                start,
                stop_when,
                rule,
            });
        }
        Ok(clocks)
    }

    /// The law's deadlines over the procedure's clocks: a clock with a deadline's id may end sooner,
    /// never later; a deadline the procedure has no clock for runs as the law writes it, where it
    /// covers every right the procedure serves.
    pub(super) fn law_clocks(
        &self,
        mut clocks: Vec<ClockDef>,
        raw: &[RawClock],
        regime: &Regime,
        rights: &[RightCode],
        calendars: &Calendars,
    ) -> Result<Vec<ClockDef>, DefinitionError> {
        for law in &regime.deadlines {
            let covered: Vec<&RightCode> = rights.iter().filter(|r| law.covers(r)).collect();
            if covered.is_empty() {
                continue;
            }
            match clocks.iter().position(|c| c.id == law.id) {
                Some(i) => {
                    if let Some(why) = exceeds(&clocks[i].rule, &law.rule, calendars) {
                        let span = raw.get(i).map_or(0..0, |k| k.id.span());
                        return Err(self.err(
                            span,
                            format!(
                                "clock `{}` gives less time than the law: {why} (seeds/regimes/{}.toml, deadline `{}`)",
                                law.id, regime.id, law.id
                            ),
                        ));
                    }
                }
                None if covered.len() == rights.len() => clocks.push(ClockDef {
                    id: law.id.clone(),
                    label: law.label.clone(),
                    start: ClockStart::Receipt,
                    stop_when: Vec::new(),
                    rule: law.rule.clone(),
                }),
                None => {
                    return Err(self.err(
                        0..0,
                        format!(
                            "the law's deadline `{}` covers only some of this procedure's rights ({}): \
                             give the procedure a clock `{}` or serve those rights in their own procedure",
                            law.id,
                            covered.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
                            law.id
                        ),
                    ));
                }
            }
        }
        Ok(clocks)
    }
}
