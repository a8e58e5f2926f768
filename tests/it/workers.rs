//! Several instances on one database, as operators run them (issue 22): `kaiji worker` processes
//! sharing the outbox through a slow mail server, one killed mid-send with SIGKILL and started again;
//! the hourly jobs run once an hour whichever instance runs them; `/metrics` reports what operators
//! watch, to a scraper with the token only, without personal data.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::smtp::SmtpServer;
use common::{Backend, PgDatabase, TestApp, postgres_admin_url};

on_each_backend!(workers_share_the_outbox_and_a_killed_one_doubles_at_most_its_sends_in_flight);
on_each_backend!(a_refused_address_stays_out_of_the_log_and_staff_read_the_refusal);
both_backends!(each_hourly_job_runs_once_an_hour_whichever_instance_runs_it);
on_each_backend!(metrics_report_the_backlog_the_queue_and_the_jobs_to_the_scraper_only);

/// Each worker's sends at once, and the lease of a claim (renewed every third of it while held).
const CONCURRENCY: usize = 2;
const LEASE_SECONDS: u64 = 5;

/// Messages at the sink, by Message-ID: how many times each arrived.
fn by_message_id(smtp: &SmtpServer) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for m in smtp.received() {
        *seen.entry(m.header("Message-ID").unwrap()).or_insert(0) += 1;
    }
    seen
}

