//! Staff pages: sign-in, first-admin setup, the review queue, a request, the audit log.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{CSRF_COOKIE, Csrf, cookie};
use super::error::{PageError, WebError};
use super::i18n::Tr;
use super::session::{AnyStaff, Authorized, SESSION_COOKIE, WorkRequests};
use super::{redirect, render};
use crate::app::documents::RawDocument;
use crate::app::requests::{self, RequestDetail};
use crate::app::staff::{self, SetupInput, StaffMember};
use crate::app::{AppError, AppState, intake};
use crate::domain::FieldErrors;
use crate::domain::postal::{MailClass, PostalIntake, RawPostalIntake, RequesterKind};
use crate::domain::request::RequestType;
use crate::domain::staff::Role;
use crate::security::tokens;

#[derive(Template)]
#[template(path = "pages/staff/login.html")]
pub struct LoginPage {
    pub tr: Tr,
    pub csrf: String,
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    setup: Option<String>,
}

pub async fn login_form(
    tr: Tr,
    csrf: Csrf,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let page = LoginPage {
        tr,
        csrf: csrf.token(),
        email: String::new(),
        error: None,
        notice: query.setup.as_ref().map(|_| tr.t("setup-done")),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn landing(role: Role) -> &'static str {
    match role {
        Role::Officer | Role::Admin => "/staff/requests",
        Role::Auditor => "/staff/audit",
    }
}

pub async fn login(
    state: web::Data<AppState>,
    tr: Tr,
    csrf: Csrf,
    form: web::Form<LoginInput>,
) -> Result<HttpResponse, PageError> {
    let LoginInput {
        csrf_token,
        email,
        password,
    } = form.into_inner();
    let rerender = |status, error: String, email: String| {
        render(
            status,
            &LoginPage {
                tr,
                csrf: csrf.token(),
                email,
                error: Some(error),
                notice: None,
            },
        )
    };
    if csrf.verify(&csrf_token).is_err() {
        return rerender(StatusCode::FORBIDDEN, tr.t("form-expired"), email);
    }
    match staff::login(&state, email.clone(), password).await {
        Ok(login) => {
            let secure = state.config.cookie_secure;
            let mut res = redirect(landing(login.staff.role));
            res.add_cookie(&cookie(SESSION_COOKIE, login.session_token, secure))
                .map_err(|e| WebError::BadBody(e.to_string()))?;
            // A fresh CSRF seed after sign-in, so a token planted before it is worthless.
            res.add_cookie(&cookie(CSRF_COOKIE, tokens::new_token(), secure))
                .map_err(|e| WebError::BadBody(e.to_string()))?;
            Ok(res)
        }
        Err(AppError::BadCredentials) => {
            rerender(StatusCode::UNAUTHORIZED, tr.t("staff-login-failed"), email)
        }
        Err(AppError::AccountLocked) => rerender(
            StatusCode::FORBIDDEN,
            tr.t_args(
                "staff-login-locked",
                &[("minutes", staff::LOCK_MINUTES.to_string())],
            ),
            email,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf_token: String,
}

pub async fn logout(
    state: web::Data<AppState>,
    who: Authorized<AnyStaff>,
    csrf: Csrf,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    csrf.verify(&form.csrf_token)?;
    staff::logout(&state, &who.staff, who.session_token).await?;
    let mut res = redirect("/staff/login");
    let mut gone = Cookie::new(SESSION_COOKIE, "");
    gone.set_path("/");
    res.add_removal_cookie(&gone)
        .map_err(|e| WebError::BadBody(e.to_string()))?;
    Ok(res)
}

pub async fn home(who: Authorized<AnyStaff>) -> HttpResponse {
    redirect(landing(who.staff.role))
}

#[derive(Template)]
#[template(path = "pages/staff/queue.html")]
pub struct QueuePage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub q: requests::QueueQuery,
    pub view: Option<requests::QueueView>,
    pub errors: FieldErrors,
}

impl QueuePage {
    pub fn v(field: &Option<String>) -> &str {
        field.as_deref().unwrap_or("")
    }

    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    /// The next page's address: the same filters, the next cursor.
    pub fn next_href(&self, cursor: &str) -> String {
        let q = &self.q;
        let pairs = [
            ("state", &q.state),
            ("procedure", &q.procedure),
            ("right", &q.right),
            ("jurisdiction", &q.jurisdiction),
            ("assignee", &q.assignee),
            ("due_within", &q.due_within),
            ("overdue", &q.overdue),
            ("waiting", &q.waiting),
            ("limit", &q.limit),
        ];
        let mut kept: Vec<(&str, &str)> = pairs
            .iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (*k, v)))
            .collect();
        kept.push(("cursor", cursor));
        format!(
            "/staff/requests?{}",
            serde_html_form::to_string(&kept).unwrap_or_default()
        )
    }

    pub fn rights(&self) -> Vec<(&'static str, String)> {
        crate::domain::request::RequestType::ALL
            .iter()
            .map(|t| (t.as_str(), self.tr.request_type(t)))
            .collect()
    }

    pub fn jurisdictions(&self) -> Vec<(&'static str, String)> {
        crate::domain::request::Jurisdiction::ALL
            .iter()
            .map(|j| (j.as_str(), self.tr.jurisdiction(j.as_str())))
            .collect()
    }
}

