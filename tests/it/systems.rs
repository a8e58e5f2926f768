//! Data systems and the tasks requests open in them (issue 5), on both backends: a California deletion
//! closed with each system's outcome and a retention ground, an EEA access waiting for every export, and
//! the registry kept by administrators.

use crate::common;

use common::{
    Browser, TestApp, api, download_path, field_code, file_json, notice_kinds, task, unzip,
};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    a_california_deletion_closes_with_each_systems_outcome_and_a_retention_ground,
    an_eea_access_waits_for_every_export,
    the_registry_is_kept_by_administrators,
    portability_answers_in_json_and_the_link_expires,
    the_tracking_page_shows_the_deadline_the_next_step_the_notices_and_the_answer,
    an_extension_gives_the_new_date_and_a_partial_refusal_its_reasons,
    signing_in_verifies_identity_and_no_documents_are_asked,
    specific_pieces_need_three_points_and_a_declaration_or_a_recorded_judgement,
    an_agents_request_waits_for_the_person_to_confirm_directly,
    failed_verification_ends_in_a_refusal_that_says_how_to_try_again,
);

async fn file(app: &TestApp, jurisdiction: &str, request_type: &str) -> String {
    let id = common::file_id(
        app,
        json!({"name": "Pat Doe", "request_type": request_type, "jurisdiction": jurisdiction,
               "message": "Please act on all my data."}),
    )
    .await;
    app.confirm_email(&id).await;
    id
}

/// Files a request over the public JSON API (see `common::file_json`): its id and tracking token.
async fn filed(app: &TestApp, fields: Value) -> (String, String) {
    let r = file_json(app, fields).await;
    let text = |key: &str| r[key].as_str().unwrap().to_owned();
    (text("id"), text("tracking_token"))
}

