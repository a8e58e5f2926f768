//! Notices delivered by email through a real SMTP server on loopback (issue 6), on both backends: the
//! headers, language and links of what arrives; nothing lost or doubled while the server is down; a
//! worker that died after claiming; attempts exhausted, then an officer's retry; several workers at once.

use crate::common;

use common::smtp::SmtpServer;
use common::{TestApp, api, deliver, field_code, file_json, link_in, mailer, queue_reminders};
use kaiji::domain::notice::NoticeChannel;
use kaiji::domain::staff::Role;
use kaiji::notify::{DeliveryReport, Mailer, deliver_due};
use serde_json::{Value, json};
use std::collections::BTreeMap;

both_backends!(
    delivered_mail_has_the_right_headers_language_and_links,
    nothing_is_lost_or_doubled_while_the_mail_server_is_down,
    a_worker_that_died_after_claiming_loses_nothing,
    exhausted_attempts_are_shown_and_an_officer_retries,
    several_workers_never_send_a_notice_twice,
    with_no_mail_server_notices_become_eml_files,
    officers_hear_of_assignments_and_deadlines_once,
    an_unused_answer_link_is_reminded_before_it_expires,
    notices_say_what_the_law_requires_them_to,
    notices_about_one_request_arrive_in_the_order_they_were_queued,
);

async fn file(app: &TestApp, language: &str, email: &str) -> (String, String) {
    let r = common::file_json(
        app,
        json!({"name": "Pat Doe", "email": email, "message": "My data, please.", "language": language}),
    )
    .await;
    (
        r["id"].as_str().unwrap().to_owned(),
        r["receipt_number"].as_str().unwrap().to_owned(),
    )
}

fn by_message_id(smtp: &SmtpServer) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for m in smtp.received() {
        *seen.entry(m.header("Message-ID").unwrap()).or_default() += 1;
    }
    seen
}

fn email_notices(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT COUNT(*) AS n FROM notices WHERE channel = 'email'")
        .get_result::<N>(&mut *app.tdb.conn())
        .unwrap()
        .n
}

async fn delivered_mail_has_the_right_headers_language_and_links(app: TestApp) {
    let smtp = SmtpServer::start();
    let (_, receipt) = file(&app, "en", "pat@example.com").await;
    let (_, receipt_ja) = file(&app, "ja", "hanako@example.jp").await;
    let r = deliver(&app, &smtp, "w1").await;
    assert_eq!(
        (r.sent, r.retrying, r.failed),
        (4, 0, 0),
        "received and confirm-your-email, twice"
    );
    let mail = smtp.received();
    let en: Vec<_> = mail
        .iter()
        .filter(|m| m.to == ["<pat@example.com>"])
        .collect();
    assert_eq!(en.len(), 2);
    for m in &en {
        assert_eq!(m.header("Content-Language").as_deref(), Some("en"));
        assert_eq!(
            m.header("Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        assert!(m.header("From").unwrap().contains("no-reply@localhost"));
        let id = m.header("Message-ID").unwrap();
        assert!(
            id.starts_with("<notice-") && id.ends_with("@localhost>"),
            "{id}"
        );
        assert!(m.header("Subject").unwrap().contains(&receipt));
    }
    let confirm = en
        .iter()
        .find(|m| m.header("Subject").unwrap().contains("confirm your email"))
        .expect("the confirmation email");
    let text = confirm.text();
    assert!(text.contains("Dear Pat Doe"), "{text}");
    // The link in the email confirms the address; the tracking link opens the request.
    let base = &app.base;
    let path = link_in(&text, &app.state.config.http.public_url, "/confirm/");
    let b = app.browser();
    let page = b.get(&path).await;
    assert_eq!(page.status, 200, "{base}{path}");
    let track = link_in(&text, "", "/track/");
    let page = b.get(&track).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&receipt));

    let ja: Vec<_> = mail
        .iter()
        .filter(|m| m.to == ["<hanako@example.jp>"])
        .collect();
    assert_eq!(ja.len(), 2);
    for m in &ja {
        assert_eq!(m.header("Content-Language").as_deref(), Some("ja"));
        let text = m.text();
        assert!(text.contains("Pat Doe 様"), "{text}");
        assert!(text.contains(&receipt_ja));
    }
    assert!(ja.iter().any(|m| m.text().contains("メールアドレス")));
    // Nothing is sent twice.
    assert_eq!(deliver(&app, &smtp, "w1").await, DeliveryReport::default());
    assert_eq!(smtp.received().len(), 4);
}

