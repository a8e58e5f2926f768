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