/// The review queue: filters, nearest deadline first, keyset pages; bad filters come back beside
/// their fields with what was typed.
pub async fn queue(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    query: web::Query<requests::QueueQuery>,
) -> Result<HttpResponse, PageError> {
    let q = query.into_inner();
    let (view, errors, status) = match requests::queue(&state, &who.staff, q.clone()).await {
        Ok(v) => (Some(v), FieldErrors::new(), StatusCode::OK),
        Err(crate::app::AppError::Invalid(e)) => (None, e, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    render(
        status,
        &QueuePage {
            tr,
            csrf: csrf.token(),
            staff: who.staff,
            q,
            view,
            errors,
        },
    )
}

/// The same queue over JSON: `GET /api/v1/queue`.
#[utoipa::path(
    get, path = "/api/v1/queue", tag = "requests",
    description = "Open requests, nearest deadline first: state, procedure, right, jurisdiction, assignee (me|none|email), due_within (days), overdue, waiting, cursor, limit (1-500)",
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn queue_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    query: web::Query<requests::QueueQuery>,
) -> Result<HttpResponse, super::error::ApiError> {
    let view = requests::queue(&state, &who.staff, query.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(view))
}

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
}

#[derive(Default)]
pub struct ChangeForm {
    pub input: crate::app::reply::RawChange,
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

    /// A checklist line's documents, by name in the page's language.
    pub fn requirement_text(&self, r: &crate::domain::documents::Requirement) -> String {
        let rules = self.d.workflow.documents.as_ref();
        let names: Vec<String> = r
            .one_of
            .iter()
            .map(|k| {
                rules
                    .and_then(|d| d.kind_label(k))
                    .map(|l| self.tr.label(l).to_owned())
                    .unwrap_or_else(|| k.clone())
            })
            .collect();
        let mut s = format!(
            "{}: {}",
            self.tr.t(&format!("holder-{}", r.holder)),
            names.join(" / ")
        );
        if r.original {
            s.push_str(&format!(" ({})", self.tr.t("doc-original-required")));
        }
        if r.fresh {
            let months = rules.map(|d| d.max_age_months).unwrap_or(1);
            s.push_str(&format!(
                " ({})",
                self.tr
                    .t_args("doc-fresh-required", &[("months", months.to_string())])
            ));
        }
        s
    }

    pub fn problem_text(&self, p: &crate::domain::documents::Problem) -> String {
        use crate::domain::documents::Problem;
        match p {
            Problem::Missing => self.tr.t("doc-missing"),
            Problem::NotOriginal => self.tr.t("doc-not-original"),
            Problem::DateMissing => self.tr.t("doc-date-missing"),
            Problem::Stale {
                created_on,
                earliest,
            } => self.tr.t_args(
                "doc-stale",
                &[
                    ("created", created_on.to_string()),
                    ("earliest", earliest.to_string()),
                ],
            ),
            Problem::DatedAfterRequest { created_on } => self
                .tr
                .t_args("doc-after-request", &[("created", created_on.to_string())]),
        }
    }

