//! The CCPA's choices (issue 21, parts 2 and 3), on both backends: an opt-out of sale or sharing filed
//! from the "Do Not Sell or Share" link without a message or any verification, honoured by an officer
//! (the choice recorded for data systems, every system stopping, those it sold or shared to told, the
//! consumer told), a limit refused only with the fraud ground, an opt-in only after its second step, an
//! agent's opt-out only after the officer checked their permission; the lookup API; and Global Privacy
//! Control honoured for a person kaiji knows, once, and shown to them.

use crate::common;

use common::{TestApp, api, audited, field_code, file_id};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    an_opt_out_is_filed_from_its_link_recorded_and_passed_on,
    refusals_opt_ins_and_agents_follow_the_law,
    the_lookup_refuses_bad_input_and_finds_either_key,
    global_privacy_control_is_honoured_for_a_known_person,
);

async fn lookup(officer: &common::Api, body: Value) -> (u16, Value) {
    officer.post("/api/v1/preferences/lookup", &body).await
}

fn standing<'a>(answer: &'a Value, kind: &str) -> Option<&'a Value> {
    answer["preferences"]
        .as_array()?
        .iter()
        .find(|p| p["kind"] == kind)
}

async fn an_opt_out_is_filed_from_its_link_recorded_and_passed_on(app: TestApp) {
    let b = app.browser();
    // The form carries the links the law words; the opt-out one opens the form at that right.
    let home = b.get("/?lang=en").await;
    assert_eq!(home.status, 200);
    assert!(
        home.body
            .contains("Do Not Sell or Share My Personal Information"),
        "{}",
        home.body
    );
    assert!(
        home.body
            .contains("Limit the Use of My Sensitive Personal Information")
    );
    assert!(home.body.contains("right=opt_out_sale"));
    let procedures = b.get("/procedures?lang=en").await;
    assert!(procedures.body.contains("id=\"privacy-links\""));
    assert!(
        procedures
            .body
            .contains("California (CCPA) opt-out of sale or sharing")
    );
    let form = b.get("/?place=US-CA&right=opt_out_sale&lang=en").await;
    assert!(
        form.body
            .contains("<option value=\"opt_out_sale\" selected>"),
        "the link preselects the right"
    );
    assert!(
        !form.body.contains("maxlength=\"5000\" required"),
        "no message is asked for an opt-out"
    );
    // Filed with a name and an address only: no message, no data points, no confirmation asked.
    let res = b
        .submit(
            "/requests",
            &form,
            &[
                ("name", "Casey Doe"),
                ("email", "Casey@Example.com"),
                ("request_type", "opt_out_sale"),
                ("jurisdiction", "US-CA"),
                ("message", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let queue = officer.get("/api/v1/queue?right=opt_out_sale").await;
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["request_type"] == "opt_out_sale")
        .cloned()
        .expect("the opt-out is in the queue");
    let id = item["id"].as_str().unwrap().to_owned();
    let r = officer.request(&id).await;
    assert_eq!(r["workflow"]["id"], "ccpa-opt-out", "{r}");
    // 15 California business days from receipt (§7026(f)), not the 45 days of the other rights.
    let clocks: Vec<&str> = r["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(clocks, ["opt_out"], "{r}");
    assert!(
        !r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "email_confirmation"),
        "no confirmation is asked of an opt-out"
    );
    // Nothing recorded before an officer honours it.
    let (status, before) = lookup(&officer, json!({"email": "casey@example.com"})).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["preferences"], json!([]));

    let (status, body) = officer.fire(&id, "honour", 1).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "stopping");
    let (status, found) = lookup(&officer, json!({"email": " CASEY@example.COM "})).await;
    assert_eq!(status, 200);
    let s = standing(&found, "sale_sharing").expect("recorded");
    assert_eq!(
        (
            s["value"].as_str(),
            s["source"].as_str(),
            s["regime"].as_str()
        ),
        (Some("opted_out"), Some("request"), Some("ccpa"))
    );
    assert!(standing(&found, "sensitive_use").is_none());

    // Every system stops; the third parties and processors of each are told to stop too.
    let r = officer.request(&id).await;
    let tasks = r["tasks"].as_array().unwrap().clone();
    assert!(!tasks.is_empty(), "{r}");
    assert!(tasks.iter().all(|t| t["kind"] == "stop_processing"));
    let (status, _) = officer.fire(&id, "confirm", 2).await;
    assert_eq!(status, 422, "not before every system stopped");
    officer
        .close_each(
            &id,
            json!({"outcome": "stopped", "purposes": "sale and sharing of personal information"}),
        )
        .await;
    let r = officer.request(&id).await;
    let told: Vec<&Value> = r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "recipient_notified")
        .collect();
    assert_eq!(
        told.len(),
        3,
        "each seeded system's recipient hears of it: {r}"
    );
    let version = r["version"].as_i64().unwrap();
    let (status, body) = officer.fire(&id, "confirm", version).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "completed");
    assert!(
        body["notices_queued"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "action_completed"),
        "the consumer is told the opt-out was processed: {body}"
    );
    // Audited: the choice, without the address.
    let events = audited(&app, "preference.recorded");
    assert_eq!(events.len(), 1);
    assert!(!events[0].contains("casey"), "{}", events[0]);
    assert!(events[0].contains("sale_sharing"));
    let looked = audited(&app, "preference.looked_up");
    assert!(looked.iter().all(|e| !e.contains("casey")));
    assert_eq!(app.count("privacy_preferences"), 1);
}