async fn a_california_deletion_closes_with_each_systems_outcome_and_a_retention_ground(
    app: TestApp,
) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file(&app, "california", "deletion").await;
    assert_eq!(officer.fire(&id, "acknowledge", 1).await.0, 200);
    let r = officer.request(&id).await;
    assert!(
        r["tasks"].as_array().unwrap().is_empty(),
        "no tasks before identity is verified"
    );
    // Verified the CCPA way for a deletion: two data points matched against the records.
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{id}/identity/data-points"),
            &json!({"expected_version": 2, "points": [{"name": "phone", "matched": true}]}),
        )
        .await;
    assert_eq!(
        (status, body["verified"].as_bool()),
        (200, Some(false)),
        "one point is not enough"
    );
    let (status, body) = officer.fire(&id, "verify", 2).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("guard_failed"))
    );
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{id}/identity/data-points"),
            &json!({"expected_version": 2, "points": [{"name": "phone", "matched": true},
                    {"name": "postal_code", "matched": true}, {"name": "last_order", "matched": false}]}),
        )
        .await;
    assert_eq!(
        (
            status,
            body["verified"].as_bool(),
            body["required"].as_i64()
        ),
        (200, Some(true), Some(2)),
        "{body}"
    );
    assert_eq!(officer.fire(&id, "verify", 3).await.0, 200);
    let r = officer.request(&id).await;
    let tasks = r["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 4, "one per active system");
    assert!(
        tasks
            .iter()
            .all(|t| t["kind"] == "erase" && t["status"] == "open")
    );
    let (status, body) = officer.fire(&id, "fulfil", 4).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (422, Some("a data-system task is still open"))
    );

    // Wrong outcomes are refused field by field and change nothing.
    let audit_before = app.count("audit_events");
    let orders = task(&r, "Orders and billing");
    for (wrong, field, code) in [
        (
            json!({"outcome": "exported", "export": "{}"}),
            "outcome",
            "outcome_not_for_task",
        ),
        (
            json!({"outcome": "retained", "legal_ground": "  "}),
            "legal_ground",
            "required",
        ),
    ] {
        let (status, body) = officer.close(&id, orders, wrong).await;
        assert_eq!((status, field_code(&body, field)), (422, Some(code)));
    }
    let (status, _) = officer
        .close(&id, orders, json!({"outcome": "vanished"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(app.count("audit_events"), audit_before);

    let ground = "Cal. Civ. Code §1798.105(d)(8): invoices kept seven years for tax law";
    let (status, closed) = officer
        .close(
            &id,
            orders,
            json!({"outcome": "retained", "legal_ground": ground, "note": "Order lines deleted"}),
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["open_tasks"], 3);
    let (status, body) = officer
        .close(&id, orders, json!({"outcome": "erased"}))
        .await;
    assert_eq!(
        (status, field_code(&body, "outcome")),
        (422, Some("task_closed"))
    );
    for name in ["Customer accounts", "Customer support"] {
        assert_eq!(
            officer
                .close(&id, task(&r, name), json!({"outcome": "erased"}))
                .await
                .0,
            200
        );
    }
    // The last one on the request page, as its owner would.
    let desk = app
        .signed_in("marketing-owner@example.com", Role::Officer)
        .await;
    let page = desk.get("/staff/systems?lang=en").await;
    assert!(
        page.all_text_of("task-list")
            .unwrap()
            .contains("Marketing preferences"),
        "{}",
        page.body
    );
    let marketing = task(&r, "Marketing preferences")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let request_page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", request_page.csrf())
        .text("outcome", "no_data")
        .text("note", "");
    let res = multipart(
        &desk,
        &app,
        &format!("/staff/requests/{id}/tasks/{marketing}?lang=en"),
        form,
    )
    .await;
    assert_eq!(res, 303);
    let r = officer.request(&id).await;
    assert!(common::has_fact(&r, "tasks_done"));
    assert_eq!(r["version"], 5, "the last task marks the tasks done");
    let (status, body) = officer.fire(&id, "fulfil", 5).await;
    assert_eq!(status, 200, "{body}");

    // The answer lists each system's outcome, and the ground for what was kept.
    let r = officer.request(&id).await;
    let notice = r["notices"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(notice["kind"], "answer_ready");
    let letter = desk.get(notice["letter"].as_str().unwrap()).await;
    let list = letter.all_text_of("letter-list").unwrap();
    assert!(
        list.contains("Customer accounts：復元できない方法で消去しました"),
        "{list}"
    );
    assert!(
        list.contains("Marketing preferences：該当するデータはありませんでした"),
        "{list}"
    );
    assert!(
        list.contains(&format!(
            "Orders and billing：次の法的根拠により一部のデータを保持しています（{ground}）"
        )),
        "{list}"
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "identity.check_failed" && e.details.contains("\"matched\":1"))
    );
    assert!(audit.iter().any(|e| e.action == "identity.verified"
        && e.details.contains("data_points")
        && !e.details.contains("555")));
    let completed: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "task.completed")
        .collect();
    assert_eq!(completed.len(), 4);
    assert!(
        completed
            .iter()
            .any(|e| e.details.contains("retained") && e.details.contains("1798.105"))
    );
}

async fn multipart(
    desk: &Browser,
    app: &TestApp,
    path: &str,
    form: reqwest::multipart::Form,
) -> u16 {
    multipart_page(desk, app, path, form).await.0
}

/// Posts a multipart form as the signed-in browser; the status and the page that came back.
async fn multipart_page(
    desk: &Browser,
    _app: &TestApp,
    path: &str,
    form: reqwest::multipart::Form,
) -> (u16, String) {
    let page = desk.post_multipart(path, form).await;
    (page.status, page.body)
}

async fn an_eea_access_waits_for_every_export(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file(&app, "eea", "access").await;
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    let r = officer.request(&id).await;
    assert!(
        r["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["kind"] == "export")
    );
    let accounts = task(&r, "Customer accounts");
    // An export must be there, and be JSON or CSV by its content.
    for (missing_or_wrong, code) in [
        (json!({"outcome": "exported"}), "export_required"),
        (
            json!({"outcome": "exported", "export": "not json, not csv"}),
            "export_type",
        ),
    ] {
        let (status, body) = officer.close(&id, accounts, missing_or_wrong).await;
        assert_eq!((status, field_code(&body, "file")), (422, Some(code)));
    }
    let export = r#"{"name": "Pat Doe", "email": "pat@example.com", "orders": 3}"#;
    let (status, _) = officer
        .close(
            &id,
            accounts,
            json!({"outcome": "exported", "export": export}),
        )
        .await;
    assert_eq!(status, 200);
    for name in ["Customer support", "Marketing preferences"] {
        assert_eq!(
            officer
                .close(&id, task(&r, name), json!({"outcome": "no_data"}))
                .await
                .0,
            200
        );
    }
    // The last, a CSV uploaded on the page.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    let orders = task(&r, "Orders and billing")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A refused close comes back with the note as typed.
    let kept = reqwest::multipart::Form::new()
        .text("csrf_token", page.csrf())
        .text("outcome", "exported")
        .text("note", "exported by the night job")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"not data".to_vec()).file_name("x.txt"),
        );
    let (status, body) = multipart_page(
        &desk,
        &app,
        &format!("/staff/requests/{id}/tasks/{orders}?lang=en"),
        kept,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("value=\"exported by the night job\""),
        "{body}"
    );
    let bad = reqwest::multipart::Form::new()
        .text("csrf_token", page.csrf())
        .text("outcome", "exported")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.7 nope".to_vec()).file_name("x.pdf"),
        );
    assert_eq!(
        multipart(
            &desk,
            &app,
            &format!("/staff/requests/{id}/tasks/{orders}?lang=en"),
            bad
        )
        .await,
        422
    );
    let csv = "order,date,total\nA-1,2026-10-01,3200\n";
    let good = reqwest::multipart::Form::new()
        .text("csrf_token", page.csrf())
        .text("outcome", "exported")
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("orders.csv"),
        );
    assert_eq!(
        multipart(
            &desk,
            &app,
            &format!("/staff/requests/{id}/tasks/{orders}?lang=en"),
            good
        )
        .await,
        303
    );
    let r = officer.request(&id).await;
    let t = task(&r, "Orders and billing");
    assert_eq!(
        (t["status"].as_str(), t["export_media_type"].as_str()),
        (Some("exported"), Some("text/csv"))
    );
    // Staff open the export (audited); its bytes are what was uploaded, and stored sealed.
    let opened = desk
        .get(&format!("/staff/requests/{id}/tasks/{orders}/export"))
        .await;
    assert_eq!((opened.status, opened.body.as_str()), (200, csv));
    assert_eq!(
        opened.headers["content-disposition"],
        format!("attachment; filename=\"kaiji-export-{id}-{orders}.csv\"").as_str()
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "file.viewed" && e.details.contains("export"))
    );
    let (status, body) = officer.fire(&id, "answer", 3).await;
    assert_eq!(status, 200, "{body}");

    // The answer: one package with every export and the processing information, behind a link that
    // works three times within fourteen days.
    let r = officer.request(&id).await;
    let dl = &r["reply"]["downloads"][0];
    assert_eq!(dl["expires_at"], "2026-12-06T01:00:00Z");
    let notice = r["notices"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (notice["kind"].as_str(), notice["channel"].as_str()),
        (Some("answer_ready"), Some("email"))
    );
    let path = download_path(&desk, notice["letter"].as_str().unwrap()).await;
    let requester = app.browser();
    let page = requester.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.text_of("download-left").as_deref(), Some("3"));
    for n in 1..=2 {
        let zip = requester.submit(&path, &page, &[]).await;
        assert_eq!(zip.status, 200, "download {n}");
        if n == 1 {
            let files = unzip(&zip.raw);
            let info: Value = serde_json::from_str(&files["processing-information.json"]).unwrap();
            assert!(
                info["processing_information"]["controller"]
                    .as_str()
                    .unwrap()
                    .contains("Amazon Web Services EMEA SARL")
            );
            assert!(
                info["complaint_authority"]
                    .as_str()
                    .unwrap()
                    .contains("CNPD")
            );
            assert!(
                info["processing_information"]["rights"]
                    .as_str()
                    .unwrap()
                    .contains("Art. 15")
            );
            assert_eq!(info["systems"].as_array().unwrap().len(), 4);
            assert_eq!(files["data/customer-accounts.json"], export);
            assert_eq!(files["data/orders-and-billing.csv"], csv);
            assert!(
                !files.keys().any(|k| k.contains("support")),
                "no file for a system without data"
            );
        }
    }
    // The last download, asked for twice at once: one gets it, the other is refused.
    let form = [("csrf_token", page.csrf())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (x, y) = futures_util::join!(
        requester.post_form(&path, &form),
        requester.post_form(&path, &form)
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(statuses, [200, 410], "the limit holds under a race");
    let used_up = requester.submit(&path, &page, &[]).await;
    assert_eq!(used_up.status, 410);
    assert!(used_up.body.contains("download_limit_reached"));
    assert_eq!(requester.get(&path).await.status, 410);
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "reply.downloaded")
            .count(),
        3
    );
    // A forged link finds nothing.
    let forged = format!("{}{}", &path[..path.len() - 4], "0000");
    assert_eq!(requester.get(&forged).await.status, 404);

    // After the retention period the exports are erased, and the package with its expired link; not
    // while a legal hold keeps them (a complaint about the answer is pending).
    app.clock.advance(chrono::TimeDelta::days(31));
    let purge = || {
        let (db, clock) = (app.state.db.clone(), app.clock.clone());
        tokio::task::spawn_blocking(move || kaiji::app::documents::purge(&db, &clock, 30).unwrap())
    };
    let hold = |on: bool| json!({"hold": on, "reason": "Complaint about the answer pending"});
    let url = format!("/api/v1/requests/{id}/legal-hold");
    assert_eq!(officer.post(&url, &hold(true)).await.0, 204);
    assert_eq!(purge().await.unwrap(), 0, "held: nothing erased");
    assert_eq!(officer.post(&url, &hold(false)).await.0, 204);
    assert_eq!(purge().await.unwrap(), 3, "the two exports and the package");
    let desk = app.signed_in("late@example.com", Role::Officer).await;
    assert_eq!(
        desk.get(&format!("/staff/requests/{id}/tasks/{orders}/export"))
            .await
            .status,
        410
    );
}

