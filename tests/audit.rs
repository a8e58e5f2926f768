//! The audit log's hash chain (issue 7), on both backends: intact after real work and after many
//! concurrent appends; an event changed, removed, or cut from the end is named by the verifier, over the
//! API for auditors (officers are refused) and by `kaiji audit verify` (in tests/cli.rs).

mod common;

use common::{Backend, TestApp, api};
use diesel::connection::SimpleConnection;
use kaiji::domain::audit::{Actor, AuditAction, NewAuditEvent};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    the_chain_holds_under_concurrent_appends_and_names_a_changed_event,
    a_removed_event_and_a_cut_tail_are_named,
    the_export_streams_csv_and_json_lines_with_the_hashes,
    a_record_past_retention_keeps_its_skeleton_and_the_chain_holds,
    two_hundred_thousand_events_export_and_recompute_to_the_same_hashes,
    a_change_deep_in_a_long_log_is_named_and_verify_reads_one_snapshot,
);

/// Checking the chain writes nothing to it (the auditor is created before any tampering).
async fn verify(auditor: &common::Api) -> Value {
    auditor.get("/api/v1/audit/verify").await
}

fn tamper(app: &TestApp, sql: &str) {
    let mut conn = app.tdb.conn();
    let (off, on) = match app.tdb.backend {
        Backend::Sqlite => (
            "DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;",
            "",
        ),
        Backend::Postgres => (
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete;",
            "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete;",
        ),
    };
    conn.batch_execute(off).unwrap();
    conn.batch_execute(sql).unwrap();
    conn.batch_execute(on).unwrap();
}

