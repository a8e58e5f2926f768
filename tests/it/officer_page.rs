//! The officer's request page: deadlines, what is known, the workflow diagram with the current state
//! marked, only the actions the engine allows, and a refused action's reason kept for another try.

use crate::common;

use common::{TestApp, file_request_from};
use kaiji::domain::staff::Role;

both_backends!(
    the_request_page_shows_the_engine_state,
    notes_join_events_and_notices_on_the_timeline,
);

async fn the_request_page_shows_the_engine_state(app: TestApp) {
    file_request_from(
        &app.browser(),
        "eea",
        "E",
        "e@example.eu",
        "portability",
        "All of it.",
    )
    .await;
    app.confirm_emails().await;
    let id = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let officer = app.signed_in("o@example.com", Role::Officer).await;
    let path = format!("/staff/requests/{id}?lang=en");
    let page = officer.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-clock=\"response\""));
    assert!(
        page.body.contains("<td class=\"due\">2026-12-22</td>"),
        "GDPR: one month from receipt"
    );
    assert!(page.body.contains(&format!(
        "EEA (GDPR) data subject request · v{}",
        crate::common::seed_version("gdpr")
    )));
    for e in ["start_processing", "request_identity", "extend", "refuse"] {
        assert!(
            page.body.contains(&format!("data-event=\"{e}\"")),
            "{e} offered"
        );
    }
    assert!(
        !page.body.contains("data-event=\"answer\""),
        "not offered before handling starts"
    );
    assert!(
        page.body.contains("id=\"reason-refuse\""),
        "refusals ask for the reason"
    );
    assert!(
        page.body
            .contains(&format!("src=\"/staff/requests/{id}/diagram.svg?lang=en\""))
    );

    // A refusal without a reason is refused, and the typed text (here only spaces) does not vanish; a
    // reason that is too long comes back intact.
    let long = "x".repeat(5001);
    let res = officer
        .submit(
            &format!("/staff/requests/{id}/events?lang=en"),
            &page,
            &[
                ("event", "refuse"),
                ("expected_version", "1"),
                ("reason", &long),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of("problem")
            .unwrap()
            .contains("longer than 5000 characters")
    );
    assert!(res.body.contains(&long), "the reason is kept");

    // The diagram: SVG with the states, served with its own narrow policy; staff only.
    let svg = officer
        .get(&format!("/staff/requests/{id}/diagram.svg?lang=en"))
        .await;
    assert_eq!(svg.status, 200);
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert_eq!(
        svg.headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    );
    assert!(
        svg.body.contains("<svg")
            && svg.body.contains("Being handled")
            && svg.body.contains("#8ec5ff")
    );
    assert_eq!(
        app.browser()
            .get(&format!("/staff/requests/{id}/diagram.svg"))
            .await
            .status,
        303
    );
    let auditor = app.signed_in("a@example.com", Role::Auditor).await;
    assert_eq!(
        auditor
            .get(&format!("/staff/requests/{id}/diagram.svg"))
            .await
            .status,
        403
    );

    // After an extension the page shows the new date and the queued notice.
    let res = officer
        .submit(
            &format!("/staff/requests/{id}/events"),
            &page,
            &[
                ("event", "extend"),
                ("expected_version", "1"),
                ("reason", "Eleven systems."),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = officer.get(&path).await;
    assert!(page.body.contains("<td class=\"due\">2027-02-22</td>"));
    assert!(page.body.contains("deadline_extended"));
    assert!(
        !page.body.contains("data-event=\"extend\""),
        "only one extension"
    );
}

async fn notes_join_events_and_notices_on_the_timeline(app: TestApp) {
    file_request_from(
        &app.browser(),
        "eea",
        "E",
        "e@example.eu",
        "access",
        "Mine.",
    )
    .await;
    let id = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let officer = app.signed_in("o@example.com", Role::Officer).await;
    let page = officer.get(&format!("/staff/requests/{id}")).await;
    let csrf = page.csrf();
    // Empty and over-long notes come back with the words kept.
    let long = "長".repeat(4001);
    for (text, code) in [("   ", "note-error"), (long.as_str(), "note-error")] {
        let res = officer
            .post_form(
                &format!("/staff/requests/{id}/notes"),
                &[("csrf_token", &csrf), ("note", text)],
            )
            .await;
        assert_eq!(res.status, 422);
        assert!(res.text_of(code).is_some());
        if text.len() > 10 {
            assert!(res.body.contains(&long[..30]), "kept");
        }
    }
    let res = officer
        .post_form(
            &format!("/staff/requests/{id}/notes"),
            &[
                ("csrf_token", &csrf),
                ("note", "Called the requester: <b>ID</b> arrives Monday."),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let page = officer.get(&format!("/staff/requests/{id}")).await;
    assert!(
        page.body
            .contains("Called the requester: &#60;b&#62;ID&#60;/b&#62; arrives Monday.")
            || page
                .body
                .contains("Called the requester: &lt;b&gt;ID&lt;/b&gt; arrives Monday.")
    );
    let kinds: Vec<&str> = page
        .body
        .match_indices("<tr data-kind=\"")
        .map(|(at, m)| &page.body[at + m.len()..at + m.len() + 5])
        .collect();
    assert!(
        kinds.contains(&"event") && kinds.contains(&"notic") && kinds.contains(&"note\""),
        "{kinds:?}"
    );
    // The audit log records that a note was added, not what it says.
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    let added = audit
        .iter()
        .find(|e| e.action == "request.note_added")
        .unwrap();
    assert!(
        !added.details.contains("Monday"),
        "the log keeps the note's length, not its words"
    );
}
