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
    let Some(ring) = state.keys.assertion.as_ref() else {
        return Err(AppError::NotConfigured("KAIJI_ASSERTION_KEY"));
    };
    if !tokens::looks_like_token(&tracking_token) {
        return Err(AppError::NotFound);
    }
    let (payload, sig) = split(&assertion).map_err(AppError::Assertion)?;
    // Any key of the ring: the company's login may still sign with the old one during a rotation.
    if !ring.verify(payload.as_bytes(), sig) {
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
            // The sign-in proves who the request is about: for a request filed for someone else, the
            // person's account, never the agent's or guardian's own.
            let (email, own_address) = match requests::find_on_behalf(conn, &case.row.id)? {
                Some(b) => {
                    // Through the agent's link it is not the person verifying directly.
                    direct_check(&case, false, "assertion")?;
                    (b.person_email, false)
                }
                None => (case.row.subject_email.clone(), true),
            };
            let email = email.ok_or_else(|| AppError::invalid("assertion", "no_person_email"))?;
            let a = judge(&payload, &email, now).map_err(AppError::Assertion)?;
            if case.facts.contains(&Fact::IdentityVerified) {
                return Ok(case.row.receipt_number.clone());
            }
            // Signing in proves the address too, when it is the requester's own.
            case.facts.insert(Fact::IdentityVerified);
            if own_address {
                case.facts.insert(Fact::EmailConfirmed);
            }
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
    /// The officer checked these with the person the data is about, directly (at their own address or
    /// number), not with the agent who filed.
    #[serde(default)]
    pub with_person: bool,
}

/// Where an agent filed under a procedure that has the person verify directly (CCPA Regs.
/// §7063(a)(1)), only a check made with the person counts.
fn direct_check(case: &Case, with_person: bool, field: &'static str) -> Result<(), AppError> {
    if case.def.person_verifies_directly && case.facts.contains(&Fact::FiledByAgent) && !with_person
    {
        return Err(AppError::invalid(field, "person_must_verify"));
    }
    Ok(())
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
            direct_check(&case, check.with_person, "points")?;
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
                                        "declaration_signed": declaration_signed,
                                        "with_person": check.with_person})),
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
    with_person: bool,
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
            direct_check(&case, with_person, "reason")?;
            super::evidence::mark_identity_verified(conn, &mut case, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::IdentityVerified, actor, now)
                    .for_request(&case.row.id)
                    .details(json!({"method": "officer_judgement", "reason": reason,
                                    "with_person": with_person})),
            )?;
            Ok(())
        })
        .await
}

/// An officer records that they checked an agent's proof of authority (the person's signed permission, a
/// power of attorney), and how: until then, no system is asked to act or disclose for the agent
/// (`authority_checked`). Audited; version-checked; once.
pub async fn record_authority(
    state: &AppState,
    staff: &crate::app::staff::StaffMember,
    request_id: RequestId,
    expected_version: i64,
    how: String,
) -> Result<(), AppError> {
    let how =
        crate::domain::field::bounded(&how, 500).map_err(|code| AppError::invalid("how", code))?;
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let mut case = Case::load_at(conn, &catalog, &request_id, expected_version)?;
            if case.state_label().1 {
                return Err(AppError::invalid("how", "not_now"));
            }
            if !case.facts.contains(&Fact::FiledByAgent) {
                return Err(AppError::invalid("how", "not_an_agent"));
            }
            if case.facts.contains(&Fact::AuthorityChecked) {
                return Err(AppError::invalid("how", "authority_already_checked"));
            }
            case.facts.insert(Fact::AuthorityChecked);
            case.save_facts(conn, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::AuthorityChecked, actor, now)
                    .for_request(&case.row.id)
                    .details(json!({"how": how})),
            )?;
            Ok(())
        })
        .await
}
