//! The review queue: open requests by nearest deadline, filtered, one keyset page at a time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::cases::{state_label, today_in};
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::requests::{self};
use crate::db::{self};
use crate::domain::request::{LawBook, RightCode};
use crate::domain::workflow::Label;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub id: String,
    pub receipt_number: String,
    /// The right asked for (`access`, `deletion`, …).
    #[schema(value_type = String)]
    pub request_type: RightCode,
    pub jurisdiction: String,
    /// `web`, `api` or `postal`.
    pub channel: String,
    pub state: String,
    /// The state's name by language (`en`, `ja`, …).
    #[schema(value_type = BTreeMap<String, String>)]
    pub state_label: Label,
    pub workflow_id: String,
    /// The procedure's name by language.
    #[schema(value_type = BTreeMap<String, String>)]
    pub workflow_name: Label,
    pub received_at: DateTime<Utc>,
    /// The nearest deadline of a running clock.
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    /// The request waits on the requester (documents, information, payment).
    pub waiting: bool,
    /// The requester has not confirmed their e-mail address yet: nobody can work it until they do.
    pub awaiting_confirmation: bool,
    /// The assignee's e-mail address and name.
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
}

/// The queue's filters as typed (page query or API), before parsing. Every filter is optional; an empty
/// value is no filter.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only requests in this state (a state's id in the procedures, e.g. `received`, `in_progress`); a
    /// state no request is in gives an empty page.
    #[param(example = "received")]
    pub state: Option<String>,
    /// Only requests under this procedure (its id, as `GET /api/v1/procedures` lists them).
    #[param(example = "gdpr")]
    pub procedure: Option<String>,
    /// Only requests for this right (`access`, `deletion`, …): a right some law grants, else 422
    /// `unknown_request_type`.
    #[param(max_length = 40, pattern = r"^\s*[a-z0-9_]*\s*$", example = "access")]
    pub right: Option<String>,
    /// Only requests from this place: its code (`JP`, `EEA`, `US-CA`) or name (`japan`); else 422
    /// `unknown_jurisdiction`.
    #[param(example = "JP")]
    pub jurisdiction: Option<String>,
    /// `me` (the caller's), `none` (unassigned), or a staff member's email (else 422 `unknown_staff`).
    #[param(example = "me")]
    pub assignee: Option<String>,
    /// Only requests due within this many days from today (0 to 3650; else 422 `invalid_days`).
    #[param(schema_with = days_or_blank, example = 7)]
    pub due_within: Option<String>,
    /// Only overdue requests when `1`, `true`, `on` or `yes`; any other value is no filter.
    #[param(example = "true")]
    pub overdue: Option<String>,
    /// Only requests waiting on the requester (documents, information, payment) when `1`, `true`, `on`
    /// or `yes`; any other value is no filter.
    #[param(example = "true")]
    pub waiting: Option<String>,
    /// `awaiting`: only requests whose requester has not confirmed their e-mail address yet;
    /// `confirmed`: only the others (those officers can work); else 422 `invalid_value`.
    #[param(pattern = r"^\s*(awaiting|confirmed)?\s*$", example = "confirmed")]
    pub confirmation: Option<String>,
    /// The previous page's `next_cursor` (`YYYY-MM-DD~id`; else 422 `invalid_cursor`).
    #[param(
        pattern = r"^\s*([!-}]{10}~.*\S)?\s*$",
        example = "2026-05-15~0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f"
    )]
    pub cursor: Option<String>,
    /// Requests per page, 1 to 500 (default 50; else 422 `invalid_limit`).
    #[param(schema_with = page_size_or_blank, example = 50)]
    pub limit: Option<String>,
}

/// An optional whole number given as text, from `min` to `max`, or blank (empty or spaces) for none, as
/// a form sends an empty field: what the API document says of `due_within` and `limit`.
fn integer_or_blank(min: u32, max: u32) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(min))
                .maximum(Some(max)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[ \t\r\n\f]*$")),
        )
        .into()
}

fn page_size_or_blank() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    integer_or_blank(1, 500)
}

fn days_or_blank() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    integer_or_blank(0, 3650)
}

/// One page of the queue.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct QueueView {
    pub items: Vec<QueueItem>,
    /// Matching open requests in all.
    pub total: i64,
    /// Pass as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
    /// Open requests per state, right, jurisdiction and procedure (whatever the filter): `{"state":
    /// {"received": 3}, "right": {…}, "jurisdiction": {…}, "procedure": {…}}`.
    pub counts: BTreeMap<String, BTreeMap<String, i64>>,
    /// Open requests awaiting the requester's e-mail confirmation (whatever the filter).
    pub awaiting_confirmation: i64,
}

