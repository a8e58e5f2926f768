//! Bad input gets a clear error and loses nothing: forms re-render with per-field messages and the input
//! kept, the API answers JSON with a stable code, and nothing is written.

use crate::common;

use common::{TestApp, file_request};
use kaiji::domain::staff::Role;
use serde_json::json;

both_backends!(
    empty_fields_rerender_with_messages,
    invalid_input_is_kept_and_escaped,
    oversized_bodies_are_refused,
    wrong_or_missing_csrf_token_writes_nothing,
    unknown_routes_and_malformed_bodies,
    events_the_workflow_does_not_allow_write_nothing,
    floods_are_rate_limited_per_address_and_per_email,
    no_browser_post_succeeds_or_writes_without_its_csrf_token,
);

/// Everything a refused submission could have written.
fn writes(app: &TestApp) -> (i64, i64) {
    (app.count("requests"), app.events_but_refusals())
}

async fn empty_fields_rerender_with_messages(app: TestApp) {
    let before = writes(&app);
    let b = app.browser();
    let form = b.get("/?lang=en").await;
    let res = b
        .submit(
            "/requests?lang=en",
            &form,
            &[
                ("name", ""),
                ("email", ""),
                ("request_type", ""),
                ("message", "  "),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"error-summary\""));
    for field in ["name", "email", "request_type", "message"] {
        assert_eq!(
            res.text_of(&format!("{field}-error")).as_deref(),
            Some("This field is required."),
            "{field}"
        );
    }
    assert_eq!(writes(&app), before);
    // Submitting with no fields at all is the same, not a crash.
    let res = b.submit("/requests", &form, &[]).await;
    assert_eq!(res.status, 422);
    assert_eq!(writes(&app), before);
}

