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
                Some(e) => open_secret(&key, &staff.id, &e.secret_sealed),
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

/// What a code attempt's step knows: who, from where, and when.
struct Attempt {
    staff: StaffMember,
    keys: Keys,
    address: Option<String>,
    now: DateTime<Utc>,
    document_key: crate::config::KeyRing,
}

/// A code attempt by `staff`: refused while their sign-ins must wait; `act` runs in one transaction
/// and gives `None` for a wrong (or replayed) code, which counts as a failed sign-in.
async fn attempt<T: Send + 'static>(
    state: &AppState,
    staff: &StaffMember,
    client: Option<IpAddr>,
    act: impl FnOnce(&mut AnyConnection, &Attempt) -> Result<Option<T>, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let a = Attempt {
        staff: staff.clone(),
        keys: Keys::new(state, &staff.email, client),
        address: client.map(|ip| ip.to_string()),
        now: state.clock.now(),
        document_key: state.keys.document.clone(),
    };
    state
        .db
        .run(move |conn| {
            let who = Some(a.staff.id.clone());
            sign_in::check_throttle(conn, &a.keys, who, a.address.as_deref(), a.now)?;
            if let Some(done) = db::write_tx(conn, |conn| act(conn, &a))? {
                return Ok(done);
            }
            sign_in::record_failed_attempt(
                conn,
                &a.keys,
                a.now,
                json!({"staff_id": a.staff.id, "address": a.address, "second_step": true}),
            )?;
            Err(wrong_code())
        })
        .await
}

/// A confirmed enrolment: the recovery codes to show once, and the session's new token.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub recovery_codes: Vec<String>,
    pub session_token: String,
}

/// The first code from the app confirms the enrolment; the session passes the second step under a new
/// token, and the recovery codes come back to be shown once.
pub async fn confirm(
    state: &AppState,
    staff: &StaffMember,
    session_token: String,
    code: String,
    client: Option<IpAddr>,
) -> Result<Enrolled, AppError> {
    attempt(state, staff, client, move |conn, a| {
        let id = &a.staff.id;
        let pending = repo::enrolment(conn, id)?
            .filter(|e| e.confirmed_at.is_none())
            .ok_or(AppError::NotFound)?;
        let secret = open_secret(&a.document_key, id, &pending.secret_sealed)
            .ok_or_else(|| AppError::Definition("a TOTP secret does not open".into()))?;
        let Some(step) = mfa::matching_step(&secret, &code, unix(a.now)) else {
            return Ok(None);
        };
        if !repo::accept_step(conn, id, step)? {
            return Ok(None);
        }
        let codes = mfa::new_recovery_codes();
        let digests: Vec<String> = codes
            .iter()
            .map(|c| tokens::digest(&mfa::normalise_recovery_code(c)))
            .collect();
        repo::confirm(conn, id, db::to_db_time(a.now))?;
        repo::add_recovery_codes(conn, id, &digests)?;
        let details = json!({"recovery_codes": codes.len()});
        let next_token = pass_step(
            conn,
            a,
            &session_token,
            AuditAction::StaffMfaEnrolled,
            details,
        )?;
        Ok(Some(Enrolled {
            recovery_codes: codes,
            session_token: next_token,
        }))
    })
    .await
}

/// The second step after the password: a code from the app, or one of the recovery codes. The session
/// goes on under a new token (returned), so one seen before the step is worth nothing after it.
pub async fn verify(
    state: &AppState,
    staff: &StaffMember,
    session_token: String,
    code: String,
    client: Option<IpAddr>,
) -> Result<String, AppError> {
    attempt(state, staff, client, move |conn, a| {
        let id = &a.staff.id;
        let Some(how) = take_code(conn, &a.document_key, id, &code, a.now, true)? else {
            return Ok(None);
        };
        let details = json!({"with": how, "address": a.address});
        let next_token = pass_step(
            conn,
            a,
            &session_token,
            AuditAction::StaffSecondStepPassed,
            details,
        )?;
        Ok(Some(next_token))
    })
    .await
}

/// The session passes the second step: it goes on under a new token (returned; the one known before the
/// step ends), the place becomes one the member signs in from, and the step is audited.
fn pass_step(
    conn: &mut AnyConnection,
    a: &Attempt,
    session_token: &str,
    action: AuditAction,
    details: serde_json::Value,
) -> Result<String, AppError> {
    let next_token = tokens::new_token();
    let (old, new) = (tokens::digest(session_token), tokens::digest(&next_token));
    if !repo::pass_session(conn, &old, &new, db::to_db_time(a.now))? {
        return Err(AppError::Unauthenticated);
    }
    sign_in::signed_in_from(conn, &a.keys, &a.staff.id, a.now)?;
    audit::append(
        conn,
        &NewAuditEvent::new(action, a.staff.actor(), a.now).details(details),
    )?;
    Ok(next_token)
}

/// A member's sealed TOTP secret, opened with whichever document key sealed it.
fn open_secret(key: &crate::config::KeyRing, staff_id: &str, stored: &str) -> Option<Vec<u8>> {
    key.all()
        .find_map(|k| mfa::open_secret(k, staff_id, stored))
}

/// Takes a code once: a TOTP code of a step not accepted before, or an unused recovery code. Says
/// which, or `None` for a wrong or replayed code.
fn take_code(
    conn: &mut AnyConnection,
    key: &crate::config::KeyRing,
    staff_id: &StaffId,
    code: &str,
    now: DateTime<Utc>,
    recovery: bool,
) -> Result<Option<&'static str>, AppError> {
    let Some(enrolled) = repo::enrolment(conn, staff_id)?.filter(|e| e.confirmed_at.is_some())
    else {
        return Ok(None);
    };
    let secret = open_secret(key, staff_id, &enrolled.secret_sealed)
        .ok_or_else(|| AppError::Definition("a TOTP secret does not open".into()))?;
    if let Some(step) = mfa::matching_step(&secret, code, unix(now)) {
        return Ok(repo::accept_step(conn, staff_id, step)?.then_some("authenticator"));
    }
    if !recovery {
        return Ok(None);
    }
    let digest = tokens::digest(&mfa::normalise_recovery_code(code));
    Ok(
        repo::use_recovery_code(conn, staff_id, &digest, db::to_db_time(now))?
            .then_some("recovery_code"),
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
    attempt(state, admin, client, move |conn, a| {
        staff_repo::find_by_id(conn, &member)?.ok_or(AppError::NotFound)?;
        // Only the authenticator (not a recovery code) proves the administrator is at the keyboard.
        let key = &a.document_key;
        if take_code(conn, key, &a.staff.id, &admin_code, a.now, false)?.is_none() {
            return Ok(None);
        }
        let removed = repo::remove(conn, &member)?;
        let sessions = staff_repo::delete_sessions_of(conn, &member)?;
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::StaffMfaReset, a.staff.actor(), a.now).details(
                json!({"staff_id": member, "was_enrolled": removed > 0, "sessions_ended": sessions}),
            ),
        )?;
        Ok(Some(()))
    })
    .await
}
