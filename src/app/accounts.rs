//! Staff accounts over their lifetime: who holds which role and which tokens, and an administrator's
//! changes (role, disable, enable), each audited. Disabling ends the member's sessions and revokes
//! their API tokens in the same transaction, so nothing they held works a moment later. The last active
//! administrator can be neither demoted nor disabled: someone must be able to manage staff.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::{AppError, AppState};
use crate::db::staff::{self as repo, StaffRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::FieldErrors;
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::ids::StaffId;
use crate::domain::staff::{Role, StaffEmail, StaffName};

/// A staff account as administrators and auditors see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffAccount {
    #[schema(value_type = String)]
    pub id: StaffId,
    pub email: String,
    /// What pages and the audit log call them.
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub live_sessions: i64,
    /// Signs in with an authenticator app.
    pub mfa_enrolled: bool,
    pub tokens: Vec<TokenHeld>,
}

/// An API token, never its value.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenHeld {
    pub id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What an administrator does to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Role(Role),
    Disable,
    Enable,
    /// Ends every session of the member (a lost laptop) and leaves the account as it is.
    EndSessions,
}

/// Every account with its live sessions and its tokens, by email.
pub async fn list(state: &AppState) -> Result<Vec<StaffAccount>, AppError> {
    let now = db::to_db_time(state.clock.now());
    state
        .db
        .run(move |conn| {
            let sessions: std::collections::HashMap<StaffId, i64> =
                repo::live_sessions(conn, now)?.into_iter().collect();
            let mut tokens = repo::list_api_tokens(conn, None)?;
            let enrolled = crate::db::mfa::enrolled(conn)?;
            repo::list_users(conn)?
                .into_iter()
                .map(|row| {
                    let role = role_of(&row)?;
                    let held = tokens
                        .extract_if(.., |t| t.staff_id == row.id)
                        .map(|t| TokenHeld {
                            id: t.id,
                            label: t.label,
                            created_at: db::from_db_time(t.created_at),
                            last_used_at: t.last_used_at.map(db::from_db_time),
                            revoked_at: t.revoked_at.map(db::from_db_time),
                        })
                        .collect();
                    Ok(StaffAccount {
                        live_sessions: sessions.get(&row.id).copied().unwrap_or(0),
                        mfa_enrolled: enrolled.contains(&row.id),
                        id: row.id,
                        email: row.email,
                        name: row.display_name,
                        role,
                        created_at: db::from_db_time(row.created_at),
                        disabled_at: row.disabled_at.map(db::from_db_time),
                        tokens: held,
                    })
                })
                .collect()
        })
        .await
}

fn role_of(row: &StaffRow) -> Result<Role, AppError> {
    row.role
        .parse()
        .map_err(|_| AppError::Definition(format!("stored role `{}` is unknown", row.role)))
}

/// The account behind an email address (the CLI names members by email).
pub async fn find_by_email(state: &AppState, email: String) -> Result<StaffId, AppError> {
    let email = StaffEmail::parse(&email).map_err(|code| {
        let mut errors = FieldErrors::new();
        errors.push("email", code);
        AppError::Invalid(errors)
    })?;
    state
        .db
        .run(move |conn| {
            repo::find_by_email(conn, email.as_str())?
                .map(|r| r.id)
                .ok_or(AppError::NotFound)
        })
        .await
}

/// A member changes the name they go by; audited (the account, not the words). The same name again
/// changes nothing.
pub async fn rename(
    state: &AppState,
    staff: &super::staff::StaffMember,
    raw: String,
) -> Result<(), AppError> {
    let name = StaffName::parse(&raw).map_err(|code| AppError::invalid("name", code))?;
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            if staff.name == name.as_str() {
                return Ok(());
            }
            repo::set_display_name(conn, &staff.id, name.as_str())?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::StaffRenamed, staff.actor(), now)
                    .details(json!({"staff_id": staff.id})),
            )?;
            Ok(())
        })
        .await
}

/// Changes an account; a change to what it already is does nothing and is not audited.
pub async fn change(
    state: &AppState,
    actor: Actor,
    id: StaffId,
    change: AccountChange,
) -> Result<(), AppError> {
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            let row = repo::find_by_id(conn, &id)?.ok_or(AppError::NotFound)?;
            let role = role_of(&row)?;
            let active = row.disabled_at.is_none();
            let stays_admin = match change {
                AccountChange::Role(r) => r == Role::Admin && active,
                AccountChange::Disable => false,
                AccountChange::Enable => role == Role::Admin,
                AccountChange::EndSessions => true,
            };
            if role == Role::Admin && active && !stays_admin {
                keep_an_admin(conn, &id, change)?;
            }
            let (action, details) = match change {
                AccountChange::Role(r) if r == role => return Ok(()),
                AccountChange::Role(r) => {
                    repo::set_role(conn, &id, r.as_str())?;
                    (
                        AuditAction::StaffRoleChanged,
                        json!({"staff_id": id, "from": role, "to": r}),
                    )
                }
                AccountChange::Disable if !active => return Ok(()),
                AccountChange::Disable => {
                    repo::set_disabled(conn, &id, Some(db::to_db_time(now)))?;
                    let sessions = repo::delete_sessions_of(conn, &id)?;
                    let tokens = repo::revoke_tokens_of(conn, &id, db::to_db_time(now))?;
                    (
                        AuditAction::StaffDisabled,
                        json!({"staff_id": id, "sessions_ended": sessions, "tokens_revoked": tokens}),
                    )
                }
                AccountChange::Enable if active => return Ok(()),
                AccountChange::Enable => {
                    repo::set_disabled(conn, &id, None)?;
                    (AuditAction::StaffEnabled, json!({"staff_id": id}))
                }
                AccountChange::EndSessions => {
                    let sessions = repo::delete_sessions_of(conn, &id)?;
                    (
                        AuditAction::StaffSessionsEnded,
                        json!({"staff_id": id, "sessions_ended": sessions}),
                    )
                }
            };
            audit::append(
                conn,
                &NewAuditEvent::new(action, actor, now).details(details),
            )?;
            Ok(())
        })
        .await
}

/// Ends every staff session at once (a stolen database copy, a compromised laptop nobody can name), but
/// the one of the administrator who asks (`keep`, the session's token), so they stay to act. API
/// tokens are not sessions and stay (revoke them one by one). Returns how many ended.
pub async fn end_every_session(
    state: &AppState,
    actor: Actor,
    keep: Option<String>,
) -> Result<usize, AppError> {
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            let keep = keep.map(|t| crate::security::tokens::digest(&t));
            let ended = repo::delete_all_sessions(conn, keep.as_deref())?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::StaffAllSessionsEnded, actor, now)
                    .details(json!({"sessions_ended": ended, "own_kept": keep.is_some()})),
            )?;
            Ok(ended)
        })
        .await
}

/// Refuses to leave the service without an active administrator.
fn keep_an_admin(
    conn: &mut AnyConnection,
    id: &StaffId,
    change: AccountChange,
) -> Result<(), AppError> {
    if repo::other_active_admins(conn, id)? > 0 {
        return Ok(());
    }
    let mut errors = FieldErrors::new();
    let field = match change {
        AccountChange::Role(_) => "role",
        AccountChange::Disable | AccountChange::Enable | AccountChange::EndSessions => "account",
    };
    errors.push(field, "last_admin");
    Err(AppError::Invalid(errors))
}
