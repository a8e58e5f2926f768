//! Staff two-step sign-in (TOTP, RFC 6238): enrolment with recovery codes, each code accepted once,
//! wrong codes throttled with failed passwords, tokens only from a session that passed the second step,
//! and an administrator's reset with a fresh code of their own.

use chrono::TimeDelta;
use common::{Backend, Browser, PASSWORD, TestApp};
use kaiji::config::MfaPolicy;
use kaiji::domain::staff::Role;

use crate::common;

on_each_backend!(
    enrolment_and_codes_each_accepted_once,
    tokens_only_from_a_session_past_the_second_step,
    an_admin_resets_a_lost_enrolment_with_a_fresh_code,
);

async fn app_with(backend: Backend, policy: MfaPolicy) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| c.http.require_mfa = policy).await
}

/// The code the member's app shows now.
fn code(app: &TestApp, secret: &[u8]) -> String {
    let now = u64::try_from(app.clock.now().timestamp()).unwrap();
    kaiji::security::mfa::code_at(secret, now).unwrap()
}

/// Signs in with the password and enrols: the secret read off the page, and the recovery codes.
async fn enrol(app: &TestApp, b: &Browser, email: &str) -> (Vec<u8>, Vec<String>) {
    let res = b.login(email, PASSWORD).await;
    assert_eq!(
        res.location.as_deref(),
        Some("/staff/mfa/enrol"),
        "{}",
        res.body
    );
    let page = b.get("/staff/mfa/enrol?lang=en").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "the QR code is inline");
    let text = page.text_of("mfa-secret").unwrap();
    let secret = totp_rs::Secret::try_from_base32(&text)
        .unwrap()
        .as_bytes()
        .to_vec();
    let res = b
        .submit(
            "/staff/mfa/enrol?lang=en",
            &page,
            &[("code", &code(app, &secret))],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let codes: Vec<String> = res
        .all_text_of("recovery-codes")
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{codes:?}");
    (secret, codes)
}

async fn second_step(b: &Browser, code: &str) -> common::Page {
    let form = b.get("/staff/mfa?lang=en").await;
    b.submit("/staff/mfa?lang=en", &form, &[("code", code)])
        .await
}

async fn enrolment_and_codes_each_accepted_once(backend: Backend) {
    let Some(app) = app_with(backend, MfaPolicy::All).await else {
        return;
    };
    app.staff("o@example.com", Role::Officer, PASSWORD).await;
    let b = app.browser();
    // Until enrolled, the password alone opens nothing but the enrolment.
    let res = b.login("o@example.com", PASSWORD).await;
    assert_eq!(res.location.as_deref(), Some("/staff/mfa/enrol"));
    assert_eq!(
        b.get("/staff/requests").await.location.as_deref(),
        Some("/staff/mfa/enrol")
    );
    let api = b.get("/api/v1/queue").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.json()["error"]["code"], "second_step_due");
    // A wrong code is refused on the page, the key still shown.
    let page = b.get("/staff/mfa/enrol?lang=en").await;
    let res = b
        .submit("/staff/mfa/enrol?lang=en", &page, &[("code", "000000")])
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("That code is not right") && res.body.contains("mfa-secret"));
    b.submit("/staff/logout", &page, &[]).await;
    let (secret, recovery) = enrol(&app, &b, "o@example.com").await;
    assert_eq!(b.get("/staff/requests").await.status, 200);
    assert_eq!(common::audited(&app, "staff.mfa_enrolled").len(), 1);

    // The next sign-in asks for a code; the one just used (same step) is a replay.
    let phone = app.browser();
    let res = phone.login("o@example.com", PASSWORD).await;
    assert_eq!(res.location.as_deref(), Some("/staff/mfa"));
    let res = second_step(&phone, &code(&app, &secret)).await;
    assert_eq!(res.status, 422, "a code is accepted once");
    app.clock.advance(TimeDelta::seconds(30));
    let before = phone.cookie("kaiji_session").unwrap();
    let res = second_step(&phone, &code(&app, &secret)).await;
    assert_eq!(res.location.as_deref(), Some("/staff/requests"));
    assert_eq!(phone.get("/staff/requests").await.status, 200);
    // Past the step the session has a new token; the one known before it opens nothing.
    assert_ne!(phone.cookie("kaiji_session").unwrap(), before);
    let stale = app.browser();
    stale.set_cookie("kaiji_session", &before);
    assert_eq!(
        stale.get("/staff/requests").await.location.as_deref(),
        Some("/staff/login")
    );

    // A recovery code, once.
    for (i, expected) in [(0, 303), (1, 422)] {
        let lost = app.browser();
        lost.login("o@example.com", PASSWORD).await;
        let res = second_step(&lost, &recovery[0].to_lowercase()).await;
        assert_eq!(res.status, expected, "attempt {i}");
    }
    assert!(
        common::audited(&app, "staff.second_step_passed")
            .iter()
            .any(|d| d.contains("recovery_code"))
    );
    let account = phone.get("/staff/account?lang=en").await;
    assert!(
        account
            .text_of("mfa-status")
            .unwrap()
            .contains("Recovery codes left: 9")
    );

    // Wrong codes count with failed passwords: after five, the next waits, right code or not.
    let guesser = app.browser_at("203.0.113.50");
    guesser.login("o@example.com", PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(second_step(&guesser, "123456").await.status, 422);
    }
    let res = second_step(&guesser, &recovery[1]).await;
    assert_eq!(res.status, 429);
    assert!(res.headers.contains_key("retry-after"));
    app.clock.advance(TimeDelta::seconds(31));
    assert_eq!(
        second_step(&guesser, &recovery[1]).await.status,
        303,
        "after the wait"
    );
}

