//! The review queue (issue 7), on both backends: nearest deadline first; each filter returns exactly the
//! expected requests; keyset pages walk the whole queue without gaps or repeats; bad filters are field
//! errors on the page and in the API; auditors have no queue. The counts the queue shows are kept by
//! triggers and folded by the worker: they agree with counting the rows after every kind of change.

use crate::common;

use common::{Api, TestApp, api, field_code};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    the_queue_filters_sorts_and_pages_exactly,
    the_kept_counts_match_the_rows_through_every_change,
);

async fn file(app: &TestApp, jurisdiction: &str, right: &str, email: &str) -> String {
    common::file_id(
        app,
        json!({"email": email, "request_type": right, "jurisdiction": jurisdiction}),
    )
    .await
}

async fn ids(officer: &Api, query: &str) -> Vec<String> {
    let v = officer.get(&format!("/api/v1/queue?{query}")).await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_queue_filters_sorts_and_pages_exactly(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    // Received 2026-11-22: EEA one month (12-22), California acknowledgement in 10 business days,
    // Canada 30 days (12-22), Japan online 14 days, then waiting for identity (paused: no deadline).
    let eea = file(&app, "eea", "access", "a@example.com").await;
    let ca = file(&app, "california", "deletion", "b@example.com").await;
    let can = file(&app, "canada", "access", "c@example.com").await;
    let jp = file(&app, "japan", "access", "d@example.com").await;
    let closed = file(&app, "eea", "deletion", "e@example.com").await;
    app.confirm_emails().await;
    let v = |r: Value| r["version"].as_i64().unwrap();
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{jp}/events"),
            &json!({"event": "request_identity", "expected_version": v(officer.request(&jp).await),
                    "data": {"reason": "Please confirm your identity."}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        officer
            .fire(&closed, "refuse", v(officer.request(&closed).await))
            .await
            .0,
        200
    );
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{eea}/assignee"),
            &json!({"assignee": "officer@example.com"}),
        )
        .await;
    assert_eq!(status, 204);

    let all = officer.get("/api/v1/queue").await;
    assert_eq!(all["total"], 4, "closed requests are not in the queue");
    let order: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order[0], ca, "the California acknowledgement is due first");
    assert_eq!(
        order[3], jp,
        "a paused request has no deadline and comes last"
    );
    assert_eq!(
        order[1..3]
            .iter()
            .collect::<std::collections::BTreeSet<_>>(),
        [&eea, &can].into_iter().collect()
    );
    let dues: Vec<Option<&str>> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["due_on"].as_str())
        .collect();
    assert!(
        dues[0] < dues[1] && dues[1] <= dues[2] && dues[3].is_none(),
        "{dues:?}"
    );
    assert_eq!(all["counts"]["right"]["access"], 3);
    assert_eq!(all["counts"]["jurisdiction"]["EEA"], 1);

    assert_eq!(ids(&officer, "right=deletion").await, [ca.as_str()]);
    assert_eq!(ids(&officer, "jurisdiction=eea").await, [eea.as_str()]);
    assert_eq!(
        ids(&officer, "procedure=pipeda").await,
        [can.as_str()],
        "{}",
        all["items"]
    );
    assert_eq!(ids(&officer, "assignee=me").await, [eea.as_str()]);
    assert_eq!(
        ids(&officer, "assignee=officer@example.com").await,
        [eea.as_str()]
    );
    assert_eq!(ids(&officer, "assignee=none").await.len(), 3);
    assert_eq!(ids(&officer, "waiting=1").await, [jp.as_str()]);
    assert_eq!(
        ids(
            &officer,
            &format!("state={}", all["items"][3]["state"].as_str().unwrap())
        )
        .await,
        [jp.as_str()]
    );
    assert_eq!(ids(&officer, "due_within=20").await, [ca.as_str()]);
    assert_eq!(ids(&officer, "due_within=40").await.len(), 3);
    assert!(ids(&officer, "overdue=1").await.is_empty());
    assert_eq!(
        ids(&officer, "right=access&jurisdiction=canada&assignee=none").await,
        [can.as_str()]
    );

    // A month later the EEA and Canadian answers are overdue.
    app.clock.advance(chrono::TimeDelta::days(31));
    let overdue = ids(&officer, "overdue=1").await;
    assert!(
        overdue.contains(&eea) && overdue.contains(&can) && !overdue.contains(&jp),
        "{overdue:?}"
    );

    // Pages of one walk the same order with no gaps or repeats.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/queue?limit=1&cursor={c}"),
            None => "/api/v1/queue?limit=1".to_owned(),
        };
        let page = officer.get(&q).await;
        assert_eq!(page["total"], 4);
        walked.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, order);

    // Bad filters are field errors; an auditor has no queue.
    let (status, body) = {
        let res = common::http_client()
            .get(format!(
                "{}/api/v1/queue?due_within=soon&limit=0&cursor=x&right=everything",
                app.base
            ))
            .bearer_auth(&officer.token)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 422);
    for (field, code) in [
        ("due_within", "invalid_days"),
        ("limit", "invalid_limit"),
        ("cursor", "invalid_cursor"),
        ("right", "unknown_request_type"),
    ] {
        assert_eq!(field_code(&body, field), Some(code), "{body}");
    }
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let res = common::http_client()
        .get(format!("{}/api/v1/queue", app.base))
        .bearer_auth(&auditor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // The page: filters kept, the next page linked, a bad filter shown beside its field.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get("/staff/requests?limit=2&right=access").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<option value=\"access\" selected>"));
    let next = page
        .body
        .find("id=\"queue-next\" href=\"")
        .expect("a next page");
    let href = &page.body[next..page.body[next..].find("\">").unwrap() + next];
    assert!(
        href.contains("right=access") && href.contains("limit=2") && href.contains("cursor="),
        "{href}"
    );
    let page = desk.get("/staff/requests?due_within=soon").await;
    assert_eq!(page.status, 422);
    assert!(page.text_of("due_within-error").is_some() && page.body.contains("value=\"soon\""));
}

