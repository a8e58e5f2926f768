//! Staff accounts, their sessions, and the one-time links that create the first administrator.

use crate::domain::ids::StaffId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{api_tokens, setup_links, staff_sessions, staff_users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_users)]
pub struct StaffRow {
    pub id: StaffId,
    pub email: String,
    pub role: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
    pub display_name: String,
}

#[derive(Insertable)]
#[diesel(table_name = staff_users)]
pub struct NewStaffRow<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub display_name: &'a str,
}

pub fn insert_user(conn: &mut AnyConnection, row: &NewStaffRow<'_>) -> QueryResult<()> {
    diesel::insert_into(staff_users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<StaffRow>> {
    staff_users::table
        .filter(staff_users::email.eq(email))
        .select(StaffRow::as_select())
        .first(conn)
        .optional()
}

pub fn count_users(conn: &mut AnyConnection) -> QueryResult<i64> {
    staff_users::table.count().get_result(conn)
}

pub fn insert_session(
    conn: &mut AnyConnection,
    token_sha256: &str,
    staff_id: &StaffId,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::token_sha256.eq(token_sha256),
            staff_sessions::staff_id.eq(staff_id),
            staff_sessions::created_at.eq(created_at),
            staff_sessions::expires_at.eq(expires_at),
            staff_sessions::last_seen_at.eq(created_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// How stale a session's `last_seen_at` may get: recording every request would make each page a write.
const SEEN_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// The active account behind a live session, if any, and when the session passed the second step. A
/// session is live until it expires and while it was used after `idle_since`; its use is recorded (to
/// the minute).
pub fn find_session_user(
    conn: &mut AnyConnection,
    token_sha256: &str,
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> QueryResult<Option<(StaffRow, Option<NaiveDateTime>)>> {
    let found = staff_sessions::table
        .inner_join(staff_users::table)
        .filter(staff_sessions::token_sha256.eq(token_sha256))
        .filter(staff_sessions::expires_at.gt(now))
        .filter(
            staff_sessions::last_seen_at
                .gt(idle_since)
                .or(staff_sessions::last_seen_at
                    .is_null()
                    .and(staff_sessions::created_at.gt(idle_since))),
        )
        .filter(staff_users::disabled_at.is_null())
        .select((StaffRow::as_select(), staff_sessions::mfa_at))
        .first(conn)
        .optional()?;
    if found.is_some() {
        diesel::update(
            staff_sessions::table
                .filter(staff_sessions::token_sha256.eq(token_sha256))
                .filter(
                    staff_sessions::last_seen_at
                        .is_null()
                        .or(staff_sessions::last_seen_at.le(now - SEEN_RESOLUTION)),
                ),
        )
        .set(staff_sessions::last_seen_at.eq(now))
        .execute(conn)?;
    }
    Ok(found)
}

pub fn delete_session(conn: &mut AnyConnection, token_sha256: &str) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::token_sha256.eq(token_sha256)))
        .execute(conn)
}

pub fn delete_expired_sessions(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::expires_at.le(now))).execute(conn)
}

