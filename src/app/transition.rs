//! Moving a request through its workflow. The engine decides (`WorkflowDefinition::decide`); this module
//! carries the decision out in the caller's transaction: the application's effects (`effects`), the new
//! state, facts and clocks, the notices with what the effects did, and the audit events.

use crate::domain::code::Code;
use crate::domain::ids::RequestId;
use serde_json::{Map, Value, json};

use super::cases::{Case, clock_views, facts_json, save_clocks, today_in};
use super::notices::queue_notices;
use super::staff::StaffMember;
use super::{AppError, AppState, effects};
use crate::db::{AnyConnection, audit, requests};
use crate::domain::audit::{AuditAction, Closure, NewAuditEvent};
use crate::domain::notice::{
    ChangeNotice, ExtensionNotice, GroundNotice, NoticeKind, NoticePayload, SystemOutcome,
    VerificationNotice,
};
use crate::domain::workflow::{Effect, EventInput, Fact, Party, Transition};
pub use effects::TransitionContext;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionOutcome {
    pub from: String,
    pub to: String,
    pub version: i64,
    pub notices: Vec<String>,
    pub allowed: Vec<String>,
}

/// What an event may carry: a reason (refusals, extensions, requests for documents) and short notes.
fn check_event_data(data: &Map<String, Value>) -> Result<(), AppError> {
    for (k, v) in data {
        let Some(text) = v.as_str() else {
            return Err(AppError::BadEventData("every value must be text"));
        };
        if k.len() > 64 || !k.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(AppError::BadEventData("field names are lower-case words"));
        }
        if text.chars().count() > 5000 {
            return Err(AppError::BadEventData(
                "a value is longer than 5000 characters",
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(AppError::BadEventData(
                "a value contains control characters",
            ));
        }
    }
    Ok(())
}

/// Fires a workflow event on behalf of a staff member. The engine decides; the state change, facts,
/// clocks, queued notices and the audit event commit together, and only if the request is still at
/// `expected_version`: of two officers acting at once, one wins and the other gets `Conflict` with
/// nothing written.
pub async fn fire_event(
    state: &AppState,
    staff: &StaffMember,
    id: RequestId,
    event: String,
    expected_version: i64,
    data: Map<String, Value>,
) -> Result<TransitionOutcome, AppError> {
    check_event_data(&data)?;
    let catalog = state.workflows.clone();
    let config = state.config.clone();
    let keys = state.keys.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let by = staff.role.into();
    state
        .db
        .write(move |conn| {
            let mut case = Case::load_at(conn, &catalog, &id, expected_version)?;
            let cx = TransitionContext {
                catalog: &catalog,
                config: &config,
                keys: &keys,
                actor: &actor,
                by,
                now,
            };
            apply_event(conn, &cx, &mut case, &event, data)
        })
        .await
}

/// Decides and applies one event to a loaded request, inside the caller's transaction: state, facts,
/// clocks, notices and the audit event. The UPDATE is guarded by the version the case was loaded at.
pub(crate) fn apply_event(
    conn: &mut AnyConnection,
    cx: &TransitionContext<'_>,
    case: &mut Case,
    event: &str,
    data: Map<String, Value>,
) -> Result<TransitionOutcome, AppError> {
    // Claim the row first: effects below insert rows of their own (tasks, invoices), and of two
    // officers acting at once the second must get a clean conflict, not a clash of those inserts.
    if !requests::claim(conn, &case.row.id, case.row.version)? {
        return Err(AppError::Conflict);
    }
    // Facts learnt without a transition (an email confirmed a moment ago) are read again under the lock.
    if let Some(fresh) = requests::find(conn, &case.row.id)? {
        case.facts = super::cases::parse_facts(&fresh.facts)?;
    }
    let today = today_in(&case.def, cx.now);
    let cals = cx.catalog.calendars();
    let t = case.def.decide(
        &case.subject(today, cals),
        &EventInput {
            event,
            by: cx.by,
            data: &data,
        },
    )?;
    // Four eyes: an answer or refusal needs another officer's approval of this version.
    super::approvals::check(conn, case, &t, cx.actor.id().as_deref())?;
    // Effects the application carries out itself, inside the same transaction; what they did goes into
    // the notices' payload, so the letter says exactly that.
    let mut payload = NoticePayload {
        event: Some(t.event.clone()),
        reason: text(&data, "reason"),
        ground: refusal_ground(case, &t, &data)?,
        ..NoticePayload::default()
    };
    for e in &t.effects {
        effects::carry_out(conn, cx, case, e, &data, &mut payload)?;
    }
    let kinds: Vec<NoticeKind> = t.notices().collect();
    describe_outcome(
        conn,
        cx.catalog.laws(),
        case,
        &kinds,
        &data,
        today,
        &mut payload,
    )?;
    if kinds.iter().any(|k| k.decides()) {
        payload.appeal = case.def.appeal_from(&t.to).cloned();
    }
    let def = case.def.clone();
    let id = case.row.id.clone();
    let expected_version = case.row.version;
    let was_verified = case.facts.contains(&Fact::IdentityVerified);
    def.apply(&mut case.facts, &mut case.clocks, &t, today);
    payload.extended = extended_deadlines(case, &t, today, cals);
    if kinds.contains(&NoticeKind::Acknowledgement) {
        // An acknowledgement says when the answer is expected and how identity will be verified.
        payload.answer_due = clock_views(&case.def, &case.clocks, today, cals)
            .into_iter()
            .filter(|c| c.stopped_on.is_none())
            .filter_map(|c| c.due_on)
            .max();
        payload.verification = case.def.verification.as_ref().and_then(|v| {
            let right = case.request_type.as_str();
            Some(VerificationNotice {
                points: *v.points.get(right)?,
                declaration: v.declaration_for.iter().any(|d| d == right),
            })
        });
    }
    let closes = def.state(&t.to).is_some_and(|s| s.terminal);
    if !requests::update_after_transition(
        conn,
        &id,
        expected_version,
        &t.to,
        &facts_json(&case.facts),
        closes,
        crate::db::to_db_time(cx.now),
    )? {
        return Err(AppError::Conflict);
    }
    save_clocks(conn, &id, &def, &case.clocks, today, cals)?;
    let queued = queue_notices(
        conn,
        &id,
        case.row.subject_email.is_some(),
        case.language,
        kinds,
        &payload,
        cx.now,
    )?;
    let version = expected_version + 1;
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::RequestTransitioned, cx.actor.clone(), cx.now)
            .for_request(&id)
            .states(Some(&t.from), Some(&t.to))
            .details(json!({
                "event": t.event,
                "version": version,
                "data": data,
                "effects": t.effects,
            })),
    )?;
    // A request reaching a final state says so in the log on its own (details without personal data,
    // never erased): retention's erasures are checked against it.
    if closes {
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::RequestClosed, cx.actor.clone(), cx.now)
                .for_request(&id)
                .states(Some(&t.from), Some(&t.to))
                .details(json!(Closure {
                    state: t.to.clone(),
                    closed_at: None,
                })),
        )?;
    }
    // Evidence is erased when identity is decided by this transition, or the request closes; other
    // transitions have nothing to erase and skip the query.
    if closes || (!was_verified && case.facts.contains(&Fact::IdentityVerified)) {
        super::evidence::purge_after_decision(conn, &id, &case.facts, closes, cx.now)?;
    }
    case.row.state = t.to.clone();
    case.row.version = version;
    let allowed = match cx.by {
        Party::Staff(role) => def
            .allowed_events(&case.subject(today, cals), role)
            .iter()
            .map(|a| a.event.clone())
            .collect(),
        Party::Requester | Party::System => Vec::new(),
    };
    // An authorised agent that asked to be called back hears of the new status.
    super::drp_callbacks::after_change(
        conn,
        cx.catalog,
        &super::drp_status::StatusLinks {
            public_url: &cx.config.http.public_url,
            keys: cx.keys,
        },
        &case.row.id,
        cx.now,
    )?;
    Ok(TransitionOutcome {
        from: t.from,
        to: t.to,
        version,
        notices: queued.iter().map(|n| n.as_str().to_owned()).collect(),
        allowed,
    })
}

