//! Data-system owners (issue 18), on both backends: a staff member with the `system_owner` role is told
//! when a task opens in their system, sees and works only their systems' tasks (page and API), and never
//! the requests themselves, the queue, the log or the reports.

use crate::common;

use common::{TestApp, api, queue_reminders, started, task};
use kaiji::domain::staff::Role;
use serde_json::json;

both_backends!(a_system_owner_works_only_their_own_tasks);
both_backends!(owners_of_open_tasks_are_reminded_before_and_after_the_deadline);

const OWNER: &str = "accounts-owner@example.com";

async fn a_system_owner_works_only_their_own_tasks(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let owner_api = api(&app, OWNER, Role::SystemOwner).await;
    let id = started(
        &app,
        &officer,
        json!({"name": "Pat Doe", "email": "pat@example.eu", "request_type": "correction",
               "jurisdiction": "eea", "message": "My postal address is now 2-2 New Street."}),
    )
    .await;
    let r = officer.request(&id).await;
    let own = task(&r, "Customer accounts");
    let other = task(&r, "Orders and billing");

    // The owner is told, with a link to the task and nothing about the person.
    let mails = common::texts_to(&common::delivered_over_smtp(&app).await, OWNER);
    assert_eq!(mails.len(), 1, "one task opened in their one system");
    let text = &mails[0];
    assert!(
        text.contains(&format!("/staff/tasks/{}", own["id"].as_str().unwrap())),
        "{text}"
    );
    assert!(
        !text.contains("Pat Doe")
            && !text.contains("pat@example.eu")
            && !text.contains("/staff/requests/"),
        "{text}"
    );

    // Over the API: their open tasks only; another system's task and the request are out of reach.
    let mine = owner_api.get("/api/v1/tasks").await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["task_id"], own["id"]);
    let (status, _) = owner_api
        .close(&id, other, json!({"outcome": "no_data"}))
        .await;
    assert_eq!(status, 404, "another system's task does not exist for them");
    let page = owner_api.get_page(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(page.status, 403);
    let page = owner_api.get_page("/api/v1/reports").await;
    assert!(page.status == 403 || page.status == 404, "{}", page.status);

    // In the browser: they land on their tasks; the queue, the request, the log and reports are closed.
    let desk = app.browser();
    assert_eq!(desk.login(OWNER, common::PASSWORD).await.status, 303);
    let home = desk.get("/staff").await;
    assert_eq!(home.location.as_deref(), Some("/staff/systems"));
    for path in [
        "/staff/requests".to_owned(),
        format!("/staff/requests/{id}"),
        "/staff/audit".to_owned(),
        "/staff/reports".to_owned(),
        "/staff/payments".to_owned(),
    ] {
        assert_eq!(desk.get(&path).await.status, 403, "{path}");
    }
    let list = desk.get("/staff/systems?lang=en").await;
    let own_path = format!("/staff/tasks/{}", own["id"].as_str().unwrap());
    assert!(list.body.contains(&own_path), "{}", list.body);
    assert!(
        !list.body.contains("/staff/requests"),
        "no link into requests: {}",
        list.body
    );
    let other_page = desk
        .get(&format!("/staff/tasks/{}", other["id"].as_str().unwrap()))
        .await;
    assert_eq!(other_page.status, 404);
    let page = desk.get(&format!("{own_path}?lang=en")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("My postal address is now 2-2 New Street.")
    );
    assert!(page.body.contains("name=\"item_1\""));
    assert!(
        !page.body.contains("Orders and billing"),
        "no other system's task"
    );

    // Closing it: a half correction comes back on the task page, kept; a whole one closes it.
    let path = format!(
        "/staff/requests/{id}/tasks/{}?lang=en",
        own["id"].as_str().unwrap()
    );
    let form = |prior: &str| {
        reqwest::multipart::Form::new()
            .text("csrf_token", page.csrf())
            .text("outcome", "rectified")
            .text("item_1", "Postal address")
            .text("prior_value_1", prior.to_owned())
            .text("new_value_1", "2-2 New Street")
    };
    let bad = desk.post_multipart(&path, form("")).await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("id=\"task-particulars\""),
        "the task page, not the request's"
    );
    assert!(bad.body.contains("value=\"Postal address\""));
    let ok = desk.post_multipart(&path, form("1-1 Old Street")).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        ok.location.as_deref(),
        Some(format!("{own_path}?moved=1").as_str())
    );
    let r = officer.request(&id).await;
    assert_eq!(
        r["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == own["id"])
            .unwrap()["status"],
        "rectified"
    );
    // Replayed: closed already.
    let again = desk.post_multipart(&path, form("1-1 Old Street")).await;
    assert_eq!(again.status, 422);
    // A system owner cannot fire events, lift, withhold or approve.
    let (status, body) = owner_api.fire(&id, "answer", 3).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = owner_api
        .post(
            &format!("/api/v1/requests/{id}/approvals"),
            &json!({"event": "answer", "expected_version": 3}),
        )
        .await;
    assert_eq!(status, 403);
}

