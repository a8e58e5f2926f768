//! Recording that a printed letter was posted: from the request page's notices, or the API.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::error::PageError;
use super::outcome;
use super::redirect;
use super::session::{Authorized, WorkRequests};
use super::staff::{Feedback, problem_beside, request_page};
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
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect(&format!("/staff/requests/{id}?moved=1#notices"))),
        Err(back) => {
            let p = input.posting;
            let feedback = Feedback {
                status: back.status(),
                problem: Some(problem_beside(
                    back,
                    &tr,
                    &["posted_on", "mail_class", "tracking_number"],
                )),
                kept_reason: Some((format!("posting-{notice_id}"), String::new())),
                kept_inputs: vec![
                    ("posted_on".to_owned(), p.posted_on),
                    ("mail_class".to_owned(), p.mail_class),
                    ("tracking_number".to_owned(), p.tracking_number),
                ],
                ..Default::default()
            };
            request_page(&state, who.staff, tr, &csrf, id, feedback).await
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostingBody {
    /// The day it was posted (YYYY-MM-DD), not before the letter was printed nor after today.
    posted_on: String,
    /// `simple_registered`, `registered_with_delivery_certificate` or `ordinary`.
    mail_class: String,
    /// Japan Post's tracking number (お問い合わせ番号), required for registered mail.
    #[serde(default)]
    tracking_number: String,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/letters/{notice_id}/posted", tag = "requests",
    description = "Record that a printed letter was posted: the day, the mail class and, for registered mail, the tracking number; once per letter, audited (`letter.posted`)",
    params(("id" = String, Path), ("notice_id" = String, Path)),
    request_body = PostingBody,
    responses(
        (status = 201, description = "Recorded", body = Object),
        (status = 404, description = "`not_found`: no such letter on the request", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `posted_on` `date_in_future`, `before_the_letter`, `already_posted`, `not_a_letter`; `mail_class` `unknown_mail_class`; `tracking_number` invalid", body = super::error::ErrorBody),
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
