//! The audit log as a transparency log (issue 14), on both backends, tried as an attacker with write
//! access to the database would: every rewrite below is named by `GET /api/v1/audit/verify` (the same
//! check as `kaiji audit verify`, in tests/cli.rs), with the event or checkpoint and the era it lies in.
//! Writers take no lock; one sequencer numbers every event once; retention erases only through a
//! redaction record the log can check.

use crate::common;

use common::{TestApp, api, file_id};
use diesel::prelude::*;
use kaiji::domain::audit::{Actor, AuditAction, NewAuditEvent, RedactionRecord};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    writers_take_no_lock_and_one_sequencer_numbers_every_event_once,
    changed_details_and_changed_fields_are_named,
    a_forged_redaction_is_refused_by_the_database_and_named_by_verify,
    a_redaction_record_for_an_open_or_recently_closed_request_is_named,
    a_record_past_retention_is_erased_through_its_record_and_the_log_verifies,
    a_middle_event_deleted_and_two_events_swapped_are_named,
    an_event_with_a_forged_sequence_number_is_named,
    a_cut_tail_with_the_tree_moved_back_passes_alone_and_fails_against_a_kept_checkpoint,
    a_bad_signature_and_a_fork_are_named,
    an_instance_with_another_key_never_signs,
    an_erased_event_of_no_request_is_named,
);

/// Checking the log writes nothing to it (the auditor is created before any tampering).
async fn verify(auditor: &common::Api) -> Value {
    auditor.get("/api/v1/audit/verify").await
}

/// (seq, problem, era) of the first problem.
fn first(r: &Value) -> (Option<i64>, Option<&str>, Option<&str>) {
    (
        r["first_broken"]["seq"].as_i64(),
        r["first_broken"]["problem"].as_str(),
        r["first_broken"]["era"].as_str(),
    )
}

async fn file(app: &TestApp, i: usize) -> String {
    common::file_id(app, json!({"email": format!("p{i}@example.com")})).await
}

/// An event of a request, by action (integrated ones only).
fn event_of(app: &TestApp, request: &str, action: &str) -> kaiji::db::audit::AuditEventRow {
    kaiji::db::audit::list_for_request(&mut app.tdb.conn(), request)
        .unwrap()
        .into_iter()
        .find(|e| e.action == action && e.seq.is_some())
        .unwrap_or_else(|| panic!("no integrated {action} of {request}"))
}

fn event_at(app: &TestApp, seq: i64) -> kaiji::db::audit::AuditEventRow {
    use kaiji::db::schema::audit_events::dsl;
    dsl::audit_events
        .filter(dsl::seq.eq(seq))
        .select(kaiji::db::audit::AuditEventRow::as_select())
        .first(&mut *app.tdb.conn())
        .unwrap()
}

async fn append(app: &TestApp, event: NewAuditEvent) {
    let db = app.state.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().unwrap();
        kaiji::db::write_tx(&mut conn, |c| kaiji::db::audit::append(c, &event)).unwrap()
    })
    .await
    .unwrap();
}

