//! A request as the engine sees it: its row, its pinned workflow, what is known about it, and its clocks;
//! and the shared steps of writing a decision back (clocks with their deadlines, queued notices).

use crate::domain::code::Code;
use crate::domain::ids::RequestId;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::AppError;
use super::workflows::WorkflowCatalog;
use crate::db::clocks::{self, ClockRow};
use crate::db::requests::{self, RequestRow};
use crate::db::{self, AnyConnection};
use crate::domain::deadline::Calendars;
use crate::domain::law::RightDef;
use crate::domain::request::{Language, PlaceCode, RightCode};
use crate::domain::systems::TaskKind;
use crate::domain::workflow::{Clocks, Fact, Facts, Label, Subject, WorkflowDefinition};

pub struct Case {
    pub row: RequestRow,
    pub def: Arc<WorkflowDefinition>,
    pub request_type: RightCode,
    pub jurisdiction: PlaceCode,
    /// The right as the workflow's regime defines it today; `None` if no file defines it any more (the
    /// request then opens no tasks and packs nothing).
    pub right: Option<RightDef>,
    pub language: Language,
    pub facts: Facts,
    pub clocks: Clocks,
}

fn stored<T: std::str::FromStr>(what: &str, v: &str) -> Result<T, AppError> {
    v.parse()
        .map_err(|_| AppError::Definition(format!("stored {what} `{v}` is unknown")))
}

pub fn parse_facts(json: &str) -> Result<Facts, AppError> {
    let names: Vec<String> = serde_json::from_str(json)
        .map_err(|e| AppError::Definition(format!("stored facts: {e}")))?;
    names.iter().map(|n| stored::<Fact>("fact", n)).collect()
}

