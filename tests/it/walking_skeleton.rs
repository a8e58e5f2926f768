//! The walking skeleton, end to end over real HTTP on both backends: a data subject files a request, an
//! officer signs in, finds it in the queue, moves it, every write leaves an audit event, and the private
//! tracking link shows the new state.

use crate::common;

use common::{TestApp, file_request};
use kaiji::domain::staff::Role;

both_backends!(
    form_to_audit_log,
    json_api_flow,
    tracking_links_are_private_and_unguessable
);

async fn form_to_audit_log(app: TestApp) {
    let subject = app.browser();
    let tracking = file_request(
        &subject,
        "山田 太郎",
        "taro@example.jp",
        "access",
        "全部見せてください",
    )
    .await;
    app.confirm_emails().await;
    assert!(tracking.starts_with("/track/") && tracking.contains("received=1"));

    // The receipt page shows the receipt number and the private link.
    let receipt = subject.get(&tracking).await;
    assert_eq!(receipt.status, 200);
    let number = receipt
        .text_of("receipt-number")
        .expect("receipt number shown");
    assert!(number.starts_with("KJ-20261122-"), "{number}");
    let link = receipt.text_of("tracking-link").unwrap();
    assert!(link.starts_with(&app.base) && link.contains("/track/"));
    assert_eq!(receipt.text_of("track-state").unwrap(), "受付済み");
    assert_eq!(receipt.headers["cache-control"], "no-store");

    // The token is stored only as a digest.
    let token = tracking
        .trim_start_matches("/track/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 43, "256-bit token");
    let stored: Vec<kaiji::db::requests::RequestRow> = {
        use diesel::prelude::*;
        use kaiji::db::schema::requests::dsl::*;
        requests
            .select(kaiji::db::requests::RequestRow::as_select())
            .load(&mut *app.tdb.conn())
            .unwrap()
    };
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].tracking_token_sha256, token);
    assert_eq!(
        stored[0].tracking_token_sha256,
        kaiji::security::tokens::digest(&token)
    );
    assert_eq!(stored[0].subject_name, "山田 太郎");
    assert_eq!(stored[0].language, "ja");
    assert_eq!(stored[0].state, "received");

    // An officer signs in, finds it in the queue and opens it.
    let officer = app.signed_in("officer@example.com", Role::Officer).await;
    let queue = officer.get("/staff/requests").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(&number), "queue lists the request");
    let id = &stored[0].id;
    let page = officer.get(&format!("/staff/requests/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-event=\"confirm_identity\""));
    assert!(
        !page.body.contains("data-event=\"answer\""),
        "only allowed events are offered"
    );

    // It moves the request on.
    let moved = officer
        .submit(
            &format!("/staff/requests/{id}/events"),
            &page,
            &[("event", "confirm_identity"), ("expected_version", "1")],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let page = officer.get(moved.location.as_deref().unwrap()).await;
    assert_eq!(page.text_of("state").unwrap(), "本人確認済み・対応中");
    // The answer waits for the data systems: their tasks are listed, the answer not yet offered.
    assert!(page.body.contains("id=\"task-table\""));
    assert!(!page.body.contains("data-event=\"answer\""));
    assert!(page.body.contains("data-event=\"refuse\""));

    // The tracking link shows the new state.
    let track = subject.get(&format!("/track/{token}")).await;
    assert_eq!(
        track.text_of("track-state").unwrap(),
        "本人確認済み・対応中"
    );

    // Each write appended one audit event with who, what, request and states.
    let events = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), id).unwrap();
    let summary: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.actor_kind.as_str(),
                e.from_state.as_deref(),
                e.to_state.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("request.received", "requester", None, Some("received")),
            ("request.email_confirmed", "requester", None, None),
            (
                "request.transitioned",
                "staff",
                Some("received"),
                Some("in_progress")
            ),
        ]
    );
    assert!(events[2].actor_id.is_some());
    assert!(events[2].details.contains("confirm_identity"));
    for e in &events {
        assert!(
            !e.details.contains("taro@example.jp") && !e.details.contains("山田"),
            "no personal data in audit details"
        );
    }

    // The request page shows the history, in words: who did what, by name.
    let history = page.all_text_of("timeline-table").unwrap_or_default();
    assert!(
        history.contains("Officer（担当者）が") && !history.contains("request.transitioned"),
        "{history}"
    );
}