async fn writers_take_no_lock_and_one_sequencer_numbers_every_event_once(app: TestApp) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    for i in 0..3 {
        file(&app, i).await;
    }
    // Four writers append while two sequencers run at once: one integrates, the other finds the lock
    // taken (PostgreSQL) or waits for the writer's turn (SQLite); no number is given twice.
    let done = Arc::new(AtomicBool::new(false));
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
    let mut sequencers = Vec::new();
    for _ in 0..2 {
        let (state, done) = (app.state.clone(), done.clone());
        sequencers.push(std::thread::spawn(move || {
            let mut passes = 0;
            while !done.load(Ordering::SeqCst) || passes == 0 {
                kaiji::app::sequencer::integrate(&state.db, &state.config, &state.keys, 7)
                    .expect("a pass");
                passes += 1;
                // As the real one does between batches (a tight loop would starve SQLite's writers).
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }));
    }
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    for s in sequencers {
        s.join().unwrap();
    }
    let size = app.seal().await;
    let total = app.count("audit_events");
    assert_eq!(size, total, "every event integrated");
    #[derive(QueryableByName)]
    struct Span {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        lo: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        hi: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        late: i64,
    }
    let span: Span = diesel::sql_query(
        "SELECT COUNT(DISTINCT seq) AS n, MIN(seq) AS lo, MAX(seq) AS hi, \
         SUM(CASE WHEN integrated_at < committed_at THEN 1 ELSE 0 END) AS late FROM audit_events",
    )
    .get_result(&mut *app.tdb.conn())
    .unwrap();
    assert_eq!((span.n, span.lo, span.hi), (total, 1, total));
    assert_eq!(span.late, 0, "integrated after committed");
    assert!(
        app.count("audit_checkpoints") >= 2,
        "a checkpoint per batch"
    );
    let r = verify(&auditor).await;
    assert_eq!(r["intact"], true, "{r}");
    assert_eq!(
        (r["events"].as_i64(), r["pending"].as_i64()),
        (Some(total), Some(0))
    );
    assert_eq!(r["tree_size"], total);
    assert_eq!(r["checkpoints"], app.count("audit_checkpoints"));
    // An officer may not check the log.
    let res = common::http_client()
        .get(format!("{}/api/v1/audit/verify", app.base))
        .bearer_auth(&officer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

async fn changed_details_and_changed_fields_are_named(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    for i in 0..3 {
        file(&app, i).await;
    }
    app.seal().await;
    assert_eq!(verify(&auditor).await["intact"], true);
    let target = event_at(&app, 6);
    app.tamper("UPDATE audit_events SET details = '{\"writer\":9}' WHERE seq = 6");
    let r = verify(&auditor).await;
    assert_eq!(r["intact"], false);
    assert_eq!(first(&r), (Some(6), Some("details_mismatch"), Some("tree")));
    assert_eq!(r["first_broken"]["id"], target.id.as_str());
    // A field the leaf covers, changed earlier in the log, is named first.
    app.tamper("UPDATE audit_events SET action = 'staff.login' WHERE seq = 4");
    assert_eq!(
        first(&verify(&auditor).await),
        (Some(4), Some("hash_mismatch"), Some("tree"))
    );
    // So is a changed time.
    app.tamper("UPDATE audit_events SET occurred_at = '2020-01-01 00:00:00' WHERE seq = 2");
    assert_eq!(
        first(&verify(&auditor).await),
        (Some(2), Some("hash_mismatch"), Some("tree"))
    );
}

async fn a_forged_redaction_is_refused_by_the_database_and_named_by_verify(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let id = file(&app, 0).await;
    file(&app, 1).await;
    app.seal().await;
    let e = event_of(&app, &id, "request.received");
    let seq = e.seq.unwrap();
    // The database refuses invented details under a redaction, and an erasure with no record.
    for sql in [
        format!(
            "UPDATE audit_events SET details = '{{\"invented\":true}}', redacted_at = '2026-12-01 00:00:00' WHERE id = '{}'",
            e.id
        ),
        format!(
            "UPDATE audit_events SET details = '{{\"redacted\":true}}', details_salt = NULL, redacted_at = '2026-12-01 00:00:00' WHERE id = '{}'",
            e.id
        ),
    ] {
        let refused = diesel::sql_query(&sql).execute(&mut *app.tdb.conn());
        assert!(
            refused.unwrap_err().to_string().contains("append-only"),
            "{sql}"
        );
    }
    assert_eq!(verify(&auditor).await["intact"], true);
    // With the guards dropped: invented details under `redacted_at` are named as changed details.
    app.tamper(&format!(
        "UPDATE audit_events SET details = '{{\"invented\":true}}', redacted_at = '2026-12-01 00:00:00' WHERE id = '{}'",
        e.id
    ));
    let r = verify(&auditor).await;
    assert_eq!(
        first(&r),
        (Some(seq), Some("details_mismatch"), Some("tree"))
    );
    assert_eq!(r["first_broken"]["id"], e.id.as_str());
    // An erasure without a redaction record is named as such.
    app.tamper(&format!(
        "UPDATE audit_events SET details = '{{\"redacted\":true}}', details_salt = NULL WHERE id = '{}'",
        e.id
    ));
    let r = verify(&auditor).await;
    assert_eq!(
        first(&r),
        (Some(seq), Some("redaction_unrecorded"), Some("tree"))
    );
}

async fn a_redaction_record_for_an_open_or_recently_closed_request_is_named(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let open = file(&app, 0).await;
    let closed = file(&app, 1).await;
    app.confirm_email(&closed).await;
    let v = officer.version(&closed).await;
    let (status, _) = officer.fire(&closed, "refuse", v).await;
    assert_eq!(status, 200);
    app.seal().await;
    event_of(&app, &closed, "request.closed");
    // Someone with write access appends a redaction record (kaiji's own way of appending), then
    // erases what it names: the database lets the erasure through, since the record is there.
    let forge = |request: String, victim: String| {
        let app = &app;
        async move {
            append(
                app,
                NewAuditEvent::new(
                    AuditAction::RecordsPurged,
                    Actor::System("retention"),
                    app.clock.now(),
                )
                .for_request(&request)
                .details(
                    serde_json::to_value(RedactionRecord {
                        retention_months: 24,
                        redacted_events: Some(vec![victim.clone()]),
                        reason: Some("record_retention".into()),
                    })
                    .unwrap(),
                ),
            )
            .await;
            app.seal().await;
            diesel::sql_query(format!(
                "UPDATE audit_events SET details = '{{\"redacted\":true}}', details_salt = NULL, redacted_at = '2026-11-22 01:00:00' WHERE id = '{victim}'"
            ))
            .execute(&mut *app.tdb.conn())
            .expect("the record is in the log: the database allows the erasure");
        }
    };
    // A request closed a moment ago.
    let recent = event_of(&app, &closed, "request.transitioned");
    forge(closed.clone(), recent.id.clone()).await;
    let r = verify(&auditor).await;
    assert_eq!(
        first(&r),
        (recent.seq, Some("redaction_premature"), Some("tree")),
        "{r}"
    );
    // A request still open (its events come earlier in the log, so it is named first).
    let victim = event_of(&app, &open, "request.received");
    forge(open.clone(), victim.id.clone()).await;
    let r = verify(&auditor).await;
    assert_eq!(
        first(&r),
        (victim.seq, Some("redaction_premature"), Some("tree"))
    );
    assert_eq!(r["first_broken"]["id"], victim.id.as_str());
}

async fn a_record_past_retention_is_erased_through_its_record_and_the_log_verifies(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let id = file_id(
        &app,
        json!({"name": "Hanako Yamada", "email": "hanako@example.jp", "message": "My secret message."}),
    )
    .await;
    app.confirm_email(&id).await;
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{id}/notes"),
            &json!({"note": "Hanako called."}),
        )
        .await;
    assert_eq!(status, 204);
    let v = officer.version(&id).await;
    let (status, _) = officer.event(&id, "refuse", v, json!({"reason": "Hanako's ID is unclear.", "ground": "manifestly_unfounded_or_excessive"})).await;
    assert_eq!(status, 200);
    app.seal().await;
    // Without SMTP the notices are `.eml` files; they go with the record.
    let state = app.state.clone();
    let mailer = kaiji::notify::Mailer::from_config(&state.config).unwrap();
    let sent =
        tokio::task::spawn_blocking(move || kaiji::notify::deliver_due(&state, &mailer, "w", 50))
            .await
            .unwrap()
            .unwrap();
    assert!(sent.sent >= 2, "{sent:?}");
    let mail_dir = app.state.config.mail_dir();
    let folder = mail_dir.join(&id);
    assert!(std::fs::read_dir(&folder).unwrap().count() >= 2);
    let purge = |app: &TestApp| {
        let (db, clock, mail_dir) = (app.state.db.clone(), app.clock.clone(), mail_dir.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                kaiji::app::retention::purge_records(&db, &clock, 24, &mail_dir)
            })
            .await
            .unwrap()
            .unwrap()
        }
    };
    assert_eq!(purge(&app).await, 0, "kept for 24 months");
    app.clock.advance(chrono::TimeDelta::days(2 * 366));
    assert_eq!(purge(&app).await, 1);
    assert!(
        !folder.exists(),
        "the request's mail files are erased with it"
    );
    assert!(mail_dir.exists(), "and only they");
    assert_eq!(purge(&app).await, 0, "once");
    app.seal().await;

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
    // The record names every erased event; the closure and the record keep their details.
    let events = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    let record = events
        .iter()
        .find(|e| e.action == "request.records_purged")
        .unwrap();
    let record: RedactionRecord = serde_json::from_str(&record.details).unwrap();
    let erased: Vec<&str> = events
        .iter()
        .filter(|e| e.redacted_at.is_some())
        .map(|e| e.id.as_str())
        .collect();
    assert!(erased.len() >= 3);
    assert_eq!(
        record.redacted_events.as_deref().unwrap(),
        erased.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    assert!(
        events
            .iter()
            .filter(|e| e.redacted_at.is_some())
            .all(|e| e.details == "{\"redacted\":true}" && e.details_salt.is_none())
    );
    let closure = events
        .iter()
        .find(|e| e.action == "request.closed")
        .unwrap();
    assert!(closure.redacted_at.is_none() && closure.details.contains("refused"));
    // The log verifies; the trail's details are gone; nothing names her any more.
    let report = verify(&auditor).await;
    assert_eq!(report["intact"], true, "{report}");
    let res = common::http_client()
        .get(format!(
            "{}/api/v1/audit/export?format=jsonl&request={id}",
            app.base
        ))
        .bearer_auth(&auditor.token)
        .send()
        .await
        .unwrap();
    let log = res.text().await.unwrap();
    assert!(!log.contains("Hanako") && !log.contains("secret"), "{log}");
    assert!(log.contains("request.records_purged") && log.contains("\"redacted_at\":\""));
    let stats = officer.get("/api/v1/reports?year=2026").await;
    assert_eq!(
        stats["report"]["metrics"]["access"]["denied"], 1,
        "reports still count it"
    );
    // Erasing the closure behind the database's back leaves the other erasures unproven: the log no
    // longer shows the request closed, so the first of them is named.
    app.tamper(&format!(
        "UPDATE audit_events SET details = '{{\"redacted\":true}}', details_salt = NULL, redacted_at = '2028-11-22 01:00:00' WHERE action = 'request.closed' AND request_id = '{id}'"
    ));
    let r = verify(&auditor).await;
    assert_eq!(
        (first(&r).1, r["first_broken"]["id"].as_str()),
        (Some("redaction_premature"), Some(erased[0]))
    );
}

