//! Hardening at the edge: the client address behind a trusted proxy, intake buckets and `Retry-After`,
//! upload limits by kind on the staff API, and cookies and HSTS over https.

use common::{Backend, TestApp};
use kaiji::domain::staff::Role;
use serde_json::json;

use crate::common;

both_backends!(
    the_client_a_trusted_proxy_names_has_its_own_filing_limit,
    submissions_with_errors_count_apart_and_every_429_says_when,
    staff_api_uploads_take_their_kinds_limit,
    refusals_are_audited_once_an_hour,
    http_basics_head_405_401_and_nul_on_both_backends,
);
on_each_backend!(over_https_cookies_are_host_prefixed_and_hsts_is_sent);

fn filing(i: usize) -> serde_json::Value {
    json!({"name": "Bot", "email": format!("bot{i}@example.com"), "request_type": "access",
           "message": "x", "jurisdiction": "japan"})
}

async fn the_client_a_trusted_proxy_names_has_its_own_filing_limit(app: TestApp) {
    let busy = app.browser_at("198.51.100.1");
    for i in 0..30 {
        assert_eq!(
            busy.post_json("/api/v1/requests", &filing(i)).await.status,
            201
        );
    }
    let res = busy.post_json("/api/v1/requests", &filing(30)).await;
    assert_eq!(res.status, 429);
    assert!(res.headers.contains_key("retry-after"));
    // Another client behind the same proxy is not held up by the first.
    let other = app.browser_at("198.51.100.2");
    assert_eq!(
        other
            .post_json("/api/v1/requests", &filing(31))
            .await
            .status,
        201
    );
    // A client cannot pick a fresh address by sending its own header: the proxy's entry is the last.
    let sneaky = app.browser_at("10.9.9.9, 198.51.100.1");
    assert_eq!(
        sneaky
            .post_json("/api/v1/requests", &filing(32))
            .await
            .status,
        429
    );
    // Two refusals, one audit event for the hour, naming the client behind the proxy.
    let limited = common::audited(&app, "intake.rate_limited");
    assert_eq!(limited.len(), 1, "{limited:?}");
    assert!(limited[0].contains("198.51.100.1"), "{}", limited[0]);
}

async fn submissions_with_errors_count_apart_and_every_429_says_when(app: TestApp) {
    let b = app.browser_at("198.51.100.9");
    let form = b.get("/?lang=en").await;
    let token = form.csrf();
    let bad = [
        ("csrf_token", token.as_str()),
        ("name", ""),
        ("email", "pat@example.com"),
        ("request_type", "access"),
        ("jurisdiction", "japan"),
        ("message", "typed with care"),
    ];
    for _ in 0..120 {
        assert_eq!(b.post_form("/requests?lang=en", &bad).await.status, 422);
    }
    // The errors' bucket is empty: the form comes back with its input, a 429 and when to try again.
    let res = b.post_form("/requests?lang=en", &bad).await;
    assert_eq!(res.status, 429);
    let retry = res.retry_after();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert!(res.body.contains("typed with care"));
    assert_eq!(app.count("requests"), 0);
    // The mistakes did not use up the filing limit.
    let mut good = bad;
    good[1] = ("name", "Pat");
    let res = b.post_form("/requests?lang=en", &good).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.count("requests"), 1);
}

