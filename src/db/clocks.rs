//! The deadline clocks of each request. Dates are stored as `YYYY-MM-DD` text: calendar days in the
//! procedure's time zone, which sort correctly as text on both backends.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::request_clocks;
use crate::domain::deadline::ClockState;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_clocks)]
pub struct ClockRow {
    pub request_id: String,
    pub clock_id: String,
    pub started_on: String,
    pub paused_since: Option<String>,
    pub paused_days: i64,
    pub extensions: i64,
    pub stopped_on: Option<String>,
    pub due_on: Option<String>,
}

pub fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_date(s: &str) -> QueryResult<NaiveDate> {
    s.parse()
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

impl ClockRow {
    pub fn new(
        request_id: &str,
        clock_id: &str,
        st: &ClockState,
        due_on: Option<NaiveDate>,
    ) -> Self {
        Self {
            request_id: request_id.to_owned(),
            clock_id: clock_id.to_owned(),
            started_on: date_text(st.started_on),
            paused_since: st.paused_since.map(date_text),
            paused_days: st.paused_days,
            extensions: i64::from(st.extensions),
            stopped_on: st.stopped_on.map(date_text),
            due_on: due_on.map(date_text),
        }
    }

    pub fn state(&self) -> QueryResult<ClockState> {
        Ok(ClockState {
            started_on: parse_date(&self.started_on)?,
            paused_since: self.paused_since.as_deref().map(parse_date).transpose()?,
            paused_days: self.paused_days,
            extensions: u32::try_from(self.extensions).unwrap_or(u32::MAX),
            stopped_on: self.stopped_on.as_deref().map(parse_date).transpose()?,
        })
    }
}

pub fn for_request(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<ClockRow>> {
    request_clocks::table
        .filter(request_clocks::request_id.eq(request_id))
        .order(request_clocks::clock_id.asc())
        .select(ClockRow::as_select())
        .load(conn)
}

/// What `requests.queue_due` holds when no clock runs (sorts after every real date).
pub const NO_DEADLINE: &str = "9999-12-31";

/// Replaces a request's clocks with their new state (called inside the transition's transaction).
pub fn replace(conn: &mut AnyConnection, request_id: &str, rows: &[ClockRow]) -> QueryResult<()> {
    // The reminders already sent stay recorded (they name the due date they were for).
    let reminded: Vec<(String, Option<String>, Option<String>)> = request_clocks::table
        .filter(request_clocks::request_id.eq(request_id))
        .select((
            request_clocks::clock_id,
            request_clocks::due_soon_notice_for,
            request_clocks::overdue_notice_for,
        ))
        .load(conn)?;
    diesel::delete(request_clocks::table.filter(request_clocks::request_id.eq(request_id)))
        .execute(conn)?;
    // One row at a time: the multi-backend connection has no batch insert.
    for row in rows {
        diesel::insert_into(request_clocks::table)
            .values(row)
            .execute(conn)?;
    }
    // The queue sorts by the nearest running deadline.
    let nearest = rows
        .iter()
        .filter(|r| r.stopped_on.is_none())
        .filter_map(|r| r.due_on.clone())
        .min()
        .unwrap_or_else(|| NO_DEADLINE.to_owned());
    diesel::update(
        super::schema::requests::table.filter(super::schema::requests::id.eq(request_id)),
    )
    .set(super::schema::requests::queue_due.eq(nearest))
    .execute(conn)?;
    for (clock_id, soon, overdue) in reminded {
        if soon.is_some() || overdue.is_some() {
            diesel::update(
                request_clocks::table
                    .filter(request_clocks::request_id.eq(request_id))
                    .filter(request_clocks::clock_id.eq(&clock_id)),
            )
            .set((
                request_clocks::due_soon_notice_for.eq(soon),
                request_clocks::overdue_notice_for.eq(overdue),
            ))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// A running clock of an open request, due on or before `by`, with the reminders already sent.
#[derive(Debug, Clone, Queryable)]
pub struct DueClock {
    pub request_id: String,
    pub clock_id: String,
    pub due_on: String,
    pub due_soon_notice_for: Option<String>,
    pub overdue_notice_for: Option<String>,
}

///
/// Clocks with nothing left to remind are left out, so the worker's round stays cheap however many
/// requests are overdue: the overdue reminder for this due date went out; or the due-soon one did and
/// the date is `settled_from` or later (not overdue in any time zone yet).
pub fn due_by(
    conn: &mut AnyConnection,
    by: NaiveDate,
    settled_from: NaiveDate,
) -> QueryResult<Vec<DueClock>> {
    use super::schema::requests;
    use request_clocks::{due_on, due_soon_notice_for, overdue_notice_for};
    request_clocks::table
        .inner_join(requests::table)
        .filter(requests::closed_at.is_null())
        .filter(request_clocks::stopped_on.is_null())
        .filter(due_on.le(date_text(by)))
        .filter(
            overdue_notice_for
                .is_null()
                .or(overdue_notice_for.ne(due_on)),
        )
        .filter(
            due_soon_notice_for
                .is_null()
                .or(due_soon_notice_for.ne(due_on))
                .or(due_on.lt(date_text(settled_from))),
        )
        .select((
            request_clocks::request_id,
            request_clocks::clock_id,
            request_clocks::due_on.assume_not_null(),
            request_clocks::due_soon_notice_for,
            request_clocks::overdue_notice_for,
        ))
        .load(conn)
}

/// Records that the due-soon (or overdue) reminder for `due_on` went out.
pub fn mark_reminded(
    conn: &mut AnyConnection,
    request_id: &str,
    clock_id: &str,
    overdue: bool,
    due_on: &str,
) -> QueryResult<()> {
    let target = request_clocks::table
        .filter(request_clocks::request_id.eq(request_id))
        .filter(request_clocks::clock_id.eq(clock_id));
    if overdue {
        diesel::update(target)
            .set(request_clocks::overdue_notice_for.eq(due_on))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set(request_clocks::due_soon_notice_for.eq(due_on))
            .execute(conn)?;
    }
    Ok(())
}

pub fn for_requests(
    conn: &mut AnyConnection,
    request_ids: &[String],
) -> QueryResult<Vec<ClockRow>> {
    if request_ids.is_empty() {
        return Ok(Vec::new());
    }
    request_clocks::table
        .filter(request_clocks::request_id.eq_any(request_ids))
        .select(ClockRow::as_select())
        .load(conn)
}
