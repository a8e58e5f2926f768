//! Two officers acting on the same request at once: one wins, the other gets a conflict, nothing of the
//! loser is written.

use crate::common;

use common::{TestApp, file_request};
use kaiji::domain::staff::Role;

both_backends!(simultaneous_transitions_cannot_both_win);

async fn simultaneous_transitions_cannot_both_win(app: TestApp) {
    file_request(&app.browser(), "A", "a@example.com", "access", "x").await;
    app.confirm_emails().await;
    let id = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let alice = app.signed_in("alice@example.com", Role::Officer).await;
    let bob = app.signed_in("bob@example.com", Role::Officer).await;
    let path = format!("/staff/requests/{id}");
    let (pa, pb) = (alice.get(&path).await, bob.get(&path).await);
    let events = format!("{path}/events?lang=en");
    let (ta, tb) = (pa.csrf(), pb.csrf());
    let fa = [
        ("csrf_token", ta.as_str()),
        ("event", "confirm_identity"),
        ("expected_version", "1"),
    ];
    let fb = [
        ("csrf_token", tb.as_str()),
        ("event", "confirm_identity"),
        ("expected_version", "1"),
    ];
    let (ra, rb) = futures_util::join!(alice.post_form(&events, &fa), bob.post_form(&events, &fb));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409], "exactly one wins");
    let loser = if ra.status == 409 { &ra } else { &rb };
    assert!(
        loser
            .text_of("problem")
            .unwrap()
            .contains("Someone else changed this request")
    );
    assert_eq!(
        loser.text_of("state").unwrap(),
        "Identity confirmed; being handled",
        "the loser sees the current state"
    );

    let row = kaiji::db::requests::find(&mut app.tdb.conn(), &id.as_str().into())
        .unwrap()
        .unwrap();
    assert_eq!((row.state.as_str(), row.version), ("in_progress", 2));
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "request.transitioned")
            .count(),
        1
    );

    // A stale page (version 1) cannot push the request further either.
    let stale = alice
        .post_form(
            &events,
            &[
                ("csrf_token", &ta),
                ("event", "answer"),
                ("expected_version", "1"),
            ],
        )
        .await;
    assert_eq!(stale.status, 409);
    let row = kaiji::db::requests::find(&mut app.tdb.conn(), &id.as_str().into())
        .unwrap()
        .unwrap();
    assert_eq!(row.version, 2);
}

both_backends!(a_stale_update_writes_nothing);

/// The guarded UPDATE itself: whoever reads version 1 second cannot write over the first writer.
async fn a_stale_update_writes_nothing(app: TestApp) {
    file_request(&app.browser(), "A", "a@example.com", "access", "x").await;
    app.confirm_emails().await;
    let id: kaiji::domain::ids::RequestId = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1)
        .unwrap()[0]
        .id
        .clone()
        .into();
    let now = chrono::Utc::now().naive_utc();
    let mut conn = app.tdb.conn();
    assert!(
        kaiji::db::requests::update_after_transition(
            &mut conn,
            &id,
            1,
            "in_progress",
            "[]",
            false,
            now
        )
        .unwrap()
    );
    assert!(
        !kaiji::db::requests::update_after_transition(
            &mut conn, &id, 1, "refused", "[]", true, now
        )
        .unwrap()
    );
    let row = kaiji::db::requests::find(&mut conn, &id).unwrap().unwrap();
    assert_eq!(
        (row.state.as_str(), row.version, row.closed_at),
        ("in_progress", 2, None)
    );
}
