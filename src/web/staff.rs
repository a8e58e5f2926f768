//! A request's page for staff: its particulars, documents, replies and notices, the events an officer
//! may fire, internal notes, and the workflow's picture.

use crate::domain::code::Code;
use crate::domain::ids::RequestId;
use crate::domain::notice::{NoticeChannel, NoticeStatus};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{Csrf, CsrfForm};
use super::error::{PageError, app_status_and_code};
use super::outcome::{self, Back, PageOf};
use super::session::{Authorized, WorkRequests};
use super::{redirect, render};
use crate::app::documents::RawDocument;
use crate::app::holds;
use crate::app::requests::{self, RequestDetail};
use crate::app::staff::StaffMember;
use crate::app::transition;
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::i18n::Tr;

/// The outcomes a task of this kind closes with, in the reader's words.
pub fn outcomes_of(tr: &Tr, kind: &str) -> Vec<(&'static str, String)> {
    kind.parse::<crate::domain::systems::TaskKind>()
        .map(|k| k.outcomes())
        .unwrap_or(&[])
        .iter()
        .map(|o| (*o, tr.t(&format!("tasks-{}", o.replace('_', "-")))))
        .collect()
}

/// Whether a task of this kind (its stored code) may close on a legal ground, so its form asks for one.
pub fn takes_legal_ground(kind: &str) -> bool {
    kind.parse::<crate::domain::systems::TaskKind>()
        .is_ok_and(|k| k.takes_legal_ground())
}

/// Correction rows a rectification task's form offers (the API takes up to `MAX_CORRECTIONS`).
pub const CORRECTION_ROWS: usize = 3;

#[derive(Template)]
#[template(path = "pages/staff/request.html")]
pub struct RequestPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub d: RequestDetail,
    pub notice: Option<String>,
    pub problem: Option<String>,
    /// The reason typed for a refused event, kept so nothing is lost: (event, text).
    pub kept_reason: Option<(String, String)>,
    /// The identity-document form, refilled after a refusal.
    pub document: DocumentForm,
    /// Values typed into an event's fields (tracking number, dates), kept after a refusal, with problems.
    pub kept_inputs: Vec<(String, String)>,
    pub input_errors: FieldErrors,
    /// The form recording what a correction, deletion or stop of use changed.
    pub change: ChangeForm,
    /// A note that could not be added (text, problem).
    pub note: Option<(String, String)>,
    /// A legal hold that could not be placed or lifted: the reason typed, and the problem.
    pub hold: Option<(String, String)>,
}

#[derive(Default)]
pub struct ChangeForm {
    pub input: crate::domain::reply::RawChange,
    pub errors: FieldErrors,
}

/// The identity-document form's input and its per-field problems.
#[derive(Default)]
pub struct DocumentForm {
    pub input: RawDocument,
    pub errors: FieldErrors,
}

impl RequestPage {
    pub fn doc_error(&self, field: &str) -> Option<String> {
        self.document
            .errors
            .code_for(field)
            .map(|c| self.tr.field_error(c))
    }

    /// An agent filed, and nobody has checked their proof of authority yet.
    pub fn needs_authority(&self) -> bool {
        use crate::domain::workflow::Fact;
        !self.d.terminal
            && self.d.facts.contains(&Fact::FiledByAgent)
            && !self.d.facts.contains(&Fact::AuthorityChecked)
    }