async fn a_middle_event_deleted_and_two_events_swapped_are_named(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    for i in 0..4 {
        file(&app, i).await;
    }
    app.seal().await;
    assert_eq!(verify(&auditor).await["intact"], true);
    // Two events swap places: the first of them no longer is the leaf at its position.
    let seven = event_at(&app, 7);
    app.tamper(
        "UPDATE audit_events SET seq = -7 WHERE seq = 7; UPDATE audit_events SET seq = 7 WHERE seq = 8; \
         UPDATE audit_events SET seq = 8 WHERE seq = -7;",
    );
    let r = verify(&auditor).await;
    assert_eq!(first(&r), (Some(7), Some("hash_mismatch"), Some("tree")));
    assert_ne!(r["first_broken"]["id"], seven.id.as_str(), "the other one");
    // An event removed from the middle.
    app.tamper("DELETE FROM audit_events WHERE seq = 5");
    assert_eq!(
        first(&verify(&auditor).await),
        (Some(5), Some("missing_event"), Some("tree"))
    );
}

async fn an_event_with_a_forged_sequence_number_is_named(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    for i in 0..2 {
        file(&app, i).await;
    }
    let size = app.seal().await;
    // A well-formed event (salt, digest) slipped in behind the sequencer with the next number.
    let salt = [5_u8; 32];
    let details = "{\"note\":\"forged\"}";
    let digest = kaiji::domain::audit::salted_details_digest(&salt, details);
    app.tamper(&format!(
        "INSERT INTO audit_events (id, occurred_at, action, actor_kind, details, seq, details_sha256, details_salt, committed_at, integrated_at) \
         VALUES ('forged-1', '2026-11-22 01:00:00', 'staff.login', 'system', '{details}', {}, '{digest}', '{}', '2026-11-22 01:00:00', '2026-11-22 01:00:00')",
        size + 1,
        hex::encode(salt)
    ));
    let r = verify(&auditor).await;
    assert_eq!(
        first(&r),
        (Some(size + 1), Some("not_covered"), Some("tree")),
        "{r}"
    );
    // The same in place of a real one.
    let real = event_at(&app, 3);
    app.tamper(&format!(
        "DELETE FROM audit_events WHERE seq = 3; \
         INSERT INTO audit_events (id, occurred_at, action, actor_kind, details, seq, details_sha256, details_salt, committed_at, integrated_at) \
         VALUES ('forged-2', '{}', '{}', 'system', '{details}', 3, '{digest}', '{}', '2026-11-22 01:00:00', '2026-11-22 01:00:00')",
        real.occurred_at.format("%Y-%m-%d %H:%M:%S%.6f"),
        real.action,
        hex::encode(salt)
    ));
    let r = verify(&auditor).await;
    assert_eq!(
        (first(&r), r["first_broken"]["id"].as_str()),
        (
            (Some(3), Some("hash_mismatch"), Some("tree")),
            Some("forged-2")
        )
    );
}