pub fn facts_json(facts: &Facts) -> String {
    serde_json::to_string(&facts.iter().map(|f| f.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Today as the procedure counts days.
pub fn today_in(def: &WorkflowDefinition, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&def.timezone).date_naive()
}

impl Case {
    /// The request behind a tracking token, its row locked for the caller's transaction (the
    /// requester's own acts: evidence, a sign-in assertion).
    pub fn lock_by_tracking_token(
        conn: &mut AnyConnection,
        catalog: &WorkflowCatalog,
        token: &str,
    ) -> Result<Self, AppError> {
        let found = requests::find_by_token_digest(conn, &crate::security::tokens::digest(token))?
            .ok_or(AppError::NotFound)?;
        requests::lock(conn, &found.id)?;
        let row = requests::find(conn, &found.id)?.ok_or(AppError::NotFound)?;
        Self::from_row(conn, catalog, row)
    }

    pub fn load(
        conn: &mut AnyConnection,
        catalog: &WorkflowCatalog,
        id: &RequestId,
    ) -> Result<Self, AppError> {
        let row = requests::find(conn, id)?.ok_or(AppError::NotFound)?;
        Self::from_row(conn, catalog, row)
    }

    /// The request as the officer saw it: a version that has moved on since is a conflict (someone else
    /// acted first), so nothing is decided on a stale page.
    pub fn load_at(
        conn: &mut AnyConnection,
        catalog: &WorkflowCatalog,
        id: &RequestId,
        expected_version: i64,
    ) -> Result<Self, AppError> {
        let case = Self::load(conn, catalog, id)?;
        if case.row.version != expected_version {
            return Err(AppError::Conflict);
        }
        Ok(case)
    }

    pub fn from_row(
        conn: &mut AnyConnection,
        catalog: &WorkflowCatalog,
        row: RequestRow,
    ) -> Result<Self, AppError> {
        let def = catalog.get(conn, &row.workflow_id, row.workflow_version)?;
        let clocks = clocks::for_request(conn, &row.id)?
            .into_iter()
            .map(|c| Ok((c.clock_id.clone(), c.state()?)))
            .collect::<Result<Clocks, diesel::result::Error>>()?;
        let request_type: RightCode = stored("request type", &row.request_type)?;
        // The right as the law read with the procedure defines it (the regime version pinned with it).
        let right = def.law.right(request_type.as_str()).cloned();
        Ok(Case {
            request_type,
            right,
            jurisdiction: stored("jurisdiction", &row.jurisdiction)?,
            language: stored("language", &row.language)?,
            facts: parse_facts(&row.facts)?,
            clocks,
            def,
            row,
        })
    }

    pub fn subject<'a>(&'a self, today: NaiveDate, calendars: &'a Calendars) -> Subject<'a> {
        Subject {
            state: &self.row.state,
            request_type: &self.request_type,
            task: self.task(),
            facts: &self.facts,
            clocks: &self.clocks,
            today,
            calendars,
        }
    }

    /// The right's name under its regime, or its code where no file defines it any more.
    pub fn right_label(&self, lang: Language) -> String {
        self.right
            .as_ref()
            .map(|r| r.label.get(lang).to_owned())
            .unwrap_or_else(|| self.request_type.to_string())
    }

    /// The zone the requester reads times in: their place's (`seeds/places`), else the procedure's.
    pub fn place_timezone(&self, laws: &crate::domain::law::Laws) -> chrono_tz::Tz {
        laws.place(self.jurisdiction.as_str())
            .map(|p| p.timezone)
            .unwrap_or(self.def.timezone)
    }

    /// The right's name in every language its regime gives.
    pub fn right_name(&self) -> Label {
        self.right
            .as_ref()
            .map(|r| r.label.clone())
            .unwrap_or_else(|| Label::plain(self.request_type.to_string()))
    }

    /// The task each data system gets for this request's right.
    pub fn task(&self) -> Option<TaskKind> {
        self.right.as_ref().and_then(|r| r.task)
    }

    pub fn state_label(&self) -> (Label, bool) {
        state_label(&self.def, &self.row.state)
    }

    /// Saves facts an officer's act established outside a transition (a document, a payment, a task,
    /// an identity check): the state stays, the version moves on so pages opened before notice. Only
    /// if nobody changed the request since it was loaded.
    pub fn save_facts(
        &mut self,
        conn: &mut AnyConnection,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        if self.state_label().1
            || !crate::db::requests::update_after_transition(
                conn,
                &self.row.id,
                self.row.version,
                &self.row.state,
                &facts_json(&self.facts),
                false,
                db::to_db_time(now),
            )?
        {
            return Err(AppError::Conflict);
        }
        self.row.version += 1;
        Ok(())
    }
}

/// The day the request arrived at the desk (the envelope's date for letters).
pub(crate) fn received_on(conn: &mut AnyConnection, case: &Case) -> Result<NaiveDate, AppError> {
    if let Some(p) = crate::db::postal::find(conn, &case.row.id)?
        && let Ok(d) = p.received_on.parse()
    {
        return Ok(d);
    }
    Ok(today_in(&case.def, db::from_db_time(case.row.received_at)))
}

/// A date kaiji wrote itself (`YYYY-MM-DD`); anything else is a damaged row.
pub(crate) fn stored_date(raw: &str) -> Result<NaiveDate, AppError> {
    raw.parse()
        .map_err(|_| AppError::Definition(format!("stored date `{raw}`")))
}

pub fn state_label(def: &WorkflowDefinition, state: &str) -> (Label, bool) {
    match def.state(state) {
        Some(s) => (s.label.clone(), s.terminal),
        None => (Label::plain(state), false),
    }
}

/// Where one deadline stands, for pages and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    pub id: String,
    /// The deadline's name by language (`en`, `ja`, …).
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub label: Label,
    pub started_on: NaiveDate,
    /// The deadline as things stand today (a paused clock's deadline moves on day by day); `None` when it
    /// cannot be counted (then `problem` says why).
    pub due_on: Option<NaiveDate>,
    pub paused: bool,
    pub stopped_on: Option<NaiveDate>,
    pub extensions: u32,
    pub overdue: bool,
    pub problem: Option<String>,
}

pub fn clock_views(
    def: &WorkflowDefinition,
    clocks: &Clocks,
    today: NaiveDate,
    calendars: &Calendars,
) -> Vec<ClockView> {
    let mut out = Vec::new();
    for k in &def.clocks {
        let Some(st) = clocks.get(&k.id) else {
            continue;
        };
        let due = k.rule.due(st, today, calendars);
        let overdue = k.rule.is_overdue(st, today, calendars);
        out.push(ClockView {
            id: k.id.clone(),
            label: k.label.clone(),
            started_on: st.started_on,
            problem: due
                .as_ref()
                .err()
                .or(overdue.as_ref().err())
                .map(|e| e.to_string()),
            due_on: due.ok(),
            paused: st.paused_since.is_some(),
            stopped_on: st.stopped_on,
            extensions: st.extensions,
            overdue: overdue.unwrap_or(false),
        });
    }
    out
}

/// Writes a request's clocks, each with its deadline (none while paused or once stopped). A deadline that
/// cannot be counted (a holiday calendar lacking the year) is stored as unknown and logged for the
/// operator; the request itself is never lost over it.
pub fn save_clocks(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    def: &WorkflowDefinition,
    clocks: &Clocks,
    today: NaiveDate,
    calendars: &Calendars,
) -> Result<(), AppError> {
    let rows = clock_rows(request_id, def, clocks, today, calendars);
    clocks::replace(conn, request_id, &rows, def.timezone)?;
    Ok(())
}

/// The rows of a request's clocks, each with its due date (none for a stopped clock or one whose date
/// cannot be counted, which is logged).
pub fn clock_rows(
    request_id: &RequestId,
    def: &WorkflowDefinition,
    clocks: &Clocks,
    today: NaiveDate,
    calendars: &Calendars,
) -> Vec<ClockRow> {
    let mut rows = Vec::new();
    for (id, st) in clocks {
        let due = match def.clock(id) {
            Some(k) if st.is_running() => match k.rule.due(st, today, calendars) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::warn!(workflow = %def.id, clock = %id, error = %e, "deadline cannot be counted");
                    None
                }
            },
            _ => None,
        };
        rows.push(ClockRow::new(request_id, id, st, due));
    }
    rows
}
