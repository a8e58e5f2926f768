//! The integration-test harness: every test gets its own database (an SQLite file in a temporary
//! directory, or a fresh PostgreSQL database created and dropped around it), a real HTTP server on a
//! loopback port, and browsers with their own cookie jars.
//!
//! PostgreSQL runs when `KAIJI_TEST_POSTGRES_URL` names a server (an admin connection URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`). Without it, the PostgreSQL half prints that it did not
//! run; with `KAIJI_TEST_STRICT=1` (as in CI) it fails instead.
#![allow(dead_code)]

pub mod smtp;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Mutex, Once};

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use kaiji::app::{AppState, Clock, staff, workflows};
use kaiji::config::{Config, DatabaseUrl, Keys};
use kaiji::db::{AnyConnection, Db};
use kaiji::domain::staff::Role;
use secrecy::SecretString;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn strict() -> bool {
    std::env::var("KAIJI_TEST_STRICT").is_ok_and(|v| v == "1")
}

/// Says, once per test binary and past the test harness's output capture, that something did not run.
pub fn say_not_run(what: &str, why: &str) {
    static ONCE: Once = Once::new();
    let what = what.to_owned();
    let why = why.to_owned();
    ONCE.call_once(move || {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** kaiji tests: the {what} half did NOT run: {why} ***\n"
        );
    });
}

/// Returns the PostgreSQL admin URL, or None (after saying so) when the PostgreSQL half cannot run.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("KAIJI_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if strict() {
                panic!(
                    "KAIJI_TEST_STRICT=1 but KAIJI_TEST_POSTGRES_URL is not set: the PostgreSQL tests must run"
                );
            }
            say_not_run(
                "PostgreSQL",
                "set KAIJI_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres",
            );
            None
        }
    }
}

/// A PostgreSQL database that exists for one test.
pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

/// Tests talk to PostgreSQL over loopback without TLS (unless the URL asks for it): the test binaries
/// otherwise tear down libpq's OpenSSL sessions in pool threads while the process exits.
fn without_tls(url: &str) -> String {
    let mut u = url::Url::parse(url).expect("KAIJI_TEST_POSTGRES_URL is a URL");
    if !u.query_pairs().any(|(k, _)| k == "sslmode") {
        u.query_pairs_mut().append_pair("sslmode", "disable");
    }
    u.to_string()
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> Self {
        let admin_url = &without_tls(admin_url);
        let name = format!("kaiji_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at KAIJI_TEST_POSTGRES_URL: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let mut url = url::Url::parse(admin_url).expect("KAIJI_TEST_POSTGRES_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The password of the staff members `signed_in` creates.
pub const PASSWORD: &str = "correct horse battery staple";

/// An HTTP client for the tests. reqwest's rustls wants one process-wide crypto provider: ring, as
/// kaiji's own clients use (installed once, whichever test comes first).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The fixed start time of every test clock.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T01:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The `version = N` line of a workflow or regime file, and N.
fn version_line(src: &str) -> (String, i64) {
    let line = src
        .lines()
        .find(|l| l.starts_with("version = "))
        .expect("a version line");
    let n = line["version = ".len()..].trim().parse().expect("a number");
    (line.to_owned(), n)
}

/// The app's mailer, sending to `smtp`.
pub fn mailer(app: &TestApp, smtp: &smtp::SmtpServer) -> kaiji::notify::Mailer {
    let mut config = (*app.state.config).clone();
    config.mail.smtp_url = Some(smtp.url().into());
    kaiji::notify::Mailer::from_config(&config).unwrap()
}

/// One worker's delivery round to `smtp`, of up to `limit` notices due.
async fn deliver_up_to(
    app: &TestApp,
    smtp: &smtp::SmtpServer,
    worker: &str,
    limit: i64,
) -> kaiji::notify::DeliveryReport {
    let (state, mailer, worker) = (app.state.clone(), mailer(app, smtp), worker.to_owned());
    tokio::task::spawn_blocking(move || kaiji::notify::deliver_due(&state, &mailer, &worker, limit))
        .await
        .unwrap()
        .unwrap()
}

/// One worker's delivery round to `smtp` (up to 100 notices due), as the worker runs it.
pub async fn deliver(
    app: &TestApp,
    smtp: &smtp::SmtpServer,
    worker: &str,
) -> kaiji::notify::DeliveryReport {
    deliver_up_to(app, smtp, worker, 100).await
}

/// Delivers every notice due over SMTP to a test server, and returns what it received.
pub async fn delivered_over_smtp(app: &TestApp) -> Vec<smtp::Received> {
    let server = smtp::SmtpServer::start();
    let report = deliver_up_to(app, &server, "test-worker", 10_000).await;
    assert_eq!(report.failed, 0, "{report:?}");
    server.received()
}

/// Runs the reminders' round once (what the worker does every few seconds): how many it queued.
pub async fn queue_reminders(app: &TestApp) -> usize {
    let state = app.state.clone();
    tokio::task::spawn_blocking(move || kaiji::notify::queue_reminders(&state))
        .await
        .unwrap()
        .unwrap()
}

/// The first link to `{public_url}{prefix}` in a mail's text, as a path (from `prefix` on).
pub fn link_in(text: &str, public_url: &str, prefix: &str) -> String {
    let at = text
        .find(&format!("{public_url}{prefix}"))
        .unwrap_or_else(|| panic!("a {prefix} link in {text}"));
    text[at + public_url.len()..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<' && *c != '"')
        .collect()
}

/// The text of each mail received for `address`.
pub fn texts_to(mails: &[smtp::Received], address: &str) -> Vec<String> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(address)))
        .map(|m| m.text())
        .collect()
}

/// The version a shipped workflow has today (`seeds/workflows/{id}.toml`): tests that name versions
/// follow the seeds as they move on.
pub fn seed_version(id: &str) -> i64 {
    let src = std::fs::read_to_string(repo_path(&format!("seeds/workflows/{id}.toml"))).unwrap();
    version_line(&src).1
}

/// A definition's text as its next version (for publishing a changed copy), and that version.
pub fn next_version(src: &str) -> (String, i64) {
    let (line, n) = version_line(src);
    (
        src.replacen(&line, &format!("version = {}", n + 1), 1),
        n + 1,
    )
}

/// The repository's holiday calendars.
pub fn calendars() -> kaiji::domain::deadline::Calendars {
    workflows::read_calendars(&repo_path("seeds/calendars")).expect("seed calendars are valid")
}

/// Copies every file of one directory into another (created).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A copy of the repository's seeds (calendars, places, regimes, workflows) for a test to change.
pub fn seeds_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["calendars", "places", "regimes", "workflows"] {
        copy_dir(&repo_path(&format!("seeds/{sub}")), &dir.path().join(sub));
    }
    dir
}

