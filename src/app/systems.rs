//! The data-system registry and the tasks a request opens in each system that serves its right: owners
//! upload the export, confirm the erasure, record the corrections, the restriction or the stop (or name
//! the legal ground for not acting); the request's `tasks_done` fact follows, and the workflow will not
//! answer before it.

use crate::config::UploadKind;
use crate::domain::code::Code;
use crate::domain::ids::{DataSystemId, RequestId, TaskId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::cases::Case;
use super::documents::StaffViewer;
use super::registry;
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::replies::DataChangeRow;
use crate::db::systems::{self as repo, DataSystemRow, TaskCompletion, TaskRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::FieldErrors;
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::reply::{DataChange, RawChange};
use crate::domain::systems::{
    OutcomeInput, TaskKind, TaskOutcome, export_media_type, parse_outcome,
};
use crate::domain::workflow::Fact;
use crate::security::documents::{self as crypto, Sealed};

/// Carries out `create_tasks` inside the transition's transaction: one task per active system that serves
/// the right's task kind, once.
pub(crate) fn create_tasks(
    conn: &mut AnyConnection,
    case: &mut Case,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(kind) = case.task() else {
        return Ok(());
    };
    let systems: Vec<DataSystemRow> = repo::active_systems(conn)?
        .into_iter()
        .filter(|s| registry::serves(s).contains(&kind))
        .collect();
    if systems.is_empty() {
        // A right carried out in no system at all would be a silent failure.
        return Err(AppError::NotConfigured("the data-system registry"));
    }
    let existing: Vec<DataSystemId> = repo::tasks_for_request(conn, &case.row.id)?
        .into_iter()
        .map(|(t, _)| t.system_id)
        .collect();
    for s in systems.iter().filter(|s| !existing.contains(&s.id)) {
        let task_id: TaskId = db::new_id().into();
        repo::insert_task(
            conn,
            &TaskRow {
                id: task_id.clone(),
                request_id: case.row.id.clone(),
                system_id: s.id.clone(),
                kind: kind.as_str().to_owned(),
                status: "open".into(),
                legal_ground: None,
                note: String::new(),
                export_media_type: None,
                export_size: None,
                export_nonce: None,
                export_ciphertext: None,
                export_purged_at: None,
                completed_by: None,
                completed_at: None,
                created_at: db::to_db_time(now),
                purposes: None,
                lifted_on: None,
                lift_reason: None,
                withheld_ground: None,
            },
        )?;
        tell_owner(conn, case, s, &task_id, kind, now)?;
    }
    if repo::open_count(conn, &case.row.id)? > 0 {
        case.facts.remove(&Fact::TasksDone);
    } else {
        case.facts.insert(Fact::TasksDone);
    }
    Ok(())
}

/// Emails a system's owner, where they have a staff account, that a task opened in their system; the
/// notice names the task, never the person.
fn tell_owner(
    conn: &mut AnyConnection,
    case: &Case,
    system: &DataSystemRow,
    task_id: &TaskId,
    kind: TaskKind,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(owner) = crate::db::staff::find_by_email(conn, &system.owner_email)?
        .filter(|s| s.disabled_at.is_none())
    else {
        return Ok(());
    };
    let payload = crate::domain::notice::NoticePayload {
        task: Some(crate::domain::notice::TaskNotice {
            id: task_id.to_string(),
            system: system.name.clone(),
            kind: kind.as_str().to_owned(),
        }),
        ..Default::default()
    };
    super::notices::queue_staff_notice(
        conn,
        &case.row.id,
        &owner.id,
        crate::domain::notice::NoticeKind::StaffTaskOpened,
        &payload,
        now,
    )
}

/// Officers and administrators work every task; anyone else only the tasks of systems registered with
/// their address as owner. To others a task does not exist (its request's id reveals nothing either).
fn may_work(staff: &StaffMember, system: &DataSystemRow) -> bool {
    staff.role.works_requests() || system.owner_email == staff.email
}

pub(crate) fn export_aad(request_id: &RequestId, task_id: &str) -> Vec<u8> {
    format!("kaiji-task-export:{request_id}:{task_id}").into_bytes()
}

/// How an owner closes a task, as typed in.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawTaskCompletion {
    pub outcome: String,
    pub legal_ground: String,
    /// What a restriction still allows, or what a stop covers.
    pub purposes: String,
    /// A rectification's corrections.
    pub corrections: Vec<RawChange>,
    pub note: String,
}

/// What closing a task did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskClosed {
    #[schema(value_type = String)]
    pub task_id: TaskId,
    pub outcome: TaskOutcome,
    /// Tasks of the request still open.
    pub open_tasks: i64,
}

