//! A request's data-system tasks on the web: closing one with its outcome (the export, the erasure, the
//! corrections, the restriction or the stop, or the ground for not acting), lifting a restriction, and
//! reviewing the answer before release (withholding an export, previewing the package).

use crate::config::UploadKind;
use crate::domain::code::Code;
use crate::domain::ids::{RequestId, TaskId};
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::csrf::{Csrf, CsrfForm};
use super::error::{ApiError, PageError, WebError};
use super::outcome::{self, Back, PageOf};
use super::session::{ApiStaff, Authorized, WorkRequests, WorkTasks};
use super::staff::{Feedback, request_page};
use super::{redirect, render, uploads};
use crate::app::systems::{self, RawTaskCompletion};
use crate::app::{AppError, AppState};
use crate::app::{recipients, review};
use crate::domain::reply::RawChange;
use crate::i18n::Tr;

/// Every field's message of a refused task form, in one line (the forms are small), or that it expired.
fn every_problem(back: &Back, tr: &Tr) -> String {
    match back {
        Back::Invalid(errors) => errors
            .iter()
            .map(|e| tr.field_error(e.code))
            .collect::<Vec<_>>()
            .join(" "),
        _ => tr.t("form-expired"),
    }
}

/// A task's form on the request page come back: every problem in one line, and what was typed, 422.
fn task_feedback<F: Into<String>>(
    back: &Back,
    tr: &Tr,
    task_id: &TaskId,
    typed: Vec<(F, String)>,
) -> Feedback {
    let feedback = Feedback {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        problem: Some(every_problem(back, tr)),
        ..Default::default()
    };
    feedback.keeping(format!("task:{task_id}"), typed)
}

/// Closes a task from the request page (multipart: outcome, legal ground, note, the export file).
pub async fn complete(
    state: web::Data<AppState>,
    who: Authorized<WorkTasks>,
    tr: Tr,
    csrf: Csrf,
    path: web::Path<(RequestId, TaskId)>,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let (id, task_id) = path.into_inner();
    // What was typed comes back with the page if the task cannot be closed (not after an expired form).
    let (kept_inputs, answer) = match uploads::read(
        payload,
        state.config.http.upload_limit(UploadKind::Export),
        &csrf,
    )
    .await
    {
        Ok(u) if !u.fresh => (Vec::new(), Err(Back::Expired)),
        Ok(u) => {
            let corrections: Vec<RawChange> = (1..=super::staff::CORRECTION_ROWS)
                .map(|n| RawChange {
                    item: u.text(&format!("item_{n}")),
                    prior_value: u.text(&format!("prior_value_{n}")),
                    new_value: u.text(&format!("new_value_{n}")),
                })
                .collect();
            let raw = RawTaskCompletion {
                outcome: u.text("outcome"),
                legal_ground: u.text("legal_ground"),
                purposes: u.text("purposes"),
                corrections,
                note: u.text("note"),
            };
            // Everything typed comes back with the page.
            let kept: Vec<(String, String)> = u
                .fields
                .iter()
                .filter(|(k, _)| k.as_str() != "outcome")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let file = u.file.filter(|f| !f.is_empty());
            let call =
                systems::complete_task(&state, &who.staff, id.clone(), task_id.clone(), raw, file);
            (kept, outcome::of(true, call).await?)
        }
        Err(WebError::App(AppError::Invalid(errors))) => (Vec::new(), Err(Back::Invalid(errors))),
        Err(e) => return Err(e.into()),
    };
    // Officers return to the request; a system owner, who never sees it, to the task.
    let officer = who.staff.role.works_requests();
    match answer {
        Ok(_) if officer => Ok(redirect(&format!("/staff/requests/{id}?moved=1#tasks"))),
        Ok(_) => Ok(redirect(&format!("/staff/tasks/{task_id}?moved=1"))),
        Err(back) if officer => {
            let feedback = Feedback {
                status: back.status(),
                ..task_feedback(&back, &tr, &task_id, kept_inputs)
            };
            request_page(&state, who.staff, tr, &csrf, id, feedback).await
        }
        Err(back) => {
            let p = systems::task_page(&state, &who.staff, task_id, tr.lang).await?;
            render(
                back.status(),
                &TaskPageView {
                    tr,
                    csrf: csrf.token(),
                    staff: who.staff,
                    p,
                    problem: Some(every_problem(&back, &tr)),
                    moved: false,
                    kept: kept_inputs,
                },
            )
        }
    }
}

