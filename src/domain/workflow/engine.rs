//! The engine: given a request's state, facts and clocks, an event, the actor and the event's data, the
//! next state and the effects to carry out, or a typed refusal.

use super::*;

impl WorkflowDefinition {
    fn check_guard(
        &self,
        g: Guard,
        t: &TransitionDef,
        s: &Subject<'_>,
        data: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Result<Result<(), String>, DeadlineError> {
        let fact = |f: Fact, why: &str| {
            if s.facts.contains(&f) {
                Ok(())
            } else {
                Err(why.to_owned())
            }
        };
        // What only an agent's filing waits for.
        let for_agent = |f: Fact, why: &str| {
            if s.facts.contains(&Fact::FiledByAgent) {
                fact(f, why)
            } else {
                Ok(())
            }
        };
        Ok(match g {
            Guard::IdentityVerified => fact(
                Fact::IdentityVerified,
                "the requester's identity has not been verified",
            ),
            Guard::FeePaid => {
                if self.fee_applies(s.request_type) {
                    fact(Fact::FeePaid, "the fee has not been paid")
                } else {
                    Ok(())
                }
            }
            Guard::FeeRequired => {
                if self.fee_applies(s.request_type) {
                    Ok(())
                } else {
                    Err("this request type carries no fee".into())
                }
            }
            Guard::NoFeeRequired => {
                if self.fee_applies(s.request_type) {
                    Err("this request type carries a fee: invoice it first".into())
                } else {
                    Ok(())
                }
            }
            Guard::DocumentsComplete => {
                fact(Fact::DocumentsComplete, "identity documents are missing")
            }
            Guard::DocumentsFresh => fact(
                Fact::DocumentsFresh,
                "an identity document is older than the procedure allows",
            ),
            Guard::ReasonGiven => match data {
                // Without data (listing what is offered), a reason can still be typed in.
                None => Ok(()),
                Some(d) => match d.get("reason").and_then(|r| r.as_str()) {
                    Some(r) if !r.trim().is_empty() => Ok(()),
                    _ => Err("a reason is required".into()),
                },
            },
            Guard::ExtensionAvailable => {
                for e in &t.effects {
                    if let Effect::ExtendDeadline(k) = e
                        && let Err(why) = self.can_extend(k, s)?
                    {
                        return Ok(Err(why.into()));
                    }
                }
                Ok(())
            }
            Guard::ElectronicDelivery => fact(
                Fact::ElectronicDelivery,
                "the requester did not choose electronic delivery",
            ),
            Guard::TasksDone => {
                if s.task.is_some() {
                    fact(Fact::TasksDone, "a data-system task is still open")
                } else {
                    Ok(())
                }
            }
            Guard::EmailConfirmed => {
                if !self.confirm_email || s.facts.contains(&Fact::EmailConfirmed) {
                    Ok(())
                } else {
                    Err("the requester has not confirmed their email address yet".into())
                }
            }
            Guard::PersonConfirmed => for_agent(
                Fact::PersonConfirmed,
                "the person has not yet confirmed the agent's request",
            ),
            Guard::AuthorityChecked => for_agent(
                Fact::AuthorityChecked,
                "the agent's proof of authority has not been checked",
            ),
            Guard::IdentityUnverified => {
                if s.facts.contains(&Fact::IdentityVerified) {
                    Err("identity is already verified (the requester signed in to their account); no further proof is asked".into())
                } else {
                    Ok(())
                }
            }
            Guard::EmailUnconfirmed => {
                if s.facts.contains(&Fact::EmailConfirmed) {
                    Err("the email address is confirmed".into())
                } else {
                    Ok(())
                }
            }
            Guard::PostalDelivery => {
                if s.facts.contains(&Fact::ElectronicDelivery) {
                    Err("the requester chose electronic delivery".into())
                } else {
                    Ok(())
                }
            }
        })
    }

    fn can_extend(
        &self,
        clock_id: &str,
        s: &Subject<'_>,
    ) -> Result<Result<(), &'static str>, DeadlineError> {
        match (self.clock(clock_id), s.clocks.get(clock_id)) {
            (Some(def), Some(st)) => def.rule.can_extend(st, s.today, s.calendars),
            _ => Ok(Err("the deadline has not started")),
        }
    }

    /// A transition's guards, plus `extension_available` wherever it extends a deadline: the law's cap and
    /// window are checked whether or not the file says so.
    fn guards_of(t: &TransitionDef) -> Vec<Guard> {
        let mut guards = t.guards.clone();
        if t.effects
            .iter()
            .any(|e| matches!(e, Effect::ExtendDeadline(_)))
            && !guards.contains(&Guard::ExtensionAvailable)
        {
            guards.push(Guard::ExtensionAvailable);
        }
        guards
    }

    fn transition_for(&self, state: &str, event: &str) -> Option<&TransitionDef> {
        self.transitions
            .iter()
            .find(|t| t.event == event && t.from.iter().any(|f| f == state))
    }