fn kept_checkpoint(app: &TestApp) -> String {
    kaiji::db::tlog::latest_checkpoint(&mut app.tdb.conn())
        .unwrap()
        .unwrap()
        .note
}

async fn check_against(app: &TestApp, kept: &str) -> kaiji::app::audit_verify::LogReport {
    let (db, kept) = (app.state.db.clone(), kept.to_owned());
    tokio::task::spawn_blocking(move || kaiji::app::audit_verify::verify(&db, &[kept]))
        .await
        .unwrap()
        .unwrap()
}

async fn post_kept(auditor: &common::Api, kept: &str) -> Value {
    let res = common::http_client()
        .post(format!("{}/api/v1/audit/verify", auditor.base))
        .bearer_auth(&auditor.token)
        .header("content-type", "text/plain")
        .body(kept.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.unwrap()
}

async fn a_cut_tail_with_the_tree_moved_back_passes_alone_and_fails_against_a_kept_checkpoint(
    app: TestApp,
) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    for i in 0..2 {
        file(&app, i).await;
    }
    let k = app.seal().await;
    let early = kept_checkpoint(&app);
    // What the tree looked like at k (the attacker's copy, to put back).
    let mut tiles = Vec::new();
    for level in 0..4 {
        for (idx, hashes) in
            kaiji::db::tlog::level_tiles(&mut app.tdb.conn(), level, 0, i64::MAX).unwrap()
        {
            tiles.push(kaiji::domain::tlog::StoredTile {
                level,
                index: idx as u64,
                hashes,
            });
        }
    }
    for i in 2..5 {
        file(&app, i).await;
    }
    let n = app.seal().await;
    assert!(n > k);
    // The operator's store outside the database holds the checkpoint of n.
    let store = tempfile::tempdir().unwrap();
    assert!(matches!(
        app.push_checkpoint(store.path()).await.unwrap(),
        kaiji::app::sequencer::PushOutcome::Pushed { size, .. } if size == n
    ));
    let late = kept_checkpoint(&app);
    let r = post_kept(&auditor, &early).await;
    assert_eq!(
        (r["consistent"].as_bool(), r["kept_size"].as_i64()),
        (Some(true), Some(k))
    );
    assert!(!r["proof"].as_array().unwrap().is_empty());
    // The newest events deleted, and every tree row and checkpoint moved back to k.
    app.tamper(&format!(
        "DELETE FROM audit_events WHERE seq > {k}; DELETE FROM audit_checkpoints WHERE size > {k}; DELETE FROM audit_tiles;"
    ));
    kaiji::db::tlog::write_tiles(&mut app.tdb.conn(), &tiles).unwrap();
    // Alone, the shortened log checks out: nothing inside the database remembers it was longer.
    let alone = verify(&auditor).await;
    assert_eq!(
        (alone["intact"].as_bool(), alone["events"].as_i64()),
        (Some(true), Some(k))
    );
    // Against the checkpoint kept outside, it does not.
    let report = check_against(&app, &late).await;
    assert!(!report.intact);
    assert_eq!(report.kept[0].problem, Some("truncated"));
    assert_eq!(report.kept[0].size, Some(n as u64));
    let r = post_kept(&auditor, &late).await;
    assert_eq!(
        (r["consistent"].as_bool(), r["problem"].as_str()),
        (Some(false), Some("truncated"))
    );
    // The store refuses to take the shortened log's checkpoint.
    let refused = app
        .push_checkpoint(store.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("truncated"), "{refused}");
}

