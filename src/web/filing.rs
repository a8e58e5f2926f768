//! Filing over the JSON API: a data subject files a request (the web form's twin) and reads its status
//! by tracking token; an officer registers a letter that came by post.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::client::ClientAddr;
use super::error::ApiError;
use super::session::{ApiStaff, WorkRequests};
use crate::app::{AppError, AppState, intake, limits, tracking};
use crate::domain::FieldErrors;
use crate::domain::audit::Actor;
use crate::domain::law::Laws;
use crate::domain::postal::{PostalIntake, RawPostalIntake};
use crate::domain::request::{Channel, Language, NewRequest, RawRequest, RightCode};
use crate::domain::workflow::Label;

/// A request as a data subject files it. `request_types` (optional) asks for more rights at once: each
/// is filed as its own request beside the first. Rights and places are the laws' (`GET
/// /api/v1/procedures` lists them): `request_type` e.g. access, correction, deletion, stop_of_use,
/// purpose_notification, restriction, objection, portability, third_party_records, withdraw_consent,
/// know_categories; `jurisdiction` e.g. JP, EEA, US-CA, CA, other (the default).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "name": "山田 太郎",
    "email": "taro@example.com",
    "request_type": "access",
    "message": "私の個人データの開示を請求します。",
    "jurisdiction": "JP",
    "language": "ja"
}))]
pub struct CreateRequestBody {
    /// The requester's name (for an agent or guardian: their own), at most 200 characters on one line.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    name: String,
    /// Where notices go: an address at a domain of two labels or more.
    #[serde(default)]
    #[schema(required = true, format = Email, min_length = 3, max_length = 254)]
    email: String,
    /// The right asked for, by its code (`access`); it must be granted by some law (`unknown_request_type`)
    /// and offered where the requester lives (`not_offered_here`).
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 40,
        pattern = r"^[a-z0-9_]+$",
        example = "access"
    )]
    request_type: String,
    /// More rights asked for in the same submission (each becomes its own request, filed together).
    #[serde(default)]
    #[schema(max_length = 40, pattern = r"^\s*[a-z0-9_]*\s*$", example = json!(["deletion"]))]
    request_types: Vec<String>,
    /// What the requester asks for, in their words: at most 5,000 characters.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    message: String,
    /// Where the requester lives: a place's code (`JP`, `EEA`, `US-CA`) or name (`japan`) that this
    /// deployment serves (`unknown_jurisdiction`, `not_offered_here`); empty means "elsewhere" (the
    /// company's home law applies).
    #[serde(default)]
    #[schema(max_length = 40, example = "JP")]
    jurisdiction: String,
    /// Who is asking: `self` (default), `agent` (an authorised agent) or `guardian` (a parent or
    /// guardian), where the place's law provides for them (`not_offered_here`). For the last two, `name`
    /// and `email` are the agent's and `person_name` (required) and `person_email` (required for an agent)
    /// the person's.
    #[serde(default)]
    #[schema(schema_with = requester_kind_schema)]
    requester_kind: String,
    /// The person's name, for an agent's or guardian's request (ignored otherwise).
    #[serde(default)]
    person_name: String,
    /// The person's own address: an agent's request waits for the person to confirm it directly; not
    /// the requester's (`same_as_requester`).
    #[serde(default)]
    person_email: String,
    /// A guardian's basis: `minor` (then `person_born_on`, `YYYY-MM-DD`: the person must be under the
    /// place's law's age on the day of filing, else `not_a_minor`) or `guardianship` (an adult ward).
    /// Ignored unless `requester_kind` is `guardian`.
    #[serde(default)]
    guardian_basis: String,
    /// A minor's date of birth (`YYYY-MM-DD`), for a guardian's request on the basis `minor`.
    #[serde(default)]
    person_born_on: String,
    /// Optional: the account the request is about (its ID or sign-in email), for matching records; at
    /// most 200 characters.
    #[serde(default)]
    account_id: String,
    /// Optional, `YYYY-MM-DD`, for rights whose law lets the requester say from when the answer should
    /// cover (CCPA `access` and `know_categories`: back to 2022-01-01; default the 12 months before the
    /// request). Refused (`not_offered_here`) for other rights, `too_early` before the law's limit,
    /// `in_future` after the day of filing.
    #[serde(default)]
    period_from: String,
    /// A language kaiji speaks (`ja`, `en`, …; else `unknown_language`); defaults to the
    /// Accept-Language choice, else the place's language.
    #[schema(max_length = 8, example = "ja")]
    language: Option<String>,
}

