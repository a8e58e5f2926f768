//! A data subject files a request: it is recorded under its workflow's first state, with its audit event,
//! in one transaction, and the requester gets a receipt number and a private tracking token.

use serde_json::json;

use super::{AppError, AppState};
use crate::db::requests::{self, NewRequestRow};
use crate::db::{self, DbError, audit, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::request::{NewRequest, ReceiptNumber};
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

pub async fn submit(state: &AppState, request: NewRequest) -> Result<Receipt, AppError> {
    let now = state.clock.now();
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let workflow = catalog.for_new_request(conn, request.request_type, request.channel)?;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let receipt = Receipt {
                    request_id: db::new_id(),
                    receipt_number: ReceiptNumber::new(now.date_naive(), tokens::random_u64()),
                    tracking_token: tokens::new_token(),
                };
                let result = write_tx(conn, |conn| -> Result<(), AppError> {
                    let ts = db::to_db_time(now);
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
                            channel: request.channel.as_str(),
                            language: request.language.as_str(),
                            subject_name: request.name.as_ref(),
                            subject_email: request.email.as_ref(),
                            message: request.message.as_ref(),
                            received_at: ts,
                            updated_at: ts,
                        },
                    )?;
                    audit::append(
                        conn,
                        &NewAuditEvent::new(AuditAction::RequestReceived, Actor::Requester, now)
                            .for_request(&receipt.request_id)
                            .states(None, Some(&workflow.initial_state))
                            .details(json!({
                                "receipt_number": receipt.receipt_number.as_str(),
                                "request_type": request.request_type.as_str(),
                                "channel": request.channel.as_str(),
                                "workflow_id": workflow.id,
                                "workflow_version": workflow.version,
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
