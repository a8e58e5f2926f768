//! Reading a definition: each section of the TOML checked against the others and the engine's known
//! guards, effects and notices, or refused with the line at fault.

use super::raw::*;
use super::*;
use crate::domain::identity::VerificationRule;
use crate::domain::law::{FeeByLaw, VerificationByLaw};

mod clocks;
mod documents;
mod transitions;

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

struct Checker<'s> {
    src: &'s str,
}

impl Checker<'_> {
    fn err(&self, span: Range<usize>, reason: impl Into<String>) -> DefinitionError {
        DefinitionError {
            line: (span.end > 0).then(|| line_of(self.src, span.start)),
            reason: reason.into(),
        }
    }

    fn parse<T: FromStr>(&self, s: &Spanned<String>, what: &str) -> Result<T, DefinitionError> {
        s.get_ref()
            .parse()
            .map_err(|_| self.err(s.span(), format!("unknown {what} `{}`", s.get_ref())))
    }
}

/// A definition's states, with where each is written (for refusals that name a state's line).
struct States {
    defs: Vec<StateDef>,
    spans: HashMap<String, Range<usize>>,
}

impl States {
    fn known(
        &self,
        c: &Checker<'_>,
        s: &Spanned<String>,
        what: &str,
    ) -> Result<String, DefinitionError> {
        if self.spans.contains_key(s.get_ref()) {
            Ok(s.get_ref().clone())
        } else {
            Err(c.err(
                s.span(),
                format!("{what} undefined state `{}`", s.get_ref()),
            ))
        }
    }

    fn is_terminal(&self, id: &str) -> bool {
        self.defs.iter().any(|s| s.terminal && s.id == id)
    }
}

