//! What the audit log proves outside kaiji (issue 14), on both backends: exports that end with the
//! signed checkpoint covering them and recompute to its root; inclusion and consistency proofs and
//! evidence packs over the API, checked here and handed, as files and unmodified, to Go's
//! `golang.org/x/mod/sumdb/note` and `sumdb/tlog` (tests/go/tlogcheck); a store of checkpoints kept
//! outside the database; a database upgraded from the hash chain, whose two eras both verify.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Backend, TestApp, api, field_code};
use diesel::connection::SimpleConnection;
use kaiji::domain::code::Code;
use kaiji::domain::staff::Role;
use kaiji::domain::tlog::{Frontier, from_base64, leaf_hash, open_checkpoint, to_base64};
use serde_json::{Value, json};

both_backends!(
    exports_end_with_the_checkpoint_that_covers_them_and_recompute_to_its_root,
    proofs_and_evidence_packs_check_here_and_in_go,
    the_checkpoint_store_takes_each_new_checkpoint_once_and_refuses_a_rewrite,
    two_hundred_thousand_events_export_and_recompute_to_the_signed_root,
    a_change_deep_in_a_long_log_is_named_and_verify_reads_one_snapshot,
);

async fn file(app: &TestApp, i: usize, name: &str) -> String {
    common::file_id(
        app,
        json!({"name": name, "email": format!("p{i}@example.jp"), "language": "ja"}),
    )
    .await
}