/// Two instances on one PostgreSQL database (the way a deployment scales out) share every intake
/// bucket, a restart forgets none, and a burst from one client at both instances gets exactly its limit.
#[actix_web::test]
async fn instances_on_one_postgresql_share_the_intake_limits() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |c| {
        c.intake.intake_per_ip_per_hour = 4;
        c.intake.intake_invalid_per_ip_per_hour = 3;
    })
    .await
    else {
        return;
    };
    let there = app.another_instance().await;
    let ip = "198.51.100.20";
    let (a, b) = (app.browser_at(ip), there.browser_at(ip));
    for i in 0..4 {
        let on = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            on.post_json("/api/v1/requests", &filing(i)).await.status,
            201
        );
    }
    for on in [&a, &b] {
        let res = on.post_json("/api/v1/requests", &filing(9)).await;
        assert_eq!(res.status, 429, "{}", res.body);
        assert_eq!(res.json()["error"]["code"], "rate_limited");
        // The clock stands still in tests: the first hit leaves the hour in exactly an hour.
        assert_eq!(res.headers["retry-after"], "3600");
    }
    // Submissions with errors: one bucket across instances too.
    let bad = json!({"name": "", "email": "bot@example.com", "request_type": "access",
                     "message": "x", "jurisdiction": "japan"});
    for on in [&a, &b, &a] {
        assert_eq!(on.post_json("/api/v1/requests", &bad).await.status, 422);
    }
    assert_eq!(b.post_json("/api/v1/requests", &bad).await.status, 429);
    // A restart keeps the counts: a new process starts with them.
    there.stop().await;
    let again = app.another_instance().await;
    let c = again.browser_at(ip);
    assert_eq!(
        c.post_json("/api/v1/requests", &filing(10)).await.status,
        429
    );
    // A burst from a fresh client at both instances at once: exactly the limit gets through.
    let burst = "198.51.100.21";
    let (a, c) = (app.browser_at(burst), again.browser_at(burst));
    let bodies: Vec<_> = (100..116).map(filing).collect();
    let sent = bodies.iter().enumerate().map(|(i, body)| {
        let on = if i % 2 == 0 { &a } else { &c };
        on.post_json("/api/v1/requests", body)
    });
    let statuses: Vec<u16> = futures_util::future::join_all(sent)
        .await
        .into_iter()
        .map(|p| p.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        12,
        "{statuses:?}"
    );
    // The counts are keyed digests: no address or email in the table.
    let mut conn = app.tdb.conn();
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        bucket_key: String,
    }
    use diesel::RunQueryDsl;
    let keys: Vec<Key> = diesel::sql_query("SELECT bucket_key FROM intake_hits")
        .load(&mut *conn)
        .unwrap();
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| k.bucket_key.len() == 64
                && k.bucket_key.chars().all(|ch| ch.is_ascii_hexdigit()))
    );
    drop(conn);
    // An hour on, the hourly job forgets the counts and the client may file again.
    app.clock.advance(chrono::TimeDelta::minutes(61));
    let forgotten = kaiji::app::limits::IntakeLimits::housekeeping(&app.state).unwrap();
    assert!(forgotten >= 8, "{forgotten}");
    assert_eq!(
        c.post_json("/api/v1/requests", &filing(200)).await.status,
        201
    );
    again.stop().await;
}

/// What was refused is audited once per kind, subject and hour: a role's forbidden route, a credential
/// that opens nothing, a form's CSRF token that does not match. Never the credential itself.
async fn refusals_are_audited_once_an_hour(app: TestApp) {
    let officer = app.signed_in("officer@example.com", Role::Officer).await;
    for _ in 0..3 {
        assert_eq!(officer.get("/staff/people").await.status, 403);
    }
    let denied = common::audited(&app, "access.denied");
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert!(denied[0].contains("\"route\":\"/staff/people\"") && denied[0].contains("\"officer\""));
    let api = common::api(&app, "api-officer@example.com", Role::Officer).await;
    assert_eq!(api.get_page("/api/v1/staff").await.status, 403);
    assert_eq!(
        common::audited(&app, "access.denied").len(),
        2,
        "another route, its own event"
    );

    let stranger = app.browser_at("203.0.113.5");
    let bogus = "B".repeat(43);
    for _ in 0..3 {
        let res = stranger
            .get_with(
                "/api/v1/queue",
                &[("authorization", &format!("Bearer {bogus}"))],
            )
            .await;
        assert_eq!(res.status, 401);
    }
    stranger.set_cookie("kaiji_session", &bogus);
    assert_eq!(stranger.get("/staff/requests").await.status, 303);
    let refused = common::audited(&app, "access.credential_refused");
    assert_eq!(refused.len(), 2, "one bearer, one session: {refused:?}");
    assert!(
        refused
            .iter()
            .all(|d| d.contains("203.0.113.5") && !d.contains(&bogus))
    );

    let csrf_before = common::audited(&app, "access.csrf_refused").len();
    for _ in 0..2 {
        let res = officer
            .post_form("/staff/logout", &[("csrf_token", "not-the-token")])
            .await;
        assert_eq!(res.status, 403);
    }
    assert_eq!(
        common::audited(&app, "access.csrf_refused").len(),
        csrf_before + 1
    );
    // The next hour is another window.
    app.clock.advance(chrono::TimeDelta::minutes(61));
    assert_eq!(officer.get("/staff/people").await.status, 403);
    assert_eq!(common::audited(&app, "access.denied").len(), 3);
}

async fn staff_api_uploads_take_their_kinds_limit(app: TestApp) {
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    let id = common::file_id(
        &app,
        json!({"name": "Pat", "email": "pat@example.com", "request_type": "access",
               "message": "all of it", "jurisdiction": "japan"}),
    )
    .await;
    let pdf = |len: usize| {
        let mut b = b"%PDF-1.7\n".to_vec();
        b.resize(len, b'%');
        b
    };
    let url = format!("/api/v1/requests/{id}/reply-file");
    // Far past the 64 KB of a JSON body: a reply file has its kind's limit (10 MB by default).
    let (status, body) = officer
        .post_raw(&url, "application/pdf", &pdf(3 * 1024 * 1024))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = officer
        .post_raw(&url, "application/pdf", &pdf(10 * 1024 * 1024 + 1))
        .await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10485760"),
        "the limit is named: {body}"
    );
    // Without a token nothing is read: 401 before the body.
    let anonymous = app.browser();
    let res = anonymous
        .post_raw(&url, "application/pdf", pdf(11 * 1024 * 1024))
        .await;
    assert_eq!(res.status, 401);
}