/// The repository's laws: calendars, places and regimes, every place served.
pub fn laws() -> kaiji::domain::law::Laws {
    workflows::read_laws(&repo_path("seeds/calendars"), &repo_path("seeds"), &[])
        .expect("seed laws are valid")
}

/// A database of the chosen backend, migrated, with the repository's workflows published.
pub struct TestDb {
    pub db: Db,
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    pub database: DatabaseUrl,
    pg: Option<PgDatabase>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (database, pg) = match backend {
            Backend::Sqlite => (DatabaseUrl::Sqlite(dir.path().join("kaiji.db")), None),
            Backend::Postgres => {
                let admin = postgres_admin_url()?;
                let pg = PgDatabase::create(&admin);
                (
                    DatabaseUrl::Postgres(SecretString::from(pg.url.clone())),
                    Some(pg),
                )
            }
        };
        let db = Db::open(&database, 4).expect("open database");
        db.migrate().expect("migrate");
        let files = workflows::read_definitions(&repo_path("seeds/workflows"), &laws())
            .expect("seed workflows are valid");
        workflows::publish(&mut db.conn().unwrap(), &files, &Clock::fixed(t0()))
            .expect("publish seeds");
        let systems = std::fs::read_to_string(repo_path("seeds/data_systems.toml")).unwrap();
        kaiji::app::registry::seed(&db, &Clock::fixed(t0()), &systems).expect("seed data systems");
        Some(Self {
            db,
            backend,
            dir,
            database,
            pg,
        })
    }

    pub fn conn(&self) -> impl std::ops::DerefMut<Target = AnyConnection> + use<> {
        self.db.conn().expect("connection")
    }

    /// Runs SQL with the audit tables' guards switched off (an attacker with DDL rights), then back on.
    pub fn tamper(&self, sql: &str) {
        let mut conn = self.conn();
        let (off, on) = match self.backend {
            // SQLite cannot disable a trigger: the guards are dropped for the rest of the test.
            Backend::Sqlite => (
                "DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete; \
                 DROP TRIGGER IF EXISTS audit_tiles_grow_only; DROP TRIGGER IF EXISTS audit_tiles_no_delete; \
                 DROP TRIGGER IF EXISTS audit_checkpoints_no_update; DROP TRIGGER IF EXISTS audit_checkpoints_no_delete; \
                 DROP TRIGGER IF EXISTS audit_log_state_guard; DROP TRIGGER IF EXISTS audit_log_state_no_delete;",
                "",
            ),
            Backend::Postgres => (
                "ALTER TABLE audit_events DISABLE TRIGGER USER; ALTER TABLE audit_tiles DISABLE TRIGGER USER; \
                 ALTER TABLE audit_checkpoints DISABLE TRIGGER USER; ALTER TABLE audit_log_state DISABLE TRIGGER USER;",
                "ALTER TABLE audit_events ENABLE TRIGGER USER; ALTER TABLE audit_tiles ENABLE TRIGGER USER; \
                 ALTER TABLE audit_checkpoints ENABLE TRIGGER USER; ALTER TABLE audit_log_state ENABLE TRIGGER USER;",
            ),
        };
        conn.batch_execute(off).unwrap();
        conn.batch_execute(sql).unwrap();
        conn.batch_execute(on).unwrap();
    }

    /// Rows in a table (test-only SQL on a fixed list of table names).
    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel::RunQueryDsl;
        assert!(table.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<N>(&mut *self.conn())
            .expect("count")
            .n
    }
}

