//! The staff JSON API (bearer token or session): a request with its allowed events, firing events,
//! identity decisions. Filing and public status are in `filing`.

use crate::domain::code::Code;
use crate::domain::identity::EvidenceKind;
use crate::domain::ids::RequestId;
use crate::domain::notice::{NoticeChannel, NoticeStatus};
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

/// An event the caller may fire on the request now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AllowedEvent {
    pub event: String,
    #[schema(value_type = super::filing::LabelSchema)]
    pub label: Label,
    /// The event's data must carry a `reason`.
    pub needs_reason: bool,
    /// A refusal: the event's data must name one of these in `ground` (absent: the law lists none, or
    /// the event is no refusal).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grounds: Vec<GroundJson>,
}

/// A ground the law gives for refusing the request's right.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroundJson {
    pub code: String,
    #[schema(value_type = super::filing::LabelSchema)]
    pub label: Label,
    /// The article of the law that gives it.
    #[schema(value_type = Option<super::filing::LabelSchema>)]
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

/// A notice to the requester, with how its delivery stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeJson {
    pub id: String,
    /// The printable letter (A4, Japanese) for this notice.
    pub letter: String,
    pub kind: String,
    pub channel: NoticeChannel,
    /// Queued, sent or failed (email); letters stay queued until recorded as posted, then sent.
    pub status: NoticeStatus,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub attempts: i64,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The last delivery error (first line), while not sent.
    pub last_error: Option<String>,
    /// A printed letter recorded as posted: the day, the mail class and the tracking number.
    pub posted: Option<crate::app::postings::Posted>,
}

/// A request as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequestJson {
    pub id: String,
    pub receipt_number: String,
    /// Pass as `expected_version` to act on the request as seen.
    pub version: i64,
    pub state: String,
    #[schema(value_type = super::filing::LabelSchema)]
    pub state_label: Label,
    pub closed: bool,
    pub request_type: String,
    pub jurisdiction: String,
    /// `web`, `api` or `postal`.
    pub channel: String,
    pub language: String,
    /// From when the answer should cover (`YYYY-MM-DD`), where the requester said (CCPA "know"); absent:
    /// the law's default period.
    #[schema(format = Date)]
    pub period_from: Option<String>,
    /// Since when the request is held while a complaint, appeal or lawsuit is pending (erasures skip
    /// it); absent when it is not held.
    pub legal_hold_since: Option<chrono::DateTime<chrono::Utc>>,
    pub workflow: WorkflowRef,
    pub requester: Requester,
    pub message: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// What is known of the request (`email_confirmed`, `identity_verified`, …).
    pub facts: Vec<&'static str>,
    /// Its deadlines.
    pub clocks: Vec<ClockView>,
    pub allowed_events: Vec<AllowedEvent>,
    pub notices: Vec<NoticeJson>,
    /// What was read off the envelope, for requests by post.
    pub postal: Option<PostalDetails>,
    /// Fee invoices with their payments and balance (postal procedure).
    pub invoices: Vec<crate::app::fees::InvoiceView>,
    /// The dispatch, released downloads and recorded changes.
    pub reply: ReplyJson,
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

/// The reply: how it went out by post, the downloads released, and what the answer changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplyJson {
    pub dispatch: Option<crate::app::reply::DispatchView>,
    pub downloads: Vec<crate::app::reply::DownloadInfo>,
    pub changes: Vec<crate::app::reply::RecordedChange>,
}

impl From<crate::app::reply::ReplyView> for ReplyJson {
    fn from(r: crate::app::reply::ReplyView) -> Self {
        ReplyJson {
            dispatch: r.dispatch,
            downloads: r.downloads,
            changes: r.changes,
        }
    }
}

/// An officer's internal note.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NoteJson {
    pub id: String,
    /// The author's email.
    pub author: String,
    pub note: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// What the requester sent to prove identity or an agent's authority.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EvidenceJson {
    pub id: String,
    pub kind: EvidenceKind,
    pub media_type: String,
    pub declaration_signed: bool,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub purged_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where the contents are served (`GET`, audited); null once erased.
    pub open: Option<String>,
}

/// The procedure the request runs under.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkflowRef {
    pub id: String,
    pub version: i64,
    #[schema(value_type = super::filing::LabelSchema)]
    pub name: Label,
    /// Where the requester may complain; refusals must name it.
    #[schema(value_type = Option<super::filing::LabelSchema>)]
    pub complaint_authority: Option<Label>,
}

