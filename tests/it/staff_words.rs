//! Staff pages speak in words (issue 20), on both backends: members go by a name they can change; the
//! queue shows a request awaiting its requester's e-mail confirmation as such, and filters on it; the audit
//! page tells each event as a sentence naming people and receipt numbers, filters by what happened, who
//! and which request, pages by keyset, and keeps each event's record and hash a click away.

use crate::common;

use common::{TestApp, api, field_code};
use kaiji::domain::staff::Role;
use serde_json::json;

both_backends!(
    a_member_changes_the_name_pages_know_them_by,
    the_queue_shows_who_has_not_confirmed_yet,
    the_audit_page_tells_events_in_sentences_and_pages_them,
);

async fn a_member_changes_the_name_pages_know_them_by(app: TestApp) {
    let officer = app.signed_in("officer@example.com", Role::Officer).await;
    let page = officer.get("/staff/account?lang=ja").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("value=\"Officer\""), "today's name");
    // Too long, or with a bidi override: refused beside the field, the input kept, nothing written.
    let long = "長".repeat(81);
    for bad in [long.as_str(), "佐藤\u{202E}花子", "  "] {
        let res = officer
            .submit("/staff/account/name?lang=ja", &page, &[("name", bad)])
            .await;
        assert_eq!(res.status, 422, "{bad}");
        assert!(res.body.contains("aria-invalid=\"true\""), "{bad}");
        assert!(res.body.contains("id=\"name-error\""), "{bad}");
    }
    assert!(common::audited(&app, "staff.renamed").is_empty());
    let res = officer
        .submit("/staff/account/name", &page, &[("name", " 佐藤 花子 ")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some("/staff/account?renamed=1"));
    assert_eq!(common::audited(&app, "staff.renamed").len(), 1);
    // The same name again changes nothing and is not audited.
    officer
        .submit("/staff/account/name", &page, &[("name", "佐藤 花子")])
        .await;
    assert_eq!(common::audited(&app, "staff.renamed").len(), 1);
    // The header, the staff list and the API name them so.
    let page = officer.get("/staff/account?renamed=1&lang=ja").await;
    assert!(
        page.body.contains(">佐藤 花子</a> (担当者)"),
        "signed in as"
    );
    let admin = api(&app, "admin@example.com", Role::Admin).await;
    let list = admin.get("/api/v1/staff").await;
    let me = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "officer@example.com")
        .unwrap();
    assert_eq!(me["name"], "佐藤 花子");
}

async fn the_queue_shows_who_has_not_confirmed_yet(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let confirmed = common::file_id(
        &app,
        json!({"email": "a@example.com", "request_type": "access", "jurisdiction": "eea"}),
    )
    .await;
    let waiting = common::file_id(
        &app,
        json!({"email": "b@example.com", "request_type": "access", "jurisdiction": "eea"}),
    )
    .await;
    app.confirm_email(&confirmed).await;

    let all = officer.get("/api/v1/queue").await;
    assert_eq!(all["total"], 2);
    assert_eq!(all["awaiting_confirmation"], 1);
    let flag = |id: &str| {
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()["awaiting_confirmation"]
            .clone()
    };
    assert_eq!(flag(&waiting), true);
    assert_eq!(flag(&confirmed), false);
    for (filter, expected) in [("awaiting", &waiting), ("confirmed", &confirmed)] {
        let v = officer
            .get(&format!("/api/v1/queue?confirmation={filter}"))
            .await;
        assert_eq!(v["total"], 1, "{filter}");
        assert_eq!(v["items"][0]["id"], expected.as_str(), "{filter}");
    }
    let bad = officer.get_page("/api/v1/queue?confirmation=maybe").await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        field_code(&bad.json(), "confirmation"),
        Some("invalid_value")
    );

    // The page: the waiting request says so instead of its state; the filters are choices with counts.
    let b = app.signed_in("desk@example.com", Role::Officer).await;
    let page = b.get("/staff/requests?lang=en").await;
    assert_eq!(page.status, 200);
    let row = |id: &str| {
        let at = page.body.find(&format!("data-id=\"{id}\"")).unwrap();
        page.body[at..at + page.body[at..].find("</tr>").unwrap()].to_owned()
    };
    assert!(row(&waiting).contains("data-awaiting=\"1\""));
    assert!(!row(&confirmed).contains("data-awaiting"));
    assert!(
        row(&confirmed).contains("<td>API</td>"),
        "the channel in words"
    );
    assert!(page.body.contains("<select id=\"filter-state\""));
    assert!(
        page.body.contains("(2)</option>"),
        "each choice with its count"
    );
    let only = b.get("/staff/requests?confirmation=awaiting&lang=en").await;
    assert!(only.body.contains(&format!("data-id=\"{waiting}\"")));
    assert!(!only.body.contains(&format!("data-id=\"{confirmed}\"")));
    let bad = b.get("/staff/requests?confirmation=maybe&lang=en").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"confirmation-error\""));
}

