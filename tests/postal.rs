//! The Japanese postal procedure (seed 004): letters registered by officers, on both backends.

mod common;

use common::{Browser, TestApp};
use kaiji::app::staff;
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    a_letter_becomes_one_request_per_type_with_clocks_from_arrival,
    letters_by_fax_or_email_are_recorded_and_answered_not_accepted,
    bad_letters_are_refused_field_by_field,
    officers_register_letters_on_a_page,
    the_one_month_rule_decides_whether_identity_can_be_confirmed,
    an_agent_missing_the_seal_certificate_waits_with_the_clock_paused,
    scans_are_encrypted_viewed_with_an_audit_trail_and_purged,
);

struct Api {
    http: Browser,
    token: String,
}

async fn officer(app: &TestApp) -> Api {
    app.staff(
        "desk@example.com",
        Role::Officer,
        "correct horse battery staple",
    )
    .await;
    let (db, clock) = (app.state.db.clone(), app.clock.clone());
    let issued = tokio::task::spawn_blocking(move || {
        staff::create_api_token(&db, &clock, "desk@example.com", "tests")
    })
    .await
    .unwrap()
    .unwrap();
    Api {
        http: app.browser(),
        token: issued.token,
    }
}

impl Api {
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let res = reqwest::Client::new()
            .post(format!("{}{path}", self.http.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> Value {
        let auth = format!("Bearer {}", self.token);
        let r = self.http.get_with(path, &[("authorization", &auth)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }
}

fn letter() -> Value {
    json!({
        "name": "山田 太郎", "postal_address": "〒100-0001 東京都千代田区千代田1-1",
        // The test clock is 2026-11-22 at the desk; the letter arrived three days earlier.
        "received_on": "2026-11-19", "request_date": "2026-11-17",
        "mail_class": "registered_with_delivery_certificate", "tracking_number": "１３１－１２－３８３８５－２",
        "requester_kind": "self", "request_types": ["access", "purpose_notification"],
        "services": ["GPUクラウド byGMO", "ConoHa"],
    })
}

async fn a_letter_becomes_one_request_per_type_with_clocks_from_arrival(app: TestApp) {
    let api = officer(&app).await;
    let (status, body) = api.post("/api/v1/postal-requests", &letter()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["channel_refused"], false);
    let requests = body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["request_type"], "access");
    assert_eq!(requests[1]["request_type"], "purpose_notification");
    for r in requests {
        assert!(
            r["receipt_number"]
                .as_str()
                .unwrap()
                .starts_with("KJ-20261119-"),
            "dated by arrival"
        );
        let d = api
            .get(&format!("/api/v1/requests/{}", r["id"].as_str().unwrap()))
            .await;
        assert_eq!(d["workflow"]["id"], "jp-postal");
        assert_eq!(d["channel"], "postal");
        let clock = &d["clocks"][0];
        assert_eq!(
            (clock["started_on"].as_str(), clock["due_on"].as_str()),
            (Some("2026-11-19"), Some("2026-12-03"))
        );
        let p = &d["postal"];
        assert_eq!(
            p["tracking_number"], "131-12-38385-2",
            "normalised from full-width digits and hyphens"
        );
        assert_eq!(p["mail_class"], "registered_with_delivery_certificate");
        assert_eq!(p["services"], json!(["GPUクラウド byGMO", "ConoHa"]));
        assert_eq!(p["requester_kind"], "self");
        assert_eq!(p["request_date"], "2026-11-17");
        assert_eq!(p["envelope_id"], body["envelope_id"]);
        assert_eq!(
            d["notices"][0]["channel"], "letter",
            "no email address: notices become letters"
        );
    }
    let audit = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 20).unwrap();
    let received: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "request.received")
        .collect();
    assert_eq!(received.len(), 2);
    assert!(
        received.iter().all(
            |e| e.actor_kind == "staff" && e.details.contains("\"received_on\":\"2026-11-19\"")
        )
    );
    assert!(
        received.iter().all(|e| !e.details.contains("千代田")),
        "no address in the audit log"
    );
}

async fn letters_by_fax_or_email_are_recorded_and_answered_not_accepted(app: TestApp) {
    let api = officer(&app).await;
    for class in ["fax", "email", "ordinary"] {
        let mut l = letter();
        l["mail_class"] = json!(class);
        l["tracking_number"] = json!("");
        l["request_types"] = json!(["correction"]);
        let (status, body) = api.post("/api/v1/postal-requests", &l).await;
        assert_eq!(status, 201, "{class}: {body}");
        assert_eq!(body["channel_refused"], true);
        let d = api
            .get(&format!(
                "/api/v1/requests/{}",
                body["requests"][0]["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(d["state"], "channel_not_accepted");
        assert_eq!(d["closed"], true);
        let kinds: Vec<&str> = d["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["received", "channel_not_accepted"]);
        assert_eq!(d["postal"]["mail_class"], class);
    }
}

async fn bad_letters_are_refused_field_by_field(app: TestApp) {
    let api = officer(&app).await;
    let before = (app.count("requests"), app.count("audit_events"));
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "tracking_number",
            json!("131-12-38385-3"),
            "tracking_number_check_digit",
        ),
        ("tracking_number", json!("131-12"), "tracking_number_length"),
        ("tracking_number", json!(""), "required"),
        ("received_on", json!("2026-11-23"), "date_in_future"),
        ("received_on", json!("19 Nov"), "invalid_date"),
        ("request_date", json!("2026-11-20"), "date_after_receipt"),
        ("mail_class", json!("pigeon"), "unknown_mail_class"),
        ("requester_kind", json!("agent"), "required"),
        ("request_types", json!([]), "required"),
        ("request_types", json!(["portability"]), "not_offered_here"),
        ("services", json!([" "]), "required"),
        ("postal_address", json!(""), "required"),
    ];
    for (field, value, code) in cases {
        let mut l = letter();
        l[field] = value.clone();
        let (status, body) = api.post("/api/v1/postal-requests", &l).await;
        assert_eq!(status, 422, "{field}={value}: {body}");
        let fields = &body["error"]["fields"];
        let reported = if field == "requester_kind" {
            &fields["agent_name"]
        } else {
            &fields[field]
        };
        assert_eq!(reported[0]["code"], code, "{field}={value}: {body}");
    }
    assert_eq!((app.count("requests"), app.count("audit_events")), before);
}

async fn officers_register_letters_on_a_page(app: TestApp) {
    let desk = app.signed_in("o@example.com", Role::Officer).await;
    let form = desk.get("/staff/postal/new?lang=en").await;
    assert_eq!(form.status, 200);
    let fields = |tracking: &str| {
        vec![
            ("csrf_token", form.csrf()),
            ("received_on", "2026-11-21".into()),
            ("mail_class", "simple_registered".into()),
            ("tracking_number", tracking.into()),
            ("request_date", "2026-11-18".into()),
            ("request_types", "access".into()),
            ("request_types", "correction".into()),
            ("services", "GPUクラウド byGMO\nConoHa".into()),
            ("name", "山田 太郎".into()),
            (
                "postal_address",
                "〒100-0001\n東京都千代田区千代田1-1".into(),
            ),
            ("requester_kind", "agent".into()),
            ("agent_name", "山田 一郎".into()),
        ]
    };
    let bad = fields("131-12-38385-9");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = desk.post_form("/staff/postal?lang=en", &bad).await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of("tracking_number-error")
            .unwrap()
            .contains("not valid")
    );
    assert!(res.body.contains("value=\"131-12-38385-9\""), "input kept");
    assert!(
        res.body.contains("GPUクラウド byGMO\nConoHa"),
        "services kept"
    );
    assert!(
        res.body.contains("value=\"correction\" checked"),
        "choices kept"
    );
    assert_eq!(app.count("requests"), 0);

    let good = fields("131-12-38385-2");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = desk.post_form("/staff/postal?lang=en", &good).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.count("requests"), 2);
    let page = desk.get(res.location.as_deref().unwrap()).await;
    assert!(page.body.contains("id=\"postal\""));
    assert!(page.body.contains("131-12-38385-2"));
    assert!(
        page.body
            .contains("An agent with a power of attorney: 山田 一郎")
    );
    assert!(page.body.contains("<span class=\"tag\">ConoHa</span>"));
}

/// Registers a letter (one request type) and returns its request id.
async fn register(api: &Api, patch: Value) -> String {
    let mut l = letter();
    l["request_types"] = json!(["access"]);
    for (k, v) in patch.as_object().unwrap() {
        l[k] = v.clone();
    }
    let (status, body) = api.post("/api/v1/postal-requests", &l).await;
    assert_eq!(status, 201, "{body}");
    body["requests"][0]["id"].as_str().unwrap().to_owned()
}

async fn fire(
    api: &Api,
    id: &str,
    event: &str,
    version: i64,
    reason: Option<&str>,
) -> (u16, Value) {
    let data = reason.map(|r| json!({"reason": r})).unwrap_or(json!({}));
    api.post(
        &format!("/api/v1/requests/{id}/events"),
        &json!({"event": event, "expected_version": version, "data": data}),
    )
    .await
}

async fn document(
    api: &Api,
    id: &str,
    version: i64,
    kind: &str,
    holder: &str,
    original: bool,
    created_on: &str,
) -> (u16, Value) {
    api.post(
        &format!("/api/v1/requests/{id}/documents"),
        &json!({"expected_version": version, "kind": kind, "holder": holder, "original": original, "created_on": created_on}),
    )
    .await
}

async fn the_one_month_rule_decides_whether_identity_can_be_confirmed(app: TestApp) {
    let api = officer(&app).await;
    // The seed's example: a request dated 2026-03-31.
    let id = register(
        &api,
        json!({"received_on": "2026-04-02", "request_date": "2026-03-31"}),
    )
    .await;
    assert_eq!(
        fire(&api, &id, "start_identity_review", 1, None).await.0,
        200
    );
    let (_, r) = document(&api, &id, 2, "juminhyo", "principal", true, "2026-02-27").await;
    assert_eq!(
        (
            r["checklist"]["complete"].as_bool(),
            r["checklist"]["fresh"].as_bool()
        ),
        (Some(false), Some(false))
    );
    let (_, r) = document(&api, &id, 3, "passport", "principal", false, "").await;
    let stale = &r["checklist"]["items"][0]["problem"];
    assert_eq!(stale["problem"], "stale");
    assert_eq!(
        (stale["created_on"].as_str(), stale["earliest"].as_str()),
        (Some("2026-02-27"), Some("2026-02-28"))
    );
    assert_eq!(r["checklist"]["complete"], true);
    assert_eq!(r["checklist"]["fresh"], false);
    let (status, body) = fire(&api, &id, "confirm_identity", 4, None).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "an identity document is older than the procedure allows"
    );
    // A 住民票 created on 2026-02-28 is within one month.
    let (_, r) = document(&api, &id, 4, "juminhyo", "principal", true, "2026-02-28").await;
    assert_eq!(
        (
            r["checklist"]["complete"].as_bool(),
            r["checklist"]["fresh"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(fire(&api, &id, "confirm_identity", 5, None).await.0, 200);
    // The officer's page shows the checklist in order.
    let desk = app.signed_in("page@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert_eq!(
        page.text_of("checklist-status").unwrap(),
        "Complete, and every dated document is recent enough."
    );
    assert!(page.body.contains("Certified copy of the residence record"));
    // Unknown kinds and bad dates are refused field by field; nothing is written.
    let before = app.count("audit_events");
    let (status, body) = document(
        &api,
        &id,
        6,
        "library_card",
        "principal",
        false,
        "31/02/2026",
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["fields"]["kind"][0]["code"],
        "unknown_document_kind"
    );
    assert_eq!(
        body["error"]["fields"]["created_on"][0]["code"],
        "invalid_date"
    );
    assert_eq!(app.count("audit_events"), before);
}

async fn an_agent_missing_the_seal_certificate_waits_with_the_clock_paused(app: TestApp) {
    let api = officer(&app).await;
    let id = register(
        &api,
        json!({"requester_kind": "agent", "agent_name": "山田 一郎"}),
    )
    .await;
    assert_eq!(
        fire(&api, &id, "start_identity_review", 1, None).await.0,
        200
    );
    let mut v = 2;
    for (kind, holder, original) in [
        ("juminhyo", "principal", true),
        ("power_of_attorney", "principal", true),
        ("drivers_license", "agent", false),
    ] {
        let (status, r) = document(&api, &id, v, kind, holder, original, "2026-11-10").await;
        assert_eq!(status, 200, "{r}");
        v = r["version"].as_i64().unwrap();
    }
    let get = || async { api.get(&format!("/api/v1/requests/{id}")).await };
    let d = get().await;
    assert!(
        !d["allowed_events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "confirm_identity"),
        "not offered while incomplete"
    );
    let (status, body) = fire(&api, &id, "confirm_identity", v, None).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (422, Some("identity documents are missing"))
    );
    let (status, _) = fire(
        &api,
        &id,
        "request_documents",
        v,
        Some("委任状に押印した印鑑の印鑑証明書（原本）が同封されていません。"),
    )
    .await;
    assert_eq!(status, 200);
    v += 1;
    let d = get().await;
    assert_eq!(d["state"], "awaiting_documents");
    assert_eq!(
        d["clocks"][0]["paused"], true,
        "the clock waits with the requester"
    );
    assert_eq!(
        d["notices"].as_array().unwrap().last().unwrap()["kind"],
        "documents_requested"
    );
    app.clock.advance(chrono::TimeDelta::days(6));
    let (status, r) = document(
        &api,
        &id,
        v,
        "seal_certificate",
        "principal",
        true,
        "2026-11-25",
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["checklist"]["complete"], true);
    v = r["version"].as_i64().unwrap();
    assert_eq!(fire(&api, &id, "documents_received", v, None).await.0, 200);
    assert_eq!(
        fire(&api, &id, "confirm_identity", v + 1, None).await.0,
        200,
        "continues"
    );
    let d = get().await;
    // Arrived 2026-11-19, 14 days, plus the 6 days spent waiting.
    assert_eq!(d["clocks"][0]["due_on"], "2026-12-09");
    assert_eq!(d["clocks"][0]["paused"], false);
}

async fn scans_are_encrypted_viewed_with_an_audit_trail_and_purged(app: TestApp) {
    let api = officer(&app).await;
    let id = register(&api, json!({})).await;
    let desk = app.signed_in("page@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    let upload = |bytes: Vec<u8>, name: &'static str, token: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        let cookies = format!(
            "kaiji_session={}; kaiji_csrf={}",
            desk.cookie("kaiji_session").unwrap(),
            desk.cookie("kaiji_csrf").unwrap()
        );
        let url = format!("{}/staff/requests/{id}/scans?lang=en", app.base);
        async move {
            let res = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(url)
                .header("cookie", cookies)
                .multipart(form)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nMY-SECRET-RESIDENCE-RECORD\n%%EOF"
        .to_vec();
    // Refused: a text file named .pdf (type judged by content), an empty file, an oversized one.
    let (status, body) = upload(b"just text, really".to_vec(), "scan.pdf", page.csrf()).await;
    assert_eq!(status, 422);
    assert!(body.contains("Only PDF, JPEG and PNG files are accepted"));
    let (status, body) = upload(Vec::new(), "empty.pdf", page.csrf()).await;
    assert_eq!(status, 422);
    assert!(body.contains("The file is empty."));
    let mut big = pdf.clone();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, body) = upload(big, "big.pdf", page.csrf()).await;
    assert_eq!(status, 422);
    assert!(body.contains("The file is larger than allowed."));
    assert_eq!(app.count("stored_files"), 0);
    // Accepted: stored encrypted.
    let (status, _) = upload(pdf.clone(), "scan.pdf", page.csrf()).await;
    assert_eq!(status, 303);
    let files = kaiji::db::documents::files_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(files.len(), 1);
    let stored = kaiji::db::documents::find_file(&mut app.tdb.conn(), &id, &files[0].id)
        .unwrap()
        .unwrap();
    assert!(
        !stored.ciphertext.windows(10).any(|w| w == b"MY-SECRET-"),
        "never stored in the clear"
    );
    // Staff open it; each opening is audited. Auditors and strangers cannot.
    let path = format!("/staff/requests/{id}/files/{}", files[0].id);
    let view = desk.get(&path).await;
    assert_eq!(view.status, 200);
    assert_eq!(view.headers["content-type"], "application/pdf");
    assert!(view.body.contains("MY-SECRET-RESIDENCE-RECORD"));
    let viewed = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        viewed.iter().filter(|e| e.action == "file.viewed").count(),
        1
    );
    assert_eq!(
        app.signed_in("aud@example.com", Role::Auditor)
            .await
            .get(&path)
            .await
            .status,
        403
    );
    assert_eq!(app.browser().get(&path).await.status, 303);
    // Closed, then past the retention period: the contents are erased, the erasure audited.
    let (status, _) = fire(&api, &id, "refer_to_transfer_agent", 1, None).await;
    assert_eq!(status, 200);
    let (db, clock) = (app.state.db.clone(), app.clock.clone());
    let purge = move |db: kaiji::db::Db, clock: kaiji::app::Clock| {
        tokio::task::spawn_blocking(move || kaiji::app::documents::purge(&db, &clock, 30).unwrap())
    };
    assert_eq!(
        purge(db.clone(), clock.clone()).await.unwrap(),
        0,
        "not yet"
    );
    app.clock.advance(chrono::TimeDelta::days(31));
    assert_eq!(purge(db.clone(), clock.clone()).await.unwrap(), 1);
    assert_eq!(purge(db, clock).await.unwrap(), 0, "once");
    // (A month later the desk signs in again: sessions last hours, not weeks.)
    let desk = app.signed_in("later@example.com", Role::Officer).await;
    let gone = desk.get(&path).await;
    assert_eq!(gone.status, 410);
    let stored = kaiji::db::documents::find_file(&mut app.tdb.conn(), &id, &files[0].id)
        .unwrap()
        .unwrap();
    assert!(stored.ciphertext.is_empty() && stored.purged_at.is_some());
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.action == "file.purged").count(),
        1
    );
}
