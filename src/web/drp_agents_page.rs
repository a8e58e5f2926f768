//! The authorised agents' page (administrators): the agents registered for the Data Rights Protocol,
//! a form that registers one from its service-directory entry, removal, and this business's own entry.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{Csrf, CsrfForm};
use super::error::PageError;
use super::outcome;
use super::session::{Administer, Authorized};
use super::{redirect, render};
use crate::app::AppState;
use crate::app::drp_agents::{self, AgentView};
use crate::app::staff::StaffMember;
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/staff/drp_agents.html")]
pub struct AgentsPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub agents: Vec<AgentView>,
    /// This business's directory entry, pretty-printed; `None` while `KAIJI_DRP_BUSINESS_ID` is unset.
    pub business_entry: Option<String>,
    pub input: AgentForm,
    pub errors: FieldErrors,
    pub problem: Option<String>,
}

impl AgentsPage {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    pub fn time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.with_timezone(&chrono_tz::Asia::Tokyo)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

/// The form as typed: the entry's JSON, and the callback hosts one per line (or comma-separated).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AgentForm {
    pub entry: String,
    pub callback_hosts: String,
}

/// The form as it comes back: status, what was typed, and what was wrong.
struct Shown {
    status: StatusCode,
    input: AgentForm,
    errors: FieldErrors,
    problem: Option<String>,
}

impl Shown {
    fn fresh() -> Self {
        Self {
            status: StatusCode::OK,
            input: AgentForm::default(),
            errors: FieldErrors::new(),
            problem: None,
        }
    }

    fn back(back: outcome::Back, tr: Tr, input: AgentForm) -> Self {
        Self {
            status: back.status(),
            problem: back.summary(tr),
            errors: back.into_errors(),
            input,
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
        errors,
        problem,
    } = shown;
    let agents = drp_agents::agents(state).await?;
    let business_entry = drp_agents::business_entry(state)
        .ok()
        .and_then(|e| serde_json::to_string_pretty(&e).ok());
    render(
        status,
        &AgentsPage {
            tr,
            csrf: csrf.token(),
            staff,
            agents,
            business_entry,
            input,
            errors,
            problem,
        },
    )
}

/// `GET /staff/drp-agents`
pub async fn show(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    csrf: Csrf,
) -> Result<HttpResponse, PageError> {
    page(&state, who.staff, tr, &csrf, Shown::fresh()).await
}

/// `POST /staff/drp-agents`: registers (or replaces) an agent; a problem comes back with the input kept.
pub async fn add(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<AgentForm>,
) -> Result<HttpResponse, PageError> {
    let hosts: Vec<String> = input
        .callback_hosts
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect();
    let call = async {
        let entry: serde_json::Value = serde_json::from_str(input.entry.trim())
            .map_err(|_| crate::app::AppError::invalid("entry", "invalid_json"))?;
        drp_agents::add_agent(&state, who.staff.actor(), entry, hosts).await
    };
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect("/staff/drp-agents")),
        Err(back) => {
            let shown = Shown::back(back, tr, input);
            page(&state, who.staff, tr, &csrf, shown).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RemoveForm {}

/// `POST /staff/drp-agents/{id}/remove`: the agent's tokens stop working at once.
pub async fn remove(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    id: web::Path<String>,
    CsrfForm { fresh, csrf, .. }: CsrfForm<RemoveForm>,
) -> Result<HttpResponse, PageError> {
    let call = drp_agents::remove_agent(&state, who.staff.actor(), id.into_inner());
    match outcome::of(fresh, call).await? {
        Ok(()) => Ok(redirect("/staff/drp-agents")),
        Err(back) => {
            let shown = Shown::back(back, tr, AgentForm::default());
            page(&state, who.staff, tr, &csrf, shown).await
        }
    }
}