async fn nothing_is_lost_or_doubled_while_the_mail_server_is_down(app: TestApp) {
    let mut smtp = SmtpServer::start();
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    smtp.stop();
    let (id, _) = file(&app, "en", "pat@example.com").await;
    app.confirm_email(&id).await;
    let v = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "start_processing", v).await.0, 200);
    let (status, _) = officer
        .event(
            &id,
            "extend",
            v + 1,
            json!({"reason": "Many systems to search."}),
        )
        .await;
    assert_eq!(status, 200);
    let queued = email_notices(&app);
    assert!(queued >= 3);
    let r = deliver(&app, &smtp, "w1").await;
    assert_eq!((r.sent, r.retrying), (0, queued as usize));
    let r = officer.request(&id).await;
    assert!(
        r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["status"] == "queued" && n["attempts"] == 1 && n["last_error"].is_string())
    );
    // Back up; before the backoff ends nothing goes, after it everything goes once.
    smtp.restart();
    assert_eq!(
        deliver(&app, &smtp, "w1").await.sent,
        0,
        "still backing off"
    );
    app.clock.advance(chrono::TimeDelta::minutes(2));
    let r = deliver(&app, &smtp, "w1").await;
    assert_eq!(r.sent, queued as usize);
    app.clock.advance(chrono::TimeDelta::hours(1));
    assert_eq!(deliver(&app, &smtp, "w1").await, DeliveryReport::default());
    let seen = by_message_id(&smtp);
    assert_eq!(seen.len(), queued as usize);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    let r = officer.request(&id).await;
    assert!(
        r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["status"] == "sent" && n["sent_at"].is_string())
    );
    let ext = smtp
        .received()
        .into_iter()
        .find(|m| m.header("Subject").unwrap().contains("More time"))
        .unwrap();
    assert!(ext.text().contains("Many systems to search."));
}

async fn a_worker_that_died_after_claiming_loses_nothing(app: TestApp) {
    let smtp = SmtpServer::start();
    file(&app, "en", "pat@example.com").await;
    // A worker claims everything and dies before sending.
    let now = app.clock.now();
    let claimed = kaiji::db::notices::claim(
        &mut app.tdb.conn(),
        "dead-worker",
        kaiji::db::to_db_time(now),
        kaiji::db::to_db_time(now + chrono::TimeDelta::seconds(300)),
        100,
    )
    .unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(
        deliver(&app, &smtp, "w2").await.sent,
        0,
        "leased to the dead worker"
    );
    app.clock.advance(chrono::TimeDelta::seconds(301));
    assert_eq!(deliver(&app, &smtp, "w2").await.sent, 2);
    assert_eq!(deliver(&app, &smtp, "w2").await.sent, 0);
    let seen = by_message_id(&smtp);
    assert_eq!(seen.len(), 2);
    assert!(seen.values().all(|n| *n == 1));
}

async fn exhausted_attempts_are_shown_and_an_officer_retries(app: TestApp) {
    let mut smtp = SmtpServer::start();
    smtp.stop();
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (id, _) = file(&app, "en", "pat@example.com").await;
    let max = app.state.config.mail.mail_max_attempts;
    for _ in 0..max {
        deliver(&app, &smtp, "w1").await;
        app.clock.advance(chrono::TimeDelta::hours(7));
    }
    let r = officer.request(&id).await;
    let failed: Vec<Value> = r["notices"].as_array().unwrap().clone();
    assert!(
        failed
            .iter()
            .all(|n| n["status"] == "failed" && n["attempts"] == max),
        "{failed:?}"
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.action == "notice.failed").count(),
        2
    );
    // Officers see it on the request page, with a button to send again.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}")).await;
    assert!(page.body.contains("data-status=\"failed\"") && page.body.contains("/retry"));
    smtp.restart();
    assert_eq!(
        deliver(&app, &smtp, "w1").await.sent,
        0,
        "failed stays failed"
    );
    for n in &failed {
        let (status, _) = officer
            .post(
                &format!(
                    "/api/v1/requests/{id}/notices/{}/retry",
                    n["id"].as_str().unwrap()
                ),
                &json!({}),
            )
            .await;
        assert_eq!(status, 204);
    }
    let (status, _) = officer
        .post(
            &format!(
                "/api/v1/requests/{id}/notices/{}/retry",
                failed[0]["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404, "only a failed notice can be retried");
    assert_eq!(deliver(&app, &smtp, "w1").await.sent, 2);
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "notice.retried")
            .count(),
        2
    );
    assert_eq!(
        audit.iter().filter(|e| e.action == "notice.sent").count(),
        2
    );
}

