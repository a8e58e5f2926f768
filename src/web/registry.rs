//! The data-system registry on the web: administrators register and change systems, everyone working
//! requests reads it and their own open tasks.

use crate::domain::code::Code;
use crate::domain::ids::DataSystemId;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{CheckedForm, Csrf, CsrfForm};
use super::error::{ApiError, PageError};
use super::outcome;
use super::session::{Administer, ApiStaff, Authorized, WorkRequests, WorkTasks};
use super::{redirect, render};
use crate::app::AppState;
use crate::app::registry::{self, RegisteredSystem};
use crate::app::staff::StaffMember;
use crate::app::systems::{self, OpenTask};
use crate::domain::FieldErrors;
use crate::domain::systems::RawDataSystem;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/staff/systems.html")]
pub struct SystemsPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub systems: Vec<RegisteredSystem>,
    pub mine: Vec<OpenTask>,
    pub input: RawDataSystem,
    /// The system the form changes; `None`: the form registers a new one.
    pub editing: Option<String>,
    pub errors: FieldErrors,
    pub problem: Option<String>,
}

impl SystemsPage {
    pub fn is_admin(&self) -> bool {
        self.staff.role == crate::domain::staff::Role::Admin
    }

    pub fn categories(&self, s: &RegisteredSystem) -> String {
        s.categories.join(", ")
    }

    pub fn fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let i = &self.input;
        vec![
            ("name", "systems-name", i.name.clone()),
            ("owner_email", "systems-owner", i.owner_email.clone()),
            ("categories", "systems-categories", i.categories.clone()),
            ("retention", "systems-retention", i.retention.clone()),
            (
                "deletion_method",
                "systems-deletion",
                i.deletion_method.clone(),
            ),
            ("purposes", "systems-purposes", i.purposes.clone()),
            ("serves", "systems-serves", i.serves.clone()),
            ("sources", "systems-sources", i.sources.clone()),
            (
                "automated_decisions",
                "systems-automated",
                i.automated_decisions.clone(),
            ),
            (
                "never_disclose",
                "systems-never-disclose",
                i.never_disclose.clone(),
            ),
        ]
    }

    /// The rights a system carries out, in the reader's words.
    pub fn serves(&self, s: &RegisteredSystem) -> String {
        s.serves
            .iter()
            .map(|k| self.tr.t(&format!("task-kind-{}", k.as_str())))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }
}

/// The registration form as it comes back: status, what was typed, and what was wrong.
struct Shown {
    status: StatusCode,
    input: RawDataSystem,
    editing: Option<String>,
    errors: FieldErrors,
    problem: Option<String>,
}

impl Shown {
    /// The form come back, with what was typed (into the form for `editing`, or a new system's).
    fn back(back: outcome::Back, tr: Tr, input: RawDataSystem, editing: Option<String>) -> Self {
        Shown {
            status: back.status(),
            input,
            editing,
            problem: back.summary(tr),
            errors: back.into_errors(),
        }
    }
}

async fn page(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let Shown {
        status,
        input,
        editing,
        errors,
        problem,
    } = shown;
    let systems = registry::list(state).await?;
    let mine = systems::my_tasks(state, &staff).await?;
    render(
        status,
        &SystemsPage {
            tr,
            csrf: csrf.token(),
            staff,
            systems,
            mine,
            input,
            editing,
            errors,
            problem,
        },
    )
}