pub struct TestApp {
    pub tdb: TestDb,
    pub state: AppState,
    pub base: String,
    pub clock: Clock,
    server: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A test server whose settings `configure` changes first.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<Self> {
        // reqwest's rustls wants one process-wide provider: ring, as kaiji's own clients use.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tdb = TestDb::new(backend)?;
        let mut config = Config::for_dir(tdb.dir.path(), tdb.database.clone());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        config = config.with_bind(addr);
        // Loopback is the "proxy": `browser_at` stands for clients elsewhere.
        config.http.trusted_proxies = "127.0.0.1".parse().unwrap();
        config.intake.bank_account = Some("みずほ銀行 本店営業部 普通 1234567 カイジ（カ".into());
        // Most tests sign in with the password alone; the two-step tests (`mfa.rs`) turn the default
        // (`all`) back on.
        config.http.require_mfa = kaiji::config::MfaPolicy::None;
        // Tests move the clock by hours and days between pages; `staff_auth.rs` tests the idle limit.
        config.http.session_idle_minutes = 10_080;
        config.service.seeds_dir = repo_path("seeds");
        configure(&mut config);
        // The settings' seeds (the repository's unless a test points elsewhere) and KAIJI_PLACES.
        let laws = workflows::laws_for(&config).expect("the test's laws are valid");
        let clock = Clock::fixed(t0());
        let state = AppState::new(tdb.db.clone(), config, Keys::random(), clock.clone(), laws);
        let server = serve(state.clone(), listener);
        Some(Self {
            tdb,
            state,
            base: format!("http://{addr}"),
            clock,
            server,
        })
    }