/// Closes a task: the export is checked (JSON or CSV, by content) and sealed; the last task to close sets
/// the request's `tasks_done`. Officers close any task; other staff only tasks of systems they own.
pub async fn complete_task(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    task_id: TaskId,
    raw: RawTaskCompletion,
    export: Option<Vec<u8>>,
) -> Result<TaskClosed, AppError> {
    let mut errors = FieldErrors::new();
    let media_type = match &export {
        Some(bytes) if bytes.len() as u64 > state.config.http.upload_limit(UploadKind::Export) => {
            errors.push("file", "file_too_large");
            None
        }
        Some(bytes) => errors.check("file", export_media_type(bytes)),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let note: String = raw.note.trim().chars().take(2000).collect();
    let key = state.keys.document.clone();
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            let mut case = Case::load(conn, &catalog, &request_id)?;
            let (task, system) =
                repo::find_task(conn, &request_id, &task_id)?.ok_or(AppError::NotFound)?;
            if !may_work(&staff, &system) {
                return Err(AppError::NotFound);
            }
            let closed_error = |code| AppError::invalid("outcome", code);
            if task.status != "open" || case.state_label().1 {
                return Err(closed_error("task_closed"));
            }
            let kind: TaskKind = task
                .kind
                .parse()
                .map_err(|_| AppError::Definition(format!("stored task kind `{}`", task.kind)))?;
            let outcome = parse_outcome(
                kind,
                &OutcomeInput {
                    outcome: &raw.outcome,
                    legal_ground: &raw.legal_ground,
                    purposes: &raw.purposes,
                    corrections: &raw.corrections,
                    has_export: export.is_some(),
                },
            )
            .map_err(AppError::Invalid)?;
            let sealed = match (&outcome, &export, media_type) {
                (TaskOutcome::Exported, Some(bytes), Some(media)) => {
                    let s = crypto::seal(key.expose(), &export_aad(&request_id, &task_id), bytes);
                    Some((media, bytes.len() as i64, s.nonce, s.ciphertext))
                }
                _ => None,
            };
            let ground = outcome.legal_ground();
            // A system that holds the person's data answers purpose notification and the CCPA
            // categories with what the registry declares it processes for, as it stands today.
            let declared = registry::json_list(&system.purposes).join(", ");
            let purposes = match outcome {
                TaskOutcome::Held => Some(declared.as_str()),
                _ => outcome.purposes(),
            };
            if !repo::complete_task(
                conn,
                &task_id,
                TaskCompletion {
                    status: outcome.as_str(),
                    legal_ground: ground,
                    purposes,
                    note: &note,
                    export: sealed,
                    completed_by: &staff.id,
                    completed_at: db::to_db_time(now),
                },
            )? {
                return Err(closed_error("task_closed"));
            }
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::TaskCompleted, staff.actor(), now)
                    .for_request(&request_id)
                    .details(
                        json!({"task_id": task_id, "system": system.name, "kind": task.kind,
                                        "outcome": outcome.as_str(), "legal_ground": ground}),
                    ),
            )?;
            if let TaskOutcome::Rectified { changes } = &outcome {
                record_corrections(conn, &case, &task_id, changes, &staff, now)?;
            }
            // A right may ask that recipients hear of more than erasures, rectifications and
            // restrictions: an opt-out's third parties must stop selling or sharing too.
            let right_tells = case.right.as_ref().is_some_and(|r| r.tells_recipients);
            if outcome.tells_recipients() || (right_tells && outcome.carried_out()) {
                super::recipients::tell(conn, &case, &system, &task_id, &outcome, now)?;
            }
            let open_tasks = repo::open_count(conn, &request_id)?;
            if open_tasks == 0 {
                case.facts.insert(Fact::TasksDone);
                case.save_facts(conn, now)?;
            }
            Ok(TaskClosed {
                task_id: task_id.clone(),
                outcome,
                open_tasks,
            })
        })
        .await
}