/// Queues `n` acknowledgements to send (a synthetic backlog, through the command line).
fn backlog(dir: &Path, env: &[(&str, &str)], n: usize) {
    let o = crate::cli::kaiji_command(dir)
        .args([
            "dev",
            "synth",
            "--requests",
            &n.to_string(),
            "--events-per-request",
            "1",
            "--queued-notices",
        ])
        .envs(env.iter().copied())
        .env("KAIJI_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A child process killed (SIGKILL) when dropped, so that a failing test leaves none running.
pub struct Killed(pub Child);

impl Killed {
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        self.kill();
    }
}

fn worker(dir: &Path, env: &[(&str, &str)], smtp: &SmtpServer) -> Killed {
    Killed(
        crate::cli::kaiji_command(dir)
            .args(["worker", "--every", "1"])
            .envs(env.iter().copied())
            .env("KAIJI_SMTP_URL", smtp.url())
            .env("KAIJI_MAIL_CONCURRENCY", CONCURRENCY.to_string())
            .env("KAIJI_MAIL_LEASE_SECONDS", LEASE_SECONDS.to_string())
            .env("KAIJI_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Waits until `n` different notices reached the sink.
fn until_delivered(smtp: &SmtpServer, n: usize, what: &str) -> BTreeMap<String, usize> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let seen = by_message_id(smtp);
        if seen.len() >= n {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {} of {n} notices delivered",
            seen.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn doubled(seen: &BTreeMap<String, usize>) -> usize {
    seen.values().map(|n| n - 1).sum()
}

async fn workers_share_the_outbox_and_a_killed_one_doubles_at_most_its_sends_in_flight(
    backend: Backend,
) {
    let Some(shared) = Shared::new(backend) else {
        return;
    };
    let (dir, pg, env) = (&shared.dir, shared.pg.as_ref(), shared.env());
    // A mail server that takes 20 ms a message, and 7 s (longer than a lease) for a few: a worker
    // still sending one must keep it, so that the other never sends it too.
    let smtp = SmtpServer::start_slow(Arc::new(|n| {
        if n % 97 == 50 {
            Duration::from_secs(LEASE_SECONDS + 2)
        } else {
            Duration::from_millis(20)
        }
    }));

    // Two workers through a backlog; one is killed mid-run and started again.
    let first = 400;
    backlog(dir.path(), &env, first);
    let (mut a, b) = (
        worker(dir.path(), &env, &smtp),
        worker(dir.path(), &env, &smtp),
    );
    let started = Instant::now();
    while by_message_id(&smtp).len() < 60 {
        assert!(started.elapsed() < Duration::from_secs(60), "nothing sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    a.kill();
    let sent_before_restart = by_message_id(&smtp).len();
    assert!(
        sent_before_restart < first,
        "the backlog was gone before the kill"
    );
    a = worker(dir.path(), &env, &smtp);
    let seen = until_delivered(&smtp, first, "after the kill");
    assert!(
        doubled(&seen) <= CONCURRENCY,
        "a killed worker may send again only what it had in flight ({CONCURRENCY}): {} doubled",
        doubled(&seen)
    );

    // Without a crash, nothing is sent twice, the slow messages included.
    let before = seen;
    backlog(dir.path(), &env, 300);
    let seen = until_delivered(&smtp, first + 300, "the second backlog");
    let new: BTreeMap<_, _> = seen
        .iter()
        .filter(|(id, _)| !before.contains_key(*id))
        .collect();
    assert_eq!(new.len(), 300);
    assert!(
        new.values().all(|n| **n == 1),
        "sent twice without a crash: {:?}",
        new.iter().filter(|(_, n)| ***n > 1).collect::<Vec<_>>()
    );
    // Everything is recorded as sent, each notice with one audit event.
    let total = i64::try_from(first + 300).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let counts = loop {
        let counts = count(dir.path(), pg, "sent");
        if counts.0 == total || Instant::now() > deadline {
            break counts;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(counts, (total, total), "(notices sent, notice.sent events)");
    drop((a, b));
}

/// The data directory and the database that the test's kaiji processes share: SQLite in the directory,
/// or a PostgreSQL database of the test's own.
struct Shared {
    dir: tempfile::TempDir,
    pg: Option<PgDatabase>,
}

impl Shared {
    /// None when the PostgreSQL half cannot run (after saying so).
    fn new(backend: Backend) -> Option<Self> {
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create(&postgres_admin_url()?)),
        };
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
            pg,
        })
    }

    /// What a kaiji process needs to find the database.
    fn env(&self) -> Vec<(&str, &str)> {
        self.pg
            .as_ref()
            .map(|pg| vec![("DATABASE_URL", pg.url.as_str())])
            .unwrap_or_default()
    }
}

/// A mail server refuses the address and quotes it, as Postfix does (`550 5.1.1 <…>: Recipient address
/// rejected`). The worker's log says that the notice was not delivered, with the kind of failure and the
/// reply code, and never the address: a log holds no personal data. A permanent refusal is not tried
/// again: the notice fails at once, audited, and keeps the server's words, where staff read why.
async fn a_refused_address_stays_out_of_the_log_and_staff_read_the_refusal(backend: Backend) {
    let Some(shared) = Shared::new(backend) else {
        return;
    };
    let env = shared.env();
    let smtp = SmtpServer::start_refusing();
    backlog(shared.dir.path(), &env, 2);
    let o = crate::cli::kaiji_command(shared.dir.path())
        .args(["worker", "--once"])
        .envs(env.iter().copied())
        .env("KAIJI_SMTP_URL", smtp.url())
        .env("KAIJI_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{log}");
    assert_eq!(
        log.matches("notice not delivered").count(),
        2,
        "each refusal is logged: {log}"
    );
    assert!(log.contains("permanent error (550)"), "{log}");
    assert!(
        log.contains("sent 0 notice(s); 0 to retry later; 2 failed"),
        "{log}"
    );
    assert!(
        !log.contains("example.invalid") && !log.contains("synth"),
        "the log quotes the address: {log}"
    );
    assert!(smtp.received().is_empty());

    let counts = count(shared.dir.path(), shared.pg.as_ref(), "failed");
    assert_eq!(counts, (2, 2), "(notices failed, notice.failed events)");
    let kept = last_errors(shared.dir.path(), shared.pg.as_ref());
    assert_eq!(kept.len(), 2, "{kept:?}");
    for e in &kept {
        assert!(
            e.starts_with("permanent error (550)")
                && e.contains("@example.invalid>: Recipient address rejected"),
            "staff read the server's refusal: {e}"
        );
    }
}

/// The shared database, as the test's kaiji processes left it.
fn shared_db(dir: &Path, pg: Option<&PgDatabase>) -> kaiji::db::Db {
    use kaiji::config::DatabaseUrl;
    let url = match pg {
        Some(pg) => DatabaseUrl::Postgres(secrecy::SecretString::from(pg.url.clone())),
        None => DatabaseUrl::Sqlite(dir.join("data/kaiji.db")),
    };
    kaiji::db::Db::open(&url, 1).unwrap()
}

/// Why each notice not delivered was not, as staff read it.
fn last_errors(dir: &Path, pg: Option<&PgDatabase>) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::Text)]
        last_error: String,
    }
    diesel::sql_query("SELECT last_error FROM notices WHERE last_error IS NOT NULL")
        .load::<Kept>(&mut *shared_db(dir, pg).conn().unwrap())
        .unwrap()
        .into_iter()
        .map(|k| k.last_error)
        .collect()
}

/// Notices recorded with `outcome` (`sent`, `failed`), and their `notice.<outcome>` audit events.
fn count(dir: &Path, pg: Option<&PgDatabase>, outcome: &str) -> (i64, i64) {
    use diesel::dsl::sql;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;
    assert!(outcome.chars().all(|c| c.is_ascii_lowercase()));
    let notices = sql::<BigInt>(&format!(
        "(SELECT count(*) FROM notices WHERE status = '{outcome}')"
    ));
    let events = sql::<BigInt>(&format!(
        "(SELECT count(*) FROM audit_events WHERE action = 'notice.{outcome}')"
    ));
    diesel::select((notices, events))
        .get_result(&mut *shared_db(dir, pg).conn().unwrap())
        .unwrap()
}

async fn each_hourly_job_runs_once_an_hour_whichever_instance_runs_it(app: TestApp) {
    use kaiji::app::jobs::{HOURLY, run_hourly};
    let every: Vec<&str> = HOURLY.iter().map(|j| j.key).collect();
    let (s1, s2) = (app.state.clone(), app.state.clone());
    let (one, two) = tokio::join!(
        tokio::task::spawn_blocking(move || run_hourly(&s1, "instance-1")),
        tokio::task::spawn_blocking(move || run_hourly(&s2, "instance-2")),
    );
    let mut both = [one.unwrap(), two.unwrap()].concat();
    both.sort_unstable();
    let mut expected = every.clone();
    expected.sort_unstable();
    assert_eq!(both, expected, "each job once between the two instances");
    // Later in the same hour: nothing runs again.
    app.clock.advance(chrono::TimeDelta::minutes(5));
    let state = app.state.clone();
    let again = tokio::task::spawn_blocking(move || run_hourly(&state, "instance-3"))
        .await
        .unwrap();
    // (Unless the five minutes crossed the hour.)
    let crossed = kaiji::app::jobs::period_of(app.clock.now())
        != kaiji::app::jobs::period_of(app.clock.now() - chrono::TimeDelta::minutes(5));
    if !crossed {
        assert!(again.is_empty(), "ran again within the hour: {again:?}");
    }
    // The next hour, every job runs once more, and each run is recorded with its outcome.
    app.clock.advance(chrono::TimeDelta::hours(1));
    let state = app.state.clone();
    let next = tokio::task::spawn_blocking(move || run_hourly(&state, "instance-1"))
        .await
        .unwrap();
    assert_eq!(next, every);
    let runs = kaiji::db::job_runs::latest(&mut app.tdb.conn()).unwrap();
    assert_eq!(runs.len(), every.len());
    assert!(
        runs.iter().all(|r| r.finished_at.is_some()
            && r.error.is_none()
            && r.records.is_some()
            && r.instance == "instance-1"),
        "{runs:?}"
    );
}

async fn metrics_report_the_backlog_the_queue_and_the_jobs_to_the_scraper_only(backend: Backend) {
    // Without a token set, there is no such page.
    let Some(off) = TestApp::spawn(backend).await else {
        return;
    };
    let client = common::http_client();
    let r = client
        .get(format!("{}/metrics", off.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    drop(off);

    let token = "m".repeat(40);
    let t = token.clone();
    let Some(app) = TestApp::spawn_with(backend, move |c| {
        c.http.metrics_token = Some(secrecy::SecretString::from(t));
    })
    .await
    else {
        return;
    };
    let filed = common::file_json(
        &app,
        serde_json::json!({"name": "Metrics Person", "email": "metrics.person@example.com"}),
    )
    .await;
    let state = app.state.clone();
    tokio::task::spawn_blocking(move || kaiji::app::jobs::run_hourly(&state, "i1"))
        .await
        .unwrap();
    for bad in [None, Some("wrong".to_owned()), Some(format!("{token}x"))] {
        let mut req = client.get(format!("{}/metrics", app.base));
        if let Some(b) = bad {
            req = req.bearer_auth(b);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated");
    }
    let r = client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    let value = |series: &str| -> i64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    assert!(value("kaiji_notices{channel=\"email\",status=\"queued\"}") >= 1);
    let open: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("kaiji_requests_open{"))
        .collect();
    assert!(
        open.len() == 1
            && open[0].contains("place=\"EEA\",right=\"access\",state=\"")
            && open[0].ends_with("workflow=\"gdpr\"} 1"),
        "{text}"
    );
    assert_eq!(value("kaiji_requests_overdue"), 0);
    assert_eq!(
        value("kaiji_job_last_run_failed{job=\"erase_documents\"}"),
        0
    );
    assert_eq!(
        value("kaiji_job_last_run_timestamp_seconds{job=\"close_unconfirmed\"}"),
        app.clock.now().timestamp()
    );
    assert!(value("kaiji_notice_backlog_age_seconds") >= 0);
    assert!(value("kaiji_audit_merge_backlog_events") >= 0);
    for personal in [
        "Metrics Person",
        "metrics.person@example.com",
        filed["id"].as_str().unwrap(),
        filed["receipt_number"].as_str().unwrap(),
    ] {
        assert!(!text.contains(personal), "{personal} in /metrics");
    }
}