async fn json_api_flow(app: TestApp) {
    let client = app.browser();
    let created = client
        .post_json(
            "/api/v1/requests",
            &serde_json::json!({
                "name": "Jane Doe", "email": "jane@example.com",
                "request_type": "deletion", "message": "Please delete my account data."
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let body = created.json();
    let token = body["tracking_token"].as_str().unwrap().to_owned();
    let status_url = body["status_url"].as_str().unwrap().to_owned();
    assert!(body["receipt_number"].as_str().unwrap().starts_with("KJ-"));
    assert_eq!(
        status_url,
        format!("{}/api/v1/requests/status/{token}", app.base)
    );
    assert_eq!(created.headers["location"], status_url.as_str());
    app.confirm_emails().await;

    let status = client.get(&status_url).await;
    assert_eq!(status.status, 200);
    let s = status.json();
    assert_eq!(s["receipt_number"], body["receipt_number"]);
    assert_eq!(s["state"], "received");
    assert_eq!(s["request_type"], "deletion");
    assert_eq!(s["closed"], false);

    // The API channel and the requested language are recorded.
    let row = &kaiji::db::requests::list_open(&mut app.tdb.conn(), 10).unwrap()[0];
    assert_eq!(row.channel, "api");

    // Walk it to a terminal state as an officer; the API shows it closed.
    let officer = app.signed_in("o@example.com", Role::Officer).await;
    // The refusal names the law's ground (seeds/regimes/appi.toml).
    for (event, version, ground) in [
        ("confirm_identity", "1", ""),
        ("refuse", "2", "identity_not_confirmed"),
    ] {
        let page = officer.get(&format!("/staff/requests/{}", row.id)).await;
        let res = officer
            .submit(
                &format!("/staff/requests/{}/events", row.id),
                &page,
                &[
                    ("event", event),
                    ("expected_version", version),
                    (
                        "reason",
                        "The name on the request and on the documents differ.",
                    ),
                    ("ground", ground),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{event}: {}", res.body);
    }
    let s = client.get(&status_url).await.json();
    assert_eq!(s["state"], "refused");
    assert_eq!(s["closed"], true);
    let queue = officer.get("/staff/requests?lang=en").await;
    assert!(
        !queue.body.contains(s["receipt_number"].as_str().unwrap()),
        "closed requests leave the queue"
    );
    assert_eq!(
        queue.text_of("queue-count").unwrap(),
        "Open requests matching, nearest deadline first: showing 0 of 0."
    );
    let page = officer.get(&format!("/staff/requests/{}", row.id)).await;
    assert!(
        !page.body.contains("data-event="),
        "a terminal state offers no action"
    );

    // English is chosen from the body, else from Accept-Language.
    let en = client
        .post_json(
            "/api/v1/requests",
            &serde_json::json!({"name": "J", "email": "j@example.com", "request_type": "access",
                                "message": "m", "language": "en"}),
        )
        .await;
    assert_eq!(en.status, 201);
    let track = client
        .get(en.json()["tracking_url"].as_str().unwrap())
        .await;
    assert!(track.body.contains("<html lang=\"en\">"));
    assert!(track.body.contains("Received"));
}

async fn tracking_links_are_private_and_unguessable(app: TestApp) {
    let b = app.browser();
    let fake = "A".repeat(43);
    assert_eq!(b.get(&format!("/track/{fake}")).await.status, 404);
    assert_eq!(b.get("/track/short").await.status, 404);
    let api = b.get(&format!("/api/v1/requests/status/{fake}")).await;
    assert_eq!(api.status, 404);
    assert_eq!(api.json()["error"]["code"], "not_found");
    // Two requests get different tokens and receipt numbers.
    let a = file_request(&b, "A", "a@example.com", "access", "x").await;
    app.confirm_emails().await;
    let c = file_request(&b, "C", "c@example.com", "access", "x").await;
    app.confirm_emails().await;
    assert_ne!(a, c);
}