pub const QUEUE_PAGE: i64 = 50;

fn on(flag: &Option<String>) -> bool {
    matches!(
        flag.as_deref().map(str::trim),
        Some("1" | "true" | "on" | "yes")
    )
}

/// The open requests matching the filters, nearest deadline first, one keyset page at a time.
pub async fn queue(
    state: &AppState,
    staff: &StaffMember,
    query: QueueQuery,
) -> Result<QueueView, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let me = staff.id.clone();
    state
        .db
        .run(move |conn| {
            let mut errors = crate::domain::FieldErrors::new();
            // Blank is spaces, tabs and line ends (what a form or a hand-typed URL adds), as the API
            // document says; any other character is part of the value.
            let text = |s: &Option<String>| {
                s.as_deref()
                    .map(|s| s.trim_matches(|c: char| c.is_ascii_whitespace()))
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            // Deadlines count in the desk's calendar for the filter (each row is judged in its own).
            let today = now.with_timezone(&chrono_tz::Asia::Tokyo).date_naive();
            let mut filter = requests::QueueFilter {
                workflow_id: text(&query.procedure),
                ..Default::default()
            };
            if let Some(r) = text(&query.right) {
                filter.request_type = errors.check(
                    "right",
                    r.parse::<RightCode>()
                        .ok()
                        .filter(|t| catalog.laws().grants(t))
                        .map(|t| t.as_str().to_owned())
                        .ok_or("unknown_request_type"),
                );
            }
            if let Some(j) = text(&query.jurisdiction) {
                filter.jurisdiction = errors.check(
                    "jurisdiction",
                    // An old alias filters by the place's current code.
                    match catalog.laws().place(&j) {
                        Some(p) => Ok(p.code.to_string()),
                        None => j
                            .parse::<crate::domain::request::PlaceCode>()
                            .map(|j| j.as_str().to_owned()),
                    },
                );
            }
            filter.assignee = match text(&query.assignee).as_deref() {
                None => None,
                Some("me") => Some(Some(me.clone())),
                Some("none") => Some(None),
                Some(email) => match crate::db::staff::find_by_email(conn, email)? {
                    Some(s) => Some(Some(s.id)),
                    None => {
                        errors.push("assignee", "unknown_staff");
                        None
                    }
                },
            };
            if let Some(n) = text(&query.due_within) {
                match n.parse::<u32>() {
                    Ok(n) if n <= 3650 => {
                        filter.due_by = Some(crate::db::clocks::date_text(
                            today + chrono::Days::new(u64::from(n)),
                        ));
                    }
                    _ => errors.push("due_within", "invalid_days"),
                }
            }
            filter.unconfirmed = match text(&query.confirmation).as_deref() {
                None => None,
                Some("awaiting") => Some(true),
                Some("confirmed") => Some(false),
                Some(_) => {
                    errors.push("confirmation", "invalid_value");
                    None
                }
            };
            if on(&query.overdue) {
                filter.due_before = Some(crate::db::clocks::date_text(today));
            }
            // States that wait on the requester, in any published procedure (read only when asked
            // for: this runs on every page).
            let mut waiting_states = std::collections::BTreeSet::new();
            if on(&query.waiting) {
                for (id, version) in crate::db::workflows::list_versions(conn)? {
                    let wf = catalog.get(conn, &id, version)?;
                    for s in wf.states.iter().filter(|s| s.waits_on_requester) {
                        waiting_states.insert(s.id.clone());
                    }
                }
            }
            match (text(&query.state), on(&query.waiting)) {
                (Some(s), true) if !waiting_states.contains(&s) => {
                    filter.states = vec![String::new()]
                }
                (Some(s), _) => filter.states = vec![s],
                (None, true) => filter.states = waiting_states.iter().cloned().collect(),
                (None, false) => {}
            }
            let limit = match text(&query.limit).map(|l| l.parse::<i64>()) {
                None => QUEUE_PAGE,
                Some(Ok(l)) if (1..=500).contains(&l) => l,
                Some(_) => {
                    errors.push("limit", "invalid_limit");
                    QUEUE_PAGE
                }
            };
            let cursor = match text(&query.cursor) {
                None => None,
                Some(c) => match c.split_once('~') {
                    Some((due, id)) if due.len() == 10 && !id.is_empty() => {
                        Some((due.to_owned(), id.to_owned()))
                    }
                    _ => {
                        errors.push("cursor", "invalid_cursor");
                        None
                    }
                },
            };
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors));
            }
            // Counted from the kept bucket counts (cost flat in the table's size); only the due-date
            // filters count rows, through the deadline index.
            let buckets = crate::db::queue_counts::open_buckets(conn)?;
            let total = if filter.counts_by_bucket() {
                buckets
                    .iter()
                    .filter(|b| filter.matches(b))
                    .map(|b| b.n)
                    .sum()
            } else {
                requests::queue_count(conn, &filter)?
            };
            let mut rows = requests::queue_page(conn, &filter, cursor.as_ref(), limit + 1)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next_cursor = more
                .then(|| rows.last().map(|r| format!("{}~{}", r.queue_due, r.id)))
                .flatten();
            let mut people: BTreeMap<crate::domain::ids::StaffId, (String, String)> =
                BTreeMap::new();
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                let wf = catalog.get(conn, &r.workflow_id, r.workflow_version)?;
                let (label, _) = state_label(&wf, &r.state);
                let due_on = (r.queue_due != crate::db::clocks::NO_DEADLINE)
                    .then(|| r.queue_due.parse::<NaiveDate>().ok())
                    .flatten();
                let assignee = match &r.assigned_to {
                    None => None,
                    Some(id) => {
                        if !people.contains_key(id) {
                            let who = crate::db::staff::find_by_id(conn, id)?
                                .map(|s| (s.email, s.display_name))
                                .unwrap_or_default();
                            people.insert(id.clone(), who);
                        }
                        people.get(id).cloned()
                    }
                };
                let awaiting_confirmation = r.awaiting_confirmation();
                items.push(QueueItem {
                    request_type: r
                        .request_type
                        .parse()
                        .map_err(|_| AppError::Definition("stored request type".into()))?,
                    overdue: due_on.is_some_and(|d| today_in(&wf, now) > d),
                    waiting: wf.state(&r.state).is_some_and(|s| s.waits_on_requester),
                    due_on,
                    id: r.id,
                    receipt_number: r.receipt_number,
                    jurisdiction: r.jurisdiction,
                    channel: r.channel,
                    state: r.state,
                    state_label: label,
                    workflow_id: r.workflow_id,
                    workflow_name: wf.name.clone(),
                    received_at: db::from_db_time(r.received_at),
                    awaiting_confirmation,
                    assignee_name: assignee.as_ref().map(|(_, name)| name.clone()),
                    assignee: assignee.map(|(email, _)| email),
                });
            }
            let mut counts: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
            for c in buckets {
                let n = c.n;
                for (group, key) in [
                    ("state", c.state),
                    ("right", c.request_type),
                    ("jurisdiction", c.jurisdiction),
                    ("procedure", c.workflow_id),
                ] {
                    *counts
                        .entry(group.to_owned())
                        .or_default()
                        .entry(key)
                        .or_default() += n;
                }
            }
            Ok(QueueView {
                items,
                total,
                next_cursor,
                counts,
                awaiting_confirmation: requests::count_unconfirmed(conn)?,
            })
        })
        .await
}

