//! Staff sign-in throttling: growing waits per account and address, per address, and per account from
//! addresses it never signed in from; the same answer and the same work whether the account exists;
//! one audit event per throttle; an admin lifts the waits.

use std::sync::atomic::Ordering;

use chrono::TimeDelta;
use common::TestApp;
use kaiji::domain::staff::Role;

use crate::common;

both_backends!(
    failures_from_one_place_wait_longer_and_the_answer_never_tells_who_exists,
    a_member_signs_in_from_home_while_strangers_are_kept_waiting,
    an_address_spraying_many_accounts_waits,
);

const PW: &str = "correct horse battery staple";
const WRONG: &str = "wrong password here";

async fn failures_from_one_place_wait_longer_and_the_answer_never_tells_who_exists(app: TestApp) {
    app.staff("o@example.com", Role::Officer, PW).await;
    let checks = || app.state.password_checks.load(Ordering::Relaxed);
    let before = checks();
    let stranger = app.browser_at("203.0.113.9");
    for email in ["o@example.com", "ghost@example.com"] {
        for _ in 0..5 {
            let res = stranger.login(email, WRONG).await;
            assert_eq!(res.status, 401, "{email}");
        }
        // The sixth waits, known account or not, the right password included; nothing says which.
        for pw in [WRONG, PW] {
            let res = stranger.login(email, pw).await;
            assert_eq!(res.status, 429, "{email}");
            let retry = res.retry_after();
            assert!((1..=30).contains(&retry), "{retry}");
            assert!(res.body.contains("ログインの失敗が続いた"), "{}", res.body);
            assert!(
                res.body.contains(&format!("value=\"{email}\"")),
                "the email is kept"
            );
            assert!(stranger.cookie("kaiji_session").is_none());
        }
    }
    assert_eq!(
        checks() - before,
        14,
        "one password check per attempt, throttled or not"
    );
    // One audit event per throttle, however many attempts it turned away; no password, no email.
    let throttled = common::audited(&app, "staff.sign_in_throttled");
    assert_eq!(throttled.len(), 2, "{throttled:?}");
    assert!(
        throttled
            .iter()
            .all(|d| d.contains("\"scope\":\"account_at_address\"")
                && d.contains("\"failures\":5")
                && d.contains("203.0.113.9")
                && !d.contains('@')
                && !d.contains("wrong"))
    );
    assert_eq!(
        throttled
            .iter()
            .filter(|d| d.contains("\"staff_id\":\""))
            .count(),
        1,
        "a known account is named by id"
    );

    // The wait passes; the next failure waits twice as long.
    app.clock.advance(TimeDelta::seconds(31));
    assert_eq!(stranger.login("o@example.com", WRONG).await.status, 401);
    let res = stranger.login("o@example.com", PW).await;
    assert_eq!(res.status, 429);
    let retry = res.retry_after();
    assert!((31..=60).contains(&retry), "{retry}");

    // An admin lifts the waits (audited); an officer may not.
    let admin = common::api(&app, "admin@example.com", Role::Admin).await;
    let officer = common::api(&app, "other@example.com", Role::Officer).await;
    let body = serde_json::json!({"email": "o@example.com"});
    assert_eq!(officer.post("/api/v1/staff/unlock", &body).await.0, 403);
    assert_eq!(admin.post("/api/v1/staff/unlock", &body).await.0, 204);
    assert!(common::audited(&app, "staff.unlocked")[0].contains("\"failures_forgotten\":6"));
    assert_eq!(stranger.login("o@example.com", PW).await.status, 303);
}

async fn a_member_signs_in_from_home_while_strangers_are_kept_waiting(app: TestApp) {
    app.staff("admin@example.com", Role::Admin, PW).await;
    let home = app.browser_at("198.51.100.7");
    assert_eq!(home.login("admin@example.com", PW).await.status, 303);
    // Many places guess the administrator's password, a few times each.
    for i in 0..10 {
        let b = app.browser_at(&format!("203.0.113.{}", 10 + i));
        assert_eq!(b.login("admin@example.com", WRONG).await.status, 401);
    }
    // A place the account never signed in from now waits, even with the right password…
    let cafe = app.browser_at("192.0.2.200");
    let res = cafe.login("admin@example.com", PW).await;
    assert_eq!(res.status, 429);
    assert!(
        common::audited(&app, "staff.sign_in_throttled")[0]
            .contains("\"scope\":\"account_elsewhere\"")
    );
    // …but the administrator, at home, is not locked out by them.
    let again = app.browser_at("198.51.100.7");
    assert_eq!(again.login("admin@example.com", PW).await.status, 303);
    // After a day the failures are forgotten (the hourly job drops them).
    app.clock.advance(TimeDelta::hours(25));
    let state = app.state.clone();
    let dropped = tokio::task::spawn_blocking(move || kaiji::app::sign_in::forget_old(&state))
        .await
        .unwrap()
        .unwrap();
    assert!(dropped >= 10, "{dropped}");
    assert_eq!(cafe.login("admin@example.com", PW).await.status, 303);
}

async fn an_address_spraying_many_accounts_waits(app: TestApp) {
    app.staff("o@example.com", Role::Officer, PW).await;
    let sprayer = app.browser_at("2001:db8:7:7::1");
    for i in 0..20 {
        let res = sprayer.login(&format!("user{i}@example.com"), WRONG).await;
        assert_eq!(res.status, 401);
    }
    // Another address in the same /64 is the same place.
    let same_block = app.browser_at("2001:db8:7:7::99");
    let res = same_block.login("o@example.com", PW).await;
    assert_eq!(res.status, 429);
    assert!(common::audited(&app, "staff.sign_in_throttled")[0].contains("\"scope\":\"address\""));
    // Elsewhere, the officer is not slowed.
    assert_eq!(app.browser().login("o@example.com", PW).await.status, 303);
    assert_eq!(common::audited(&app, "staff.login_failed").len(), 20);
}
