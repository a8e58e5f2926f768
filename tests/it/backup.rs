//! The backup drill (issue 22), with the real binary on both backends: back up while requests are
//! being written, restore into a fresh data directory or database, and prove the restore whole. The
//! restored log goes on under a new name whose first leaf records the restore; a checkpoint signed
//! before the backup still checks against it, and one signed after it is named as lost.

use std::path::Path;

use kaiji::config::DatabaseUrl;
use kaiji::security::keys::{KeyKind, RecordedKeyStatus};

use crate::cli::{fails_saying, kaiji, succeeds_saying, text};
use crate::common::{self, PgDatabase, postgres_admin_url};

/// The latest checkpoint, as an auditor keeps it (`kaiji audit checkpoint`), in a file.
fn keep_checkpoint(dir: &Path, env: &[(&str, &str)], file: &Path) -> u64 {
    let o = kaiji(dir, env, &["audit", "checkpoint"], None);
    assert!(o.status.success(), "{}", text(&o));
    let note = String::from_utf8_lossy(&o.stdout).into_owned();
    std::fs::write(file, &note).unwrap();
    note.lines().nth(1).unwrap().parse().unwrap()
}

/// The requests the log's events name.
fn count_requests(dir: &Path, env: &[(&str, &str)]) -> usize {
    let o = kaiji(dir, env, &["audit", "export", "--format", "jsonl"], None);
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["request_id"].as_str().map(str::to_owned))
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// `kaiji COMMAND DIR --keys KEYS` (backup or restore).
fn with_keys(
    dir: &Path,
    env: &[(&str, &str)],
    command: &str,
    from: &Path,
    keys: &Path,
) -> std::process::Output {
    kaiji(
        dir,
        env,
        &[
            command,
            from.to_str().unwrap(),
            "--keys",
            keys.to_str().unwrap(),
        ],
        None,
    )
}

fn drill(origin: &Path, restored: &Path, env: &[(&str, &str)], restored_env: &[(&str, &str)]) {
    let work = tempfile::tempdir().unwrap();
    let (backup, keys) = (work.path().join("backup"), work.path().join("keys"));
    let synth = |n: &str| {
        kaiji(
            origin,
            env,
            &["dev", "synth", "--requests", n, "--events-per-request", "2"],
            None,
        )
    };
    assert!(synth("40").status.success());
    succeeds_saying(&kaiji(origin, env, &["worker", "--once"], None), "sent");
    let before = work.path().join("before.txt");
    let before_size = keep_checkpoint(origin, env, &before);

    // Backing up refuses to put the keys beside the backup, and a directory already in use.
    fails_saying(
        &with_keys(origin, env, "backup", &backup, &backup.join("keys")),
        "the keys must go elsewhere than the backup",
    );
    // Under load: requests are written while the copy is made.
    let writer = {
        let (origin, env) = (
            origin.to_owned(),
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        );
        std::thread::spawn(move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            kaiji(
                &origin,
                &env,
                &[
                    "dev",
                    "synth",
                    "--requests",
                    "300",
                    "--events-per-request",
                    "2",
                ],
                None,
            )
        })
    };
    let made = with_keys(origin, env, "backup", &backup, &keys);
    succeeds_saying(&made, "backed up the");
    assert!(writer.join().unwrap().status.success());
    fails_saying(
        &kaiji(origin, env, &["backup", backup.to_str().unwrap()], None),
        "is not empty",
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["checkpoint"]["size"].as_u64().unwrap() >= before_size);
    assert!(
        !std::fs::read_dir(&backup).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".key")),
        "no key in the backup"
    );
    // The original goes on after the backup; an auditor keeps a checkpoint of that too.
    succeeds_saying(&kaiji(origin, env, &["worker", "--once"], None), "sent");
    let after = work.path().join("after.txt");
    let after_size = keep_checkpoint(origin, env, &after);
    assert!(after_size > before_size);

    // A damaged backup is refused.
    let damaged = work.path().join("damaged");
    common::copy_dir(&backup, &damaged);
    let file = damaged.join(manifest["database_file"].as_str().unwrap());
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    fails_saying(
        &with_keys(restored, restored_env, "restore", &damaged, &keys),
        "does not match its manifest",
    );

    // A manifest naming a file outside the backup is not a backup's.
    let forged = work.path().join("forged");
    common::copy_dir(&backup, &forged);
    let mut m = manifest.clone();
    m["database_file"] = "../backup/kaiji.db".into();
    std::fs::write(forged.join("manifest.json"), m.to_string()).unwrap();
    fails_saying(
        &with_keys(restored, restored_env, "restore", &forged, &keys),
        "holds no kaiji backup",
    );

    // The restore, into a fresh data directory (or empty database).
    let r = with_keys(restored, restored_env, "restore", &backup, &keys);
    succeeds_saying(&r, "the audit log goes on under a new name");
    assert!(text(&r).contains("audit log intact"), "{}", text(&r));
    fails_saying(
        &with_keys(restored, restored_env, "restore", &backup, &keys),
        "not empty",
    );
    // Whole: every request the backup's checkpoint covered is there, the log verifies, the
    // checkpoint kept before the backup checks against it, the one kept after is named as lost.
    let requests = count_requests(restored, restored_env);
    assert!(
        (40..=340).contains(&requests) && requests < count_requests(origin, env) + 1,
        "{requests}"
    );
    succeeds_saying(
        &kaiji(
            restored,
            restored_env,
            &["audit", "verify", "--against", before.to_str().unwrap()],
            None,
        ),
        "the log extends it",
    );
    let lost = kaiji(
        restored,
        restored_env,
        &["audit", "verify", "--against", after.to_str().unwrap()],
        None,
    );
    assert!(!lost.status.success(), "{}", text(&lost));
    let said = text(&lost);
    assert!(
        said.contains("LOST IN A RESTORE")
            && said.contains(&format!("to {after_size} are not in this log")),
        "{said}"
    );
    // The restored instance goes on: it serves, files, signs under the new name, and verifies.
    succeeds_saying(
        &kaiji(restored, restored_env, &["worker", "--once"], None),
        "sent",
    );
    assert!(
        kaiji(
            restored,
            restored_env,
            &[
                "dev",
                "synth",
                "--requests",
                "3",
                "--events-per-request",
                "1"
            ],
            None
        )
        .status
        .success()
    );
    succeeds_saying(
        &kaiji(restored, restored_env, &["worker", "--once"], None),
        "sent",
    );
    succeeds_saying(
        &kaiji(restored, restored_env, &["audit", "verify"], None),
        "audit log intact",
    );
    let key = text(&kaiji(restored, restored_env, &["audit", "key"], None));
    assert!(key.contains("/restore-"), "the new name: {key}");
    let log = text(&kaiji(
        restored,
        restored_env,
        &["audit", "export", "--format", "jsonl"],
        None,
    ));
    assert!(
        log.contains("\"audit.restored\""),
        "the restore is the new epoch's first leaf"
    );
    let original = text(&kaiji(
        origin,
        env,
        &["audit", "export", "--format", "jsonl"],
        None,
    ));
    assert!(
        original.contains("\"backup.made\""),
        "the backup is audited where it was made"
    );
    // Keys: the same set (ids) as the original's.
    let listed = |dir: &Path, env: &[(&str, &str)]| {
        let mut ids: Vec<String> = text(&kaiji(dir, env, &["keys", "list"], None))
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(listed(origin, env), listed(restored, restored_env));
    adopting_an_audit_key_after_the_restore(restored, restored_env, key.trim());
}

