//! A request is filed (by the data subject on the web or the API, or registered by an officer from a
//! letter): it is recorded under its procedure's first state with its clocks started, its receipt notice
//! queued and its audit event, all in one transaction. The requester gets a receipt number and a private
//! tracking token.

use crate::domain::code::Code;
use crate::domain::ids::RequestId;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::cases::{Case, facts_json, today_in};
use super::notices::queue_notices;
use super::staff::StaffMember;
use super::transition::{TransitionContext, apply_event};
use super::workflows::WorkflowCatalog;
use super::{AppError, AppState};
use crate::config::KeyRing;
use crate::db::postal::{self, PostalRow};
use crate::db::requests::{self, NewRequestRow};
use crate::db::{self, AnyConnection, DbError, audit, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::notice::{Addressee, NoticePayload};
use crate::domain::postal::PostalIntake;
use crate::domain::request::{Channel, GuardianBasis, NewRequest, ReceiptNumber, RightCode};
use crate::domain::workflow::{Facts, WorkflowDefinition};
use crate::security::tokens;

/// What the requester is shown once. The token is not stored; only its digest is.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub request_id: RequestId,
    pub receipt_number: ReceiptNumber,
    pub tracking_token: String,
    /// The other rights asked for in the same submission, each filed as its own request.
    pub also: Vec<(RightCode, Receipt)>,
}

/// Receipt numbers are random; a clash with an earlier one is retried with a new number.
const RECEIPT_ATTEMPTS: usize = 5;

/// The workflow a new request runs under. Not every right exists everywhere (portability outside the EEA,
/// say): that is reported beside the field, like any other input problem.
fn workflow_for(
    conn: &mut AnyConnection,
    catalog: &WorkflowCatalog,
    request: &NewRequest,
) -> Result<Arc<WorkflowDefinition>, AppError> {
    catalog
        .for_new_request(
            conn,
            &request.request_type,
            request.channel,
            &request.jurisdiction,
        )
        .map_err(|e| match e {
            AppError::NoWorkflow { .. } => AppError::invalid(
                if request.channel == Channel::Postal {
                    "request_types"
                } else {
                    "request_type"
                },
                "not_offered_here",
            ),
            other => other,
        })
}

/// How a request is filed: alone, first of several (it carries the confirmation links), or beside a first.
#[derive(Debug, Clone, Copy)]
enum Filing<'a> {
    Alone,
    First(&'a str),
    Beside(&'a str),
}

impl Filing<'_> {
    fn id(&self) -> Option<&str> {
        match self {
            Filing::Alone => None,
            Filing::First(id) | Filing::Beside(id) => Some(id),
        }
    }
}