async fn a_bad_signature_and_a_fork_are_named(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    for i in 0..3 {
        file(&app, i).await;
        app.seal().await;
    }
    let kept = kept_checkpoint(&app);
    let n = app.count("audit_events");
    // An insider holding the signing key rewrites an event and signs the whole tree again.
    app.rewrite_and_resign("UPDATE audit_events SET action = 'staff.logout' WHERE seq = 2")
        .await;
    // Alone, the rewritten log checks out; against the checkpoint kept before, it is a fork: two
    // signed checkpoints of one size with different roots.
    assert_eq!(verify(&auditor).await["intact"], true);
    let report = check_against(&app, &kept).await;
    assert_eq!(report.kept[0].problem, Some("fork"));
    assert_eq!(report.kept[0].size, Some(n as u64));
    let r = post_kept(&auditor, &kept).await;
    assert_eq!(r["problem"], "fork");
    // A checkpoint whose signature does not verify is named by its size.
    let row = kaiji::db::tlog::latest_checkpoint(&mut app.tdb.conn())
        .unwrap()
        .unwrap();
    let mut note = row.note.clone();
    let sig_at = note.rfind(' ').unwrap() + 6;
    let flipped = if &note[sig_at..sig_at + 1] == "A" {
        "B"
    } else {
        "A"
    };
    note.replace_range(sig_at..sig_at + 1, flipped);
    app.tamper(&format!(
        "UPDATE audit_checkpoints SET note = '{note}' WHERE size = {}",
        row.size
    ));
    let r = verify(&auditor).await;
    assert_eq!(
        (
            r["first_broken"]["problem"].as_str(),
            r["first_broken"]["checkpoint"].as_i64()
        ),
        (Some("bad_signature"), Some(row.size))
    );
    // A kept checkpoint with a bad signature is named too.
    let r = post_kept(&auditor, &note).await;
    assert_eq!(r["problem"], "bad_signature");
    let mut garbage = post_kept(&auditor, "not a checkpoint\n").await;
    assert_eq!(garbage["problem"].take(), "malformed");
}