/// One check per section of a definition.
impl Checker<'_> {
    /// The places a workflow serves, by their current codes, and the one law they share.
    fn places<'l>(
        &self,
        raw: &[Spanned<String>],
        laws: &'l Laws,
    ) -> Result<(&'l Regime, Vec<PlaceCode>), DefinitionError> {
        let mut regime: Option<&Regime> = None;
        let mut codes = Vec::new();
        for p in raw {
            let place = laws.place(p.get_ref()).ok_or_else(|| {
                self.err(
                    p.span(),
                    format!(
                        "unknown place `{}`: define it in seeds/places/",
                        p.get_ref()
                    ),
                )
            })?;
            let r = laws
                .regime(&place.regime)
                .ok_or_else(|| self.err(p.span(), format!("unknown regime `{}`", place.regime)))?;
            match regime {
                Some(first) if first.id != r.id => {
                    return Err(self.err(
                        p.span(),
                        format!(
                            "place `{}` is under regime `{}`, the workflow's other places under `{}`: one workflow serves one law",
                            place.code, r.id, first.id
                        ),
                    ));
                }
                _ => regime = Some(r),
            }
            if !codes.contains(&place.code) {
                codes.push(place.code.clone());
            }
        }
        let regime =
            regime.ok_or_else(|| self.err(0..0, "a workflow serves at least one place"))?;
        Ok((regime, codes))
    }

    fn fee(
        &self,
        raw: &Option<RawFee>,
        request_types: &[RightCode],
        law: &Regime,
        laws: &Laws,
    ) -> Result<Option<FeeRule>, DefinitionError> {
        Ok(match raw {
            None => None,
            Some(f) => {
                if *f.amount_yen.get_ref() <= 0 {
                    return Err(self.err(
                        f.amount_yen.span(),
                        "the fee must be a positive number of yen",
                    ));
                }
                if !["service", "request"].contains(&f.per.get_ref().as_str()) {
                    return Err(self.err(f.per.span(), "`per` must be `service` or `request`"));
                }
                let mut types = Vec::new();
                for t in &f.request_types {
                    let rt: RightCode = self.parse(t, "request type")?;
                    if !request_types.contains(&rt) {
                        return Err(self.err(
                            t.span(),
                            format!("the fee names `{rt}`, which this workflow does not serve"),
                        ));
                    }
                    if law.right(rt.as_str()).and_then(|r| r.fee) == Some(FeeByLaw::Free) {
                        return Err(self.err(
                            t.span(),
                            format!(
                                "the fee names `{rt}`, which the law makes free of charge (seeds/regimes/{}.toml)",
                                law.id
                            ),
                        ));
                    }
                    types.push(rt);
                }
                if !(1..=90).contains(f.due_days.get_ref()) {
                    return Err(self.err(f.due_days.span(), "due_days must be between 1 and 90"));
                }
                let tax = match &f.tax {
                    None => None,
                    Some(t) => {
                        let place = laws.place(t.place.get_ref()).ok_or_else(|| {
                            self.err(
                                t.place.span(),
                                format!("unknown place `{}`", t.place.get_ref()),
                            )
                        })?;
                        if place.consumption_tax.is_empty() {
                            return Err(self.err(
                                t.place.span(),
                                format!(
                                    "the fee is taxed in `{}`, whose place file lists no consumption_tax",
                                    t.place.get_ref()
                                ),
                            ));
                        }
                        Some(FeeTax {
                            rates: place.consumption_tax.clone(),
                            place: place.code.as_str().to_owned(),
                            included: t.included,
                        })
                    }
                };
                Some(FeeRule {
                    amount_yen: *f.amount_yen.get_ref(),
                    per: f.per.get_ref().clone(),
                    request_types: types,
                    due_days: *f.due_days.get_ref(),
                    payment: f.payment.clone(),
                    tax,
                })
            }
        })
    }

    fn postal(
        &self,
        raw: &Option<RawPostal>,
        desk: Option<&Desk>,
    ) -> Result<Option<PostalRule>, DefinitionError> {
        Ok(match raw {
            None => None,
            Some(p) => Some(PostalRule {
                desk: p
                    .desk
                    .clone()
                    .or_else(|| desk.and_then(|d| d.address.clone()))
                    .ok_or_else(|| {
                        self.err(
                            0..0,
                            "a [postal] procedure needs the desk's address ([desk] address)",
                        )
                    })?,
                accepted_mail_classes: p
                    .accepted_mail_classes
                    .iter()
                    .map(|m| self.parse::<MailClass>(m, "mail class"))
                    .collect::<Result<_, _>>()?,
                transfer_agent: p.transfer_agent.clone(),
                letters_to_agent: p.letters_to_agent,
            }),
        })
    }

    /// The `[desk]` section, or the address an older `[postal]` section gave.
    fn desk(
        &self,
        raw: Option<Desk>,
        postal: Option<&RawPostal>,
    ) -> Result<Option<Desk>, DefinitionError> {
        let older = postal.and_then(|p| p.desk.clone());
        let Some(mut desk) = raw else {
            return Ok(older.map(|address| Desk {
                address: Some(address),
                ..Desk::default()
            }));
        };
        match (&desk.address, older) {
            (Some(_), Some(_)) => {
                return Err(self.err(
                    0..0,
                    "the desk's address is given twice ([desk] address and [postal] desk): keep [desk] address",
                ));
            }
            (None, Some(address)) => desk.address = Some(address),
            _ => {}
        }
        if desk.name.is_none() && desk.address.is_none() {
            return Err(self.err(0..0, "[desk] needs at least its name or address"));
        }
        for (what, v) in [
            ("phone", &desk.phone),
            ("email", &desk.email),
            ("web", &desk.web),
        ] {
            if v.as_ref()
                .is_some_and(|v| v.trim().is_empty() || v.chars().count() > 200)
            {
                return Err(self.err(0..0, format!("[desk] {what} must be 1 to 200 characters")));
            }
        }
        if desk
            .web
            .as_ref()
            .is_some_and(|w| !w.starts_with("https://"))
        {
            return Err(self.err(0..0, "[desk] web must be an https:// address"));
        }
        Ok(Some(desk))
    }

    fn states(&self, raw: &[RawState]) -> Result<States, DefinitionError> {
        let mut states: Vec<StateDef> = Vec::new();
        let mut state_spans: HashMap<String, Range<usize>> = HashMap::new();
        for s in raw {
            let sid = s.id.get_ref().clone();
            if state_spans.insert(sid.clone(), s.id.span()).is_some() {
                return Err(self.err(s.id.span(), format!("state `{sid}` is defined twice")));
            }
            if s.terminal && s.waits_on_requester {
                return Err(self.err(
                    s.id.span(),
                    format!("terminal state `{sid}` cannot wait on the requester"),
                ));
            }
            states.push(StateDef {
                id: sid,
                label: s.label.clone(),
                terminal: s.terminal,
                waits_on_requester: s.waits_on_requester,
            });
        }
        Ok(States {
            defs: states,
            spans: state_spans,
        })
    }

    /// The procedure's identity verification: its own `[verification]`, at least as sure as the law
    /// asks for each right it serves, or, without one, the law's.
    fn verification(
        &self,
        raw: Option<VerificationRule>,
        request_types: &[RightCode],
        law: &Regime,
    ) -> Result<Option<VerificationRule>, DefinitionError> {
        let by_law: Vec<(&RightCode, VerificationByLaw)> = request_types
            .iter()
            .filter_map(|r| Some((r, law.right(r.as_str())?.verification?)))
            .collect();
        let Some(v) = raw else {
            return Ok((!by_law.is_empty()).then(|| VerificationRule {
                points: by_law
                    .iter()
                    .map(|(r, v)| (r.to_string(), v.points))
                    .collect(),
                declaration_for: by_law
                    .iter()
                    .filter(|(_, v)| v.declaration)
                    .map(|(r, _)| r.to_string())
                    .collect(),
            }));
        };
        for t in v.points.keys().chain(v.declaration_for.iter()) {
            if t.parse::<RightCode>().is_err() {
                return Err(self.err(
                    0..0,
                    format!("[verification] names unknown request type `{t}`"),
                ));
            }
        }
        for (right, needed) in by_law {
            let points = v.points.get(right.as_str()).copied().unwrap_or(0);
            let declared = v.declaration_for.iter().any(|d| d == right.as_str());
            if points < needed.points || (needed.declaration && !declared) {
                return Err(self.err(
                    0..0,
                    format!(
                        "[verification] asks less for `{right}` than the law ({} points{}; seeds/regimes/{}.toml)",
                        needed.points,
                        if needed.declaration { " and a signed declaration" } else { "" },
                        law.id
                    ),
                ));
            }
        }
        Ok(Some(v))
    }

    /// Every state reachable from the start; every non-terminal state has a way to another state.
    fn graph(
        &self,
        def: &WorkflowDefinition,
        spans: &HashMap<String, Range<usize>>,
    ) -> Result<(), DefinitionError> {
        let reachable = def.reachable_states();
        for s in &def.states {
            if !reachable.contains(s.id.as_str()) {
                return Err(self.err(
                    spans[&s.id].clone(),
                    format!(
                        "state `{}` cannot be reached from `{}`",
                        s.id, def.initial_state
                    ),
                ));
            }
            let leaves = def
                .transitions
                .iter()
                .any(|t| t.from.contains(&s.id) && t.to.as_ref().is_some_and(|to| *to != s.id));
            if !s.terminal && !leaves {
                return Err(self.err(
                    spans[&s.id].clone(),
                    format!("state `{}` is not terminal but has no transition out", s.id),
                ));
            }
        }
        Ok(())
    }
}

