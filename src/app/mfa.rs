//! The second step of staff sign-in: enrolling an authenticator app (TOTP, with one-time recovery
//! codes shown once and stored as digests), taking a code after the password, and an administrator
//! resetting a member's enrolment with a fresh code of their own. Wrong codes count with failed
//! passwords (`sign_in`), so codes cannot be guessed faster than passwords; each code's step is
//! accepted once.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::sign_in::{self, Keys};
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::{self, AnyConnection, audit, mfa as repo, staff as staff_repo};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::ids::StaffId;
use crate::security::{mfa, tokens};

/// What the enrolment page shows: the secret as a QR code and as text.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret_base32: String,
    pub qr_svg: String,
}

/// Whether a member has enrolled, and how many recovery codes they have left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaStatus {
    pub enrolled: bool,
    pub recovery_codes_left: i64,
}

fn wrong_code() -> AppError {
    AppError::invalid("code", "wrong_code")
}

fn unix(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

pub async fn status(state: &AppState, staff: &StaffMember) -> Result<MfaStatus, AppError> {
    let id = staff.id.clone();
    state
        .db
        .run(move |conn| {
            let enrolled = repo::enrolment(conn, &id)?.is_some_and(|e| e.confirmed_at.is_some());
            Ok(MfaStatus {
                enrolled,
                recovery_codes_left: repo::unused_recovery_codes(conn, &id)?,
            })
        })
        .await
}

/// The secret to enrol with: the one waiting for its first code, or a new one. `None` when the member
/// is enrolled already (an administrator resets an enrolment; no one replaces their own unseen).
pub async fn enrolment(
    state: &AppState,
    staff: &StaffMember,
) -> Result<Option<Enrolment>, AppError> {
    let key = state.keys.document.clone();
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            let secret = match repo::enrolment(conn, &staff.id)? {
                Some(e) if e.confirmed_at.is_some() => return Ok(None),
                Some(e) => mfa::open_secret(key.expose(), &staff.id, &e.secret_sealed),
                None => None,
            };
            let secret = match secret {
                Some(s) => s,
                None => {
                    let s = mfa::new_secret();
                    let sealed = mfa::seal_secret(key.expose(), &staff.id, &s);
                    repo::start_enrolment(conn, &staff.id, &sealed, db::to_db_time(now))?;
                    s
                }
            };
            let uri = mfa::provisioning_uri(&secret, &staff.email)
                .ok_or_else(|| AppError::Definition("TOTP provisioning link".into()))?;
            Ok(Some(Enrolment {
                secret_base32: mfa::base32(&secret),
                qr_svg: mfa::qr_svg(&uri)
                    .ok_or_else(|| AppError::Definition("TOTP QR code".into()))?,
            }))
        })
        .await
}

/// The first code from the app confirms the enrolment; the session passes the second step, and the
/// recovery codes come back to be shown once.
pub async fn confirm(
    state: &AppState,
    staff: &StaffMember,
    session_token: String,
    code: String,
    client: Option<IpAddr>,
) -> Result<Vec<String>, AppError> {
    let key = state.keys.document.clone();
    let now = state.clock.now();
    let keys = Keys::new(state, &staff.email, client);
    let staff = staff.clone();
    let address = client.map(|ip| ip.to_string());
    state
        .db
        .run(move |conn| {
            sign_in::check_throttle(conn, &keys, Some(staff.id.clone()), address.as_deref(), now)?;
            let pending = repo::enrolment(conn, &staff.id)?
                .filter(|e| e.confirmed_at.is_none())
                .ok_or(AppError::NotFound)?;
            let secret = mfa::open_secret(key.expose(), &staff.id, &pending.secret_sealed)
                .ok_or_else(|| AppError::Definition("a TOTP secret does not open".into()))?;
            let Some(step) = mfa::matching_step(&secret, &code, unix(now)) else {
                failed(conn, &keys, &staff, address.as_deref(), now)?;
                return Err(wrong_code());
            };
            let codes = mfa::new_recovery_codes();
            let digests: Vec<String> = codes
                .iter()
                .map(|c| tokens::digest(&mfa::normalise_recovery_code(c)))
                .collect();
            db::write_tx(conn, |conn| -> Result<(), AppError> {
                if !repo::accept_step(conn, &staff.id, step)? {
                    return Err(wrong_code());
                }
                repo::confirm(conn, &staff.id, db::to_db_time(now))?;
                repo::add_recovery_codes(conn, &staff.id, &digests)?;
                repo::pass_session(conn, &tokens::digest(&session_token), db::to_db_time(now))?;
                sign_in::signed_in_from(conn, &keys, &staff.id, now)?;
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::StaffMfaEnrolled, staff.actor(), now)
                        .details(json!({"recovery_codes": codes.len()})),
                )?;
                Ok(())
            })?;
            Ok(codes)
        })
        .await
}

