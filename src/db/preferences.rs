//! The choices people stated (opt-outs, limits, opt-ins), newest last: appended, never changed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::privacy_preferences;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = privacy_preferences)]
pub struct PreferenceRow {
    pub id: String,
    /// SHA-256 of the email address's lookup form; never the address.
    pub email_sha256: Option<String>,
    pub account_sha256: Option<String>,
    pub kind: String,
    pub value: String,
    pub source: String,
    pub regime: String,
    pub request_id: Option<String>,
    pub recorded_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &PreferenceRow) -> QueryResult<()> {
    diesel::insert_into(privacy_preferences::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Every choice recorded for the email digest or the account digest given, oldest first.
pub fn history(
    conn: &mut AnyConnection,
    email_sha256: Option<&str>,
    account_sha256: Option<&str>,
) -> QueryResult<Vec<PreferenceRow>> {
    let mut q = privacy_preferences::table
        .select(PreferenceRow::as_select())
        .into_boxed();
    q = match (email_sha256, account_sha256) {
        (Some(e), Some(a)) => q.filter(
            privacy_preferences::email_sha256
                .eq(e)
                .or(privacy_preferences::account_sha256.eq(a)),
        ),
        (Some(e), None) => q.filter(privacy_preferences::email_sha256.eq(e)),
        (None, Some(a)) => q.filter(privacy_preferences::account_sha256.eq(a)),
        (None, None) => return Ok(Vec::new()),
    };
    q.order((
        privacy_preferences::recorded_at.asc(),
        privacy_preferences::id.asc(),
    ))
    .load(conn)
}

/// How many choices of `value` reached kaiji by `source` in `[from, to)`.
pub fn count_by_source(
    conn: &mut AnyConnection,
    source: &str,
    value: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<i64> {
    privacy_preferences::table
        .filter(privacy_preferences::source.eq(source))
        .filter(privacy_preferences::value.eq(value))
        .filter(privacy_preferences::recorded_at.ge(from))
        .filter(privacy_preferences::recorded_at.lt(to))
        .count()
        .get_result(conn)
}
