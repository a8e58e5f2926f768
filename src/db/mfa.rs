//! Staff members' TOTP enrolments, recovery codes (as digests), and which sessions passed the second
//! step.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{staff_mfa, staff_recovery_codes, staff_sessions};
use crate::domain::ids::StaffId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_mfa)]
pub struct MfaRow {
    pub secret_sealed: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_step: i64,
}

/// The members who completed an enrolment.
pub fn enrolled(conn: &mut AnyConnection) -> QueryResult<Vec<StaffId>> {
    staff_mfa::table
        .filter(staff_mfa::confirmed_at.is_not_null())
        .select(staff_mfa::staff_id)
        .load(conn)
}

pub fn enrolment(conn: &mut AnyConnection, staff_id: &StaffId) -> QueryResult<Option<MfaRow>> {
    staff_mfa::table
        .find(staff_id)
        .select(MfaRow::as_select())
        .first(conn)
        .optional()
}

/// A new secret awaiting its first code, replacing an earlier one that never got one.
pub fn start_enrolment(
    conn: &mut AnyConnection,
    staff_id: &StaffId,
    secret_sealed: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        staff_mfa::table
            .filter(staff_mfa::staff_id.eq(staff_id))
            .filter(staff_mfa::confirmed_at.is_null()),
    )
    .execute(conn)?;
    diesel::insert_into(staff_mfa::table)
        .values((
            staff_mfa::staff_id.eq(staff_id),
            staff_mfa::secret_sealed.eq(secret_sealed),
            staff_mfa::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn confirm(
    conn: &mut AnyConnection,
    staff_id: &StaffId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(staff_mfa::table.find(staff_id))
        .set(staff_mfa::confirmed_at.eq(now))
        .execute(conn)
        .map(drop)
}

/// Accepts a code's step once: false when this step or a later one was accepted already (a replay,
/// also from another instance at the same moment).
pub fn accept_step(conn: &mut AnyConnection, staff_id: &StaffId, step: i64) -> QueryResult<bool> {
    let n = diesel::update(
        staff_mfa::table
            .filter(staff_mfa::staff_id.eq(staff_id))
            .filter(staff_mfa::last_step.lt(step)),
    )
    .set(staff_mfa::last_step.eq(step))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn add_recovery_codes(
    conn: &mut AnyConnection,
    staff_id: &StaffId,
    digests: &[String],
) -> QueryResult<()> {
    diesel::delete(staff_recovery_codes::table.filter(staff_recovery_codes::staff_id.eq(staff_id)))
        .execute(conn)?;
    for d in digests {
        diesel::insert_into(staff_recovery_codes::table)
            .values((
                staff_recovery_codes::code_sha256.eq(d),
                staff_recovery_codes::staff_id.eq(staff_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses a recovery code once; false when it is not this member's or was used.
pub fn use_recovery_code(
    conn: &mut AnyConnection,
    staff_id: &StaffId,
    digest: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        staff_recovery_codes::table
            .filter(staff_recovery_codes::code_sha256.eq(digest))
            .filter(staff_recovery_codes::staff_id.eq(staff_id))
            .filter(staff_recovery_codes::used_at.is_null()),
    )
    .set(staff_recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn unused_recovery_codes(conn: &mut AnyConnection, staff_id: &StaffId) -> QueryResult<i64> {
    staff_recovery_codes::table
        .filter(staff_recovery_codes::staff_id.eq(staff_id))
        .filter(staff_recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Removes a member's enrolment and recovery codes.
pub fn remove(conn: &mut AnyConnection, staff_id: &StaffId) -> QueryResult<usize> {
    diesel::delete(staff_recovery_codes::table.filter(staff_recovery_codes::staff_id.eq(staff_id)))
        .execute(conn)?;
    diesel::delete(staff_mfa::table.filter(staff_mfa::staff_id.eq(staff_id))).execute(conn)
}

/// A session that passed the second step gets a new token (the old one, known before the step, ends);
/// it keeps its member and its lifetime. False when the old session is gone.
pub fn pass_session(
    conn: &mut AnyConnection,
    old_sha256: &str,
    new_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some((staff_id, created_at, expires_at)) = staff_sessions::table
        .find(old_sha256)
        .select((
            staff_sessions::staff_id,
            staff_sessions::created_at,
            staff_sessions::expires_at,
        ))
        .first::<(String, NaiveDateTime, NaiveDateTime)>(conn)
        .optional()?
    else {
        return Ok(false);
    };
    diesel::delete(staff_sessions::table.find(old_sha256)).execute(conn)?;
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::token_sha256.eq(new_sha256),
            staff_sessions::staff_id.eq(staff_id),
            staff_sessions::created_at.eq(created_at),
            staff_sessions::expires_at.eq(expires_at),
            staff_sessions::mfa_at.eq(now),
            staff_sessions::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}
