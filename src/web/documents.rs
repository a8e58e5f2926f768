//! Staff pages for a letter's enclosures: recording identity documents (with their scans), uploading
//! scanned pages, and opening stored files (every opening audited).

use crate::config::UploadKind;
use crate::domain::ids::{EvidenceId, FileId, RequestId};
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::csrf::Csrf;
use super::error::{ApiError, PageError, WebError, app_status_and_code};
use super::outcome::{self, Back, PageOf};
use super::session::{ApiStaff, Authorized, WorkRequests};
use super::staff::{DocumentForm, Feedback};
use super::uploads;
use crate::app::documents::{self, RawDocument};
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::domain::documents::Checklist;
use crate::i18n::Tr;

/// A refusal shows on the request page with the document form refilled; a fault on our side, or a
/// request that is not there, is an error page.
fn shown_on_the_page(e: &AppError) -> bool {
    let status = app_status_and_code(e).0;
    !status.is_server_error() && status != StatusCode::NOT_FOUND
}

fn feedback_for(tr: Tr, back: Back, input: RawDocument) -> Feedback {
    let status = back.status();
    let (problem, errors) = match back {
        Back::Invalid(errors) => (tr.t("form-errors-summary"), errors),
        Back::Refused(AppError::Conflict) => (tr.t("request-conflict"), FieldErrors::new()),
        Back::Refused(other) => (other.to_string(), FieldErrors::new()),
        Back::Expired => (tr.t("form-expired"), FieldErrors::new()),
    };
    Feedback {
        status,
        problem: Some(problem),
        document: DocumentForm { input, errors },
        ..Default::default()
    }
}

/// An identity document read from the envelope, with an optional scan (multipart form).
pub async fn record(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    id: web::Path<RequestId>,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (input, answer) = match uploads::read(
        payload,
        state.config.http.upload_limit(UploadKind::Scan),
        &csrf,
    )
    .await
    {
        Ok(upload) => {
            let input = RawDocument {
                kind: upload.text("kind"),
                holder: upload.text("holder"),
                original: upload.text("original"),
                created_on: upload.text("created_on"),
            };
            // A foreign form or a damaged page (no version) comes back as after someone else's change.
            let checked = upload.fresh;
            let version = upload.text("expected_version").trim().parse::<i64>();
            let file = upload.file;
            let call = async {
                let (true, Ok(version)) = (checked, version) else {
                    return Err(AppError::Conflict);
                };
                let doc = input.clone();
                documents::record_document(&state, &who.staff, id.clone(), version, doc, file).await
            };
            let answer = outcome::of_showing(true, call, shown_on_the_page).await?;
            (input, answer)
        }
        Err(WebError::App(AppError::Invalid(errors))) => {
            (RawDocument::default(), Err(Back::Invalid(errors)))
        }
        Err(e) => return Err(e.into()),
    };
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "documents", |back| feedback_for(tr, back, input))
        .await
}

/// A scanned page of the letter or form.
pub async fn scan(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    id: web::Path<RequestId>,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    // The purpose is a field of the same form: the larger of the two limits bounds the read, and the
    // app holds the file to its purpose's own.
    let http = &state.config.http;
    let limit = http
        .upload_limit(UploadKind::Scan)
        .max(http.upload_limit(UploadKind::Reply));
    let answer = match uploads::read(payload, limit, &csrf).await {
        Ok(upload) => {
            // A foreign form comes back as after someone else's change, as on the document form.
            let checked = upload.fresh;
            let purpose = if upload.text("purpose") == "reply" {
                documents::FilePurpose::Reply
            } else {
                documents::FilePurpose::Scan
            };
            let call = async {
                if !checked {
                    return Err(AppError::Conflict);
                }
                let Some(bytes) = upload.file else {
                    return Err(AppError::invalid("file", "required"));
                };
                documents::store_upload(&state, &who.staff, id.clone(), purpose, bytes).await
            };
            outcome::of_showing(true, call, shown_on_the_page).await?
        }
        Err(WebError::App(e)) => Err(Back::from_error(e, shown_on_the_page)?),
        Err(e) => return Err(e.into()),
    };
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "files", |back| {
        // The scan form's one field is the file: its problem is the page's.
        let mut feedback = feedback_for(tr, back, RawDocument::default());
        if let Some(code) = feedback.document.errors.code_for("file") {
            feedback.problem = Some(tr.field_error(code));
        }
        feedback.document.errors = FieldErrors::new();
        feedback
    })
    .await
}

/// Opens a stored file. Served with a sandboxing policy and never cached.
pub async fn view(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    path: web::Path<(RequestId, FileId)>,
) -> Result<HttpResponse, PageError> {
    let (id, file_id) = path.into_inner();
    let (media_type, bytes) = documents::view_file(&state, &who.staff, id, file_id).await?;
    Ok(sealed_file_response(media_type, bytes))
}