/// Open requests per (state, right, place, procedure, assignee), counted from the rows.
fn counted(app: &TestApp) -> Vec<(String, String, String, String, Option<String>, i64)> {
    use diesel::prelude::*;
    use kaiji::db::schema::requests::dsl as r;
    let mut conn = app.tdb.conn();
    let mut rows: Vec<(String, String, String, String, Option<String>, i64)> = r::requests
        .filter(r::closed_at.is_null())
        .group_by((
            r::state,
            r::request_type,
            r::jurisdiction,
            r::workflow_id,
            r::assigned_to,
        ))
        .select((
            r::state,
            r::request_type,
            r::jurisdiction,
            r::workflow_id,
            r::assigned_to,
            diesel::dsl::count_star(),
        ))
        .load(&mut *conn)
        .unwrap();
    rows.sort();
    rows
}

/// The same, from the kept counts (totals plus deltas not folded yet).
fn kept(app: &TestApp) -> Vec<(String, String, String, String, Option<String>, i64)> {
    let mut rows: Vec<_> = kaiji::db::queue_counts::open_buckets(&mut app.tdb.conn())
        .unwrap()
        .into_iter()
        .map(|b| {
            (
                b.state,
                b.request_type,
                b.jurisdiction,
                b.workflow_id,
                b.assigned_to.map(|s| s.into_string()),
                b.n,
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Compares before and after a fold; after it, no delta is left.
fn assert_counts_agree(app: &TestApp, when: &str) {
    assert_eq!(kept(app), counted(app), "{when}: before folding");
    kaiji::db::queue_counts::fold(&mut app.tdb.conn()).unwrap();
    assert_eq!(kept(app), counted(app), "{when}: after folding");
    use diesel::prelude::*;
    let left: i64 = diesel::sql_query("SELECT COUNT(*) AS n FROM queue_count_deltas")
        .get_result::<Count>(&mut *app.tdb.conn())
        .unwrap()
        .n;
    assert_eq!(left, 0, "{when}: the fold leaves no delta");
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn the_kept_counts_match_the_rows_through_every_change(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    assert_counts_agree(&app, "empty");
    let a = file(&app, "eea", "access", "a@example.com").await;
    let b = file(&app, "eea", "access", "b@example.com").await;
    let c = file(&app, "canada", "deletion", "c@example.com").await;
    let d = file(&app, "california", "access", "d@example.com").await;
    assert_counts_agree(&app, "after intake");
    // Deltas pile up across several changes before a fold, and cancel out.
    app.confirm_emails().await;
    let v = |r: Value| r["version"].as_i64().unwrap();
    assert_eq!(
        officer
            .fire(&a, "start_processing", v(officer.request(&a).await))
            .await
            .0,
        200
    );
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{b}/assignee"),
            &json!({"assignee": "officer@example.com"}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        kept(&app),
        counted(&app),
        "unfolded deltas of a transition and an assignment"
    );
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{b}/assignee"),
            &json!({"assignee": null}),
        )
        .await;
    assert_eq!(status, 204);
    assert_counts_agree(&app, "after a transition and assignments");
    // Closing leaves the queue; the total follows without counting rows.
    assert_eq!(
        officer
            .fire(&c, "refuse", v(officer.request(&c).await))
            .await
            .0,
        200
    );
    assert_counts_agree(&app, "after a refusal");
    let all = officer.get("/api/v1/queue").await;
    assert_eq!(all["total"], 3);
    assert_eq!(all["counts"]["jurisdiction"]["EEA"], 2);
    assert!(all["counts"]["jurisdiction"].get("CA").is_none(), "{all}");
    assert_eq!(
        officer.get("/api/v1/queue?assignee=none").await["total"],
        counted(&app)
            .iter()
            .filter(|r| r.4.is_none())
            .map(|r| r.5)
            .sum::<i64>()
    );
    assert_eq!(
        officer
            .get(&format!("/api/v1/queue?state={}", "in_progress"))
            .await["total"],
        1
    );
    // Synthetic bulk loads go through the same triggers, and `synth` folds at the end.
    kaiji::app::synth::run(&app.state, 300, 1, false, |_| {}).unwrap();
    assert_eq!(kept(&app), counted(&app), "after a bulk load");
    assert_eq!(
        officer.get("/api/v1/queue").await["total"],
        counted(&app).iter().map(|r| r.5).sum::<i64>()
    );
    let _ = d;
}