/// Records one request, inside the caller's transaction: the row at the workflow's first state, its
/// clocks from the day of receipt, the receipt notice (unless `acknowledged` is false: a letter through a
/// channel the procedure does not take gets only the letter saying so), and the audit event.
#[allow(clippy::too_many_arguments)]
fn record(
    conn: &mut AnyConnection,
    link_key: &KeyRing,
    catalog: &WorkflowCatalog,
    workflow: &WorkflowDefinition,
    request: &NewRequest,
    filing: Filing<'_>,
    actor: &Actor,
    received_on: NaiveDate,
    acknowledged: bool,
    vouched: bool,
    now: DateTime<Utc>,
) -> Result<Receipt, AppError> {
    // Requests filed together are confirmed together: only the first sends the links.
    let sends_links = !matches!(filing, Filing::Beside(_));
    // An agent's request waits for the person to confirm it directly.
    let mut initial_facts = Facts::new();
    if request
        .on_behalf
        .as_ref()
        .is_some_and(|b| b.kind == crate::domain::request::OnBehalfKind::Agent)
    {
        initial_facts.insert(crate::domain::workflow::Fact::FiledByAgent);
    }
    // An address kaiji already trusts (an authorised agent's registered contact) is not asked to
    // confirm itself.
    if vouched {
        initial_facts.insert(crate::domain::workflow::Fact::EmailConfirmed);
    }
    let request_id = RequestId::new(db::new_id());
    let receipt = Receipt {
        tracking_token: tokens::tracking_token(link_key.expose(), &request_id),
        request_id,
        receipt_number: ReceiptNumber::new(received_on, tokens::random_u64()),
        also: Vec::new(),
    };
    let clocks = workflow.clocks_at_intake(received_on);
    // A new request has no clocks to replace: they and the queue's deadline go in with it.
    let clock_rows = super::cases::clock_rows(
        &receipt.request_id,
        workflow,
        &clocks,
        today_in(workflow, now),
        catalog.calendars(),
    );
    let queue_due = crate::db::clocks::nearest_due(&clock_rows);
    let ts = db::to_db_time(now);
    let email = request.email.as_ref().map(|e| e.as_ref());
    let period_from = request.period_from.map(|d| d.to_string());
    requests::insert(
        conn,
        &NewRequestRow {
            id: &receipt.request_id,
            receipt_number: receipt.receipt_number.as_str(),
            tracking_token_sha256: &tokens::digest(&receipt.tracking_token),
            token_key_id: Some(&link_key.signer_id()),
            workflow_id: &workflow.id,
            workflow_version: workflow.version,
            state: &workflow.initial_state,
            version: 1,
            request_type: request.request_type.as_str(),
            jurisdiction: request.jurisdiction.as_str(),
            channel: request.channel.as_str(),
            language: request.language.as_str(),
            subject_name: request.name.as_ref(),
            subject_email: email,
            message: request.message.as_ref(),
            facts: &facts_json(&initial_facts),
            received_at: ts,
            updated_at: ts,
            filing_id: filing.id(),
            queue_due: &queue_due,
            period_from: period_from.as_deref(),
        },
    )?;
    crate::db::clocks::insert_new(conn, &clock_rows, workflow.timezone)?;
    let mut notices = queue_notices(
        conn,
        &receipt.request_id,
        email.is_some(),
        request.language,
        workflow.intake_notice.filter(|_| acknowledged),
        &NoticePayload::default(),
        now,
    )?;
    if let Some(b) = &request.on_behalf {
        requests::insert_on_behalf(
            conn,
            &requests::OnBehalfRow {
                request_id: receipt.request_id.clone(),
                kind: b.kind.as_str().to_owned(),
                person_name: b.person_name.as_ref().to_owned(),
                person_email: b.person_email.as_ref().map(|e| e.as_ref().to_owned()),
                person_confirmed_at: None,
                guardian_basis: b.guardian.map(|g| g.as_str().to_owned()),
                person_born_on: match b.guardian {
                    Some(GuardianBasis::Minor { born_on, .. }) => Some(born_on.to_string()),
                    _ => None,
                },
                minor_under: match b.guardian {
                    Some(GuardianBasis::Minor { minor_under, .. }) => {
                        i32::try_from(minor_under).ok()
                    }
                    _ => None,
                },
            },
        )?;
        if sends_links
            && b.kind == crate::domain::request::OnBehalfKind::Agent
            && b.person_email.is_some()
        {
            notices.extend(queue_notices(
                conn,
                &receipt.request_id,
                true,
                request.language,
                [crate::domain::notice::NoticeKind::PersonConfirmation],
                &NoticePayload {
                    to: Some(Addressee::Person),
                    ..NoticePayload::default()
                },
                now,
            )?);
        }
    }
    // Online procedures first make sure the address belongs to the requester.
    if sends_links && workflow.confirm_email && email.is_some() && !vouched {
        notices.extend(queue_notices(
            conn,
            &receipt.request_id,
            true,
            request.language,
            [crate::domain::notice::NoticeKind::EmailConfirmation],
            &NoticePayload::default(),
            now,
        )?);
    }
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::RequestReceived, actor.clone(), now)
            .for_request(&receipt.request_id)
            .states(None, Some(&workflow.initial_state))
            .details(json!({
                "receipt_number": receipt.receipt_number.as_str(),
                "request_type": request.request_type.as_str(),
                "jurisdiction": request.jurisdiction.as_str(),
                "channel": request.channel.as_str(),
                "received_on": received_on.to_string(),
                "workflow_id": workflow.id,
                "workflow_version": workflow.version,
                "filing_id": filing.id(),
                "clocks": clocks.keys().collect::<Vec<_>>(),
                "notices": notices.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
                // Who filed for whom, and a guardian's basis with the law's age (never the birth date).
                "on_behalf": request.on_behalf.as_ref().map(|b| json!({
                    "kind": b.kind.as_str(),
                    "guardian_basis": b.guardian.map(|g| g.as_str()),
                    "minor_under": match b.guardian {
                        Some(GuardianBasis::Minor { minor_under, .. }) => Some(minor_under),
                        _ => None,
                    },
                })),
            })),
    )?;
    Ok(receipt)
}

/// Runs `attempt` in a write transaction, again (with fresh random receipt numbers) if a number clashed.
fn with_receipt_retries<T>(
    conn: &mut AnyConnection,
    mut attempt: impl FnMut(&mut AnyConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match write_tx(conn, &mut attempt) {
            Err(AppError::Db(e @ DbError::Query(_)))
                if e.is_unique_violation() && tries < RECEIPT_ATTEMPTS =>
            {
                continue;
            }
            other => return other,
        }
    }
}