#[derive(Deserialize)]
pub struct ShowQuery {
    /// A system to change (administrators): the form comes filled in with it.
    #[serde(default)]
    edit: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    who: Authorized<WorkTasks>,
    tr: Tr,
    csrf: Csrf,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PageError> {
    let editing = match &query.edit {
        Some(id) if who.staff.role == crate::domain::staff::Role::Admin => registry::list(&state)
            .await?
            .into_iter()
            .find(|s| &s.id == id),
        _ => None,
    };
    page(
        &state,
        who.staff,
        tr,
        &csrf,
        Shown {
            status: StatusCode::OK,
            input: editing.as_ref().map(registry::as_typed).unwrap_or_default(),
            editing: editing.map(|s| s.id),
            errors: FieldErrors::new(),
            problem: None,
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct SystemForm {
    #[serde(flatten)]
    system: RawDataSystem,
}

pub async fn register(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    form: CsrfForm<SystemForm>,
) -> Result<HttpResponse, PageError> {
    save(&state, who, tr, None, form).await
}

/// Changes a registered system from its form (administrators); a problem comes back with the input kept.
pub async fn update(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    id: web::Path<DataSystemId>,
    form: CsrfForm<SystemForm>,
) -> Result<HttpResponse, PageError> {
    save(&state, who, tr, Some(id.into_inner()), form).await
}

/// A new system registered, or the one `editing` changed; or the form again with what was typed.
async fn save(
    state: &AppState,
    who: Authorized<Administer>,
    tr: Tr,
    editing: Option<DataSystemId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<SystemForm>,
) -> Result<HttpResponse, PageError> {
    let raw = input.system.clone();
    let call = async {
        match &editing {
            None => registry::register(state, &who.staff, raw).await,
            Some(id) => registry::update(state, &who.staff, id.clone(), raw).await,
        }
    };
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect("/staff/systems")),
        Err(back) => {
            let editing = editing.map(|id| id.to_string());
            let shown = Shown::back(back, tr, input.system, editing);
            page(state, who.staff, tr, &csrf, shown).await
        }
    }
}

/// A data system as the API registers or changes it: text fields, lists comma- or line-separated. Every
/// field missing or blank is named at once (422), so the required ones carry no serde requirement.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemBody {
    /// Unique in the registry.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 100,
        example = "Data warehouse"
    )]
    name: String,
    /// Who answers for it: its tasks go to the staff member of this address.
    #[serde(default)]
    #[schema(required = true, format = Email, max_length = 254, example = "bi-owner@example.com")]
    owner_email: String,
    /// The categories of personal data it holds, comma- or line-separated (1 to 50, each at most 100
    /// characters).
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        example = "purchase history, browsing events"
    )]
    categories: String,
    /// How long it keeps the data.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 1000,
        example = "25 months"
    )]
    retention: String,
    /// How it erases.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 1000,
        example = "Partition rewrite within 30 days"
    )]
    deletion_method: String,
    /// The task kinds it carries out, comma-separated (`export`, `erase`, `rectify`, `restrict`,
    /// `stop_processing`, `locate`); empty: every kind.
    #[serde(default)]
    #[schema(example = "export, erase")]
    serves: String,
    /// The purposes it processes for, comma- or line-separated (at most 50, each at most 100
    /// characters).
    #[serde(default)]
    #[schema(example = "analytics\nforecasting")]
    purposes: String,
    /// Whom it discloses to, one per line: `role | name | email [| language]`, the role `processor`,
    /// `service_provider`, `contractor` or `third_party`, the language one kaiji writes in (`en` by
    /// default); at most 50.
    #[serde(default)]
    #[schema(example = "processor | Warehouse Cloud | dpo@warehouse.example.com | ja")]
    recipients: String,
    /// Where its data comes from.
    #[serde(default)]
    #[schema(max_length = 1000)]
    sources: String,
    /// The automated decision-making it does, with its logic and effects; empty: none declared.
    #[serde(default)]
    #[schema(max_length = 2000)]
    automated_decisions: String,
    /// Fields it holds but never discloses, comma- or line-separated (at most 50, each at most 100
    /// characters).
    #[serde(default)]
    #[schema(example = "card_number")]
    never_disclose: String,
}

impl From<SystemBody> for RawDataSystem {
    fn from(b: SystemBody) -> Self {
        RawDataSystem {
            name: b.name,
            owner_email: b.owner_email,
            categories: b.categories,
            retention: b.retention,
            deletion_method: b.deletion_method,
            serves: b.serves,
            purposes: b.purposes,
            recipients: b.recipients,
            sources: b.sources,
            automated_decisions: b.automated_decisions,
            never_disclose: b.never_disclose,
        }
    }
}

/// The registration the examples send.
fn system_body_example() -> serde_json::Value {
    serde_json::json!({
        "name": "Data warehouse", "owner_email": "bi-owner@example.com",
        "categories": "purchase history, browsing events", "retention": "25 months",
        "deletion_method": "Partition rewrite within 30 days", "serves": "export, erase",
        "purposes": "analytics\nforecasting",
        "recipients": "processor | Warehouse Cloud | dpo@warehouse.example.com | ja"
    })
}