async fn refusals_opt_ins_and_agents_follow_the_law(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    // A limit refused: only on the documented fraud ground, with the reason.
    let limit = file_id(
        &app,
        json!({"name": "Robin", "email": "robin@example.com", "request_type": "limit_sensitive",
               "jurisdiction": "US-CA", "message": ""}),
    )
    .await;
    let r = officer.request(&limit).await;
    let deny = common::allowed_event(&r, "deny");
    assert_eq!(common::ground_codes(deny), ["suspected_fraud"]);
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{limit}/events"),
            &json!({"event": "deny", "expected_version": 1, "data": {"reason": "Filed from a flagged address"}}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "ground")),
        (422, Some("required")),
        "{body}"
    );
    let (status, body) = officer.fire(&limit, "deny", 1).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("denied")));
    let (_, found) = lookup(&officer, json!({"email": "robin@example.com"})).await;
    assert_eq!(
        found["preferences"],
        json!([]),
        "a refused limit records nothing"
    );

    // The opt-in: two steps, the request and then the consumer's own confirmation.
    let opt_in = file_id(
        &app,
        json!({"name": "Robin", "email": "robin@example.com", "request_type": "opt_in_sale",
               "jurisdiction": "US-CA", "message": "", "account_id": "AC-77"}),
    )
    .await;
    let (status, body) = officer.fire(&opt_in, "honour", 1).await;
    assert_eq!(status, 422, "not before the second step: {body}");
    app.confirm_email(&opt_in).await;
    let version = officer.version(&opt_in).await;
    let (status, body) = officer.fire(&opt_in, "honour", version).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("completed")));
    // Found by the account id as well as by the address.
    let (_, by_account) = lookup(&officer, json!({"account_id": "AC-77"})).await;
    assert_eq!(
        standing(&by_account, "sale_sharing").map(|s| s["value"].clone()),
        Some(json!("opted_in"))
    );
    let (_, by_email) = lookup(&officer, json!({"email": "robin@example.com"})).await;
    assert_eq!(
        standing(&by_email, "sale_sharing").map(|s| s["value"].clone()),
        Some(json!("opted_in"))
    );

    // An agent's opt-out waits for the officer's check of the consumer's signed permission (§7026(j)).
    let agent = file_id(
        &app,
        json!({"name": "Agent Co", "email": "desk@agent.example", "request_type": "opt_out_sale",
               "jurisdiction": "US-CA", "message": "", "requester_kind": "agent",
               "person_name": "Sam Roe", "person_email": "sam@example.com"}),
    )
    .await;
    let (status, body) = officer.fire(&agent, "honour", 1).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("guard_failed")),
        "{body}"
    );
    assert_eq!(app.count("privacy_preferences"), 1);
}

