//! Verifying identity through the company's own login (a signed, short-lived assertion): the
//! strongest method, so no documents are asked for afterwards.

use serde_json::json;

use super::cases::{Case, facts_json};
use super::{AppError, AppState};
use crate::db::{audit, requests, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::identity::{AssertionError, judge, split};
use crate::domain::workflow::Fact;
use crate::security::tokens;

/// Accepts an assertion for the request behind a tracking token. Returns the tracking token's request
/// receipt number.
pub async fn verify_by_assertion(
    state: &AppState,
    tracking_token: String,
    assertion: String,
) -> Result<String, AppError> {
    let Some(key) = state.keys.assertion.as_ref().map(|k| k.expose().to_vec()) else {
        return Err(AppError::NotConfigured("KAIJI_ASSERTION_KEY"));
    };
    if !tokens::looks_like_token(&tracking_token) {
        return Err(AppError::NotFound);
    }
    let (payload, sig) = split(&assertion).map_err(AppError::Assertion)?;
    if !tokens::verify(&key, payload.as_bytes(), sig) {
        return Err(AppError::Assertion(AssertionError::BadSignature));
    }
    let payload = payload.to_owned();
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let found = requests::find_by_token_digest(conn, &tokens::digest(&tracking_token))?
                    .ok_or(AppError::NotFound)?;
                requests::lock(conn, &found.id)?;
                let row = requests::find(conn, &found.id)?.ok_or(AppError::NotFound)?;
                let mut case = Case::from_row(conn, &catalog, row)?;
                if case.state_label().1 {
                    return Err(AppError::LinkExpired);
                }
                let email = case.row.subject_email.clone().ok_or(AppError::NotFound)?;
                let a = judge(&payload, &email, now).map_err(AppError::Assertion)?;
                if case.facts.contains(&Fact::IdentityVerified) {
                    return Ok(case.row.receipt_number.clone());
                }
                // Signing in proves the address too.
                case.facts.insert(Fact::IdentityVerified);
                case.facts.insert(Fact::EmailConfirmed);
                if !requests::set_facts(
                    conn,
                    &case.row.id,
                    case.row.version,
                    &facts_json(&case.facts),
                )? {
                    return Err(AppError::Conflict);
                }
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::IdentityVerified, Actor::Requester, now)
                        .for_request(&case.row.id)
                        .details(
                            json!({"method": "account_assertion", "account_id": a.account_id}),
                        ),
                )?;
                Ok(case.row.receipt_number.clone())
            })
        })
        .await
}
