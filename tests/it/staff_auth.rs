//! Staff accounts: the first-admin setup link, sign-in, sessions, and the role check on every staff route.

use crate::common;

use chrono::TimeDelta;
use common::{TestApp, file_request};
use kaiji::app::staff;
use kaiji::domain::staff::Role;

both_backends!(
    setup_link_creates_the_first_admin_once,
    failed_logins_look_alike_and_are_audited,
    session_cookies_are_secure_httponly_samesite,
    every_staff_route_checks_the_role,
    logout_and_expiry_end_the_session,
    passwords_are_stored_as_argon2id,
    a_password_change_and_signing_out_everywhere_end_other_sessions,
    an_api_token_records_its_use_to_the_minute,
);
on_each_backend!(sessions_end_after_an_hour_without_use);

const PW: &str = "correct horse battery staple";

async fn setup_link_creates_the_first_admin_once(app: TestApp) {
    let first = staff::issue_setup_link_if_needed(&app.state)
        .await
        .unwrap()
        .expect("no staff yet");
    let token = staff::issue_setup_link_if_needed(&app.state)
        .await
        .unwrap()
        .expect("still none");
    let issued: Vec<_> = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 10)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "staff.setup_link_issued")
        .collect();
    assert_eq!(issued.len(), 2);
    assert!(
        issued
            .iter()
            .all(|e| !e.details.contains(&token) && !e.details.contains(&first))
    );
    // Only the newest printed link works.
    let b = app.browser();
    assert_eq!(b.get(&format!("/setup/{first}")).await.status, 404);
    let form = b.get(&format!("/setup/{token}?lang=en")).await;
    assert_eq!(form.status, 200);

    let res = b
        .submit(
            &format!("/setup/{token}?lang=en"),
            &form,
            &[
                ("email", "Admin@Example.com"),
                ("name", " \u{202E}佐藤"),
                ("password", PW),
                ("password_confirmation", "different one!!"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("The two passwords are not the same."));
    assert!(
        res.body.contains("aria-invalid=\"true\"") && res.body.contains("id=\"name-error\""),
        "a name with a bidi override is refused at its field"
    );
    assert!(
        res.body.contains("value=\"Admin@Example.com\""),
        "email kept"
    );
    let res = b
        .submit(
            &format!("/setup/{token}?lang=en"),
            &form,
            &[
                ("email", "admin@example.com"),
                ("name", "佐藤 花子"),
                ("password", "short"),
                ("password_confirmation", "short"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Use at least 12 characters."));
    assert_eq!(app.count("staff_users"), 0);
    // Long enough but guessed early: a common password, or one made of the account's own email.
    for guessable in ["password1234", "admin@example.com2026"] {
        let res = b
            .submit(
                &format!("/setup/{token}?lang=en"),
                &form,
                &[
                    ("email", "admin@example.com"),
                    ("password", guessable),
                    ("password_confirmation", guessable),
                ],
            )
            .await;
        assert_eq!(res.status, 422, "{guessable}");
        assert!(res.body.contains("This password is too easy to guess"));
    }
    assert_eq!(app.count("staff_users"), 0);

    let res = b
        .submit(
            &format!("/setup/{token}"),
            &form,
            &[
                ("email", "Admin@Example.com"),
                ("name", " 佐藤 花子 "),
                ("password", PW),
                ("password_confirmation", PW),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let name: String = {
        use diesel::prelude::*;
        kaiji::db::schema::staff_users::table
            .select(kaiji::db::schema::staff_users::display_name)
            .first(&mut *app.tdb.conn())
            .unwrap()
    };
    assert_eq!(
        name, "佐藤 花子",
        "the administrator is named as typed, trimmed"
    );
    assert_eq!(res.location.as_deref(), Some("/staff/login?setup=done"));
    assert_eq!(app.count("staff_users"), 1);

    // Spent: the link no longer works, and no new link is issued once someone can sign in.
    assert_eq!(b.get(&format!("/setup/{token}")).await.status, 404);
    let again = b
        .submit(
            &format!("/setup/{token}"),
            &form,
            &[
                ("email", "evil@example.com"),
                ("name", "Evil"),
                ("password", PW),
                ("password_confirmation", PW),
            ],
        )
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(app.count("staff_users"), 1);
    assert!(
        staff::issue_setup_link_if_needed(&app.state)
            .await
            .unwrap()
            .is_none()
    );

    // The new admin signs in (email is case-insensitive) and lands on the queue.
    let res = b.login("ADMIN@example.com", PW).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/staff/requests"));
    let events = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 10).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "staff.created" && e.actor_id.as_deref() == Some("setup-link"))
    );
}

async fn failed_logins_look_alike_and_are_audited(app: TestApp) {
    app.staff("o@example.com", Role::Officer, PW).await;
    let b = app.browser();
    let wrong_pw = b.login("o@example.com", "wrong password here").await;
    let unknown = b.login("nobody@example.com", PW).await;
    let not_email = b.login("", "").await;
    for res in [&wrong_pw, &unknown, &not_email] {
        assert_eq!(res.status, 401);
        assert!(
            res.body
                .contains("メールアドレスまたはパスワードが違います。")
        );
    }
    assert!(
        wrong_pw.body.contains("value=\"o@example.com\""),
        "email kept"
    );
    assert!(b.cookie("kaiji_session").is_none());
    let events = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 10).unwrap();
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e.action == "staff.login_failed")
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(
        failed.iter().all(|e| !e.details.contains("@")),
        "attempted addresses are not recorded"
    );
    assert_eq!(
        failed
            .iter()
            .filter(|e| e.details.contains("staff_id\":\""))
            .count(),
        1,
        "a known account is named by id"
    );
}

async fn session_cookies_are_secure_httponly_samesite(app: TestApp) {
    app.staff("o@example.com", Role::Officer, PW).await;
    let b = app.browser();
    let form = b.get("/staff/login").await;
    let csrf_before = b.cookie("kaiji_csrf").unwrap();
    for c in b.last_set_cookies.lock().unwrap().iter() {
        assert!(
            c.contains("HttpOnly") && c.contains("Secure") && c.contains("SameSite=Strict"),
            "{c}"
        );
    }
    let res = b
        .submit(
            "/staff/login",
            &form,
            &[("email", "o@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(res.status, 303);
    let cookies = b.last_set_cookies.lock().unwrap().clone();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("kaiji_session="))
        .expect("session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
    assert_ne!(
        b.cookie("kaiji_csrf").unwrap(),
        csrf_before,
        "CSRF seed rotates at sign-in"
    );
    // The session token is 256 random bits and only its digest is stored.
    let token = b.cookie("kaiji_session").unwrap();
    assert_eq!(token.len(), 43);
    let stored: Vec<String> = {
        use diesel::prelude::*;
        use kaiji::db::schema::staff_sessions::dsl::*;
        staff_sessions
            .select(token_sha256)
            .load(&mut *app.tdb.conn())
            .unwrap()
    };
    assert_eq!(stored, vec![kaiji::security::tokens::digest(&token)]);
    // Security headers on every page.
    let page = b.get("/staff/requests").await;
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    // Signing in again in the same browser ends the session it held: one browser, one session.
    assert_eq!(b.login("o@example.com", PW).await.status, 303);
    let again = b.cookie("kaiji_session").unwrap();
    assert_ne!(again, token);
    let old = app.browser();
    old.set_cookie("kaiji_session", &token);
    assert_eq!(
        old.get("/staff/requests").await.status,
        303,
        "the earlier session ended"
    );
    assert_eq!(b.get("/staff/requests").await.status, 200);
    assert_eq!(app.count("staff_sessions"), 1);
}

async fn every_staff_route_checks_the_role(app: TestApp) {
    file_request(&app.browser(), "A", "a@example.com", "access", "x").await;
    let id = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let gets = [
        "/staff/requests".to_owned(),
        format!("/staff/requests/{id}"),
        format!("/staff/requests/{id}/diagram.svg"),
        "/staff/postal/new".to_owned(),
        "/staff/audit".to_owned(),
    ];
    let allowed = |role: Role, path: &str| match role {
        Role::Officer => !path.starts_with("/staff/audit"),
        Role::Auditor => path.starts_with("/staff/audit"),
        Role::Admin => true,
        // Their own systems' tasks only: no queue, no request, no letters, no log.
        Role::SystemOwner => false,
    };

    // Signed out: every staff page sends to sign-in, and posts change nothing.
    let anon = app.browser();
    for path in gets.iter().chain([&"/staff".to_owned()]) {
        let res = anon.get(path).await;
        assert_eq!(
            (res.status, res.location.as_deref()),
            (303, Some("/staff/login")),
            "{path}"
        );
    }
    let form = anon.get("/").await;
    let before = (app.events_but_refusals(), app.count("notices"));
    let res = anon
        .submit(
            &format!("/staff/requests/{id}/events"),
            &form,
            &[("event", "confirm_identity"), ("expected_version", "1")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        (app.events_but_refusals(), app.count("notices")),
        before,
        "nothing written"
    );
    assert_eq!(anon.submit("/staff/logout", &form, &[]).await.status, 303);

    for (i, role) in [Role::Officer, Role::Auditor, Role::Admin]
        .into_iter()
        .enumerate()
    {
        let b = app.signed_in(&format!("staff{i}@example.com"), role).await;
        for path in &gets {
            let res = b.get(path).await;
            let expected = if allowed(role, path) { 200 } else { 403 };
            assert_eq!(res.status, expected, "{role} GET {path}");
        }
        let home = b.get("/staff").await;
        assert_eq!(home.status, 303);
    }

    // An auditor cannot act on a request, even with a valid form token.
    let auditor = app.signed_in("aud@example.com", Role::Auditor).await;
    let token = auditor.get("/staff/audit").await.csrf();
    let before = app.events_but_refusals();
    let res = auditor
        .post_form(
            &format!("/staff/requests/{id}/events"),
            &[
                ("csrf_token", &token),
                ("event", "confirm_identity"),
                ("expected_version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(app.events_but_refusals(), before);
    let row = kaiji::db::requests::find(&mut app.tdb.conn(), &id.as_str().into())
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "received");
}

async fn logout_and_expiry_end_the_session(app: TestApp) {
    let b = app.signed_in("o@example.com", Role::Officer).await;
    let stolen = b.cookie("kaiji_session").unwrap();
    let page = b.get("/staff/requests").await;
    assert_eq!(page.status, 200);
    let res = b.submit("/staff/logout", &page, &[]).await;
    assert_eq!(
        (res.status, res.location.as_deref()),
        (303, Some("/staff/login"))
    );
    assert!(b.cookie("kaiji_session").is_none());
    // The old cookie is dead on the server too.
    let replay = app.browser();
    replay.set_cookie("kaiji_session", &stolen);
    assert_eq!(replay.get("/staff/requests").await.status, 303);
    let events = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 5).unwrap();
    assert!(events.iter().any(|e| e.action == "staff.logout"));

    // Sessions end after the configured lifetime (8 hours by default).
    let b = app.signed_in("o2@example.com", Role::Officer).await;
    app.clock
        .advance(TimeDelta::hours(8) - TimeDelta::minutes(1));
    assert_eq!(b.get("/staff/requests").await.status, 200);
    app.clock.advance(TimeDelta::minutes(2));
    assert_eq!(b.get("/staff/requests").await.status, 303);
}

async fn passwords_are_stored_as_argon2id(app: TestApp) {
    app.staff("o@example.com", Role::Officer, PW).await;
    let row = kaiji::db::staff::find_by_email(&mut app.tdb.conn(), "o@example.com")
        .unwrap()
        .unwrap();
    assert!(
        row.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        row.password_hash
    );
    assert!(!row.password_hash.contains(PW));
    // Duplicate and weak accounts are refused.
    let db = app.state.db.clone();
    let clock = app.clock.clone();
    let dup = tokio::task::spawn_blocking(move || {
        (
            staff::add_user(&db, &clock, "O@example.com", "O", Role::Admin, PW).unwrap_err(),
            staff::add_user(&db, &clock, "x@example.com", "X", Role::Admin, "short").unwrap_err(),
        )
    })
    .await
    .unwrap();
    assert!(matches!(dup.0, kaiji::app::AppError::StaffEmailTaken));
    assert!(matches!(dup.1, kaiji::app::AppError::Invalid(_)));
    assert_eq!(app.count("staff_users"), 1);
}

async fn a_password_change_and_signing_out_everywhere_end_other_sessions(app: TestApp) {
    app.staff("o@example.com", Role::Officer, PW).await;
    let laptop = app.browser();
    assert_eq!(laptop.login("o@example.com", PW).await.status, 303);
    let phone = app.browser();
    assert_eq!(phone.login("o@example.com", PW).await.status, 303);
    let page = laptop.get("/staff/account").await;
    assert_eq!(page.status, 200);
    let token = page.csrf();
    // Wrong current password, mismatched confirmation: each beside its field; nothing changes.
    let bad = laptop
        .post_form(
            "/staff/account/password",
            &[
                ("csrf_token", &token),
                ("current_password", "nope"),
                ("new_password", "a brand new passphrase"),
                ("new_password_confirmation", "something else"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.text_of("current_password-error").is_some()
            && bad.text_of("new_password_confirmation-error").is_some()
    );
    assert!(
        !bad.body.contains("a brand new passphrase"),
        "passwords are never echoed"
    );
    assert_eq!(phone.get("/staff/requests").await.status, 200);
    let ok = laptop
        .post_form(
            "/staff/account/password",
            &[
                ("csrf_token", &token),
                ("current_password", PW),
                ("new_password", "a brand new passphrase"),
                ("new_password_confirmation", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        laptop.get("/staff/requests").await.status,
        200,
        "this session stays"
    );
    assert_eq!(
        phone.get("/staff/requests").await.status,
        303,
        "the other session ended"
    );
    assert_eq!(app.browser().login("o@example.com", PW).await.status, 401);
    assert_eq!(
        phone
            .login("o@example.com", "a brand new passphrase")
            .await
            .status,
        303
    );
    // Signing out everywhere ends both.
    let res = laptop
        .post_form(
            "/staff/account/logout-everywhere",
            &[("csrf_token", &laptop.get("/staff/account").await.csrf())],
        )
        .await;
    assert_eq!(
        (res.status, res.location.as_deref()),
        (303, Some("/staff/login"))
    );
    assert_eq!(phone.get("/staff/requests").await.status, 303);
    assert_eq!(laptop.get("/staff/requests").await.status, 303);
    let events = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 10).unwrap();
    assert!(events.iter().any(|e| e.action == "staff.password_changed"));
    assert!(events.iter().any(|e| e.action == "staff.logout_everywhere"));
}

/// Recording every use would make each API read a write that concurrent calls queue on: a token's
/// `last_used_at` moves at most once a minute.
async fn an_api_token_records_its_use_to_the_minute(app: TestApp) {
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    let last_used = |app: &TestApp| {
        kaiji::db::staff::list_api_tokens(&mut app.tdb.conn(), None)
            .unwrap()
            .into_iter()
            .find(|t| t.revoked_at.is_none())
            .unwrap()
            .last_used_at
    };
    officer.get("/api/v1/queue").await;
    let first = last_used(&app).expect("the first use is recorded");
    app.clock.advance(TimeDelta::seconds(30));
    officer.get("/api/v1/queue").await;
    assert_eq!(
        last_used(&app),
        Some(first),
        "not rewritten within the minute"
    );
    app.clock.advance(TimeDelta::seconds(40));
    officer.get("/api/v1/queue").await;
    let later = last_used(&app).unwrap();
    assert!(
        later > first && later - first >= TimeDelta::seconds(70),
        "{first} {later}"
    );
}

/// With the default idle limit (an hour): use keeps a session alive, an hour without use ends it, and
/// the absolute lifetime still holds.
async fn sessions_end_after_an_hour_without_use(backend: common::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.http.session_idle_minutes = 60).await else {
        return;
    };
    let b = app.signed_in("o@example.com", Role::Officer).await;
    for _ in 0..3 {
        app.clock.advance(TimeDelta::minutes(59));
        assert_eq!(
            b.get("/staff/requests").await.status,
            200,
            "used within the hour"
        );
    }
    app.clock.advance(TimeDelta::minutes(61));
    assert_eq!(
        b.get("/staff/requests").await.location.as_deref(),
        Some("/staff/login"),
        "an hour without use"
    );
    assert_eq!(b.login("o@example.com", common::PASSWORD).await.status, 303);
    assert_eq!(b.get("/staff/requests").await.status, 200);
}
