//! The staff JSON API (bearer token or session): a request with its allowed events, firing events,
//! identity decisions. Filing and public status are in `filing`.

use crate::domain::ids::RequestId;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::session::{ApiStaff, WorkRequests};
use crate::app::cases::ClockView;
use crate::app::requests::{OnBehalf, PostalDetails};
use crate::app::{AppState, requests, transition};
use crate::domain::workflow::{Label, TransitionDef};

#[derive(Debug, Serialize)]
pub struct AllowedEvent {
    pub event: String,
    pub label: Label,
    /// The event's data must carry a `reason`.
    pub needs_reason: bool,
    /// A refusal: the event's data must name one of these in `ground` (empty: the law lists none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grounds: Vec<GroundJson>,
}

/// A ground the law gives for refusing the request's right.
#[derive(Debug, Serialize)]
pub struct GroundJson {
    pub code: String,
    pub label: Label,
    pub article: Option<Label>,
}

impl AllowedEvent {
    fn of(t: &TransitionDef, grounds: &[crate::domain::law::RefusalGround]) -> Self {
        AllowedEvent {
            event: t.event.clone(),
            label: t.label.clone(),
            needs_reason: t.needs_reason(),
            grounds: if t.refuses() {
                grounds
                    .iter()
                    .map(|g| GroundJson {
                        code: g.code.clone(),
                        label: g.label.clone(),
                        article: g.article.clone(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
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
    /// queued, sent or failed (email); letters stay queued until recorded as posted, then sent.
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub attempts: i64,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The last delivery error (first line), while not sent.
    pub last_error: Option<String>,
    /// A printed letter recorded as posted: the day, the mail class and the tracking number.
    pub posted: Option<crate::app::postings::Posted>,
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
    /// From when the answer should cover (`YYYY-MM-DD`), where the requester said (CCPA "know"); absent:
    /// the law's default period.
    pub period_from: Option<String>,
    /// Since when the request is held while a complaint, appeal or lawsuit is pending (erasures skip
    /// it); absent when it is not held.
    pub legal_hold_since: Option<chrono::DateTime<chrono::Utc>>,
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
    pub postal: Option<PostalDetails>,
    /// Fee invoices with their payments and balance (postal procedure).
    pub invoices: Vec<crate::app::fees::InvoiceView>,
    /// The dispatch, released downloads and recorded changes.
    pub reply: crate::app::reply::ReplyView,
    /// One task per data system for access, portability and deletion requests.
    pub tasks: Vec<crate::app::systems::TaskView>,
    /// Filed by an agent or guardian: for whom, and whether the person confirmed.
    pub on_behalf: Option<OnBehalf>,
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
    id: web::Path<RequestId>,
) -> Result<HttpResponse, ApiError> {
    let d = requests::detail(&state, &who.staff, id.into_inner()).await?;
    let notices: Vec<NoticeJson> = d
        .notices
        .into_iter()
        .map(|n| NoticeJson {
            letter: format!("/staff/requests/{}/letters/{}", n.request_id, n.id),
            id: n.id,
            kind: n.kind,
            channel: n.channel,
            status: n.status,
            created_at: n.created_at.and_utc(),
            attempts: n.attempts,
            sent_at: n.sent_at.map(|t| t.and_utc()),
            last_error: n.last_error,
            posted: n.posted,
        })
        .collect();
    let r = d.request;
    let request_id = r.id.clone();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RequestJson {
            id: r.id.into_string(),
            receipt_number: r.receipt_number,
            version: r.version,
            state: r.state,
            state_label: d.state_label,
            closed: d.terminal,
            request_type: r.request_type,
            jurisdiction: r.jurisdiction,
            channel: r.channel,
            language: r.language,
            period_from: r.period_from,
            legal_hold_since: r.legal_hold_since.map(|t| t.and_utc()),
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
            allowed_events: d
                .allowed
                .iter()
                .map(|t| AllowedEvent::of(t, &d.grounds))
                .collect(),
            notices,
            postal: d.postal,
            invoices: d.invoices,
            reply: d.reply,
            tasks: d.tasks,
            on_behalf: d.on_behalf,
            assignee: d.assignee,
            notes: d
                .notes
                .into_iter()
                .map(|n| NoteJson {
                    id: n.id,
                    author: n.author,
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
                    declaration_signed: e.declaration_signed,
                    received_at: e.created_at.and_utc(),
                    purged_at: e.purged_at.map(|t| t.and_utc()),
                    id: e.id.into_string(),
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
    description = "Fire a workflow event: `{\"event\", \"expected_version\", \"data\": {\"reason\"?, \"ground\"?, \"tracking_number\"?, \"dispatched_on\"?, \"delivered_on\"?}}`; a refusal names one of its allowed event's `grounds` where it lists any (422 on `ground`: `required`, `unknown_ground`); 409 on a stale version, 422 `event_not_allowed` / `guard_failed`",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn fire_event(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<EventBody>,
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
    description = "Record checked data points: `{\"expected_version\", \"points\": [{\"name\", \"matched\"}], \"declaration_signed\"?, \"with_person\"?}`; identity is verified when the procedure's degree for the request type is reached. Where an agent filed under a procedure with `person_verifies_directly` (CCPA §7063(a)(1)), only points checked with the person count (`with_person: true`, else `person_must_verify`)",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn identity_data_points(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<crate::app::identity::DataPointCheck>,
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
    /// Checked with the person directly, not with their agent (required where the procedure says
    /// `person_verifies_directly` and an agent filed).
    #[serde(default)]
    with_person: bool,
}

/// An officer's judgement that identity is established, with the reason.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/identity/judgement", tag = "requests",
    description = "Verify identity by the officer's judgement: `{\"expected_version\", \"reason\", \"with_person\"?}` (the reason is recorded; `with_person` as for data points)",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 204, description = "Done"), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn identity_judgement(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<JudgementBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let b = body.into_inner();
    crate::app::identity::officer_judgement(
        &state,
        &who.staff,
        id.into_inner(),
        b.expected_version,
        b.reason,
        b.with_person,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
