//! Email confirmation for requests filed online: the notice carries a signed link; opening it (and
//! pressing the button) confirms the address once; a request left unconfirmed past
//! `KAIJI_CONFIRM_EMAIL_HOURS` is closed by kaiji with a notice.

use crate::domain::ids::RequestId;
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::cases::{Case, facts_json};
use super::transition::{TransitionContext, apply_event};
use super::workflows::WorkflowCatalog;
use super::{AppError, AppState, Clock};
use crate::config::{Config, Keys};
use crate::db::{self, AnyConnection, Db, audit, requests, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::request::Language;
use crate::domain::workflow::{Fact, Party};
use crate::security::tokens;

/// The transition kaiji fires on requests whose email was never confirmed.
pub const EXPIRE_EVENT: &str = "expire_unconfirmed";

const EMAIL_LINK: &str = "confirm-email";
const PERSON_LINK: &str = "confirm-person";

/// `/confirm/{request id}.{HMAC}`, derivable again for the notice.
pub fn confirm_path(keys: &Keys, request_id: &RequestId) -> String {
    format!(
        "/confirm/{}",
        tokens::signed_id(keys.session.expose(), EMAIL_LINK, request_id)
    )
}

fn verify(keys: &Keys, link: &str) -> Option<String> {
    keys.session.verify_signed_id(EMAIL_LINK, link)
}

/// What the confirmation page shows.
#[derive(Debug, Clone)]
pub struct ConfirmView {
    pub receipt_number: String,
    pub language: Language,
}

/// An email link as it came in, with what checking it needs (taken from the state before the blocking
/// call).
struct EmailLink {
    catalog: WorkflowCatalog,
    config: Arc<Config>,
    keys: Arc<Keys>,
    link: String,
    now: DateTime<Utc>,
}

impl EmailLink {
    fn new(state: &AppState, link: String) -> Self {
        Self {
            catalog: state.workflows.clone(),
            config: state.config.clone(),
            keys: state.keys.clone(),
            link,
            now: state.clock.now(),
        }
    }

    fn load(&self, conn: &mut AnyConnection, lock: bool) -> Result<Case, AppError> {
        let id = RequestId::new(verify(&self.keys, &self.link).ok_or(AppError::NotFound)?);
        // Confirming happens under the row lock, so two presses of the button confirm once.
        if lock && !requests::lock(conn, &id)? {
            return Err(AppError::NotFound);
        }
        let case = Case::load(conn, &self.catalog, &id)?;
        if !case.def.confirm_email || case.row.subject_email.is_none() {
            return Err(AppError::NotFound);
        }
        if case.facts.contains(&Fact::EmailConfirmed) {
            return Err(AppError::LinkUsed);
        }
        let deadline = db::from_db_time(case.row.received_at)
            + TimeDelta::hours(i64::from(self.config.intake.confirm_email_hours));
        if self.now >= deadline || case.state_label().1 {
            return Err(AppError::LinkExpired);
        }
        Ok(case)
    }
}

fn confirm_view(case: &Case) -> ConfirmView {
    ConfirmView {
        receipt_number: case.row.receipt_number.clone(),
        language: case.language,
    }
}

pub async fn view(state: &AppState, link: String) -> Result<ConfirmView, AppError> {
    let link = EmailLink::new(state, link);
    state
        .db
        .run(move |conn| Ok(confirm_view(&link.load(conn, false)?)))
        .await
}

/// Confirms the address: the fact is recorded (no state change, so officers' open pages stay valid)
/// and audited. A second use of the link is refused.
pub async fn confirm(state: &AppState, link: String) -> Result<ConfirmView, AppError> {
    let link = EmailLink::new(state, link);
    state
        .db
        .write(move |conn| {
            let mut case = link.load(conn, true)?;
            record_confirmed(
                conn,
                &link.catalog,
                &super::drp_status::StatusLinks {
                    public_url: &link.config.http.public_url,
                    keys: &link.keys,
                },
                &mut case,
                Fact::EmailConfirmed,
                link.now,
            )?;
            Ok(confirm_view(&case))
        })
        .await
}

/// Closes requests whose email was not confirmed within the set hours, each with its notice. Returns how
/// many. Run hourly by `serve` and by `kaiji expire-unconfirmed`.
pub fn expire_unconfirmed(
    db: &Db,
    catalog: &WorkflowCatalog,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
) -> Result<usize, AppError> {
    let now = clock.now();
    let cutoff =
        db::to_db_time(now - TimeDelta::hours(i64::from(config.intake.confirm_email_hours)));
    let mut conn = db.conn()?;
    let candidates = requests::open_received_before(&mut conn, cutoff)?;
    let expirable =
        |case: &Case| {
            case.def.confirm_email
                && !case.facts.contains(&Fact::EmailConfirmed)
                && case.def.transitions.iter().any(|t| {
                    t.event == EXPIRE_EVENT && t.system && t.from.contains(&case.row.state)
                })
        };
    let mut n = 0;
    for id in candidates {
        // Look first without a write transaction: most candidates are confirmed or moved on.
        if !Case::load(&mut conn, catalog, &id).is_ok_and(|c| expirable(&c)) {
            continue;
        }
        let done = write_tx(&mut conn, |conn| -> Result<bool, AppError> {
            requests::lock(conn, &id)?;
            let mut case = Case::load(conn, catalog, &id)?;
            if !expirable(&case) {
                return Ok(false);
            }
            let cx = TransitionContext {
                catalog,
                config,
                keys,
                actor: &Actor::System("expiry"),
                by: Party::System,
                now,
            };
            apply_event(conn, &cx, &mut case, EXPIRE_EVENT, Map::new())?;
            Ok(true)
        });
        match done {
            Ok(true) => n += 1,
            Ok(false) => {}
            // One request that cannot be closed now (a race with an officer) does not stop the rest.
            Err(e) => tracing::warn!(error = %e, "could not expire an unconfirmed request"),
        }
    }
    Ok(n)
}

/// `/confirm-person/{request id}.{HMAC}`: sent to the person an agent filed for.
pub fn person_path(keys: &Keys, request_id: &RequestId) -> String {
    format!(
        "/confirm-person/{}",
        tokens::signed_id(keys.session.expose(), PERSON_LINK, request_id)
    )
}

/// What the person sees before confirming an agent's request.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub receipt_number: String,
    pub language: Language,
    pub agent_name: String,
    pub person_name: String,
    pub request_type: crate::domain::request::RightCode,
    pub right: crate::domain::workflow::Label,
    /// Where to send the person once confirmed: the agent's page, if the agent gave one.
    pub return_to: Option<String>,
}