/// After a leak the operator adopts a new audit key on the restored instance: its public half is
/// recorded under the name the log goes on under (the restore's), not the configured one, so a later
/// `keys retire` still knows whether the log names it.
fn adopting_an_audit_key_after_the_restore(dir: &Path, env: &[(&str, &str)], log_key: &str) {
    use base64::Engine;
    let seed = kaiji::security::tokens::random_bytes::<32>();
    let new_key = base64::engine::general_purpose::STANDARD.encode(seed);
    let mut adopting = env.to_vec();
    adopting.push(("KAIJI_AUDIT_KEY", &new_key));
    succeeds_saying(
        &kaiji(dir, &adopting, &["keys", "adopt", "audit"], None),
        "is now the key set's",
    );
    let (log_name, _) = log_key
        .split_once('+')
        .expect("a verifier key: name+id+key");
    let expected = kaiji::domain::tlog::LogKey::new(log_name, &seed)
        .unwrap()
        .verifier_key();
    let url = match env.iter().find(|(k, _)| *k == "DATABASE_URL") {
        Some((_, url)) => DatabaseUrl::parse(url).unwrap(),
        None => DatabaseUrl::Sqlite(dir.join("data/kaiji.db")),
    };
    let db = kaiji::db::Db::open(&url, 1).unwrap();
    let recorded = kaiji::db::service_keys::all(&mut db.conn().unwrap()).unwrap();
    let active = recorded
        .iter()
        .find(|r| r.kind == KeyKind::Audit && r.status == RecordedKeyStatus::Active)
        .expect("the adopted audit key is active");
    assert_eq!(active.public_half.as_deref(), Some(expected.as_str()));
}

#[test]
fn backup_drill_on_sqlite() {
    let (origin, restored) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drill(origin.path(), restored.path(), &[], &[]);
}

#[test]
fn backup_drill_on_postgres() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let (a, b) = (PgDatabase::create(&admin), PgDatabase::create(&admin));
    let (origin, restored) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drill(
        origin.path(),
        restored.path(),
        &[("DATABASE_URL", &a.url)],
        &[("DATABASE_URL", &b.url)],
    );
}
