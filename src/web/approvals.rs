//! Four eyes on the web: a second officer approves an answer or refusal from the request page or the API.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::error::PageError;
use super::outcome::{self, PageOf};
use super::session::{Authorized, WorkRequests};
use super::staff::Feedback;
use crate::app::AppState;
use crate::domain::ids::RequestId;
use crate::i18n::Tr;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ApprovalForm {
    event: String,
    expected_version: i64,
}

/// A second officer approves an answer or refusal from the request page (four eyes).
pub async fn approve(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<RequestId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<ApprovalForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let call = crate::app::approvals::approve(
        &state,
        &who.staff,
        id.clone(),
        input.event.clone(),
        input.expected_version,
    );
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "actions", |back| {
        Feedback::beside(back, &tr, &["event"])
    })
    .await
}

/// A second officer's approval of an answer or refusal (four eyes).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalBody {
    /// The answering or refusing event approved (one the request could take now).
    #[schema(min_length = 1, example = "answer")]
    event: String,
    /// The version of the request approved: any later change makes the approval stale.
    expected_version: i64,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/approvals", tag = "requests", operation_id = "approveAction",
    description = "Four eyes: approve an answer or refusal of the request at its current version; another officer then sends it",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = ApprovalBody,
        description = "The event approved, at the version read",
        example = json!({"event": "answer", "expected_version": 5})
    ),
    responses(
        (status = 204, description = "Approved (approving again changes nothing)"),
        (status = 409, description = "`version_conflict`: the request changed since `expected_version` was read", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `event` `no_approval_needed` (the procedure has no four eyes, or the event does not answer or refuse from this state)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn approve_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<ApprovalBody>,
) -> Result<HttpResponse, super::error::ApiError> {
    let body = body.parse()?.into_inner();
    crate::app::approvals::approve(
        &state,
        &who.staff,
        id.into_inner(),
        body.event,
        body.expected_version,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