/// Replaces any unused setup link with a new one: only the newest printed link works.
pub fn replace_setup_link(
    conn: &mut AnyConnection,
    token_sha256: &str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(setup_links::table.filter(setup_links::used_at.is_null())).execute(conn)?;
    diesel::insert_into(setup_links::table)
        .values((
            setup_links::token_sha256.eq(token_sha256),
            setup_links::created_at.eq(created_at),
            setup_links::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn setup_link_is_valid(
    conn: &mut AnyConnection,
    token_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n: i64 = setup_links::table
        .filter(setup_links::token_sha256.eq(token_sha256))
        .filter(setup_links::used_at.is_null())
        .filter(setup_links::expires_at.gt(now))
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}

/// Marks a link used; false if it was already used, expired or unknown (so two submissions cannot both win).
pub fn use_setup_link(
    conn: &mut AnyConnection,
    token_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        setup_links::table
            .filter(setup_links::token_sha256.eq(token_sha256))
            .filter(setup_links::used_at.is_null())
            .filter(setup_links::expires_at.gt(now)),
    )
    .set(setup_links::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: String,
    pub staff_id: StaffId,
    pub token_sha256: String,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_api_token(
    conn: &mut AnyConnection,
    id: &str,
    staff_id: &StaffId,
    token_sha256: &str,
    label: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(id),
            api_tokens::staff_id.eq(staff_id),
            api_tokens::token_sha256.eq(token_sha256),
            api_tokens::label.eq(label),
            api_tokens::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// How stale a token's `last_used_at` may get: recording every use would make each API read a write,
/// and concurrent calls with one token would queue on its row.
const TOKEN_USE_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// The active account behind an unrevoked API token; records its use (to the minute).
pub fn use_api_token(
    conn: &mut AnyConnection,
    token_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<StaffRow>> {
    let found = api_tokens::table
        .inner_join(staff_users::table)
        .filter(api_tokens::token_sha256.eq(token_sha256))
        .filter(api_tokens::revoked_at.is_null())
        .filter(staff_users::disabled_at.is_null())
        .select(StaffRow::as_select())
        .first(conn)
        .optional()?;
    if found.is_some() {
        diesel::update(
            api_tokens::table
                .filter(api_tokens::token_sha256.eq(token_sha256))
                .filter(
                    api_tokens::last_used_at
                        .is_null()
                        .or(api_tokens::last_used_at.le(now - TOKEN_USE_RESOLUTION)),
                ),
        )
        .set(api_tokens::last_used_at.eq(now))
        .execute(conn)?;
    }
    Ok(found)
}

pub fn list_api_tokens(
    conn: &mut AnyConnection,
    staff_id: Option<&StaffId>,
) -> QueryResult<Vec<ApiTokenRow>> {
    let mut q = api_tokens::table.into_boxed();
    if let Some(s) = staff_id {
        q = q.filter(api_tokens::staff_id.eq(s.to_owned()));
    }
    q.order(api_tokens::created_at.asc())
        .select(ApiTokenRow::as_select())
        .load(conn)
}

/// Revokes a token; false if it does not exist or was already revoked.
pub fn revoke_api_token(
    conn: &mut AnyConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn find_by_id(conn: &mut AnyConnection, id: &StaffId) -> QueryResult<Option<StaffRow>> {
    staff_users::table
        .find(id)
        .select(StaffRow::as_select())
        .first(conn)
        .optional()
}

/// Staff who work requests (officers and admins), not disabled: who a request can be assigned to, and who
/// hears about an unassigned request's deadlines.
pub fn workers(conn: &mut AnyConnection) -> QueryResult<Vec<(StaffId, String)>> {
    staff_users::table
        .filter(staff_users::disabled_at.is_null())
        .filter(staff_users::role.eq_any(["officer", "admin"]))
        .order(staff_users::email.asc())
        .select((staff_users::id, staff_users::email))
        .load(conn)
}

/// Every account's name and role (disabled ones too: the audit log and old timelines still name them),
/// for pages that name people.
pub fn names(conn: &mut AnyConnection) -> QueryResult<Vec<(StaffId, String, String)>> {
    staff_users::table
        .select((
            staff_users::id,
            staff_users::display_name,
            staff_users::role,
        ))
        .load(conn)
}

pub fn set_display_name(conn: &mut AnyConnection, id: &StaffId, name: &str) -> QueryResult<bool> {
    let n = diesel::update(staff_users::table.filter(staff_users::id.eq(id)))
        .set(staff_users::display_name.eq(name))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn set_password_hash(conn: &mut AnyConnection, id: &StaffId, hash: &str) -> QueryResult<bool> {
    let n = diesel::update(staff_users::table.filter(staff_users::id.eq(id)))
        .set(staff_users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(n == 1)
}

/// Ends every session of a staff member (all devices); returns how many.
pub fn delete_sessions_of(conn: &mut AnyConnection, staff_id: &StaffId) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::staff_id.eq(staff_id)))
        .execute(conn)
}

/// Ends every staff session but `keep` (a token digest), when given.
pub fn delete_all_sessions(conn: &mut AnyConnection, keep: Option<&str>) -> QueryResult<usize> {
    match keep {
        Some(k) => diesel::delete(staff_sessions::table.filter(staff_sessions::token_sha256.ne(k)))
            .execute(conn),
        None => diesel::delete(staff_sessions::table).execute(conn),
    }
}

/// Every account, by email.
pub fn list_users(conn: &mut AnyConnection) -> QueryResult<Vec<StaffRow>> {
    staff_users::table
        .order(staff_users::email.asc())
        .select(StaffRow::as_select())
        .load(conn)
}

/// Live sessions per account.
pub fn live_sessions(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<(StaffId, i64)>> {
    staff_sessions::table
        .filter(staff_sessions::expires_at.gt(now))
        .group_by(staff_sessions::staff_id)
        .select((staff_sessions::staff_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Active administrators other than `except`: the last one may not be demoted or disabled.
pub fn other_active_admins(conn: &mut AnyConnection, except: &StaffId) -> QueryResult<i64> {
    staff_users::table
        .filter(staff_users::role.eq("admin"))
        .filter(staff_users::disabled_at.is_null())
        .filter(staff_users::id.ne(except))
        .count()
        .get_result(conn)
}

pub fn set_role(conn: &mut AnyConnection, id: &StaffId, role: &str) -> QueryResult<bool> {
    let n = diesel::update(staff_users::table.filter(staff_users::id.eq(id)))
        .set(staff_users::role.eq(role))
        .execute(conn)?;
    Ok(n == 1)
}

/// Disables (`Some(when)`) or enables (`None`) an account.
pub fn set_disabled(
    conn: &mut AnyConnection,
    id: &StaffId,
    at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let n = diesel::update(staff_users::table.filter(staff_users::id.eq(id)))
        .set(staff_users::disabled_at.eq(at))
        .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every live token of an account; returns how many.
pub fn revoke_tokens_of(
    conn: &mut AnyConnection,
    staff_id: &StaffId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::staff_id.eq(staff_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
}