async fn over_https_cookies_are_host_prefixed_and_hsts_is_sent(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.http.public_url = "https://privacy.example.com".into();
    })
    .await
    else {
        return;
    };
    app.staff(
        "o@example.com",
        Role::Officer,
        "correct horse battery staple",
    )
    .await;
    let b = app.browser();
    let page = b.get("/staff/login").await;
    assert_eq!(
        page.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let set = b.last_set_cookies.lock().unwrap().join("\n");
    assert!(set.starts_with("__Host-kaiji_csrf="), "{set}");
    assert!(set.contains("Secure") && set.contains("Path=/") && !set.contains("Domain"));
    let res = b
        .login("o@example.com", "correct horse battery staple")
        .await;
    assert_eq!(res.status, 303);
    assert!(b.cookie("__Host-kaiji_session").is_some());
    assert!(b.cookie("kaiji_session").is_none());
    assert_eq!(b.get("/staff/requests").await.status, 200);
    // A cookie without the prefix (planted by a sibling subdomain, say) is not a session.
    let planted = app.browser();
    planted.set_cookie("kaiji_session", &b.cookie("__Host-kaiji_session").unwrap());
    assert_eq!(planted.get("/staff/requests").await.status, 303);
    // The language switch's cookie is prefixed too, and an unprefixed one is not believed.
    let visitor = app.browser();
    visitor.get("/?lang=en").await;
    assert_eq!(visitor.cookie("__Host-kaiji_lang").as_deref(), Some("en"));
    assert!(visitor.cookie("kaiji_lang").is_none());
    assert!(visitor.get("/").await.body.contains("lang=\"en\""));
    let planted = app.browser();
    planted.set_cookie("kaiji_lang", "en");
    assert!(planted.get("/").await.body.contains("lang=\"ja\""));
    // Over plain http there is no HSTS.
    let plain = TestApp::spawn(backend).await.unwrap();
    assert!(
        !plain
            .browser()
            .get("/")
            .await
            .headers
            .contains_key("strict-transport-security")
    );
}

/// HTTP as clients expect it, and the same on both backends: HEAD on every GET route, 405 with `Allow`
/// for a served path asked with another method, a bearer challenge on 401, and a NUL (which PostgreSQL
/// refuses to store) refused before any handler: 404 in a path, a field error in a query or a JSON body.
async fn http_basics_head_405_401_and_nul_on_both_backends(app: TestApp) {
    let client = common::http_client();
    let url = |p: &str| format!("{}{p}", app.base);
    let res = client.head(url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().len(), 0, "HEAD has no body");
    let res = client.head(url("/api/v1/procedures")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // A served path, another method: 405 with what it is served with.
    let res = client
        .delete(url("/api/v1/procedures"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, HEAD");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    let res = client.put(url("/inquiries")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, HEAD, POST");
    let res = client
        .get(url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Too large: said in JSON on the API, like every other refusal.
    let big = format!("{{\"message\": \"{}\"}}", "a".repeat(3_000_000));
    let res = client
        .post(url("/api/v1/requests"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // No credentials on the staff API: a bearer challenge.
    let res = client.get(url("/api/v1/queue")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"kaiji\"");

    let admin = common::api(&app, "admin@example.com", Role::Admin).await;
    // The staff API asks who is asking first (401/403), then reads the body.
    let res = client
        .post(url("/api/v1/inquiries"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    let before = app.count("audit_events");
    let get = |p: &str| client.get(url(p)).bearer_auth(&admin.token).send();
    let res = get("/api/v1/requests/a%00b").await.unwrap();
    assert_eq!(res.status(), 404);
    for (path, field) in [
        ("/api/v1/queue?state=a%00b", "state"),
        ("/api/v1/audit/export?actor=a%00b", "actor"),
        ("/api/v1/provision-records?person=%00", "person"),
    ] {
        let res = get(path).await.unwrap();
        assert_eq!(res.status(), 422, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            common::field_code(&body, field),
            Some("invalid_characters"),
            "{path}: {body}"
        );
    }
    let (status, body) = admin
        .post(
            "/api/v1/staff/unlock",
            &json!({"email": "a\u{0}b@example.com"}),
        )
        .await;
    assert_eq!(
        (status, common::field_code(&body, "email")),
        (422, Some("invalid_characters")),
        "{body}"
    );
    let (status, body) = admin
        .post(
            "/api/v1/inquiries",
            &json!({"kind": "inquiry", "channel": "phone", "received_on": "2026-11-22", "name": "x",
                    "postal_address": "y", "subject": "s", "body": "b", "about": "KJ\u{0}"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        common::field_code(&body, "about"),
        Some("invalid_characters")
    );
    assert_eq!(app.count("audit_events"), before, "nothing written");
}
