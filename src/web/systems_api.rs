//! A system owner's open tasks, as the API lists them.

use actix_web::{HttpResponse, web};

use super::error::ApiError;
use super::session::{ApiStaff, WorkTasks};
use crate::app::AppState;
use crate::app::systems;

/// An open task in one of the caller's systems.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MyTask {
    pub task_id: String,
    pub request_id: String,
    pub receipt_number: String,
    /// The data system's name.
    pub system: String,
    /// `export`, `erase`, `rectify`, `restrict`, `stop_processing` or `locate`.
    pub kind: String,
}

#[utoipa::path(
    get, path = "/api/v1/tasks", tag = "systems", operation_id = "listMyTasks",
    description = "The open tasks of the systems the caller owns (system owners), oldest first",
    responses(
        (status = 200, description = "The open tasks (an empty list when there are none)", body = Vec<MyTask>,
         example = json!([{
             "task_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e93",
             "request_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f",
             "receipt_number": "KJ-20260415-00000123",
             "system": "Customer database",
             "kind": "export"
         }])),
    ),
    security(("bearer" = []))
)]
pub async fn my_tasks_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkTasks>,
) -> Result<HttpResponse, ApiError> {
    let tasks: Vec<MyTask> = systems::my_tasks(&state, &who.staff)
        .await?
        .into_iter()
        .map(|t| MyTask {
            task_id: t.task_id.to_string(),
            request_id: t.request_id.to_string(),
            receipt_number: t.receipt_number,
            system: t.system,
            kind: t.kind,
        })
        .collect();
    Ok(HttpResponse::Ok().json(tasks))
}