async fn several_workers_never_send_a_notice_twice(app: TestApp) {
    let smtp = SmtpServer::start();
    for i in 0..10 {
        file(&app, "en", &format!("p{i}@example.com")).await;
    }
    let total = email_notices(&app) as usize;
    let mut workers = Vec::new();
    for w in 0..4 {
        let (state, mailer) = (app.state.clone(), mailer(&app, &smtp));
        workers.push(tokio::task::spawn_blocking(move || {
            let mut sent = 0;
            for _ in 0..5 {
                sent += deliver_due(&state, &mailer, &format!("w{w}"), 3)
                    .unwrap()
                    .sent;
            }
            sent
        }));
    }
    let mut sent = 0;
    for w in workers {
        sent += w.await.unwrap();
    }
    sent += deliver(&app, &smtp, "sweeper").await.sent;
    assert_eq!(sent, total);
    let seen = by_message_id(&smtp);
    assert_eq!(seen.len(), total);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
}

async fn with_no_mail_server_notices_become_eml_files(app: TestApp) {
    let (_, receipt) = file(&app, "en", "pat@example.com").await;
    let mailer = Mailer::from_config(&app.state.config).unwrap();
    let dir = app.state.config.service.data_dir.join("mail");
    assert!(matches!(&mailer, Mailer::Files(d) if *d == dir));
    let state = app.state.clone();
    let r = tokio::task::spawn_blocking(move || deliver_due(&state, &mailer, "w", 10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.sent, 2);
    // One folder per request, one file per notice, named by its id; only kaiji's user may read them.
    let folders: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1);
    let paths: Vec<_> = std::fs::read_dir(&folders[0])
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(paths.iter().all(|p| p.extension().unwrap() == "eml"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&dir), mode(&folders[0])), (0o700, 0o700));
        assert!(paths.iter().all(|p| mode(p) == 0o600));
    }
    let files: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(files.len(), 2);
    assert!(
        files
            .iter()
            .all(|f| f.contains("Message-ID: <notice-") && f.contains(&receipt))
    );
}

