//! Staff sign-in: one password check per attempt, whatever the account, and the throttles of
//! `domain::sign_in`. Failures are stored under keyed digests of the email typed and of the client's
//! address, so a wait or an answer never tells whether an account exists, and the tables never hold an
//! email or an address.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::json;

use super::staff::{Login, StaffMember, second_step};
use super::{AppError, AppState};
use crate::db::staff::{self as repo};
use crate::db::{self, audit, sign_in, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::sign_in::{Counts, Failures, WINDOW, Wait, wait};
use crate::domain::staff::StaffEmail;
use crate::security::{password, tokens};

/// The digests failures are counted under.
pub(super) struct Keys {
    email: String,
    address: String,
}

impl Keys {
    pub(super) fn new(state: &AppState, email: &str, client: Option<IpAddr>) -> Self {
        let key = state.keys.session.expose();
        // What was typed, normalised as accounts are, so `Pat@x` and `pat@x ` are one count.
        let email = StaffEmail::parse(email)
            .map(|e| e.as_str().to_owned())
            .unwrap_or_else(|_| email.trim().to_lowercase());
        let address = client
            .map(|ip| crate::config::subscriber_network(ip).to_string())
            .unwrap_or_default();
        Keys {
            email: tokens::sign(key, format!("sign-in email\n{email}").as_bytes()),
            address: tokens::sign(key, format!("sign-in address\n{address}").as_bytes()),
        }
    }
}

fn failures((count, last): sign_in::Tally) -> Failures {
    Failures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        last: last.map(db::from_db_time),
    }
}

/// Signs a staff member in from `client`. Unknown, disabled and wrong-password attempts all answer
/// `BadCredentials`; an attempt that must wait answers `SignInThrottled` (for an unknown email too).
/// Every attempt, throttled or not, checks one password hash, so none answers sooner than another.
/// `replaces` is the session the browser held before, if any: a sign-in ends it, so one browser never
/// holds two and a session fixed before sign-in is worth nothing after.
pub async fn login(
    state: &AppState,
    email: String,
    password: String,
    client: Option<IpAddr>,
    replaces: Option<String>,
) -> Result<Login, AppError> {
    let clock = state.clock.clone();
    let ttl = TimeDelta::minutes(i64::from(state.config.http.session_ttl_minutes));
    let keys = Keys::new(state, &email, client);
    let checks = state.password_checks.clone();
    let address = client.map(|ip| ip.to_string());
    let policy = state.config.http.require_mfa;
    state
        .db
        .run(move |conn| {
            let row = match StaffEmail::parse(&email) {
                Ok(e) => repo::find_by_email(conn, e.as_str())?,
                Err(_) => None,
            };
            let usable = row.filter(|r| r.disabled_at.is_none());
            checks.fetch_add(1, Ordering::Relaxed);
            let ok = password::verify(&password, usable.as_ref().map(|r| r.password_hash.as_str()));
            let now = clock.now();
            let staff_id = usable.as_ref().map(|r| r.id.clone());
            check_throttle(conn, &keys, staff_id.clone(), address.as_deref(), now)?;
            match (ok, usable) {
                (true, Some(row)) => {
                    let staff = StaffMember::try_from(row)?;
                    let token = tokens::new_token();
                    let step = second_step(conn, policy, &staff, false)?;
                    write_tx(conn, |conn| -> Result<(), AppError> {
                        // The place counts as the member's own only once every step is passed.
                        if step.done() {
                            signed_in_from(conn, &keys, &staff.id, now)?;
                        }
                        repo::delete_expired_sessions(conn, db::to_db_time(now))?;
                        if let Some(old) = &replaces {
                            repo::delete_session(conn, &tokens::digest(old))?;
                        }
                        repo::insert_session(
                            conn,
                            &tokens::digest(&token),
                            &staff.id,
                            db::to_db_time(now),
                            db::to_db_time(now + ttl),
                        )?;
                        audit::append(
                            conn,
                            &NewAuditEvent::new(AuditAction::StaffLogin, staff.actor(), now)
                                .details(
                                    json!({"address": address, "second_step_done": step.done()}),
                                ),
                        )?;
                        Ok(())
                    })?;
                    Ok(Login {
                        staff,
                        session_token: token,
                        second_step: step,
                    })
                }
                _ => {
                    // The email typed is personal data and stays out of the log; a known account is
                    // named by its id so failures against it can be seen.
                    record_failed_attempt(
                        conn,
                        &keys,
                        now,
                        json!({"staff_id": staff_id, "address": address}),
                    )?;
                    Err(AppError::BadCredentials)
                }
            }
        })
        .await
}