async fn the_audit_page_tells_events_in_sentences_and_pages_them(app: TestApp) {
    app.staff_named(
        "sato@example.com",
        "佐藤 花子",
        Role::Officer,
        "correct horse battery staple",
    )
    .await;
    let sato = app.browser();
    sato.login("sato@example.com", "correct horse battery staple")
        .await;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    // Enough events for two pages: each request is received and confirmed (two events each).
    let mut ids = Vec::new();
    for i in 0..26 {
        ids.push(
            common::file_id(
                &app,
                json!({"email": format!("p{i}@example.com"), "request_type": "access", "jurisdiction": "eea"}),
            )
            .await,
        );
    }
    app.confirm_emails().await;
    let first = &ids[0];
    let v = officer.version(first).await;
    assert_eq!(officer.fire(first, "start_processing", v).await.0, 200);
    let receipt = officer.request(first).await["receipt_number"]
        .as_str()
        .unwrap()
        .to_owned();

    let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;
    let page = auditor.get("/staff/audit?lang=en").await;
    assert_eq!(page.status, 200);
    let text = page.all_text_of("audit-events").unwrap();
    assert!(
        text.contains("Officer (Officer) applied") && text.contains(&receipt),
        "the officer's act told in words"
    );
    assert_eq!(page.body.matches("<tr data-action=").count(), 50);
    assert!(page.body.contains("<details class=\"record\">"));
    assert!(
        page.body
            .contains("&#34;action&#34;: &#34;request.transitioned&#34;")
    );

    // The next page goes on where the first ended; together they hold every event once.
    let total = app.count("audit_events");
    let older = page
        .body
        .split("id=\"audit-older\" href=\"")
        .nth(1)
        .unwrap();
    let older = older[..older.find('"').unwrap()].replace("&amp;", "&");
    let mut seen: Vec<String> = page
        .body
        .split("&#34;id&#34;: &#34;")
        .skip(1)
        .map(|s| s[..s.find("&#34;").unwrap()].to_owned())
        .collect();
    let mut next = older;
    loop {
        let p = auditor.get(&next).await;
        assert_eq!(p.status, 200);
        seen.extend(
            p.body
                .split("&#34;id&#34;: &#34;")
                .skip(1)
                .map(|s| s[..s.find("&#34;").unwrap()].to_owned()),
        );
        match p.body.split("id=\"audit-older\" href=\"").nth(1) {
            Some(rest) => next = rest[..rest.find('"').unwrap()].replace("&amp;", "&"),
            None => break,
        }
    }
    let distinct: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "no event twice");
    // Events keep coming (the page's own reads are not audited; sign-ins before it are).
    assert!(seen.len() as i64 >= total - 2, "{} of {total}", seen.len());

    // Filters: what happened, who, which request (by receipt number).
    let confirmed = auditor
        .get("/staff/audit?action=request.email_confirmed&lang=en")
        .await;
    assert_eq!(
        confirmed.body.matches("<tr data-action=").count(),
        confirmed
            .body
            .matches("<tr data-action=\"request.email_confirmed\"")
            .count()
    );
    assert!(confirmed.body.contains("26 of 26 events"));
    let by_request = auditor
        .get(&format!("/staff/audit?request={receipt}&lang=en"))
        .await;
    assert_eq!(by_request.body.matches("<tr data-action=").count(), 3);
    let staff_id = kaiji::db::staff::find_by_email(&mut app.tdb.conn(), "sato@example.com")
        .unwrap()
        .unwrap()
        .id;
    let by_sato = auditor
        .get(&format!("/staff/audit?actor={staff_id}&lang=en"))
        .await;
    assert!(
        by_sato
            .body
            .matches("<tr data-action=\"staff.login\"")
            .count()
            >= 1
    );
    assert!(
        by_sato
            .all_text_of("audit-events")
            .unwrap()
            .contains("佐藤 花子 (Officer) signed in"),
        "named by their name"
    );
    assert_eq!(
        by_sato.body.matches("<tr data-action=").count(),
        by_sato.body.matches("<tr data-action=\"staff.").count(),
        "only what 佐藤 did"
    );
    // An action that does not exist is a field error, and the page still shows the log.
    let bad = auditor
        .get("/staff/audit?action=request.hacked&lang=en")
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"filter-action-error\""));
    assert!(bad.body.contains("aria-invalid=\"true\""));
}
