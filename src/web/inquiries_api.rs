//! Inquiries and complaints over the API: an officer records one, lists them, reads one, acknowledges
//! and answers it.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::session::{ApiStaff, WorkRequests};
use crate::app::AppState;
use crate::app::inquiries;
use crate::domain::ids::InquiryId;
use crate::domain::inquiry::RawInquiry;

/// `channel`: how a matter an officer records came (the public form records its own, `web`).
fn channel_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["postal", "email", "phone", "visit"]))
        .description(Some("How it came: `postal`, `email`, `phone` or `visit`"))
        .examples(["phone"])
        .into()
}

/// `language`: a language kaiji writes notices in, or empty (Japanese).
fn language_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let mut codes: Vec<String> = crate::i18n::spoken()
        .into_iter()
        .map(|l| l.as_str().to_owned())
        .collect();
    codes.push(String::new());
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes))
        .description(Some(
            "The notices' language: one kaiji writes in (`ja`, `en`, …); `ja` when absent or empty",
        ))
        .examples(["ja"])
        .into()
}

/// A matter as the API takes it from an officer.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InquiryBody {
    /// A kind the desk takes (`seeds/inquiries.toml`): `inquiry` or `complaint`.
    #[schema(min_length = 1, example = "complaint")]
    kind: String,
    /// The person's place (its law may set a shorter acknowledgement), as `seeds/places` names it;
    /// the desk's first place when absent.
    #[serde(default)]
    #[schema(example = "JP")]
    place: String,
    /// `postal`, `email`, `phone` or `visit`.
    #[schema(schema_with = channel_schema)]
    channel: String,
    /// The day it arrived (YYYY-MM-DD), not after today.
    #[schema(format = Date, example = "2026-01-20")]
    received_on: String,
    /// The sender's name.
    #[schema(min_length = 1, max_length = 200, example = "山田 花子")]
    name: String,
    /// Where the acknowledgement and the answer go; without it, `postal_address` (one of the two is
    /// required).
    #[serde(default)]
    #[schema(example = "hanako@example.com")]
    email: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    postal_address: String,
    #[schema(min_length = 1, max_length = 200, example = "利用停止の請求について")]
    subject: String,
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "先月お送りした請求の進み具合を教えてください。"
    )]
    body: String,
    /// The receipt number of a request it is about.
    #[serde(default)]
    #[schema(max_length = 40, example = "KJ-20260105-00000001")]
    about: String,
    /// The notices' language; `ja` by default.
    #[serde(default)]
    #[schema(schema_with = language_schema)]
    language: String,
}

#[utoipa::path(
    post, path = "/api/v1/inquiries", tag = "inquiries",
    operation_id = "recordInquiry",
    description = "Record an inquiry or complaint that came by post, e-mail, telephone or in person; with an e-mail address it is acknowledged at once by e-mail; audited (`inquiry.received`)",
    request_body(
        content = InquiryBody,
        description = "The matter as it came",
        example = json!({
            "kind": "complaint", "place": "JP", "channel": "phone", "received_on": "2026-01-20",
            "name": "山田 花子", "email": "hanako@example.com", "subject": "利用停止の請求について",
            "body": "先月お送りした請求の進み具合を教えてください。", "about": "KJ-20260105-00000001", "language": "ja"
        })
    ),
    responses(
        (status = 201, description = "Recorded (acknowledged already when it has an e-mail address)", body = inquiries::InquiryView, example = json!(inquiry_example())),
        (status = 422, description = "`validation_failed`: each field's code (`required`, `too_long`, `invalid_characters`, `unknown_kind`, `unknown_channel`, `unknown_jurisdiction`, `not_offered_here`, `invalid_date`, `date_in_future`, `invalid_email`, `unknown_language`; `postal_address` `required` when neither it nor `email` is given)", body = super::error::ErrorBody),
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
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `all` to include answered ones; open ones only otherwise (any other value).
    #[param(example = "all")]
    show: Option<String>,
    /// One kind only (`inquiry`, `complaint`); every kind when absent or empty.
    #[param(example = "complaint")]
    kind: Option<String>,
}

/// The inquiries listed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InquiryList {
    /// Open ones first, by the day they are due; at most 500.
    pub inquiries: Vec<inquiries::InquiryView>,
}

/// One inquiry and the notices about it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InquiryDetail {
    pub inquiry: inquiries::InquiryView,
    /// The acknowledgement and the answer, as sent or waiting, oldest first.
    pub notices: Vec<inquiries::InquiryNotice>,
}