/// After every step of sign-in: this place's failures for the email are forgotten, and it is one the
/// member signs in from.
pub(super) fn signed_in_from(
    conn: &mut db::AnyConnection,
    keys: &Keys,
    staff_id: &crate::domain::ids::StaffId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sign_in::forget_failures(conn, &keys.email, Some(&keys.address))?;
    sign_in::remember_address(conn, staff_id, &keys.address, db::to_db_time(now))?;
    Ok(())
}

/// Refuses an attempt that must wait (`SignInThrottled`), auditing the throttle once per hour.
pub(super) fn check_throttle(
    conn: &mut db::AnyConnection,
    keys: &Keys,
    staff_id: Option<crate::domain::ids::StaffId>,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let since = db::to_db_time(now - WINDOW);
    let (both, at_address, of_email) = sign_in::tallies(conn, &keys.email, &keys.address, since)?;
    let known_address = match &staff_id {
        Some(id) => sign_in::is_known_address(conn, id, &keys.address)?,
        None => false,
    };
    let counts = Counts {
        account_at_address: failures(both),
        address: failures(at_address),
        account: failures(of_email),
        known_address,
    };
    match wait(&counts, now) {
        None => Ok(()),
        Some(w) => {
            note_throttle(conn, keys, &w, staff_id, address, now)?;
            Err(AppError::SignInThrottled {
                retry_after_secs: u64::try_from(w.remaining.num_seconds()).unwrap_or(0).max(1),
            })
        }
    }
}

/// Counts a failed attempt (a wrong password or a wrong second-step code) and audits it.
pub(super) fn record_failed_attempt(
    conn: &mut db::AnyConnection,
    keys: &Keys,
    now: DateTime<Utc>,
    details: serde_json::Value,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        sign_in::record_failure(
            conn,
            &db::new_id(),
            &keys.email,
            &keys.address,
            db::to_db_time(now),
        )?;
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::StaffLoginFailed, Actor::System("login"), now)
                .details(details),
        )
    })?;
    Ok(())
}

/// One audit event per throttle (scope and digest) and hour, with the failures that set it off, however
/// many attempts it turns away.
fn note_throttle(
    conn: &mut db::AnyConnection,
    keys: &Keys,
    w: &Wait,
    staff_id: Option<crate::domain::ids::StaffId>,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use crate::domain::sign_in::Scope;
    let key = match w.scope {
        Scope::AccountAtAddress => format!("{}:{}", keys.email, keys.address),
        Scope::Address => keys.address.clone(),
        Scope::AccountElsewhere => keys.email.clone(),
    };
    let hour = now
        .duration_trunc(TimeDelta::hours(1))
        .map_err(|e| AppError::Definition(format!("hour: {e}")))?;
    let scope_key = format!("{}:{key}", w.scope.as_str());
    let noted = write_tx(conn, |conn| -> Result<bool, AppError> {
        if !sign_in::note_throttle(conn, &scope_key, db::to_db_time(hour))? {
            return Ok(false);
        }
        audit::append(
            conn,
            &NewAuditEvent::new(
                AuditAction::StaffSignInThrottled,
                Actor::System("login"),
                now,
            )
            .details(json!({
                "scope": w.scope.as_str(),
                "staff_id": staff_id,
                "address": address,
                "failures": w.failures,
                "wait_seconds": w.remaining.num_seconds(),
            })),
        )?;
        Ok(true)
    });
    match noted {
        Ok(_) => Ok(()),
        // Another instance noted the same throttle a moment ago.
        Err(AppError::Db(e)) if e.is_unique_violation() => Ok(()),
        Err(e) => Err(e),
    }
}

/// An admin lifts the sign-in waits of an account (by email), everywhere. Audited.
pub async fn lift_throttle(state: &AppState, actor: Actor, email: String) -> Result<(), AppError> {
    let now = state.clock.now();
    let keys = Keys::new(state, &email, None);
    state
        .db
        .write(move |conn| {
            let row = repo::find_by_email(conn, email.trim())?.ok_or(AppError::NotFound)?;
            let forgotten = sign_in::forget_failures(conn, &keys.email, None)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::StaffUnlocked, actor, now)
                    .details(json!({"staff_id": row.id, "failures_forgotten": forgotten})),
            )?;
            Ok(())
        })
        .await
}

/// Forgets failures and throttle notes older than the window (hourly).
pub fn forget_old(state: &AppState) -> Result<usize, AppError> {
    let before = db::to_db_time(state.clock.now() - WINDOW);
    let mut conn = state.db.conn()?;
    Ok(write_tx(&mut conn, |conn| {
        sign_in::forget_before(conn, before)
    })?)
}