fn load_person(
    conn: &mut AnyConnection,
    catalog: &WorkflowCatalog,
    keys: &Keys,
    link: &str,
    lock: bool,
) -> Result<(Case, crate::db::requests::OnBehalfRow), AppError> {
    let id = RequestId::new(
        keys.session
            .verify_signed_id(PERSON_LINK, link)
            .ok_or(AppError::NotFound)?,
    );
    if lock && !requests::lock(conn, &id)? {
        return Err(AppError::NotFound);
    }
    let case = Case::load(conn, catalog, &id)?;
    let behalf = requests::find_on_behalf(conn, &id)?.ok_or(AppError::NotFound)?;
    if behalf.person_confirmed_at.is_some() || case.facts.contains(&Fact::PersonConfirmed) {
        return Err(AppError::LinkUsed);
    }
    if case.state_label().1 {
        return Err(AppError::LinkExpired);
    }
    Ok((case, behalf))
}

fn person_view(case: &Case, behalf: &crate::db::requests::OnBehalfRow) -> PersonView {
    PersonView {
        receipt_number: case.row.receipt_number.clone(),
        language: case.language,
        agent_name: case.row.subject_name.clone(),
        person_name: behalf.person_name.clone(),
        right: case.right_name(),
        request_type: case.request_type.clone(),
        return_to: None,
    }
}

