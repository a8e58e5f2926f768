//! Reading `seeds/places` and `seeds/regimes`: the files as written (spans kept, so a refusal names its
//! line), checked into `Place` and `Regime`.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::*;

mod registers;
mod rights;
use crate::domain::code::Code;
use crate::domain::preference::PreferenceValue;
use registers::{RawComplaints, RawProvisionRules};
use rights::RawRight;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlace {
    code: Spanned<String>,
    version: Spanned<i64>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    name: Label,
    regime: Spanned<String>,
    timezone: Spanned<String>,
    calendar: Option<Spanned<String>>,
    languages: Vec<Spanned<String>>,
    #[serde(default)]
    members: Vec<Spanned<String>>,
    #[serde(default)]
    fallback: bool,
    /// The consumption tax rates fees are charged at, each from its first day.
    #[serde(default)]
    consumption_tax: Vec<RawTaxRate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxRate {
    from: Spanned<String>,
    rate_percent: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegime {
    id: Spanned<String>,
    version: Spanned<i64>,
    name: Label,
    /// Who may file under this law: `self`, `agent`, `guardian` (only `self` when left out).
    requesters: Option<Vec<Spanned<String>>>,
    /// A guardian files for a minor under this age (required where `guardian` may file).
    minor_under: Option<Spanned<i64>>,
    rights: Vec<RawRight>,
    #[serde(default)]
    grounds: Vec<RawGround>,
    complaint_authority: Option<Label>,
    #[serde(default)]
    deadlines: Vec<RawDeadline>,
    provision_records: Option<RawProvisionRules>,
    complaints: Option<RawComplaints>,
    /// The kind of preference an opt-out preference signal (Global Privacy Control) opts out of.
    gpc: Option<Spanned<String>>,
    /// The Data Rights Protocol's regimes and actions this law answers.
    drp: Option<RawDrp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDrp {
    regimes: Vec<String>,
    actions: BTreeMap<String, Spanned<String>>,
}

/// A `[[deadlines]]` entry: the counting fields of a workflow's `[[clocks]]`, from receipt, and the
/// rights it covers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    id: Spanned<String>,
    label: Label,
    #[serde(default)]
    rights: Vec<Spanned<String>>,
    duration: Spanned<crate::domain::deadline::RawPeriod>,
    calendar: Option<Spanned<String>>,
    #[serde(default)]
    roll_forward: bool,
    pauses_while_waiting: bool,
    #[serde(default)]
    includes_start_day: bool,
    extension: Option<deadlines::RawExtension>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGround {
    code: Spanned<String>,
    label: Label,
    article: Option<Label>,
    #[serde(default)]
    rights: Vec<Spanned<String>>,
}

struct Source<'s>(&'s str);

impl Source<'_> {
    fn line(&self, offset: usize) -> usize {
        self.0[..offset.min(self.0.len())].matches('\n').count() + 1
    }

    fn err(&self, span: Range<usize>, reason: impl Into<String>) -> DefinitionError {
        DefinitionError {
            line: (span.end > 0).then(|| self.line(span.start)),
            reason: reason.into(),
        }
    }

    /// The rights a ground or a deadline names, each one the regime grants.
    fn granted(
        &self,
        rights: &[RightDef],
        named: &[Spanned<String>],
        what: &str,
    ) -> Result<Vec<RightCode>, DefinitionError> {
        named
            .iter()
            .map(|r| {
                rights
                    .iter()
                    .find(|x| x.code.as_str() == r.get_ref())
                    .map(|x| x.code.clone())
                    .ok_or_else(|| {
                        self.err(
                            r.span(),
                            format!(
                                "{what} names right `{}`, which this regime does not grant",
                                r.get_ref()
                            ),
                        )
                    })
            })
            .collect()
    }

    fn toml<T: for<'de> Deserialize<'de>>(&self) -> Result<T, DefinitionError> {
        toml::from_str(self.0).map_err(|e| DefinitionError {
            line: e.span().map(|s| self.line(s.start)),
            reason: e.message().to_owned(),
        })
    }

    fn version(&self, v: &Spanned<i64>) -> Result<i64, DefinitionError> {
        if *v.get_ref() < 1 {
            return Err(self.err(v.span(), "version must be 1 or more"));
        }
        Ok(*v.get_ref())
    }

    /// A code of kind `T`; an unknown one is refused with the codes `T` knows.
    fn kind<T: std::str::FromStr + Code>(
        &self,
        s: &Option<Spanned<String>>,
        what: &str,
    ) -> Result<Option<T>, DefinitionError> {
        s.as_ref()
            .map(|s| {
                s.get_ref().parse().map_err(|_| {
                    self.err(
                        s.span(),
                        format!(
                            "unknown {what} `{}` (known: {})",
                            s.get_ref(),
                            T::codes().join(", ")
                        ),
                    )
                })
            })
            .transpose()
    }
}

impl Place {
    /// Reads one place file, checking its calendar exists.
    pub fn parse(src: &str, calendars: &Calendars) -> Result<Self, DefinitionError> {
        let s = Source(src);
        let raw: RawPlace = s.toml()?;
        let code: PlaceCode = raw.code.get_ref().parse().map_err(|_| {
            s.err(
                raw.code.span(),
                format!(
                    "place code `{}` must be an ISO 3166 code (JP, US-CA) or a name of letters, digits and `-`",
                    raw.code.get_ref()
                ),
            )
        })?;
        let timezone = raw.timezone.get_ref().parse().map_err(|_| {
            s.err(
                raw.timezone.span(),
                format!("unknown time zone `{}`", raw.timezone.get_ref()),
            )
        })?;
        if let Some(c) = &raw.calendar
            && !calendars.contains_key(c.get_ref())
        {
            return Err(s.err(
                c.span(),
                format!(
                    "unknown calendar `{}`: add seeds/calendars/{}.toml",
                    c.get_ref(),
                    c.get_ref()
                ),
            ));
        }
        if raw.languages.is_empty() {
            return Err(s.err(raw.code.span(), "a place lists at least one language"));
        }
        let mut languages = Vec::new();
        for l in &raw.languages {
            let Ok(lang) = l.get_ref().parse::<Language>() else {
                return Err(s.err(
                    l.span(),
                    format!(
                        "language `{}` must be a lower-case BCP 47 primary subtag (ja, en, pt)",
                        l.get_ref()
                    ),
                ));
            };
            languages.push(lang);
        }
        for m in raw.members.iter().chain(&raw.aliases) {
            if m.get_ref().parse::<PlaceCode>().is_err() {
                return Err(s.err(m.span(), format!("`{}` is not a place code", m.get_ref())));
            }
        }
        let mut consumption_tax = Vec::new();
        for r in &raw.consumption_tax {
            let from = r.from.get_ref().parse().map_err(|_| {
                s.err(
                    r.from.span(),
                    format!("`{}` is not a date (YYYY-MM-DD)", r.from.get_ref()),
                )
            })?;
            if !(1..=50).contains(r.rate_percent.get_ref()) {
                return Err(s.err(
                    r.rate_percent.span(),
                    "a tax rate is between 1 and 50 percent",
                ));
            }
            consumption_tax.push(crate::domain::tax::TaxRate {
                from,
                rate_percent: *r.rate_percent.get_ref(),
            });
        }
        Ok(Place {
            code,
            version: s.version(&raw.version)?,
            aliases: raw.aliases.into_iter().map(Spanned::into_inner).collect(),
            name: raw.name,
            regime: raw.regime.into_inner(),
            timezone,
            calendar: raw.calendar.map(Spanned::into_inner),
            languages,
            members: raw.members.into_iter().map(Spanned::into_inner).collect(),
            fallback: raw.fallback,
            consumption_tax,
        })
    }
}

impl Regime {
    /// Reads one regime file, checking the calendars its deadlines count in exist.
    pub fn parse(src: &str, calendars: &Calendars) -> Result<Self, DefinitionError> {
        let s = Source(src);
        let raw: RawRegime = s.toml()?;
        let id = raw.id.get_ref().clone();
        if id.is_empty()
            || id.len() > 40
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(s.err(
                raw.id.span(),
                format!("regime id `{id}` must be lower-case letters, digits, `-` or `_`"),
            ));
        }
        if raw.rights.is_empty() {
            return Err(s.err(raw.id.span(), "a regime grants at least one right"));
        }
        let rights = s.rights(raw.rights)?;
        let requesters = match &raw.requesters {
            // Unsaid, only the person: an agent or guardian is let in only where the file says so.
            None => vec!["self".to_owned()],
            Some(list) => {
                let mut kinds: Vec<String> = Vec::new();
                for k in list {
                    let kind = k.get_ref().clone();
                    if !REQUESTER_KINDS.contains(&kind.as_str()) {
                        return Err(s.err(
                            k.span(),
                            format!(
                                "unknown requester `{kind}` (known: {})",
                                REQUESTER_KINDS.join(", ")
                            ),
                        ));
                    }
                    if kinds.contains(&kind) {
                        return Err(s.err(k.span(), format!("requester `{kind}` is listed twice")));
                    }
                    kinds.push(kind);
                }
                if !kinds.iter().any(|k| k == "self") {
                    return Err(s.err(
                        raw.id.span(),
                        "requesters must include `self`: the person may always ask",
                    ));
                }
                kinds
            }
        };
        // A guardian's filing for a minor is checked against the law's age, so the law must say it.
        let minor_under = match (&raw.minor_under, requesters.iter().any(|k| k == "guardian")) {
            (None, false) => None,
            (None, true) => {
                return Err(s.err(
                    raw.id.span(),
                    "a law that lets a guardian file must say under which age (minor_under)",
                ));
            }
            (Some(age), _) => match u32::try_from(*age.get_ref()) {
                Ok(a @ 1..=25) => Some(a),
                _ => {
                    return Err(s.err(
                        age.span(),
                        format!(
                            "minor_under `{}` must be an age from 1 to 25",
                            age.get_ref()
                        ),
                    ));
                }
            },
        };
        let mut grounds: Vec<RefusalGround> = Vec::new();
        for g in raw.grounds {
            let code = g.code.get_ref().clone();
            if code.is_empty()
                || code.len() > 64
                || !code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(s.err(
                    g.code.span(),
                    format!("ground code `{code}` must be lower-case letters, digits or `_`"),
                ));
            }
            if grounds.iter().any(|x| x.code == code) {
                return Err(s.err(g.code.span(), format!("ground `{code}` is listed twice")));
            }
            let applies = s.granted(&rights, &g.rights, &format!("ground `{code}`"))?;
            grounds.push(RefusalGround {
                code,
                label: g.label,
                article: g.article,
                rights: applies,
            });
        }
        let names: BTreeSet<String> = calendars.keys().cloned().collect();
        let mut deadlines: Vec<LawDeadline> = Vec::new();
        for d in raw.deadlines {
            let did = d.id.get_ref().clone();
            if deadlines.iter().any(|x| x.id == did) {
                return Err(s.err(d.id.span(), format!("deadline `{did}` is defined twice")));
            }
            let rule = deadlines::RuleParts {
                id: &d.id,
                duration: &d.duration,
                calendar: d.calendar.as_ref(),
                roll_forward: d.roll_forward,
                pauses_while_waiting: d.pauses_while_waiting,
                includes_start_day: d.includes_start_day,
                extension: d.extension.as_ref(),
            }
            .rule(&names)
            .map_err(|(span, why)| s.err(span, format!("deadline {why}")))?;
            let covers = s.granted(&rights, &d.rights, &format!("deadline `{did}`"))?;
            deadlines.push(LawDeadline {
                id: did,
                label: d.label,
                rights: covers,
                rule,
            });
        }
        let provision = raw
            .provision_records
            .map(|p| s.provision_rules(p))
            .transpose()?;
        if provision.is_none()
            && let Some(r) = rights
                .iter()
                .find(|r| r.answer == Some(AnswerKind::ProvisionRecords))
        {
            return Err(s.err(
                raw.id.span(),
                format!(
                    "right `{}` answers from the register of provision records, so the regime needs `[provision_records]`",
                    r.code
                ),
            ));
        }
        let complaints = raw.complaints.map(|c| s.complaints(c)).transpose()?;
        // The signal stands for an opt-out the law grants as a right.
        let gpc = match &raw.gpc {
            None => None,
            Some(k) => {
                let opted_out = rights
                    .iter()
                    .filter_map(|r| r.preference.as_ref())
                    .find(|p| {
                        p.kind.as_str() == k.get_ref() && p.value == PreferenceValue::OptedOut
                    });
                match opted_out {
                    Some(p) => Some(p.kind.clone()),
                    None => {
                        return Err(s.err(
                            k.span(),
                            format!(
                                "gpc `{}` must name the preference kind of a right that opts out",
                                k.get_ref()
                            ),
                        ));
                    }
                }
            }
        };
        let drp = match raw.drp {
            None => None,
            Some(d) => {
                let mut actions = BTreeMap::new();
                for (action, right) in d.actions {
                    let Some(r) = rights.iter().find(|r| r.code.as_str() == right.get_ref()) else {
                        return Err(s.err(
                            right.span(),
                            format!(
                                "DRP action `{action}` names right `{}`, which this law does not grant",
                                right.get_ref()
                            ),
                        ));
                    };
                    actions.insert(action, r.code.clone());
                }
                if d.regimes.is_empty() || actions.is_empty() {
                    return Err(s.err(
                        raw.id.span(),
                        "[drp] names at least one regime and one action",
                    ));
                }
                Some(DrpRules {
                    regimes: d.regimes,
                    actions,
                })
            }
        };
        Ok(Regime {
            drp,
            gpc,
            source: src.to_owned(),
            deadlines,
            provision,
            complaints,
            id,
            version: s.version(&raw.version)?,
            name: raw.name,
            requesters,
            minor_under,
            rights,
            grounds,
            complaint_authority: raw.complaint_authority,
        })
    }
}
