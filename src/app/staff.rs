//! Staff accounts and sessions: first-admin setup, `user add`, login, logout, and who is behind a cookie.

use crate::domain::code::Code;
use crate::domain::ids::{RequestId, StaffId};
use chrono::TimeDelta;
use serde_json::json;

use super::{AppError, AppState, Clock};
use crate::db::staff::{self as repo, NewStaffRow, StaffRow};
use crate::db::{self, AnyConnection, Db, audit, write_tx};
use crate::domain::FieldErrors;
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::staff::{NewPassword, Role, StaffEmail, StaffName};
use crate::security::{password, tokens};

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: StaffId,
    pub email: String,
    /// What pages and the audit log call them.
    pub name: String,
    pub role: Role,
}

impl TryFrom<StaffRow> for StaffMember {
    type Error = AppError;
    fn try_from(row: StaffRow) -> Result<Self, AppError> {
        Ok(StaffMember {
            role: row.role.parse().map_err(|_| {
                AppError::Definition(format!("stored role `{}` is unknown", row.role))
            })?,
            id: row.id,
            email: row.email,
            name: row.display_name,
        })
    }
}

impl StaffMember {
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            id: self.id.to_string(),
            role: self.role,
        }
    }
}

fn insert_staff(
    conn: &mut AnyConnection,
    email: &StaffEmail,
    name: &StaffName,
    role: Role,
    password_hash: &str,
    actor: Actor,
    clock: &Clock,
) -> Result<StaffMember, AppError> {
    let now = clock.now();
    if repo::find_by_email(conn, email.as_str())?.is_some() {
        return Err(AppError::StaffEmailTaken);
    }
    let id = db::new_id();
    repo::insert_user(
        conn,
        &NewStaffRow {
            id: &id,
            email: email.as_str(),
            role: role.as_str(),
            password_hash,
            created_at: db::to_db_time(now),
            display_name: name.as_str(),
        },
    )?;
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::StaffCreated, actor, now)
            .details(json!({"staff_id": id, "role": role.as_str()})),
    )?;
    Ok(StaffMember {
        id: id.into(),
        email: email.as_str().to_owned(),
        name: name.as_str().to_owned(),
        role,
    })
}

/// `kaiji user add`: creates an account from the command line (synchronous; no server needed).
pub fn add_user(
    db: &Db,
    clock: &Clock,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> Result<StaffMember, AppError> {
    let mut errors = FieldErrors::new();
    let password = errors.check("password", NewPassword::parse(password, email));
    let email = errors.check("email", StaffEmail::parse(email));
    let name = errors.check("name", StaffName::parse(name));
    let (email, name, password) = match (email, name, password) {
        (Some(e), Some(n), Some(p)) if errors.is_empty() => (e, n, p),
        _ => return Err(AppError::Invalid(errors)),
    };
    let hash = password::hash(&password);
    let mut conn = db.conn()?;
    write_tx(&mut conn, |conn| {
        insert_staff(
            conn,
            &email,
            &name,
            role,
            &hash,
            Actor::System("cli"),
            clock,
        )
    })
}

/// If nobody can log in yet, issues a one-time link for creating the first administrator. Each call
/// replaces the previous unused link.
pub async fn issue_setup_link_if_needed(state: &AppState) -> Result<Option<String>, AppError> {
    let now = state.clock.now();
    let ttl = TimeDelta::minutes(i64::from(state.config.http.setup_link_ttl_minutes));
    state
        .db
        .write(move |conn| {
            if repo::count_users(conn)? > 0 {
                return Ok(None);
            }
            let token = tokens::new_token();
            repo::replace_setup_link(
                conn,
                &tokens::digest(&token),
                db::to_db_time(now),
                db::to_db_time(now + ttl),
            )?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::SetupLinkIssued, Actor::System("serve"), now)
                    .details(json!({"expires_at": (now + ttl).to_rfc3339()})),
            )?;
            Ok(Some(token))
        })
        .await
}

pub async fn setup_link_is_valid(state: &AppState, token: String) -> Result<bool, AppError> {
    if !tokens::looks_like_token(&token) {
        return Ok(false);
    }
    let now = db::to_db_time(state.clock.now());
    state
        .db
        .run(move |conn| {
            Ok(repo::count_users(conn)? == 0
                && repo::setup_link_is_valid(conn, &tokens::digest(&token), now)?)
        })
        .await
}