/// A data subject files a request on the web or through the API, once the intake limits let it
/// through (counted in the same transaction on PostgreSQL).
pub async fn submit(
    state: &AppState,
    admitted: super::limits::Admitted,
    actor: Actor,
) -> Result<Receipt, AppError> {
    submit_with(state, admitted, actor, false, |_, _| Ok(())).await
}

/// `submit`, with `after` writing what goes with the filing (an agent's link to it) in the same
/// transaction: both are written, or neither. `vouched`: the requester's address is one kaiji already
/// trusts (an authorised agent's registered contact), so no confirmation is asked of it.
pub async fn submit_with(
    state: &AppState,
    admitted: super::limits::Admitted,
    actor: Actor,
    vouched: bool,
    after: impl Fn(&mut AnyConnection, &Receipt) -> Result<(), AppError> + Send + 'static,
) -> Result<Receipt, AppError> {
    let request = admitted.request.clone();
    let client = admitted.client;
    let now = state.clock.now();
    // A period cannot start after the request (a day's slack for the requester's zone).
    if request
        .period_from
        .is_some_and(|d| d > (now + chrono::Duration::days(1)).date_naive())
    {
        return Err(AppError::invalid("period_from", "in_future"));
    }
    let catalog = state.workflows.clone();
    let link_key = state.keys.session.clone();
    let key = state.keys.document.clone();
    let filed = state
        .db
        .run(move |conn| {
            // Every right asked for must exist where the requester lives; one report if any does not.
            let mut planned = Vec::new();
            for t in std::iter::once(&request.request_type).chain(request.also.iter()) {
                // The period goes only with the rights whose law takes one (CCPA "know").
                let period_from = request.period_from.filter(|_| {
                    crate::domain::request::LawBook::period_earliest(
                        &**catalog.laws(),
                        &request.jurisdiction,
                        t,
                    )
                    .is_some()
                });
                let one = NewRequest {
                    request_type: t.clone(),
                    also: Vec::new(),
                    period_from,
                    ..request.clone()
                };
                let workflow = workflow_for(conn, &catalog, &one)?;
                planned.push((one, workflow));
            }
            let filing_id = db::new_id();
            let account =
                request
                    .account_id
                    .clone()
                    .map(|a| crate::domain::identity::OfferedEvidence {
                        points: [("account_id".to_owned(), a)].into(),
                        declared_by: None,
                    });
            // One request of the filing sends the confirmation links for all: the first whose
            // procedure asks for a confirmation (an opt-out asks none, so it cannot carry them).
            let carrier = planned
                .iter()
                .position(|(_, w)| w.confirm_email)
                .unwrap_or(0);
            with_receipt_retries(conn, |conn| {
                admitted.count_in(conn, now)?;
                let mut first: Option<Receipt> = None;
                for (i, (one, workflow)) in planned.iter().enumerate() {
                    let filing = match (i == carrier, planned.len()) {
                        (_, 1) => Filing::Alone,
                        (true, _) => Filing::First(&filing_id),
                        (false, _) => Filing::Beside(&filing_id),
                    };
                    let received_on = today_in(workflow, now);
                    let receipt = record(
                        conn,
                        &link_key,
                        &catalog,
                        workflow,
                        one,
                        filing,
                        &actor,
                        received_on,
                        true,
                        vouched,
                        now,
                    )?;
                    if let Some(offered) = &account {
                        super::evidence::store_offered(
                            conn,
                            key.expose(),
                            &receipt.request_id,
                            offered,
                            now,
                        )?;
                    }
                    match &mut first {
                        None => first = Some(receipt),
                        Some(f) => f.also.push((one.request_type.clone(), receipt)),
                    }
                }
                let first = first.ok_or(AppError::NotFound)?;
                after(conn, &first)?;
                Ok(first)
            })
        })
        .await;
    // A filing the database's count refused (PostgreSQL) is audited as the in-memory one is.
    if let Err(AppError::RateLimited { .. }) = &filed {
        let refusal = super::refusals::Refusal::IntakeLimited { client };
        super::refusals::note(state, refusal).await;
    }
    filed
}

/// What registering a letter created: one request per request type it asks for.
#[derive(Debug, Clone)]
pub struct PostalReceipt {
    pub envelope_id: String,
    pub requests: Vec<(RightCode, Receipt)>,
    /// The letter came through a channel the procedure does not accept; each request was answered with
    /// the "channel not accepted" letter at once.
    pub channel_refused: bool,
}

