//! The deadline clocks of each request. Dates are stored as `YYYY-MM-DD` text: calendar days in the
//! procedure's time zone, which sort correctly as text on both backends.

use crate::domain::ids::RequestId;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::request_clocks;
use crate::domain::deadline::ClockState;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_clocks)]
pub struct ClockRow {
    pub request_id: RequestId,
    pub clock_id: String,
    pub started_on: String,
    pub paused_since: Option<String>,
    pub paused_days: i64,
    pub extensions: i64,
    pub stopped_on: Option<String>,
    pub due_on: Option<String>,
    /// The due date the due-soon (overdue) reminder went out for.
    pub due_soon_notice_for: Option<String>,
    pub overdue_notice_for: Option<String>,
    /// When the worker should next look at this clock (`None`: nothing left to remind).
    pub remind_at: Option<NaiveDateTime>,
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
        request_id: &RequestId,
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
            due_soon_notice_for: None,
            overdue_notice_for: None,
            remind_at: None,
        }
    }

    /// Sets when the worker should next look at the clock, from its due date and the reminders sent
    /// for that date, counted in the procedure's zone.
    pub fn schedule_reminders(&mut self, tz: chrono_tz::Tz) {
        let sent = |marker: &Option<String>| marker.is_some() && *marker == self.due_on;
        self.remind_at = match (&self.stopped_on, self.due_on.as_deref().map(parse_date)) {
            (None, Some(Ok(due))) => crate::domain::deadline::next_reminder_at(
                due,
                tz,
                sent(&self.due_soon_notice_for),
                sent(&self.overdue_notice_for),
            )
            .map(|t| t.naive_utc()),
            _ => None,
        };
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

pub fn for_request(conn: &mut AnyConnection, request_id: &RequestId) -> QueryResult<Vec<ClockRow>> {
    request_clocks::table
        .filter(request_clocks::request_id.eq(request_id))
        .order(request_clocks::clock_id.asc())
        .select(ClockRow::as_select())
        .load(conn)
}

/// What `requests.queue_due` holds when no clock runs (sorts after every real date).
pub const NO_DEADLINE: &str = "9999-12-31";

/// What `requests.queue_due` holds for these clocks: the nearest running deadline.
pub fn nearest_due(rows: &[ClockRow]) -> String {
    rows.iter()
        .filter(|r| r.stopped_on.is_none())
        .filter_map(|r| r.due_on.clone())
        .min()
        .unwrap_or_else(|| NO_DEADLINE.to_owned())
}

/// Replaces a request's clocks with their new state (called inside the transition's transaction);
/// `tz` is the procedure's zone, in which reminders fall due.
pub fn replace(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    rows: &[ClockRow],
    tz: chrono_tz::Tz,
) -> QueryResult<()> {
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
        let mut row = row.clone();
        if let Some((_, soon, overdue)) = reminded.iter().find(|(c, _, _)| *c == row.clock_id) {
            row.due_soon_notice_for = soon.clone();
            row.overdue_notice_for = overdue.clone();
        }
        row.schedule_reminders(tz);
        diesel::insert_into(request_clocks::table)
            .values(&row)
            .execute(conn)?;
    }
    // The queue sorts by the nearest running deadline.
    let nearest = nearest_due(rows);
    diesel::update(
        super::schema::requests::table.filter(super::schema::requests::id.eq(request_id)),
    )
    .set(super::schema::requests::queue_due.eq(nearest))
    .execute(conn)?;
    Ok(())
}

/// The clocks of a request just inserted (nothing to replace; its queue deadline went in with it).
pub fn insert_new(
    conn: &mut AnyConnection,
    rows: &[ClockRow],
    tz: chrono_tz::Tz,
) -> QueryResult<()> {
    for row in rows {
        let mut row = row.clone();
        row.schedule_reminders(tz);
        diesel::insert_into(request_clocks::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

/// A running clock of an open request whose reminder time has come, with the reminders already sent.
#[derive(Debug, Clone, Queryable)]
pub struct DueClock {
    pub request_id: RequestId,
    pub clock_id: String,
    pub due_on: String,
    pub due_soon_notice_for: Option<String>,
    pub overdue_notice_for: Option<String>,
}

/// Clocks whose `remind_at` has come. Only those: a clock is scheduled for the start of its due-soon
/// day, then of its overdue day, then never again, so the worker's round (every few seconds) reads
/// what is due now through the partial index `request_clocks_remind`, however many requests are open.
///
/// At most `limit`, earliest first: a backlog (after an upgrade, or a long stop) is worked through a
/// slice per round instead of in one long transaction that would keep SQLite's writers waiting.
pub fn reminders_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<DueClock>> {
    use super::schema::requests;
    request_clocks::table
        .inner_join(requests::table)
        .filter(request_clocks::remind_at.is_not_null())
        .filter(request_clocks::remind_at.le(now))
        .filter(requests::closed_at.is_null())
        .filter(request_clocks::stopped_on.is_null())
        .filter(request_clocks::due_on.is_not_null())
        .order((
            request_clocks::remind_at.asc(),
            request_clocks::request_id.asc(),
        ))
        .limit(limit)
        .select((
            request_clocks::request_id,
            request_clocks::clock_id,
            request_clocks::due_on.assume_not_null(),
            request_clocks::due_soon_notice_for,
            request_clocks::overdue_notice_for,
        ))
        .load(conn)
}

/// Moves the time the worker next looks at a clock (its reminder is not due yet in the procedure's
/// zone, or nothing is left to remind).
pub fn reschedule(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    clock_id: &str,
    at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(
        request_clocks::table
            .filter(request_clocks::request_id.eq(request_id))
            .filter(request_clocks::clock_id.eq(clock_id)),
    )
    .set(request_clocks::remind_at.eq(at))
    .execute(conn)?;
    Ok(())
}

/// Records that the due-soon (or overdue) reminder for `due_on` went out, and when to look next.
pub fn mark_reminded(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    clock_id: &str,
    overdue: bool,
    due_on: &str,
    next: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let target = request_clocks::table
        .filter(request_clocks::request_id.eq(request_id))
        .filter(request_clocks::clock_id.eq(clock_id));
    if overdue {
        diesel::update(target)
            .set((
                request_clocks::overdue_notice_for.eq(due_on),
                request_clocks::remind_at.eq(next),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set((
                request_clocks::due_soon_notice_for.eq(due_on),
                request_clocks::remind_at.eq(next),
            ))
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