async fn the_registry_is_kept_by_administrators(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let admin = api(&app, "admin@example.com", Role::Admin).await;
    let listed = officer.get("/api/v1/data-systems").await;
    assert_eq!(listed.as_array().unwrap().len(), 4, "the seeded examples");
    let new = json!({"name": "Data warehouse", "owner_email": "bi@example.com",
                     "categories": "purchase history, browsing events", "retention": "25 months",
                     "deletion_method": "Partition rewrite within 30 days"});
    let (status, _) = officer.post("/api/v1/data-systems", &new).await;
    assert_eq!(
        status, 403,
        "officers read the registry; administrators keep it"
    );
    let (status, body) = admin
        .post(
            "/api/v1/data-systems",
            &json!({"name": "", "owner_email": "nope"}),
        )
        .await;
    assert_eq!(status, 422);
    for f in [
        "name",
        "owner_email",
        "categories",
        "retention",
        "deletion_method",
    ] {
        assert!(body["error"]["fields"][f].is_array(), "{f}: {body}");
    }
    let (status, row) = admin.post("/api/v1/data-systems", &new).await;
    assert_eq!(status, 201, "{row}");
    // Its categories are a list, its times carry their offset.
    assert_eq!(
        row["categories"],
        json!(["purchase history", "browsing events"])
    );
    assert!(
        row["created_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{row}"
    );
    let (status, body) = admin.post("/api/v1/data-systems", &new).await;
    assert_eq!(
        (status, field_code(&body, "name")),
        (422, Some("system_name_taken"))
    );

    // With every system retired, an access cannot start: there would be nothing to answer from.
    let all = officer.get("/api/v1/data-systems").await;
    for s in all.as_array().unwrap() {
        let (status, _) = admin
            .post(
                &format!("/api/v1/data-systems/{}/active", s["id"].as_str().unwrap()),
                &json!({"active": false}),
            )
            .await;
        assert_eq!(status, 204);
    }
    let id = file(&app, "eea", "access").await;
    let (status, body) = officer.fire(&id, "start_processing", 1).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("not_configured"))
    );
    let r = officer.request(&id).await;
    assert_eq!(
        (r["version"].as_i64(), r["tasks"].as_array().unwrap().len()),
        (Some(1), 0)
    );
    // One back in use: one task.
    let (status, _) = admin
        .post(
            &format!(
                "/api/v1/data-systems/{}/active",
                row["id"].as_str().unwrap()
            ),
            &json!({"active": true}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    let r = officer.request(&id).await;
    assert_eq!(r["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(r["tasks"][0]["system"], "Data warehouse");
    // A correction is carried out in the one system in use, and waits for it.
    let c = file(&app, "eea", "correction").await;
    assert_eq!(officer.fire(&c, "start_processing", 1).await.0, 200);
    assert_eq!(officer.fire(&c, "answer", 2).await.0, 422);
    let r = officer.request(&c).await;
    assert_eq!(
        (
            r["tasks"].as_array().unwrap().len(),
            r["tasks"][0]["kind"].as_str()
        ),
        (1, Some("rectify"))
    );
    let (status, _) = officer
        .close(
            &c,
            &r["tasks"][0],
            json!({"outcome": "declined", "legal_ground": "Art. 16: the data is accurate"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(officer.fire(&c, "answer", 3).await.0, 200);

    // The page: administrators see the form, officers only the registry.
    let admin_page = app
        .signed_in("admin2@example.com", Role::Admin)
        .await
        .get("/staff/systems")
        .await;
    assert!(admin_page.body.contains("id=\"system-form\""));
    let officer_page = app
        .signed_in("o2@example.com", Role::Officer)
        .await
        .get("/staff/systems")
        .await;
    assert!(
        !officer_page.body.contains("id=\"system-form\"")
            && officer_page.body.contains("Data warehouse")
    );
    let audit = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 200).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "system.registered" && e.details.contains("Data warehouse"))
    );
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "system.changed")
            .count(),
        6
    );
}

async fn portability_answers_in_json_and_the_link_expires(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file(&app, "eea", "portability").await;
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    let r = officer.request(&id).await;
    let csv = "order,total\nA-1,3200\n";
    for t in r["tasks"].as_array().unwrap() {
        let body = if t["system"] == "Orders and billing" {
            json!({"outcome": "exported", "export": csv})
        } else {
            json!({"outcome": "no_data"})
        };
        assert_eq!(officer.close(&id, t, body).await.0, 200);
    }
    assert_eq!(officer.fire(&id, "answer", 3).await.0, 200);
    let r = officer.request(&id).await;
    let notice = r["notices"].as_array().unwrap().last().unwrap().clone();
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let path = download_path(&desk, notice["letter"].as_str().unwrap()).await;
    let requester = app.browser();
    let files = common::fetch_package(&requester, &path).await;
    let data: Value = serde_json::from_str(&files["data/orders-and-billing.json"]).unwrap();
    assert_eq!(
        data,
        json!([{"order": "A-1", "total": "3200"}]),
        "CSV became JSON records"
    );
    assert!(files.keys().all(|k| !k.ends_with(".csv")));
    // Fourteen days on, the link is gone even with downloads left.
    app.clock.advance(chrono::TimeDelta::days(14));
    let expired = requester.get(&path).await;
    assert_eq!(expired.status, 410);
    assert!(expired.body.contains("link_expired"));
}

async fn the_tracking_page_shows_the_deadline_the_next_step_the_notices_and_the_answer(
    app: TestApp,
) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (id, token) = filed(
        &app,
        json!({"name": "Pat Doe", "message": "Everything, please."}),
    )
    .await;
    let subject = app.browser();
    let first = subject.get(&format!("/track/{token}?lang=en")).await;
    assert!(
        first.text_of("track-confirm-email").is_some(),
        "{}",
        first.body
    );
    assert!(
        first
            .all_text_of("track-notice-list")
            .unwrap()
            .contains("Please confirm your email address")
    );
    app.confirm_email(&id).await;
    let track = |lang: &'static str| {
        let (subject, token) = (&subject, token.clone());
        async move { subject.get(&format!("/track/{token}?lang={lang}")).await }
    };
    let page = track("en").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.text_of("track-due").as_deref(),
        Some("2026-12-22"),
        "one month, GDPR"
    );
    assert!(page.text_of("track-working").is_some());
    assert!(
        page.all_text_of("track-notice-list")
            .unwrap()
            .contains("Request received")
    );
    // Waiting on the requester is said plainly.
    assert_eq!(officer.fire(&id, "request_identity", 1).await.0, 200);
    let page = track("en").await;
    assert!(page.text_of("track-waiting").is_some(), "{}", page.body);
    assert!(
        page.all_text_of("track-notice-list")
            .unwrap()
            .contains("Information needed to confirm your identity")
    );
    assert_eq!(officer.fire(&id, "identity_provided", 2).await.0, 200);
    let r = officer.request(&id).await;
    for t in r["tasks"].as_array().unwrap() {
        assert_eq!(
            officer.close(&id, t, json!({"outcome": "no_data"})).await.0,
            200
        );
    }
    assert_eq!(officer.fire(&id, "answer", 4).await.0, 200);
    // Answered: the tracking page says the answer is ready and where the link went, but does not carry
    // the link itself: whoever holds the tracking link filed the request, and need not be the person
    // the data is about.
    let page = track("ja").await;
    let said = page.all_text_of("track-download").unwrap();
    assert!(said.contains("メールアドレスにお送りしました"), "{said}");
    assert!(
        !page.body.contains("/download/"),
        "no download link on the tracking page"
    );
    assert!(
        page.text_of("track-due").is_none(),
        "no deadline once answered"
    );
    // The link goes out in the answer's notice, to the confirmed address.
    let r = officer.request(&id).await;
    let notice = r["notices"].as_array().unwrap().last().unwrap().clone();
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let href = download_path(&desk, notice["letter"].as_str().unwrap()).await;
    let dl = subject.get(&href).await;
    assert_eq!(dl.status, 200);
    let zip = subject.submit(&href, &dl, &[]).await;
    assert_eq!((zip.status, &zip.raw[..2]), (200, &b"PK"[..]));
    let page = track("en").await;
    assert!(
        page.all_text_of("track-notice-list")
            .unwrap()
            .contains("Answer ready to download")
    );
}