async fn invalid_input_is_kept_and_escaped(app: TestApp) {
    let before = writes(&app);
    let b = app.browser();
    let form = b.get("/").await;
    let res = b
        .submit(
            "/requests",
            &form,
            &[
                ("name", "<script>alert(1)</script>"),
                ("email", "not-an-email"),
                ("request_type", "sell_my_data"),
                ("message", "line one\nline \"two\""),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        res.text_of("email-error").unwrap(),
        "正しいメールアドレスを入力してください（例: name@example.jp）。"
    );
    assert!(res.text_of("request_type-error").is_some());
    assert!(
        res.text_of("name-error").is_none(),
        "a valid name has no error"
    );
    assert!(res.body.contains("value=\"not-an-email\""), "email kept");
    assert!(
        res.body
            .contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;\""),
        "name kept, escaped"
    );
    assert!(!res.body.contains("<script>alert"), "never echoed raw");
    assert!(
        res.body.contains("line one\nline &#34;two&#34;"),
        "message kept, escaped"
    );
    assert_eq!(writes(&app), before);

    // Over-long fields are refused with a message, not truncated.
    let long = "あ".repeat(201);
    let res = b
        .submit(
            "/requests?lang=en",
            &form,
            &[
                ("name", &long),
                ("email", "a@example.com"),
                ("request_type", "access"),
                ("message", "m"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.text_of("name-error").unwrap(), "This is too long.");
    assert_eq!(writes(&app), before);

    // The API reports every field with a stable code.
    let res = b
        .post_json(
            "/api/v1/requests",
            &serde_json::json!({"name": "", "email": "x", "request_type": "sell", "message": "m", "language": "xx"}),
        )
        .await;
    assert_eq!(res.status, 422);
    let e = &res.json()["error"];
    assert_eq!(e["code"], "validation_failed");
    assert_eq!(e["fields"]["name"][0]["code"], "required");
    assert_eq!(e["fields"]["email"][0]["code"], "invalid_email");
    assert_eq!(
        e["fields"]["request_type"][0]["code"],
        "unknown_request_type"
    );
    assert_eq!(e["fields"]["language"][0]["code"], "unknown_language");
    assert!(e["fields"].get("message").is_none());
    assert_eq!(writes(&app), before);
}

async fn oversized_bodies_are_refused(app: TestApp) {
    let before = writes(&app);
    let b = app.browser();
    let form = b.get("/").await;
    let ten_mb = "a".repeat(10 * 1024 * 1024);
    let body = format!(
        "csrf_token={}&name=x&email=a%40example.com&request_type=access&message={ten_mb}",
        form.csrf()
    );
    let res = b
        .post_raw(
            "/requests",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
        )
        .await;
    assert_eq!(res.status, 413);
    assert!(res.body.contains("payload_too_large"));

    let json = format!(
        r#"{{"name":"x","email":"a@example.com","request_type":"access","message":"{ten_mb}"}}"#
    );
    let res = b
        .post_raw("/api/v1/requests", "application/json", json.into_bytes())
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(res.json()["error"]["code"], "payload_too_large");
    assert_eq!(writes(&app), before);
}

async fn wrong_or_missing_csrf_token_writes_nothing(app: TestApp) {
    let before = writes(&app);
    let b = app.browser();
    let form = b.get("/?lang=en").await;
    let fields = |token: &str| {
        vec![
            ("csrf_token", token.to_owned()),
            ("name", "Keep Me".to_owned()),
            ("email", "keep@example.com".to_owned()),
            ("request_type", "access".to_owned()),
            ("message", "my long explanation".to_owned()),
        ]
    };
    for token in ["", "deadbeef", &"0".repeat(64)] {
        let f = fields(token);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = b.post_form("/requests?lang=en", &f).await;
        assert_eq!(res.status, 403);
        assert!(res.body.contains("The form had expired"));
        assert!(
            res.body.contains("value=\"Keep Me\"") && res.body.contains("my long explanation"),
            "input kept"
        );
        // The re-rendered form carries a working token.
        assert_ne!(res.csrf(), token);
    }
    // A token from another browser does not work with this browser's cookie.
    let other = app.browser();
    let other_form = other.get("/").await;
    let f = fields(&other_form.csrf());
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post_form("/requests", &f).await.status, 403);
    // No cookie at all.
    let fresh = app.browser();
    let f = fields(&form.csrf());
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(fresh.post_form("/requests", &f).await.status, 403);
    assert_eq!(writes(&app), before);

    // Staff forms too: login and events.
    app.staff(
        "o@example.com",
        Role::Officer,
        "correct horse battery staple",
    )
    .await;
    let s = app.browser();
    s.get("/staff/login").await;
    let res = s
        .post_form(
            "/staff/login",
            &[
                ("csrf_token", "nope"),
                ("email", "o@example.com"),
                ("password", "correct horse battery staple"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(s.cookie("kaiji_session").is_none());

    let tracking = file_request(&app.browser(), "A", "a@example.com", "access", "x").await;
    let _ = tracking;
    let id = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let officer = app.browser();
    assert_eq!(
        officer
            .login("o@example.com", "correct horse battery staple")
            .await
            .status,
        303
    );
    let audit_before = app.events_but_refusals();
    let res = officer
        .post_form(
            &format!("/staff/requests/{id}/events"),
            &[
                ("csrf_token", "forged"),
                ("event", "confirm_identity"),
                ("expected_version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(app.events_but_refusals(), audit_before);
    let row = kaiji::db::requests::find(&mut app.tdb.conn(), &id.as_str().into())
        .unwrap()
        .unwrap();
    assert_eq!((row.state.as_str(), row.version), ("received", 1));
}

async fn unknown_routes_and_malformed_bodies(app: TestApp) {
    let before = writes(&app);
    let b = app.browser();
    let page = b.get("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("<html") && page.body.contains("not_found"));
    let api = b.get("/api/v1/nothing-here").await;
    assert_eq!(api.status, 404);
    assert_eq!(api.json()["error"]["code"], "not_found");
    // `/staff` and `/api/v1` are scopes: `/staff` itself is a route, its trailing-slash twin and the
    // scopes' unknown paths are the site's 404; a known path asked with another method is a 405 that
    // says which methods it is served with.
    let home = b.get("/staff").await;
    assert_eq!(
        (home.status, home.location.as_deref()),
        (303, Some("/staff/login"))
    );
    for path in ["/staff/", "/staff/nothing", "/staff/requests/"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.body.contains("<html"), "{path}");
    }
    for path in ["/api/v1", "/api/v1/", "/api/v1/requests/"] {
        let api = b.get(path).await;
        assert_eq!(api.status, 404, "{path}");
        assert_eq!(api.json()["error"]["code"], "not_found", "{path}");
    }
    let put = common::http_client()
        .put(format!("{}/staff/payments", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 405);
    assert_eq!(put.headers()["allow"], "GET, HEAD, POST");

    let res = b
        .post_raw(
            "/api/v1/requests",
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["code"], "invalid_body");
    let res = b
        .post_raw("/api/v1/requests", "text/plain", b"hello".to_vec())
        .await;
    assert_eq!(res.status, 415);
    assert_eq!(res.json()["error"]["code"], "unsupported_media_type");
    let res = b
        .post_json("/api/v1/requests", &serde_json::json!({"name": 5}))
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.json()["error"]["code"], "validation_failed");
    assert_eq!(common::field_code(&res.json(), "name"), Some("wrong_type"));
    assert_eq!(writes(&app), before);
}

async fn events_the_workflow_does_not_allow_write_nothing(app: TestApp) {
    file_request(&app.browser(), "A", "a@example.com", "access", "x").await;
    let id = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let officer = app.signed_in("o@example.com", Role::Officer).await;
    let before = (app.events_but_refusals(), app.count("notices"));
    let page = officer.get(&format!("/staff/requests/{id}?lang=en")).await;
    let cases = [
        ("answer", "", "is not allowed in state `received`"),
        ("no_such_event", "", "is not allowed"),
        ("refuse", "   ", "a reason is required"),
    ];
    for (event, reason, message) in cases {
        let res = officer
            .submit(
                &format!("/staff/requests/{id}/events?lang=en"),
                &page,
                &[
                    ("event", event),
                    ("expected_version", "1"),
                    ("reason", reason),
                ],
            )
            .await;
        assert_eq!(res.status, 422, "{event}");
        let problem = res.text_of("problem").unwrap();
        assert!(problem.contains(message), "{event}: {problem}");
    }
    let res = officer
        .submit(
            &format!("/staff/requests/{id}/events?lang=en"),
            &page,
            &[("event", "confirm_identity"), ("expected_version", "x")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(officer.get("/staff/requests/no-such-id").await.status, 404);
    assert_eq!((app.events_but_refusals(), app.count("notices")), before);
    let row = kaiji::db::requests::find(&mut app.tdb.conn(), &id.as_str().into())
        .unwrap()
        .unwrap();
    assert_eq!((row.state.as_str(), row.version), ("received", 1));
}

async fn floods_are_rate_limited_per_address_and_per_email(app: TestApp) {
    // Five requests an hour for one email address: the sixth comes back with the input kept.
    let b = app.browser();
    for i in 0..5 {
        file_request(
            &b,
            "Pat",
            "pat@example.com",
            "access",
            &format!("request {i}"),
        )
        .await;
    }
    let before = writes(&app);
    let form = b.get("/?lang=en").await;
    let res = b
        .submit(
            "/requests?lang=en",
            &form,
            &[
                ("name", "Pat"),
                ("email", "PAT@example.com"),
                ("request_type", "access"),
                ("jurisdiction", "japan"),
                ("message", "the sixth, kept"),
            ],
        )
        .await;
    assert_eq!(res.status, 429);
    assert!(res.body.contains("Too many requests have been sent"));
    assert!(res.body.contains("the sixth, kept") && res.body.contains("value=\"PAT@example.com\""));
    assert_eq!(writes(&app), before, "nothing written");
    // Another address is not held up by Pat's.
    file_request(&b, "Kim", "kim@example.com", "access", "mine").await;

    // Thirty an hour from one network address, over the API too: then 429 with Retry-After.
    let api = common::http_client();
    let mut last = 0;
    let mut retry_after = None;
    for i in 0..40 {
        let res = api
            .post(format!("{}/api/v1/requests", app.base))
            .json(&json!({"name": "Bot", "email": format!("bot{i}@example.com"), "request_type": "access",
                          "message": "x", "jurisdiction": "japan"}))
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
        if last == 429 {
            retry_after = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited");
            break;
        }
        assert_eq!(last, 201);
    }
    assert_eq!(last, 429, "the address was limited");
    assert!(retry_after.is_some_and(|s| s > 0 && s <= 3600));
    // The form's filings count too: 30 in all from this address before the refusal. In memory
    // (SQLite) Pat's refused sixth took its address's turn before the inbox refused it; the
    // database's check (PostgreSQL) counts a refused submission against nothing.
    let refused_but_counted = match app.backend() {
        common::Backend::Sqlite => 1,
        common::Backend::Postgres => 0,
    };
    assert_eq!(
        app.count("requests"),
        30 - refused_but_counted,
        "Pat's sixth was refused, not written"
    );
}

/// Every table a browser POST could write to (sessions too: signing out deletes one).
/// (Audit events are counted apart: refusals are audited on purpose.)
const WRITABLE: [&str; 19] = [
    "requests",
    "request_clocks",
    "notices",
    "api_tokens",
    "staff_users",
    "staff_sessions",
    "postal_details",
    "stored_files",
    "identity_documents",
    "invoices",
    "payments",
    "reply_dispatches",
    "reply_downloads",
    "data_changes",
    "data_systems",
    "system_tasks",
    "request_on_behalf",
    "identity_evidence",
    "request_notes",
];

fn all_writes(app: &TestApp) -> Vec<i64> {
    let mut counts: Vec<i64> = WRITABLE.iter().map(|t| app.count(t)).collect();
    counts.push(app.events_but_refusals());
    counts
}

/// Walks the route table: every POST a browser sends (every route outside `/api/`), by a signed-in
/// administrator on a real request, with no CSRF token and then with another browser's token, is refused
/// (4xx) and writes nothing.
async fn no_browser_post_succeeds_or_writes_without_its_csrf_token(app: TestApp) {
    let id = common::file_id(&app, json!({})).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let stranger = app.browser();
    let foreign_token = stranger.get("/?lang=en").await.csrf();
    let routes: Vec<String> = common::registered_routes()
        .into_iter()
        .filter(|(path, method)| method == "post" && !path.starts_with("/api/"))
        .map(|(path, _)| path)
        .collect();
    assert!(
        routes.len() >= 25,
        "the route table was not read: {routes:?}"
    );
    for path in &routes {
        let concrete = path
            .replace("{id}", &id)
            .replace("{form}", "disclosure")
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for token in [None, Some(foreign_token.as_str())] {
            let before = all_writes(&app);
            let mut fields = vec![
                ("event", "confirm_identity"),
                ("expected_version", "2"),
                ("reason", "forged"),
                ("email", "admin@example.com"),
                ("password", "correct horse battery staple"),
                ("note", "forged"),
            ];
            if let Some(t) = token {
                fields.push(("csrf_token", t));
            }
            let res = admin.post_form(&concrete, &fields).await;
            assert!(
                (400..500).contains(&res.status),
                "POST {concrete} with {token:?} as its token answered {}: {}",
                res.status,
                res.body
            );
            assert_eq!(
                all_writes(&app),
                before,
                "POST {concrete} with {token:?} as its token wrote something"
            );
        }
    }
    // The administrator is still signed in: nothing above signed them out.
    assert_eq!(admin.get("/staff/account").await.status, 200);
}