/// An officer registers a letter. Clocks run from the day it arrived. A letter that came any way the
/// procedure does not accept is recorded and answered with the "channel not accepted" letter in the same
/// transaction.
pub async fn register_postal(
    state: &AppState,
    staff: &StaffMember,
    intake: PostalIntake,
) -> Result<PostalReceipt, AppError> {
    // Letters are written in the language recorded here: one kaiji speaks (a Fluent folder).
    if !crate::i18n::speaks(intake.language) {
        let mut errors = crate::domain::field::FieldErrors::new();
        errors.push("language", "unknown_language");
        return Err(AppError::Invalid(errors));
    }
    let now = state.clock.now();
    let catalog = state.workflows.clone();
    let link_key = state.keys.session.clone();
    let config = state.config.clone();
    let keys = state.keys.clone();
    let staff = staff.clone();
    state
        .db
        .run(move |conn| {
            // Letters come to the desk of the procedure that takes them, under the law of its first place.
            let place = catalog
                .postal_procedure(conn)?
                .jurisdictions
                .first()
                .cloned()
                .ok_or(AppError::NotFound)?;
            let mut planned = Vec::new();
            for t in &intake.request_types {
                if catalog.laws().any_right(t.as_str()).is_none() {
                    return Err(AppError::invalid("request_types", "unknown_request_type"));
                }
                let request = intake.request(t.clone(), place.clone());
                let workflow = workflow_for(conn, &catalog, &request)?;
                planned.push((request, workflow));
            }
            let envelope_id = db::new_id();
            let actor = staff.actor();
            with_receipt_retries(conn, |conn| {
                let mut out = PostalReceipt {
                    envelope_id: envelope_id.clone(),
                    requests: Vec::new(),
                    channel_refused: false,
                };
                for (request, workflow) in &planned {
                    let accepted = workflow
                        .postal
                        .as_ref()
                        .is_some_and(|p| p.accepted_mail_classes.contains(&intake.mail_class));
                    let receipt = record(
                        conn,
                        &link_key,
                        &catalog,
                        workflow,
                        request,
                        Filing::Alone,
                        &actor,
                        intake.received_on,
                        accepted,
                        false,
                        now,
                    )?;
                    postal::insert(
                        conn,
                        &PostalRow {
                            request_id: receipt.request_id.clone(),
                            envelope_id: envelope_id.clone(),
                            received_on: intake.received_on.to_string(),
                            mail_class: intake.mail_class.as_str().to_owned(),
                            tracking_number: intake
                                .tracking_number
                                .as_ref()
                                .map(|t| t.as_str().to_owned()),
                            request_date: intake.request_date.map(|d| d.to_string()),
                            requester_kind: intake.requester_kind.as_str().to_owned(),
                            agent_name: intake.agent_name.as_ref().map(|n| n.as_ref().to_owned()),
                            services: serde_json::to_string(
                                &intake
                                    .services
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>(),
                            )
                            .unwrap_or_else(|_| "[]".into()),
                            postal_address: intake
                                .postal_address
                                .as_ref()
                                .map(|a| a.as_str().to_owned())
                                .unwrap_or_default(),
                            created_by: staff.id.to_string(),
                            created_at: db::to_db_time(now),
                            subject_name_kana: intake
                                .name_kana
                                .as_ref()
                                .map(|k| k.as_str().to_owned()),
                            agent_name_kana: intake
                                .agent_name_kana
                                .as_ref()
                                .map(|k| k.as_str().to_owned()),
                            agent_address: intake
                                .agent_address
                                .as_ref()
                                .map(|a| a.as_str().to_owned()),
                        },
                    )?;
                    if !accepted {
                        let mut case = Case::load(conn, &catalog, &receipt.request_id)?;
                        let mut data = serde_json::Map::new();
                        data.insert("mail_class".into(), intake.mail_class.as_str().into());
                        let cx = TransitionContext {
                            catalog: &catalog,
                            config: &config,
                            keys: &keys,
                            actor: &actor,
                            by: staff.role.into(),
                            now,
                        };
                        apply_event(conn, &cx, &mut case, CHANNEL_REFUSAL_EVENT, data)?;
                        out.channel_refused = true;
                    }
                    out.requests.push((request.request_type.clone(), receipt));
                }
                Ok(out)
            })
        })
        .await
}

/// Today at the desk (Asia/Tokyo): letters are dated and checked against it.
pub fn desk_today(state: &AppState) -> NaiveDate {
    state
        .clock
        .now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive()
}

/// The event a postal procedure uses to answer a letter that came through a channel it does not accept.
pub const CHANNEL_REFUSAL_EVENT: &str = "refuse_channel";

/// The procedure that takes letters from people in Japan (its forms, desk address, fee and checklists).
pub async fn postal_procedure(state: &AppState) -> Result<Arc<WorkflowDefinition>, AppError> {
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| catalog.postal_procedure(conn))
        .await
}
