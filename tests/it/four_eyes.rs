//! Four eyes (issue 18), on both backends: a procedure that says `four_eyes = true` sends an answer or a
//! refusal only once a second officer approved it at the request's current version; the approver cannot
//! send it, and any change after the approval makes it stale.

use crate::common;

use common::{TestApp, api, field_code, file_id};
use kaiji::domain::staff::Role;
use serde_json::json;

both_backends!(answers_and_refusals_need_a_second_officers_approval);

/// Publishes the GDPR procedure as its next version with four eyes.
fn publish_four_eyes(app: &TestApp) {
    let (src, v) = common::next_version(
        &std::fs::read_to_string(common::repo_path("seeds/workflows/gdpr.toml")).unwrap(),
    );
    let src = src.replacen(
        &format!("version = {v}"),
        &format!("version = {v}\nfour_eyes = true"),
        1,
    );
    assert!(src.contains("four_eyes = true"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gdpr.toml"), &src).unwrap();
    let files = kaiji::app::workflows::read_definitions(dir.path(), &common::laws()).unwrap();
    kaiji::app::workflows::publish(&mut app.tdb.conn(), &files, &app.clock).unwrap();
}

async fn filed(app: &TestApp, right: &str) -> String {
    let id = file_id(
        app,
        json!({"email": "pat@example.eu", "request_type": right, "jurisdiction": "eea"}),
    )
    .await;
    app.confirm_email(&id).await;
    id
}

async fn answers_and_refusals_need_a_second_officers_approval(app: TestApp) {
    publish_four_eyes(&app);
    let first = api(&app, "first@example.com", Role::Officer).await;
    let second = api(&app, "second@example.com", Role::Officer).await;
    let id = filed(&app, "objection").await;
    assert_eq!(
        first.request(&id).await["workflow"]["version"],
        common::seed_version("gdpr") + 1
    );
    assert_eq!(first.fire(&id, "start_processing", 1).await.0, 200);
    first
        .close_each(
            &id,
            json!({"outcome": "stopped", "purposes": "direct marketing"}),
        )
        .await;
    let approvals = format!("/api/v1/requests/{id}/approvals");
    let (status, body) = first.fire(&id, "answer", 3).await;
    assert_eq!(
        (status, field_code(&body, "event")),
        (422, Some("second_officer_required")),
        "{body}"
    );
    // Approving what needs no approval, or a version that is gone, is refused.
    let (status, body) = second
        .post(
            &approvals,
            &json!({"event": "extend", "expected_version": 3}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "event")),
        (422, Some("no_approval_needed"))
    );
    let (status, _) = second
        .post(
            &approvals,
            &json!({"event": "answer", "expected_version": 2}),
        )
        .await;
    assert_eq!(status, 409);
    // The first officer approves; they still cannot send it themselves.
    let (status, _) = first
        .post(
            &approvals,
            &json!({"event": "answer", "expected_version": 3}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = first.fire(&id, "answer", 3).await;
    assert_eq!(
        (status, field_code(&body, "event")),
        (422, Some("second_officer_required")),
        "the approver cannot send what they approved"
    );
    // The second one sends it.
    let (status, body) = second.fire(&id, "answer", 3).await;
    assert_eq!(status, 200, "{body}");
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "request.approved" && e.details.contains("\"answer\""))
    );

    // A refusal approved, then the request changes: the approval is stale.
    let r = filed(&app, "objection").await;
    let approvals = format!("/api/v1/requests/{r}/approvals");
    let (status, _) = second
        .post(
            &approvals,
            &json!({"event": "refuse", "expected_version": 1}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(first.fire(&r, "extend", 1).await.0, 200);
    let (status, body) = first.fire(&r, "refuse", 2).await;
    assert_eq!(
        (status, field_code(&body, "event")),
        (422, Some("second_officer_required")),
        "approved at version 1, not 2"
    );
    assert_eq!(first.request(&r).await["state"], "received");

    // On the page: the action says it needs approval; another officer approves from it.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{r}?lang=en")).await;
    assert!(
        page.body
            .contains("data-approvals=\"refuse\">Needs another officer"),
        "{}",
        page.body
    );
    let ok = desk
        .submit(
            &format!("/staff/requests/{r}/approvals"),
            &page,
            &[("event", "refuse"), ("expected_version", "2")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = desk.get(&format!("/staff/requests/{r}?lang=en")).await;
    assert!(page.body.contains("Approved by: Desk"), "{}", page.body);
    let (status, body) = first.fire(&r, "refuse", 2).await;
    assert_eq!(status, 200, "{body}");

    // Procedures without four eyes are as before.
    let plain = file_id(
        &app,
        json!({"email": "kim@example.ca", "request_type": "withdraw_consent", "jurisdiction": "canada"}),
    )
    .await;
    app.confirm_email(&plain).await;
    let (status, body) = second
        .post(
            &format!("/api/v1/requests/{plain}/approvals"),
            &json!({"event": "refuse", "expected_version": 1}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "event")),
        (422, Some("no_approval_needed"))
    );
}