async fn an_extension_gives_the_new_date_and_a_partial_refusal_its_reasons(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file(&app, "eea", "access").await;
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    // Inside the first month: extended by two, with the reason and the new date in the notice.
    app.clock.advance(chrono::TimeDelta::days(20));
    let (status, body) = officer
        .event(
            &id,
            "extend",
            2,
            json!({"reason": "Many requests at once; the data spans six systems."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = officer.request(&id).await;
    assert_eq!(r["clocks"][0]["due_on"], "2027-02-22");
    let notice = r["notices"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(notice["kind"], "deadline_extended");
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let letter = desk.get(notice["letter"].as_str().unwrap()).await;
    let rows = letter.all_text_of("letter-rows").unwrap();
    assert!(rows.contains("延長後の回答期限 2027年2月22日"), "{rows}");
    assert!(rows.contains("Many requests at once"), "{rows}");
    // A second extension is refused.
    let (status, body) = officer
        .event(&id, "extend", 3, json!({"reason": "again"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("guard_failed"))
    );

    // Answered in part: the refused part and its reason go into the answer, with where to complain.
    let r = officer.request(&id).await;
    for t in r["tasks"].as_array().unwrap() {
        assert_eq!(
            officer.close(&id, t, json!({"outcome": "no_data"})).await.0,
            200
        );
    }
    // A part refused rests on one of the law's grounds: without one, nothing goes out.
    let part = json!({"partial_refusal": "Call recordings that reveal other people"});
    let (status, body) = officer.event(&id, "answer", 4, part).await;
    assert_eq!(
        (status, field_code(&body, "ground")),
        (422, Some("required")),
        "{body}"
    );
    let (status, body) = officer
        .event(
            &id,
            "answer",
            4,
            json!({"partial_refusal": "Call recordings that reveal other people",
                             "ground": "rights_of_others"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = officer.request(&id).await;
    let notice = r["notices"].as_array().unwrap().last().unwrap().clone();
    let letter = desk.get(notice["letter"].as_str().unwrap()).await;
    assert!(
        letter.body.contains("ご請求の一部には応じられません") && letter.body.contains("15条4項"),
        "the part refused and the law's ground: {}",
        letter.body
    );
    assert!(
        letter.body.contains("CNPD"),
        "the complaint authority is named"
    );
}

async fn signing_in_verifies_identity_and_no_documents_are_asked(app: TestApp) {
    use base64::Engine;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (id, token) = filed(&app, json!({"name": "Pat Doe", "message": "All of it."})).await;
    let now = app.clock.now().timestamp();
    let key = app.state.keys.assertion.as_ref().unwrap().expose().to_vec();
    let assertion = |email: &str, exp: i64, key: &[u8]| {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            r#"{{"account_id":"ACC-1001","email":"{email}","exp":{exp}}}"#
        ));
        let sig = kaiji::security::tokens::sign(key, payload.as_bytes());
        format!("{payload}.{sig}")
    };
    let b = app.browser();
    let go = |a: String| {
        let (b, token) = (&b, token.clone());
        async move {
            b.get(&format!("/track/{token}/account-verified?assertion={a}"))
                .await
        }
    };
    let before = app.count("audit_events");
    for (bad, why) in [
        (
            assertion(
                "pat@example.com",
                now + 300,
                b"another key, another company......",
            ),
            "forged",
        ),
        (
            assertion("kim@example.com", now + 300, &key),
            "someone else's account",
        ),
        (assertion("pat@example.com", now - 1, &key), "expired"),
        (
            assertion("pat@example.com", now + 86_400, &key),
            "too long-lived",
        ),
        ("garbage".to_owned(), "unreadable"),
    ] {
        let r = go(bad).await;
        assert_eq!(r.status, 403, "{why}: {}", r.body);
        assert!(r.body.contains("assertion_rejected"), "{why}");
    }
    assert_eq!(app.count("audit_events"), before, "refusals write nothing");
    let ok = go(assertion("Pat@Example.com", now + 300, &key)).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = b.get(&format!("/track/{token}?lang=en")).await;
    assert!(page.text_of("track-identity-verified").is_some());
    assert!(
        page.text_of("track-confirm-email").is_none(),
        "signing in proved the address too"
    );
    let r = officer.request(&id).await;
    let facts = r["facts"].as_array().unwrap();
    assert!(
        facts.contains(&json!("identity_verified")) && facts.contains(&json!("email_confirmed"))
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(audit.iter().any(|e| e.action == "identity.verified"
        && e.details.contains("account_assertion")
        && e.details.contains("ACC-1001")));
    // The stronger method succeeded: the engine will not ask for more proof.
    let (status, body) = officer.fire(&id, "request_identity", 1).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already verified"),
        "{body}"
    );
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
}

async fn specific_pieces_need_three_points_and_a_declaration_or_a_recorded_judgement(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file(&app, "california", "access").await;
    assert_eq!(officer.fire(&id, "acknowledge", 1).await.0, 200);
    let three = json!([{"name": "phone", "matched": true}, {"name": "postal_code", "matched": true},
                       {"name": "last_order", "matched": true}]);
    let points = |v: i64, declaration: bool| json!({"expected_version": v, "points": three.clone(), "declaration_signed": declaration});
    let path = format!("/api/v1/requests/{id}/identity/data-points");
    let (_, d) = officer.post(&path, &points(2, false)).await;
    assert_eq!(
        (d["verified"].as_bool(), d["declaration_required"].as_bool()),
        (Some(false), Some(true))
    );
    let (status, _) = officer.post(&path, &points(1, true)).await;
    assert_eq!(status, 409, "a stale version is refused");
    let (status, body) = officer
        .post(&path, &json!({"expected_version": 2, "points": [{"name": "phone", "matched": true}, {"name": "PHONE", "matched": true}]}))
        .await;
    assert_eq!(
        (status, field_code(&body, "points")),
        (422, Some("duplicate_data_point"))
    );
    let (_, d) = officer.post(&path, &points(2, true)).await;
    assert_eq!(d["verified"], true);
    assert_eq!(officer.fire(&id, "verify", 3).await.0, 200);

    // Elsewhere, an officer's judgement, with its reason on record.
    let g = file(&app, "eea", "access").await;
    let jpath = format!("/api/v1/requests/{g}/identity/judgement");
    let (status, body) = officer
        .post(&jpath, &json!({"expected_version": 1, "reason": " "}))
        .await;
    assert_eq!(
        (status, field_code(&body, "reason")),
        (422, Some("required"))
    );
    let (status, _) = officer
        .post(&jpath, &json!({"expected_version": 1, "reason": "Filed from the account's registered address; low-risk data only."}))
        .await;
    assert_eq!(status, 204);
    let r = officer.request(&g).await;
    assert!(common::has_fact(&r, "identity_verified"));
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &g).unwrap();
    assert!(audit.iter().any(|e| e.action == "identity.verified"
        && e.details.contains("officer_judgement")
        && e.details.contains("registered address")));
    // Verified: asking for more proof is refused.
    let (status, _) = officer.fire(&g, "request_identity", 2).await;
    assert_eq!(status, 422);
}

async fn an_agents_request_waits_for_the_person_to_confirm_directly(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    // On the form, an agent must say who for and how to reach them; what was typed is kept.
    let b = app.browser();
    let form = b.get("/?lang=en").await;
    let bad = b
        .submit(
            "/requests?lang=en",
            &form,
            &[
                ("name", "Agent Smith"),
                ("email", "agent@example.com"),
                ("request_type", "deletion"),
                ("jurisdiction", "california"),
                ("message", "For my client."),
                ("requester_kind", "agent"),
                ("person_name", "Pat Doe"),
                ("person_email", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text_of("person_email-error").is_some(), "{}", bad.body);
    assert!(bad.body.contains("value=\"Pat Doe\"") && bad.body.contains("value=\"agent\" checked"));

    let (id, token) = filed(
        &app,
        json!({"name": "Agent Smith", "email": "agent@example.com", "request_type": "deletion",
               "jurisdiction": "california", "message": "For my client.",
               "requester_kind": "agent", "person_name": "Pat Doe", "person_email": "pat@example.com"}),
    )
    .await;
    app.confirm_email(&id).await; // the agent's own address
    let r = officer.request(&id).await;
    assert_eq!(
        (
            r["on_behalf"]["kind"].as_str(),
            r["on_behalf"]["person_name"].as_str()
        ),
        (Some("agent"), Some("Pat Doe"))
    );
    let kinds = notice_kinds(&r);
    assert!(
        kinds.iter().any(|k| k == "person_confirmation"),
        "{kinds:?}"
    );
    let (status, body) = officer.fire(&id, "acknowledge", 1).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "the person has not yet confirmed the agent's request"
    );
    let page = app.browser().get(&format!("/track/{token}?lang=en")).await;
    assert!(
        page.text_of("track-awaiting-person").is_some(),
        "{}",
        page.body
    );

    // The letter to the person carries their own link; they confirm once.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let notice = common::notice(&r, "person_confirmation");
    let letter = desk.get(notice["letter"].as_str().unwrap()).await;
    let rows = letter.all_text_of("letter-rows").unwrap();
    let at = rows.find("/confirm-person/").unwrap();
    let path: String = rows[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let person = app.browser();
    let p = person.get(&format!("{path}?lang=en")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.text_of("person-agent").as_deref(), Some("Agent Smith"));
    // A person who authorised nobody is shown where to say so.
    assert!(
        p.body
            .contains(r#"<a href="/inquiries?lang=en" id="person-not-mine">"#),
        "{}",
        p.body
    );
    let done = person.submit(&path, &p, &[]).await;
    assert_eq!(done.status, 200);
    assert!(done.text_of("person-confirmed").is_some());
    assert_eq!(person.get(&path).await.status, 410, "used once");
    let forged = format!("/confirm-person/{id}.{}", "0".repeat(64));
    assert_eq!(person.get(&forged).await.status, 404);
    assert_eq!(officer.fire(&id, "acknowledge", 1).await.0, 200);
    let r = officer.request(&id).await;
    assert!(r["on_behalf"]["person_confirmed_at"].is_string());
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(audit.iter().any(|e| e.action == "request.person_confirmed"));
}

async fn failed_verification_ends_in_a_refusal_that_says_how_to_try_again(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file(&app, "eea", "deletion").await;
    assert_eq!(officer.fire(&id, "request_identity", 1).await.0, 200);
    let (status, body) = officer.event(&id, "refuse_unverified", 2, json!({})).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (422, Some("a reason is required"))
    );
    let (status, body) = officer
        .event(
            &id,
            "refuse_unverified",
            2,
            json!({"reason": "No answer to our request for information within a month."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = officer.request(&id).await;
    assert_eq!(
        (r["state"].as_str(), r["closed"].as_bool()),
        (Some("refused"), Some(true))
    );
    assert!(
        r["tasks"].as_array().unwrap().is_empty(),
        "nothing was erased or disclosed"
    );
    let notice = r["notices"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(notice["kind"], "identity_not_verified");
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let letter = desk.get(notice["letter"].as_str().unwrap()).await;
    assert!(
        letter.body.contains("改めてご請求いただく際は")
            && letter.body.contains("一切行っていません")
    );
    assert!(letter.body.contains("No answer to our request") && letter.body.contains("CNPD"));
    // Someone whose identity is verified cannot be refused as unverified.
    let v = file(&app, "eea", "access").await;
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{v}/identity/judgement"),
            &json!({"expected_version": 1, "reason": "Known customer on the phone, callback made."}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{v}/events"),
            &json!({"event": "refuse_unverified", "expected_version": 2, "data": {"reason": "x"}}),
        )
        .await;
    assert_eq!(status, 422);
}