/// A refusal names one of the grounds the law gives for the right, where it gives any (`seeds/regimes`
/// `[[grounds]]`); the notice quotes it. A ground on anything but a refusal is refused too.
fn refusal_ground(
    case: &Case,
    t: &Transition,
    data: &Map<String, Value>,
) -> Result<Option<GroundNotice>, AppError> {
    let named = text(data, "ground")
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty());
    // A refusal, or an answer that refuses a part: each rests on a ground the law lists, where it
    // lists any for the right.
    let refuses_part = t.notices().any(NoticeKind::answers)
        && text(data, "partial_refusal").is_some_and(|p| !p.trim().is_empty());
    let refuses = refuses_part || t.notices().any(|k| k == NoticeKind::Refused);
    // The grounds of the law as published with the procedure, not as today's file has them.
    let grounds = case.def.law.grounds_for(case.request_type.as_str());
    match (refuses, named) {
        (false, None) => Ok(None),
        (false, Some(_)) => Err(AppError::invalid("ground", "not_offered_here")),
        (true, None) if grounds.is_empty() => Ok(None),
        (true, None) => Err(AppError::invalid("ground", "required")),
        (true, Some(code)) => grounds
            .iter()
            .find(|g| g.code == code)
            .map(|g| {
                Some(GroundNotice {
                    code: g.code.clone(),
                    label: g.label.clone(),
                    article: g.article.clone(),
                })
            })
            .ok_or_else(|| AppError::invalid("ground", "unknown_ground")),
    }
}