async fn an_instance_with_another_key_never_signs(app: TestApp) {
    file(&app, 0).await;
    let size = app.seal().await;
    let other = kaiji::config::Keys::random();
    let (db, config) = (app.state.db.clone(), app.state.config.clone());
    file(&app, 1).await;
    let before = app.count("audit_checkpoints");
    let (status, refused) = tokio::task::spawn_blocking(move || {
        (
            kaiji::app::audit_key::key_status(&db, &config, &other).unwrap(),
            kaiji::app::sequencer::integrate(&db, &config, &other, 100),
        )
    })
    .await
    .unwrap();
    assert!(matches!(
        status,
        kaiji::app::audit_key::KeyStatus::Different { .. }
    ));
    assert!(matches!(
        refused,
        Err(kaiji::app::AppError::AuditKeyMismatch { .. })
    ));
    assert_eq!(app.count("audit_checkpoints"), before, "nothing signed");
    // The log's own key carries on.
    assert!(app.seal().await > size);
}

/// An event that belongs to no request (a sign-in, say) has no redaction record that could name it:
/// erased behind the database's back, it is named like any other unrecorded erasure.
async fn an_erased_event_of_no_request_is_named(app: TestApp) {
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    file(&app, 0).await;
    app.seal().await;
    let login = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 100)
        .unwrap()
        .into_iter()
        .find(|e| e.request_id.is_none() && e.seq.is_some())
        .expect("an event of no request");
    assert_eq!(verify(&auditor).await["intact"], true);
    app.tamper(&format!(
        "UPDATE audit_events SET details = '{{\"redacted\":true}}', details_salt = NULL, redacted_at = '2026-12-01 00:00:00' WHERE id = '{}'",
        login.id
    ));
    let r = verify(&auditor).await;
    assert_eq!(
        (first(&r), r["first_broken"]["id"].as_str()),
        (
            (login.seq, Some("redaction_unrecorded"), Some("tree")),
            Some(login.id.as_str())
        )
    );
}
