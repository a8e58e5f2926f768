//! The `[[transitions]]` section: who may fire each event, from where to where, its guards and effects.

use super::super::raw::*;
use super::super::*;
use super::{Checker, States};

impl Checker<'_> {
    pub(super) fn transitions(
        &self,
        raw: &[RawTransition],
        states: &States,
        clocks: &[ClockDef],
        has_fee: bool,
        has_documents: bool,
    ) -> Result<Vec<TransitionDef>, DefinitionError> {
        let mut transitions = Vec::new();
        let mut seen_pairs: HashSet<(String, String)> = HashSet::new();
        for t in raw {
            let event = t.event.get_ref().clone();
            if t.from.is_empty() {
                return Err(self.err(
                    t.event.span(),
                    format!("transition `{event}` has no `from` state"),
                ));
            }
            let mut from = Vec::new();
            for f in &t.from {
                let fid = states.known(self, f, &format!("transition `{event}` starts from"))?;
                if states.is_terminal(&fid) {
                    return Err(self.err(
                        f.span(),
                        format!("transition `{event}` leaves terminal state `{fid}`"),
                    ));
                }
                if !seen_pairs.insert((event.clone(), fid.clone())) {
                    return Err(self.err(
                        t.event.span(),
                        format!("event `{event}` is defined twice for state `{fid}`"),
                    ));
                }
                from.push(fid);
            }
            let to =
                t.to.as_ref()
                    .map(|to| states.known(self, to, &format!("transition `{event}` leads to")))
                    .transpose()?;
            if t.roles.is_empty() && !t.system {
                return Err(self.err(
                    t.event.span(),
                    format!("transition `{event}` names no role that may fire it"),
                ));
            }
            let roles = t
                .roles
                .iter()
                .map(|r| self.parse::<Role>(r, "role"))
                .collect::<Result<Vec<_>, _>>()?;
            let guards = t
                .guards
                .iter()
                .map(|g| self.parse::<Guard>(g, "guard"))
                .collect::<Result<Vec<_>, _>>()?;
            for (g, span) in guards.iter().zip(t.guards.iter().map(|g| g.span())) {
                if matches!(g, Guard::DocumentsComplete | Guard::DocumentsFresh) && !has_documents {
                    return Err(self.err(span, format!("guard `{g}` needs a [documents] section")));
                }
            }
            let mut effects = Vec::new();
            for e in &t.effects {
                let effect = self.effect(e, &event, &guards, clocks, has_fee)?;
                effects.push(effect);
            }
            if let Some(n) = &t.notice {
                effects.push(Effect::SendNotice(self.parse::<NoticeKind>(n, "notice")?));
            }
            let extends = effects
                .iter()
                .any(|e| matches!(e, Effect::ExtendDeadline(_)));
            if extends && !effects.iter().any(|e| matches!(e, Effect::SendNotice(_))) {
                return Err(self.err(
                    t.event.span(),
                    format!("transition `{event}` extends a deadline, so it must send a notice"),
                ));
            }
            if t.requester_action.is_some() && !t.requester {
                return Err(self.err(
                    t.event.span(),
                    format!(
                        "transition `{event}` has a requester_action, so it needs requester = true"
                    ),
                ));
            }
            transitions.push(TransitionDef {
                event,
                from,
                to,
                roles,
                requester: t.requester,
                requester_action: t.requester_action.clone(),
                system: t.system,
                guards,
                effects,
                label: t.label.clone(),
            });
        }
        Ok(transitions)
    }

    /// One effect of transition `event`, written `name:argument`.
    pub(super) fn effect(
        &self,
        e: &Spanned<String>,
        event: &str,
        guards: &[Guard],
        clocks: &[ClockDef],
        has_fee: bool,
    ) -> Result<Effect, DefinitionError> {
        let clock = |arg: &str, span: Range<usize>| -> Result<&ClockDef, DefinitionError> {
            clocks
                .iter()
                .find(|k| k.id == arg)
                .ok_or_else(|| self.err(span, format!("effect names undefined clock `{arg}`")))
        };
        let (name, arg) = e.get_ref().split_once(':').unwrap_or((e.get_ref(), ""));
        Ok(match name {
            "start_clock" => Effect::StartClock(clock(arg, e.span())?.id.clone()),
            "stop_clock" => Effect::StopClock(clock(arg, e.span())?.id.clone()),
            "pause_clock" => Effect::PauseClock(clock(arg, e.span())?.id.clone()),
            "resume_clock" => Effect::ResumeClock(clock(arg, e.span())?.id.clone()),
            "restart_clock" => Effect::RestartClock(clock(arg, e.span())?.id.clone()),
            "extend_deadline" => {
                let k = clock(arg, e.span())?;
                if k.rule.extension.is_none() {
                    return Err(self.err(e.span(), format!("clock `{arg}` has no extension rule")));
                }
                if !guards.contains(&Guard::ReasonGiven) {
                    return Err(self.err(e.span(), format!("transition `{event}` extends a deadline, so it needs the `reason_given` guard")));
                }
                Effect::ExtendDeadline(k.id.clone())
            }
            "set_fact" | "clear_fact" => {
                let f: Fact = arg
                    .parse()
                    .map_err(|_| self.err(e.span(), format!("unknown fact `{arg}`")))?;
                Effect::fact(f, name == "set_fact")
            }
            "issue_invoice" => {
                if !has_fee {
                    return Err(self.err(e.span(), "effect `issue_invoice` needs a [fee] section"));
                }
                Effect::IssueInvoice
            }
            "record_dispatch" => Effect::RecordDispatch,
            "record_delivery" => Effect::RecordDelivery,
            "release_download" => Effect::ReleaseDownload,
            "create_tasks" => Effect::CreateTasks,
            "release_package" => Effect::ReleasePackage,
            "record_preference" => Effect::RecordPreference,
            "send_notice" => Effect::SendNotice(
                arg.parse::<NoticeKind>()
                    .map_err(|_| self.err(e.span(), format!("unknown notice `{arg}`")))?,
            ),
            _ => {
                return Err(self.err(
                    e.span(),
                    format!(
                        "unknown effect `{name}` (known: {})",
                        EFFECT_NAMES.join(", ")
                    ),
                ));
            }
        })
    }
}
