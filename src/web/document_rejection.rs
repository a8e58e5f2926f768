//! Rejecting a recorded identity document, with why: from the request page's document list, or the API.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::documents::DocumentRecorded;
use super::error::PageError;
use super::outcome;
use super::redirect;
use super::session::{Authorized, WorkRequests};
use super::staff::{Feedback, problem_beside, request_page};
use crate::app::AppState;
use crate::app::document_rejection::reject_document;
use crate::domain::ids::RequestId;
use crate::i18n::Tr;

#[derive(Deserialize)]
pub struct RejectionForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expected_version: i64,
}

pub async fn reject(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(RequestId, String)>,
    CsrfForm { input, fresh, csrf }: CsrfForm<RejectionForm>,
) -> Result<HttpResponse, PageError> {
    let (id, document) = path.into_inner();
    let call = reject_document(
        &state,
        &who.staff,
        id.clone(),
        input.expected_version,
        document.clone(),
        input.reason.clone(),
    );
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect(&format!("/staff/requests/{id}?moved=1#documents"))),
        Err(back) => {
            let feedback = Feedback {
                status: back.status(),
                problem: Some(problem_beside(back, &tr, &["reason"])),
                kept_reason: Some((format!("reject-{document}"), input.reason)),
                ..Default::default()
            };
            request_page(&state, who.staff, tr, &csrf, id, feedback).await
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectionBody {
    /// Why the document is not accepted (at most 500 characters); quoted in the request for documents.
    reason: String,
    expected_version: i64,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/documents/{document_id}/reject", tag = "postal",
    description = "Reject a recorded identity document with why: it keeps its record and reason, the checklist stops counting it (a document recorded in its place supersedes it), and the request for documents quotes the reason",
    params(("id" = String, Path), ("document_id" = String, Path)),
    request_body = RejectionBody,
    responses(
        (status = 200, description = "The checklist after the rejection", body = Object),
        (status = 409, description = "`conflict`: the request changed", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `reason` `required`, `too_long`, `already_rejected`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reject_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, String)>,
    body: super::body::ApiJson<RejectionBody>,
) -> Result<HttpResponse, super::error::ApiError> {
    let body = body.parse()?.into_inner();
    let (id, document) = path.into_inner();
    let out = reject_document(
        &state,
        &who.staff,
        id,
        body.expected_version,
        document,
        body.reason,
    )
    .await?;
    Ok(HttpResponse::Ok().json(DocumentRecorded {
        document_id: out.document_id,
        version: out.version,
        checklist: out.checklist,
    }))
}