/// Who filed the request (an agent or guardian: themselves; see `on_behalf`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Requester {
    pub name: String,
    /// Absent for a letter that gave none.
    pub email: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/requests/{id}", tag = "requests", operation_id = "getRequest",
    description = "A request with its state, facts, deadlines, allowed events, notices (with their letters), postal details, invoices, reply and data-system tasks",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    responses(
        (status = 200, description = "The request as it stands; its `version` is what an action sends as `expected_version`", body = RequestJson,
         example = json!({
             "id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f",
             "receipt_number": "KJ-20260415-00000123",
             "version": 3,
             "state": "in_progress",
             "state_label": {"en": "Being handled", "ja": "対応中"},
             "closed": false,
             "request_type": "access",
             "jurisdiction": "EEA",
             "channel": "api",
             "language": "en",
             "period_from": null,
             "legal_hold_since": null,
             "workflow": {
                 "id": "gdpr", "version": 7,
                 "name": {"en": "EEA (GDPR) data subject request", "ja": "EEA（GDPR）データ主体の権利行使"},
                 "complaint_authority": {"en": "Your data protection supervisory authority"}
             },
             "requester": {"name": "Jane Doe", "email": "jane@example.com"},
             "message": "Please send me a copy of my personal data.",
             "received_at": "2026-04-15T01:23:45Z",
             "updated_at": "2026-04-16T08:00:00Z",
             "facts": ["email_confirmed", "identity_verified"],
             "clocks": [{
                 "id": "response", "label": {"en": "Answer due", "ja": "回答期限"},
                 "started_on": "2026-04-15", "due_on": "2026-05-15", "paused": false,
                 "stopped_on": null, "extensions": 0, "overdue": false, "problem": null
             }],
             "allowed_events": [{"event": "answer", "label": {"en": "Answer", "ja": "回答する"}, "needs_reason": false}],
             "notices": [],
             "postal": null,
             "invoices": [],
             "reply": {"dispatch": null, "downloads": [], "changes": []},
             "tasks": [],
             "on_behalf": null,
             "assignee": "officer@example.com",
             "notes": [],
             "evidence": []
         })),
    ),
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
            reply: d.reply.into(),
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

/// An event to fire on the request.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// One of the request's `allowed_events` (else 422 `event_not_allowed`).
    #[schema(min_length = 1, example = "extend")]
    event: String,
    /// The request's `version` as last read (else 409 `version_conflict`).
    expected_version: i64,
    /// What the event carries: text values under lower-case names (at most 64 letters or `_`), each
    /// at most 5,000 characters without control characters other than line breaks and tabs (else
    /// 422 `invalid_event_data`). Which ones an event needs is the workflow's: `reason` (where
    /// `needs_reason`), `ground` (a refusal, one of its `grounds`), `partial_refusal`,
    /// `tracking_number` and `dispatched_on` (a reply posted by registered mail), `delivered_on` (its
    /// delivery certificate).
    #[serde(default)]
    #[schema(schema_with = event_data_schema)]
    data: Map<String, Value>,
}

/// The schema of an event's `data`: text under lower-case names, the known ones described.
fn event_data_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let text = |description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(5000))
            .pattern(Some(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"))
            .description(Some(description))
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("reason", text("Why (required where the event `needs_reason`); the notice quotes it").build())
        .property("ground", text("A refusal's legal ground: one of the allowed event's `grounds` (`required`, `unknown_ground`, `not_offered_here`)").build())
        .property("partial_refusal", text("What part of the request is refused, where the rest is answered").build())
        .property("tracking_number", text("Japan Post's tracking number of a reply posted by registered mail (11 or 12 digits with their check digit)").build())
        .property("dispatched_on", text("The day a reply was posted (`YYYY-MM-DD`): not before the request arrived, not in the future").build())
        .property("delivered_on", text("The day on the delivery certificate (`YYYY-MM-DD`): not before the dispatch, not in the future").build())
        .additional_properties(Some(text("Any other text the workflow reads")))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[a-z_]{0,64}$"))
                .build(),
        ))
        .build()
}

