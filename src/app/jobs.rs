//! The hourly jobs, in one list: `serve` and `kaiji worker` both run it, and each has its own
//! subcommand for cron. With several instances on one database each job runs once an hour, by the
//! instance that claims its hour first (a row in `job_runs`); the others skip it. Each job is also safe
//! to run twice (a cron subcommand beside the instances), so the claim only saves the work.

use chrono::{DateTime, TimeDelta, Utc};

use super::{AppError, AppState, limits};
use crate::db::{self, job_runs, write_tx};

/// One housekeeping job: its key (in `job_runs` and `/metrics`), what it does (for the log), and how
/// many records it touched.
pub struct Job {
    pub key: &'static str,
    pub name: &'static str,
    pub run: fn(&AppState) -> Result<usize, AppError>,
}

pub const HOURLY: &[Job] = &[
    // Identity documents are kept only as long as needed (APPI Art. 22; the EDPB's advice): erased a
    // set number of days after their request closes.
    Job {
        key: "erase_documents",
        name: "erase documents past their retention period",
        run: |s| {
            super::documents::purge(&s.db, &s.clock, s.config.retention.document_retention_days)
        },
    },
    // Records past their retention keep only what reports and the audit log need.
    Job {
        key: "erase_records",
        name: "erase personal data past retention",
        run: |s| {
            super::retention::purge_records(
                &s.db,
                &s.clock,
                s.config.retention.record_retention_months,
                &s.config.mail_dir(),
            )
        },
    },
    // The register of provision to third parties keeps each record for the law's period, no longer
    // (APPI Arts. 29(2), 30(4)).
    Job {
        key: "erase_provision_records",
        name: "erase provision records past their retention",
        run: super::provision::erase_expired,
    },
    // Inquiries and complaints keep the person's words only as long as the requests' records.
    Job {
        key: "erase_inquiries",
        name: "erase inquiries past retention",
        run: super::inquiries::erase_expired,
    },
    // Sign-in failures count for a day, then are forgotten.
    Job {
        key: "forget_sign_in_failures",
        name: "forget old sign-in failures",
        run: |s| super::sign_in::forget_old(s),
    },
    // Intake counts older than their window.
    Job {
        key: "forget_intake_counts",
        name: "forget old intake counts",
        run: limits::IntakeLimits::housekeeping,
    },
    // Requests whose email was never confirmed expire, each with its notice.
    Job {
        key: "close_unconfirmed",
        name: "close requests never confirmed",
        run: |s| {
            super::confirm::expire_unconfirmed(&s.db, &s.workflows, &s.config, &s.keys, &s.clock)
        },
    },
];

/// How long the record of a job's run is kept.
const KEEP_RUNS_DAYS: i64 = 30;

/// The hour a run belongs to, in UTC: `2026-12-07T01`.
pub fn period_of(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H").to_string()
}

/// Runs every hourly job whose run for this hour no other instance has claimed, each on its own (one
/// failing does not stop the others), recording each outcome. Returns the keys of the jobs this
/// instance ran. Blocking.
pub fn run_hourly(state: &AppState, instance: &str) -> Vec<&'static str> {
    let now = state.clock.now();
    let period = period_of(now);
    let mut ran = Vec::new();
    for job in HOURLY {
        match claim(state, job, &period, instance, now) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::error!(job = job.name, error = %e, "claiming an hourly job failed");
                continue;
            }
        }
        let outcome = (job.run)(state);
        let recorded = match &outcome {
            Ok(n) => {
                if *n > 0 {
                    tracing::info!(job = job.name, records = n, "hourly job done");
                }
                finish(
                    state,
                    job,
                    &period,
                    Ok(i64::try_from(*n).unwrap_or(i64::MAX)),
                )
            }
            Err(e) => {
                tracing::error!(job = job.name, error = %e, "hourly job failed");
                // The first line, briefly: what an operator needs to look in the log.
                let e = e.to_string();
                let brief: String = e.lines().next().unwrap_or("").chars().take(300).collect();
                finish(state, job, &period, Err(&brief))
            }
        };
        if let Err(e) = recorded {
            tracing::error!(job = job.name, error = %e, "recording an hourly job's run failed");
        }
        ran.push(job.key);
    }
    ran
}

/// Claims `job`'s run for `period`: true if this instance is the one to run it.
fn claim(
    state: &AppState,
    job: &Job,
    period: &str,
    instance: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let mut conn = state.db.conn()?;
    let claimed = write_tx(&mut conn, |c| -> Result<(), AppError> {
        job_runs::forget_before(c, db::to_db_time(now - TimeDelta::days(KEEP_RUNS_DAYS)))?;
        Ok(job_runs::claim(
            c,
            job.key,
            period,
            instance,
            db::to_db_time(now),
        )?)
    });
    match claimed {
        Ok(()) => Ok(true),
        Err(AppError::Db(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

fn finish(
    state: &AppState,
    job: &Job,
    period: &str,
    outcome: Result<i64, &str>,
) -> Result<(), AppError> {
    let mut conn = state.db.conn()?;
    let now = db::to_db_time(state.clock.now());
    write_tx(&mut conn, |c| -> Result<(), AppError> {
        Ok(job_runs::finish(c, job.key, period, now, outcome)?)
    })
}

/// Looks every five minutes, so that a new hour's runs start soon after the hour on whichever
/// instance is up; each job still runs once an hour. Runs until the process ends.
pub async fn every_hour(state: AppState) {
    let instance = format!("{}-{}", std::process::id(), db::new_id());
    let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        every.tick().await;
        let (s, i) = (state.clone(), instance.clone());
        if let Err(e) = tokio::task::spawn_blocking(move || run_hourly(&s, &i)).await {
            tracing::error!(error = %e, "hourly jobs task failed");
        }
    }
}