/// What the queue's filters offer, from the published procedures and the staff: each state and
/// procedure by its words, and who requests can be assigned to.
#[derive(Debug, Clone, Default)]
pub struct QueueChoices {
    /// (state id, its label), each state once, in the procedures' order.
    pub states: Vec<(String, Label)>,
    /// (procedure id, its name).
    pub procedures: Vec<(String, Label)>,
    /// (e-mail address, name) of those who work requests.
    pub workers: Vec<(String, String)>,
}

pub async fn choices(state: &AppState) -> Result<QueueChoices, AppError> {
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let mut choices = QueueChoices::default();
            for def in catalog.newest_published(conn)? {
                for s in def.states.iter().filter(|s| !s.terminal) {
                    if !choices.states.iter().any(|(id, _)| *id == s.id) {
                        choices.states.push((s.id.clone(), s.label.clone()));
                    }
                }
                choices.procedures.push((def.id.clone(), def.name.clone()));
            }
            let names: BTreeMap<String, String> = crate::db::staff::names(conn)?
                .into_iter()
                .map(|(id, name, _)| (id.to_string(), name))
                .collect();
            choices.workers = crate::db::staff::workers(conn)?
                .into_iter()
                .map(|(id, email)| {
                    let name = names.get(id.as_str()).cloned().unwrap_or_default();
                    (email, name)
                })
                .collect();
            Ok(choices)
        })
        .await
}
