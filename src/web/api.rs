//! The JSON API. Public: filing a request and reading its status by token. Staff (bearer token or
//! session): a request with its allowed events, firing events, and registering requests that came by post.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::session::{ApiStaff, WorkRequests};
use crate::app::cases::ClockView;
use crate::app::{AppError, AppState, intake, requests, tracking, transition};
use crate::domain::audit::Actor;
use crate::domain::postal::{PostalIntake, RawPostalIntake};
use crate::domain::request::{Channel, Language, NewRequest, RawRequest, RequestType};
use crate::domain::workflow::{Label, TransitionDef};
use crate::i18n::Tr;

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
    /// Optional: the account the request is about (its ID or sign-in email), for matching records.
    #[serde(default)]
    account_id: String,
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
            account_id: self.account_id.clone(),
        }
    }
}

/// Text in each language kaiji speaks (the API's view of `domain::definition::Label`).
#[derive(utoipa::ToSchema)]
#[schema(as = Label)]
#[allow(dead_code)]
pub struct LabelSchema {
    pub en: String,
    pub ja: String,
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

fn created(base: &str, t: RequestType, r: intake::Receipt) -> Created {
    Created {
        request_type: t.as_str().to_owned(),
        status_url: format!("{base}/api/v1/requests/status/{}", r.tracking_token),
        tracking_url: format!("{base}/track/{}", r.tracking_token),
        id: r.request_id,
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
) -> Result<NewRequest, ApiError> {
    let language = match body.language.as_deref().map(str::parse::<Language>) {
        None => Ok(fallback),
        Some(parsed) => parsed,
    };
    match (
        NewRequest::parse(&body.raw(), language.unwrap_or(fallback), channel),
        language,
    ) {
        (Ok(r), Ok(_)) => Ok(r),
        (parsed, language) => {
            let mut errors = parsed.err().unwrap_or_default();
            if let Err(code) = language {
                errors.push("language", code);
            }
            Err(AppError::Invalid(errors).into())
        }
    }
}

async fn file(
    state: &AppState,
    request: NewRequest,
    actor: Actor,
) -> Result<HttpResponse, ApiError> {
    let first = request.request_type;
    let receipt = intake::submit(state, request, actor).await?;
    let body = created(&state.config.public_url, first, receipt);
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
    req: actix_web::HttpRequest,
    tr: Tr,
    body: web::Json<CreateRequestBody>,
) -> Result<HttpResponse, ApiError> {
    state.limits.check_ip(req.peer_addr().map(|a| a.ip()))?;
    let request = parse_request(&body, tr.lang, Channel::Api)?;
    if let Some(e) = &request.email {
        state.limits.check_email(e.as_ref())?;
    }
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
    body: super::uploads::StaffJson<RawPostalIntake>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let intake =
        PostalIntake::parse(&body, intake::desk_today(&state)).map_err(AppError::Invalid)?;
    let out = intake::register_postal(&state, &who.staff, intake).await?;
    let base = &state.config.public_url;
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
                    id: r.request_id,
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

#[derive(Debug, Serialize)]
pub struct AllowedEvent {
    pub event: String,
    pub label: Label,
    /// The event's data must carry a `reason`.
    pub needs_reason: bool,
}

impl From<&TransitionDef> for AllowedEvent {
    fn from(t: &TransitionDef) -> Self {
        AllowedEvent {
            event: t.event.clone(),
            label: t.label.clone(),
            needs_reason: t.needs_reason(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct NoticeJson {
    pub id: String,
    /// The printable letter (A4, Japanese) for this notice.
    pub letter: String,
    pub kind: String,
    pub channel: String,
    /// queued, sent or failed (email); letters stay queued for printing.
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub attempts: i64,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The last delivery error (first line), while not sent.
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RequestJson {
    pub id: String,
    pub receipt_number: String,
    pub version: i64,
    pub state: String,
    pub state_label: Label,
    pub closed: bool,
    pub request_type: String,
    pub jurisdiction: String,
    pub channel: String,
    pub language: String,
    pub workflow: WorkflowRef,
    pub requester: Requester,
    pub message: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub facts: Vec<&'static str>,
    pub clocks: Vec<ClockView>,
    pub allowed_events: Vec<AllowedEvent>,
    pub notices: Vec<NoticeJson>,
    /// What was read off the envelope, for requests by post.
    pub postal: Option<PostalJson>,
    /// Fee invoices with their payments and balance (postal procedure).
    pub invoices: Vec<crate::app::fees::InvoiceView>,
    /// The dispatch, released downloads and recorded changes.
    pub reply: crate::app::reply::ReplyView,
    /// One task per data system for access, portability and deletion requests.
    pub tasks: Vec<crate::app::systems::TaskView>,
    /// Filed by an agent or guardian: for whom, and whether the person confirmed.
    pub on_behalf: Option<crate::db::requests::OnBehalfRow>,
    /// The officer or admin working the request (email).
    pub assignee: Option<String>,
    /// Officers' internal notes, oldest first.
    pub notes: Vec<NoteJson>,
    /// What the requester sent to prove identity or an agent's authority; `open` serves the contents
    /// (audited) until they are erased after the decision.
    pub evidence: Vec<EvidenceJson>,
}

#[derive(Debug, Serialize)]
pub struct NoteJson {
    pub id: String,
    pub author: String,
    pub note: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize)]
pub struct EvidenceJson {
    pub id: String,
    /// data_points, identity_document or agent_authorisation.
    pub kind: String,
    pub media_type: String,
    pub declaration_signed: bool,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub purged_at: Option<chrono::DateTime<chrono::Utc>>,
    pub open: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PostalJson {
    pub envelope_id: String,
    pub received_on: String,
    pub mail_class: String,
    /// As printed on Japan Post's receipt (e.g. 131-12-38385-2).
    pub tracking_number: Option<String>,
    pub request_date: Option<String>,
    pub requester_kind: String,
    pub agent_name: Option<String>,
    pub services: Vec<String>,
    pub postal_address: String,
}

impl From<crate::db::postal::PostalRow> for PostalJson {
    fn from(p: crate::db::postal::PostalRow) -> Self {
        PostalJson {
            envelope_id: p.envelope_id,
            received_on: p.received_on,
            mail_class: p.mail_class,
            tracking_number: p
                .tracking_number
                .map(|t| crate::domain::postal::TrackingNumber::from_stored(t).display()),
            request_date: p.request_date,
            requester_kind: p.requester_kind,
            agent_name: p.agent_name,
            services: serde_json::from_str(&p.services).unwrap_or_default(),
            postal_address: p.postal_address,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct WorkflowRef {
    pub id: String,
    pub version: i64,
    pub name: Label,
    /// Where the requester may complain; refusals must name it.
    pub complaint_authority: Option<Label>,
}

#[derive(Debug, Serialize)]
pub struct Requester {
    pub name: String,
    pub email: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/requests/{id}", tag = "requests",
    description = "A request with its state, facts, deadlines, allowed events, notices (with their letters), postal details, invoices, reply and data-system tasks",
    params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn request_detail(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let d = requests::detail(&state, &who.staff, id.into_inner()).await?;
    let notices: Vec<NoticeJson> = d
        .notices
        .iter()
        .map(|n| {
            let dv = d.delivery(&n.id);
            NoticeJson {
                letter: format!("/staff/requests/{}/letters/{}", n.request_id, n.id),
                id: n.id.clone(),
                kind: n.kind.clone(),
                channel: n.channel.clone(),
                status: n.status.clone(),
                created_at: n.created_at.and_utc(),
                attempts: dv.map_or(0, |x| x.attempts),
                sent_at: dv.and_then(|x| x.sent_at).map(|t| t.and_utc()),
                last_error: dv.and_then(|x| x.last_error.clone()),
            }
        })
        .collect();
    let r = d.request;
    let request_id = r.id.clone();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RequestJson {
            id: r.id,
            receipt_number: r.receipt_number,
            version: r.version,
            state: r.state,
            state_label: d.state_label,
            closed: d.terminal,
            request_type: r.request_type,
            jurisdiction: r.jurisdiction,
            channel: r.channel,
            language: r.language,
            workflow: WorkflowRef {
                id: d.workflow.id.clone(),
                version: d.workflow.version,
                name: d.workflow.name.clone(),
                complaint_authority: d.workflow.complaint_authority.clone(),
            },
            requester: Requester {
                name: r.subject_name,
                email: r.subject_email,
            },
            message: r.message,
            received_at: r.received_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
            facts: d.facts.iter().map(|f| f.as_str()).collect(),
            clocks: d.clocks,
            allowed_events: d.allowed.iter().map(AllowedEvent::from).collect(),
            notices,
            postal: d.postal.map(PostalJson::from),
            invoices: d.invoices,
            reply: d.reply,
            tasks: d.tasks,
            on_behalf: d.on_behalf,
            assignee: d.assignee,
            notes: d
                .notes
                .into_iter()
                .map(|(n, author)| NoteJson {
                    id: n.id,
                    author,
                    note: n.body,
                    created_at: n.created_at.and_utc(),
                })
                .collect(),
            evidence: d
                .evidence
                .into_iter()
                .map(|e| EvidenceJson {
                    open: e
                        .purged_at
                        .is_none()
                        .then(|| format!("/api/v1/requests/{request_id}/evidence/{}", e.id)),
                    declaration_signed: e.declared_by.is_some(),
                    received_at: e.created_at.and_utc(),
                    purged_at: e.purged_at.map(|t| t.and_utc()),
                    id: e.id,
                    kind: e.kind,
                    media_type: e.media_type,
                })
                .collect(),
        }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    event: String,
    expected_version: i64,
    #[serde(default)]
    data: Map<String, Value>,
}

#[derive(Debug, Serialize)]
pub struct EventApplied {
    pub previous_state: String,
    pub state: String,
    pub version: i64,
    pub allowed_events: Vec<String>,
    pub notices_queued: Vec<String>,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/events", tag = "requests",
    description = "Fire a workflow event: `{\"event\", \"expected_version\", \"data\": {\"reason\"?, \"tracking_number\"?, \"dispatched_on\"?, \"delivered_on\"?}}`; 409 on a stale version, 422 `event_not_allowed` / `guard_failed`",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn fire_event(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<String>,
    body: super::uploads::StaffJson<EventBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let EventBody {
        event,
        expected_version,
        data,
    } = body.into_inner();
    let out = transition::fire_event(
        &state,
        &who.staff,
        id.into_inner(),
        event,
        expected_version,
        data,
    )
    .await?;
    Ok(HttpResponse::Ok().json(EventApplied {
        previous_state: out.from,
        state: out.to,
        version: out.version,
        allowed_events: out.allowed,
        notices_queued: out.notices,
    }))
}

/// Record data points checked against the company's records (names and match only).
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/identity/data-points", tag = "requests",
    description = "Record checked data points: `{\"expected_version\", \"points\": [{\"name\", \"matched\"}], \"declaration_signed\"?}`; identity is verified when the procedure's degree for the request type is reached",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn identity_data_points(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<String>,
    body: super::uploads::StaffJson<crate::app::identity::DataPointCheck>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let degree = crate::app::identity::record_data_points(
        &state,
        &who.staff,
        id.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(degree))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgementBody {
    expected_version: i64,
    reason: String,
}

/// An officer's judgement that identity is established, with the reason.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/identity/judgement", tag = "requests",
    description = "Verify identity by the officer's judgement: `{\"expected_version\", \"reason\"}` (the reason is recorded)",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 204, description = "Done"), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn identity_judgement(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<String>,
    body: super::uploads::StaffJson<JudgementBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let b = body.into_inner();
    crate::app::identity::officer_judgement(
        &state,
        &who.staff,
        id.into_inner(),
        b.expected_version,
        b.reason,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