/// What firing an event did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventApplied {
    pub previous_state: String,
    pub state: String,
    /// The request's new version.
    pub version: i64,
    /// The events that may follow.
    pub allowed_events: Vec<String>,
    /// The kinds of the notices queued to the requester.
    pub notices_queued: Vec<String>,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/events", tag = "requests", operation_id = "fireEvent",
    description = "Fire a workflow event (one of the request's `allowed_events`) at the version last read; a refusal names one of its allowed event's `grounds` where it lists any",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = EventBody,
        description = "The event, the version it applies to, and its data",
        example = json!({"event": "extend", "expected_version": 3, "data": {"reason": "The request covers records in several systems."}})
    ),
    responses(
        (status = 200, description = "Fired: the new state and version, and the notices queued", body = EventApplied,
         example = json!({
             "previous_state": "in_progress",
             "state": "in_progress",
             "version": 4,
             "allowed_events": ["answer", "refuse"],
             "notices_queued": ["deadline_extended"]
         })),
        (status = 403, description = "`role_not_permitted`: the workflow does not let the caller's role fire this event (or `forbidden`: the token's role may not work requests)", body = super::error::ErrorBody),
        (status = 409, description = "`version_conflict`: the request changed since `expected_version` was read", body = super::error::ErrorBody),
        (status = 422, description = "`event_not_allowed` (not an allowed event in this state), `guard_failed` (a condition of the event is not met), `invalid_event_data` (a value that is not text, a bad name, too long or with control characters), or `validation_failed`: `fields` names the problem (`ground` `required`, `unknown_ground`, `not_offered_here`; `reason` `required`; `tracking_number`, `dispatched_on`, `delivered_on` …)", body = super::error::ErrorBody),
    ),
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

/// Data points an officer checked against the company's records (names and match only; the values
/// are not kept).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataPointsBody {
    /// The request's `version` as last read (else 409 `version_conflict`).
    expected_version: i64,
    /// Each point checked, by a distinct name (`duplicate_data_point`) of 1 to 64 bytes
    /// (`invalid_data_point`).
    points: Vec<DataPointJson>,
    /// The requester signed the declaration (on paper); one signed on the tracking page counts too.
    #[serde(default)]
    declaration_signed: bool,
    /// The officer checked these with the person directly, not with the agent who filed (required
    /// where the procedure has the person verify and an agent filed: `person_must_verify`).
    #[serde(default)]
    with_person: bool,
}

/// One data point checked: its name (the value is not kept) and whether it matched.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataPointJson {
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"\S",
        example = "postal_code"
    )]
    name: String,
    matched: bool,
}

/// Record data points checked against the company's records (names and match only).
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/identity/data-points", tag = "requests", operation_id = "recordIdentityDataPoints",
    description = "Record checked data points; identity is verified when the procedure's degree for the request type is reached. Where an agent filed under a procedure with `person_verifies_directly` (CCPA §7063(a)(1)), only points checked with the person count (`with_person: true`, else `person_must_verify`)",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = DataPointsBody,
        description = "The points checked, at the version last read",
        example = json!({
            "expected_version": 2,
            "points": [{"name": "account_id", "matched": true}, {"name": "postal_code", "matched": true}],
            "declaration_signed": false
        })
    ),
    responses(
        (status = 200, description = "Recorded: the degree reached, and whether identity is now verified", body = crate::domain::identity::Degree,
         example = json!({"matched": 2, "required": 2, "declaration_required": false, "verified": true})),
        (status = 409, description = "`version_conflict`: the request changed since `expected_version` was read", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `points` `not_now` (the request is closed), `no_data_point_rule` (the procedure verifies otherwise), `invalid_data_point`, `duplicate_data_point`, `person_must_verify`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn identity_data_points(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<DataPointsBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.parse()?.into_inner();
    let check = crate::app::identity::DataPointCheck {
        expected_version: b.expected_version,
        points: b
            .points
            .into_iter()
            .map(|p| crate::domain::identity::DataPoint {
                name: p.name,
                matched: p.matched,
            })
            .collect(),
        declaration_signed: b.declaration_signed,
        with_person: b.with_person,
    };
    let degree =
        crate::app::identity::record_data_points(&state, &who.staff, id.into_inner(), check)
            .await?;
    Ok(HttpResponse::Ok().json(degree))
}

/// An officer's judgement that identity is established.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgementBody {
    /// The request's `version` as last read (else 409 `version_conflict`).
    expected_version: i64,
    /// Why the officer is satisfied, at most 2,000 characters; recorded.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    reason: String,
    /// Checked with the person directly, not with their agent (required where the procedure says
    /// `person_verifies_directly` and an agent filed).
    #[serde(default)]
    with_person: bool,
}

/// An officer's judgement that identity is established, with the reason.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/identity/judgement", tag = "requests", operation_id = "recordIdentityJudgement",
    description = "Verify identity by the officer's judgement (the reason is recorded; `with_person` as for data points)",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = JudgementBody,
        description = "The reason, at the version last read",
        example = json!({"expected_version": 2, "reason": "Called the number on the account; the person answered the security questions."})
    ),
    responses(
        (status = 204, description = "Identity verified"),
        (status = 409, description = "`version_conflict`: the request changed since `expected_version` was read", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `reason` `required`, `too_long`, `invalid_characters`, `not_now` (the request is closed); `person_must_verify`", body = super::error::ErrorBody),
    ),
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
