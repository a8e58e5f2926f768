//! A legal hold (PIPEDA s. 8(8), VCDPA appeals): while a complaint, appeal or lawsuit is pending an officer
//! holds the request, and the erasures that follow its close pass it by until the hold is lifted. Placing
//! and lifting are audited with their reason; bad or out-of-order tries write nothing.

use serde_json::json;

use crate::common::{self, TestApp, api, field_code, file_id};
use kaiji::domain::staff::Role;

both_backends!(
    a_held_request_is_not_erased_until_the_hold_is_lifted,
    holds_refuse_bad_and_out_of_order_tries,
);

/// Erases what record retention (24 months) finds due; how many requests.
async fn purge_records(app: &TestApp) -> usize {
    let (db, clock) = (app.state.db.clone(), app.clock.clone());
    let mail = app.state.config.mail_dir();
    tokio::task::spawn_blocking(move || {
        kaiji::app::retention::purge_records(&db, &clock, 24, &mail).unwrap()
    })
    .await
    .unwrap()
}

/// Erases stored files past document retention (30 days); how many.
async fn purge_documents(app: &TestApp) -> usize {
    let (db, clock) = (app.state.db.clone(), app.clock.clone());
    tokio::task::spawn_blocking(move || kaiji::app::documents::purge(&db, &clock, 30).unwrap())
        .await
        .unwrap()
}

fn name_of(app: &TestApp, id: &str) -> String {
    kaiji::db::requests::find(&mut app.tdb.conn(), &id.into())
        .unwrap()
        .unwrap()
        .subject_name
}

async fn a_held_request_is_not_erased_until_the_hold_is_lifted(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file_id(
        &app,
        json!({"name": "Pat Doe", "email": "pat@example.com", "message": "My data, please.",
               "language": "en"}),
    )
    .await;
    // A scan stored with it (erased 30 days after the close, unless held).
    let clerk = app
        .staff(
            "clerk@example.com",
            Role::Officer,
            "a long clerk passphrase",
        )
        .await;
    let scan = b"%PDF-1.4\n% the letter\n%%EOF\n".to_vec();
    kaiji::app::documents::store_upload(
        &app.state,
        &clerk,
        id.as_str().into(),
        kaiji::app::documents::FilePurpose::Scan,
        scan,
    )
    .await
    .unwrap();
    let (status, out) = officer.fire(&id, "withdraw", 1).await;
    assert_eq!(status, 200, "{out}");

    // The officer holds it from the request page: a complaint about the answer is pending.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let path = format!("/staff/requests/{id}");
    let page = desk.get(&format!("{path}?lang=en")).await;
    assert!(page.body.contains("Place a legal hold"), "{}", page.body);
    let placed = desk
        .submit(
            &format!("{path}/legal-hold?lang=en"),
            &page,
            &[
                ("action", "place"),
                ("reason", "Complaint to the Commissioner filed 2026-11-30"),
            ],
        )
        .await;
    assert_eq!(placed.status, 303, "{:?} {}", placed.location, placed.body);
    let page = desk.get(&format!("{path}?lang=en")).await;
    let status = page.all_text_of("hold-status").unwrap();
    assert!(
        status.contains("Held since") && status.contains("Complaint to the Commissioner"),
        "{status}"
    );
    assert!(officer.request(&id).await["legal_hold_since"].is_string());

    // Past document and record retention, the held request keeps its scan and its particulars.
    app.clock.advance(chrono::TimeDelta::days(25 * 31));
    assert_eq!(purge_documents(&app).await, 0);
    assert_eq!(purge_records(&app).await, 0);
    assert_eq!(name_of(&app, &id), "Pat Doe");

    // Lifted over the API, it is erased on the next run.
    let (status, out) = officer
        .post(
            &format!("/api/v1/requests/{id}/legal-hold"),
            &json!({"hold": false, "reason": "The Commissioner closed the complaint"}),
        )
        .await;
    assert_eq!(status, 204, "{out}");
    assert!(officer.request(&id).await["legal_hold_since"].is_null());
    assert_eq!(purge_documents(&app).await, 1);
    assert_eq!(purge_records(&app).await, 1);
    assert_eq!(name_of(&app, &id), "");
    // Both changes are in the log, with their reasons (the reasons themselves are redacted with the
    // record now, as every detail of the request is).
    assert_eq!(common::audited(&app, "request.legal_hold_placed").len(), 1);
    assert_eq!(common::audited(&app, "request.legal_hold_lifted").len(), 1);
}

async fn holds_refuse_bad_and_out_of_order_tries(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file_id(
        &app,
        json!({"name": "Pat Doe", "email": "pat@example.com", "message": "m", "language": "en"}),
    )
    .await;
    let hold = |hold: bool, reason: &str| json!({"hold": hold, "reason": reason});
    let url = format!("/api/v1/requests/{id}/legal-hold");
    let (status, out) = officer.post(&url, &hold(false, "nothing to lift")).await;
    assert_eq!((status, field_code(&out, "hold")), (422, Some("not_held")));
    let (status, out) = officer.post(&url, &hold(true, "   ")).await;
    assert_eq!(
        (status, field_code(&out, "reason")),
        (422, Some("required"))
    );
    let (status, out) = officer.post(&url, &hold(true, &"x".repeat(1001))).await;
    assert_eq!(
        (status, field_code(&out, "reason")),
        (422, Some("too_long"))
    );
    let (status, out) = officer.post(&url, &hold(true, "bidi \u{202E}trick")).await;
    assert_eq!(
        (status, field_code(&out, "reason")),
        (422, Some("invalid_characters"))
    );
    let (status, _) = officer.post(&url, &hold(true, "Lawsuit pending")).await;
    assert_eq!(status, 204);
    let (status, out) = officer.post(&url, &hold(true, "again")).await;
    assert_eq!(
        (status, field_code(&out, "hold")),
        (422, Some("already_held"))
    );
    let (status, _) = officer
        .post("/api/v1/requests/nope/legal-hold", &hold(true, "x"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(common::audited(&app, "request.legal_hold_placed").len(), 1);

    // Auditors read; they do not hold. A form without its CSRF token writes nothing.
    let auditor = app.signed_in("aud@example.com", Role::Auditor).await;
    let path = format!("/staff/requests/{id}/legal-hold");
    let form = [("action", "lift"), ("reason", "r")];
    assert_eq!(auditor.post_form(&path, &form).await.status, 403);
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let forged = desk.post_form(&path, &form).await;
    assert!([403, 422].contains(&forged.status), "{}", forged.status);
    // A problem comes back beside the field, with what was typed kept.
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    let bad = desk
        .submit(
            &format!("{path}?lang=en"),
            &page,
            &[("action", "place"), ("reason", "Second try")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.all_text_of("hold-error")
            .is_some_and(|e| e.contains("already held")),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("Second try"));
    // A garbled action changes nothing either way.
    let odd = desk
        .submit(
            &format!("{path}?lang=en"),
            &bad,
            &[("action", "toggle"), ("reason", "Third try")],
        )
        .await;
    assert_eq!(odd.status, 422);
    assert!(odd.body.contains("Choose to place the hold or to lift it."));
    assert!(officer.request(&id).await["legal_hold_since"].is_string());
    assert_eq!(
        common::audited(&app, "request.legal_hold_lifted").len(),
        0,
        "no try above lifted it"
    );
}
