//! Inquiries and complaints over the API: an officer records one, lists them, reads one, acknowledges
//! and answers it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::session::{ApiStaff, WorkRequests};
use crate::app::AppState;
use crate::app::inquiries;
use crate::domain::inquiry::RawInquiry;

/// A matter as the API takes it from an officer.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InquiryBody {
    /// A kind the desk takes (`seeds/inquiries.toml`): `inquiry` or `complaint`.
    kind: String,
    /// The person's place (its law may set a shorter acknowledgement), as `seeds/places` names it.
    #[serde(default)]
    place: String,
    /// `postal`, `email`, `phone` or `visit`.
    channel: String,
    /// The day it arrived (YYYY-MM-DD), not after today.
    received_on: String,
    name: String,
    /// Where the acknowledgement and the answer go; without it, `postal_address`.
    #[serde(default)]
    email: String,
    #[serde(default)]
    postal_address: String,
    subject: String,
    body: String,
    /// The receipt number of a request it is about.
    #[serde(default)]
    about: String,
    /// `ja` or `en` (the notices' language); `ja` by default.
    #[serde(default)]
    language: String,
}

#[utoipa::path(
    post, path = "/api/v1/inquiries", tag = "inquiries",
    description = "Record an inquiry or complaint that came by post, e-mail, telephone or in person; with an e-mail address it is acknowledged at once by e-mail; audited (`inquiry.received`)",
    request_body = InquiryBody,
    responses(
        (status = 201, description = "Recorded", body = Object),
        (status = 422, description = "`validation_failed`: each field's code (`required`, `too_long`, `unknown_kind`, `unknown_channel`, `unknown_jurisdiction`, `date_in_future`, `invalid_email`)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    body: super::body::ApiJson<InquiryBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.parse()?.into_inner();
    let language = match b.language.trim() {
        "" => crate::domain::request::Language::JA,
        l => crate::i18n::parse_spoken(l)
            .map_err(|code| crate::app::AppError::invalid("language", code))?,
    };
    let raw = RawInquiry {
        kind: b.kind,
        place: b.place,
        channel: b.channel,
        received_on: b.received_on,
        name: b.name,
        email: b.email,
        postal_address: b.postal_address,
        subject: b.subject,
        body: b.body,
        about: b.about,
    };
    let view = inquiries::receive(&state, Some(&who.staff), None, raw, language).await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `all` to include answered ones; open ones only by default.
    show: Option<String>,
    /// One kind only.
    kind: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/inquiries", tag = "inquiries",
    description = "Inquiries and complaints, open ones first by the day they are due (at most 500)",
    params(ListParams),
    responses((status = 200, description = "The inquiries", body = Object)),
    security(("bearer" = []))
)]
pub async fn list_api(
    state: web::Data<AppState>,
    _who: ApiStaff<WorkRequests>,
    q: super::body::ApiQuery<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let open_only = q.show.as_deref() != Some("all");
    let list = inquiries::list(&state, open_only, q.kind.filter(|k| !k.is_empty())).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "inquiries": list })))
}

#[utoipa::path(
    get, path = "/api/v1/inquiries/{id}", tag = "inquiries",
    description = "One inquiry and its notices; the view is audited (`inquiry.viewed`)",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The inquiry", body = Object),
        (status = 404, description = "`not_found`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn show_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (q, notices) = inquiries::detail(&state, &who.staff, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "inquiry": q, "notices": notices })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeBody {
    /// True when the person was told at the desk or on the telephone: nothing is sent.
    #[serde(default)]
    in_person: bool,
}

#[utoipa::path(
    post, path = "/api/v1/inquiries/{id}/acknowledge", tag = "inquiries",
    description = "Acknowledge an inquiry: by e-mail where it has an address, else a letter to post, or told in person; audited (`inquiry.acknowledged`)",
    params(("id" = String, Path)),
    request_body = AcknowledgeBody,
    responses(
        (status = 200, description = "Acknowledged", body = Object),
        (status = 404, description = "`not_found`", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `inquiry` `already_acknowledged`, `already_answered`, `nowhere_to_write`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn acknowledge_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<String>,
    body: super::body::ApiJson<AcknowledgeBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.parse()?.into_inner();
    let view = inquiries::acknowledge(&state, &who.staff, id.into_inner(), b.in_person).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The answer, at most 10,000 characters; paragraphs separated by a blank line.
    answer: String,
}

#[utoipa::path(
    post, path = "/api/v1/inquiries/{id}/answer", tag = "inquiries",
    description = "Answer an inquiry or tell a complainant the outcome: by e-mail, or as a letter to post; audited (`inquiry.answered`)",
    params(("id" = String, Path)),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "Answered", body = Object),
        (status = 404, description = "`not_found`", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `answer` `required`, `too_long`, `invalid_characters`, `already_answered`, `nowhere_to_write`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn answer_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<String>,
    body: super::body::ApiJson<AnswerBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.parse()?.into_inner();
    let view = inquiries::answer(&state, &who.staff, id.into_inner(), b.answer).await?;
    Ok(HttpResponse::Ok().json(view))
}
