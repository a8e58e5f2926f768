//! A request is filed (by the data subject on the web or the API, or registered by an officer from a
//! letter): it is recorded under its procedure's first state with its clocks started, its receipt notice
//! queued and its audit event, all in one transaction. The requester gets a receipt number and a private
//! tracking token.

use serde_json::json;

use super::cases::{facts_json, queue_notices, save_clocks, today_in};
use super::{AppError, AppState};
use crate::db::requests::{self, NewRequestRow};
use crate::db::{self, DbError, audit, write_tx};
use crate::domain::FieldErrors;
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::request::{NewRequest, ReceiptNumber};
use crate::domain::workflow::Facts;
use crate::security::tokens;

/// What the requester is shown once. The token is not stored; only its digest is.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub request_id: String,
    pub receipt_number: ReceiptNumber,
    pub tracking_token: String,
}

/// Receipt numbers are random; a clash with an earlier one is retried with a new number.
const RECEIPT_ATTEMPTS: usize = 5;

pub async fn submit(
    state: &AppState,
    request: NewRequest,
    actor: Actor,
) -> Result<Receipt, AppError> {
    let now = state.clock.now();
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let workflow = catalog
                .for_new_request(
                    conn,
                    request.request_type,
                    request.channel,
                    request.jurisdiction,
                )
                .map_err(|e| match e {
                    // Not every right exists everywhere (portability outside the EEA, say): tell the requester
                    // beside the field, like any other input problem.
                    AppError::NoWorkflow { .. } => {
                        let mut errors = FieldErrors::new();
                        errors.push("request_type", "not_offered_here");
                        AppError::Invalid(errors)
                    }
                    other => other,
                })?;
            let today = today_in(&workflow, now);
            let clocks = workflow.clocks_at_intake(today);
            let mut attempt = 0;
            loop {
                attempt += 1;
                let receipt = Receipt {
                    request_id: db::new_id(),
                    receipt_number: ReceiptNumber::new(today, tokens::random_u64()),
                    tracking_token: tokens::new_token(),
                };
                let result = write_tx(conn, |conn| -> Result<(), AppError> {
                    let ts = db::to_db_time(now);
                    let email = request.email.as_ref().map(|e| e.as_ref());
                    requests::insert(
                        conn,
                        &NewRequestRow {
                            id: &receipt.request_id,
                            receipt_number: receipt.receipt_number.as_str(),
                            tracking_token_sha256: &tokens::digest(&receipt.tracking_token),
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
                            facts: &facts_json(&Facts::new()),
                            received_at: ts,
                            updated_at: ts,
                        },
                    )?;
                    save_clocks(
                        conn,
                        &receipt.request_id,
                        &workflow,
                        &clocks,
                        today,
                        catalog.calendars(),
                    )?;
                    let notices = queue_notices(
                        conn,
                        &receipt.request_id,
                        email.is_some(),
                        request.language,
                        workflow.intake_notice,
                        now,
                    )?;
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
                                "workflow_id": workflow.id,
                                "workflow_version": workflow.version,
                                "clocks": clocks.keys().collect::<Vec<_>>(),
                                "notices": notices.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
                            })),
                    )?;
                    Ok(())
                });
                match result {
                    Ok(()) => return Ok(receipt),
                    Err(AppError::Db(e @ DbError::Query(_)))
                        if e.is_unique_violation() && attempt < RECEIPT_ATTEMPTS =>
                    {
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
        })
        .await
}