    /// The value kept for an event's field after a refusal.
    pub fn kept_input(&self, event: &str, field: &str) -> &str {
        match &self.kept_reason {
            Some((e, _)) if e == event => self
                .kept_inputs
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, v)| v.as_str())
                .unwrap_or(""),
            _ => "",
        }
    }

    /// The outcomes a task of this kind closes with, as the owner chooses them.
    pub fn task_outcomes(&self, kind: &str) -> Vec<(&'static str, String)> {
        outcomes_of(&self.tr, kind)
    }

    pub fn takes_legal_ground(&self, kind: &str) -> bool {
        takes_legal_ground(kind)
    }

    /// Who approved this event at the request's current version (four eyes).
    pub fn approved_by(&self, event: &str) -> Vec<&str> {
        self.d
            .approvals
            .iter()
            .filter(|(e, _)| e == event)
            .map(|(_, who)| who.as_str())
            .collect()
    }

    /// Whether the answer packs exports (so the officer can preview the package).
    pub fn has_exports(&self) -> bool {
        self.d.tasks.iter().any(|t| t.kind == "export")
    }

    /// The numbers of the correction rows a rectification form offers.
    pub fn correction_rows(&self) -> std::ops::RangeInclusive<usize> {
        1..=CORRECTION_ROWS
    }

    /// What was typed into a task's form before it came back.
    pub fn task_input(&self, task_id: &str, field: &str) -> &str {
        self.kept_input(&format!("task:{task_id}"), field)
    }

    pub fn input_error(&self, event: &str, field: &str) -> Option<String> {
        match &self.kept_reason {
            Some((e, _)) if e == event => self
                .input_errors
                .code_for(field)
                .map(|c| self.tr.field_error(c)),
            _ => None,
        }
    }

    /// The label key of an event's field.
    pub fn input_label(&self, field: &str) -> &'static str {
        match field {
            "tracking_number" => "reply-tracking",
            "dispatched_on" => "reply-dispatched-on",
            _ => "reply-delivered-on",
        }
    }

    /// Corrections, deletions and stops of use record what they changed.
    pub fn takes_changes(&self) -> bool {
        self.d.change().is_some()
            && self
                .d
                .facts
                .contains(&crate::domain::workflow::Fact::IdentityVerified)
    }

    pub fn change_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let i = &self.change.input;
        let mut f = vec![("item", "changes-item", i.item.clone())];
        if self.d.right.as_ref().is_some_and(|r| r.changes_values()) {
            f.push(("prior_value", "changes-prior", i.prior_value.clone()));
            f.push(("new_value", "changes-new", i.new_value.clone()));
        }
        f
    }

    pub fn change_error(&self, field: &str) -> Option<String> {
        self.change
            .errors
            .code_for(field)
            .map(|c| self.tr.field_error(c))
    }

    pub fn reason_for(&self, event: &str) -> &str {
        match &self.kept_reason {
            Some((e, r)) if e == event => r,
            _ => "",
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RequestQuery {
    moved: Option<String>,
}

/// What to tell the officer above the request, and what to refill.
#[derive(Default)]
pub(crate) struct Feedback {
    pub status: StatusCode,
    pub notice: Option<String>,
    pub problem: Option<String>,
    pub kept_reason: Option<(String, String)>,
    pub document: DocumentForm,
    pub kept_inputs: Vec<(String, String)>,
    pub input_errors: FieldErrors,
    pub change: ChangeForm,
    /// A note that could not be added, kept with its problem.
    pub note: Option<(String, String)>,
    /// A legal hold that could not be placed or lifted: the reason typed, and the problem.
    pub hold: Option<(String, String)>,
}

pub(crate) async fn request_page(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    id: RequestId,
    feedback: Feedback,
) -> Result<HttpResponse, PageError> {
    let d = requests::detail(state, &staff, id).await?;
    render(
        feedback.status,
        &RequestPage {
            tr,
            csrf: csrf.token(),
            staff,
            d,
            notice: feedback.notice,
            problem: feedback.problem,
            kept_reason: feedback.kept_reason,
            document: feedback.document,
            kept_inputs: feedback.kept_inputs,
            input_errors: feedback.input_errors,
            change: feedback.change,
            note: feedback.note,
            hold: feedback.hold,
        },
    )
}

impl Feedback {
    /// A one-field form come back: its status, and the problem beside the first of `fields`
    /// (`problem_beside`).
    pub fn beside(back: Back, tr: &Tr, fields: &[&str]) -> Feedback {
        Feedback {
            status: back.status(),
            problem: Some(problem_beside(back, tr, fields)),
            ..Default::default()
        }
    }

    /// And the values typed into the fields of `form` (an event's or a task's), kept for it to show again.
    pub fn keeping<F: Into<String>>(self, form: String, inputs: Vec<(F, String)>) -> Feedback {
        Feedback {
            kept_reason: Some((form, String::new())),
            kept_inputs: inputs
                .into_iter()
                .map(|(field, value)| (field.into(), value))
                .collect(),
            ..self
        }
    }
}

/// A form on a request's page, answered: back to the page at the form's anchor, saying the request
/// moved, when the app took it; or the page again with what `feedback` makes of why the form came back.
impl PageOf<'_, RequestId> {
    pub(crate) async fn settle<T>(
        self,
        answer: Result<T, Back>,
        anchor: &str,
        feedback: impl FnOnce(Back) -> Feedback,
    ) -> Result<HttpResponse, PageError> {
        match answer {
            Ok(_) => Ok(redirect(&format!(
                "/staff/requests/{}?moved=1#{anchor}",
                self.id
            ))),
            Err(back) => {
                let feedback = feedback(back);
                request_page(
                    self.state, self.staff, self.tr, self.csrf, self.id, feedback,
                )
                .await
            }
        }
    }
}

/// What a one-field form shows beside its field after a refusal: the first of `fields`' problems, or that
/// the form expired.
pub(super) fn problem_beside(back: Back, tr: &Tr, fields: &[&str]) -> String {
    match back {
        Back::Invalid(errors) => fields
            .iter()
            .find_map(|f| errors.code_for(f))
            .map(|c| tr.field_error(c))
            .unwrap_or_default(),
        _ => tr.t("form-expired"),
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

/// Adds an internal note from the request page; a problem comes back with the text kept.
pub async fn add_note(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<RequestId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<NoteForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let call = requests::add_note(&state, &who.staff, id.clone(), input.note.clone());
    let answer = outcome::of(fresh, call).await?;
    // The note's form has one field: its message (or the expiry) stands beside it, 422 either way.
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "timeline", |back| Feedback {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        note: Some((input.note, problem_beside(back, &tr, &["note"]))),
        ..Default::default()
    })
    .await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct HoldForm {
    reason: String,
    /// `place` or `lift`.
    action: String,
}

/// Places or lifts a legal hold from the request page; a problem comes back with the reason kept.
pub async fn hold(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<RequestId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<HoldForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    // Only the two buttons' values: anything else (a forged or garbled form) changes nothing.
    let place = match input.action.as_str() {
        "place" => Some(true),
        "lift" => Some(false),
        _ => None,
    };
    let call = async {
        let place = place.ok_or_else(|| AppError::invalid("hold", "unknown_hold_action"))?;
        holds::set(&state, &who.staff, id.clone(), place, input.reason.clone()).await
    };
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "legal-hold", |back| Feedback {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        hold: Some((input.reason, problem_beside(back, &tr, &["reason", "hold"]))),
        ..Default::default()
    })
    .await
}

/// Placing or lifting a legal hold.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// `true` places the hold, `false` lifts it.
    hold: bool,
    /// Why (the complaint, appeal or lawsuit pending), at most 1,000 characters; audited.
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    reason: String,
}

/// Places or lifts a legal hold over the API.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/legal-hold", tag = "requests", operation_id = "setLegalHold",
    description = "Hold a request while a complaint, appeal or lawsuit is pending (erasures skip it), or lift the hold",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = HoldBody,
        description = "Place (`hold: true`) or lift (`hold: false`) the hold, and why",
        example = json!({"hold": true, "reason": "The requester complained to the supervisory authority (case 2026-041)."})
    ),
    responses(
        (status = 204, description = "Placed or lifted"),
        (status = 422, description = "`validation_failed`: `reason` `required`, `too_long` or `invalid_characters`; `hold` `already_held` or `not_held`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn hold_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<HoldBody>,
) -> Result<HttpResponse, super::error::ApiError> {
    let body = body.parse()?.into_inner();
    holds::set(&state, &who.staff, id.into_inner(), body.hold, body.reason).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An internal note.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// The note, at most 4,000 characters (lines allowed); never shown to the requester.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    note: String,
}

/// Adds an internal note over the API.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/notes", tag = "requests", operation_id = "addNote",
    description = "Add an internal note (never shown to the requester)",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = NoteBody,
        description = "The note",
        example = json!({"note": "Asked the billing team whether the old account still holds invoices."})
    ),
    responses(
        (status = 204, description = "Added"),
        (status = 422, description = "`validation_failed`: `note` `required`, `too_long` or `invalid_characters`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_note_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<NoteBody>,
) -> Result<HttpResponse, super::error::ApiError> {
    let body = body.parse()?;
    requests::add_note(&state, &who.staff, id.into_inner(), body.into_inner().note).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn request(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    id: web::Path<RequestId>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, PageError> {
    let feedback = Feedback {
        status: StatusCode::OK,
        notice: query.moved.as_ref().map(|_| tr.t("request-moved")),
        problem: None,
        kept_reason: None,
        ..Default::default()
    };
    request_page(&state, who.staff, tr, &csrf, id.into_inner(), feedback).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EventInput {
    event: String,
    expected_version: String,
    reason: String,
    tracking_number: String,
    dispatched_on: String,
    delivered_on: String,
    partial_refusal: String,
    ground: String,
}

pub async fn fire_event(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<RequestId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<EventInput>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let kept_reason = Some((input.event.clone(), input.reason.clone()));
    let mut data = serde_json::Map::new();
    let mut kept_inputs = Vec::new();
    for (k, v) in [
        ("reason", &input.reason),
        ("tracking_number", &input.tracking_number),
        ("dispatched_on", &input.dispatched_on),
        ("delivered_on", &input.delivered_on),
        ("partial_refusal", &input.partial_refusal),
        ("ground", &input.ground),
    ] {
        if !v.trim().is_empty() {
            data.insert(k.into(), v.trim().into());
            kept_inputs.push((k.to_owned(), v.clone()));
        }
    }
    let version = input.expected_version.trim().parse::<i64>();
    let (status, problem, input_errors) = if fresh && version.is_err() {
        // A damaged page: nothing is written, and what was typed comes back.
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        (status, tr.t("request-conflict"), FieldErrors::new())
    } else {
        let version = version.unwrap_or_default();
        let call =
            transition::fire_event(&state, &who.staff, id.clone(), input.event, version, data);
        match outcome::of_showing(fresh, call, refused_on_the_page).await? {
            Ok(_) => return Ok(redirect(&format!("/staff/requests/{id}?moved=1"))),
            Err(back) => {
                let problem = match &back {
                    Back::Refused(AppError::Conflict) => tr.t("request-conflict"),
                    Back::Refused(e) => tr.t_args("request-refused", &[("reason", e.to_string())]),
                    _ => back.summary(tr).unwrap_or_default(),
                };
                (back.status(), problem, back.into_errors())
            }
        }
    };
    let feedback = Feedback {
        status,
        problem: Some(problem),
        kept_reason,
        kept_inputs,
        input_errors,
        ..Default::default()
    };
    request_page(&state, who.staff, tr, &csrf, id, feedback).await
}

/// An event the request cannot take now (someone moved it first, the workflow or the data says no) is
/// said on its page, with what was typed kept; a fault on our side is an error page.
fn refused_on_the_page(e: &AppError) -> bool {
    match e {
        AppError::Conflict => true,
        AppError::Transition(_) | AppError::BadEventData(_) => {
            !app_status_and_code(e).0.is_server_error()
        }
        _ => false,
    }
}

/// The request's workflow as a picture. Served as its own document, so its inline styles get their own
/// (narrow) content security policy instead of loosening the page's.
pub async fn diagram(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<RequestId>,
) -> Result<HttpResponse, PageError> {
    let svg = requests::diagram(&state, &who.staff, id.into_inner(), tr.lang).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .body(svg))
}