    pub fn document_kinds(&self) -> Vec<(String, String, bool)> {
        self.d
            .workflow
            .documents
            .as_ref()
            .map(|d| {
                d.kinds
                    .iter()
                    .map(|(k, l)| {
                        (
                            k.clone(),
                            self.tr.label(l).to_owned(),
                            self.document.input.kind == *k,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn kind_name(&self, kind: &str) -> String {
        self.d
            .workflow
            .documents
            .as_ref()
            .and_then(|d| d.kind_label(kind))
            .map(|l| self.tr.label(l).to_owned())
            .unwrap_or_else(|| kind.to_owned())
    }

    pub fn tracking_display(&self) -> Option<String> {
        self.d
            .postal
            .as_ref()
            .and_then(|p| p.tracking_number.clone())
            .map(|t| crate::domain::postal::TrackingNumber::from_stored(t).display())
    }

    pub fn services(&self) -> Vec<String> {
        self.d
            .postal
            .as_ref()
            .and_then(|p| serde_json::from_str(&p.services).ok())
            .unwrap_or_default()
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
        crate::domain::reply::ChangeAction::for_request(self.d.request_type).is_some()
            && self
                .d
                .facts
                .contains(&crate::domain::workflow::Fact::IdentityVerified)
    }

    pub fn change_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let i = &self.change.input;
        let mut f = vec![("item", "changes-item", i.item.clone())];
        if self.d.request_type == crate::domain::request::RequestType::Correction {
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
}

pub(crate) async fn request_page(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    id: String,
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
        },
    )
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    note: String,
}

/// Adds an internal note from the request page; a problem comes back with the text kept.
pub async fn add_note(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    id: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let result: Result<(), String> = if csrf.verify(&form.csrf_token).is_err() {
        Err(tr.t("form-expired"))
    } else {
        match requests::add_note(&state, &who.staff, id.clone(), form.note.clone()).await {
            Ok(()) => return Ok(redirect(&format!("/staff/requests/{id}?moved=1#timeline"))),
            Err(crate::app::AppError::Invalid(e)) => Err(e
                .code_for("note")
                .map(|c| tr.field_error(c))
                .unwrap_or_default()),
            Err(e) => return Err(e.into()),
        }
    };
    let problem = result.err().unwrap_or_default();
    let feedback = Feedback {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        note: Some((form.note, problem)),
        ..Default::default()
    };
    request_page(&state, who.staff, tr, &csrf, id, feedback).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    note: String,
}

/// Adds an internal note over the API.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/notes", tag = "requests",
    description = "Add an internal note (never shown to the requester)",
    params(("id" = String, Path)),
    request_body = NoteBody,
    responses((status = 204, description = "Added"), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn add_note_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    id: web::Path<String>,
    body: super::uploads::StaffJson<NoteBody>,
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
    id: web::Path<String>,
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

#[derive(Deserialize)]
pub struct EventInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    expected_version: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    tracking_number: String,
    #[serde(default)]
    dispatched_on: String,
    #[serde(default)]
    delivered_on: String,
    #[serde(default)]
    partial_refusal: String,
}

pub async fn fire_event(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    id: web::Path<String>,
    form: web::Form<EventInput>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let kept_reason = Some((form.event.clone(), form.reason.clone()));
    let mut data = serde_json::Map::new();
    let mut kept_inputs = Vec::new();
    for (k, v) in [
        ("reason", &form.reason),
        ("tracking_number", &form.tracking_number),
        ("dispatched_on", &form.dispatched_on),
        ("delivered_on", &form.delivered_on),
        ("partial_refusal", &form.partial_refusal),
    ] {
        if !v.trim().is_empty() {
            data.insert(k.into(), v.trim().into());
            kept_inputs.push((k.to_owned(), v.clone()));
        }
    }
    // An expired form or a damaged page re-renders with the typed reason kept; nothing is written.
    let expected_version = form.expected_version.trim().parse::<i64>();
    let early = if csrf.verify(&form.csrf_token).is_err() {
        Some((StatusCode::FORBIDDEN, tr.t("form-expired")))
    } else if expected_version.is_err() {
        Some((StatusCode::UNPROCESSABLE_ENTITY, tr.t("request-conflict")))
    } else {
        None
    };
    if let Some((status, problem)) = early {
        let feedback = Feedback {
            status,
            notice: None,
            problem: Some(problem),
            kept_reason,
            kept_inputs,
            ..Default::default()
        };
        return request_page(&state, who.staff, tr, &csrf, id, feedback).await;
    }
    let expected_version = expected_version.unwrap_or_default();
    let mut input_errors = FieldErrors::new();
    let result = requests::fire_event(
        &state,
        &who.staff,
        id.clone(),
        form.event,
        expected_version,
        data,
    )
    .await;
    let (status, problem) = match result {
        Ok(_) => return Ok(redirect(&format!("/staff/requests/{id}?moved=1"))),
        Err(AppError::Conflict) => (StatusCode::CONFLICT, tr.t("request-conflict")),
        Err(AppError::Invalid(errors)) => {
            input_errors = errors;
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                tr.t("form-errors-summary"),
            )
        }
        Err(e @ (AppError::Transition(_) | AppError::BadEventData(_))) => {
            let web = WebError::App(e);
            let status = web.status_and_code().0;
            if status.is_server_error() {
                return Err(PageError(web));
            }
            (
                status,
                tr.t_args("request-refused", &[("reason", web.to_string())]),
            )
        }
        Err(e) => return Err(e.into()),
    };
    let feedback = Feedback {
        status,
        notice: None,
        problem: Some(problem),
        kept_reason,
        kept_inputs,
        input_errors,
        ..Default::default()
    };
    request_page(&state, who.staff, tr, &csrf, id, feedback).await
}

/// The request's workflow as a picture. Served as its own document, so its inline styles get their own
/// (narrow) content security policy instead of loosening the page's.
pub async fn diagram(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let svg = requests::diagram(&state, &who.staff, id.into_inner(), tr.lang).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .body(svg))
}

#[derive(Template)]
#[template(path = "pages/staff/setup.html")]
pub struct SetupPage {
    pub tr: Tr,
    pub csrf: String,
    pub token: String,
    pub email: String,
    pub has_errors: bool,
    pub email_error: Option<String>,
    pub password_error: Option<String>,
    pub confirmation_error: Option<String>,
}

impl SetupPage {
    fn new(tr: Tr, csrf: &Csrf, token: String, email: String, errors: &FieldErrors) -> Self {
        let err = |f: &str| errors.code_for(f).map(|c| tr.field_error(c));
        Self {
            tr,
            csrf: csrf.token(),
            token,
            email,
            has_errors: !errors.is_empty(),
            email_error: err("email"),
            password_error: err("password"),
            confirmation_error: err("password_confirmation"),
        }
    }
}

pub async fn setup_form(
    state: web::Data<AppState>,
    tr: Tr,
    csrf: Csrf,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    if !staff::setup_link_is_valid(&state, token.clone()).await? {
        return Err(AppError::SetupLinkInvalid.into());
    }
    render(
        StatusCode::OK,
        &SetupPage::new(tr, &csrf, token, String::new(), &FieldErrors::new()),
    )
}

#[derive(Deserialize)]
pub struct SetupFormInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

pub async fn setup(
    state: web::Data<AppState>,
    tr: Tr,
    csrf: Csrf,
    token: web::Path<String>,
    form: web::Form<SetupFormInput>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let form = form.into_inner();
    csrf.verify(&form.csrf_token)?;
    let email = form.email.clone();
    let input = SetupInput {
        email: form.email,
        password: form.password,
        password_confirmation: form.password_confirmation,
    };
    match staff::complete_setup(&state, token.clone(), input).await {
        Ok(_) => Ok(redirect("/staff/login?setup=done")),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SetupPage::new(tr, &csrf, token, email, &errors),
        ),
        Err(e) => Err(e.into()),
    }
}

/// How a field of a generated form is drawn.
pub enum FieldKind {
    Text,
    Date,
    Area,
    Choice,
    Checks,
}

pub struct FormField {
    pub name: &'static str,
    pub label: String,
    pub kind: FieldKind,
    pub value: String,
    pub options: Vec<super::public::TypeOption>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/staff/postal_new.html")]
pub struct PostalPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub fields: Vec<FormField>,
    pub has_errors: bool,
}

impl PostalPage {
    fn new(
        tr: Tr,
        csrf: &Csrf,
        staff: StaffMember,
        raw: &RawPostalIntake,
        errors: &FieldErrors,
    ) -> Self {
        let err = |f: &str| errors.code_for(f).map(|c| tr.field_error(c));
        let opt = |code: &'static str, label: String, selected: bool| super::public::TypeOption {
            code,
            label,
            selected,
        };
        let text = |name: &'static str, key: &str, kind: FieldKind, value: &str| FormField {
            name,
            label: tr.t(key),
            kind,
            value: value.to_owned(),
            options: Vec::new(),
            error: err(name),
        };
        let fields = vec![
            text(
                "received_on",
                "postal-received-on",
                FieldKind::Date,
                &raw.received_on,
            ),
            FormField {
                options: MailClass::ALL
                    .iter()
                    .map(|m| {
                        opt(
                            m.as_str(),
                            tr.t(&format!("mail-{m}")),
                            raw.mail_class == m.as_str(),
                        )
                    })
                    .collect(),
                ..text("mail_class", "postal-mail-class", FieldKind::Choice, "")
            },
            text(
                "tracking_number",
                "postal-tracking-number",
                FieldKind::Text,
                &raw.tracking_number,
            ),
            text(
                "request_date",
                "postal-request-date",
                FieldKind::Date,
                &raw.request_date,
            ),
            FormField {
                options: RequestType::ALL
                    .iter()
                    .map(|t| {
                        opt(
                            t.as_str(),
                            tr.request_type(t),
                            raw.request_types.iter().any(|r| r == t.as_str()),
                        )
                    })
                    .collect(),
                ..text(
                    "request_types",
                    "postal-request-types",
                    FieldKind::Checks,
                    "",
                )
            },
            text(
                "services",
                "postal-services",
                FieldKind::Area,
                &raw.services.join("\n"),
            ),
            text("name", "form-name", FieldKind::Text, &raw.name),
            text(
                "postal_address",
                "postal-address",
                FieldKind::Area,
                &raw.postal_address,
            ),
            text("email", "postal-email", FieldKind::Text, &raw.email),
            FormField {
                options: RequesterKind::ALL
                    .iter()
                    .map(|k| {
                        opt(
                            k.as_str(),
                            tr.t(&format!("requester-{k}")),
                            raw.requester_kind == k.as_str(),
                        )
                    })
                    .collect(),
                ..text(
                    "requester_kind",
                    "postal-requester-kind",
                    FieldKind::Choice,
                    "",
                )
            },
            text(
                "agent_name",
                "postal-agent-name",
                FieldKind::Text,
                &raw.agent_name,
            ),
            text("message", "form-message", FieldKind::Area, &raw.message),
        ];
        Self {
            tr,
            csrf: csrf.token(),
            staff,
            fields,
            has_errors: !errors.is_empty(),
        }
    }
}