/// A registered system as the examples show it.
fn system_example() -> serde_json::Value {
    serde_json::json!({
        "id": "0197a3c2-a071-7e05-9f60-7b8c9d0e1f2a", "name": "Data warehouse",
        "owner_email": "bi-owner@example.com", "categories": ["purchase history", "browsing events"],
        "retention": "25 months", "deletion_method": "Partition rewrite within 30 days",
        "serves": ["export", "erase"], "purposes": ["analytics", "forecasting"],
        "recipients": [{"role": "processor", "name": "Warehouse Cloud", "email": "dpo@warehouse.example.com", "language": "ja"}],
        "sources": "", "automated_decisions": "", "never_disclose": [], "active": true,
        "created_at": "2026-01-05T02:30:00.000000Z", "updated_at": "2026-01-05T02:30:00.000000Z"
    })
}

const SYSTEM_422: &str = "`validation_failed`: each field's code: `required`, `too_long`, `invalid_characters`; `name` `system_name_taken`; `owner_email` `invalid_email`; `serves` `unknown_task_kind`; `recipients` `recipient_format`, `unknown_recipient_role`, `invalid_email`, `unknown_language`, `recipient_repeated`";

#[utoipa::path(
    post, path = "/api/v1/data-systems/{id}", tag = "systems",
    operation_id = "updateDataSystem",
    description = "Change a registered system (administrators), with the fields of a registration (each replaced: a field left out is emptied); its open tasks stay; audited (`system.changed`, naming the fields changed)",
    params(("id" = String, Path, description = "The data system's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = SystemBody,
        description = "The system as it is to be",
        example = json!(system_body_example())
    ),
    responses(
        (status = 200, description = "Changed", body = RegisteredSystem, example = json!(system_example())),
        (status = 404, description = "`not_found`: no data system has this id", body = super::error::ErrorBody),
        (status = 422, description = SYSTEM_422, body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    id: web::Path<DataSystemId>,
    body: super::body::ApiJson<SystemBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let row = registry::update(
        &state,
        &who.staff,
        id.into_inner(),
        body.into_inner().into(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn set_active(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    id: web::Path<DataSystemId>,
    form: CheckedForm<ActiveForm>,
) -> Result<HttpResponse, PageError> {
    registry::set_active(&state, &who.staff, id.into_inner(), form.0.active == "true").await?;
    Ok(redirect("/staff/systems"))
}

#[utoipa::path(
    get, path = "/api/v1/data-systems", tag = "systems",
    operation_id = "listDataSystems",
    description = "The data-system registry, active systems and retired ones",
    responses(
        (status = 200, description = "Every registered system", body = Vec<RegisteredSystem>, example = json!([system_example()])),
    ),
    security(("bearer" = []))
)]
pub async fn list_api(
    state: web::Data<AppState>,
    _who: ApiStaff<WorkRequests>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(registry::list(&state).await?))
}

#[utoipa::path(
    post, path = "/api/v1/data-systems", tag = "systems",
    operation_id = "registerDataSystem",
    description = "Register a data system (administrators); active at once: new requests get a task in it for each task kind it `serves`; audited (`system.registered`)",
    request_body(
        content = SystemBody,
        description = "The system",
        example = json!(system_body_example())
    ),
    responses(
        (status = 201, description = "Registered", body = RegisteredSystem, example = json!(system_example())),
        (status = 422, description = SYSTEM_422, body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn register_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    body: super::body::ApiJson<SystemBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let row = registry::register(&state, &who.staff, body.into_inner().into()).await?;
    Ok(HttpResponse::Created().json(row))
}

/// Whether new requests get a task in the system.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveBody {
    /// `false` takes it out of new requests, `true` puts it back.
    active: bool,
}

#[utoipa::path(
    post, path = "/api/v1/data-systems/{id}/active", tag = "systems",
    operation_id = "setDataSystemActive",
    description = "Take a system out of (or back into) new requests (administrators); the tasks already open in it stay; audited (`system.changed`)",
    params(("id" = String, Path, description = "The data system's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = ActiveBody,
        description = "In use or not",
        example = json!({"active": false})
    ),
    responses(
        (status = 204, description = "Done"),
        (status = 404, description = "`not_found`: no data system has this id", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_active_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    id: web::Path<DataSystemId>,
    body: super::body::ApiJson<ActiveBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    registry::set_active(&state, &who.staff, id.into_inner(), body.active).await?;
    Ok(HttpResponse::NoContent().finish())
}