/// The corrections a rectification task made, kept with the request's other changes for the answer
/// (the audit names the items, never the values).
fn record_corrections(
    conn: &mut AnyConnection,
    case: &Case,
    task_id: &TaskId,
    changes: &[DataChange],
    staff: &StaffMember,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for change in changes {
        let row = DataChangeRow {
            id: db::new_id().into(),
            request_id: case.row.id.clone(),
            action: change.action.as_str().to_owned(),
            item: change.item.clone(),
            prior_value: change.prior_value.clone(),
            new_value: change.new_value.clone(),
            recorded_by: staff.id.to_string(),
            recorded_at: db::to_db_time(now),
            task_id: Some(task_id.clone()),
        };
        crate::db::replies::insert_change(conn, &row)?;
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::ChangeRecorded, staff.actor(), now)
                .for_request(&case.row.id)
                .details(
                    json!({"change_id": row.id, "task_id": task_id, "action": row.action,
                                "item": row.item}),
                ),
        )?;
    }
    Ok(())
}

/// A task as pages, the API and letters show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    #[schema(value_type = String)]
    pub id: TaskId,
    pub system: String,
    pub owner_email: String,
    /// How the system erases data (quoted in deletion answers: erasure is irrecoverable).
    pub deletion_method: String,
    pub kind: String,
    pub status: String,
    pub legal_ground: Option<String>,
    /// What a restriction still allows, or what a stop covers.
    pub purposes: Option<String>,
    /// The purposes the system declares it processes for (offered when closing a stop or restriction).
    pub system_purposes: Vec<String>,
    /// The day a restriction ends, once the person has been told.
    #[schema(format = Date)]
    pub lifted_on: Option<String>,
    /// Those told of what the task did (GDPR Art. 19).
    pub recipients_told: Vec<crate::domain::notice::ToldRecipient>,
    /// Why an officer left the export out of the answer.
    pub withheld_ground: Option<String>,
    pub note: String,
    pub export_media_type: Option<String>,
    pub export_size: Option<i64>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// The request's tasks as pages and answers show them.
pub(crate) fn task_views(conn: &mut AnyConnection, case: &Case) -> Result<Vec<TaskView>, AppError> {
    let right_tells = case.right.as_ref().is_some_and(|r| r.tells_recipients);
    Ok(repo::tasks_for_request(conn, &case.row.id)?
        .into_iter()
        .map(|(t, s)| TaskView {
            recipients_told: super::recipients::told(&s, &t.status, right_tells),
            id: t.id,
            system: s.name,
            owner_email: s.owner_email,
            deletion_method: s.deletion_method,
            kind: t.kind,
            status: t.status,
            legal_ground: t.legal_ground,
            purposes: t.purposes,
            system_purposes: registry::json_list(&s.purposes),
            lifted_on: t.lifted_on,
            withheld_ground: t.withheld_ground,
            note: t.note,
            export_media_type: t.export_media_type,
            export_size: if t.export_purged_at.is_some() {
                None
            } else {
                t.export_size
            },
            completed_at: t.completed_at.map(db::from_db_time),
        })
        .collect())
}

