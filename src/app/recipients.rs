//! Those a data system disclosed the person's data to, told when a system rectifies, erases or restricts
//! it (GDPR Art. 19, CCPA §1798.105(c)(1) and §7023(c), PIPEDA Schedule 1 clause 4.9.5): one notice per
//! recipient, queued in the transaction that closed the task, audited; and a restriction lifted only
//! after the person has been told (GDPR Art. 18(3)).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::cases::{Case, today_in};
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::notices::{self, NoticeRow};
use crate::db::systems::{self as repo, DataSystemRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::field::bounded;
use crate::domain::ids::{RequestId, TaskId};
use crate::domain::notice::{
    LiftingNotice, NoticeChannel, NoticeKind, NoticePayload, NoticeStatus, RecipientNotice,
    ToldRecipient,
};
use crate::domain::systems::{Recipient, TaskOutcome};

/// The people a registered system discloses to.
pub(crate) fn of(s: &DataSystemRow) -> Vec<Recipient> {
    serde_json::from_str(&s.recipients).unwrap_or_default()
}

/// Queues a notice to each recipient of `system` about what its task did for the person.
pub(crate) fn tell(
    conn: &mut AnyConnection,
    case: &Case,
    system: &DataSystemRow,
    task_id: &TaskId,
    outcome: &TaskOutcome,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let allowed = match outcome {
        TaskOutcome::Restricted { allowed } => Some(allowed.clone()),
        _ => None,
    };
    let changes = match outcome {
        TaskOutcome::Rectified { changes } => changes
            .iter()
            .map(|c| crate::domain::notice::ChangeNotice {
                action: c.action.as_str().to_owned(),
                item: c.item.clone(),
                // The recipient needs the value to correct to, not the one it held.
                prior_value: None,
                new_value: c.new_value.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let stopped_for = match outcome {
        TaskOutcome::Stopped { purposes } => Some(purposes.clone()),
        _ => None,
    };
    let what = Told {
        outcome: outcome.as_str(),
        stopped_for,
        allowed,
        lifted_on: None,
        changes,
    };
    queue(conn, case, system, task_id, &what, now)
}

/// What recipients are told.
struct Told {
    /// `erased`, `rectified`, `restricted`, or `lifted` (a restriction they were told of ends).
    outcome: &'static str,
    allowed: Option<String>,
    stopped_for: Option<String>,
    lifted_on: Option<NaiveDate>,
    changes: Vec<crate::domain::notice::ChangeNotice>,
}

fn queue(
    conn: &mut AnyConnection,
    case: &Case,
    system: &DataSystemRow,
    task_id: &TaskId,
    what: &Told,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let recipients = of(system);
    if recipients.is_empty() {
        return Ok(());
    }
    let mut roles = Vec::new();
    for r in &recipients {
        let payload = NoticePayload {
            recipient: Some(RecipientNotice {
                name: r.name.clone(),
                email: r.email.clone(),
                role: r.role.as_str().to_owned(),
                system: system.name.clone(),
                outcome: what.outcome.to_owned(),
                subject_name: case.row.subject_name.clone(),
                subject_email: case.row.subject_email.clone(),
                allowed: what.allowed.clone(),
                stopped_for: what.stopped_for.clone(),
                lifted_on: what.lifted_on,
            }),
            changes: what.changes.clone(),
            ..NoticePayload::default()
        };
        notices::insert(
            conn,
            &NoticeRow {
                id: db::new_id().into(),
                request_id: Some(case.row.id.clone()),
                inquiry_id: None,
                kind: NoticeKind::RecipientNotified.as_str().to_owned(),
                channel: NoticeChannel::Email,
                language: r.language.as_str().to_owned(),
                status: NoticeStatus::Queued,
                created_at: db::to_db_time(now),
                payload: payload.to_stored(),
                recipient_staff_id: None,
            },
        )?;
        roles.push(r.role.as_str());
    }
    // The audit says who was told in kind, not the addresses.
    audit::append(
        conn,
        &NewAuditEvent::new(
            AuditAction::RecipientsNotified,
            crate::domain::audit::Actor::System("recipients"),
            now,
        )
        .for_request(&case.row.id)
        .details(
            json!({"task_id": task_id, "system": system.name, "outcome": what.outcome,
                        "recipients": recipients.len(), "roles": roles}),
        ),
    )?;
    Ok(())
}

/// Those a system's task told, as the answer names them (`right_tells`: the right has recipients told
/// of whatever the system did, an opt-out's stop included).
pub(crate) fn told(system: &DataSystemRow, outcome: &str, right_tells: bool) -> Vec<ToldRecipient> {
    let tells = crate::domain::systems::outcome_tells_recipients(outcome)
        || (right_tells && crate::domain::systems::outcome_carried_out(outcome));
    if !tells {
        return Vec::new();
    }
    named(system)
}

/// A system's recipients as answers and packages name them.
pub(crate) fn named(system: &DataSystemRow) -> Vec<ToldRecipient> {
    of(system)
        .into_iter()
        .map(|r| ToldRecipient {
            name: r.name,
            role: r.role.as_str().to_owned(),
        })
        .collect()
}

/// An officer lifts a restriction from a day after today: the person is told now, in the same
/// transaction, so they hear of it before it ends (GDPR Art. 18(3)).
pub async fn lift_restriction(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    task_id: TaskId,
    lifted_on: &str,
    reason: &str,
) -> Result<NaiveDate, AppError> {
    if !staff.role.works_requests() {
        return Err(AppError::Forbidden);
    }
    let mut errors = crate::domain::FieldErrors::new();
    let reason = errors.check("reason", bounded(reason, 2000));
    let day: Option<NaiveDate> = errors.check(
        "lifted_on",
        lifted_on.trim().parse().map_err(|_| "invalid_date"),
    );
    let (Some(reason), Some(day)) = (reason, day) else {
        return Err(AppError::Invalid(errors));
    };
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let case = Case::load(conn, &catalog, &request_id)?;
            let (task, system) =
                repo::find_task(conn, &request_id, &task_id)?.ok_or(AppError::NotFound)?;
            if day <= today_in(&case.def, now) {
                return Err(AppError::invalid("lifted_on", "lift_not_after_today"));
            }
            if task.status != "restricted" || task.lifted_on.is_some() {
                return Err(AppError::invalid("lifted_on", "not_restricted"));
            }
            if !repo::lift_restriction(conn, &task_id, &day.to_string(), &reason)? {
                return Err(AppError::Conflict);
            }
            let payload = NoticePayload {
                lifting: Some(LiftingNotice {
                    system: system.name.clone(),
                    lifted_on: day,
                    reason: reason.clone(),
                }),
                ..NoticePayload::default()
            };
            super::notices::queue_notices(
                conn,
                &request_id,
                case.row.subject_email.is_some(),
                case.language,
                [NoticeKind::RestrictionLifting],
                &payload,
                now,
            )?;
            // Those told to restrict are told when it ends too.
            let what = Told {
                outcome: "lifted",
                allowed: None,
                stopped_for: None,
                lifted_on: Some(day),
                changes: Vec::new(),
            };
            queue(conn, &case, &system, &task_id, &what, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::RestrictionLifted, actor, now)
                    .for_request(&request_id)
                    .details(json!({"task_id": task_id, "system": system.name,
                                    "lifted_on": day.to_string()})),
            )?;
            Ok(day)
        })
        .await
}