/// Opens what a requester sent (data points, an identity document, an authorisation).
pub async fn view_evidence(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    path: web::Path<(RequestId, EvidenceId)>,
) -> Result<HttpResponse, PageError> {
    let (id, evidence_id) = path.into_inner();
    let (media_type, bytes) =
        crate::app::evidence::open(&state, &who.staff, id, evidence_id).await?;
    Ok(sealed_file_response(media_type, bytes))
}

/// A file's bytes, as sent or served (not JSON).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct FileBytes(Vec<u8>);

/// Offered data points as the requester typed them, by name (`account_id`, `phone`, `postal_code`,
/// `last_order`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct OfferedPointsJson {
    #[schema(example = json!({"account_id": "C-10293", "postal_code": "100-0001"}))]
    points: std::collections::BTreeMap<String, String>,
}

/// The same through the API (an API token instead of a session).
#[utoipa::path(
    get, path = "/api/v1/requests/{id}/evidence/{evidence_id}", tag = "requests", operation_id = "viewEvidence",
    description = "What the requester sent to prove identity or an agent's authority: offered data points as JSON, a document or an authorisation as the file (PDF, JPEG or PNG); every opening is audited",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("evidence_id" = String, Path, description = "The evidence's id (as the request's `evidence` lists it)", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    responses(
        (status = 200, description = "The contents, served inline and never cached",
         content(
             (OfferedPointsJson = "application/json", example = json!({"points": {"account_id": "C-10293", "postal_code": "100-0001"}})),
             (FileBytes = "application/pdf"),
             (FileBytes = "image/jpeg"),
             (FileBytes = "image/png"),
         )),
        (status = 410, description = "`file_purged`: erased after the identity decision", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn view_evidence_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, EvidenceId)>,
) -> Result<HttpResponse, ApiError> {
    let (id, evidence_id) = path.into_inner();
    let (media_type, bytes) =
        crate::app::evidence::open(&state, &who.staff, id, evidence_id).await?;
    Ok(sealed_file_response(media_type, bytes))
}

/// A decrypted file, served with a sandboxing policy and never cached.
fn sealed_file_response(media_type: String, bytes: Vec<u8>) -> HttpResponse {
    let ext = match media_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "application/json" => "json",
        _ => "jpg",
    };
    HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"document.{ext}\""),
        ))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'none'",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

/// An identity document read from the envelope.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// The request's `version` as last read (else 409 `version_conflict`).
    expected_version: i64,
    /// The kind, as the procedure's document catalogue names it (`drivers_license`, `juminhyo`, …; else
    /// `unknown_document_kind`).
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 64,
        example = "drivers_license"
    )]
    kind: String,
    /// Whose document it is.
    #[serde(default)]
    #[schema(required = true, value_type = crate::domain::documents::Holder)]
    holder: String,
    /// The original, not a copy.
    #[serde(default)]
    original: bool,
    /// The date the document was created or issued, as printed on it (`YYYY-MM-DD` or `YYYY/MM/DD`);
    /// empty when it has none.
    #[serde(default)]
    #[schema(max_length = 10, example = "2026-03-01")]
    created_on: String,
}

/// A recorded (or rejected) identity document, and the checklist it leaves.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DocumentRecorded {
    pub document_id: String,
    /// The request's new version.
    pub version: i64,
    pub checklist: Checklist,
}

/// The same through the API (without a scan).
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/documents", tag = "postal", operation_id = "recordDocument",
    description = "Record an identity document from the envelope (without a scan); the checklist is returned",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = DocumentBody,
        description = "The document as read, at the version read",
        example = json!({"expected_version": 3, "kind": "drivers_license", "holder": "principal", "original": false, "created_on": "2026-03-01"})
    ),
    responses(
        (status = 200, description = "Recorded: the document's id, the request's new version and the checklist as it now stands", body = DocumentRecorded,
         example = json!({
             "document_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e90",
             "version": 4,
             "checklist": {
                 "items": [{
                     "requirement": {"holder": "principal", "one_of": ["my_number_card", "drivers_license", "passport"], "original": false, "fresh": false},
                     "document_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e90",
                     "problem": null
                 }],
                 "complete": true,
                 "fresh": true
             }
         })),
        (status = 404, description = "`not_found`: no such request, or its procedure takes no identity documents", body = super::error::ErrorBody),
        (status = 409, description = "`version_conflict`: the request changed since `expected_version` was read, or it is closed", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `kind` `required`, `unknown_document_kind`; `holder` `required`; `created_on` `invalid_date`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<DocumentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let b = body.into_inner();
    let input = RawDocument {
        kind: b.kind,
        holder: b.holder,
        original: if b.original {
            "true".into()
        } else {
            String::new()
        },
        created_on: b.created_on,
    };
    let out = documents::record_document(
        &state,
        &who.staff,
        id.into_inner(),
        b.expected_version,
        input,
        None,
    )
    .await?;
    Ok(HttpResponse::Ok().json(DocumentRecorded {
        document_id: out.document_id.into_string(),
        version: out.version,
        checklist: out.checklist,
    }))
}
