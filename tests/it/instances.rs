//! Past one machine (issue 22): three `kaiji serve` instances and two `kaiji worker`s on one PostgreSQL,
//! behind HAProxy (Debian's package) on loopback, as a company runs them for availability. Requesters
//! file and confirm, an officer signs in and moves requests on, all through the balancer, while one
//! instance is killed with SIGKILL and started again; then every instance is restarted in turn with
//! SIGTERM while requests keep coming (a rolling upgrade), and not one filing fails. Every
//! acknowledged request is there with its audit events and notices, the officer's session holds on whichever instance answers, every notice arrives
//! (a killed instance's worker may send again only what it had in flight), each hourly job ran once,
//! and the audit log verifies.

use crate::common;
use crate::workers::Killed;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::smtp::SmtpServer;
use common::{Browser, PgDatabase, postgres_admin_url};

const HAPROXY: &str = "/usr/sbin/haproxy";
const INSTANCES: usize = 3;
const REQUESTS: usize = 24;
/// Sends at once per worker loop (each `serve` runs one too).
const CONCURRENCY: usize = 2;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn key<const N: usize>() -> String {
    STANDARD.encode(kaiji::security::tokens::random_bytes::<N>())
}

/// The settings every instance shares: the database, one key set, the public address (the balancer's).
fn shared_env(pg: &PgDatabase, lb: u16, smtp: &SmtpServer) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", pg.url.clone()),
        ("KAIJI_SESSION_KEY", key::<64>()),
        ("KAIJI_DOCUMENT_KEY", key::<32>()),
        ("KAIJI_AUDIT_KEY", key::<32>()),
        ("KAIJI_PUBLIC_URL", format!("http://127.0.0.1:{lb}")),
        ("KAIJI_COOKIE_SECURE", "false".into()),
        ("KAIJI_TRUSTED_PROXIES", "127.0.0.1/32".into()),
        ("KAIJI_REQUIRE_MFA", "admins".into()),
        ("KAIJI_INTAKE_PER_IP_PER_HOUR", "1000".into()),
        ("KAIJI_SMTP_URL", smtp.url()),
        ("KAIJI_MAIL_CONCURRENCY", CONCURRENCY.to_string()),
        ("KAIJI_LOG_LEVEL", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A kaiji command in its own data directory (no files shared between instances).
fn kaiji(dir: &Path, env: &[(String, String)], args: &[&str]) -> std::process::Command {
    let mut cmd = crate::cli::kaiji_command(dir);
    cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

fn serve(dir: &Path, env: &[(String, String)], port: u16) -> Killed {
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    Killed(
        kaiji(dir, env, &["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

async fn until_ready(client: &reqwest::Client, port: u16, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if r.is_ok_and(|r| r.status() == 200) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "instance on {port} never became ready: {}",
            std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn haproxy(dir: &Path, lb: u16, ports: &[u16]) -> Killed {
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("    server k{i} 127.0.0.1:{p}\n"))
        .collect();
    // Round robin; a refused connection is retried on another instance (`redispatch`), and so is a
    // read (never a POST) that met a kept-alive connection the killed instance left behind; each
    // request on a connection of its own to the instance (so a POST never meets one an instance
    // stopping closes); an instance is out after one failed readiness check, back after two good ones.
    let config = format!(
        "global\n    maxconn 512\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 30s\n    \
         retries 3\n    option redispatch 1\n    option forwardfor\n\
         frontend www\n    bind 127.0.0.1:{lb}\n    default_backend kaiji\n\
         backend kaiji\n    balance roundrobin\n    option httpchk GET /readyz\n    \
         retry-on conn-failure empty-response\n    http-request disable-l7-retry if METH_POST\n    \
         http-reuse never\n    \
         default-server check inter 300ms fall 1 rise 2\n{servers}"
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    Killed(
        std::process::Command::new(HAPROXY)
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Stops an instance as a deploy does, with SIGTERM: it stops taking connections and finishes the
/// requests in flight. Waits for it to exit without blocking the test's other tasks.
async fn terminate(instance: &mut Killed) {
    let pid = instance.0.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    while instance.0.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "instance {pid} did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Files one request through the balancer: its id and address when acknowledged (201), else the
/// status.
async fn file(client: &reqwest::Client, base: &str, i: usize) -> Result<(String, String), u16> {
    let email = format!("person{i}@example.com");
    let r = client
        .post(format!("{base}/api/v1/requests"))
        .json(
            &serde_json::json!({"name": format!("Person {i}"), "email": email,
            "request_type": "access", "jurisdiction": "eea", "message": "My data, please.",
            "language": "en"}),
        )
        .send()
        .await
        .map_err(|_| 0_u16)?;
    if r.status() != 201 {
        return Err(r.status().as_u16());
    }
    let body: serde_json::Value = r.json().await.map_err(|_| 0_u16)?;
    Ok((body["id"].as_str().unwrap().to_owned(), email))
}

/// The first link in a mail's text that starts with `prefix`.
fn link(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)?;
    Some(
        text[start..]
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
            .next()?
            .to_owned(),
    )
}

fn value_of(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).expect(name) + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

#[actix_web::test]
async fn instances_behind_haproxy_survive_one_killed_mid_run() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    if !Path::new(HAPROXY).exists() {
        if common::strict() {
            panic!("KAIJI_TEST_STRICT=1 but {HAPROXY} is missing: apt-get install haproxy");
        }
        common::say_not_run("the multi-instance test", "install Debian's haproxy");
        return;
    }
    let pg = PgDatabase::create(&admin);
    let smtp = SmtpServer::start();
    let lb = free_port();
    let env = shared_env(&pg, lb, &smtp);
    let dirs: Vec<tempfile::TempDir> = (0..INSTANCES + 2)
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = kaiji(dirs[0].path(), &env, args);
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let o = child.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "kaiji {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&["migrate"], None);
    let password = "correct horse battery staple";
    run(
        &[
            "user",
            "add",
            "--email",
            "officer@example.com",
            "--name",
            "Officer",
            "--role",
            "officer",
            "--password-stdin",
        ],
        Some(password),
    );

    // Three instances started at once (as a deploy does), two workers, and the balancer.
    let client = common::http_client();
    let ports: Vec<u16> = (0..INSTANCES).map(|_| free_port()).collect();
    let mut instances: Vec<Killed> = (0..INSTANCES)
        .map(|i| serve(dirs[i].path(), &env, ports[i]))
        .collect();
    for (i, port) in ports.iter().enumerate() {
        until_ready(&client, *port, dirs[i].path()).await;
    }
    let workers: Vec<Killed> = (INSTANCES..INSTANCES + 2)
        .map(|i| {
            Killed(
                kaiji(dirs[i].path(), &env, &["worker", "--every", "1"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let balancer = haproxy(dirs[0].path(), lb, &ports);
    until_ready(&client, lb, dirs[0].path()).await;
    let base = format!("http://127.0.0.1:{lb}");

    // The officer signs in once, through the balancer.
    let officer = Browser::new(&base, reqwest::header::HeaderMap::new());
    let signed_in = officer.login("officer@example.com", password).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);

    // Requests filed through the balancer; one instance is killed a third of the way in and started
    // again two thirds in. Only acknowledged ones (201) count.
    let mut acknowledged: BTreeMap<String, String> = BTreeMap::new();
    for i in 0..REQUESTS {
        if i == REQUESTS / 3 {
            instances[1].kill();
        }
        if i == 2 * REQUESTS / 3 {
            instances[1] = serve(dirs[1].path(), &env, ports[1]);
            until_ready(&client, ports[1], dirs[1].path()).await;
        }
        if let Ok((id, email)) = file(&client, &base, i).await {
            acknowledged.insert(id, email);
        }
        // The officer's session holds on whichever instance answers.
        let queue = officer.get("/staff/requests").await;
        assert_eq!(queue.status, 200, "the session was lost: {}", queue.status);
    }
    assert!(
        acknowledged.len() >= REQUESTS - 1,
        "only {} of {REQUESTS} acknowledged",
        acknowledged.len()
    );

    // A rolling restart under load, as an upgrade without downtime goes (docs/operations.md): while
    // requests keep coming through the balancer, each instance in turn is stopped with SIGTERM,
    // started again and waited for until the balancer takes it back. Not one filing fails.
    let stop = std::rc::Rc::new(std::cell::Cell::new(false));
    let filing = {
        let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
        actix_web::rt::spawn(async move {
            let mut results = Vec::new();
            let mut i = REQUESTS;
            while !stop.get() {
                results.push(file(&client, &base, i).await);
                i += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            results
        })
    };
    for i in 0..INSTANCES {
        terminate(&mut instances[i]).await;
        instances[i] = serve(dirs[i].path(), &env, ports[i]);
        until_ready(&client, ports[i], dirs[i].path()).await;
        // Two good readiness checks, 300 ms apart, before the balancer sends it requests again.
        tokio::time::sleep(Duration::from_millis(900)).await;
    }
    stop.set(true);
    let during = filing.await.unwrap();
    let failed: Vec<u16> = during.iter().filter_map(|r| r.clone().err()).collect();
    assert!(
        during.len() >= 10 && failed.is_empty(),
        "{} filings during the rolling restart, failed: {failed:?}",
        during.len()
    );
    let during: Vec<String> = during.into_iter().flatten().map(|(id, _)| id).collect();

    // Each requester confirms their address from the mail (page from one instance, button to another).
    let deadline = Instant::now() + Duration::from_secs(60);
    for (id, email) in &acknowledged {
        let url = loop {
            let mail = smtp.received();
            let found = mail
                .iter()
                .filter(|m| m.to.iter().any(|t| t.contains(email.as_str())))
                .find_map(|m| link(&m.text(), &format!("{base}/confirm/")));
            if let Some(u) = found {
                break u;
            }
            assert!(Instant::now() < deadline, "no confirmation mail for {id}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let person = Browser::new(&base, reqwest::header::HeaderMap::new());
        let page = person.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let done = person.submit(&url, &page, &[]).await;
        assert_eq!(done.status, 200, "{}", done.body);
    }

    // The officer asks each requester for identity information (a transition with a notice), each
    // page and button through the balancer.
    for id in acknowledged.keys() {
        let page = officer.get(&format!("/staff/requests/{id}")).await;
        assert_eq!(page.status, 200);
        let moved = officer
            .submit(
                &format!("/staff/requests/{id}/events"),
                &page,
                &[
                    ("event", "request_identity"),
                    (
                        "expected_version",
                        &value_of(&page.body, "expected_version"),
                    ),
                    ("reason", "The address differs from the account's."),
                ],
            )
            .await;
        assert_eq!(moved.status, 303, "{}", moved.body);
    }

    // Every acknowledged request is there, moved on, with its audit events and notices; every
    // email notice arrives, at most the killed instance's sends in flight twice.
    let mut conn = {
        use diesel::Connection;
        diesel::PgConnection::establish(&pg.url).unwrap()
    };
    let ids: Vec<&str> = acknowledged.keys().map(String::as_str).collect();
    let email_notices: i64 = {
        use diesel::prelude::*;
        use kaiji::db::schema::{audit_events, notices, requests};
        // Every request filed during the rolling restart is there, with its receipt audited.
        let received: i64 = audit_events::table
            .filter(audit_events::request_id.eq_any(&during))
            .filter(audit_events::action.eq("request.received"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(received, during.len() as i64);
        let states: Vec<String> = requests::table
            .filter(requests::id.eq_any(&ids))
            .select(requests::state)
            .load(&mut conn)
            .unwrap();
        assert_eq!(states.len(), ids.len());
        assert!(
            states.iter().all(|s| s == "awaiting_identity"),
            "{states:?}"
        );
        for id in &ids {
            let actions: Vec<String> = audit_events::table
                .filter(audit_events::request_id.eq(id))
                .select(audit_events::action)
                .load(&mut conn)
                .unwrap();
            assert!(
                actions.iter().any(|a| a == "request.transitioned"),
                "{id}: {actions:?}"
            );
            let kinds: Vec<String> = notices::table
                .filter(notices::request_id.eq(id))
                .select(notices::kind)
                .load(&mut conn)
                .unwrap();
            assert!(
                kinds.iter().any(|k| k == "identity_requested"),
                "{id}: {kinds:?}"
            );
        }
        notices::table
            .filter(notices::request_id.eq_any(&ids))
            .filter(notices::channel.eq("email"))
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for m in smtp.received() {
            *seen.entry(m.header("Message-ID").unwrap()).or_insert(0) += 1;
        }
        if seen.len() as i64 >= email_notices {
            break seen;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {email_notices} notices arrived",
            seen.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let doubled: usize = seen.values().map(|n| n - 1).sum();
    assert!(doubled <= CONCURRENCY, "{doubled} notices sent twice");

    // Each hourly job ran once an hour, whichever of the six processes got to it first.
    {
        use diesel::prelude::*;
        use kaiji::db::schema::job_runs;
        let runs: Vec<(String, String)> = job_runs::table
            .select((job_runs::job, job_runs::period))
            .load(&mut conn)
            .unwrap();
        let periods: std::collections::BTreeSet<&String> = runs.iter().map(|(_, p)| p).collect();
        assert_eq!(
            runs.len(),
            kaiji::app::jobs::HOURLY.len() * periods.len(),
            "{runs:?}"
        );
    }

    // The log the instances wrote together verifies.
    drop((balancer, workers, instances));
    let o = kaiji(dirs[0].path(), &env, &["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
