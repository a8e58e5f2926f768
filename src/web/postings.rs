//! Recording that a printed letter was posted: from the request page's notices, or the API.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::error::PageError;
use super::outcome::{self, PageOf};
use super::session::{Authorized, WorkRequests};
use super::staff::Feedback;
use crate::app::AppState;
use crate::domain::ids::{NoticeId, RequestId};
use crate::domain::posting::RawPosting;
use crate::i18n::Tr;

#[derive(Deserialize)]
pub struct PostingForm {
    #[serde(flatten)]
    posting: RawPosting,
}

pub async fn record(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(RequestId, NoticeId)>,
    CsrfForm { input, fresh, csrf }: CsrfForm<PostingForm>,
) -> Result<HttpResponse, PageError> {
    let (id, notice_id) = path.into_inner();
    let call = crate::app::postings::record_posting(
        &state,
        &who.staff,
        id.clone(),
        notice_id.clone(),
        input.posting.clone(),
    );
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "notices", |back| {
        let p = input.posting;
        let fields = ["posted_on", "mail_class", "tracking_number"];
        Feedback::beside(back, &tr, &fields).keeping(
            format!("posting-{notice_id}"),
            vec![
                ("posted_on", p.posted_on),
                ("mail_class", p.mail_class),
                ("tracking_number", p.tracking_number),
            ],
        )
    })
    .await
}

/// A printed letter's posting.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostingBody {
    /// The day it was posted, not before the letter was printed (`before_the_letter`) nor after today
    /// (`date_in_future`); `YYYY/MM/DD` is read too.
    #[schema(format = Date, example = "2026-04-20")]
    posted_on: String,
    /// How it was posted.
    #[schema(value_type = PostedMailClass)]
    mail_class: String,
    /// Japan Post's tracking number (お問い合わせ番号: 11 or 12 digits with their check digit, hyphens
    /// and spaces allowed), required for registered mail, checked when given for ordinary mail.
    #[serde(default)]
    #[schema(max_length = 40, example = "131-12-38385-2")]
    tracking_number: String,
}

/// The mail classes a printed letter may be posted by.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PostedMailClass {
    /// 簡易書留郵便 (tracking number required)
    SimpleRegistered,
    /// 配達証明付書留郵便 (tracking number required)
    RegisteredWithDeliveryCertificate,
    /// 普通郵便
    Ordinary,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/letters/{notice_id}/posted", tag = "requests", operation_id = "recordLetterPosted",
    description = "Record that a printed letter was posted: the day, the mail class and, for registered mail, the tracking number; once per letter, audited (`letter.posted`)",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("notice_id" = String, Path, description = "The letter's notice id (a notice of the request whose channel is `letter`)", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    request_body(
        content = PostingBody,
        description = "When and how the letter was posted",
        example = json!({"posted_on": "2026-04-20", "mail_class": "simple_registered", "tracking_number": "131-12-38385-2"})
    ),
    responses(
        (status = 201, description = "Recorded: the posting as kept (the tracking number as printed on the receipt)", body = crate::app::postings::Posted,
         example = json!({"posted_on": "2026-04-20", "mail_class": "simple_registered", "tracking_number": "131-12-38385-2"})),
        (status = 404, description = "`not_found`: no such request, or no such notice on it", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `posted_on` `required`, `invalid_date`, `date_in_future`, `before_the_letter`, `already_posted`, `not_a_letter`; `mail_class` `required`, `unknown_mail_class`; `tracking_number` `required`, `invalid_characters`, `tracking_number_length`, `tracking_number_check_digit`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, NoticeId)>,
    body: super::body::ApiJson<PostingBody>,
) -> Result<HttpResponse, super::error::ApiError> {
    let body = body.parse()?.into_inner();
    let (id, notice_id) = path.into_inner();
    let posted = crate::app::postings::record_posting(
        &state,
        &who.staff,
        id,
        notice_id,
        RawPosting {
            posted_on: body.posted_on,
            mail_class: body.mail_class,
            tracking_number: body.tracking_number,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(posted))
}
