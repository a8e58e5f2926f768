//! Replies on the web: the printable letter of each notice, the changes an answer made, the reply file,
//! and the requester's expiring download page.

use crate::config::UploadKind;
use crate::domain::ids::{DownloadId, NoticeId, RequestId};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{Button, CheckedForm, Csrf, CsrfForm};
use super::error::{ApiError, PageError};
use super::language;
use super::outcome::{self, PageOf};
use super::session::{ApiStaff, Authorized, WorkRequests};
use super::staff::{ChangeForm, Feedback};
use super::{redirect, render};
use crate::app::AppState;
use crate::app::documents::{self, FilePurpose};
use crate::app::reply::{self, DownloadView, LetterView, RecordedChange};
use crate::domain::reply::RawChange;
use crate::i18n::Tr;
use crate::i18n::letter::ja_date;

#[derive(Template)]
#[template(path = "pages/staff/letter.html")]
pub struct LetterPage {
    pub v: LetterView,
    /// Where the same letter downloads as a PDF.
    pub pdf: String,
    /// The officer's own language, for the line above the sheet (the letter is in the requester's).
    pub tr: Tr,
}

impl LetterPage {
    pub fn date(&self) -> String {
        ja_date(self.v.sent_on)
    }

    pub fn pdf_path(&self) -> &str {
        &self.pdf
    }

    /// A 記 section follows 敬具: the particulars, the list and the notes, closed by 以上.
    pub fn has_particulars(&self) -> bool {
        let l = &self.v.letter;
        !l.rows.is_empty() || l.list_heading.is_some() || !l.notes.is_empty()
    }

    /// The line under the addressee's name naming the other party of an agent's case.
    pub fn regarding(&self) -> Option<String> {
        regarding(&self.v)
    }
}

/// The line under the addressee's name naming the other party of an agent's case.
fn regarding(v: &LetterView) -> Option<String> {
    use crate::domain::addressee::Regarding;
    v.addressee.regarding.as_ref().map(|r| match r {
        Regarding::Person { name, legal: true } => format!("（{name}　様の法定代理人として）"),
        Regarding::Person { name, legal: false } => format!("（{name}　様の代理人として）"),
        Regarding::Agent { name, legal: true } => format!("（法定代理人　{name}　様）"),
        Regarding::Agent { name, legal: false } => format!("（代理人　{name}　様）"),
    })
}

/// The addressee block of a letter: address lines, the name with 様, and whom it concerns.
fn addressee_lines(v: &LetterView) -> Vec<String> {
    let a = &v.addressee;
    let mut lines: Vec<String> = a
        .address
        .as_deref()
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    lines.push(format!("{}　様", a.name));
    lines.extend(regarding(v));
    lines
}