async fn the_lookup_refuses_bad_input_and_finds_either_key(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    for (body, field, code) in [
        (json!({}), "email", "required"),
        (
            json!({"email": "  ", "account_id": ""}),
            "email",
            "required",
        ),
        (json!({"email": "not an address"}), "email", "invalid_email"),
        (
            json!({"account_id": "x".repeat(201)}),
            "account_id",
            "too_long",
        ),
        (
            json!({"account_id": "a\u{7}b"}),
            "account_id",
            "invalid_characters",
        ),
    ] {
        let (status, res) = lookup(&officer, body.clone()).await;
        assert_eq!(
            (status, field_code(&res, field)),
            (422, Some(code)),
            "{body}: {res}"
        );
    }
    let (status, _) = lookup(&officer, json!({"email": "a@example.com", "extra": 1})).await;
    assert_eq!(status, 422, "unknown fields are refused");
    let (status, _) = lookup(&officer, json!({"email": 7})).await;
    assert_eq!(status, 422);
    // Only those who must honour it may ask: not an auditor, not without a token.
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let (status, _) = lookup(&auditor, json!({"email": "a@example.com"})).await;
    assert_eq!(status, 403);
    let owner = api(&app, "owner@example.com", Role::SystemOwner).await;
    let (status, body) = lookup(&owner, json!({"email": "a@example.com"})).await;
    assert_eq!((status, body["preferences"].clone()), (200, json!([])));
    let anonymous = app
        .browser()
        .post_json(
            "/api/v1/preferences/lookup",
            &json!({"email": "a@example.com"}),
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

async fn global_privacy_control_is_honoured_for_a_known_person(app: TestApp) {
    let b = app.browser();
    let gpc = b.get("/.well-known/gpc.json").await;
    assert_eq!(gpc.status, 200);
    assert_eq!(gpc.json()["gpc"], json!(true));
    assert!(
        gpc.json()["lastUpdate"]
            .as_str()
            .is_some_and(|d| d.len() == 10)
    );
    // Unknown yet: the form says the signal will be honoured, and nothing is recorded.
    let form = b.get_with("/?lang=en", &[("Sec-GPC", "1")]).await;
    assert!(form.body.contains("id=\"gpc-signal\""), "{}", form.body);
    let plain = b.get("/?lang=en").await;
    assert!(!plain.body.contains("id=\"gpc-signal\""));
    assert_eq!(app.count("privacy_preferences"), 0);

    // Known through their request under the CCPA: the signal is their opt-out, recorded once.
    let filed = common::file_json(
        &app,
        json!({"name": "Lee", "email": "lee@example.com", "request_type": "know_categories",
               "jurisdiction": "US-CA", "message": "What do you hold?"}),
    )
    .await;
    let link = filed["tracking_url"]
        .as_str()
        .map(|u| u[u.find("/track/").unwrap()..].to_owned())
        .expect("a tracking link");
    let without = b.get(&link).await;
    assert_eq!(without.status, 200);
    assert!(!without.body.contains("gpc-honoured"));
    let with = b.get_with(&link, &[("Sec-GPC", "1")]).await;
    assert_eq!(with.status, 200);
    assert!(with.body.contains("id=\"gpc-honoured\""), "{}", with.body);
    let again = b.get_with(&link, &[("Sec-GPC", "1")]).await;
    assert!(again.body.contains("id=\"gpc-honoured\""));
    assert_eq!(app.count("privacy_preferences"), 1, "recorded once");
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (_, found) = lookup(&officer, json!({"email": "lee@example.com"})).await;
    let s = standing(&found, "sale_sharing").expect("the signal's opt-out");
    assert_eq!(
        (s["value"].as_str(), s["source"].as_str()),
        (Some("opted_out"), Some("gpc"))
    );
    // Any other value is no signal.
    let japan = common::file_json(
        &app,
        json!({"name": "Aki", "email": "aki@example.com", "jurisdiction": "japan"}),
    )
    .await;
    let jlink = japan["tracking_url"]
        .as_str()
        .map(|u| u[u.find("/track/").unwrap()..].to_owned())
        .unwrap();
    let jp = b.get_with(&jlink, &[("Sec-GPC", "1")]).await;
    assert!(
        !jp.body.contains("gpc-honoured"),
        "the APPI gives the signal no effect"
    );
    let zero = b.get_with(&link, &[("Sec-GPC", "0")]).await;
    assert!(!zero.body.contains("gpc-honoured"));
    assert_eq!(app.count("privacy_preferences"), 1);
    // The reports count the signal's opt-outs.
    let reporter = api(&app, "admin@example.com", Role::Admin).await;
    let report = reporter.get("/api/v1/reports").await;
    assert_eq!(report["gpc_opt_outs"], json!(1), "{report}");
}