fn text(data: &Map<String, Value>, key: &str) -> Option<String> {
    data.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// What the notices of this transition report besides the effects: the documents still missing, the
/// changes made and each data system's outcome, and what an answer leaves out.
fn describe_outcome(
    conn: &mut AnyConnection,
    laws: &crate::domain::law::Laws,
    case: &Case,
    kinds: &[NoticeKind],
    data: &Map<String, Value>,
    today: chrono::NaiveDate,
    payload: &mut NoticePayload,
) -> Result<(), AppError> {
    if kinds.contains(&NoticeKind::DocumentsRequested)
        && let (Some(list), Some(rules)) = (
            super::checklist::checklist_of(conn, case)?,
            case.def.documents.as_ref(),
        )
    {
        // What is sent in answer counts from today: the letter asks for one issued since the day
        // that makes it fresh now.
        let earliest_now = rules
            .earliest(today)
            .map_err(|e| AppError::Definition(e.to_string()))?;
        payload.missing = list
            .problems()
            .cloned()
            .map(|mut item| {
                if let Some(crate::domain::documents::Problem::Stale { earliest, .. }) =
                    &mut item.problem
                {
                    *earliest = (*earliest).max(earliest_now);
                }
                item
            })
            .collect();
    }
    let answers = kinds.iter().any(|k| {
        matches!(
            k,
            NoticeKind::AnswerDispatched | NoticeKind::AnswerReady | NoticeKind::ActionCompleted
        )
    });
    if answers {
        for c in crate::db::replies::changes_for_request(conn, &case.row.id)? {
            let change = ChangeNotice {
                action: c.action,
                item: c.item,
                prior_value: c.prior_value,
                new_value: c.new_value,
            };
            // The desk and a system may record the same correction: the answer states it once.
            if !payload.changes.contains(&change) {
                payload.changes.push(change);
            }
        }
        payload.systems = super::systems::task_views(conn, case)?
            .into_iter()
            .map(|t| SystemOutcome {
                system: t.system,
                kind: t.kind,
                // An export the officer withheld is answered as withheld, with its ground.
                outcome: match &t.withheld_ground {
                    Some(_) => "withheld".to_owned(),
                    None => t.status,
                },
                legal_ground: t.withheld_ground.or(t.legal_ground),
                deletion_method: Some(t.deletion_method),
                purposes: t.purposes,
                recipients_told: t.recipients_told,
            })
            .collect();
        payload.partial_refusal = text(data, "partial_refusal");
    }
    // An answer to a request for the records of provision (Art. 33(5)) discloses those the officer
    // confirmed; the letter prints them, the package holds them.
    if kinds
        .iter()
        .any(|k| matches!(k, NoticeKind::AnswerDispatched | NoticeKind::AnswerReady))
    {
        payload.provision_records = super::provision::for_answer(conn, laws, case)?;
    }
    Ok(())
}

/// An extension notice must give the new date (GDPR 12(3), CCPA §1798.130, PIPEDA 8(4)): the clocks
/// this transition extended, as they stand after it.
fn extended_deadlines(
    case: &Case,
    t: &Transition,
    today: chrono::NaiveDate,
    cals: &crate::domain::deadline::Calendars,
) -> Vec<ExtensionNotice> {
    let extended: Vec<&String> = t
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::ExtendDeadline(k) => Some(k),
            _ => None,
        })
        .collect();
    if extended.is_empty() {
        return Vec::new();
    }
    let views = clock_views(&case.def, &case.clocks, today, cals);
    extended
        .into_iter()
        .filter_map(|k| views.iter().find(|c| &c.id == k))
        .map(|c| ExtensionNotice {
            clock: c.id.clone(),
            label: Some(c.label.clone()),
            due_on: c.due_on,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_data_is_short_named_text() {
        let ok: Map<String, Value> = json!({"reason": "多数の請求\n第二段落"})
            .as_object()
            .unwrap()
            .clone();
        assert!(check_event_data(&ok).is_ok());
        for bad in [
            json!({"reason": 1}),
            json!({"Reason": "x"}),
            json!({"reason": "x".repeat(5001)}),
            json!({"reason": "a\u{0}b"}),
        ] {
            assert!(check_event_data(bad.as_object().unwrap()).is_err(), "{bad}");
        }
    }
}