async fn the_chain_holds_under_concurrent_appends_and_names_a_changed_event(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    for i in 0..3 {
        let res = app
            .browser()
            .post_json(
                "/api/v1/requests",
                &json!({"name": "Pat", "email": format!("p{i}@example.com"), "request_type": "access",
                        "jurisdiction": "eea", "message": "x", "language": "en"}),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    // Four writers appending at once never fork the chain.
    let mut writers = Vec::new();
    for w in 0..4 {
        let db = app.state.db.clone();
        writers.push(std::thread::spawn(move || {
            for i in 0..25 {
                let mut conn = db.conn().unwrap();
                kaiji::db::write_tx(&mut conn, |c| {
                    kaiji::db::audit::append(
                        c,
                        &NewAuditEvent::new(
                            AuditAction::StaffLogin,
                            Actor::System("test"),
                            chrono::Utc::now(),
                        )
                        .details(json!({"writer": w, "i": i})),
                    )
                })
                .unwrap();
            }
        }));
    }
    for w in writers {
        w.join().unwrap();
    }
    let r = verify(&auditor).await;
    assert_eq!(r["intact"], true, "{r}");
    assert!(r["events"].as_i64().unwrap() >= 100 + 3);
    assert_eq!(r["events"], r["head_seq"]);
    assert_eq!(r["before_chain"], 0);

    // An officer may not check the log.
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/audit/verify", app.base))
        .bearer_auth(&officer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // Change one event in the middle: the verifier names it.
    let target: (i64, String) = {
        use diesel::prelude::*;
        use kaiji::db::schema::audit_events::dsl::*;
        audit_events
            .filter(seq.eq(50))
            .select((seq.assume_not_null(), id))
            .first(&mut *app.tdb.conn())
            .unwrap()
    };
    tamper(
        &app,
        &format!(
            "UPDATE audit_events SET details = '{{\"writer\":9}}' WHERE seq = {}",
            target.0
        ),
    );
    let r = verify(&auditor).await;
    assert_eq!(r["intact"], false);
    assert_eq!(r["first_broken"]["seq"], 50);
    assert_eq!(r["first_broken"]["id"], target.1.as_str());
    assert_eq!(r["first_broken"]["problem"], "details_mismatch");
    // Changing what the hash covers directly is named too.
    tamper(&app, "UPDATE audit_events SET action = 'x' WHERE seq = 20");
    let r = verify(&auditor).await;
    assert_eq!(
        (
            r["first_broken"]["seq"].as_i64(),
            r["first_broken"]["problem"].as_str()
        ),
        (Some(20), Some("hash_mismatch"))
    );
}

async fn a_removed_event_and_a_cut_tail_are_named(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    for i in 0..5 {
        let res = app
            .browser()
            .post_json(
                "/api/v1/requests",
                &json!({"name": "Pat", "email": format!("p{i}@example.com"), "request_type": "access",
                        "jurisdiction": "eea", "message": "x", "language": "en"}),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    let r = verify(&auditor).await;
    assert_eq!(r["intact"], true, "{r}");
    let last = r["head_seq"].as_i64().unwrap();
    // Cutting the last event off leaves a chain that checks out on its own, but not against its head.
    tamper(
        &app,
        &format!("DELETE FROM audit_events WHERE seq = {last}"),
    );
    let r = verify(&auditor).await;
    assert_eq!(
        (r["intact"].as_bool(), r["first_broken"]["problem"].as_str()),
        (Some(false), Some("head_mismatch"))
    );
    tamper(&app, "DELETE FROM audit_events WHERE seq = 3");
    let r = verify(&auditor).await;
    assert_eq!(r["first_broken"]["seq"], 3);
    assert_eq!(r["first_broken"]["problem"], "missing_event");
}

async fn export(auditor: &common::Api, query: &str) -> (u16, String, String) {
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/audit/export?{query}", auditor.base))
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

async fn the_export_streams_csv_and_json_lines_with_the_hashes(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let res = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "山田 花子", "email": "hanako@example.jp", "request_type": "access",
                    "jurisdiction": "eea", "message": "x", "language": "ja"}),
        )
        .await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    app.confirm_email(&id).await;
    let v = officer.request(&id).await["version"].as_i64().unwrap();
    // A reason with Japanese text, a comma, quotes and a line break: CSV must carry it whole.
    let reason = "本人確認書類が不鮮明です。\n再度\"鮮明な\"写しを、お送りください";
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{id}/events"),
            &json!({"event": "refuse", "expected_version": v, "data": {"reason": reason}}),
        )
        .await;
    assert_eq!(status, 200);

    let (status, ct, body) = export(&auditor, "format=csv").await;
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
            "details_sha256",
            "redacted_at",
            "prev_hash",
            "hash"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let report = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(
        rows.len() as i64,
        report["events"].as_i64().unwrap(),
        "every event, the export's own record included"
    );
    let refused = rows
        .iter()
        .find(|r| r[3] == *"request.transitioned")
        .expect("the refusal");
    assert!(
        refused[9].contains("本人確認書類が不鮮明です。\\n再度"),
        "{}",
        &refused[9]
    );
    // The exported hashes are the chain: each row links to the one before.
    for pair in rows.windows(2) {
        assert_eq!(pair[1][12], pair[0][13]);
    }
    assert_eq!(
        rows.last().unwrap()[13],
        *report["head_hash"].as_str().unwrap()
    );

    // JSON lines, filtered to one request.
    let (status, ct, body) = export(&auditor, &format!("format=jsonl&request={id}")).await;
    assert_eq!((status, ct.as_str()), (200, "application/x-ndjson"));
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 3);
    assert!(lines.iter().all(|l| l["request_id"] == id.as_str()));
    let details: Value = serde_json::from_str(
        lines
            .iter()
            .find(|l| l["action"] == "request.transitioned")
            .unwrap()["details"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(details["data"]["reason"], reason);
    // Re-imported, the export recomputes to the same hashes, each linked to the one before.
    let (_, _, all) = export(&auditor, "format=jsonl").await;
    let mut prev = kaiji::domain::audit::GENESIS_HASH.to_owned();
    let mut n = 0;
    for line in all.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let s = |k: &str| e[k].as_str();
        let chained = kaiji::domain::audit::ChainedEvent {
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
            prev_hash: &prev,
        };
        assert_eq!(
            kaiji::domain::audit::details_digest(s("details").unwrap()),
            s("details_sha256").unwrap()
        );
        assert_eq!(s("prev_hash"), Some(prev.as_str()));
        let h = chained.hash();
        assert_eq!(s("hash"), Some(h.as_str()), "{line}");
        prev = h;
        n += 1;
    }
    assert!(n > 5);
    // Dates filter; bad input is a field error; officers are refused.
    let (_, _, body) = export(&auditor, "format=jsonl&to=2000-01-01").await;
    assert_eq!(body, "");
    let (status, _, body) = export(&auditor, "format=xml&from=yesterday").await;
    assert_eq!(status, 422);
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        err["error"]["fields"]["format"][0]["code"],
        "unknown_format"
    );
    assert_eq!(err["error"]["fields"]["from"][0]["code"], "invalid_date");
    let res = reqwest::Client::new()
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

async fn a_record_past_retention_keeps_its_skeleton_and_the_chain_holds(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let res = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "Hanako Yamada", "email": "hanako@example.jp", "request_type": "access",
                    "jurisdiction": "eea", "message": "My secret message.", "language": "en"}),
        )
        .await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    app.confirm_email(&id).await;
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{id}/notes"),
            &json!({"note": "Hanako called."}),
        )
        .await;
    assert_eq!(status, 204);
    let v = officer.request(&id).await["version"].as_i64().unwrap();
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{id}/events"),
            &json!({"event": "refuse", "expected_version": v, "data": {"reason": "Hanako's ID is unclear."}}),
        )
        .await;
    assert_eq!(status, 200);
    let purge = |app: &TestApp| {
        let (db, clock) = (app.state.db.clone(), app.clock.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                kaiji::app::retention::purge_records(&db, &clock, 24)
            })
            .await
            .unwrap()
            .unwrap()
        }
    };
    assert_eq!(purge(&app).await, 0, "kept for 24 months");
    app.clock.advance(chrono::TimeDelta::days(2 * 366));
    assert_eq!(purge(&app).await, 1);
    assert_eq!(purge(&app).await, 0, "once");

    let r = officer.request(&id).await;
    assert_eq!(
        (
            r["requester"]["name"].as_str(),
            r["requester"]["email"].as_str()
        ),
        (Some(""), None)
    );
    assert_eq!(r["message"], "");
    assert_eq!(r["notes"][0]["note"], "");
    assert_eq!(r["state"], "refused", "the skeleton stays");
    // The chain still verifies; the trail's details are gone; nothing names her any more.
    let report = auditor.get("/api/v1/audit/verify").await;
    assert_eq!(report["intact"], true, "{report}");
    let (_, _, log) = export(&auditor, &format!("format=jsonl&request={id}")).await;
    assert!(!log.contains("Hanako") && !log.contains("secret"), "{log}");
    assert!(log.contains("request.records_purged") && log.contains("\"redacted_at\":\""));
    let stats = officer.get("/api/v1/reports?year=2026").await;
    assert_eq!(
        stats["report"]["metrics"]["access"]["denied"], 1,
        "reports still count it"
    );
}

