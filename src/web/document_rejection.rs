//! Rejecting a recorded identity document, with why: from the request page's document list, or the API.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::documents::DocumentRecorded;
use super::error::PageError;
use super::outcome::{self, PageOf};
use super::session::{Authorized, WorkRequests};
use super::staff::Feedback;
use crate::app::AppState;
use crate::app::document_rejection::reject_document;
use crate::domain::ids::{DocumentId, RequestId};
use crate::i18n::Tr;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RejectionForm {
    reason: String,
    expected_version: i64,
}

pub async fn reject(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(RequestId, DocumentId)>,
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
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "documents", |back| Feedback {
        kept_reason: Some((format!("reject-{document}"), input.reason)),
        ..Feedback::beside(back, &tr, &["reason"])
    })
    .await
}

/// Why a recorded identity document is rejected.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectionBody {
    /// Why the document is not accepted (at most 500 characters); quoted in the request for documents.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    reason: String,
    /// The request's `version` as last read (else 409 `version_conflict`).
    expected_version: i64,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/documents/{document_id}/reject", tag = "postal", operation_id = "rejectDocument",
    description = "Reject a recorded identity document with why: it keeps its record and reason, the checklist stops counting it (a document recorded in its place supersedes it), and the request for documents quotes the reason",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("document_id" = String, Path, description = "The recorded document's id (`document_id` as recording it answered)", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    request_body(
        content = RejectionBody,
        description = "Why, at the version read",
        example = json!({"reason": "The copy of the residence card is illegible.", "expected_version": 4})
    ),
    responses(
        (status = 200, description = "Rejected: the request's new version and the checklist after the rejection", body = super::documents::DocumentRecorded,
         example = json!({
             "document_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e90",
             "version": 5,
             "checklist": {
                 "items": [{
                     "requirement": {"holder": "principal", "one_of": ["residence_card", "drivers_license"], "original": false, "fresh": true},
                     "document_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e90",
                     "problem": {"problem": "rejected", "reason": "The copy of the residence card is illegible."}
                 }],
                 "complete": false,
                 "fresh": true
             }
         })),
        (status = 409, description = "`version_conflict`: the request changed since `expected_version` was read, or it is closed", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `reason` `required`, `too_long`, `invalid_characters`, `already_rejected` (or no such document on the request)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reject_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, DocumentId)>,
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
        document_id: out.document_id.into_string(),
        version: out.version,
        checklist: out.checklist,
    }))
}
