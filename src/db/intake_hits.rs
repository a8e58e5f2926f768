//! Intake counts every instance shares (PostgreSQL only; SQLite serves one process and counts in
//! memory): one appended row per counted submission and bucket, summed over the window by the
//! `intake_hit` function of migration 000019, which takes the buckets' advisory locks so concurrent
//! checks of one bucket take turns. `app::limits` makes the bucket keys (keyed digests, never an
//! address) and the window.

use chrono::NaiveDateTime;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};

use super::schema::intake_hits;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Verdict {
    /// Every bucket had room, and the hit was appended to each.
    #[diesel(sql_type = Bool)]
    pub admitted: bool,
    /// Refused: the newest of the full buckets' oldest hits (one window later there is room).
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub full_since: Option<NaiveDateTime>,
}

/// Counts one submission (`hit_id`) against each `(bucket, limit)` over the hits since `since`, in
/// one statement.
pub fn hit(
    conn: &mut PgConnection,
    hit_id: &str,
    buckets: &[(String, i64)],
    now: NaiveDateTime,
    since: NaiveDateTime,
) -> QueryResult<Verdict> {
    let keys: Vec<&str> = buckets.iter().map(|(k, _)| k.as_str()).collect();
    let limits: Vec<i64> = buckets.iter().map(|(_, l)| *l).collect();
    diesel::sql_query("SELECT admitted, full_since FROM intake_hit($1, $2, $3, $4, $5)")
        .bind::<Text, _>(hit_id)
        .bind::<Array<Text>, _>(&keys)
        .bind::<Array<BigInt>, _>(&limits)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(since)
        .get_result(conn)
}

/// Drops hits older than `before` (hourly): a bucket then holds at most its limit.
pub fn forget_before(conn: &mut PgConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(intake_hits::table.filter(intake_hits::at.lt(before))).execute(conn)
}
