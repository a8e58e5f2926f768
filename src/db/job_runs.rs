//! The hourly jobs' runs: a row per job and period, whose insert is the claim (the primary key lets
//! one instance in), then its outcome.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::job_runs;

/// A job's run, as the operations page and `/metrics` read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = job_runs)]
pub struct JobRunRow {
    pub job: String,
    pub period: String,
    pub instance: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub records: Option<i64>,
    pub error: Option<String>,
}

/// Claims `job`'s run for `period`. A unique violation means another instance holds it: the caller
/// treats that as "not mine" (run it in a transaction of its own: PostgreSQL aborts the one it fails in).
pub fn claim(
    conn: &mut AnyConnection,
    job: &str,
    period: &str,
    instance: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(job_runs::table)
        .values((
            job_runs::job.eq(job),
            job_runs::period.eq(period),
            job_runs::instance.eq(instance),
            job_runs::started_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records how a claimed run ended: how many records it touched, or its error's first line.
pub fn finish(
    conn: &mut AnyConnection,
    job: &str,
    period: &str,
    now: NaiveDateTime,
    outcome: Result<i64, &str>,
) -> QueryResult<()> {
    let (records, error) = match outcome {
        Ok(n) => (Some(n), None),
        Err(e) => (None, Some(e)),
    };
    diesel::update(
        job_runs::table
            .filter(job_runs::job.eq(job))
            .filter(job_runs::period.eq(period)),
    )
    .set((
        job_runs::finished_at.eq(now),
        job_runs::records.eq(records),
        job_runs::error.eq(error),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Each job's latest run.
pub fn latest(conn: &mut AnyConnection) -> QueryResult<Vec<JobRunRow>> {
    let rows: Vec<JobRunRow> = job_runs::table
        .order((job_runs::job.asc(), job_runs::started_at.desc()))
        .select(JobRunRow::as_select())
        .load(conn)?;
    let mut latest: Vec<JobRunRow> = Vec::new();
    for row in rows {
        if latest.last().is_none_or(|l| l.job != row.job) {
            latest.push(row);
        }
    }
    Ok(latest)
}

/// Forgets runs that started before `before`.
pub fn forget_before(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(job_runs::table.filter(job_runs::started_at.lt(before))).execute(conn)
}