impl WorkflowDefinition {
    /// Parses and checks a definition against the calendars that exist. Refuses, with the line, anything
    /// the engine could not run safely. Each section has its own check, in the order they depend on
    /// each other: the header, fee, postal and document rules, states, clocks, then transitions.
    pub fn parse(src: &str, laws: &Laws) -> Result<Self, DefinitionError> {
        let raw: RawDefinition = toml::from_str(src).map_err(|e| DefinitionError {
            line: e.span().map(|s| line_of(src, s.start)),
            reason: e.message().to_owned(),
        })?;
        let c = Checker { src };

        let id = raw.id.get_ref().clone();
        if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_')
        {
            return Err(c.err(
                raw.id.span(),
                format!("workflow id `{id}` must be lower-case letters, digits, `-` or `_`"),
            ));
        }
        if *raw.version.get_ref() < 1 {
            return Err(c.err(raw.version.span(), "version must be 1 or more"));
        }
        let (regime, jurisdictions) = c.places(&raw.places, laws)?;
        let request_types = raw
            .rights
            .iter()
            .map(|t| {
                let code = c.parse::<RightCode>(t, "right")?;
                match regime.right(code.as_str()) {
                    Some(_) => Ok(code),
                    None => Err(c.err(
                        t.span(),
                        format!(
                            "`{code}` is not a right of regime `{}` (seeds/regimes/{}.toml)",
                            regime.id, regime.id
                        ),
                    )),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        // The procedure names its own authority where it has one (a lead supervisory authority), else the law's.
        let complaint_authority = raw
            .complaint_authority
            .clone()
            .or_else(|| regime.complaint_authority.clone());
        let law = regime;
        let regime = regime.id.clone();
        let channels = raw
            .channels
            .iter()
            .map(|ch| c.parse::<Channel>(ch, "channel"))
            .collect::<Result<Vec<_>, _>>()?;
        let timezone: chrono_tz::Tz = c.parse(&raw.timezone, "time zone")?;
        let intake_notice = raw
            .intake_notice
            .as_ref()
            .map(|n| c.parse::<NoticeKind>(n, "notice"))
            .transpose()?;
        let fee = c.fee(&raw.fee, &request_types, law, laws)?;
        let desk = c.desk(raw.desk, raw.postal.as_ref())?;
        let postal = c.postal(&raw.postal, desk.as_ref())?;
        let documents = c.documents(&raw.documents)?;
        let states = c.states(&raw.states)?;
        states.known(&c, &raw.initial_state, "initial_state names")?;
        let calendars: BTreeSet<String> = laws.calendars.keys().cloned().collect();
        let clocks = c.clocks(&raw.clocks, &states, &calendars)?;
        let clocks = c.law_clocks(clocks, &raw.clocks, law, &request_types, &laws.calendars)?;
        let transitions = c.transitions(
            &raw.transitions,
            &states,
            &clocks,
            fee.is_some(),
            documents.is_some(),
        )?;
        let verification = c.verification(raw.verification, &request_types, law)?;
        // A transition that simply declares identity verified cannot say who was checked.
        if raw.person_verifies_directly
            && let Some(t) = raw.transitions.iter().find(|t| {
                t.effects
                    .iter()
                    .any(|e| e.get_ref() == "set_fact:identity_verified")
            })
        {
            return Err(c.err(
                t.event.span(),
                "with person_verifies_directly, identity is verified by a check recorded with the \
                 person (data points or an officer's judgement), not by `set_fact:identity_verified`",
            ));
        }
        // Where the law lets agents file, no system is asked to act for one before their authority
        // is checked.
        if law.admits("agent")
            && let Some(t) = raw.transitions.iter().find(|t| {
                t.effects.iter().any(|e| e.get_ref() == "create_tasks")
                    && !t.guards.iter().any(|g| g.get_ref() == "authority_checked")
            })
        {
            return Err(c.err(
                t.event.span(),
                format!(
                    "regime `{}` lets agents file: a transition that opens tasks (create_tasks) \
                     must guard `authority_checked`",
                    law.id
                ),
            ));
        }
        let spans = states.spans;
        let def = WorkflowDefinition {
            law: law.clone(),
            id,
            version: *raw.version.get_ref(),
            name: raw.name,
            regime,
            jurisdictions,
            request_types,
            channels,
            timezone,
            initial_state: raw.initial_state.into_inner(),
            intake_notice,
            fee,
            complaint_authority,
            non_discrimination: raw.non_discrimination,
            confirm_email: raw.confirm_email,
            four_eyes: raw.four_eyes,
            person_verifies_directly: raw.person_verifies_directly,
            verification,
            disclosure: raw.disclosure,
            postal,
            desk,
            documents,
            states: states.defs,
            clocks,
            transitions,
        };
        c.graph(&def, &spans)?;
        Ok(def)
    }

    fn reachable_states(&self) -> BTreeSet<&str> {
        let mut seen = BTreeSet::from([self.initial_state.as_str()]);
        let mut queue = VecDeque::from([self.initial_state.as_str()]);
        while let Some(s) = queue.pop_front() {
            for t in self
                .transitions
                .iter()
                .filter(|t| t.from.iter().any(|f| f == s))
            {
                if let Some(to) = &t.to
                    && seen.insert(to.as_str())
                {
                    queue.push_back(to.as_str());
                }
            }
        }
        seen
    }
}