async fn officers_hear_of_assignments_and_deadlines_once(app: TestApp) {
    let smtp = SmtpServer::start();
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    app.staff(
        "admin@example.com",
        Role::Admin,
        "correct horse battery staple",
    )
    .await;
    let (id, _) = file(&app, "en", "pat@example.com").await;
    let (other, _) = file(&app, "en", "kim@example.com").await;
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{id}/assignee"),
            &json!({"assignee": "officer@example.com"}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{id}/assignee"),
            &json!({"assignee": "nobody@example.com"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "assignee")),
        (422, Some("unknown_staff"))
    );
    assert_eq!(
        officer.request(&id).await["assignee"],
        "officer@example.com"
    );
    deliver(&app, &smtp, "w").await;
    let to_officer = |smtp: &SmtpServer| -> Vec<String> {
        smtp.received()
            .into_iter()
            .filter(|m| m.to == ["<officer@example.com>"])
            .map(|m| m.text())
            .collect()
    };
    let mail = to_officer(&smtp);
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(
        mail[0].contains("担当に割り当てられました")
            && mail[0].contains(&format!("/staff/requests/{id}"))
    );
    // The requester's tracking page does not list notices to staff.
    let token = kaiji::security::tokens::tracking_token(app.state.keys.session.expose(), &id);
    let page = app.browser().get(&format!("/track/{token}?lang=en")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-kind=\"received\"") && !page.body.contains("staff_assigned"));

    // GDPR: one month from 2026-11-22. Three days before, the assignee hears; nobody assigned: every
    // officer and admin hears. Once each, however often the job runs.
    assert_eq!(queue_reminders(&app).await, 0);
    // Before the due-soon day the worker's round does not even read the clocks.
    let none_due = |app: &TestApp| {
        kaiji::db::clocks::reminders_due(&mut app.tdb.conn(), app.clock.now().naive_utc(), 100)
            .unwrap()
            .is_empty()
    };
    assert!(none_due(&app));
    // Clocks from before the schedule existed (migration 000014 marks them to be looked at now) are
    // looked at once, remind nobody early, and are scheduled for their day (checked below).
    {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE request_clocks SET remind_at = '2000-01-01 00:00:00'")
            .execute(&mut *app.tdb.conn())
            .unwrap();
    }
    assert!(!none_due(&app));
    assert_eq!(queue_reminders(&app).await, 0);
    assert!(none_due(&app));
    let due = officer.request(&id).await["clocks"][0]["due_on"]
        .as_str()
        .unwrap()
        .to_owned();
    let due: chrono::NaiveDate = due.parse().unwrap();
    let now = app.clock.now();
    let days_left = (due - now.date_naive()).num_days();
    app.clock.advance(chrono::TimeDelta::days(days_left - 3));
    assert_eq!(
        queue_reminders(&app).await,
        1 + 2,
        "the assignee; then both workers for the other request"
    );
    assert_eq!(queue_reminders(&app).await, 0);
    app.clock.advance(chrono::TimeDelta::days(4));
    assert_eq!(queue_reminders(&app).await, 3, "overdue, the same people");
    assert_eq!(queue_reminders(&app).await, 0);
    // Reminded clocks no longer reach the worker's round at all (it runs every few seconds).
    let pending = |app: &TestApp| {
        kaiji::db::clocks::reminders_due(&mut app.tdb.conn(), app.clock.now().naive_utc(), 100)
            .unwrap()
    };
    assert!(pending(&app).is_empty(), "{:?}", pending(&app));
    deliver(&app, &smtp, "w").await;
    let mail = to_officer(&smtp);
    assert_eq!(mail.len(), 1 + 2 + 2, "{mail:?}");
    assert!(mail.iter().any(|m| m.contains("法定期限まで3日以内")));
    assert!(mail.iter().any(|m| m.contains("法定期限を過ぎています")));
    let admin: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.to == ["<admin@example.com>"])
        .collect();
    assert_eq!(admin.len(), 2, "only the unassigned request's reminders");
    assert!(
        admin
            .iter()
            .all(|m| m.text().contains(&format!("/staff/requests/{other}")))
    );
    let page = app.browser().get("/").await;
    assert_eq!(page.status, 200);
    app.clock.advance(chrono::TimeDelta::days(30));
    assert!(
        pending(&app).is_empty(),
        "nothing left to remind: {:?}",
        pending(&app)
    );
    assert_eq!(queue_reminders(&app).await, 0);
}

async fn an_unused_answer_link_is_reminded_before_it_expires(app: TestApp) {
    let smtp = SmtpServer::start();
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let filed = file_json(
        &app,
        json!({"name": "Pat Doe", "request_type": "portability", "message": "My data."}),
    )
    .await;
    let id = filed["id"].as_str().unwrap().to_owned();
    let token = filed["tracking_token"].as_str().unwrap().to_owned();
    app.confirm_email(&id).await;
    let v = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "start_processing", v).await.0, 200);
    officer.close_each(&id, json!({"outcome": "no_data"})).await;
    let v = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "answer", v).await.0, 200);
    assert_eq!(queue_reminders(&app).await, 0);
    app.clock.advance(chrono::TimeDelta::hours(13 * 24));
    assert_eq!(queue_reminders(&app).await, 1);
    assert_eq!(queue_reminders(&app).await, 0, "once");
    deliver(&app, &smtp, "w").await;
    let reminder = smtp
        .received()
        .into_iter()
        .find(|m| m.header("Subject").unwrap().contains("expires soon"))
        .expect("the reminder");
    let text = reminder.text();
    assert!(
        text.contains("/download/") && text.contains(&format!("/track/{token}")),
        "{text}"
    );
    let page = app.browser().get(&format!("/track/{token}?lang=en")).await;
    assert!(page.body.contains("data-kind=\"download_expiring\""));
}