/// Input of the first-admin form.
#[derive(Debug, Clone)]
pub struct SetupInput {
    pub email: String,
    pub name: String,
    pub password: String,
    pub password_confirmation: String,
}

/// Creates the first administrator through the setup link, which is then spent.
pub async fn complete_setup(
    state: &AppState,
    token: String,
    input: SetupInput,
) -> Result<StaffMember, AppError> {
    let mut errors = FieldErrors::new();
    let email = errors.check("email", StaffEmail::parse(&input.email));
    let name = errors.check("name", StaffName::parse(&input.name));
    let password = errors.check(
        "password",
        NewPassword::parse(&input.password, &input.email),
    );
    if password.is_some() && input.password != input.password_confirmation {
        errors.push("password_confirmation", "passwords_differ");
    }
    let (email, name, password) = match (email, name, password) {
        (Some(e), Some(n), Some(p)) if errors.is_empty() => (e, n, p),
        _ => return Err(AppError::Invalid(errors)),
    };
    if !tokens::looks_like_token(&token) {
        return Err(AppError::SetupLinkInvalid);
    }
    let clock = state.clock.clone();
    state
        .db
        .run(move |conn| {
            let hash = password::hash(&password);
            write_tx(conn, |conn| {
                let now = db::to_db_time(clock.now());
                if repo::count_users(conn)? > 0
                    || !repo::use_setup_link(conn, &tokens::digest(&token), now)?
                {
                    return Err(AppError::SetupLinkInvalid);
                }
                insert_staff(
                    conn,
                    &email,
                    &name,
                    Role::Admin,
                    &hash,
                    Actor::System("setup-link"),
                    &clock,
                )
            })
        })
        .await
}

/// A new session: the token goes in the cookie, only its digest in the database.
#[derive(Debug, Clone)]
pub struct Login {
    pub staff: StaffMember,
    pub session_token: String,
    pub second_step: SecondStep,
}

/// Where a session stands on the second step of sign-in (an authenticator code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondStep {
    /// Neither the policy nor the member asks for one.
    NotRequired,
    Passed,
    /// The member is enrolled: a code is due.
    Due,
    /// The policy asks for one and the member has not enrolled yet: enrolment comes first.
    EnrolFirst,
}

impl SecondStep {
    pub fn done(self) -> bool {
        matches!(self, SecondStep::NotRequired | SecondStep::Passed)
    }

    /// Where a session that is not done goes next.
    pub fn page(self) -> &'static str {
        match self {
            SecondStep::EnrolFirst => "/staff/mfa/enrol",
            _ => "/staff/mfa",
        }
    }
}

/// Where a member's session stands: passed when `mfa_at` is set; otherwise due when they are enrolled,
/// enrolment first when the policy requires it of their role, else not required.
pub(super) fn second_step(
    conn: &mut AnyConnection,
    policy: crate::config::MfaPolicy,
    staff: &StaffMember,
    passed: bool,
) -> Result<SecondStep, AppError> {
    if passed {
        return Ok(SecondStep::Passed);
    }
    let enrolled =
        crate::db::mfa::enrolment(conn, &staff.id)?.is_some_and(|e| e.confirmed_at.is_some());
    Ok(match (enrolled, policy.requires(staff.role)) {
        (true, _) => SecondStep::Due,
        (false, true) => SecondStep::EnrolFirst,
        (false, false) => SecondStep::NotRequired,
    })
}

/// A signed-in session: who, and where they stand on the second step.
#[derive(Debug, Clone)]
pub struct Session {
    pub staff: StaffMember,
    pub second_step: SecondStep,
}

