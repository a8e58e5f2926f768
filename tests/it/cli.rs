//! The command line as an operator uses it: the real binary, a fresh data directory, both backends.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{PgDatabase, postgres_admin_url, repo_path};

/// The kaiji binary in `dir`, with the repository's seeds and none of the test run's own `KAIJI_*`
/// variables (KAIJI_SCREENSHOTS, …): they are not settings, and kaiji refuses unknown ones.
pub(crate) fn kaiji_command(dir: &Path) -> Command {
    // Under the umask most shells hand down (group and others may read), so the modes kaiji sets are
    // its own doing.
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "umask 022; exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_kaiji"),
    ]);
    for (k, _) in std::env::vars() {
        if k.starts_with("KAIJI_") && !k.starts_with("KAIJI_TEST_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("KAIJI_SEEDS_DIR", repo_path("seeds"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

pub(crate) fn kaiji(
    dir: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut cmd = kaiji_command(dir);
    cmd.args(args)
        .env("KAIJI_LOG_LEVEL", "warn")
        .stdin(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run kaiji");
    if let Some(input) = stdin {
        // A command that fails before reading (bad arguments) closes the pipe early; that is fine.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

/// `kaiji user add` with the password on stdin, as an administrator types it.
fn user_add(dir: &Path, env: &[(&str, &str)], email: &str, role: &str, password: &str) -> Output {
    kaiji(
        dir,
        env,
        &[
            "user",
            "add",
            "--email",
            email,
            "--name",
            "佐藤 花子",
            "--role",
            role,
            "--password-stdin",
        ],
        Some(password),
    )
}

/// The command succeeded and its output says `words`.
pub(crate) fn succeeds_saying(o: &Output, words: &str) {
    assert!(o.status.success() && text(o).contains(words), "{}", text(o));
}

/// The command failed and its output says why in `words`.
pub(crate) fn fails_saying(o: &Output, words: &str) {
    assert!(
        !o.status.success() && text(o).contains(words),
        "{}",
        text(o)
    );
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["seed", "--help"],
        vec!["user", "add", "--help"],
        vec!["config", "--help"],
        vec!["workflow", "check", "--help"],
        vec!["workflow", "list", "--help"],
        vec!["purge-documents", "--help"],
    ] {
        let o = kaiji(dir.path(), &[], &args, None);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn config_masks_secrets_and_bad_settings_get_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let key = "A".repeat(86) + "==";
    let o = kaiji(
        dir.path(),
        &[
            ("DATABASE_URL", "postgres://kaiji:hunter2@db:5432/kaiji"),
            ("KAIJI_SESSION_KEY", &key),
        ],
        &["config"],
        None,
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("postgres://kaiji:****@db:5432/kaiji (postgres)"),
        "{out}"
    );
    assert!(!out.contains("hunter2") && !out.contains(&key), "{out}");
    assert!(out.contains("**** (configured)"));
    assert!(out.contains("(generated on first start into"));

    for (var, value, needle) in [
        ("KAIJI_BIND", "not-an-address", "KAIJI_BIND"),
        ("KAIJI_DB_POOL_SIZE", "0", "KAIJI_DB_POOL_SIZE"),
        ("DATABASE_URL", "mysql://db/kaiji", "DATABASE_URL"),
        ("KAIJI_SESSION_KEY", "tooshort", "KAIJI_SESSION_KEY"),
        ("KAIJI_COOKIE_SECURE", "maybe", "KAIJI_COOKIE_SECURE"),
        ("KAIJI_NO_SUCH_SETTING", "1", "KAIJI_NO_SUCH_SETTING"),
        ("KAIJI_DOWNLOAD_DAYS", "366", "must be between 1 and 365"),
        ("KAIJI_METRICS_TOKEN", "short-token", "KAIJI_METRICS_TOKEN"),
        ("KAIJI_MAIL_CONCURRENCY", "0", "KAIJI_MAIL_CONCURRENCY"),
        ("KAIJI_MAIL_LEASE_SECONDS", "4", "KAIJI_MAIL_LEASE_SECONDS"),
    ] {
        let o = kaiji(dir.path(), &[(var, value)], &["config"], None);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{var}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{var}: one line: {err}");
        assert!(
            err.starts_with("configuration error:") && err.contains(needle),
            "{var}: {err}"
        );
        assert!(!err.contains("panicked"));
    }
    // A kaiji.toml is read, and the environment overrides it.
    std::fs::write(
        dir.path().join("kaiji.toml"),
        "bind = \"127.0.0.1:9999\"\nlog_format = \"json\"\n",
    )
    .unwrap();
    let out = text(&kaiji(
        dir.path(),
        &[("KAIJI_LOG_FORMAT", "text")],
        &["config"],
        None,
    ));
    assert!(
        out.contains("127.0.0.1:9999") && out.contains("KAIJI_LOG_FORMAT") && out.contains(" text"),
        "{out}"
    );
}

fn migrate_seed_and_add_users(dir: &Path, env: &[(&str, &str)]) {
    let o = kaiji(dir, env, &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    let all = std::fs::read_dir(repo_path("migrations/sqlite"))
        .unwrap()
        .count();
    assert!(
        text(&o).contains(&format!("{all} migration(s) applied")),
        "{}",
        text(&o)
    );
    let o = kaiji(dir, env, &["migrate"], None);
    assert!(text(&o).contains("0 migration(s) applied"));

    for _ in 0..2 {
        let o = kaiji(dir, env, &["seed"], None);
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = kaiji(dir, env, &["purge-records"], None);
    succeeds_saying(&o, "erased the personal data of 0 request(s)");
    let o = kaiji(dir, env, &["worker", "--once"], None);
    succeeds_saying(&o, "sent 0 notice(s)");
    let o = kaiji(dir, env, &["purge-documents"], None);
    succeeds_saying(&o, "erased 0 file(s)");
    let o = kaiji(dir, env, &["workflow", "list"], None);
    for id in ["ccpa", "gdpr", "jp-online", "jp-postal", "pipeda"] {
        let v = common::seed_version(id);
        assert!(text(&o).contains(&format!("{id}  v{v}")), "{}", text(&o));
    }

    let o = user_add(
        dir,
        env,
        "Officer@Example.com",
        "officer",
        "correct horse battery staple\n",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("created officer account officer@example.com"));
    let o = user_add(
        dir,
        env,
        "officer@example.com",
        "admin",
        "another long password",
    );
    fails_saying(&o, "already exists");
    // The account's life from the terminal: a role change, disabled, enabled, each listed.
    let run = |args: &[&str]| {
        let o = kaiji(dir, env, args, None);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        text(&o)
    };
    run(&[
        "user",
        "role",
        "--email",
        "officer@example.com",
        "--role",
        "auditor",
    ]);
    assert!(run(&["user", "list"]).contains("officer@example.com\tauditor\tactive"));
    run(&["user", "disable", "--email", "officer@example.com"]);
    assert!(run(&["user", "list"]).contains("officer@example.com\tauditor\tdisabled"));
    run(&["user", "enable", "--email", "officer@example.com"]);
    run(&[
        "user",
        "role",
        "--email",
        "officer@example.com",
        "--role",
        "officer",
    ]);
    assert!(run(&["user", "list"]).contains("officer@example.com\tofficer\tactive"));
    // Sessions end from the terminal too: one member's, or everyone's.
    assert!(run(&["user", "end-sessions", "--email", "officer@example.com"]).contains("done"));
    assert!(run(&["user", "end-sessions", "--all"]).contains("ended 0 staff session(s)"));
    assert!(
        !kaiji(dir, env, &["user", "end-sessions"], None)
            .status
            .success()
    );
    let o = kaiji(
        dir,
        env,
        &["user", "disable", "--email", "nobody@example.com"],
        None,
    );
    fails_saying(&o, "not found");
    let o = user_add(dir, env, "x@example.com", "auditor", "short\n");
    fails_saying(&o, "at least 12 characters");
    let o = user_add(dir, env, "x@example.com", "root", "x");
    assert!(!o.status.success());
    let o = kaiji(
        dir,
        env,
        &[
            "user",
            "add",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "admin",
        ],
        Some("long enough password"),
    );
    assert!(
        !o.status.success(),
        "the password never comes from arguments"
    );
}

#[test]
fn migrate_seed_and_user_add_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    migrate_seed_and_add_users(dir.path(), &[]);
    assert!(
        dir.path().join("data/kaiji.db").exists(),
        "SQLite file created under ./data"
    );
    // Only kaiji's user may open the data directory or read what it writes there.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let data = dir.path().join("data");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
        // A database left readable by an older version is tightened at the next start.
        std::fs::set_permissions(
            data.join("kaiji.db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(kaiji(dir.path(), &[], &["migrate"], None).status.success());
        assert_eq!((mode(&data), mode(&data.join("kaiji.db"))), (0o700, 0o600));
    }
    // The log exports as JSON lines with its hashes (and the export is itself on record).
    let o = kaiji(
        dir.path(),
        &[],
        &["audit", "export", "--format", "jsonl"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let raw_export = String::from_utf8(o.stdout.clone()).unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every event with its leaf hash, then the trailer: the signed checkpoint that covers them.
    let (trailer, events) = lines.split_last().unwrap();
    assert!(
        events.len() > 3
            && events
                .iter()
                .all(|l| l["leaf_hash"].as_str().is_some_and(|h| h.len() == 44))
    );
    assert_eq!(events.last().unwrap()["action"], "audit.exported");
    assert_eq!(trailer["trailer"]["tree_size"], events.len());
    // The log's verifier key and its latest checkpoint, printed; pushed to a store kept elsewhere.
    let o = kaiji(dir.path(), &[], &["audit", "key"], None);
    let vkey = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        o.status.success() && vkey.trim().starts_with("127.0.0.1:8080/audit+"),
        "{}",
        text(&o)
    );
    // The export, kept outside, checks out against the key; changed or cut short, it does not.
    let export = dir.path().join("kept-export.jsonl");
    std::fs::write(&export, &raw_export).unwrap();
    let o = kaiji(
        dir.path(),
        &[],
        &[
            "audit",
            "verify-export",
            export.to_str().unwrap(),
            "--key",
            vkey.trim(),
        ],
        None,
    );
    succeeds_saying(&o, "leaves hash to the checkpoint's root");
    let whole = std::fs::read_to_string(&export).unwrap();
    let cut = whole[..whole.rfind("{\"trailer\"").unwrap()].to_owned();
    std::fs::write(&export, &cut).unwrap();
    let o = kaiji(
        dir.path(),
        &[],
        &["audit", "verify-export", export.to_str().unwrap()],
        None,
    );
    fails_saying(&o, "no trailer");
    std::fs::write(
        &export,
        whole.replacen("audit.exported", "audit.exporteD", 1),
    )
    .unwrap();
    let o = kaiji(
        dir.path(),
        &[],
        &["audit", "verify-export", export.to_str().unwrap()],
        None,
    );
    fails_saying(&o, "the export was changed");
    let o = kaiji(dir.path(), &[], &["audit", "checkpoint"], None);
    let note = String::from_utf8(o.stdout.clone()).unwrap();
    let cp = kaiji::domain::tlog::open_checkpoint(note.as_bytes(), vkey.trim()).expect("signed");
    assert_eq!(cp.size as usize, events.len());
    let store = dir.path().join("kept");
    let o = kaiji(
        dir.path(),
        &[],
        &["audit", "checkpoint", "--push", store.to_str().unwrap()],
        None,
    );
    succeeds_saying(&o, "pushed the checkpoint");
    let o = kaiji(
        dir.path(),
        &[],
        &["audit", "export", "--from", "someday"],
        None,
    );
    fails_saying(&o, "dates like");
    // The audit log checks out, against the store too; change one event behind the database's back
    // and it is named.
    let o = kaiji(dir.path(), &[], &["audit", "verify"], None);
    succeeds_saying(&o, "audit log intact");
    let o = kaiji(
        dir.path(),
        &[],
        &["audit", "verify", "--against", store.to_str().unwrap()],
        None,
    );
    succeeds_saying(&o, "the log extends it");
    {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        let mut c =
            diesel::SqliteConnection::establish(dir.path().join("data/kaiji.db").to_str().unwrap())
                .unwrap();
        c.batch_execute(
            "DROP TRIGGER audit_events_no_update; \
             UPDATE audit_events SET details = '{}' WHERE seq = 2;",
        )
        .unwrap();
    }
    let o = kaiji(dir.path(), &[], &["audit", "verify"], None);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("BROKEN at event 2") && text(&o).contains("details_mismatch"),
        "{}",
        text(&o)
    );
}

#[test]
fn migrate_seed_and_user_add_on_postgres() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let pg = PgDatabase::create(&admin);
    let dir = tempfile::tempdir().unwrap();
    migrate_seed_and_add_users(dir.path(), &[("DATABASE_URL", &pg.url)]);
    assert!(
        !dir.path().join("data/kaiji.db").exists(),
        "PostgreSQL selected, no SQLite file"
    );
}

#[test]
fn workflow_check_names_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let o = kaiji(dir.path(), &[], &["workflow", "check"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("gdpr v{}", common::seed_version("gdpr")))
            && text(&o).contains(&format!("jp-postal v{}", common::seed_version("jp-postal"))),
        "{}",
        text(&o)
    );
    let broken = repo_path("tests/fixtures/workflows-broken");
    let o = kaiji(
        dir.path(),
        &[],
        &["workflow", "check", broken.to_str().unwrap()],
        None,
    );
    assert!(!o.status.success());
    let err = text(&o);
    assert!(
        err.contains("bad-target.toml:22: transition `finish` leads to undefined state `finished`"),
        "{err}"
    );
}

#[test]
fn changing_a_published_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("myseeds/workflows");
    std::fs::create_dir_all(&seeds).unwrap();
    for laws in ["calendars", "places", "regimes"] {
        common::copy_dir(
            &repo_path(&format!("seeds/{laws}")),
            &dir.path().join("myseeds").join(laws),
        );
    }
    let original = std::fs::read_to_string(repo_path("seeds/workflows/gdpr.toml")).unwrap();
    std::fs::write(seeds.join("gdpr.toml"), &original).unwrap();
    let env = [("KAIJI_SEEDS_DIR", "myseeds")];
    let o = kaiji(dir.path(), &env, &["seed"], None);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(
        seeds.join("gdpr.toml"),
        original.replace("Send the answer", "Answer"),
    )
    .unwrap();
    let o = kaiji(dir.path(), &env, &["seed"], None);
    assert!(!o.status.success());
    assert!(
        text(&o).contains(&format!(
            "already published with different content; publish the change as version {}",
            common::seed_version("gdpr") + 1
        )),
        "{}",
        text(&o)
    );
    // As the next version it publishes, beside the one before.
    std::fs::write(
        seeds.join("gdpr.toml"),
        common::next_version(&original.replace("Send the answer", "Answer")).0,
    )
    .unwrap();
    let o = kaiji(dir.path(), &env, &["seed"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = kaiji(dir.path(), &env, &["workflow", "list"], None);
    assert!(
        text(&o).contains(&format!("gdpr  v{}", common::seed_version("gdpr")))
            && text(&o).contains(&format!("gdpr  v{}", common::seed_version("gdpr") + 1)),
        "{}",
        text(&o)
    );
}

/// The README's first command, as a process: serves the form with SQLite under ./data, seeds loaded,
/// prints the first-admin link, and generates its keys with mode 0600.
#[test]
fn serve_starts_on_a_fresh_directory() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = kaiji_command(dir.path())
        .args(["serve", "--bind", &bind])
        .env("KAIJI_LOG_FORMAT", "json")
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ready = rt.block_on(async {
        let client = common::http_client();
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("http://{bind}/readyz")).send().await
                && r.status() == 200
            {
                let form = client
                    .get(format!("http://{bind}/"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                return Some(form);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    });
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let form = ready.unwrap_or_else(|| panic!("never ready: {stdout}{stderr}"));
    assert!(form.contains("name=\"request_type\""));
    assert!(
        stdout.contains(&format!("http://{bind}/setup/")),
        "{stdout}"
    );
    assert!(dir.path().join("data/kaiji.db").exists());
    // The start is on record with the effective settings (secrets masked).
    let o = kaiji(
        dir.path(),
        &[],
        &["audit", "export", "--format", "jsonl"],
        None,
    );
    let started = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.contains("system.started"))
        .expect("the start is audited")
        .to_owned();
    assert!(
        started.contains("settings_sha256") && started.contains("KAIJI_SESSION_KEY"),
        "{started}"
    );
    #[cfg(unix)]
    for key in ["session.key", "document.key"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data").join(key))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{key}");
    }
    // JSON logs, one object per line, with request ids and no tokens or paths with secrets.
    let log_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert!(
        log_lines
            .iter()
            .any(|l| l.contains("\"route\":\"/readyz\"") && l.contains("request_id")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("/setup/"),
        "the setup link is printed to the console, never logged"
    );
}

#[test]
fn workflow_graph_draws_dot_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let o = kaiji(dir.path(), &[], &["workflow", "graph", "gdpr"], None);
    assert!(o.status.success(), "{}", text(&o));
    let dot = String::from_utf8_lossy(&o.stdout);
    assert!(dot.starts_with("digraph \"gdpr\""), "{dot}");
    assert!(dot.contains("\"in_progress\" -> \"answered\" [label=\"answer\"]"));
    let o = kaiji(
        dir.path(),
        &[],
        &[
            "workflow",
            "graph",
            "jp-postal",
            "--format",
            "svg",
            "--lang",
            "ja",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let svg = String::from_utf8_lossy(&o.stdout);
    assert!(
        svg.contains("<svg") && svg.contains("本人確認済み"),
        "{svg}"
    );
    let o = kaiji(dir.path(), &[], &["workflow", "graph", "nope"], None);
    fails_saying(&o, "no workflow `nope`");
}

#[test]
fn api_tokens_are_shown_once_stored_hashed_and_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let o = user_add(
        dir.path(),
        &[],
        "bot@example.com",
        "officer",
        "correct horse battery staple",
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = kaiji(
        dir.path(),
        &[],
        &[
            "token",
            "create",
            "--email",
            "bot@example.com",
            "--label",
            "nightly export",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    assert_eq!(token.len(), 43, "only the token on stdout: {token}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("shown only now"));

    let db = kaiji::db::Db::open(
        &kaiji::config::DatabaseUrl::Sqlite(dir.path().join("data/kaiji.db")),
        1,
    )
    .unwrap();
    let rows = kaiji::db::staff::list_api_tokens(&mut db.conn().unwrap(), None).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].token_sha256,
        kaiji::security::tokens::digest(&token)
    );
    assert_ne!(rows[0].token_sha256, token);
    let now = chrono::Utc::now().naive_utc();
    assert!(
        kaiji::db::staff::use_api_token(&mut db.conn().unwrap(), &rows[0].token_sha256, now)
            .unwrap()
            .is_some()
    );

    let o = kaiji(dir.path(), &[], &["token", "list"], None);
    let listed = text(&o);
    assert!(
        listed.contains("bot@example.com")
            && listed.contains("nightly export")
            && listed.contains("active")
    );
    assert!(!listed.contains(&token), "list never shows the token");
    let o = kaiji(dir.path(), &[], &["token", "revoke", &rows[0].id], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        kaiji::db::staff::use_api_token(&mut db.conn().unwrap(), &rows[0].token_sha256, now)
            .unwrap()
            .is_none()
    );
    assert!(text(&kaiji(dir.path(), &[], &["token", "list"], None)).contains("revoked"));
    let o = kaiji(dir.path(), &[], &["token", "revoke", &rows[0].id], None);
    fails_saying(&o, "no active token");
    let o = kaiji(
        dir.path(),
        &[],
        &["token", "create", "--email", "nobody@example.com"],
        None,
    );
    fails_saying(&o, "no active staff account");
}

/// `kaiji dev synth` loads requests under the published workflows with their audit events integrated
/// into the tree: the log verifies, and open requests carry a deadline for the queue.
#[test]
fn dev_synth_loads_requests_with_a_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let o = kaiji(
        dir.path(),
        &[],
        &[
            "dev",
            "synth",
            "--requests",
            "2500",
            "--events-per-request",
            "2",
        ],
        None,
    );
    succeeds_saying(&o, "loaded 2500 request(s) with 5000 audit event(s)");
    let o = kaiji(dir.path(), &[], &["audit", "verify"], None);
    succeeds_saying(&o, "audit log intact");
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c =
        diesel::SqliteConnection::establish(dir.path().join("data/kaiji.db").to_str().unwrap())
            .unwrap();
    let count = |sql: &str, c: &mut diesel::SqliteConnection| {
        diesel::sql_query(sql).get_result::<N>(c).unwrap().n
    };
    assert_eq!(count("SELECT COUNT(*) AS n FROM requests", &mut c), 2500);
    let open = count(
        "SELECT COUNT(*) AS n FROM requests WHERE closed_at IS NULL",
        &mut c,
    );
    assert!(open > 0 && open < 2500, "{open}");
    assert_eq!(
        count(
            "SELECT COUNT(*) AS n FROM requests WHERE closed_at IS NULL AND queue_due = '9999-12-31'",
            &mut c
        ),
        0
    );
}

/// `kaiji drp`: an agent registered from its directory entry file (a bad entry refused, nothing
/// written), listed with its callback hosts, removed; the business's directory entry printed only once
/// the business has a DRP id. The commands call the use cases the API calls (tested on both backends in
/// `drp.rs`); here, on SQLite, the command line itself.
#[test]
fn drp_agents_are_managed_and_the_business_entry_printed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let entry = dir.path().join("agent.json");
    std::fs::write(
        &entry,
        r#"{"id": "CR_AA_CLI-01", "name": "CLI agent",
            "verify_key": "9wFJDq/DmuEUgj3BO3VEY8LgAQ3QtOHH4K6TIlOSpr0=",
            "business_contact": "desk@agent.example"}"#,
    )
    .unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"id": "x", "name": "X", "verify_key": "AAAA"}"#).unwrap();
    let out = kaiji(dir.path(), &[], &["drp", "agent", "add", "bad.json"], None);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid_verify_key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kaiji(
        dir.path(),
        &[],
        &[
            "drp",
            "agent",
            "add",
            "agent.json",
            "--callback-host",
            "api.agent.example",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = kaiji(dir.path(), &[], &["drp", "agent", "list"], None);
    let text = String::from_utf8_lossy(&list.stdout).to_string();
    assert_eq!(
        text.lines().count(),
        1,
        "the bad entry wrote nothing: {text}"
    );
    assert!(
        text.contains("CR_AA_CLI-01")
            && text.contains("active")
            && text.contains("api.agent.example")
    );
    let out = kaiji(
        dir.path(),
        &[],
        &["drp", "agent", "remove", "CR_AA_CLI-01"],
        None,
    );
    assert!(out.status.success());
    let list = kaiji(dir.path(), &[], &["drp", "agent", "list"], None);
    assert!(String::from_utf8_lossy(&list.stdout).contains("removed"));
    // Without a DRP id there is no entry to print; with one, the entry names the served actions.
    let out = kaiji(dir.path(), &[], &["drp", "business-entry"], None);
    assert!(!out.status.success());
    let out = kaiji(
        dir.path(),
        &[
            ("KAIJI_DRP_BUSINESS_ID", "kaiji-cb-01"),
            ("KAIJI_PUBLIC_URL", "https://privacy.example.com"),
        ],
        &["drp", "business-entry"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["id"], "kaiji-cb-01");
    assert_eq!(v["api_base"], "https://privacy.example.com");
    let actions: Vec<&str> = v["supported_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"sale:opt-out") && actions.contains(&"deletion"),
        "{actions:?}"
    );
}

/// The first command on a fresh data directory prints no error (the pool's connections used to race to
/// switch a new SQLite file to write-ahead logging, and r2d2 logged "database is locked").
#[test]
fn a_fresh_directory_s_first_command_prints_no_error() {
    for args in [
        &["audit", "verify"][..],
        &["migrate"],
        &["user", "list"],
        &["drp", "agent", "list"],
        &["audit", "verify"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = kaiji(dir.path(), &[], args, None);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "kaiji {args:?}: {err}");
        assert!(
            !err.contains("ERROR") && !err.contains("locked"),
            "kaiji {args:?} on a fresh directory: {err}"
        );
    }
}

/// Every instance must hold the same keys: the first records its key set (ids only, and the audit
/// key's public half), and one started with another key refuses to start, naming the setting.
#[test]
fn an_instance_with_other_keys_refuses_to_start() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let o = kaiji(dir.path(), &[], &["worker", "--once"], None);
    assert!(o.status.success(), "{}", text(&o));
    let other = |n: usize| {
        base64::engine::general_purpose::STANDARD
            .encode(&kaiji::security::tokens::random_bytes::<64>()[..n])
    };
    for (setting, key) in [
        ("KAIJI_SESSION_KEY", other(64)),
        ("KAIJI_DOCUMENT_KEY", other(32)),
        ("KAIJI_AUDIT_KEY", other(32)),
    ] {
        let o = kaiji(dir.path(), &[(setting, &key)], &["worker", "--once"], None);
        let out = text(&o);
        assert!(!o.status.success(), "{setting}: {out}");
        assert!(
            out.contains(&format!("{setting} differs from the")),
            "{setting}: {out}"
        );
        assert!(!out.contains(&key), "the key itself is never printed");
    }
    // The same keys given as settings instead of files are the same key set.
    let file = |name: &str| {
        std::fs::read_to_string(dir.path().join("data").join(name))
            .unwrap()
            .trim()
            .to_owned()
    };
    let (session, document) = (file("session.key"), file("document.key"));
    let o = kaiji(
        dir.path(),
        &[
            ("KAIJI_SESSION_KEY", &session),
            ("KAIJI_DOCUMENT_KEY", &document),
        ],
        &["worker", "--once"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    // After a leak, the operator adopts a new session key (audited); the old one then refuses.
    let new = other(64);
    let with_new = [("KAIJI_SESSION_KEY", new.as_str())];
    let o = kaiji(dir.path(), &with_new, &["keys", "adopt", "session"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = kaiji(dir.path(), &with_new, &["worker", "--once"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = kaiji(dir.path(), &[], &["worker", "--once"], None);
    assert!(
        text(&o).contains("KAIJI_SESSION_KEY differs from the"),
        "{}",
        text(&o)
    );
    let o = kaiji(dir.path(), &with_new, &["keys", "list"], None);
    let listed = text(&o);
    assert_eq!(
        listed.lines().filter(|l| l.starts_with("session")).count(),
        2,
        "{listed}"
    );
    assert!(
        listed.contains("retired") && listed.contains("(this instance signs with it)"),
        "{listed}"
    );
    assert!(!listed.contains(&new) && !listed.contains(&session));
    let o = kaiji(
        dir.path(),
        &with_new,
        &["audit", "export", "--format", "jsonl"],
        None,
    );
    assert!(text(&o).contains("key.adopted"), "the adoption is audited");
}

/// `kaiji keys` as an operator rotates on one machine: a new session and document key generated
/// into the key files, the old ones kept verify-only; sealed content re-encrypted; the old document
/// key retired and gone from its file; every step audited; an instance left with the old session key
/// alone refuses to start. On both backends.
fn keys_rotate_from_the_command_line(dir: &Path, env: &[(&str, &str)]) {
    use base64::Engine;
    succeeds_saying(&kaiji(dir, env, &["worker", "--once"], None), "sent");
    // Requests filed before the rotation: their tracking links came from the first session key.
    let synth = kaiji(
        dir,
        env,
        &[
            "dev",
            "synth",
            "--requests",
            "3",
            "--events-per-request",
            "1",
        ],
        None,
    );
    assert!(synth.status.success(), "{}", text(&synth));
    let generated = kaiji(dir, env, &["keys", "generate", "session"], None);
    assert!(generated.status.success(), "{}", text(&generated));
    let key = String::from_utf8_lossy(&generated.stdout).trim().to_owned();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&key)
            .unwrap()
            .len(),
        64
    );
    let old_session = std::fs::read_to_string(dir.join("data/session.key")).unwrap();
    let id_of = |listed: &str, kind: &str, status: &str| -> String {
        listed
            .lines()
            .find(|l| l.starts_with(kind) && l.contains(status))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_else(|| panic!("a {status} {kind} key in {listed}"))
            .to_owned()
    };
    let listed = text(&kaiji(dir, env, &["keys", "list"], None));
    let (first_session, first_document) = (
        id_of(&listed, "session", "active"),
        id_of(&listed, "document", "active"),
    );
    for kind in ["session", "document"] {
        succeeds_saying(
            &kaiji(dir, env, &["keys", "rotate", kind], None),
            "signs from now on",
        );
        let ring = std::fs::read_to_string(dir.join(format!("data/{kind}.key"))).unwrap();
        assert_eq!(
            ring.lines().count(),
            2,
            "{kind}: the new key first, the old after"
        );
    }
    succeeds_saying(&kaiji(dir, env, &["worker", "--once"], None), "sent");
    succeeds_saying(
        &kaiji(dir, env, &["keys", "reencrypt"], None),
        "sealed again under the document key",
    );
    fails_saying(
        &kaiji(
            dir,
            env,
            &["keys", "retire", "session", &first_session],
            None,
        ),
        "3 request(s) still kept carry tracking links derived with it",
    );
    succeeds_saying(
        &kaiji(
            dir,
            env,
            &["keys", "retire", "document", &first_document],
            None,
        ),
        "is retired",
    );
    let ring = std::fs::read_to_string(dir.join("data/document.key")).unwrap();
    assert_eq!(ring.lines().count(), 1, "the retired key left the file");
    let listed = text(&kaiji(dir, env, &["keys", "list"], None));
    assert_eq!(id_of(&listed, "session", "verify_only"), first_session);
    assert_eq!(id_of(&listed, "document", "retired"), first_document);
    assert!(listed.contains("(this instance holds it)"), "{listed}");
    assert!(
        !listed.contains(old_session.trim()),
        "keys are never printed"
    );
    let mut old = env.to_vec();
    old.push(("KAIJI_SESSION_KEY", old_session.trim()));
    fails_saying(
        &kaiji(dir, &old, &["worker", "--once"], None),
        "which was rotated out",
    );
    // The audit key: the next worker run signs a checkpoint with both keys and hands the log over;
    // the log verifies, and the old key then retires.
    let old_vkey = text(&kaiji(dir, env, &["audit", "key"], None));
    let first_audit = id_of(&listed, "audit", "active");
    succeeds_saying(
        &kaiji(dir, env, &["keys", "rotate", "audit"], None),
        "signs from now on",
    );
    fails_saying(
        &kaiji(dir, env, &["keys", "retire", "audit", &first_audit], None),
        "the audit log still names it",
    );
    succeeds_saying(&kaiji(dir, env, &["worker", "--once"], None), "sent");
    let new_vkey = text(&kaiji(dir, env, &["audit", "key"], None));
    assert_ne!(old_vkey, new_vkey);
    succeeds_saying(&kaiji(dir, env, &["audit", "verify"], None), "intact");
    succeeds_saying(
        &kaiji(dir, env, &["keys", "retire", "audit", &first_audit], None),
        "is retired",
    );
    succeeds_saying(&kaiji(dir, env, &["worker", "--once"], None), "sent");
    let log = text(&kaiji(
        dir,
        env,
        &["audit", "export", "--format", "jsonl"],
        None,
    ));
    for action in ["key.rotated", "key.reencrypted", "key.retired"] {
        assert!(log.contains(action), "{action} audited");
    }
}

#[test]
fn keys_rotate_from_the_command_line_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    keys_rotate_from_the_command_line(dir.path(), &[]);
}

#[test]
fn keys_rotate_from_the_command_line_on_postgres() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let pg = PgDatabase::create(&admin);
    let dir = tempfile::tempdir().unwrap();
    keys_rotate_from_the_command_line(dir.path(), &[("DATABASE_URL", &pg.url)]);
}