/// Appends `n` chained events straight into the table (as fast as SQL allows), continuing the chain.
fn bulk_chain(app: &TestApp, n: i64) {
    use kaiji::domain::audit::{ChainedEvent, details_digest};
    let mut conn = app.tdb.conn();
    let (mut seq, mut prev) = kaiji::db::audit::head(&mut conn).unwrap();
    let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(2, 0, 0)
        .unwrap();
    let mut values = Vec::new();
    for i in 0..n {
        seq += 1;
        let id = format!("bulk-{seq:09}");
        let at = base + chrono::TimeDelta::microseconds(i);
        let details = format!("{{\"i\":{i},\"note\":\"東京, \\\"quoted\\\"\"}}");
        let digest = details_digest(&details);
        let hash = ChainedEvent {
            seq,
            id: &id,
            occurred_at: kaiji::db::audit::chain_time(at),
            action: "staff.login",
            actor_kind: "system",
            actor_id: None,
            request_id: None,
            from_state: None,
            to_state: None,
            details_sha256: &digest,
            prev_hash: &prev,
        }
        .hash();
        values.push(format!(
            "('{id}', '{}', 'staff.login', 'system', NULL, NULL, NULL, NULL, '{}', {seq}, '{prev}', '{hash}', '{digest}')",
            at.format("%Y-%m-%d %H:%M:%S%.6f"),
            details.replace('\'', "''")
        ));
        prev = hash;
        if values.len() == 500 || i == n - 1 {
            conn.batch_execute(&format!(
                "INSERT INTO audit_events (id, occurred_at, action, actor_kind, actor_id, request_id, from_state, to_state, details, seq, prev_hash, hash, details_sha256) VALUES {}",
                values.join(", ")
            ))
            .unwrap();
            values.clear();
        }
    }
    conn.batch_execute(&format!(
        "UPDATE audit_chain_head SET seq = {seq}, hash = '{prev}' WHERE id = 1"
    ))
    .unwrap();
}