async fn get(auditor: &common::Api, path: &str) -> (u16, String, String) {
    let res = common::http_client()
        .get(format!("{}{path}", auditor.base))
        .bearer_auth(&auditor.token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

/// The leaf data an exported tree-era event stands for, recomputed from its fields.
fn leaf_of(e: &Value) -> Vec<u8> {
    let s = |k: &str| e[k].as_str();
    kaiji::domain::audit::LeafEvent {
        seq: e["seq"].as_i64().unwrap(),
        id: s("id").unwrap(),
        occurred_at: s("occurred_at").unwrap().to_owned(),
        action: s("action").unwrap(),
        actor_kind: s("actor_kind").unwrap(),
        actor_id: s("actor_id"),
        request_id: s("request_id"),
        from_state: s("from_state"),
        to_state: s("to_state"),
        details_sha256: s("details_sha256").unwrap(),
    }
    .leaf_data()
}

/// Checks a JSON-lines export whole: each event's details against its salted digest, its leaf hash
/// against its fields, the tree rebuilt from the leaves against the trailer's signed checkpoint.
/// Returns the number of events.
fn check_jsonl_export(body: &str, verifier_key: &str) -> usize {
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (trailer, events) = lines.split_last().expect("a trailer");
    let trailer = &trailer["trailer"];
    let cp = open_checkpoint(
        trailer["checkpoint"].as_str().unwrap().as_bytes(),
        verifier_key,
    )
    .expect("the trailer's checkpoint is signed by the log's key");
    assert_eq!(cp.size, trailer["tree_size"].as_u64().unwrap());
    assert_eq!(to_base64(&cp.root), trailer["root_hash"].as_str().unwrap());
    assert_eq!(trailer["events_exported"], events.len());
    let mut tree = Frontier::default();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"].as_u64(), Some(i as u64 + 1), "in log order");
        let salt = kaiji::domain::audit::parse_salt(e["details_salt"].as_str().unwrap()).unwrap();
        assert_eq!(
            kaiji::domain::audit::salted_details_digest(&salt, e["details"].as_str().unwrap()),
            e["details_sha256"].as_str().unwrap()
        );
        let leaf = leaf_hash(&leaf_of(e));
        assert_eq!(to_base64(&leaf), e["leaf_hash"].as_str().unwrap());
        tree.push(leaf);
    }
    assert_eq!(
        tree.size(),
        cp.size,
        "the trailer covers exactly the export"
    );
    assert_eq!(
        tree.root(),
        cp.root,
        "the export recomputes to the signed root"
    );
    events.len()
}

async fn exports_end_with_the_checkpoint_that_covers_them_and_recompute_to_its_root(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let id = file(&app, 0, "山田 花子").await;
    app.confirm_email(&id).await;
    let v = officer.version(&id).await;
    // A reason with Japanese text, a comma, quotes and a line break: CSV must carry it whole.
    let reason = "本人確認書類が不鮮明です。\n再度\"鮮明な\"写しを、お送りください";
    let (status, _) = officer
        .event(
            &id,
            "refuse",
            v,
            json!({"reason": reason, "ground": "manifestly_unfounded_or_excessive"}),
        )
        .await;
    assert_eq!(status, 200);
    // No sequencer runs in the test server: the export integrates what waits, its own record too.
    let (status, ct, body) = get(&auditor, "/api/v1/audit/export?format=csv").await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"));
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "seq",
            "id",
            "occurred_at",
            "action",
            "actor_kind",
            "actor_id",
            "request_id",
            "from_state",
            "to_state",
            "details",
            "details_salt",
            "details_sha256",
            "redacted_at",
            "prev_hash",
            "hash",
            "leaf_hash"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let (trailer, events) = rows.split_last().unwrap();
    assert_eq!(&trailer[0], "#kaiji-trailer");
    let report = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(report["intact"], true, "{report}");
    let vkey = report["verifier_key"].as_str().unwrap().to_owned();
    let cp = open_checkpoint(trailer[3].as_bytes(), &vkey).unwrap();
    assert_eq!(cp.size.to_string(), trailer[1]);
    assert_eq!(to_base64(&cp.root), trailer[2]);
    assert_eq!(&trailer[4], vkey.as_str());
    assert_eq!(
        events.len() as u64,
        cp.size,
        "every event, the export's own record included"
    );
    assert!(events.iter().any(|r| &r[3] == "audit.exported"));
    let refused = events
        .iter()
        .find(|r| r[3] == *"request.transitioned" && r[9].contains("本人確認"))
        .expect("the refusal");
    assert!(
        refused[9].contains("本人確認書類が不鮮明です。\\n再度"),
        "{}",
        &refused[9]
    );
    let mut tree = Frontier::default();
    for r in events {
        tree.push(from_base64(&r[15]).unwrap());
    }
    assert_eq!(tree.root(), cp.root);
    // The trailer counts and hashes the rows before it, as `kaiji audit verify-export` checks.
    use kaiji::app::audit_export_check::verify_export;
    let check = verify_export(body.as_bytes(), Some(&vkey)).expect("the CSV export checks out");
    assert_eq!(check.events, events.len() as u64);
    assert!(check.root_recomputed && check.key_given);
    assert!(
        verify_export(
            body.replacen("本人確認", "本人確認 ", 1).as_bytes(),
            Some(&vkey)
        )
        .unwrap_err()
        .contains("changed")
    );

    // JSON lines, whole: every digest, leaf and the root recomputed.
    let (status, ct, all) = get(&auditor, "/api/v1/audit/export?format=jsonl").await;
    assert_eq!((status, ct.as_str()), (200, "application/x-ndjson"));
    assert!(check_jsonl_export(&all, &vkey) > 8);
    assert!(
        verify_export(all.as_bytes(), Some(&vkey))
            .unwrap()
            .root_recomputed
    );
    // Filtered to one request: the trailer still covers its last event.
    let (_, _, one) = get(
        &auditor,
        &format!("/api/v1/audit/export?format=jsonl&request={id}"),
    )
    .await;
    let lines: Vec<Value> = one
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let filtered =
        verify_export(one.as_bytes(), Some(&vkey)).expect("a filtered export checks out");
    assert!(
        !filtered.root_recomputed,
        "a filtered export has not every leaf"
    );
    let (t, events) = lines.split_last().unwrap();
    assert!(events.len() >= 4);
    assert!(events.iter().all(|l| l["request_id"] == id.as_str()));
    assert!(
        t["trailer"]["tree_size"].as_i64().unwrap()
            >= events.last().unwrap()["seq"].as_i64().unwrap()
    );
    let details: Value = serde_json::from_str(
        events
            .iter()
            .find(|l| {
                l["action"] == "request.transitioned"
                    && l["details"].as_str().unwrap().contains("refuse")
            })
            .unwrap()["details"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(details["data"]["reason"], reason);
    assert!(events.iter().any(|l| l["action"] == "request.closed"));
    // Dates filter (the trailer stays); bad input is a field error; officers are refused.
    let (_, _, body) = get(&auditor, "/api/v1/audit/export?format=jsonl&to=2000-01-01").await;
    assert_eq!(body.lines().count(), 1, "{body}");
    assert!(body.starts_with("{\"trailer\""));
    let (status, _, body) = get(&auditor, "/api/v1/audit/export?format=xml&from=yesterday").await;
    assert_eq!(status, 422);
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(field_code(&err, "format"), Some("unknown_format"));
    assert_eq!(field_code(&err, "from"), Some("invalid_date"));
    let res = common::http_client()
        .get(format!("{}/api/v1/audit/export", app.base))
        .bearer_auth(&officer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let exports = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "audit.exported")
        .count();
    assert_eq!(exports, 4, "each export is on record");
}

/// A JSON array of base64 hashes.
fn hashes(list: &Value) -> Vec<kaiji::domain::tlog::Hash> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|h| from_base64(h.as_str().unwrap()).unwrap())
        .collect()
}

/// Runs Go's verifier over a directory; None when Go is not installed (and the run is not strict).
fn go_check(dir: &std::path::Path) -> Option<(bool, String)> {
    let go = ["/usr/bin/go", "/usr/lib/go/bin/go"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(go) = go else {
        if common::strict() {
            panic!(
                "KAIJI_TEST_STRICT=1 but Go is missing: apt-get install golang-go golang-golang-x-mod-dev"
            );
        }
        common::say_not_run(
            "Go verifier",
            "apt-get install golang-go golang-golang-x-mod-dev",
        );
        return None;
    };
    let out = std::process::Command::new(go)
        .args([
            "run",
            &common::repo_path("tests/go/tlogcheck/main.go").to_string_lossy(),
            &dir.to_string_lossy(),
        ])
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env(
            "GOCACHE",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-cache"),
        )
        .env("GOFLAGS", "")
        .output()
        .expect("go runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if text.contains("cannot find package") {
        if common::strict() {
            panic!(
                "Go's golang.org/x/mod is missing: apt-get install golang-golang-x-mod-dev\n{text}"
            );
        }
        common::say_not_run("Go verifier", "apt-get install golang-golang-x-mod-dev");
        return None;
    }
    Some((out.status.success(), text))
}

async fn proofs_and_evidence_packs_check_here_and_in_go(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let id = file(&app, 0, "Pat").await;
    for i in 1..4 {
        file(&app, i, "Someone").await;
    }
    app.seal().await;
    let (status, _, body) = get(&auditor, "/api/v1/audit/checkpoint").await;
    assert_eq!(status, 200);
    let first: Value = serde_json::from_str(&body).unwrap();
    let vkey = first["verifier_key"].as_str().unwrap().to_owned();
    let cp1 = open_checkpoint(first["checkpoint"].as_str().unwrap().as_bytes(), &vkey).unwrap();
    assert_eq!(first["tree_size"].as_u64(), Some(cp1.size));
    // More happens: the request is refused (and closes), more requests come.
    app.confirm_email(&id).await;
    let v = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "refuse", v).await.0, 200);
    for i in 4..7 {
        file(&app, i, "Later").await;
    }
    // An event committed but not yet integrated has no proof yet: 409, try again shortly.
    let waiting = kaiji::db::audit::pending(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let (status, _, body) = get(
        &auditor,
        &format!("/api/v1/audit/proof/inclusion?event={waiting}"),
    )
    .await;
    assert_eq!(
        (
            status,
            serde_json::from_str::<Value>(&body).unwrap()["error"]["code"].as_str()
        ),
        (409, Some("not_yet_integrated"))
    );
    app.seal().await;
    let latest: Value =
        serde_json::from_str(&get(&auditor, "/api/v1/audit/checkpoint").await.2).unwrap();
    let cp2 = open_checkpoint(latest["checkpoint"].as_str().unwrap().as_bytes(), &vkey).unwrap();
    assert!(cp2.size > cp1.size);
    // An inclusion proof for an early event, against the latest checkpoint: checked here.
    let received = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap()[0].clone();
    let (status, _, body) = get(
        &auditor,
        &format!("/api/v1/audit/proof/inclusion?event={}", received.id),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let inclusion: Value = serde_json::from_str(&body).unwrap();
    let path = hashes(&inclusion["audit_path"]);
    let data = B64
        .decode(inclusion["leaf_data"].as_str().unwrap())
        .unwrap();
    let index = inclusion["leaf_index"].as_u64().unwrap();
    assert_eq!(index + 1, received.seq.unwrap() as u64);
    assert!(kaiji::domain::tlog::check_inclusion(
        &path,
        cp2.size,
        cp2.root,
        index,
        leaf_hash(&data)
    ));
    // Against an older checkpoint by its size.
    let (status, _, old) = get(
        &auditor,
        &format!(
            "/api/v1/audit/proof/inclusion?event={}&size={}",
            received.id, cp1.size
        ),
    )
    .await;
    assert_eq!(status, 200, "{old}");
    // The consistency of the two checkpoints.
    let (status, _, body) = get(
        &auditor,
        &format!(
            "/api/v1/audit/proof/consistency?from={}&to={}",
            cp1.size, cp2.size
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let consistency: Value = serde_json::from_str(&body).unwrap();
    let proof = hashes(&consistency["proof"]);
    assert!(kaiji::domain::tlog::check_consistency(
        &proof, cp2.size, cp2.root, cp1.size, cp1.root
    ));
    assert_eq!(consistency["first_checkpoint"], first["checkpoint"]);
    // The request's evidence pack (taking it is on record, and covered by it).
    let (status, _, body) = get(&auditor, &format!("/api/v1/audit/evidence?request={id}")).await;
    assert_eq!(status, 200, "{body}");
    let pack: Value = serde_json::from_str(&body).unwrap();
    assert!(pack["events"].as_array().unwrap().len() >= 4);
    assert!(
        pack["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "request.closed")
    );
    assert_eq!(pack["not_covered"].as_array().unwrap().len(), 0);
    assert!(
        kaiji::db::audit::list_recent(&mut app.tdb.conn(), 5)
            .unwrap()
            .iter()
            .any(|e| e.action == "audit.exported"
                && e.details.contains("evidence_pack")
                && e.seq.is_some())
    );
    // Bad input: a clear JSON error with a stable code.
    for (path, status, code) in [
        ("/api/v1/audit/proof/inclusion?event=nope", 404, "not_found"),
        ("/api/v1/audit/proof/inclusion", 422, "validation_failed"),
        (
            "/api/v1/audit/proof/inclusion?event=x&size=-1",
            422,
            "validation_failed",
        ),
        (
            "/api/v1/audit/proof/consistency?from=abc",
            422,
            "validation_failed",
        ),
        (
            "/api/v1/audit/proof/consistency?from=999999",
            404,
            "not_found",
        ),
        (
            "/api/v1/audit/checkpoint?size=3.5",
            422,
            "validation_failed",
        ),
        ("/api/v1/audit/checkpoint?size=999999", 404, "not_found"),
        // Blanks are not the empty string the contract allows (schemathesis sent `size=++`).
        ("/api/v1/audit/checkpoint?size=++", 422, "validation_failed"),
        ("/api/v1/audit/evidence?request=nope", 404, "not_found"),
    ] {
        let (got, _, body) = get(&auditor, path).await;
        let err: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}"));
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{path}: {body}"
        );
    }
    let res = common::http_client()
        .get(format!("{}/api/v1/audit/evidence?request={id}", app.base))
        .bearer_auth(&officer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // The same files, unmodified, to Go's own note and tlog packages.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("verifier_key", &vkey);
    write("checkpoint_first", first["checkpoint"].as_str().unwrap());
    write("checkpoint_latest", latest["checkpoint"].as_str().unwrap());
    write(
        "inclusion_latest.json",
        &serde_json::to_string(&inclusion).unwrap(),
    );
    write("inclusion_old.json", &old);
    write(
        "consistency.json",
        &serde_json::to_string(&consistency).unwrap(),
    );
    write("evidence.json", &serde_json::to_string(&pack).unwrap());
    let Some((ok, out)) = go_check(dir.path()) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("all 6 checks passed"), "{out}");
    // And Go refuses what does not hold: one hash of the path changed, another key, a shifted leaf.
    let refuse = |name: &str, text: String| {
        let bad = tempfile::tempdir().unwrap();
        std::fs::write(bad.path().join("verifier_key"), &vkey).unwrap();
        std::fs::write(bad.path().join(name), text).unwrap();
        let (ok, out) = go_check(bad.path()).unwrap();
        assert!(!ok && out.contains("FAIL"), "{name}: {out}");
    };
    let mut changed = inclusion.clone();
    changed["audit_path"][0] = json!(to_base64(&leaf_hash(b"other")));
    refuse("inclusion.json", changed.to_string());
    let mut shifted = inclusion.clone();
    shifted["leaf_index"] = json!(index + 1);
    refuse("inclusion.json", shifted.to_string());
    let mut other_root = consistency.clone();
    other_root["proof"][0] = json!(to_base64(&leaf_hash(b"other")));
    refuse("consistency.json", other_root.to_string());
    let other_key = kaiji::domain::tlog::LogKey::new(&cp1.origin, &[9; 32]).unwrap();
    refuse(
        "checkpoint_forged",
        other_key.sign_checkpoint(cp2.size, cp2.root).unwrap(),
    );
    let mut salted = pack.clone();
    let last = salted["events"].as_array().unwrap().len() - 1;
    salted["events"][last]["details"] = json!("{\"changed\":true}");
    refuse("evidence.json", salted.to_string());
}

async fn the_checkpoint_store_takes_each_new_checkpoint_once_and_refuses_a_rewrite(app: TestApp) {
    let store = tempfile::tempdir().unwrap();
    use kaiji::app::sequencer::PushOutcome;
    // An empty log: nothing to push yet (the seeds' events wait for the sequencer).
    assert_eq!(
        app.push_checkpoint(store.path()).await.unwrap(),
        PushOutcome::NothingSigned
    );
    file(&app, 0, "Pat").await;
    let a = app.seal().await;
    assert!(
        matches!(app.push_checkpoint(store.path()).await.unwrap(), PushOutcome::Pushed { size, .. } if size == a)
    );
    assert_eq!(
        app.push_checkpoint(store.path()).await.unwrap(),
        PushOutcome::UpToDate { size: a }
    );
    file(&app, 1, "Pat").await;
    let b = app.seal().await;
    assert!(
        matches!(app.push_checkpoint(store.path()).await.unwrap(), PushOutcome::Pushed { size, .. } if size == b)
    );
    let files: Vec<String> = std::fs::read_dir(store.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    // The store's checkpoints verify the log (`kaiji audit verify --against DIR`).
    let kept = kaiji::app::sequencer::read_kept(store.path()).unwrap();
    assert_eq!(kept.len(), 2);
    let db = app.state.db.clone();
    let report = tokio::task::spawn_blocking(move || kaiji::app::audit_verify::verify(&db, &kept))
        .await
        .unwrap()
        .unwrap();
    assert!(
        report.intact && report.kept.iter().all(|k| k.problem.is_none()),
        "{report:?}"
    );
    // Someone with the database and the key rewrites an event and signs the tree again at the same
    // size: the push refuses (a fork) and writes nothing.
    app.rewrite_and_resign("UPDATE audit_events SET actor_kind = 'staff' WHERE seq = 1")
        .await;
    let refused = app
        .push_checkpoint(store.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("fork"), "{refused}");
    assert_eq!(std::fs::read_dir(store.path()).unwrap().count(), 2);
}

/// Appends `n` events straight into the tree, as `kaiji dev synth` does (holding the sequencer's
/// role for the batch, numbering, hashing and signing as it would).
fn bulk_events(app: &TestApp, n: usize) {
    use kaiji::db::audit::AuditEventRow;
    let state = app.state.clone();
    let mut conn = state.db.conn().unwrap();
    let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(2, 0, 0)
        .unwrap();
    let mut done = 0;
    while done < n {
        let m = (n - done).min(20_000);
        kaiji::db::write_tx(&mut conn, |conn| -> Result<(), kaiji::app::AppError> {
            let mut batch =
                kaiji::app::sequencer::Batch::begin(conn, &state.config, &state.keys)?.unwrap();
            let mut rows = Vec::with_capacity(m);
            for i in 0..m {
                let k = done + i;
                let details = format!("{{\"i\":{k},\"note\":\"東京, \\\"quoted\\\"\"}}");
                let salt = [(k % 251) as u8; 32];
                let row = AuditEventRow {
                    id: format!("bulk-{k:09}"),
                    occurred_at: base + chrono::TimeDelta::microseconds(k as i64),
                    action: "staff.login".into(),
                    actor_kind: "system".into(),
                    actor_id: None,
                    request_id: None,
                    from_state: None,
                    to_state: None,
                    details_sha256: Some(kaiji::domain::audit::salted_details_digest(
                        &salt, &details,
                    )),
                    details,
                    seq: Some(batch.size() + 1),
                    prev_hash: None,
                    hash: None,
                    redacted_at: None,
                    details_salt: Some(hex::encode(salt)),
                    committed_at: Some(base),
                    integrated_at: Some(base),
                };
                batch.push(&row)?;
                rows.push(row);
            }
            kaiji::db::synth::insert_events(conn, &rows)?;
            batch.finish(conn, base)?;
            Ok(())
        })
        .unwrap();
        done += m;
    }
}

async fn two_hundred_thousand_events_export_and_recompute_to_the_signed_root(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    app.seal().await;
    bulk_events(&app, 200_000);
    let report = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(report["intact"], true, "{report}");
    let total = report["events"].as_i64().unwrap();
    assert!(total >= 200_000);
    let vkey = report["verifier_key"].as_str().unwrap().to_owned();
    // Streamed out page by page, the log comes back whole and recomputes to the trailer's root.
    let (status, _, body) = get(&auditor, "/api/v1/audit/export?format=jsonl").await;
    assert_eq!(status, 200);
    assert_eq!(
        check_jsonl_export(&body, &vkey) as i64,
        total + 1,
        "and the export's own record"
    );
    // CSV of the same: Japanese and quotes survive the quoting.
    let (_, _, csv) = get(&auditor, "/api/v1/audit/export?format=csv").await;
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let mut rows = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        if r[1].starts_with("bulk-") {
            assert!(r[9].contains("東京, \\\"quoted\\\""), "{}", &r[9]);
        }
        rows += 1;
    }
    assert_eq!(rows, total + 2 + 1, "both exports' records and the trailer");
}

/// Pages of thousands of events are hashed on several threads: a change in any part of a page is still
/// the one named. The verifier reads everything in one snapshot, so events integrated meanwhile are
/// not taken for a cut-off log.
async fn a_change_deep_in_a_long_log_is_named_and_verify_reads_one_snapshot(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    app.seal().await;
    bulk_events(&app, 12_000);
    assert_eq!(auditor.get("/api/v1/audit/verify").await["intact"], true);
    // Inside a snapshot the tree stays as it was while another connection integrates.
    let mut reader = app.tdb.conn();
    kaiji::db::snapshot_tx(&mut reader, |conn| -> Result<(), kaiji::app::AppError> {
        let before = kaiji::db::tlog::latest_checkpoint(conn)?;
        kaiji::db::audit::append(
            &mut app.tdb.conn(),
            &kaiji::domain::audit::NewAuditEvent::new(
                kaiji::domain::audit::AuditAction::StaffLogin,
                kaiji::domain::audit::Actor::System("test"),
                app.clock.now(),
            ),
        )?;
        kaiji::app::sequencer::integrate(&app.state.db, &app.state.config, &app.state.keys, 100)?;
        assert_eq!(
            kaiji::db::tlog::latest_checkpoint(conn)?,
            before,
            "one snapshot"
        );
        Ok(())
    })
    .unwrap();
    drop(reader);
    assert_eq!(auditor.get("/api/v1/audit/verify").await["intact"], true);
    // Late in a page (pages hold 5,120 events, split between threads): the second part's event.
    app.tamper("UPDATE audit_events SET details = '{}' WHERE seq = 9876");
    let r = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(
        (
            r["first_broken"]["seq"].as_i64(),
            r["first_broken"]["problem"].as_str()
        ),
        (Some(9876), Some("details_mismatch")),
        "{r}"
    );
    app.tamper("UPDATE audit_events SET actor_kind = 'staff' WHERE seq = 7777");
    let r = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(
        (
            r["first_broken"]["seq"].as_i64(),
            r["first_broken"]["problem"].as_str()
        ),
        (Some(7777), Some("hash_mismatch")),
        "{r}"
    );
}

/// A database from the release before the tree: requests, a hash chain (with an event from before the
/// chain, a closed request, and one whose record was already purged and its trail redacted). Returns
/// the database and the chain's length.
fn old_database(
    backend: Backend,
) -> Option<(
    kaiji::db::Db,
    Option<common::PgDatabase>,
    tempfile::TempDir,
    i64,
)> {
    use diesel_migrations::MigrationHarness;
    use kaiji::domain::audit::{GENESIS_HASH, LeafEvent, details_digest};
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match backend {
        Backend::Sqlite => (
            kaiji::config::DatabaseUrl::Sqlite(dir.path().join("old.db")),
            None,
        ),
        Backend::Postgres => {
            let admin = common::postgres_admin_url()?;
            let pg = common::PgDatabase::create(&admin);
            (
                kaiji::config::DatabaseUrl::Postgres(secrecy::SecretString::from(pg.url.clone())),
                Some(pg),
            )
        }
    };
    let db = kaiji::db::Db::open(&url, 2).unwrap();
    let mut conn = db.conn().unwrap();
    // The schema as the last release left it: fourteen migrations.
    for _ in 0..14 {
        match &mut *conn {
            kaiji::db::AnyConnection::Sqlite(c) => c
                .run_next_migration(kaiji::db::SQLITE_MIGRATIONS)
                .map(|_| ()),
            kaiji::db::AnyConnection::Postgresql(c) => c
                .run_next_migration(kaiji::db::POSTGRES_MIGRATIONS)
                .map(|_| ()),
        }
        .unwrap();
    }
    let request = |id: &str, state: &str, closed: Option<&str>| {
        format!(
            "INSERT INTO requests (id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, \
             request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, \
             updated_at, closed_at, queue_due) VALUES ('{id}', 'R-{id}', 'tok-{id}', 'gdpr', 1, '{state}', 2, 'access', 'eea', \
             'web', 'en', 'Pat', 'p@example.com', 'hello', '[]', '2023-01-01 00:00:00', '2023-01-01 00:00:00', {}, '9999-12-31');",
            closed
                .map(|c| format!("'{c}'"))
                .unwrap_or_else(|| "NULL".into())
        )
    };
    conn.batch_execute(&format!(
        "INSERT INTO workflow_definitions VALUES ('gdpr', 1, 'src', 'sha', '2023-01-01 00:00:00'); {} {} {} \
         UPDATE requests SET personal_data_purged_at = '2025-06-01 00:00:00' WHERE id = 'r-purged'; \
         INSERT INTO audit_events (id, occurred_at, action, actor_kind, details) VALUES ('before-chain', '2022-12-31 00:00:00', 'staff.login', 'system', '{{}}');",
        request("r-open", "received", None),
        request("r-closed", "refused", Some("2024-01-10 09:00:00")),
        request("r-purged", "refused", Some("2023-01-05 09:00:00")),
    ))
    .unwrap();
    // The chain, as the old append wrote it: (request, action, to_state, details, time, redacted).
    let events = [
        (
            "r-open",
            "request.received",
            Some("received"),
            "{\"n\":1}",
            "2023-01-01 00:00:00",
            false,
        ),
        (
            "r-purged",
            "request.received",
            Some("received"),
            "{\"name\":\"Pat\"}",
            "2023-01-01 00:00:01",
            true,
        ),
        (
            "r-purged",
            "request.transitioned",
            Some("refused"),
            "{\"reason\":\"Pat's ID\"}",
            "2023-01-05 09:00:00",
            true,
        ),
        (
            "r-closed",
            "request.received",
            Some("received"),
            "{\"n\":2}",
            "2024-01-01 00:00:00",
            false,
        ),
        (
            "r-closed",
            "request.transitioned",
            Some("refused"),
            "{\"reason\":\"unclear\"}",
            "2024-01-10 09:00:00",
            false,
        ),
        (
            "r-purged",
            "request.records_purged",
            None,
            "{\"retention_months\":24,\"audit_events_redacted\":2}",
            "2025-06-01 00:00:00",
            false,
        ),
    ];
    let mut prev = GENESIS_HASH.to_owned();
    for (i, (request, action, to, details, at, redacted)) in events.iter().enumerate() {
        let seq = i as i64 + 1;
        let id = format!("chain-{seq}");
        let t = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").unwrap();
        let digest = details_digest(details);
        let hash = LeafEvent {
            seq,
            id: &id,
            occurred_at: kaiji::db::audit::chain_time(t),
            action,
            actor_kind: "system",
            actor_id: None,
            request_id: Some(request),
            from_state: None,
            to_state: *to,
            details_sha256: &digest,
        }
        .in_chain(&prev)
        .hash();
        let (stored, redacted_at) = if *redacted {
            ("{\"redacted\":true}", "'2025-06-01 00:00:00'")
        } else {
            (*details, "NULL")
        };
        conn.batch_execute(&format!(
            "INSERT INTO audit_events (id, occurred_at, action, actor_kind, actor_id, request_id, from_state, to_state, details, seq, prev_hash, hash, details_sha256, redacted_at) \
             VALUES ('{id}', '{at}', '{action}', 'system', NULL, '{request}', NULL, {}, '{}', {seq}, '{prev}', '{hash}', '{digest}', {redacted_at})",
            to.map(|s| format!("'{s}'")).unwrap_or_else(|| "NULL".into()),
            stored.replace('\'', "''"),
        ))
        .unwrap();
        prev = hash;
    }
    let n = events.len() as i64;
    conn.batch_execute(&format!(
        "UPDATE audit_chain_head SET seq = {n}, hash = '{prev}' WHERE id = 1"
    ))
    .unwrap();
    drop(conn);
    Some((db, pg, dir, n))
}

fn upgrade_from_the_hash_chain(backend: Backend) {
    let Some((db, _pg, dir, chain)) = old_database(backend) else {
        return;
    };
    // The upgrade: the migration, then the closures the old log kept only in the requests' rows.
    db.migrate().unwrap();
    let config = kaiji::config::Config::for_dir(
        dir.path(),
        kaiji::config::DatabaseUrl::Sqlite(dir.path().join("unused.db")),
    );
    let keys = kaiji::config::Keys::random();
    let seal = || {
        while let kaiji::app::sequencer::Pass::Integrated { .. } =
            kaiji::app::sequencer::integrate(&db, &config, &keys, 2).unwrap()
        {}
    };
    seal();
    let carried: Vec<_> = kaiji::db::audit::list_recent(&mut db.conn().unwrap(), 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "request.closed")
        .collect();
    assert_eq!(carried.len(), 2, "both closed requests");
    assert!(
        carried
            .iter()
            .all(|e| e.seq.unwrap() > chain && e.details.contains("closed_at"))
    );
    let r = kaiji::app::audit_verify::verify(&db, &[]).unwrap();
    assert!(r.intact, "{r:?}");
    assert_eq!(
        (r.chain_events, r.before_chain, r.events),
        (chain, 1, chain + 2)
    );
    // The chain's events are the tree's first leaves, in chain order.
    assert!(r.checkpoints >= 3, "batches of two");
    // After the upgrade, retention erases a closed request's chain-era events through a record.
    let clock = kaiji::app::Clock::fixed(
        chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    assert_eq!(
        kaiji::app::retention::purge_records(&db, &clock, 24, std::path::Path::new("/nonexistent"))
            .unwrap(),
        1,
        "r-closed"
    );
    kaiji::db::audit::append(
        &mut db.conn().unwrap(),
        &kaiji::domain::audit::NewAuditEvent::new(
            kaiji::domain::audit::AuditAction::StaffLogin,
            kaiji::domain::audit::Actor::System("test"),
            clock.now(),
        ),
    )
    .unwrap();
    seal();
    let r = kaiji::app::audit_verify::verify(&db, &[]).unwrap();
    assert!(r.intact, "{r:?}");
    // A change in each era is named, with its era.
    let tamper = |sql: &str| {
        let mut conn = db.conn().unwrap();
        let (off, on) = match backend {
            Backend::Sqlite => (
                "DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;",
                "",
            ),
            Backend::Postgres => (
                "ALTER TABLE audit_events DISABLE TRIGGER USER;",
                "ALTER TABLE audit_events ENABLE TRIGGER USER;",
            ),
        };
        conn.batch_execute(&format!("{off} {sql}; {on}")).unwrap();
    };
    tamper(&format!(
        "UPDATE audit_events SET actor_kind = 'staff' WHERE seq = {}",
        chain + 2
    ));
    let r = kaiji::app::audit_verify::verify(&db, &[]).unwrap();
    let p = r.first_broken.unwrap();
    assert_eq!(
        (p.seq, p.problem, p.era.map(|e| e.as_str())),
        (Some(chain + 2), "hash_mismatch", Some("tree"))
    );
    tamper("UPDATE audit_events SET details = '{\"n\":3}' WHERE seq = 1");
    let p = kaiji::app::audit_verify::verify(&db, &[])
        .unwrap()
        .first_broken
        .unwrap();
    assert_eq!(
        (p.seq, p.problem, p.era.map(|e| e.as_str())),
        (Some(1), "details_mismatch", Some("chain"))
    );
    tamper(
        "UPDATE audit_events SET details = '{\"n\":1}' WHERE seq = 1; UPDATE audit_events SET prev_hash = '00' WHERE seq = 4",
    );
    let p = kaiji::app::audit_verify::verify(&db, &[])
        .unwrap()
        .first_broken
        .unwrap();
    assert_eq!(
        (p.seq, p.problem, p.era.map(|e| e.as_str())),
        (Some(4), "prev_hash_mismatch", Some("chain"))
    );
}

#[test]
fn a_database_from_the_hash_chain_upgrades_and_both_eras_verify_on_sqlite() {
    upgrade_from_the_hash_chain(Backend::Sqlite);
}

#[test]
fn a_database_from_the_hash_chain_upgrades_and_both_eras_verify_on_postgres() {
    upgrade_from_the_hash_chain(Backend::Postgres);
}