/// How a data-system task ends.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    /// An outcome the task's kind allows (else `outcome_not_for_task`): export `exported` (with
    /// `export`) | `no_data`; erase `erased` | `retained` (with `legal_ground`) | `no_data`; rectify
    /// `rectified` (with `corrections`) | `declined` (with `legal_ground`) | `no_data`; restrict
    /// `restricted` | `declined` | `no_data`; stop_processing `stopped` (with `purposes`) | `declined` |
    /// `no_data`; locate `held` | `no_data`.
    #[schema(value_type = TaskOutcomeCode)]
    outcome: String,
    /// Why data is kept or the task not done (`retained`, `declined`): at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    legal_ground: String,
    /// What a restriction still allows (empty: storage only), or the purposes a stop covers (required
    /// for `stopped`): at most 1,000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    purposes: String,
    /// A rectification's corrections, at most 50 (rows left wholly blank are ignored).
    #[serde(default)]
    #[schema(value_type = Vec<CorrectionJson>, max_items = 50)]
    corrections: Vec<RawChange>,
    /// A note on how the task was done (kept to its first 2,000 characters).
    #[serde(default)]
    note: String,
    /// The export itself, as JSON or CSV text (`exported`; else `file` `export_type`), within the
    /// export upload limit (`file_too_large`).
    #[serde(default)]
    export: Option<String>,
}

/// One correction a rectification made: the item, its value before and after.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CorrectionJson {
    /// What was corrected, at most 200 characters.
    #[schema(max_length = 200, example = "住所")]
    item: Option<String>,
    /// The value before, at most 2,000 characters.
    #[schema(max_length = 2000)]
    prior_value: Option<String>,
    /// The value after, at most 2,000 characters.
    #[schema(max_length = 2000)]
    new_value: Option<String>,
}