pub async fn postal_form(
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
) -> Result<HttpResponse, PageError> {
    let raw = RawPostalIntake::default();
    render(
        StatusCode::OK,
        &PostalPage::new(tr, &csrf, who.staff, &raw, &FieldErrors::new()),
    )
}

/// The registration form posts repeated `request_types` and a multi-line `services`, which the plain
/// form extractor cannot read; the body is parsed as an HTML form instead.
pub async fn register_postal(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let body = super::uploads::form_body(payload).await?;
    let parse_error = |e: serde::de::value::Error| WebError::BadBody(e.to_string());
    let token: CsrfOnly = serde_html_form::from_bytes(&body).map_err(parse_error)?;
    let mut raw: RawPostalIntake = serde_html_form::from_bytes(&body).map_err(parse_error)?;
    raw.services = raw
        .services
        .iter()
        .flat_map(|s| s.lines().map(str::to_owned))
        .collect();
    if csrf.verify(&token.csrf_token).is_err() {
        let mut page = PostalPage::new(tr, &csrf, who.staff, &raw, &FieldErrors::new());
        page.has_errors = true;
        return render(StatusCode::FORBIDDEN, &page);
    }
    let parsed = PostalIntake::parse(&raw, intake::desk_today(&state));
    let result = match parsed {
        Ok(intake) => intake::register_postal(&state, &who.staff, intake).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(out) => {
            let first = out
                .requests
                .first()
                .map(|(_, r)| r.request_id.clone())
                .unwrap_or_default();
            Ok(redirect(&format!(
                "/staff/requests/{first}?registered={}",
                out.requests.len()
            )))
        }
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PostalPage::new(tr, &csrf, who.staff, &raw, &errors),
        ),
        Err(e) => Err(e.into()),
    }
}
