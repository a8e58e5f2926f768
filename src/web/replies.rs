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
use super::session::{ApiStaff, Authorized, WorkRequests};
use super::staff::{ChangeForm, Feedback, request_page};
use super::{outcome, redirect, render};
use crate::app::AppState;
use crate::app::documents::{self, FilePurpose};
use crate::app::reply::{self, DownloadView, LetterView};
use crate::domain::reply::RawChange;
use crate::i18n::Tr;
use crate::i18n::letter::ja_date;

#[derive(Template)]
#[template(path = "pages/staff/letter.html")]
pub struct LetterPage {
    pub v: LetterView,
    /// Where the same letter downloads as a PDF.
    pub pdf: String,
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
        use crate::domain::addressee::Regarding;
        self.v.addressee.regarding.as_ref().map(|r| match r {
            Regarding::Person { name, legal: true } => format!("（{name}　様の法定代理人として）"),
            Regarding::Person { name, legal: false } => format!("（{name}　様の代理人として）"),
            Regarding::Agent { name, legal: true } => format!("（法定代理人　{name}　様）"),
            Regarding::Agent { name, legal: false } => format!("（代理人　{name}　様）"),
        })
    }
}

/// The addressee block of a letter: address lines, the name with 様, and whom it concerns.
fn addressee_lines(page: &LetterPage) -> Vec<String> {
    let a = &page.v.addressee;
    let mut lines: Vec<String> = a
        .address
        .as_deref()
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    lines.push(format!("{}　様", a.name));
    lines.extend(page.regarding());
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
    let page = LetterPage {
        v,
        pdf: String::new(),
    };
    let filename = format!("letter-{}-{notice_id}.pdf", page.v.receipt_number);
    let sheet = crate::i18n::pdf::LetterSheet {
        date: page.date(),
        receipt_number: page.v.receipt_number.clone(),
        to: addressee_lines(&page),
        from: page
            .v
            .desk
            .as_deref()
            .map(|d| d.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
        letter: page.v.letter.clone(),
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
    path: web::Path<(RequestId, NoticeId)>,
) -> Result<HttpResponse, PageError> {
    let (id, notice_id) = path.into_inner();
    let pdf = format!("/staff/requests/{id}/letters/{notice_id}/pdf");
    let v = reply::letter(&state, &who.staff, id, notice_id).await?;
    render(StatusCode::OK, &LetterPage { v, pdf })
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
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect(&format!("/staff/requests/{id}?moved=1#changes"))),
        Err(back) => {
            let feedback = Feedback {
                status: back.status(),
                problem: back.summary(tr),
                change: ChangeForm {
                    input: input.change,
                    errors: back.into_errors(),
                },
                ..Default::default()
            };
            request_page(&state, who.staff, tr, &csrf, id, feedback).await
        }
    }
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/changes", tag = "replies",
    description = "Record what a correction, deletion or stop of use changed: `{\"item\", \"prior_value\"?, \"new_value\"?}`",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 201, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn change_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<RawChange>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let row = reply::record_change(&state, &who.staff, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(row))
}

/// The reply itself (PDF or image) as the request body; judged by its bytes, stored encrypted.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/reply-file", tag = "replies",
    description = "Upload the reply to release for download (PDF, JPEG or PNG body, judged by content)",
    params(("id" = String, Path)),
    request_body(content = String),
    responses((status = 201, body = Object), (status = "4XX", body = super::error::ErrorBody)),
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
    Ok(HttpResponse::Created().json(serde_json::json!({"file_id": file_id})))
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
    post, path = "/api/v1/requests/{id}/downloads/{download_id}/revoke", tag = "replies",
    description = "Withdraw a released download link",
    params(("id" = String, Path), ("download_id" = String, Path)),
    responses((status = 204, description = "Done"), (status = "4XX", body = super::error::ErrorBody)),
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
    post, path = "/api/v1/requests/{id}/notices/{notice_id}/retry", tag = "requests",
    description = "Queue a notice that failed every delivery attempt once more",
    params(("id" = String, Path), ("notice_id" = String, Path)),
    responses((status = 204, description = "Queued"), (status = "4XX", body = super::error::ErrorBody)),
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The officer's or admin's email; null to unassign.
    assignee: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/assignee", tag = "requests",
    description = "Assign the request to an officer or admin (by email; null unassigns); they are told by email",
    params(("id" = String, Path)),
    request_body = AssignBody,
    responses((status = 204, description = "Assigned"), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn assign_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<RequestId>,
    body: super::body::ApiJson<AssignBody>,
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