/// `requester_kind`: the person (`self`, or empty), an authorised `agent`, or a parent or `guardian`.
fn requester_kind_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["", "self", "agent", "guardian"]))
        .description(Some(
            "Who is asking: `self` (the default, also when empty), `agent` (an authorised agent) or \
             `guardian` (a parent or guardian), where the place's law provides for them \
             (`not_offered_here`). For the last two, `name` and `email` are the agent's and \
             `person_name` (required) and `person_email` (required for an agent) the person's.",
        ))
        .build()
}

impl CreateRequestBody {
    /// The fields as the domain parses them (the API's body is its own, documented here).
    fn raw(&self) -> RawRequest {
        RawRequest {
            name: self.name.clone(),
            email: self.email.clone(),
            request_type: self.request_type.clone(),
            request_types: self.request_types.clone(),
            message: self.message.clone(),
            jurisdiction: self.jurisdiction.clone(),
            requester_kind: self.requester_kind.clone(),
            person_name: self.person_name.clone(),
            person_email: self.person_email.clone(),
            guardian_basis: self.guardian_basis.clone(),
            person_born_on: self.person_born_on.clone(),
            account_id: self.account_id.clone(),
            period_from: self.period_from.clone(),
        }
    }
}

/// Text by language (the API's view of `domain::definition::Label`): `en` always, `ja` and the other
/// languages kaiji speaks where the definition gives them.
#[derive(utoipa::ToSchema)]
#[schema(as = Label, example = json!({"en": "Received", "ja": "受付済み"}))]
#[allow(dead_code)]
pub struct LabelSchema {
    pub en: String,
    pub ja: Option<String>,
    /// Any other language kaiji speaks, by its code (`ko`).
    #[serde(flatten)]
    pub other: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: String,
    pub request_type: String,
    pub receipt_number: String,
    pub tracking_token: String,
    pub status_url: String,
    pub tracking_url: String,
    /// The other rights of `request_types`, each filed as its own request (confirmed together by the
    /// first one's email confirmation).
    #[schema(no_recursion)]
    pub also: Vec<Created>,
}

fn created(base: &str, t: RightCode, r: intake::Receipt) -> Created {
    Created {
        request_type: t.as_str().to_owned(),
        status_url: format!("{base}/api/v1/requests/status/{}", r.tracking_token),
        tracking_url: format!("{base}/track/{}", r.tracking_token),
        id: r.request_id.into_string(),
        receipt_number: r.receipt_number.to_string(),
        tracking_token: r.tracking_token,
        also: r
            .also
            .into_iter()
            .map(|(t, r)| created(base, t, r))
            .collect(),
    }
}