async fn tokens_only_from_a_session_past_the_second_step(backend: Backend) {
    let Some(app) = app_with(backend, MfaPolicy::Admins).await else {
        return;
    };
    // Officers are not asked under `admins`; without the second step they cannot make tokens.
    let officer = app.signed_in("officer@example.com", Role::Officer).await;
    let page = officer.get("/staff/account?lang=en").await;
    assert!(page.text_of("token-needs-mfa").is_some());
    let res = officer
        .submit("/staff/account/tokens", &page, &[("label", "script")])
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(app.count("api_tokens"), 0);
    // An administrator enrols, then makes a token; it acts with their role.
    app.staff("admin@example.com", Role::Admin, PASSWORD).await;
    let admin = app.browser();
    enrol(&app, &admin, "admin@example.com").await;
    // A label too long comes back beside its field, as typed; no token is made.
    let page = admin.get("/staff/account?lang=en").await;
    let long = "x".repeat(101);
    let res = admin
        .submit("/staff/account/tokens", &page, &[("label", &long)])
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        res.text_of("label-error").as_deref(),
        Some("This is too long.")
    );
    assert!(res.body.contains(&format!("value=\"{long}\"")));
    assert_eq!(app.count("api_tokens"), 0);
    let page = admin.get("/staff/account?lang=en").await;
    let res = admin
        .submit(
            "/staff/account/tokens",
            &page,
            &[("label", "nightly export")],
        )
        .await;
    assert_eq!(res.status, 200);
    let token = res.text_of("new-token").unwrap();
    let listed = common::http_client()
        .get(format!("{}/api/v1/staff", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status().as_u16(), 200);
    let body: serde_json::Value = listed.json().await.unwrap();
    assert!(body.to_string().contains("nightly export"));
    assert!(
        common::audited(&app, "staff.api_token_created")
            .iter()
            .any(|d| d.contains("nightly export"))
    );
}

async fn an_admin_resets_a_lost_enrolment_with_a_fresh_code(backend: Backend) {
    let Some(app) = app_with(backend, MfaPolicy::All).await else {
        return;
    };
    app.staff("admin@example.com", Role::Admin, PASSWORD).await;
    app.staff("o@example.com", Role::Officer, PASSWORD).await;
    let admin = app.browser();
    let (admin_secret, _) = enrol(&app, &admin, "admin@example.com").await;
    let officer = app.browser();
    enrol(&app, &officer, "o@example.com").await;
    let list = admin.get("/api/v1/staff").await.json();
    let officer_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "o@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = admin.get("/staff/people?lang=en").await;
    assert!(page.body.contains("/mfa-reset"));
    // The reset, proved by the admin's code of the moment.
    let reset = || async {
        admin
            .submit(
                &format!("/staff/people/{officer_id}/mfa-reset"),
                &page,
                &[("code", &code(&app, &admin_secret))],
            )
            .await
    };
    // A stale code (the step the admin just used) does not prove anything.
    let res = reset().await;
    assert_eq!(res.status, 422);
    assert!(res.text_of("problem").is_some());
    assert_eq!(
        officer.get("/staff/requests").await.status,
        200,
        "nothing reset"
    );
    app.clock.advance(TimeDelta::seconds(30));
    let res = reset().await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        officer.get("/staff/requests").await.location.as_deref(),
        Some("/staff/login")
    );
    let again = app.browser();
    let res = again.login("o@example.com", PASSWORD).await;
    assert_eq!(
        res.location.as_deref(),
        Some("/staff/mfa/enrol"),
        "enrols again"
    );
    let reset = common::audited(&app, "staff.mfa_reset");
    assert_eq!(reset.len(), 1);
    assert!(reset[0].contains("\"sessions_ended\":1"));
}
