//! Verifying identity through the company's own login (a signed, short-lived assertion): the
//! strongest method, so no documents are asked for afterwards.

use crate::domain::ids::RequestId;
use serde_json::json;

use super::cases::{Case, facts_json};
use super::{AppError, AppState};
use crate::db::{audit, requests};
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
        .write(move |conn| {
            let mut case = Case::lock_by_tracking_token(conn, &catalog, &tracking_token)?;
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
            super::evidence::purge_after_decision(conn, &case.row.id, &case.facts, false, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::IdentityVerified, Actor::Requester, now)
                    .for_request(&case.row.id)
                    .details(json!({"method": "account_assertion", "account_id": a.account_id})),
            )?;
            Ok(case.row.receipt_number.clone())
        })
        .await
}

/// Data points an officer checked against the company's records, as typed in.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataPointCheck {
    pub expected_version: i64,
    pub points: Vec<crate::domain::identity::DataPoint>,
    #[serde(default)]
    pub declaration_signed: bool,
}

/// Records checked data points (names and match only; values are not kept): if they reach the degree the
/// procedure requires for the request type, identity is verified. Either way the check is audited.
pub async fn record_data_points(
    state: &AppState,
    staff: &crate::app::staff::StaffMember,
    request_id: RequestId,
    check: DataPointCheck,
) -> Result<crate::domain::identity::Degree, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let mut case = Case::load_at(conn, &catalog, &request_id, check.expected_version)?;
            let field = |code| AppError::invalid("points", code);
            if case.state_label().1 {
                return Err(field("not_now"));
            }
            let rule = case
                .def
                .verification
                .clone()
                .ok_or_else(|| field("no_data_point_rule"))?;
            // Signed by the requester on the tracking page, or on paper as the officer records.
            let declaration_signed = check.declaration_signed
                || super::evidence::declaration_signed(conn, &case.row.id)?;
            let degree = crate::domain::identity::degree(
                &rule,
                case.request_type.as_str(),
                &check.points,
                declaration_signed,
            )
            .map_err(field)?;
            let names: Vec<(String, bool)> = check
                .points
                .iter()
                .map(|p| (p.name.trim().to_lowercase(), p.matched))
                .collect();
            if degree.verified && !case.facts.contains(&Fact::IdentityVerified) {
                super::evidence::mark_identity_verified(conn, &mut case, now)?;
            }
            let action = if degree.verified {
                AuditAction::IdentityVerified
            } else {
                AuditAction::IdentityCheckFailed
            };
            audit::append(
                conn,
                &NewAuditEvent::new(action, actor.clone(), now)
                    .for_request(&case.row.id)
                    .details(json!({"method": "data_points", "points": names,
                                        "matched": degree.matched, "required": degree.required,
                                        "declaration_required": degree.declaration_required,
                                        "declaration_signed": declaration_signed})),
            )?;
            Ok(degree)
        })
        .await
}

/// An officer's judgement that identity is established, with the reason recorded (e.g. the request came
/// from the signed-in account's registered address and asks for low-risk data).
pub async fn officer_judgement(
    state: &AppState,
    staff: &crate::app::staff::StaffMember,
    request_id: RequestId,
    expected_version: i64,
    reason: String,
) -> Result<(), AppError> {
    let reason = crate::domain::field::bounded(&reason, 2000)
        .map_err(|code| AppError::invalid("reason", code))?;
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let mut case = Case::load_at(conn, &catalog, &request_id, expected_version)?;
            if case.state_label().1 || case.facts.contains(&Fact::IdentityVerified) {
                return Err(AppError::invalid("reason", "not_now"));
            }
            super::evidence::mark_identity_verified(conn, &mut case, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::IdentityVerified, actor, now)
                    .for_request(&case.row.id)
                    .details(json!({"method": "officer_judgement", "reason": reason})),
            )?;
            Ok(())
        })
        .await
}
