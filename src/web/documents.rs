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
use super::outcome::{self, Back};
use super::redirect;
use super::session::{ApiStaff, Authorized, WorkRequests};
use super::staff::{DocumentForm, Feedback, request_page};
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
    match answer {
        Ok(_) => Ok(redirect(&format!("/staff/requests/{id}?moved=1#documents"))),
        Err(back) => {
            let feedback = feedback_for(tr, back, input);
            request_page(&state, who.staff, tr, &csrf, id, feedback).await
        }
    }
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
    match answer {
        Ok(_) => Ok(redirect(&format!("/staff/requests/{id}?moved=1#files"))),
        Err(back) => {
            // The scan form's one field is the file: its problem is the page's.
            let mut feedback = feedback_for(tr, back, RawDocument::default());
            if let Some(code) = feedback.document.errors.code_for("file") {
                feedback.problem = Some(tr.field_error(code));
            }
            feedback.document.errors = FieldErrors::new();
            request_page(&state, who.staff, tr, &csrf, id, feedback).await
        }
    }
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

/// The same through the API (an API token instead of a session).
#[utoipa::path(
    get, path = "/api/v1/requests/{id}/evidence/{evidence_id}", tag = "requests",
    params(("id" = String, Path), ("evidence_id" = String, Path)),
    responses((status = 200, description = "The contents: JSON for data points, else the file; the opening is audited"),
              (status = 410, description = "Erased after the identity decision"))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    expected_version: i64,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    original: bool,
    #[serde(default)]
    created_on: String,
}

#[derive(serde::Serialize)]
pub struct DocumentRecorded {
    pub document_id: String,
    pub version: i64,
    pub checklist: Checklist,
}

/// The same through the API (without a scan).
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/documents", tag = "postal",
    description = "Record an identity document from the envelope (kind, holder, original, created_on); the checklist is returned",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
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
        document_id: out.document_id,
        version: out.version,
        checklist: out.checklist,
    }))
}