/// The staff member behind a session cookie.
pub async fn authenticate(state: &AppState, session_token: String) -> Result<Session, AppError> {
    if !tokens::looks_like_token(&session_token) {
        return Err(AppError::Unauthenticated);
    }
    let now = state.clock.now();
    let idle_since = db::to_db_time(
        now - chrono::TimeDelta::minutes(i64::from(state.config.http.session_idle_minutes)),
    );
    let now = db::to_db_time(now);
    let policy = state.config.http.require_mfa;
    state
        .db
        .run(move |conn| {
            let (row, mfa_at) =
                repo::find_session_user(conn, &tokens::digest(&session_token), now, idle_since)?
                    .ok_or(AppError::Unauthenticated)?;
            let staff = StaffMember::try_from(row)?;
            let second_step = second_step(conn, policy, &staff, mfa_at.is_some())?;
            Ok(Session { staff, second_step })
        })
        .await
}

pub async fn logout(
    state: &AppState,
    staff: &StaffMember,
    session_token: String,
) -> Result<(), AppError> {
    let event = NewAuditEvent::new(AuditAction::StaffLogout, staff.actor(), state.clock.now());
    state
        .db
        .write(move |conn| {
            repo::delete_session(conn, &tokens::digest(&session_token))?;
            audit::append(conn, &event)?;
            Ok(())
        })
        .await
}

/// A new API token, shown once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub id: String,
    pub token: String,
    pub staff: StaffMember,
}

/// A member creates a token for themselves, from a session that passed the second step (checked by
/// the caller): it acts with their role, never more.
pub async fn create_own_api_token(
    state: &AppState,
    staff: &StaffMember,
    label: String,
) -> Result<IssuedToken, AppError> {
    let label = label.trim().to_owned();
    if label.is_empty() {
        return Err(AppError::invalid("label", "required"));
    }
    if label.chars().count() > 100 {
        return Err(AppError::invalid("label", "too_long"));
    }
    let (clock, email, actor) = (state.clock.clone(), staff.email.clone(), staff.actor());
    state
        .db
        .run(move |conn| issue_api_token(conn, &clock, &email, &label, actor))
        .await
}

/// `kaiji token create`: a bearer token for the staff API. Only its digest is stored.
pub fn create_api_token(
    db: &Db,
    clock: &Clock,
    email: &str,
    label: &str,
) -> Result<IssuedToken, AppError> {
    let mut conn = db.conn()?;
    issue_api_token(&mut conn, clock, email, label, Actor::System("cli"))
}

fn issue_api_token(
    conn: &mut AnyConnection,
    clock: &Clock,
    email: &str,
    label: &str,
    actor: Actor,
) -> Result<IssuedToken, AppError> {
    let email = StaffEmail::parse(email).map_err(|code| {
        let mut errors = FieldErrors::new();
        errors.push("email", code);
        AppError::Invalid(errors)
    })?;
    write_tx(conn, |conn| {
        let row = repo::find_by_email(conn, email.as_str())?
            .filter(|r| r.disabled_at.is_none())
            .ok_or(AppError::NotFound)?;
        let staff = StaffMember::try_from(row)?;
        let now = clock.now();
        let id = db::new_id();
        let token = tokens::new_token();
        repo::insert_api_token(
            conn,
            &id,
            &staff.id,
            &tokens::digest(&token),
            label,
            db::to_db_time(now),
        )?;
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::ApiTokenCreated, actor, now)
                .details(json!({"token_id": id, "staff_id": staff.id, "label": label})),
        )?;
        Ok(IssuedToken { id, token, staff })
    })
}

/// `kaiji token revoke`.
pub fn revoke_api_token(db: &Db, clock: &Clock, id: &str) -> Result<(), AppError> {
    let mut conn = db.conn()?;
    write_tx(&mut conn, |conn| {
        let now = clock.now();
        if !repo::revoke_api_token(conn, id, db::to_db_time(now))? {
            return Err(AppError::NotFound);
        }
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::ApiTokenRevoked, Actor::System("cli"), now)
                .details(json!({"token_id": id})),
        )?;
        Ok(())
    })
}

pub fn list_api_tokens(db: &Db) -> Result<Vec<(repo::ApiTokenRow, String)>, AppError> {
    let mut conn = db.conn()?;
    let tokens = repo::list_api_tokens(&mut conn, None)?;
    let mut out = Vec::new();
    for t in tokens {
        let email = crate::db::staff::find_by_id(&mut conn, &t.staff_id)?
            .map(|s| s.email)
            .unwrap_or_default();
        out.push((t, email));
    }
    Ok(out)
}