/// The second step after the password: a code from the app, or one of the recovery codes.
pub async fn verify(
    state: &AppState,
    staff: &StaffMember,
    session_token: String,
    code: String,
    client: Option<IpAddr>,
) -> Result<(), AppError> {
    let key = state.keys.document.clone();
    let now = state.clock.now();
    let keys = Keys::new(state, &staff.email, client);
    let staff = staff.clone();
    let address = client.map(|ip| ip.to_string());
    state
        .db
        .run(move |conn| {
            sign_in::check_throttle(conn, &keys, Some(staff.id.clone()), address.as_deref(), now)?;
            let passed = db::write_tx(conn, |conn| -> Result<bool, AppError> {
                let Some(how) = take_code(conn, key.expose(), &staff.id, &code, now)? else {
                    return Ok(false);
                };
                repo::pass_session(conn, &tokens::digest(&session_token), db::to_db_time(now))?;
                sign_in::signed_in_from(conn, &keys, &staff.id, now)?;
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::StaffSecondStepPassed, staff.actor(), now)
                        .details(json!({"with": how, "address": address})),
                )?;
                Ok(true)
            })?;
            if passed {
                Ok(())
            } else {
                failed(conn, &keys, &staff, address.as_deref(), now)?;
                Err(wrong_code())
            }
        })
        .await
}

/// Takes a code once: a TOTP code of a step not accepted before, or an unused recovery code. Says
/// which, or `None` for a wrong or replayed code.
fn take_code(
    conn: &mut AnyConnection,
    key: &[u8],
    staff_id: &StaffId,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<&'static str>, AppError> {
    let Some(enrolled) = repo::enrolment(conn, staff_id)?.filter(|e| e.confirmed_at.is_some())
    else {
        return Ok(None);
    };
    let secret = mfa::open_secret(key, staff_id, &enrolled.secret_sealed)
        .ok_or_else(|| AppError::Definition("a TOTP secret does not open".into()))?;
    if let Some(step) = mfa::matching_step(&secret, code, unix(now)) {
        return Ok(repo::accept_step(conn, staff_id, step)?.then_some("authenticator"));
    }
    let digest = tokens::digest(&mfa::normalise_recovery_code(code));
    Ok(
        repo::use_recovery_code(conn, staff_id, &digest, db::to_db_time(now))?
            .then_some("recovery_code"),
    )
}

fn failed(
    conn: &mut AnyConnection,
    keys: &Keys,
    staff: &StaffMember,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sign_in::record_failed_attempt(
        conn,
        keys,
        now,
        json!({"staff_id": staff.id, "address": address, "second_step": true}),
    )
}

/// An administrator resets a member's enrolment (a lost phone), proving it is them with a fresh code
/// of their own. The member's sessions end; they enrol again at their next sign-in.
pub async fn reset(
    state: &AppState,
    admin: &StaffMember,
    admin_code: String,
    member: StaffId,
    client: Option<IpAddr>,
) -> Result<(), AppError> {
    let key = state.keys.document.clone();
    let now = state.clock.now();
    let keys = Keys::new(state, &admin.email, client);
    let admin = admin.clone();
    let address = client.map(|ip| ip.to_string());
    state
        .db
        .run(move |conn| {
            sign_in::check_throttle(conn, &keys, Some(admin.id.clone()), address.as_deref(), now)?;
            let done = db::write_tx(conn, |conn| -> Result<bool, AppError> {
                staff_repo::find_by_id(conn, &member)?.ok_or(AppError::NotFound)?;
                // Only the authenticator proves the administrator is at the keyboard now.
                if take_code(conn, key.expose(), &admin.id, &admin_code, now)? != Some("authenticator")
                {
                    return Ok(false);
                }
                let removed = repo::remove(conn, &member)?;
                let sessions = staff_repo::delete_sessions_of(conn, &member)?;
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::StaffMfaReset, admin.actor(), now).details(
                        json!({"staff_id": member, "was_enrolled": removed > 0, "sessions_ended": sessions}),
                    ),
                )?;
                Ok(true)
            })?;
            if done {
                Ok(())
            } else {
                failed(conn, &keys, &admin, address.as_deref(), now)?;
                Err(wrong_code())
            }
        })
        .await
}