pub async fn person_view_for(state: &AppState, link: String) -> Result<PersonView, AppError> {
    let (catalog, keys) = (state.workflows.clone(), state.keys.clone());
    state
        .db
        .run(move |conn| {
            let (case, behalf) = load_person(conn, &catalog, &keys, &link, false)?;
            Ok(person_view(&case, &behalf))
        })
        .await
}

/// The person confirms an agent's request: once, under the row lock, audited.
pub async fn confirm_person(state: &AppState, link: String) -> Result<PersonView, AppError> {
    let (catalog, keys) = (state.workflows.clone(), state.keys.clone());
    let base = state.config.http.public_url.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            let (mut case, behalf) = load_person(conn, &catalog, &keys, &link, true)?;
            let links = super::drp_status::StatusLinks {
                public_url: &base,
                keys: &keys,
            };
            record_confirmed(
                conn,
                &catalog,
                &links,
                &mut case,
                Fact::PersonConfirmed,
                now,
            )?;
            // An agent that opened the verification page for the person gets them back (DRP §3.02.1).
            // Checked again against the agent's entry as it stands now.
            let return_to = match crate::db::drp::find_request(conn, &case.row.id)? {
                Some(l) => crate::db::drp::find_agent(conn, &l.agent_id)?.and_then(|a| {
                    l.redirect_to.and_then(|to| {
                        crate::domain::drp::return_allowed(a.web_url.as_deref(), &to)
                    })
                }),
                None => None,
            };
            Ok(PersonView {
                return_to,
                ..person_view(&case, &behalf)
            })
        })
        .await
}

/// Records a confirmation (`EmailConfirmed` or `PersonConfirmed`) on the request and on every open
/// request filed in the same submission: the others sent no link of their own.
fn record_confirmed(
    conn: &mut AnyConnection,
    catalog: &WorkflowCatalog,
    links: &super::drp_status::StatusLinks<'_>,
    case: &mut Case,
    fact: Fact,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    case.facts.insert(fact);
    mark_confirmed(conn, case, fact, now, json!({}))?;
    super::drp_callbacks::after_change(conn, catalog, links, &case.row.id, now)?;
    let Some(filing) = case.row.filing_id.as_deref() else {
        return Ok(());
    };
    for id in requests::siblings(conn, filing, &case.row.id)? {
        requests::lock(conn, &id)?;
        let mut sibling = Case::load(conn, catalog, &id)?;
        if sibling.state_label().1 || sibling.facts.contains(&fact) {
            continue;
        }
        sibling.facts.insert(fact);
        mark_confirmed(
            conn,
            &sibling,
            fact,
            now,
            json!({"filed_with": case.row.id}),
        )?;
        super::drp_callbacks::after_change(conn, catalog, links, &id, now)?;
    }
    Ok(())
}

/// Stores one request's facts, version-checked (a person's confirmation also its time), and audits the
/// confirmation on that request's own record.
fn mark_confirmed(
    conn: &mut AnyConnection,
    case: &Case,
    fact: Fact,
    now: DateTime<Utc>,
    details: Value,
) -> Result<(), AppError> {
    let id = &case.row.id;
    if !requests::set_facts(conn, id, case.row.version, &facts_json(&case.facts))? {
        return Err(AppError::Conflict);
    }
    let action = if fact == Fact::PersonConfirmed {
        if !requests::set_person_confirmed(conn, id, db::to_db_time(now))? {
            return Err(AppError::Conflict);
        }
        AuditAction::PersonConfirmed
    } else {
        AuditAction::EmailConfirmed
    };
    audit::append(
        conn,
        &NewAuditEvent::new(action, Actor::Requester, now)
            .for_request(id)
            .details(details),
    )?;
    Ok(())
}