/// The outcomes a task can close with (each kind allows some).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TaskOutcomeCode {
    Exported,
    NoData,
    Held,
    Erased,
    Retained,
    Rectified,
    Declined,
    Restricted,
    Stopped,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/tasks/{task_id}", tag = "systems", operation_id = "completeTask",
    description = "Close a data-system task with an outcome its kind allows (see `outcome`); officers close any task, system owners those of their systems",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("task_id" = String, Path, description = "The task's id (as the request's `tasks` or `GET /api/v1/tasks` list it)", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    request_body(
        content = CompleteBody,
        description = "The outcome, with what it needs",
        example = json!({"outcome": "retained", "legal_ground": "Invoices are kept for 7 years under the Corporation Tax Act.", "note": "Marketing profile erased."})
    ),
    responses(
        (status = 200, description = "Closed: the outcome as recorded and how many of the request's tasks are still open", body = crate::app::systems::TaskClosed,
         example = json!({
             "task_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e93",
             "outcome": {"outcome": "retained", "legal_ground": "Invoices are kept for 7 years under the Corporation Tax Act."},
             "open_tasks": 1
         })),
        (status = 404, description = "`not_found`: no such request, or no such task on it that the caller may work", body = super::error::ErrorBody),
        (status = 409, description = "`version_conflict`: the request changed meanwhile", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `outcome` `required`, `outcome_not_for_task`, `task_closed`; `legal_ground`, `purposes` `required`, `too_long`; `item` `correction_required`, `too_many_corrections` (and each correction's `required`, `too_long`); `file` `export_required`, `export_type`, `file_empty`, `file_too_large`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn complete_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkTasks>,
    path: web::Path<(RequestId, TaskId)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // The export rides in the JSON: its own limit, and room for the other fields and escaping.
    let limit = state.config.http.upload_limit(UploadKind::Export) + super::BODY_LIMIT as u64;
    let body = super::body::ApiJson::<CompleteBody>::read(&req, payload, limit)
        .await?
        .parse()?;
    let (id, task_id) = path.into_inner();
    let b = body.into_inner();
    let closed = systems::complete_task(
        &state,
        &who.staff,
        id,
        task_id,
        RawTaskCompletion {
            outcome: b.outcome,
            legal_ground: b.legal_ground,
            purposes: b.purposes,
            corrections: b.corrections,
            note: b.note,
        },
        b.export.map(String::into_bytes),
    )
    .await?;
    Ok(HttpResponse::Ok().json(closed))
}

/// A task's export, for staff (audited).
pub async fn export(
    state: web::Data<AppState>,
    who: Authorized<WorkTasks>,
    path: web::Path<(RequestId, TaskId)>,
) -> Result<HttpResponse, PageError> {
    let (id, task_id) = path.into_inner();
    let name = format!("kaiji-export-{}-{}", id.as_str(), task_id.as_str());
    let (media, bytes) = systems::view_export(&state, &who.staff, id, task_id).await?;
    // The name is kaiji's own (ids are [0-9a-z-]), never one a system or a person supplied.
    let ext = if media == "text/csv" { "csv" } else { "json" };
    Ok(HttpResponse::Ok()
        .content_type(format!("{media}; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.{ext}\""),
        ))
        .body(bytes))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct LiftForm {
    lifted_on: String,
    reason: String,
}

/// Lifts a restriction from a later day, from the request page; the person is told at once.
pub async fn lift(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(RequestId, TaskId)>,
    CsrfForm { input, fresh, csrf }: CsrfForm<LiftForm>,
) -> Result<HttpResponse, PageError> {
    let (id, task_id) = path.into_inner();
    let call = recipients::lift_restriction(
        &state,
        &who.staff,
        id.clone(),
        task_id.clone(),
        &input.lifted_on,
        &input.reason,
    );
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "tasks", |back| {
        let typed = vec![("lifted_on", input.lifted_on), ("reason", input.reason)];
        task_feedback(&back, &tr, &task_id, typed)
    })
    .await
}

/// Lifting a restriction.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftBody {
    /// The day the restriction ends, after today (`lift_not_after_today`): the person is told now.
    #[schema(format = Date, example = "2026-06-01")]
    lifted_on: String,
    /// Why it is lifted, at most 2,000 characters; the person reads it.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    reason: String,
}

/// The day a restriction ends.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Lifted {
    pub lifted_on: chrono::NaiveDate,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/tasks/{task_id}/lift", tag = "systems", operation_id = "liftRestriction",
    description = "Lift a restriction from a day after today; the person is told now, before it ends (GDPR Art. 18(3))",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("task_id" = String, Path, description = "The restriction task's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    request_body(
        content = LiftBody,
        description = "When the restriction ends, and why",
        example = json!({"lifted_on": "2026-06-01", "reason": "The accuracy of the data has been verified."})
    ),
    responses(
        (status = 200, description = "Lifting recorded; the person's notice is queued", body = Lifted,
         example = json!({"lifted_on": "2026-06-01"})),
        (status = 409, description = "`version_conflict`: the task changed meanwhile", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `lifted_on` `invalid_date`, `lift_not_after_today` or `not_restricted` (the task ended otherwise, or is lifted already); `reason` `required`, `too_long` or `invalid_characters`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn lift_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, TaskId)>,
    body: super::body::ApiJson<LiftBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?.into_inner();
    let (id, task_id) = path.into_inner();
    let day = recipients::lift_restriction(
        &state,
        &who.staff,
        id,
        task_id,
        &body.lifted_on,
        &body.reason,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Lifted { lifted_on: day }))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct WithholdForm {
    ground: String,
    /// `withhold` or `restore`.
    action: String,
}

/// Withholds a system's export from the answer on a ground, or puts it back, from the request page.
pub async fn withhold(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(RequestId, TaskId)>,
    CsrfForm { input, fresh, csrf }: CsrfForm<WithholdForm>,
) -> Result<HttpResponse, PageError> {
    let (id, task_id) = path.into_inner();
    let call = async {
        let ground = match input.action.as_str() {
            "withhold" => Some(input.ground.clone()),
            "restore" => None,
            _ => return Err(AppError::invalid("ground", "unknown_action")),
        };
        review::withhold(&state, &who.staff, id.clone(), task_id.clone(), ground).await
    };
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "tasks", |back| {
        task_feedback(&back, &tr, &task_id, vec![("ground", input.ground)])
    })
    .await
}