fn parse_request(
    body: &CreateRequestBody,
    fallback: Language,
    channel: Channel,
    laws: &Laws,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewRequest, FieldErrors> {
    let language = match body.language.as_deref().map(crate::i18n::parse_spoken) {
        None => Ok(fallback),
        Some(parsed) => parsed,
    };
    match (
        NewRequest::parse(
            &body.raw(),
            language.unwrap_or(fallback),
            channel,
            laws,
            now,
        ),
        language,
    ) {
        (Ok(r), Ok(_)) => Ok(r),
        (parsed, language) => {
            let mut errors = parsed.err().unwrap_or_default();
            if let Err(code) = language {
                errors.push("language", code);
            }
            Err(errors)
        }
    }
}

async fn file(
    state: &AppState,
    admitted: limits::Admitted,
    actor: Actor,
) -> Result<HttpResponse, ApiError> {
    let first = admitted.request.request_type.clone();
    let receipt = intake::submit(state, admitted, actor).await?;
    let body = created(&state.config.http.public_url, first, receipt);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, body.status_url.clone()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

/// File a request (web form's twin). Rate-limited per network address and per email address.
#[utoipa::path(
    post, path = "/api/v1/requests", tag = "public", operation_id = "createRequest",
    request_body(
        content = CreateRequestBody,
        description = "The request: who asks, for what right, where they live, and their message",
        example = json!({
            "name": "山田 太郎",
            "email": "taro@example.com",
            "request_type": "access",
            "message": "私の個人データの開示を請求します。",
            "jurisdiction": "JP",
            "language": "ja"
        })
    ),
    responses(
        (status = 201, description = "Filed; `Location` is the status URL. Keep the tracking token: it is shown once.", body = Created,
         headers(("Location" = String, description = "The request's status URL (`status_url`)")),
         example = json!({
             "id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f",
             "request_type": "access",
             "receipt_number": "KJ-20260415-00000123",
             "tracking_token": "Vseh_GQZpRHMdJEpvGlVvqFfwAP0OoVJNHmj3x5CePg",
             "status_url": "https://privacy.example.com/api/v1/requests/status/Vseh_GQZpRHMdJEpvGlVvqFfwAP0OoVJNHmj3x5CePg",
             "tracking_url": "https://privacy.example.com/track/Vseh_GQZpRHMdJEpvGlVvqFfwAP0OoVJNHmj3x5CePg",
             "also": []
         })),
        (status = 422, description = "`validation_failed`: `fields` names each problem: `required`, `too_long`, `invalid_characters`, `invalid_email`, `unknown_request_type`, `unknown_jurisdiction`, `not_offered_here`, `unknown_requester_kind`, `same_as_requester`, `not_a_minor`, `too_early`, `in_future`, `unknown_language`, `unknown_field`, `wrong_type`, …", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: too many requests (or invalid ones) from this network address or for this email address; `Retry-After` says when to try again", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn create_request(
    state: web::Data<AppState>,
    client: ClientAddr,
    req: actix_web::HttpRequest,
    body: super::body::ApiJson<CreateRequestBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    // Without `language`: the client's Accept-Language, else the place's language, else English.
    let laws = state.workflows.laws();
    let fallback = super::language::stated(&req)
        .or_else(|| laws.language_for(&body.jurisdiction))
        .unwrap_or(Language::EN);
    let request = limits::admit(
        &state,
        client.0,
        parse_request(&body, fallback, Channel::Api, laws, state.clock.now()),
    )
    .await?;
    file(&state, request, Actor::Requester).await
}

/// One request a letter filed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisteredRequest {
    pub request_type: String,
    pub id: String,
    pub receipt_number: String,
    pub tracking_token: String,
    pub status_url: String,
    pub tracking_url: String,
}

/// A registered letter: its envelope and the requests it filed, one per right asked for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisteredLetter {
    pub envelope_id: String,
    /// The letter came through a channel the procedure does not accept; it was answered at once.
    pub channel_refused: bool,
    pub requests: Vec<RegisteredRequest>,
}

/// A letter's envelope and form as the officer reads them. Dates are `YYYY-MM-DD` (or `YYYY/MM/DD`).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PostalIntakeBody {
    /// The requester's name as written, at most 200 characters on one line.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    name: String,
    /// Optional: an e-mail address the requester gave (`invalid_email`); for a letter that came by
    /// e-mail (`mail_class` `email`) it may stand in for the postal address.
    #[serde(default)]
    #[schema(max_length = 254)]
    email: String,
    /// Where letters go, at most 500 characters (lines allowed); required unless the letter came by
    /// e-mail and gives `email`.
    #[serde(default)]
    #[schema(max_length = 500)]
    postal_address: String,
    /// What the letter asks, at most 5,000 characters; empty: "as the form says".
    #[serde(default)]
    #[schema(max_length = 5000)]
    message: String,
    /// The day the letter arrived: not in the future (`date_in_future`) nor more than 366 days ago
    /// (`date_too_old`).
    #[serde(default)]
    #[schema(required = true, format = Date, example = "2026-04-14")]
    received_on: String,
    /// How the letter came; a class the procedure does not accept is recorded and answered at once
    /// (`channel_refused`).
    #[serde(default)]
    #[schema(required = true, value_type = MailClassCode)]
    mail_class: String,
    /// Japan Post's tracking number (お問い合わせ番号, 11 or 12 digits, hyphens allowed, check digit
    /// checked): required for registered mail, checked when given otherwise.
    #[serde(default)]
    #[schema(max_length = 40, example = "131-12-38385-2")]
    tracking_number: String,
    /// The date written on the form, optional, not after `received_on` (`date_after_receipt`).
    #[serde(default)]
    #[schema(max_length = 10, example = "2026-04-10")]
    request_date: String,
    /// Who wrote: the person (`self`), an agent (`agent`, with a power of attorney) or a legal agent
    /// (`legal_agent`).
    #[serde(default)]
    #[schema(required = true, value_type = PostalRequesterKind)]
    requester_kind: String,
    /// The agent's name: required for `agent` and `legal_agent`, ignored otherwise.
    #[serde(default)]
    agent_name: String,
    /// フリガナ of the requester's name, optional (for bank matching), at most 100 characters.
    #[serde(default)]
    #[schema(max_length = 100)]
    name_kana: String,
    /// フリガナ of the agent's name, optional; ignored for `self`.
    #[serde(default)]
    agent_name_kana: String,
    /// Where letters to the agent go: required for `agent` and `legal_agent`, ignored otherwise.
    #[serde(default)]
    agent_address: String,
    /// The rights the form asks for, by code (`access`, `deletion`, …; `unknown_request_type`); one
    /// request is filed for each.
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_length = 40, pattern = r"^\s*[a-z0-9_]+\s*$", example = json!(["access"]))]
    request_types: Vec<String>,
    /// The services (サービス) the request covers, 1 to 20 distinct names of at most 100 characters (the
    /// fee is per service).
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 20, max_length = 100, example = json!(["Example Mall"]))]
    services: Vec<String>,
    /// The language letters are written in: one kaiji speaks (`ja`, the default, `en`, …;
    /// `unknown_language`).
    #[serde(default)]
    #[schema(max_length = 8, example = "ja")]
    language: String,
}

