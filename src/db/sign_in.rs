//! Failed staff sign-ins, the addresses members signed in from, and which throttles were audited; all
//! keyed by digests (`app::staff` makes them), so this table never holds an email or an address.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{sign_in_failures, sign_in_throttle_events, staff_sign_in_addresses};
use crate::domain::ids::StaffId;

/// How many failures match, and the newest.
pub type Tally = (i64, Option<NaiveDateTime>);

/// Failures since `since` for this email at this address, at this address, and for this email.
pub fn tallies(
    conn: &mut AnyConnection,
    email_key: &str,
    address_key: &str,
    since: NaiveDateTime,
) -> QueryResult<(Tally, Tally, Tally)> {
    let recent = || sign_in_failures::table.filter(sign_in_failures::at.gt(since));
    let both = recent()
        .filter(sign_in_failures::email_key.eq(email_key))
        .filter(sign_in_failures::address_key.eq(address_key))
        .select((count_star(), max(sign_in_failures::at)))
        .first(conn)?;
    let address = recent()
        .filter(sign_in_failures::address_key.eq(address_key))
        .select((count_star(), max(sign_in_failures::at)))
        .first(conn)?;
    let email = recent()
        .filter(sign_in_failures::email_key.eq(email_key))
        .select((count_star(), max(sign_in_failures::at)))
        .first(conn)?;
    Ok((both, address, email))
}

pub fn record_failure(
    conn: &mut AnyConnection,
    id: &str,
    email_key: &str,
    address_key: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::id.eq(id),
            sign_in_failures::email_key.eq(email_key),
            sign_in_failures::address_key.eq(address_key),
            sign_in_failures::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Forgets this email's failures: at one address after a sign-in there, or everywhere (`None`) when
/// an admin lifts the throttle.
pub fn forget_failures(
    conn: &mut AnyConnection,
    email_key: &str,
    address_key: Option<&str>,
) -> QueryResult<usize> {
    let of_email = sign_in_failures::table.filter(sign_in_failures::email_key.eq(email_key));
    match address_key {
        Some(a) => {
            diesel::delete(of_email.filter(sign_in_failures::address_key.eq(a))).execute(conn)
        }
        None => diesel::delete(of_email).execute(conn),
    }
}

pub fn is_known_address(
    conn: &mut AnyConnection,
    staff_id: &StaffId,
    address_key: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        staff_sign_in_addresses::table
            .filter(staff_sign_in_addresses::staff_id.eq(staff_id))
            .filter(staff_sign_in_addresses::address_key.eq(address_key)),
    ))
    .get_result(conn)
}

pub fn remember_address(
    conn: &mut AnyConnection,
    staff_id: &StaffId,
    address_key: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let known = staff_sign_in_addresses::table
        .filter(staff_sign_in_addresses::staff_id.eq(staff_id))
        .filter(staff_sign_in_addresses::address_key.eq(address_key));
    if diesel::update(known)
        .set(staff_sign_in_addresses::last_seen.eq(now))
        .execute(conn)?
        == 0
    {
        diesel::insert_into(staff_sign_in_addresses::table)
            .values((
                staff_sign_in_addresses::staff_id.eq(staff_id),
                staff_sign_in_addresses::address_key.eq(address_key),
                staff_sign_in_addresses::last_seen.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether this throttle was audited in this hour.
pub fn is_noted(
    conn: &mut AnyConnection,
    scope_key: &str,
    window_start: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sign_in_throttle_events::table
            .filter(sign_in_throttle_events::scope_key.eq(scope_key))
            .filter(sign_in_throttle_events::window_start.eq(window_start)),
    ))
    .get_result(conn)
}

/// Notes that this throttle was audited in this hour; false when it already was (also when another
/// instance noted it a moment ago: the primary key refuses the second). `app::refusals` keeps its
/// hourly notes here too, under keys of its own.
pub fn note_throttle(
    conn: &mut AnyConnection,
    scope_key: &str,
    window_start: NaiveDateTime,
) -> QueryResult<bool> {
    if is_noted(conn, scope_key, window_start)? {
        return Ok(false);
    }
    diesel::insert_into(sign_in_throttle_events::table)
        .values((
            sign_in_throttle_events::scope_key.eq(scope_key),
            sign_in_throttle_events::window_start.eq(window_start),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Drops failures and throttle notes older than `before` (hourly).
pub fn forget_before(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let failures = diesel::delete(sign_in_failures::table.filter(sign_in_failures::at.lt(before)))
        .execute(conn)?;
    let notes = diesel::delete(
        sign_in_throttle_events::table.filter(sign_in_throttle_events::window_start.lt(before)),
    )
    .execute(conn)?;
    Ok(failures + notes)
}