/// Leaving an export out of the answer, or putting it back.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithholdBody {
    /// `true` leaves the export out of the answer, `false` puts it back.
    withhold: bool,
    /// Why (required to withhold; ignored to put back), at most 500 characters; the answer quotes it.
    #[serde(default)]
    #[schema(
        max_length = 500,
        example = "The export holds another customer's order history."
    )]
    ground: String,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/tasks/{task_id}/withhold", tag = "systems", operation_id = "withholdExport",
    description = "Review before release: leave a system's export out of the answer on a ground (another person's data), or put it back",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("task_id" = String, Path, description = "The export task's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    request_body(
        content = WithholdBody,
        description = "Withhold (with the ground) or put back",
        example = json!({"withhold": true, "ground": "The export holds another customer's order history."})
    ),
    responses(
        (status = 204, description = "Done"),
        (status = 409, description = "`version_conflict`: the task changed meanwhile", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `ground` `required`, `too_long`, `invalid_characters`, `answer_released` (the request is closed or its reply released) or `not_an_export`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn withhold_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, TaskId)>,
    body: super::body::ApiJson<WithholdBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?.into_inner();
    let (id, task_id) = path.into_inner();
    let ground = body.withhold.then_some(body.ground);
    review::withhold(&state, &who.staff, id, task_id, ground).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The answer package as it would go out now (a ZIP), for the officer to check before release.
pub async fn preview(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    id: web::Path<RequestId>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let bytes = review::preview(&state, &who.staff, id.clone()).await?;
    Ok(zip_response(&id, bytes))
}

#[utoipa::path(
    get, path = "/api/v1/requests/{id}/package-preview", tag = "systems", operation_id = "previewPackage",
    description = "The answer package as it would go out now, for review before release; audited",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    responses(
        (status = 200, description = "The package (a ZIP archive, as an attachment)",
         content((super::documents::FileBytes = "application/zip"))),
        (status = 404, description = "`not_found`: no such request, or its right is answered without a package", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn preview_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let bytes = review::preview(&state, &who.staff, id.clone()).await?;
    Ok(zip_response(&id, bytes))
}

fn zip_response(id: &RequestId, bytes: Vec<u8>) -> HttpResponse {
    // The name is kaiji's own (ids are [0-9a-z-]).
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"kaiji-answer-preview-{}.zip\"",
                id.as_str()
            ),
        ))
        .body(bytes)
}

#[derive(askama::Template)]
#[template(path = "pages/staff/task.html")]
pub struct TaskPageView {
    pub tr: Tr,
    pub csrf: String,
    pub staff: crate::app::staff::StaffMember,
    pub p: systems::TaskPage,
    pub problem: Option<String>,
    pub moved: bool,
    /// What was typed, after a refusal.
    pub kept: Vec<(String, String)>,
}

impl TaskPageView {
    pub fn task_outcomes(&self, kind: &str) -> Vec<(&'static str, String)> {
        super::staff::outcomes_of(&self.tr, kind)
    }

    pub fn takes_legal_ground(&self, kind: &str) -> bool {
        super::staff::takes_legal_ground(kind)
    }

    pub fn correction_rows(&self) -> std::ops::RangeInclusive<usize> {
        1..=super::staff::CORRECTION_ROWS
    }

    pub fn task_input(&self, _task_id: &str, field: &str) -> &str {
        self.kept
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

#[derive(Deserialize)]
pub struct TaskQuery {
    #[serde(default)]
    moved: Option<String>,
}

/// One task, as its system's owner (or an officer) works it.
pub async fn task_page(
    state: web::Data<AppState>,
    who: Authorized<WorkTasks>,
    tr: Tr,
    csrf: Csrf,
    task_id: web::Path<TaskId>,
    query: web::Query<TaskQuery>,
) -> Result<HttpResponse, PageError> {
    let p = systems::task_page(&state, &who.staff, task_id.into_inner(), tr.lang).await?;
    render(
        StatusCode::OK,
        &TaskPageView {
            tr,
            csrf: csrf.token(),
            staff: who.staff,
            p,
            problem: None,
            moved: query.moved.is_some(),
            kept: Vec::new(),
        },
    )
}
