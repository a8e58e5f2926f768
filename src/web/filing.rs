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
/// is filed as its own request beside the first. `request_type`: access, correction, deletion, stop_of_use,
/// purpose_notification, restriction, objection, portability, third_party_records, withdraw_consent,
/// know_categories; `jurisdiction`: japan, eea, california, canada, other (default).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateRequestBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    request_type: String,
    /// More rights asked for in the same submission (each becomes its own request, filed together).
    #[serde(default)]
    request_types: Vec<String>,
    #[serde(default)]
    message: String,
    /// Where the requester lives; empty means "elsewhere" (the company's home law applies).
    #[serde(default)]
    jurisdiction: String,
    /// Who is asking: `self` (default), `agent` (an authorised agent) or `guardian` (a parent or
    /// guardian). For the last two, `name` and `email` are the agent's and the person's follow.
    #[serde(default)]
    requester_kind: String,
    #[serde(default)]
    person_name: String,
    /// The person's own address: an agent's request waits for the person to confirm it directly.
    #[serde(default)]
    person_email: String,
    /// A guardian's basis: `minor` (then `person_born_on`, `YYYY-MM-DD`: the person must be under the
    /// place's law's age on the day of filing, else `not_a_minor`) or `guardianship` (an adult ward).
    #[serde(default)]
    guardian_basis: String,
    #[serde(default)]
    person_born_on: String,
    /// Optional: the account the request is about (its ID or sign-in email), for matching records.
    #[serde(default)]
    account_id: String,
    /// Optional, `YYYY-MM-DD`, for rights whose law lets the requester say from when the answer should
    /// cover (CCPA `access` and `know_categories`: back to 2022-01-01; default the 12 months before the
    /// request). Refused (`not_offered_here`) for other rights, `too_early` before the law's limit.
    #[serde(default)]
    period_from: String,
    /// `ja` or `en`; defaults to the Accept-Language choice.
    language: Option<String>,
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
    post, path = "/api/v1/requests", tag = "public",
    request_body = CreateRequestBody,
    responses(
        (status = 201, description = "Filed; `Location` is the status URL. Keep the tracking token: it is shown once.", body = Created),
        (status = 422, description = "`validation_failed` (per field) or `no_workflow`", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = super::error::ErrorBody),
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

#[derive(Debug, Serialize)]
pub struct RegisteredRequest {
    pub request_type: String,
    pub id: String,
    pub receipt_number: String,
    pub tracking_token: String,
    pub status_url: String,
    pub tracking_url: String,
}

#[derive(Debug, Serialize)]
pub struct RegisteredLetter {
    pub envelope_id: String,
    /// The letter came through a channel the procedure does not accept; it was answered at once.
    pub channel_refused: bool,
    pub requests: Vec<RegisteredRequest>,
}

/// An officer registers a letter: envelope, form and enclosures as read. One request per request type.
#[utoipa::path(
    post, path = "/api/v1/postal-requests", tag = "postal",
    description = "Register a letter: one request per request type it asks for",
    request_body(content = Object),
    responses((status = 201, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn register_postal(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    body: super::body::ApiJson<RawPostalIntake>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
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
    get, path = "/api/v1/requests/status/{token}", tag = "public",
    params(("token" = String, Path, description = "The tracking token returned when filing")),
    responses(
        (status = 200, body = Status),
        (status = 404, description = "`not_found`", body = super::error::ErrorBody),
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