    /// A second instance of the service on this test's database, as another process behind the
    /// same balancer would be: the same settings, keys and database, its own memory (intake counts
    /// kept in memory start empty).
    pub async fn another_instance(&self) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let mut state = self.state.clone();
        let intake = &state.config.intake;
        state.limits = std::sync::Arc::new(kaiji::app::limits::IntakeLimits::new(
            self.tdb.db.backend(),
            intake.intake_per_ip_per_hour,
            intake.intake_invalid_per_ip_per_hour,
            intake.intake_per_email_per_hour,
        ));
        Instance {
            base: format!("http://{addr}"),
            server: serve(state, listener),
        }
    }

    pub fn backend(&self) -> Backend {
        self.tdb.backend
    }

    /// The service restarted with other keys, as after `kaiji keys rotate`: the same database and
    /// settings, served again on the same address.
    pub async fn restart_with_keys(&mut self, keys: Keys) {
        self.server.stop(true).await;
        let addr: std::net::SocketAddr = self.base.trim_start_matches("http://").parse().unwrap();
        let listener = TcpListener::bind(addr).expect("bind the same address again");
        let mut state = self.state.clone();
        state.keys = std::sync::Arc::new(keys);
        self.server = serve(state.clone(), listener);
        self.state = state;
    }

    /// A new browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base, reqwest::header::HeaderMap::new())
    }

    /// A browser at another client address: the test server trusts loopback as its proxy, and this
    /// browser's requests come through it with `X-Forwarded-For: <ip>`.
    pub fn browser_at(&self, ip: &str) -> Browser {
        Browser::at(&self.base, ip)
    }

    pub fn count(&self, table: &str) -> i64 {
        self.tdb.count(table)
    }

    /// Creates a staff account directly (as `kaiji user add` does).
    /// Audit events other than refusals (`app::refusals`: a forbidden route, a credential or CSRF
    /// token refused, an intake limit), which a refused request writes on purpose.
    pub fn events_but_refusals(&self) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "SELECT COUNT(*) AS n FROM audit_events \
             WHERE action NOT LIKE 'access.%' AND action <> 'intake.rate_limited'",
        )
        .get_result::<N>(&mut *self.tdb.conn())
        .expect("count")
        .n
    }

    /// A staff member named after their address (`officer@…` is "Officer").
    pub async fn staff(&self, email: &str, role: Role, password: &str) -> staff::StaffMember {
        let local = email.split('@').next().unwrap_or(email);
        let mut name: Vec<char> = local.chars().collect();
        if let Some(c) = name.first_mut() {
            *c = c.to_ascii_uppercase();
        }
        let name: String = name.into_iter().collect();
        self.staff_named(email, &name, role, password).await
    }

    pub async fn staff_named(
        &self,
        email: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> staff::StaffMember {
        let db = self.state.db.clone();
        let clock = self.clock.clone();
        let (email, name, password) = (email.to_owned(), name.to_owned(), password.to_owned());
        tokio::task::spawn_blocking(move || {
            staff::add_user(&db, &clock, &email, &name, role, &password)
        })
        .await
        .unwrap()
        .expect("create staff")
    }

    /// Whether the request's procedure asked the requester to confirm their address (an opt-out does
    /// not: nothing may be asked before it is honoured).
    pub fn asks_confirmation(&self, id: &str) -> bool {
        kaiji::db::notices::for_request(&mut self.tdb.conn(), &id.into())
            .unwrap()
            .iter()
            .any(|n| n.kind == "email_confirmation")
    }

    /// Opens the confirmation link of one request and presses the button, as the requester would.
    pub async fn confirm_email(&self, id: &str) -> Page {
        let path = kaiji::app::confirm::confirm_path(&self.state.keys, &id.into());
        let b = self.browser();
        let page = b.get(&path).await;
        assert_eq!(page.status, 200, "confirmation page: {}", page.body);
        b.submit(&path, &page, &[]).await
    }

    /// Confirms the email address of every open request filed online, as their requesters would.
    pub async fn confirm_emails(&self) {
        let rows = kaiji::db::requests::list_open(&mut self.tdb.conn(), 10_000).unwrap();
        for r in rows.into_iter().filter(|r| r.channel != "postal") {
            let row = kaiji::db::requests::find(&mut self.tdb.conn(), &r.id.as_str().into())
                .unwrap()
                .unwrap();
            if row.subject_email.is_some() && !row.facts.contains("email_confirmed") {
                let done = self.confirm_email(&r.id).await;
                assert_eq!(done.status, 200, "{}", done.body);
            }
        }
    }

    /// A browser signed in as a new staff member of this role.
    pub async fn signed_in(&self, email: &str, role: Role) -> Browser {
        let pw = PASSWORD;
        self.staff(email, role, pw).await;
        let b = self.browser();
        let res = b.login(email, pw).await;
        assert_eq!(res.status, 303, "login failed: {}", res.body);
        b
    }

    /// Runs the audit log's sequencer until nothing waits (what `serve` does every fraction of a
    /// second), and returns the tree's size.
    pub async fn seal(&self) -> i64 {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || {
            let mut size = 0;
            loop {
                match kaiji::app::sequencer::integrate(
                    &state.db,
                    &state.config,
                    &state.keys,
                    kaiji::app::sequencer::BATCH,
                )
                .expect("sequencer pass")
                {
                    kaiji::app::sequencer::Pass::Integrated { size: s, .. } => size = s,
                    _ => {
                        let mut conn = state.db.conn().unwrap();
                        return kaiji::db::tlog::latest_checkpoint(&mut conn)
                            .unwrap()
                            .map_or(size, |c| c.size);
                    }
                }
            }
        })
        .await
        .unwrap()
    }

    /// Pushes the newest checkpoint to the operator's store in `dir` (what `serve` does after sealing).
    pub async fn push_checkpoint(
        &self,
        dir: &std::path::Path,
    ) -> Result<kaiji::app::sequencer::PushOutcome, kaiji::app::AppError> {
        let (state, dir) = (self.state.clone(), dir.to_owned());
        tokio::task::spawn_blocking(move || {
            kaiji::app::sequencer::push_checkpoint(&state.db, &state.config, &state.keys, &dir)
        })
        .await
        .unwrap()
    }

    /// An insider holding the database and the signing key: changes events with `sql`, throws the tree
    /// and checkpoints away and signs the whole log again (a fork of what was signed before).
    pub async fn rewrite_and_resign(&self, sql: &str) {
        self.tamper(&format!(
            "{sql}; DELETE FROM audit_tiles; DELETE FROM audit_checkpoints;"
        ));
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = state.db.conn().unwrap();
            kaiji::db::write_tx(&mut conn, |conn| -> Result<(), kaiji::app::AppError> {
                let mut batch =
                    kaiji::app::sequencer::Batch::begin(conn, &state.config, &state.keys)?
                        .expect("the sequencer's role");
                for row in kaiji::db::audit::sequenced_between(conn, 0, i64::MAX)? {
                    batch.push(&row)?;
                }
                batch.finish(conn, kaiji::db::to_db_time(chrono::Utc::now()))?;
                Ok(())
            })
            .unwrap();
        })
        .await
        .unwrap();
    }

    /// Runs SQL as someone with full rights on the database would: the audit tables' triggers off.
    pub fn tamper(&self, sql: &str) {
        self.tdb.tamper(sql)
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

/// Serves `state` on `listener` with two workers until stopped.
fn serve(state: AppState, listener: TcpListener) -> actix_web::dev::ServerHandle {
    let server = actix_web::HttpServer::new(move || kaiji::web::build_app(state.clone()))
        .workers(2)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    handle
}

/// Another instance of a test's service (`TestApp::another_instance`).
pub struct Instance {
    pub base: String,
    server: actix_web::dev::ServerHandle,
}

impl Instance {
    pub fn browser_at(&self, ip: &str) -> Browser {
        Browser::at(&self.base, ip)
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

/// The details of the newest audit events (up to 500) with this action, newest first.
pub fn audited(app: &TestApp, action: &str) -> Vec<String> {
    kaiji::db::audit::list_recent(&mut app.tdb.conn(), 500)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| e.details)
        .collect()
}

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    /// The body as bytes (downloads).
    pub raw: Vec<u8>,
}

impl Page {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The seconds its `Retry-After` header asks to wait.
    pub fn retry_after(&self) -> u64 {
        self.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("page has a CSRF field") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }

    /// The text of the element with this id (first match; good enough for our own templates).
    pub fn text_of(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let start = self.body[at..].find('>')? + at + 1;
        let end = self.body[start..].find('<')? + start;
        Some(self.body[start..end].to_owned())
    }

    /// All the text inside the element with this id, tags stripped and whitespace collapsed (the element
    /// must not nest another of its own tag).
    pub fn all_text_of(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let open = self.body[..at].rfind('<')?;
        let tag: String = self.body[open + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let start = self.body[at..].find('>')? + at + 1;
        let end = self.body[start..].find(&format!("</{tag}>"))? + start;
        let mut text = String::new();
        let mut in_tag = false;
        for c in self.body[start..end].chars() {
            match c {
                '<' => {
                    in_tag = true;
                    text.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// A browser: keeps cookies like one, including `Secure` ones (the test server is plain HTTP on loopback,
/// which browsers also treat as secure).
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    jar: Mutex<BTreeMap<String, String>>,
    pub last_set_cookies: Mutex<Vec<String>>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn new(base: &str, headers: reqwest::header::HeaderMap) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Browser {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
            jar: Mutex::new(BTreeMap::new()),
            last_set_cookies: Mutex::new(Vec::new()),
        }
    }

    fn at(base: &str, ip: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        Self::new(base, headers)
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    async fn finish(&self, res: reqwest::Response) -> Page {
        let mut set = Vec::new();
        for h in res.headers().get_all(reqwest::header::SET_COOKIE) {
            let raw = h.to_str().unwrap().to_owned();
            let pair = raw.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            let removal = raw.to_ascii_lowercase().contains("max-age=0") || v.is_empty();
            let mut jar = self.jar.lock().unwrap();
            if removal {
                jar.remove(k);
            } else {
                jar.insert(k.to_owned(), v.to_owned());
            }
            set.push(raw);
        }
        *self.last_set_cookies.lock().unwrap() = set;
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let headers = res.headers().clone();
        let raw = res.bytes().await.unwrap().to_vec();
        let body = String::from_utf8_lossy(&raw).into_owned();
        Page {
            status,
            location,
            headers,
            body,
            raw,
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let res = self
            .client
            .get(self.url(path))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self
            .client
            .get(self.url(path))
            .header(reqwest::header::COOKIE, self.cookie_header());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.finish(req.send().await.unwrap()).await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded(fields);
        let res = self
            .client
            .post(self.url(path))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// Posts `fields` to `path` as the form on the page `on` would: with that page's CSRF token first.
    pub async fn submit(&self, path: &str, on: &Page, fields: &[(&str, &str)]) -> Page {
        let token = on.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let res = self
            .client
            .post(self.url(path))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// Posts a multipart form (uploads) with the browser's cookies.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Page {
        let res = self
            .client
            .post(self.url(path))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    pub async fn post_json(&self, path: &str, json: &serde_json::Value) -> Page {
        self.post_raw(path, "application/json", serde_json::to_vec(json).unwrap())
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        let form = self.get("/staff/login").await;
        self.submit(
            "/staff/login",
            &form,
            &[("email", email), ("password", password)],
        )
        .await
    }
}

fn serde_urlencoded(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().copied())
        .finish()
}

/// Files a request through the web form (as someone in Japan) and returns the tracking path it
/// redirected to.
pub async fn file_request(
    b: &Browser,
    name: &str,
    email: &str,
    request_type: &str,
    message: &str,
) -> String {
    file_request_from(b, "japan", name, email, request_type, message).await
}

pub async fn file_request_from(
    b: &Browser,
    jurisdiction: &str,
    name: &str,
    email: &str,
    request_type: &str,
    message: &str,
) -> String {
    let form = b.get("/").await;
    assert_eq!(form.status, 200);
    let res = b
        .submit(
            "/requests",
            &form,
            &[
                ("name", name),
                ("email", email),
                ("request_type", request_type),
                ("jurisdiction", jurisdiction),
                ("message", message),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "submit failed: {}", res.body);
    res.location.expect("redirect to the tracking page")
}

/// A multipart form: text fields, then files as (field, file name, bytes).
pub fn multipart_form(
    fields: &[(&str, &str)],
    files: Vec<(&str, &str, Vec<u8>)>,
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (field, name, bytes) in files {
        form = form.part(
            field.to_owned(),
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    form
}

/// Files a request over the public JSON API and returns the answer (`id`, `receipt_number`, …): `fields`
/// override a filing by "Pat" in the EEA, for access, in English.
pub async fn file_json(app: &TestApp, fields: serde_json::Value) -> serde_json::Value {
    let mut body = serde_json::json!({"name": "Pat", "email": "pat@example.com", "request_type": "access",
                                      "jurisdiction": "eea", "message": "x", "language": "en"});
    for (k, v) in fields.as_object().expect("fields are an object") {
        body[k] = v.clone();
    }
    let res = app.browser().post_json("/api/v1/requests", &body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.json()
}

/// `file_json`'s request id.
pub async fn file_id(app: &TestApp, fields: serde_json::Value) -> String {
    file_json(app, fields).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Files a request as `file_id` does, confirms its address as the requester would, and has `officer`
/// start processing it: the request's tasks are open in its systems.
pub async fn started(app: &TestApp, officer: &Api, fields: serde_json::Value) -> String {
    let id = file_id(app, fields).await;
    app.confirm_email(&id).await;
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    id
}

/// Runs a test body on SQLite and on PostgreSQL: `both_backends!(name)` turns `async fn name(app: TestApp)`
/// into the tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite)
                    .await
                    .expect("SQLite always runs");
                super::$name(app).await;
            }

            #[actix_web::test]
            async fn postgres() {
                if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )+};
}

/// Like `both_backends!`, for a test body that starts its own server: `async fn name(backend: Backend)`
/// becomes `name::sqlite` and `name::postgres` (the PostgreSQL one returns early without a server).
#[macro_export]
macro_rules! on_each_backend {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await;
            }

            #[actix_web::test]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await;
            }
        }
    )+};
}

/// Whether a request (as the API shows it) has come to hold `fact`.
pub fn has_fact(r: &serde_json::Value, fact: &str) -> bool {
    r["facts"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(fact))
}

/// The events a request (as the API shows it) offers now, by name.
pub fn allowed_events(r: &serde_json::Value) -> Vec<&str> {
    r["allowed_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

/// How a request offers `event` now (its grounds, where the law lists them).
pub fn allowed_event<'a>(r: &'a serde_json::Value, event: &str) -> &'a serde_json::Value {
    r["allowed_events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == event)
        .unwrap_or_else(|| panic!("{event} is not offered: {}", r["allowed_events"]))
}

/// The codes of the grounds an offered event lists.
pub fn ground_codes(offer: &serde_json::Value) -> Vec<&str> {
    offer["grounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect()
}

/// The task of `system` in a request (as the API shows it).
pub fn task<'a>(r: &'a serde_json::Value, system: &str) -> &'a serde_json::Value {
    r["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["system"] == system)
        .unwrap_or_else(|| panic!("no task for {system}: {}", r["tasks"]))
}

/// The first notice of `kind` a request (as the API shows it) has queued.
pub fn notice<'a>(r: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} notice: {}", r["notices"]))
}

/// The newest notice of `kind` a request (as the API shows it) has queued.
pub fn latest_notice<'a>(r: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|n| n["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} notice: {}", r["notices"]))
}

/// The kinds of the notices a request (as the API shows it) has queued, in order.
pub fn notice_kinds(r: &serde_json::Value) -> Vec<String> {
    r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// The first error code an API answer gives for `field` (`{"error": {"fields": {field: [{code}]}}}`).
pub fn field_code<'a>(body: &'a serde_json::Value, field: &str) -> Option<&'a str> {
    body["error"]["fields"][field][0]["code"].as_str()
}

/// A staff member using the JSON API with a bearer token.
pub struct Api {
    pub base: String,
    pub token: String,
}

/// Creates a staff member with `role` and an API token for them.
pub async fn api(app: &TestApp, email: &str, role: Role) -> Api {
    app.staff(email, role, "correct horse battery staple").await;
    let (db, clock, email) = (app.state.db.clone(), app.clock.clone(), email.to_owned());
    let issued =
        tokio::task::spawn_blocking(move || staff::create_api_token(&db, &clock, &email, "tests"))
            .await
            .unwrap()
            .unwrap();
    Api {
        base: app.base.clone(),
        token: issued.token,
    }
}

impl Api {
    /// Sends `body` with the bearer token; the answer as a page (status and text).
    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let res = req.bearer_auth(&self.token).send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        // Bytes as sent (a ZIP stays a ZIP); the body as text for reading.
        let raw = res.bytes().await.unwrap().to_vec();
        Page {
            status,
            location: None,
            headers,
            body: String::from_utf8_lossy(&raw).into_owned(),
            raw,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get_page(&self, path: &str) -> Page {
        self.send(http_client().get(self.url(path))).await
    }

    pub async fn post_page(&self, path: &str, body: &serde_json::Value) -> Page {
        self.send(http_client().post(self.url(path)).json(body))
            .await
    }

    /// POSTs JSON; the status and the JSON answer (`Null` when the answer is not JSON).
    pub async fn post(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let r = self.post_page(path, body).await;
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Sends `method` (PUT, DELETE) without a body: the status and the JSON answer (`Null` if none).
    pub async fn call(&self, method: reqwest::Method, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .send(http_client().request(method, self.url(path)))
            .await;
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// POSTs raw bytes with a content type (a CSV statement, a file).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> (u16, serde_json::Value) {
        let r = self
            .send(
                http_client()
                    .post(self.url(path))
                    .header("content-type", content_type)
                    .body(bytes.to_vec()),
            )
            .await;
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// GETs JSON, which must come with 200.
    pub async fn get(&self, path: &str) -> serde_json::Value {
        let r = self.get_page(path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    pub async fn request(&self, id: &str) -> serde_json::Value {
        self.get(&format!("/api/v1/requests/{id}")).await
    }

    /// The request's version now (what the next event must expect).
    pub async fn version(&self, id: &str) -> i64 {
        self.request(id).await["version"].as_i64().unwrap()
    }

    /// Fires `event` with exactly `data`: the status and the JSON answer.
    pub async fn event(
        &self,
        id: &str,
        event: &str,
        version: i64,
        data: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.post(
            &format!("/api/v1/requests/{id}/events"),
            &serde_json::json!({"event": event, "expected_version": version, "data": data}),
        )
        .await
    }

    /// Fires `event` with a reason, and a ground where the law lists them.
    pub async fn fire(&self, id: &str, event: &str, version: i64) -> (u16, serde_json::Value) {
        let mut data = serde_json::json!({"reason": "As recorded."});
        self.name_a_ground(id, event, &mut data).await;
        self.event(id, event, version, data).await
    }

    /// A refusal where the law lists grounds names one: the first the request's allowed event offers.
    pub async fn name_a_ground(&self, id: &str, event: &str, data: &mut serde_json::Value) {
        let r = self.get_page(&format!("/api/v1/requests/{id}")).await;
        if r.status != 200 {
            return;
        }
        let ground = r.json()["allowed_events"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["event"] == event)
            .and_then(|e| e["grounds"][0]["code"].as_str().map(str::to_owned));
        if let Some(g) = ground {
            data["ground"] = serde_json::json!(g);
        }
    }

    /// Fires an event with an optional reason, and what a dispatch or a delivery certificate carries
    /// (the test clock is 2026-11-22).
    pub async fn fire_page(
        &self,
        id: &str,
        event: &str,
        version: i64,
        reason: Option<&str>,
    ) -> Page {
        let mut data = match reason {
            Some(r) => serde_json::json!({ "reason": r }),
            None => serde_json::json!({}),
        };
        match event {
            "dispatch_reply" => {
                data["tracking_number"] = serde_json::json!("131-12-38386-3");
                data["dispatched_on"] = serde_json::json!("2026-11-22");
            }
            "confirm_delivery" => data["delivered_on"] = serde_json::json!("2026-11-22"),
            _ => {}
        }
        self.name_a_ground(id, event, &mut data).await;
        self.post_page(
            &format!("/api/v1/requests/{id}/events"),
            &serde_json::json!({"event": event, "expected_version": version, "data": data}),
        )
        .await
    }

    /// Uploads the reply (a small PDF) for release.
    pub async fn upload_reply(&self, id: &str) {
        let (status, body) = self
            .post_raw(
                &format!("/api/v1/requests/{id}/reply-file"),
                "application/pdf",
                b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nREPLY\n%%EOF",
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// Closes every task of the request alike, with `body` (one outcome for all its systems).
    pub async fn close_each(&self, id: &str, body: serde_json::Value) {
        for t in self.request(id).await["tasks"].as_array().unwrap() {
            let (status, res) = self.close(id, t, body.clone()).await;
            assert_eq!(status, 200, "{}: {res}", t["system"]);
        }
    }

    pub async fn close(
        &self,
        id: &str,
        task: &serde_json::Value,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.post(
            &format!(
                "/api/v1/requests/{id}/tasks/{}",
                task["id"].as_str().unwrap()
            ),
            &body,
        )
        .await
    }
}

/// Every route as (path, lowercase method), from the route table the server mounts.
pub fn registered_routes() -> Vec<(String, String)> {
    kaiji::web::routes::table()
        .into_iter()
        .map(|(method, path)| (path, method.as_str().to_lowercase()))
        .collect()
}

/// The files of a ZIP (an answer package), by name, as text.
pub fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut f, &mut text).unwrap();
        out.insert(f.name().unwrap().to_string(), text);
    }
    out
}

/// The download address in the rows of an answer's letter (`letter-rows`).
pub fn download_path_in(rows: &str) -> String {
    let at = rows.find("/download/").expect("a download address");
    rows[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

/// The download address printed on the answer's letter at `letter_path` (read by `desk`).
pub async fn download_path(desk: &Browser, letter_path: &str) -> String {
    let letter = desk.get(letter_path).await;
    assert_eq!(letter.status, 200, "{}", letter.body);
    download_path_in(&letter.all_text_of("letter-rows").unwrap())
}

/// The answer package at a download address as `requester` fetches it (the page, then its button),
/// unzipped.
pub async fn fetch_package(
    requester: &Browser,
    path: &str,
) -> std::collections::BTreeMap<String, String> {
    let page = requester.get(path).await;
    let zip = requester.submit(path, &page, &[]).await;
    assert_eq!(zip.status, 200);
    unzip(&zip.raw)
}

/// The answer package as the requester downloads it: the address printed on the answer's letter (read
/// by `desk`), opened by a fresh browser, unzipped.
pub async fn download_answer(
    app: &TestApp,
    desk: &Browser,
    letter_path: &str,
) -> std::collections::BTreeMap<String, String> {
    let path = download_path(desk, letter_path).await;
    fetch_package(&app.browser(), &path).await
}

/// Runs one of poppler's tools (`pdftotext`, `pdffonts`; Debian's poppler-utils) on a PDF and returns
/// what it printed; `None` (said once) when poppler is not installed, a failure under KAIJI_TEST_STRICT.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Option<String> {
    let path = format!("/usr/bin/{tool}");
    if !std::path::Path::new(&path).exists() {
        if strict() {
            panic!("KAIJI_TEST_STRICT=1 but {path} is missing: apt-get install poppler-utils");
        }
        say_not_run("PDF text checks", "install Debian's poppler-utils");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("letter.pdf");
    std::fs::write(&file, pdf).unwrap();
    let mut cmd = std::process::Command::new(path);
    cmd.args(args).arg(&file);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// A 全銀協 record: (width, value) fields, digits right-aligned with zeros, text left-aligned with
/// spaces, in Shift_JIS; 200 bytes.
pub fn zengin_record(fields: &[(usize, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (width, value) in fields {
        let mut field = encoding_rs::SHIFT_JIS.encode(value).0.into_owned();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            let mut padded = vec![b'0'; width - field.len()];
            padded.append(&mut field);
            field = padded;
        }
        field.resize(*width, b' ');
        out.extend(field);
    }
    out.resize(200, b' ');
    out
}

/// A 振込入金通知 (transfer-credit notice) as a bank exports it: (勘定日 in Reiwa YYMMDD, yen, payer,
/// cancelled).
pub fn zengin_transfer_notice(transfers: &[(&str, i64, &str, bool)]) -> Vec<u8> {
    let mut records = vec![zengin_record(&[
        (1, "1"),
        (2, "01"),
        (1, "0"),
        (6, "081124"),
        (6, "081124"),
        (6, "081125"),
        (4, "0005"),
        (15, "ﾐﾂﾋﾞｼUFJ"),
        (3, "001"),
        (15, "ﾎﾝﾃﾝ"),
        (1, "1"),
        (7, "1234567"),
        (40, "ｶ)ｼﾞｰｴﾑｵｰ"),
    ])];
    for (n, (date, yen, payer, cancelled)) in transfers.iter().enumerate() {
        records.push(zengin_record(&[
            (1, "2"),
            (6, &(n + 1).to_string()),
            (6, date),
            (6, date),
            (10, &yen.to_string()),
            (10, "0"),
            (10, "0"),
            (48, payer),
            (15, "ﾐｽﾞﾎ"),
            (15, "ｼﾌﾞﾔ"),
            (1, if *cancelled { "1" } else { "0" }),
            (20, ""),
        ]));
    }
    let total: i64 = transfers.iter().map(|t| t.1).sum();
    records.push(zengin_record(&[
        (1, "8"),
        (6, &transfers.len().to_string()),
        (12, &total.to_string()),
    ]));
    records.push(zengin_record(&[(1, "9")]));
    records.join(&b"\r\n"[..])
}