/// The staff member behind a bearer token.
pub async fn authenticate_token(state: &AppState, token: String) -> Result<StaffMember, AppError> {
    if !tokens::looks_like_token(&token) {
        return Err(AppError::Unauthenticated);
    }
    let now = db::to_db_time(state.clock.now());
    state
        .db
        .run(move |conn| {
            let row = repo::use_api_token(conn, &tokens::digest(&token), now)?
                .ok_or(AppError::Unauthenticated)?;
            StaffMember::try_from(row)
        })
        .await
}

/// A staff member changes their own password (the current one first); every other session ends.
pub async fn change_password(
    state: &AppState,
    staff: &StaffMember,
    current_session: String,
    current: String,
    new: String,
    confirmation: String,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    let parsed = errors.check(
        "new_password",
        NewPassword::parse(&new, staff.email.as_str()),
    );
    if parsed.is_some() && new != confirmation {
        errors.push("new_password_confirmation", "passwords_differ");
    }
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .run(move |conn| {
            let row = repo::find_by_id(conn, &staff.id)?.ok_or(AppError::NotFound)?;
            if !password::verify(&current, Some(&row.password_hash)) {
                errors.push("current_password", "wrong_password");
            }
            let Some(new) = parsed.filter(|_| errors.is_empty()) else {
                return Err(AppError::Invalid(errors));
            };
            let hash = password::hash(&new);
            write_tx(conn, |conn| {
                repo::set_password_hash(conn, &staff.id, &hash)?;
                let keep = tokens::digest(&current_session);
                let ended = repo::delete_sessions_of(conn, &staff.id)?;
                // The session that changed the password stays signed in (for a fresh hour).
                repo::insert_session(
                    conn,
                    &keep,
                    &staff.id,
                    db::to_db_time(now),
                    db::to_db_time(
                        now + TimeDelta::minutes(i64::from(SESSION_AFTER_CHANGE_MINUTES)),
                    ),
                )?;
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::StaffPasswordChanged, staff.actor(), now)
                        .details(json!({"other_sessions_ended": ended.saturating_sub(1)})),
                )?;
                Ok(())
            })
        })
        .await
}

/// How long the session that changed the password lasts afterwards.
const SESSION_AFTER_CHANGE_MINUTES: u32 = 60;

/// Signs a staff member out on every device. Audited.
pub async fn logout_everywhere(state: &AppState, staff: &StaffMember) -> Result<usize, AppError> {
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            let ended = repo::delete_sessions_of(conn, &staff.id)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::StaffLogoutEverywhere, staff.actor(), now)
                    .details(json!({"sessions_ended": ended})),
            )?;
            Ok(ended)
        })
        .await
}

/// Records that the service started, with its effective settings (secrets masked) and their digest, so
/// the audit log shows every configuration change across restarts.
pub fn record_start(
    db: &crate::db::Db,
    clock: &super::Clock,
    config: &crate::config::Config,
) -> Result<(), AppError> {
    use sha2::{Digest, Sha256};
    let settings = config.describe();
    let digest = hex::encode(Sha256::digest(settings.as_bytes()));
    let now = clock.now();
    let mut conn = db.conn()?;
    write_tx(&mut conn, |conn| -> Result<(), AppError> {
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::ServiceStarted, Actor::System("serve"), now).details(
                json!({
                    "version": env!("CARGO_PKG_VERSION"),
                    "settings_sha256": digest,
                    "settings": settings.lines().collect::<Vec<_>>(),
                }),
            ),
        )?;
        Ok(())
    })
}

/// Runs `change` in one write transaction on a request that exists (`NotFound` otherwise), as `staff`,
/// at the clock's now.
pub(crate) async fn on_request<T, F>(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    change: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(
            &mut AnyConnection,
            &StaffMember,
            chrono::DateTime<chrono::Utc>,
            &RequestId,
        ) -> Result<T, AppError>
        + Send
        + 'static,
{
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            crate::db::requests::find(conn, &request_id)?.ok_or(AppError::NotFound)?;
            change(conn, &staff, now, &request_id)
        })
        .await
}