/// With the officers' reminders (three days before a legal deadline, and once it has passed), the owner
/// of each system whose task is still open is reminded, on the task's page; an owner whose task is
/// closed, or whose account is disabled, is not; each reminder once.
async fn owners_of_open_tasks_are_reminded_before_and_after_the_deadline(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let _owner = api(&app, OWNER, Role::SystemOwner).await;
    let _billing = api(&app, "billing-owner@example.com", Role::SystemOwner).await;
    let id = started(
        &app,
        &officer,
        json!({"name": "Pat Doe", "email": "pat@example.eu", "request_type": "deletion",
               "jurisdiction": "eea", "message": "Erase my data."}),
    )
    .await;
    let r = officer.request(&id).await;
    let tasks = r["tasks"].as_array().unwrap().clone();
    // Every task but the accounts one is closed: only its owner is left to remind.
    let own = task(&r, "Customer accounts");
    for t in tasks.iter().filter(|t| t["system"] != "Customer accounts") {
        assert_eq!(
            officer.close(&id, t, json!({"outcome": "no_data"})).await.0,
            200
        );
    }
    let due: chrono::NaiveDate = r["clocks"][0]["due_on"].as_str().unwrap().parse().unwrap();
    let days_left = (due - app.clock.now().date_naive()).num_days();
    app.clock.advance(chrono::TimeDelta::days(days_left - 3));
    let queued = queue_reminders(&app).await;
    // Nobody assigned: the one officer; and the accounts owner (the others' tasks are closed, or their
    // owners have no account).
    assert_eq!(queued, 2, "the officer and the accounts owner");
    assert_eq!(queue_reminders(&app).await, 0, "once");
    app.clock.advance(chrono::TimeDelta::days(4));
    assert_eq!(
        queue_reminders(&app).await,
        2,
        "and once more when the deadline has passed"
    );
    assert_eq!(queue_reminders(&app).await, 0);

    let mails = common::delivered_over_smtp(&app).await;
    let to = |who: &str| common::texts_to(&mails, who);
    let task_path = format!("/staff/tasks/{}", own["id"].as_str().unwrap());
    let owner_mail = to(OWNER);
    // The task opened, then due soon, then overdue.
    assert_eq!(owner_mail.len(), 3, "{owner_mail:?}");
    let reminders: Vec<&String> = owner_mail
        .iter()
        .filter(|t| t.contains("まだ完了しておらず"))
        .collect();
    assert_eq!(reminders.len(), 2, "{owner_mail:?}");
    for text in &reminders {
        assert!(text.contains(&task_path), "the task's page: {text}");
        assert!(text.contains(&due.to_string()), "the deadline: {text}");
        assert!(
            !text.contains("Pat Doe") && !text.contains("/staff/requests/"),
            "nothing about the person, no way into the request: {text}"
        );
    }
    // The billing system's owner closed nothing themselves, but its task is closed: not reminded.
    assert!(
        to("billing-owner@example.com")
            .iter()
            .all(|t| !t.contains("まだ完了しておらず")),
        "{:?}",
        to("billing-owner@example.com")
    );
}