/// An inquiry as the examples show it.
fn inquiry_example() -> serde_json::Value {
    serde_json::json!({
        "id": "0197a3c2-8e5f-7c03-9d4e-5f6a7b8c9d0e", "reference": "KQ-20260120-00000042",
        "kind": "complaint", "place": "JP", "language": "ja", "channel": "phone", "status": "acknowledged",
        "name": "山田 花子", "email": "hanako@example.com", "postal_address": null,
        "subject": "利用停止の請求について", "body": "先月お送りした請求の進み具合を教えてください。",
        "about": "KJ-20260105-00000001", "received_on": "2026-01-20", "acknowledge_due": "2026-01-27",
        "law_acknowledge_due": null, "law": null, "answer_due": "2026-02-19",
        "acknowledged_at": "2026-01-20T04:12:09Z", "acknowledged_how": "email",
        "answered_at": null, "answer": null, "overdue": false
    })
}

#[utoipa::path(
    get, path = "/api/v1/inquiries", tag = "inquiries",
    operation_id = "listInquiries",
    description = "Inquiries and complaints, open ones first by the day they are due (at most 500)",
    params(ListParams),
    responses(
        (status = 200, description = "The inquiries", body = InquiryList, example = json!({"inquiries": [inquiry_example()]})),
        (status = 422, description = "`validation_failed`: a parameter not listed here is `unknown_field`", body = super::error::ErrorBody),
    ),
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
    Ok(HttpResponse::Ok().json(InquiryList { inquiries: list }))
}

#[utoipa::path(
    get, path = "/api/v1/inquiries/{id}", tag = "inquiries",
    operation_id = "getInquiry",
    description = "One inquiry and its notices; the view is audited (`inquiry.viewed`)",
    params(("id" = String, Path, description = "The inquiry's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    responses(
        (status = 200, description = "The inquiry, with where its law speaks of complaints (`law`), and its notices", body = InquiryDetail, example = json!({
            "inquiry": inquiry_example(),
            "notices": [{"id": "0197a3c2-9f60-7d04-8e5f-6a7b8c9d0e1f", "kind": "inquiry_acknowledged", "channel": "email", "status": "sent", "created_at": "2026-01-20T04:12:09Z"}]
        })),
        (status = 404, description = "`not_found`: no inquiry has this id", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn show_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<InquiryId>,
) -> Result<HttpResponse, ApiError> {
    let (q, notices) = inquiries::detail(&state, &who.staff, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(InquiryDetail {
        inquiry: q,
        notices,
    }))
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
    operation_id = "acknowledgeInquiry",
    description = "Acknowledge an inquiry: by e-mail where it has an address, else a letter to post, or told in person; audited (`inquiry.acknowledged`)",
    params(("id" = String, Path, description = "The inquiry's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = AcknowledgeBody,
        description = "How it is acknowledged (`{}`: by e-mail or letter)",
        example = json!({"in_person": false})
    ),
    responses(
        (status = 200, description = "Acknowledged", body = inquiries::InquiryView, example = json!(inquiry_example())),
        (status = 404, description = "`not_found`: no inquiry has this id", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `inquiry` `already_acknowledged`, `already_answered` (answered, or its data erased), `nowhere_to_write` (no e-mail nor postal address, and not `in_person`)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn acknowledge_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<InquiryId>,
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
    #[schema(
        min_length = 1,
        max_length = 10000,
        example = "お問い合わせの請求は1月25日に回答を発送しました。"
    )]
    answer: String,
}

#[utoipa::path(
    post, path = "/api/v1/inquiries/{id}/answer", tag = "inquiries",
    operation_id = "answerInquiry",
    description = "Answer an inquiry or tell a complainant the outcome: by e-mail, or as a letter to post; one never acknowledged is acknowledged by its answer; audited (`inquiry.answered`)",
    params(("id" = String, Path, description = "The inquiry's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = AnswerBody,
        description = "The answer",
        example = json!({"answer": "お問い合わせの請求は1月25日に回答を発送しました。"})
    ),
    responses(
        (status = 200, description = "Answered", body = inquiries::InquiryView, example = json!(inquiry_example())),
        (status = 404, description = "`not_found`: no inquiry has this id (or its data was erased)", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `answer` `required`, `too_long`, `invalid_characters`, `already_answered`, `nowhere_to_write` (no e-mail nor postal address)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn answer_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<InquiryId>,
    body: super::body::ApiJson<AnswerBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.parse()?.into_inner();
    let view = inquiries::answer(&state, &who.staff, id.into_inner(), b.answer).await?;
    Ok(HttpResponse::Ok().json(view))
}
