//! Reading a definition: each section of the TOML checked against the others and the engine's known
//! guards, effects and notices, or refused with the line at fault.

use super::raw::*;
use super::*;

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

impl WorkflowDefinition {
    /// Parses and checks a definition against the calendars that exist. Refuses, with the line, anything
    /// the engine could not run safely.
    pub fn parse(src: &str, calendars: &BTreeSet<String>) -> Result<Self, DefinitionError> {
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
        let jurisdictions = raw
            .jurisdictions
            .iter()
            .map(|j| c.parse::<Jurisdiction>(j, "jurisdiction"))
            .collect::<Result<Vec<_>, _>>()?;
        let request_types = raw
            .request_types
            .iter()
            .map(|t| c.parse::<RequestType>(t, "request type"))
            .collect::<Result<Vec<_>, _>>()?;
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
        let fee = match &raw.fee {
            None => None,
            Some(f) => {
                if *f.amount_yen.get_ref() <= 0 {
                    return Err(c.err(
                        f.amount_yen.span(),
                        "the fee must be a positive number of yen",
                    ));
                }
                if !["service", "request"].contains(&f.per.get_ref().as_str()) {
                    return Err(c.err(f.per.span(), "`per` must be `service` or `request`"));
                }
                let mut types = Vec::new();
                for t in &f.request_types {
                    let rt: RequestType = c.parse(t, "request type")?;
                    if !request_types.contains(&rt) {
                        return Err(c.err(
                            t.span(),
                            format!("the fee names `{rt}`, which this workflow does not serve"),
                        ));
                    }
                    types.push(rt);
                }
                if !(1..=90).contains(f.due_days.get_ref()) {
                    return Err(c.err(f.due_days.span(), "due_days must be between 1 and 90"));
                }
                Some(FeeRule {
                    amount_yen: *f.amount_yen.get_ref(),
                    per: f.per.get_ref().clone(),
                    request_types: types,
                    due_days: *f.due_days.get_ref(),
                })
            }
        };

        let postal = match &raw.postal {
            None => None,
            Some(p) => Some(PostalRule {
                accepted_mail_classes: p
                    .accepted_mail_classes
                    .iter()
                    .map(|m| c.parse::<MailClass>(m, "mail class"))
                    .collect::<Result<_, _>>()?,
                desk: p.desk.clone(),
                transfer_agent: p.transfer_agent.clone(),
            }),
        };
        let documents = match &raw.documents {
            None => None,
            Some(d) => {
                if !(1..=24).contains(d.max_age_months.get_ref()) {
                    return Err(c.err(
                        d.max_age_months.span(),
                        "max_age_months must be between 1 and 24",
                    ));
                }
                let mut checklists = BTreeMap::new();
                for (who, lines) in d.checklists.get_ref() {
                    let kind: RequesterKind = who.parse().map_err(|_| {
                        c.err(
                            d.checklists.span(),
                            format!("unknown requester kind `{who}` (self, agent, legal_agent)"),
                        )
                    })?;
                    let mut reqs = Vec::new();
                    for l in lines {
                        for k in &l.one_of {
                            if !d.kinds.contains_key(k.get_ref()) {
                                return Err(c.err(
                                    k.span(),
                                    format!("unknown document kind `{}`", k.get_ref()),
                                ));
                            }
                        }
                        if l.one_of.is_empty() {
                            return Err(c.err(
                                l.holder.span(),
                                "a checklist line needs at least one document kind",
                            ));
                        }
                        reqs.push(Requirement {
                            holder: c.parse(&l.holder, "holder")?,
                            one_of: l.one_of.iter().map(|k| k.get_ref().clone()).collect(),
                            original: l.original,
                            fresh: l.fresh,
                        });
                    }
                    checklists.insert(kind, reqs);
                }
                Some(DocumentRules {
                    max_age_months: *d.max_age_months.get_ref(),
                    kinds: d.kinds.clone(),
                    checklists,
                })
            }
        };

        // States.
        let mut states: Vec<StateDef> = Vec::new();
        let mut state_spans: HashMap<String, Range<usize>> = HashMap::new();
        for s in &raw.states {
            let sid = s.id.get_ref().clone();
            if state_spans.insert(sid.clone(), s.id.span()).is_some() {
                return Err(c.err(s.id.span(), format!("state `{sid}` is defined twice")));
            }
            if s.terminal && s.waits_on_requester {
                return Err(c.err(
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
        let known_state = |s: &Spanned<String>, what: &str| -> Result<String, DefinitionError> {
            if state_spans.contains_key(s.get_ref()) {
                Ok(s.get_ref().clone())
            } else {
                Err(c.err(
                    s.span(),
                    format!("{what} undefined state `{}`", s.get_ref()),
                ))
            }
        };
        known_state(&raw.initial_state, "initial_state names")?;
        let terminal: HashSet<&str> = states
            .iter()
            .filter(|s| s.terminal)
            .map(|s| s.id.as_str())
            .collect();

        // Clocks.
        let mut clocks: Vec<ClockDef> = Vec::new();
        for k in &raw.clocks {
            let kid = k.id.get_ref().clone();
            if clocks.iter().any(|x| x.id == kid) {
                return Err(c.err(k.id.span(), format!("clock `{kid}` is defined twice")));
            }
            let period = k
                .duration
                .get_ref()
                .period()
                .map_err(|e| c.err(k.duration.span(), e))?;
            let start = match (&k.start, k.start_when.is_empty()) {
                (Some(s), true) if s.get_ref() == "receipt" => ClockStart::Receipt,
                (Some(s), true) => {
                    return Err(c.err(
                        s.span(),
                        format!("clock `{kid}`: `start` can only be \"receipt\""),
                    ));
                }
                (None, false) => ClockStart::Entering(
                    k.start_when
                        .iter()
                        .map(|s| known_state(s, &format!("clock `{kid}` starts in")))
                        .collect::<Result<_, _>>()?,
                ),
                (None, true) => {
                    return Err(c.err(
                        k.id.span(),
                        format!("clock `{kid}` needs `start = \"receipt\"` or `start_when`"),
                    ));
                }
                (Some(s), false) => {
                    return Err(c.err(
                        s.span(),
                        format!("clock `{kid}` has both `start` and `start_when`"),
                    ));
                }
            };
            let stop_when = k
                .stop_when
                .iter()
                .map(|s| known_state(s, &format!("clock `{kid}` stops in")))
                .collect::<Result<Vec<_>, _>>()?;
            let calendar = match &k.calendar {
                Some(cal) if !calendars.contains(cal.get_ref()) => {
                    return Err(c.err(
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
                        .map_err(|m| c.err(e.duration.span(), m))?,
                    times: e.times,
                }),
            };
            let needs_calendar = k.roll_forward
                || matches!(period, super::super::deadline::Period::BusinessDays(_))
                || matches!(
                    extension,
                    Some(Extension {
                        period: super::super::deadline::Period::BusinessDays(_),
                        ..
                    })
                );
            if needs_calendar && calendar.is_none() {
                return Err(c.err(
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
                    Some(Period::Months(n)) => n > 120,
                    Some(Period::BusinessDays(n)) => n > 2600,
                    None => false,
                };
                if too_long {
                    return Err(c.err(
                        span,
                        format!(
                            "clock `{kid}`: a period longer than ten years is not a legal deadline"
                        ),
                    ));
                }
            }
            if extension.is_some_and(|e| e.times > 12) {
                return Err(c.err(k.id.span(), format!("clock `{kid}`: at most 12 extensions")));
            }
            if k.includes_start_day && !matches!(period, Period::Days(_)) {
                return Err(c.err(
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
        let clock = |arg: &str, span: Range<usize>| -> Result<&ClockDef, DefinitionError> {
            clocks
                .iter()
                .find(|k| k.id == arg)
                .ok_or_else(|| c.err(span, format!("effect names undefined clock `{arg}`")))
        };

        // Transitions.
        let mut transitions = Vec::new();
        let mut seen_pairs: HashSet<(String, String)> = HashSet::new();
        for t in &raw.transitions {
            let event = t.event.get_ref().clone();
            if t.from.is_empty() {
                return Err(c.err(
                    t.event.span(),
                    format!("transition `{event}` has no `from` state"),
                ));
            }
            let mut from = Vec::new();
            for f in &t.from {
                let fid = known_state(f, &format!("transition `{event}` starts from"))?;
                if terminal.contains(fid.as_str()) {
                    return Err(c.err(
                        f.span(),
                        format!("transition `{event}` leaves terminal state `{fid}`"),
                    ));
                }
                if !seen_pairs.insert((event.clone(), fid.clone())) {
                    return Err(c.err(
                        t.event.span(),
                        format!("event `{event}` is defined twice for state `{fid}`"),
                    ));
                }
                from.push(fid);
            }
            let to =
                t.to.as_ref()
                    .map(|to| known_state(to, &format!("transition `{event}` leads to")))
                    .transpose()?;
            if t.roles.is_empty() && !t.system {
                return Err(c.err(
                    t.event.span(),
                    format!("transition `{event}` names no role that may fire it"),
                ));
            }
            let roles = t
                .roles
                .iter()
                .map(|r| c.parse::<Role>(r, "role"))
                .collect::<Result<Vec<_>, _>>()?;
            let guards = t
                .guards
                .iter()
                .map(|g| c.parse::<Guard>(g, "guard"))
                .collect::<Result<Vec<_>, _>>()?;
            for (g, span) in guards.iter().zip(t.guards.iter().map(|g| g.span())) {
                if matches!(g, Guard::DocumentsComplete | Guard::DocumentsFresh)
                    && documents.is_none()
                {
                    return Err(c.err(span, format!("guard `{g}` needs a [documents] section")));
                }
            }
            let mut effects = Vec::new();
            for e in &t.effects {
                let (name, arg) = e.get_ref().split_once(':').unwrap_or((e.get_ref(), ""));
                let effect = match name {
                    "start_clock" => Effect::StartClock(clock(arg, e.span())?.id.clone()),
                    "stop_clock" => Effect::StopClock(clock(arg, e.span())?.id.clone()),
                    "pause_clock" => Effect::PauseClock(clock(arg, e.span())?.id.clone()),
                    "resume_clock" => Effect::ResumeClock(clock(arg, e.span())?.id.clone()),
                    "extend_deadline" => {
                        let k = clock(arg, e.span())?;
                        if k.rule.extension.is_none() {
                            return Err(
                                c.err(e.span(), format!("clock `{arg}` has no extension rule"))
                            );
                        }
                        if !guards.contains(&Guard::ReasonGiven) {
                            return Err(c.err(e.span(), format!("transition `{event}` extends a deadline, so it needs the `reason_given` guard")));
                        }
                        Effect::ExtendDeadline(k.id.clone())
                    }
                    "set_fact" | "clear_fact" => {
                        let f: Fact = arg
                            .parse()
                            .map_err(|_| c.err(e.span(), format!("unknown fact `{arg}`")))?;
                        Effect::fact(f, name == "set_fact")
                    }
                    "issue_invoice" => {
                        if fee.is_none() {
                            return Err(
                                c.err(e.span(), "effect `issue_invoice` needs a [fee] section")
                            );
                        }
                        Effect::IssueInvoice
                    }
                    "record_dispatch" => Effect::RecordDispatch,
                    "record_delivery" => Effect::RecordDelivery,
                    "release_download" => Effect::ReleaseDownload,
                    "create_tasks" => Effect::CreateTasks,
                    "release_package" => Effect::ReleasePackage,
                    "send_notice" => Effect::SendNotice(
                        arg.parse::<NoticeKind>()
                            .map_err(|_| c.err(e.span(), format!("unknown notice `{arg}`")))?,
                    ),
                    _ => {
                        return Err(c.err(
                            e.span(),
                            format!(
                                "unknown effect `{name}` (known: {})",
                                EFFECT_NAMES.join(", ")
                            ),
                        ));
                    }
                };
                effects.push(effect);
            }
            if let Some(n) = &t.notice {
                effects.push(Effect::SendNotice(c.parse::<NoticeKind>(n, "notice")?));
            }
            let extends = effects
                .iter()
                .any(|e| matches!(e, Effect::ExtendDeadline(_)));
            if extends && !effects.iter().any(|e| matches!(e, Effect::SendNotice(_))) {
                return Err(c.err(
                    t.event.span(),
                    format!("transition `{event}` extends a deadline, so it must send a notice"),
                ));
            }
            transitions.push(TransitionDef {
                event,
                from,
                to,
                roles,
                requester: t.requester,
                system: t.system,
                guards,
                effects,
                label: t.label.clone(),
            });
        }

        if let Some(v) = &raw.verification {
            for t in v.points.keys().chain(v.declaration_for.iter()) {
                if t.parse::<RequestType>().is_err() {
                    return Err(c.err(
                        0..0,
                        format!("[verification] names unknown request type `{t}`"),
                    ));
                }
            }
        }
        let def = WorkflowDefinition {
            id,
            version: *raw.version.get_ref(),
            name: raw.name,
            jurisdictions,
            request_types,
            channels,
            timezone,
            initial_state: raw.initial_state.into_inner(),
            intake_notice,
            fee,
            complaint_authority: raw.complaint_authority,
            non_discrimination: raw.non_discrimination,
            confirm_email: raw.confirm_email,
            verification: raw.verification,
            disclosure: raw.disclosure,
            postal,
            documents,
            states,
            clocks,
            transitions,
        };

        // Every state reachable from the start; every non-terminal state has a way to another state.
        let reachable = def.reachable_states();
        for s in &def.states {
            if !reachable.contains(s.id.as_str()) {
                return Err(c.err(
                    state_spans[&s.id].clone(),
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
                return Err(c.err(
                    state_spans[&s.id].clone(),
                    format!("state `{}` is not terminal but has no transition out", s.id),
                ));
            }
        }
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