    /// Decides an event: the next state and every effect, or why not.
    pub fn decide(
        &self,
        s: &Subject<'_>,
        input: &EventInput<'_>,
    ) -> Result<Transition, TransitionError> {
        let current = self
            .state(s.state)
            .ok_or_else(|| TransitionError::UnknownState {
                state: s.state.to_owned(),
            })?;
        let t = self
            .transition_for(&current.id, input.event)
            .ok_or_else(|| TransitionError::NotAllowedHere {
                event: input.event.to_owned(),
                state: s.state.to_owned(),
            })?;
        match input.by {
            Party::Staff(role) if !t.roles.contains(&role) => {
                return Err(TransitionError::RoleNotPermitted {
                    event: input.event.to_owned(),
                    role,
                });
            }
            Party::Requester if !t.requester => {
                return Err(TransitionError::RequesterNotPermitted {
                    event: input.event.to_owned(),
                });
            }
            Party::System if !t.system => {
                return Err(TransitionError::RequesterNotPermitted {
                    event: input.event.to_owned(),
                });
            }
            _ => {}
        }
        for g in Self::guards_of(t) {
            let outcome = match self.check_guard(g, t, s, Some(input.data)) {
                Ok(outcome) => outcome,
                // A deadline that cannot be counted (a calendar lacking the year) refuses this event with
                // the reason; it is not a server fault.
                Err(e) => Err(e.to_string()),
            };
            if let Err(reason) = outcome {
                return Err(TransitionError::GuardFailed { guard: g, reason });
            }
        }
        let to = t.to.clone().unwrap_or_else(|| current.id.clone());
        let mut effects = t.effects.clone();
        effects.extend(self.clock_effects(s, current, &to, &effects));
        Ok(Transition {
            event: t.event.clone(),
            from: current.id.clone(),
            to,
            effects,
        })
    }

    /// The clock changes that follow from moving between states: starts, pauses while waiting on the
    /// requester (where the law allows), resumptions, and stops.
    fn clock_effects(
        &self,
        s: &Subject<'_>,
        from: &StateDef,
        to: &str,
        explicit: &[Effect],
    ) -> Vec<Effect> {
        let Some(to_def) = self.state(to) else {
            return Vec::new();
        };
        if to_def.id == from.id {
            return Vec::new();
        }
        let mut out = Vec::new();
        for k in &self.clocks {
            let started = s.clocks.contains_key(&k.id)
                || explicit.contains(&Effect::StartClock(k.id.clone()));
            let stopped = s.clocks.get(&k.id).is_some_and(|c| c.is_stopped())
                || explicit.contains(&Effect::StopClock(k.id.clone()));
            if !started {
                if let ClockStart::Entering(states) = &k.start
                    && states.contains(&to_def.id)
                    && !to_def.terminal
                {
                    out.push(Effect::StartClock(k.id.clone()));
                }
                continue;
            }
            if stopped {
                continue;
            }
            if to_def.terminal || k.stop_when.contains(&to_def.id) {
                out.push(Effect::StopClock(k.id.clone()));
            } else if k.rule.pauses_while_waiting {
                if to_def.waits_on_requester && !from.waits_on_requester {
                    out.push(Effect::PauseClock(k.id.clone()));
                } else if from.waits_on_requester && !to_def.waits_on_requester {
                    out.push(Effect::ResumeClock(k.id.clone()));
                }
            }
        }
        out
    }

    /// Carries out a decided transition's effects on facts and clocks (the pure part of applying it).
    pub fn apply(&self, facts: &mut Facts, clocks: &mut Clocks, t: &Transition, today: NaiveDate) {
        for e in &t.effects {
            match e {
                Effect::StartClock(k) => {
                    clocks
                        .entry(k.clone())
                        .or_insert_with(|| ClockState::start(today));
                }
                Effect::StopClock(k) => {
                    if let Some(c) = clocks.get_mut(k) {
                        c.stop(today);
                    }
                }
                Effect::PauseClock(k) => {
                    if let Some(c) = clocks.get_mut(k) {
                        c.pause(today);
                    }
                }
                Effect::ResumeClock(k) => {
                    if let Some(c) = clocks.get_mut(k) {
                        c.resume(today);
                    }
                }
                Effect::RestartClock(k) => match clocks.get_mut(k) {
                    Some(c) => c.restart(today),
                    None => {
                        clocks.insert(k.clone(), ClockState::start(today));
                    }
                },
                Effect::ExtendDeadline(k) => {
                    if let Some(c) = clocks.get_mut(k) {
                        c.extensions += 1;
                    }
                }
                Effect::SetFact(f) => {
                    facts.insert(*f);
                }
                Effect::ClearFact(f) => {
                    facts.remove(f);
                }
                Effect::SendNotice(_)
                | Effect::IssueInvoice
                | Effect::RecordDispatch
                | Effect::RecordDelivery
                | Effect::ReleaseDownload
                | Effect::CreateTasks
                | Effect::ReleasePackage
                | Effect::RecordPreference => {}
            }
        }
    }

    /// The events this role may fire now: right state, right role, and every guard that does not depend
    /// on the event's own data passes.
    pub fn allowed_events(&self, s: &Subject<'_>, role: Role) -> Vec<&TransitionDef> {
        self.transitions
            .iter()
            .filter(|t| t.from.iter().any(|f| f == s.state) && t.roles.contains(&role))
            .filter(|t| {
                Self::guards_of(t)
                    .into_iter()
                    .all(|g| matches!(self.check_guard(g, t, s, None), Ok(Ok(()))))
            })
            .collect()
    }
}
