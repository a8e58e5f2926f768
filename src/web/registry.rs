//! The data-system registry on the web: administrators register and change systems, everyone working
//! requests reads it and their own open tasks.

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
        serde_json::from_str::<Vec<String>>(&s.categories)
            .map(|c| c.join(", "))
            .unwrap_or_default()
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
    CsrfForm { input, fresh, csrf }: CsrfForm<SystemForm>,
) -> Result<HttpResponse, PageError> {
    let call = registry::register(&state, &who.staff, input.system.clone());
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect("/staff/systems")),
        Err(back) => {
            let shown = Shown {
                status: back.status(),
                input: input.system,
                editing: None,
                problem: back.summary(tr),
                errors: back.into_errors(),
            };
            page(&state, who.staff, tr, &csrf, shown).await
        }
    }
}

/// Changes a registered system from its form (administrators); a problem comes back with the input kept.
pub async fn update(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    id: web::Path<DataSystemId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<SystemForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let call = registry::update(&state, &who.staff, id.clone(), input.system.clone());
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect("/staff/systems")),
        Err(back) => {
            let shown = Shown {
                status: back.status(),
                input: input.system,
                editing: Some(id.to_string()),
                problem: back.summary(tr),
                errors: back.into_errors(),
            };
            page(&state, who.staff, tr, &csrf, shown).await
        }
    }
}

#[utoipa::path(
    post, path = "/api/v1/data-systems/{id}", tag = "systems",
    description = "Change a registered system (administrators), with the fields of a registration; its open tasks stay",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn update_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    id: web::Path<DataSystemId>,
    body: super::body::ApiJson<RawDataSystem>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let row = registry::update(&state, &who.staff, id.into_inner(), body.into_inner()).await?;
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
    description = "The data-system registry",
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
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
    description = "Register a data system (administrators): `{\"name\", \"owner_email\", \"categories\", \"retention\", \"deletion_method\", \"serves\"?, \"purposes\"?, \"recipients\"?}`; `serves` lists task kinds (export, erase, rectify, restrict, stop_processing; empty: all), `recipients` one per line as `role | name | email | language?`",
    request_body(content = Object),
    responses((status = 201, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn register_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    body: super::body::ApiJson<RawDataSystem>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let row = registry::register(&state, &who.staff, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(row))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveBody {
    active: bool,
}

#[utoipa::path(
    post, path = "/api/v1/data-systems/{id}/active", tag = "systems",
    description = "Take a system out of (or back into) new requests (administrators): `{\"active\"}`",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 204, description = "Done"), (status = "4XX", body = super::error::ErrorBody)),
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