/// The letter for one notice as an A4 PDF (selectable text, the font's subset embedded), its
/// addressee inside the envelope window the settings give.
pub async fn letter_pdf(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    path: web::Path<(RequestId, NoticeId)>,
) -> Result<HttpResponse, PageError> {
    let (id, notice_id) = path.into_inner();
    let v = reply::letter(&state, &who.staff, id, notice_id.clone()).await?;
    let filename = format!("letter-{}-{notice_id}.pdf", v.receipt_number);
    let sheet = crate::i18n::pdf::LetterSheet {
        date: ja_date(v.sent_on),
        receipt_number: v.receipt_number.clone(),
        to: addressee_lines(&v),
        from: v
            .desk
            .as_deref()
            .map(|d| d.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
        letter: v.letter,
    };
    pdf_response(&state, sheet, &filename).await
}

/// A letter sheet as an A4 PDF download, its addressee inside the envelope window the settings give.
pub(super) async fn pdf_response(
    state: &AppState,
    sheet: crate::i18n::pdf::LetterSheet,
    filename: &str,
) -> Result<HttpResponse, PageError> {
    let window = state.config.intake.letter_window();
    let pdf = web::block(move || crate::i18n::pdf::letter_pdf(&sheet, window))
        .await
        .map_err(|_| crate::app::AppError::Definition("the PDF task was cancelled".into()))?
        .map_err(|e| crate::app::AppError::Definition(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(pdf))
}

/// The letter for one notice, as an A4 page to print and post.
pub async fn letter(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(RequestId, NoticeId)>,
) -> Result<HttpResponse, PageError> {
    let (id, notice_id) = path.into_inner();
    let pdf = format!("/staff/requests/{id}/letters/{notice_id}/pdf");
    let v = reply::letter(&state, &who.staff, id, notice_id).await?;
    render(StatusCode::OK, &LetterPage { v, pdf, tr })
}

#[derive(Deserialize)]
pub struct ChangeFormBody {
    #[serde(flatten)]
    change: RawChange,
}

pub async fn change(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<RequestId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<ChangeFormBody>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let call = reply::record_change(&state, &who.staff, id.clone(), input.change.clone());
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "changes", |back| Feedback {
        status: back.status(),
        problem: back.summary(tr),
        change: ChangeForm {
            input: input.change,
            errors: back.into_errors(),
        },
        ..Default::default()
    })
    .await
}

/// What a correction, deletion or stop of use changed.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    /// What was changed, in the requester's terms (e.g. "住所", "Email address"), at most 200 characters.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    item: String,
    /// The value before, at most 2,000 characters: required for a correction, ignored otherwise.
    #[serde(default)]
    #[schema(max_length = 2000)]
    prior_value: String,
    /// The value after, at most 2,000 characters: required for a correction, ignored otherwise.
    #[serde(default)]
    #[schema(max_length = 2000)]
    new_value: String,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/changes", tag = "replies", operation_id = "recordChanges",
    description = "Record what a correction, deletion or stop of use changed (once identity is verified, before the reply goes out)",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = ChangeBody,
        description = "The item changed, with its values before and after for a correction",
        example = json!({"item": "住所", "prior_value": "東京都千代田区千代田1-1", "new_value": "東京都港区芝公園4-2-8"})
    ),
    responses(
        (status = 201, description = "Recorded: the change as the answer will report it", body = RecordedChange,
         example = json!({
             "id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e91",
             "request_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f",
             "action": "corrected",
             "item": "住所",
             "prior_value": "東京都千代田区千代田1-1",
             "new_value": "東京都港区芝公園4-2-8",
             "recorded_by": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e00",
             "recorded_at": "2026-04-20T02:00:00Z",
             "task_id": null
         })),
        (status = 422, description = "`validation_failed`: `item` `required`, `too_long`, `invalid_characters`, `no_changes_for_type` (the right records no changes), `not_now` (identity not verified, the request closed or the reply gone out); `prior_value`, `new_value` `required`, `too_long`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn change_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<ChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.parse()?.into_inner();
    let raw = RawChange {
        item: b.item,
        prior_value: b.prior_value,
        new_value: b.new_value,
    };
    let change = reply::record_change(&state, &who.staff, id.into_inner(), raw).await?;
    Ok(HttpResponse::Created().json(change))
}

/// A stored reply file.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ReplyFileStored {
    /// The stored file's id; releasing the reply offers it for download.
    pub file_id: String,
}

/// The reply itself (PDF or image) as the request body; judged by its bytes, stored encrypted.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/reply-file", tag = "replies", operation_id = "uploadReplyFile",
    description = "Upload the reply to release for download: a PDF, JPEG or PNG, judged by its content (whatever the Content-Type says), stored encrypted",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        description = "The file's bytes",
        content(
            (super::documents::FileBytes = "application/pdf"),
            (super::documents::FileBytes = "image/jpeg"),
            (super::documents::FileBytes = "image/png"),
        )
    ),
    responses(
        (status = 201, description = "Stored", body = ReplyFileStored,
         example = json!({"file_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e92"})),
        (status = 422, description = "`validation_failed`: `file` `file_empty`, `file_type` (not a PDF, JPEG or PNG) or `file_too_large`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reply_file_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limit = state.config.http.upload_limit(UploadKind::Reply);
    let body = super::uploads::body(payload, limit).await?;
    let file_id = documents::store_upload(
        &state,
        &who.staff,
        id.into_inner(),
        FilePurpose::Reply,
        body,
    )
    .await?;
    Ok(HttpResponse::Created().json(ReplyFileStored { file_id }))
}

#[derive(Template)]
#[template(path = "pages/public/download.html")]
pub struct DownloadPage {
    pub tr: Tr,
    pub csrf: String,
    pub link: String,
    pub v: DownloadView,
}

impl DownloadPage {
    pub fn expires(&self) -> String {
        self.tr.time(&self.v.expires_at)
    }
}

/// What the requester sees on opening the link: the reply is fetched only by pressing the button, so a
/// mail scanner following the link does not count as the download that closes the request.
pub async fn download_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: Csrf,
    link: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let link = link.into_inner();
    let v = reply::download_view(&state, link.clone()).await?;
    let tr = Tr::new(language::chosen(&req).unwrap_or(v.language));
    render(
        StatusCode::OK,
        &DownloadPage {
            tr,
            csrf: csrf.token(),
            link,
            v,
        },
    )
}