impl PostalIntakeBody {
    fn raw(self) -> RawPostalIntake {
        RawPostalIntake {
            name: self.name,
            email: self.email,
            postal_address: self.postal_address,
            message: self.message,
            received_on: self.received_on,
            mail_class: self.mail_class,
            tracking_number: self.tracking_number,
            request_date: self.request_date,
            requester_kind: self.requester_kind,
            agent_name: self.agent_name,
            name_kana: self.name_kana,
            agent_name_kana: self.agent_name_kana,
            agent_address: self.agent_address,
            request_types: self.request_types,
            services: self.services,
            language: self.language,
        }
    }
}

/// How a letter reached the desk.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum MailClassCode {
    /// 簡易書留郵便
    SimpleRegistered,
    /// 配達証明付書留郵便
    RegisteredWithDeliveryCertificate,
    /// 普通郵便 (no tracking)
    Ordinary,
    Fax,
    Email,
    Telephone,
    /// A visit to the office.
    Visit,
}

/// Who wrote a letter: the person, an agent (任意代理人) or a legal agent (法定代理人).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PostalRequesterKind {
    #[schema(rename = "self")]
    Person,
    Agent,
    LegalAgent,
}

/// An officer registers a letter: envelope, form and enclosures as read. One request per request type.
#[utoipa::path(
    post, path = "/api/v1/postal-requests", tag = "postal", operation_id = "registerPostalRequest",
    description = "Register a letter: one request per request type it asks for",
    request_body(
        content = PostalIntakeBody,
        description = "The envelope and the form as read",
        example = json!({
            "name": "山田 太郎",
            "postal_address": "〒100-0001 東京都千代田区千代田1-1",
            "received_on": "2026-04-14",
            "mail_class": "simple_registered",
            "tracking_number": "131-12-38385-2",
            "request_date": "2026-04-10",
            "requester_kind": "self",
            "name_kana": "ヤマダ タロウ",
            "request_types": ["access"],
            "services": ["Example Mall"],
            "language": "ja"
        })
    ),
    responses(
        (status = 201, description = "Registered: the requests filed (each with its tracking token, shown once)", body = RegisteredLetter,
         example = json!({
             "envelope_id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e80",
             "channel_refused": false,
             "requests": [{
                 "request_type": "access",
                 "id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f",
                 "receipt_number": "KJ-20260414-00000124",
                 "tracking_token": "Vseh_GQZpRHMdJEpvGlVvqFfwAP0OoVJNHmj3x5CePg",
                 "status_url": "https://privacy.example.com/api/v1/requests/status/Vseh_GQZpRHMdJEpvGlVvqFfwAP0OoVJNHmj3x5CePg",
                 "tracking_url": "https://privacy.example.com/track/Vseh_GQZpRHMdJEpvGlVvqFfwAP0OoVJNHmj3x5CePg"
             }]
         })),
        (status = 404, description = "`not_found`: no published procedure takes letters", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `fields` names each problem: `required`, `too_long`, `invalid_characters`, `invalid_email`, `invalid_date`, `date_in_future`, `date_too_old`, `date_after_receipt`, `unknown_mail_class`, `tracking_number_length`, `tracking_number_check_digit`, `unknown_requester_kind`, `unknown_request_type`, `not_offered_here`, `too_many`, `unknown_language`, `unknown_field`, `wrong_type`, …", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn register_postal(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    body: super::body::ApiJson<PostalIntakeBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?.into_inner().raw();
    let intake =
        PostalIntake::parse(&body, intake::desk_today(&state)).map_err(AppError::Invalid)?;
    let out = intake::register_postal(&state, &who.staff, intake).await?;
    let base = &state.config.http.public_url;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RegisteredLetter {
            envelope_id: out.envelope_id,
            channel_refused: out.channel_refused,
            requests: out
                .requests
                .into_iter()
                .map(|(t, r)| RegisteredRequest {
                    request_type: t.as_str().to_owned(),
                    id: r.request_id.into_string(),
                    receipt_number: r.receipt_number.to_string(),
                    status_url: format!("{base}/api/v1/requests/status/{}", r.tracking_token),
                    tracking_url: format!("{base}/track/{}", r.tracking_token),
                    tracking_token: r.tracking_token,
                })
                .collect(),
        }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Status {
    pub receipt_number: String,
    pub request_type: String,
    pub state: String,
    #[schema(value_type = LabelSchema)]
    pub state_label: Label,
    pub closed: bool,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A request's state, for the holder of its tracking token.
#[utoipa::path(
    get, path = "/api/v1/requests/status/{token}", tag = "public", operation_id = "getRequestStatus",
    params(("token" = String, Path, description = "The tracking token returned when filing")),
    responses(
        (status = 200, description = "Where the request stands", body = Status,
         example = json!({
             "receipt_number": "KJ-20260415-00000123",
             "request_type": "access",
             "state": "received",
             "state_label": {"en": "Received", "ja": "受付済み"},
             "closed": false,
             "received_at": "2026-04-15T01:23:45Z",
             "updated_at": "2026-04-15T01:23:45Z"
         })),
        (status = 404, description = "`not_found`: no request has this tracking token (or it was erased)", body = super::error::ErrorBody),
    )
)]
pub async fn request_status(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let v = tracking::track(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Status {
            receipt_number: v.receipt_number,
            request_type: v.request_type.as_str().to_owned(),
            state: v.state,
            state_label: v.state_label,
            closed: v.terminal,
            received_at: v.received_at,
            updated_at: v.updated_at,
        }))
}