async fn two_hundred_thousand_events_export_and_recompute_to_the_same_hashes(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    bulk_chain(&app, 200_000);
    let report = verify(&auditor).await;
    assert_eq!(report["intact"], true, "{report}");
    let total = report["events"].as_i64().unwrap();
    assert!(total >= 200_000);
    // Streamed out page by page, the log comes back whole and recomputes link by link.
    let (status, _, body) = export(&auditor, "format=jsonl").await;
    assert_eq!(status, 200);
    let mut prev = kaiji::domain::audit::GENESIS_HASH.to_owned();
    let mut n = 0_i64;
    for line in body.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let s = |k: &str| e[k].as_str();
        let digest = kaiji::domain::audit::details_digest(s("details").unwrap());
        assert_eq!(s("details_sha256"), Some(digest.as_str()));
        let h = kaiji::domain::audit::ChainedEvent {
            seq: e["seq"].as_i64().unwrap(),
            id: s("id").unwrap(),
            occurred_at: s("occurred_at").unwrap().to_owned(),
            action: s("action").unwrap(),
            actor_kind: s("actor_kind").unwrap(),
            actor_id: s("actor_id"),
            request_id: s("request_id"),
            from_state: s("from_state"),
            to_state: s("to_state"),
            details_sha256: &digest,
            prev_hash: &prev,
        }
        .hash();
        assert_eq!(s("hash"), Some(h.as_str()), "event {n}");
        prev = h;
        n += 1;
    }
    assert_eq!(n, total + 1, "every event, and the export's own record");
    // CSV of the same: Japanese and quotes survive the quoting.
    let (_, _, csv) = export(&auditor, "format=csv").await;
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let mut rows = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        if r[1].starts_with("bulk-") {
            assert!(r[9].contains("東京, \\\"quoted\\\""), "{}", &r[9]);
        }
        rows += 1;
    }
    assert_eq!(rows, total + 2);
}

/// Pages of thousands of events are hashed on several threads: a change in any part of a page is still
/// the one named. The verifier reads the head and the events in one snapshot, so events appended
/// meanwhile are not taken for a cut-off log.
async fn a_change_deep_in_a_long_log_is_named_and_verify_reads_one_snapshot(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    bulk_chain(&app, 12_000);
    assert_eq!(verify(&auditor).await["intact"], true);
    // Inside a snapshot the head stays as it was while another connection appends.
    let mut reader = app.tdb.conn();
    kaiji::db::snapshot_tx(&mut reader, |conn| -> diesel::QueryResult<()> {
        let before = kaiji::db::audit::head(conn)?;
        kaiji::db::audit::append(
            &mut app.tdb.conn(),
            &kaiji::domain::audit::NewAuditEvent::new(
                kaiji::domain::audit::AuditAction::StaffLogin,
                kaiji::domain::audit::Actor::System("test"),
                app.clock.now(),
            ),
        )?;
        assert_eq!(kaiji::db::audit::head(conn)?, before, "one snapshot");
        Ok(())
    })
    .unwrap();
    drop(reader);
    assert_eq!(verify(&auditor).await["intact"], true);
    // Late in a page (pages hold 5,000 events, split between threads): the second part's event.
    tamper(
        &app,
        "UPDATE audit_events SET details = '{}' WHERE seq = 9876",
    );
    let r = verify(&auditor).await;
    assert_eq!(
        (
            r["first_broken"]["seq"].as_i64(),
            r["first_broken"]["problem"].as_str()
        ),
        (Some(9876), Some("details_mismatch")),
        "{r}"
    );
    tamper(
        &app,
        "UPDATE audit_events SET actor_kind = 'staff' WHERE seq = 7777",
    );
    let r = verify(&auditor).await;
    assert_eq!(
        (
            r["first_broken"]["seq"].as_i64(),
            r["first_broken"]["problem"].as_str()
        ),
        (Some(7777), Some("hash_mismatch")),
        "{r}"
    );
}
