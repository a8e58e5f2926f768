//! The hourly jobs, in one list: `serve` and `kaiji worker` both run it (each job is safe to run on
//! several instances at once), and each has its own subcommand for cron.

use super::{AppError, AppState, limits};

/// One housekeeping job: what it does (for the log) and how many records it touched.
pub struct Job {
    pub name: &'static str,
    pub run: fn(&AppState) -> Result<usize, AppError>,
}

pub const HOURLY: &[Job] = &[
    // Identity documents are kept only as long as needed (APPI Art. 22; the EDPB's advice): erased a
    // set number of days after their request closes.
    Job {
        name: "erase documents past their retention period",
        run: |s| {
            super::documents::purge(&s.db, &s.clock, s.config.retention.document_retention_days)
        },
    },
    // Records past their retention keep only what reports and the audit log need.
    Job {
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
        name: "erase provision records past their retention",
        run: super::provision::erase_expired,
    },
    // Inquiries and complaints keep the person's words only as long as the requests' records.
    Job {
        name: "erase inquiries past retention",
        run: super::inquiries::erase_expired,
    },
    // Sign-in failures count for a day, then are forgotten.
    Job {
        name: "forget old sign-in failures",
        run: |s| super::sign_in::forget_old(s),
    },
    // Intake counts older than their window.
    Job {
        name: "forget old intake counts",
        run: limits::IntakeLimits::housekeeping,
    },
    // Requests whose email was never confirmed expire, each with its notice.
    Job {
        name: "close requests never confirmed",
        run: |s| {
            super::confirm::expire_unconfirmed(&s.db, &s.workflows, &s.config, &s.keys, &s.clock)
        },
    },
];

/// Runs every hourly job once, each on its own (one failing does not stop the others). Blocking.
pub fn run_hourly(state: &AppState) {
    for job in HOURLY {
        match (job.run)(state) {
            Ok(0) => {}
            Ok(n) => tracing::info!(job = job.name, records = n, "hourly job done"),
            Err(e) => tracing::error!(job = job.name, error = %e, "hourly job failed"),
        }
    }
}

/// Runs the hourly jobs every hour until the process ends.
pub async fn every_hour(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        let s = state.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || run_hourly(&s)).await {
            tracing::error!(error = %e, "hourly jobs task failed");
        }
    }
}