/// CCPA §7021(a): the acknowledgement gives the date the business expects to answer by and how it will
/// verify the consumer; PIPEDA s. 8(4): an extension tells the person they may complain about it to the
/// Privacy Commissioner. Read in the delivered emails, in English and Japanese.
async fn notices_say_what_the_law_requires_them_to(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let mut filed = Vec::new();
    for (language, place, email) in [
        ("en", "US-CA", "pat@example.com"),
        ("ja", "US-CA", "hanako@example.jp"),
        ("en", "CA", "lee@example.ca"),
    ] {
        let r = file_json(
            &app,
            json!({"name": "Pat Doe", "email": email, "message": "My data, please.",
                   "language": language, "jurisdiction": place, "request_type": "access"}),
        )
        .await;
        let id = r["id"].as_str().unwrap().to_owned();
        app.confirm_email(&id).await;
        filed.push((id, email));
    }
    for (id, _) in &filed[..2] {
        let (status, out) = officer.fire(id, "acknowledge", 1).await;
        assert_eq!(status, 200, "{out}");
    }
    let (status, out) = officer.fire(&filed[2].0, "extend", 1).await;
    assert_eq!(status, 200, "{out}");

    let smtp = SmtpServer::start();
    deliver(&app, &smtp, "w1").await;
    let mail = smtp.received();
    let text_of = |to: &str, subject_has: &str| {
        mail.iter()
            .filter(|m| m.to == [format!("<{to}>")])
            .map(|m| m.text())
            .find(|t| t.contains(subject_has))
            .unwrap_or_else(|| panic!("no mail to {to} saying {subject_has}"))
    };
    let mut due = Vec::new();
    for (id, _) in &filed[..2] {
        let r = officer.request(id).await;
        let clocks = r["clocks"].as_array().unwrap().clone();
        let response = clocks.iter().find(|c| c["id"] == "response").unwrap();
        due.push(response["due_on"].as_str().unwrap().to_owned());
    }
    let en = text_of("pat@example.com", "We confirm that we received");
    assert!(
        en.contains(&format!("We expect to answer by: {}", due[0])),
        "{en}"
    );
    assert!(
        en.contains("we will ask for 3 pieces of information about you")
            && en.contains("declaration under penalty of perjury"),
        "{en}"
    );
    let ja = text_of("hanako@example.jp", "受領を確認しました");
    assert!(ja.contains(&format!("回答予定日: {}", due[1])), "{ja}");
    assert!(ja.contains("3点") && ja.contains("偽証罪"), "{ja}");

    let extension = text_of("lee@example.ca", "As recorded.");
    assert!(
        extension.contains(
            "you may also complain about it to Office of the Privacy Commissioner of Canada"
        ),
        "{extension}"
    );
}

/// Sent several at once, notices about one request still arrive in the order they were queued (a
/// mail server slow on every other message would otherwise let the second overtake the first).
async fn notices_about_one_request_arrive_in_the_order_they_were_queued(app: TestApp) {
    let smtp = SmtpServer::start_slow(std::sync::Arc::new(|n| {
        std::time::Duration::from_millis(if n % 2 == 0 { 40 } else { 1 })
    }));
    let mut filed = Vec::new();
    for i in 0..6 {
        let email = format!("order{i}@example.com");
        filed.push((file(&app, "en", &email).await.0, email));
    }
    let r = deliver(&app, &smtp, "w").await;
    assert!(r.sent >= 12, "{r:?}");
    let mail = smtp.received();
    for (id, email) in filed {
        let queued: Vec<String> =
            kaiji::db::notices::for_request(&mut app.tdb.conn(), &id.as_str().into())
                .unwrap()
                .into_iter()
                .filter(|n| n.channel == NoticeChannel::Email && n.recipient_staff_id.is_none())
                .map(|n| format!("<notice-{}@", n.id))
                .collect();
        let arrived: Vec<String> = mail
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(&email)))
            .map(|m| m.header("Message-ID").unwrap())
            .collect();
        assert!(queued.len() >= 2, "{queued:?}");
        assert_eq!(arrived.len(), queued.len());
        for (a, q) in arrived.iter().zip(&queued) {
            assert!(
                a.starts_with(q.as_str()),
                "{email}: arrived {arrived:?}, queued {queued:?}"
            );
        }
    }
}