pub async fn download_file(
    state: web::Data<AppState>,
    link: web::Path<String>,
    _form: CheckedForm<Button>,
) -> Result<HttpResponse, PageError> {
    let (media_type, bytes, name) = reply::download(&state, link.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

/// Withdraws a released download link from the request page.
pub async fn revoke(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    path: web::Path<(RequestId, DownloadId)>,
    _form: CheckedForm<Button>,
) -> Result<HttpResponse, PageError> {
    let (id, download_id) = path.into_inner();
    reply::revoke_download(&state, &who.staff, id.clone(), download_id).await?;
    Ok(redirect(&format!("/staff/requests/{id}?moved=1")))
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/downloads/{download_id}/revoke", tag = "replies", operation_id = "revokeDownload",
    description = "Withdraw a released download link: it no longer serves the reply",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("download_id" = String, Path, description = "The download's id (as the request's `reply.downloads` lists it)", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 404, description = "`not_found`: no such request, or no download of it with this id that is still open", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, DownloadId)>,
) -> Result<HttpResponse, ApiError> {
    let (id, download_id) = path.into_inner();
    reply::revoke_download(&state, &who.staff, id, download_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Queues a notice that failed every attempt once more (the request page's button).
pub async fn retry_notice(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    path: web::Path<(RequestId, NoticeId)>,
    _form: CheckedForm<Button>,
) -> Result<HttpResponse, PageError> {
    let (id, notice_id) = path.into_inner();
    crate::app::notices::retry_failed(
        &state,
        &who.staff,
        crate::app::notices::NoticeOwner::Request(id.clone()),
        notice_id,
    )
    .await?;
    Ok(redirect(&format!("/staff/requests/{id}?moved=1#notices")))
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/notices/{notice_id}/retry", tag = "requests", operation_id = "retryNotice",
    description = "Queue a notice that failed every delivery attempt once more",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("notice_id" = String, Path, description = "The notice's id (as the request's `notices` lists it)", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    responses(
        (status = 204, description = "Queued again"),
        (status = 404, description = "`not_found`: no such request, or no failed notice of it with this id", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retry_notice_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, NoticeId)>,
) -> Result<HttpResponse, ApiError> {
    let (id, notice_id) = path.into_inner();
    crate::app::notices::retry_failed(
        &state,
        &who.staff,
        crate::app::notices::NoticeOwner::Request(id),
        notice_id,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    assignee: String,
}

/// Assigns the request from its page (empty: nobody).
pub async fn assign(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    path: web::Path<RequestId>,
    form: CheckedForm<AssignForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let form = form.0;
    crate::app::requests::assign(&state, &who.staff, id.clone(), Some(form.assignee)).await?;
    Ok(redirect(&format!("/staff/requests/{id}?moved=1")))
}

/// Whom the request is assigned to.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneeBody {
    /// The officer's or admin's email (any case); null or empty to unassign.
    #[schema(example = "officer@example.com")]
    assignee: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/assignee", tag = "requests", operation_id = "assignRequest",
    description = "Assign the request to an officer or admin (by email; null unassigns); they are told by email",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = AssigneeBody,
        description = "The assignee, or null",
        example = json!({"assignee": "officer@example.com"})
    ),
    responses(
        (status = 204, description = "Assigned (or unassigned)"),
        (status = 422, description = "`validation_failed`: `assignee` `unknown_staff` (no active officer or admin has this email)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn assign_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<RequestId>,
    body: super::body::ApiJson<AssigneeBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    crate::app::requests::assign(
        &state,
        &who.staff,
        path.into_inner(),
        body.into_inner().assignee,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