/// Opens a task's export for staff; audited like every file view.
pub async fn view_export(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    task_id: TaskId,
) -> Result<(String, Vec<u8>), AppError> {
    let viewer = StaffViewer::new(state, staff);
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            let (task, system) =
                repo::find_task(conn, &request_id, &task_id)?.ok_or(AppError::NotFound)?;
            if !may_work(&staff, &system) {
                return Err(AppError::NotFound);
            }
            if task.export_purged_at.is_some() {
                return Err(AppError::Purged);
            }
            let (Some(media), Some(nonce), Some(ciphertext)) = (
                task.export_media_type,
                task.export_nonce,
                task.export_ciphertext,
            ) else {
                return Err(AppError::NotFound);
            };
            let plain = viewer.open(
                conn,
                &request_id,
                &export_aad(&request_id, &task_id),
                &Sealed { nonce, ciphertext },
                json!({"task_id": task_id, "purpose": "export"}),
            )?;
            Ok((media, plain))
        })
        .await
}

/// An open task in a system the staff member owns, for their list of things to do.
#[derive(Debug, Clone)]
pub struct OpenTask {
    pub task_id: TaskId,
    pub request_id: RequestId,
    pub receipt_number: String,
    pub system: String,
    /// `export`, `erase`, `rectify`, `restrict` or `stop_processing`.
    pub kind: String,
}

/// Open tasks in the systems this staff member owns, oldest first.
pub async fn my_tasks(state: &AppState, staff: &StaffMember) -> Result<Vec<OpenTask>, AppError> {
    let email = staff.email.clone();
    state
        .db
        .run(move |conn| {
            Ok(repo::open_tasks_for_owner(conn, &email)?
                .into_iter()
                .map(|(task, system, receipt_number)| OpenTask {
                    task_id: task.id,
                    request_id: task.request_id,
                    receipt_number,
                    system: system.name,
                    kind: task.kind,
                })
                .collect())
        })
        .await
}

/// One task as its system's owner works it: what the request asks and of whom, without the rest of the
/// request (its history, documents, notices and other systems' tasks).
#[derive(Debug, Clone)]
pub struct TaskPage {
    pub request_id: RequestId,
    pub receipt_number: String,
    /// The right, in the reader's language.
    pub right: String,
    /// What the requester wrote (what to correct, which use to stop).
    pub message: String,
    /// Whom the data is about: what the owner looks them up by.
    pub subject_name: String,
    pub subject_email: Option<String>,
    /// The answer's legal deadline, as things stand.
    pub due_on: Option<chrono::NaiveDate>,
    pub terminal: bool,
    pub task: TaskView,
    /// The grounds the law gives for not acting on this right.
    pub grounds: Vec<crate::domain::law::RefusalGround>,
}

/// A task for the staff member who may work it (anyone else: not found).
pub async fn task_page(
    state: &AppState,
    staff: &StaffMember,
    task_id: TaskId,
    lang: crate::domain::request::Language,
) -> Result<TaskPage, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .run(move |conn| {
            let (task, system) =
                repo::find_task_by_id(conn, &task_id)?.ok_or(AppError::NotFound)?;
            if !may_work(&staff, &system) {
                return Err(AppError::NotFound);
            }
            let case = Case::load(conn, &catalog, &task.request_id)?;
            let view = task_views(conn, &case)?
                .into_iter()
                .find(|t| t.id == task.id)
                .ok_or(AppError::NotFound)?;
            let today = super::cases::today_in(&case.def, now);
            let due_on =
                super::cases::clock_views(&case.def, &case.clocks, today, catalog.calendars())
                    .into_iter()
                    .filter(|c| c.stopped_on.is_none())
                    .filter_map(|c| c.due_on)
                    .min();
            let (_, terminal) = case.state_label();
            Ok(TaskPage {
                request_id: case.row.id.clone(),
                receipt_number: case.row.receipt_number.clone(),
                right: case.right_label(lang),
                message: case.row.message.clone(),
                subject_name: case.row.subject_name.clone(),
                subject_email: case.row.subject_email.clone(),
                due_on,
                terminal,
                task: view,
                grounds: case
                    .def
                    .law
                    .grounds_for(case.request_type.as_str())
                    .into_iter()
                    .cloned()
                    .collect(),
            })
        })
        .await
}
