//! Requests filed for someone else (issue 18), on both backends: a guardian's filing for a minor records
//! its age basis, checked against the place's law on the day of filing; where the procedure has the person
//! verify directly (CCPA Regs. §7063(a)(1)), an agent's request is verified only by checks made with the
//! person; and a company sign-in proves the person's identity, never the agent's.

use crate::common;

use common::{TestApp, api, field_code, file_json};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(a_guardian_files_for_a_minor_with_the_age_basis);
both_backends!(an_agents_consumer_verifies_their_identity_directly);
both_backends!(a_sign_in_proves_the_person_not_the_agent);
both_backends!(no_system_acts_for_an_agent_before_their_authority_is_checked);

async fn a_guardian_files_for_a_minor_with_the_age_basis(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let b = app.browser();
    // The test clock reads 2026-11-22.
    let guardian = |extra: Value| {
        let mut body = json!({"name": "Hanako Yamada", "email": "hanako@example.jp",
                              "request_type": "access", "jurisdiction": "JP", "language": "ja",
                              "message": "娘のデータの開示を求めます。",
                              "requester_kind": "guardian", "person_name": "Yamada Sakura"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    // No basis, an adult's birth date, a date to come: each refused by field, nothing written.
    let before = app.count("requests");
    for (extra, field, code) in [
        (json!({}), "guardian_basis", "required"),
        (
            json!({"guardian_basis": "minor", "person_born_on": "2008-11-22"}),
            "person_born_on",
            "not_a_minor",
        ),
        (
            json!({"guardian_basis": "minor", "person_born_on": "2030-01-01"}),
            "person_born_on",
            "in_future",
        ),
        (
            json!({"guardian_basis": "minor"}),
            "person_born_on",
            "required",
        ),
        (
            json!({"guardian_basis": "aunt"}),
            "guardian_basis",
            "unknown_guardian_basis",
        ),
    ] {
        let res = b.post_json("/api/v1/requests", &guardian(extra)).await;
        assert_eq!(res.status, 422, "{field} {code}: {}", res.body);
        assert_eq!(field_code(&res.json(), field), Some(code), "{}", res.body);
    }
    assert_eq!(app.count("requests"), before);

    // Seventeen on the day of filing, under Japan's eighteen: filed, with the basis recorded.
    let filed = b
        .post_json(
            "/api/v1/requests",
            &guardian(json!({"guardian_basis": "minor", "person_born_on": "2008-11-23"})),
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let id = filed.json()["id"].as_str().unwrap().to_owned();
    let r = officer.request(&id).await;
    assert_eq!(
        (
            r["on_behalf"]["kind"].as_str(),
            r["on_behalf"]["guardian_basis"].as_str(),
            r["on_behalf"]["person_born_on"].as_str(),
            r["on_behalf"]["minor_under"].as_i64(),
        ),
        (
            Some("guardian"),
            Some("minor"),
            Some("2008-11-23"),
            Some(18)
        )
    );
    // The officer sees it on the request page, with what to check.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert_eq!(page.status, 200);
    let basis = page.text_of("guardian-basis").unwrap();
    assert!(
        basis.contains("born 2008-11-23") && basis.contains("under 18"),
        "{basis}"
    );
    assert!(
        page.text_of("on-behalf").unwrap().contains("Yamada Sakura"),
        "{}",
        page.body
    );
    // The log records the basis and the law's age, never the birth date.
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    let received = audit
        .iter()
        .find(|e| e.action == "request.received")
        .unwrap();
    assert!(
        received.details.contains("\"guardian_basis\":\"minor\"")
            && received.details.contains("\"minor_under\":18"),
        "{}",
        received.details
    );
    assert!(!received.details.contains("2008-11-23"));

    // A guardianship of an adult needs no birth date. Virginia's child is under 13, counted on the day
    // in Virginia (still 2026-11-21 there): thirteen that day is refused, twelve is not.
    let ward = b
        .post_json(
            "/api/v1/requests",
            &guardian(json!({"guardian_basis": "guardianship", "person_born_on": ""})),
        )
        .await;
    assert_eq!(ward.status, 201, "{}", ward.body);
    let va = guardian(
        json!({"jurisdiction": "US-VA", "language": "en", "request_type": "access",
                            "guardian_basis": "minor", "person_born_on": "2013-11-21"}),
    );
    let res = b.post_json("/api/v1/requests", &va).await;
    assert_eq!(res.status, 422, "thirteen in Virginia: {}", res.body);
    let mut va = va;
    va["person_born_on"] = json!("2013-11-22");
    assert_eq!(b.post_json("/api/v1/requests", &va).await.status, 201);

    // On the form: the basis and birth date are offered with the law's age; a wrong date comes back
    // by field with everything typed kept.
    let form = b.get("/?lang=en&place=JP").await;
    assert!(
        form.body.contains("under 18 today"),
        "the law's age on the form: {}",
        form.body
    );
    let back = b
        .submit(
            "/requests?lang=en",
            &form,
            &[
                ("name", "Hanako Yamada"),
                ("email", "hanako@example.jp"),
                ("request_type", "access"),
                ("jurisdiction", "JP"),
                ("message", "For my daughter."),
                ("requester_kind", "guardian"),
                ("person_name", "Yamada Sakura"),
                ("guardian_basis", "minor"),
                ("person_born_on", "2001-04-01"),
            ],
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    assert!(
        back.text_of("person_born_on-error")
            .is_some_and(|e| e.contains("not a minor")),
        "{}",
        back.body
    );
    assert!(
        back.body.contains("value=\"2001-04-01\"")
            && back.body.contains("value=\"minor\" checked")
            && back.body.contains("value=\"Yamada Sakura\""),
        "{}",
        back.body
    );
}

/// Files a request by an agent for Pat, confirmed by the agent's address and by Pat's own link.
async fn confirmed_agent_filing(app: &TestApp, place: &str, right: &str) -> String {
    let r = file_json(
        app,
        json!({"name": "Agent Smith", "email": "agent@example.com", "request_type": right,
               "jurisdiction": place, "message": "For my client.", "language": "en",
               "requester_kind": "agent", "person_name": "Pat Doe", "person_email": "pat@example.com"}),
    )
    .await;
    let id = r["id"].as_str().unwrap().to_owned();
    app.confirm_email(&id).await;
    let path = kaiji::app::confirm::person_path(
        &app.state.keys,
        &kaiji::domain::ids::RequestId::new(id.clone()),
    );
    let person = app.browser();
    let p = person.get(&path).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(person.submit(&path, &p, &[]).await.status, 200);
    id
}

/// A CCPA deletion by an agent, confirmed by both and acknowledged: ready for verification.
async fn agent_filing(app: &TestApp, officer: &common::Api) -> String {
    let id = confirmed_agent_filing(app, "california", "deletion").await;
    assert_eq!(officer.fire(&id, "acknowledge", 1).await.0, 200);
    id
}

async fn an_agents_consumer_verifies_their_identity_directly(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = agent_filing(&app, &officer).await;
    let version = || async { officer.version(&id).await };
    let points =
        json!([{"name": "phone", "matched": true}, {"name": "postal_code", "matched": true}]);
    let before = app.count("audit_events");
    // Data points the agent supplied, or a judgement about the agent: refused, nothing written.
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{id}/identity/data-points"),
            &json!({"expected_version": version().await, "points": points}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "points")),
        (422, Some("person_must_verify")),
        "{body}"
    );
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{id}/identity/judgement"),
            &json!({"expected_version": version().await,
                    "reason": "The agent showed the consumer's driving licence."}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "reason")),
        (422, Some("person_must_verify")),
        "{body}"
    );
    assert_eq!(app.count("audit_events"), before);
    let (status, _) = officer.fire(&id, "verify", version().await).await;
    assert_eq!(status, 422, "not verified yet");
    // Checked with Pat directly, at Pat's own number: verified, and the log says with whom.
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{id}/identity/data-points"),
            &json!({"expected_version": version().await, "points": points, "with_person": true}),
        )
        .await;
    assert_eq!(
        (status, body["verified"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "identity.verified" && e.details.contains("\"with_person\":true")),
        "{audit:?}"
    );
    // Verified, and the agent's authority checked: now the systems are asked.
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{id}/authority"),
            &json!({"expected_version": version().await, "how": "Signed permission uploaded; the consumer's signature matches."}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(officer.fire(&id, "verify", version().await).await.0, 200);

    // A consumer filing for themselves verifies as always.
    let own = file_json(
        &app,
        json!({"name": "Kim Lee", "email": "kim@example.com", "request_type": "deletion",
               "jurisdiction": "california", "message": "Delete my data."}),
    )
    .await;
    let own = own["id"].as_str().unwrap().to_owned();
    app.confirm_email(&own).await;
    assert_eq!(officer.fire(&own, "acknowledge", 1).await.0, 200);
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{own}/identity/data-points"),
            &json!({"expected_version": 2, "points": points}),
        )
        .await;
    assert_eq!((status, body["verified"].as_bool()), (200, Some(true)));
}

async fn a_sign_in_proves_the_person_not_the_agent(app: TestApp) {
    use base64::Engine;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let key = app.state.keys.assertion.as_ref().unwrap().expose().to_vec();
    let now = app.clock.now().timestamp();
    let assertion = |email: &str| {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            r#"{{"account_id":"ACC-7","email":"{email}","exp":{}}}"#,
            now + 300
        ));
        let sig = kaiji::security::tokens::sign(&key, payload.as_bytes());
        format!("{payload}.{sig}")
    };
    // An agent files in the EEA for Pat: the agent's own account proves nothing about Pat.
    let r = file_json(
        &app,
        json!({"name": "Agent Smith", "email": "agent@example.com", "request_type": "access",
               "jurisdiction": "eea", "message": "For my client.",
               "requester_kind": "agent", "person_name": "Pat Doe", "person_email": "pat@example.com"}),
    )
    .await;
    let (id, token) = (
        r["id"].as_str().unwrap().to_owned(),
        r["tracking_token"].as_str().unwrap().to_owned(),
    );
    let b = app.browser();
    let go = |a: String| {
        let (b, token) = (&b, token.clone());
        async move {
            b.get(&format!("/track/{token}/account-verified?assertion={a}"))
                .await
        }
    };
    let r = go(assertion("agent@example.com")).await;
    assert_eq!(r.status, 403, "the agent's account: {}", r.body);
    let facts = officer.request(&id).await["facts"].clone();
    assert!(
        !facts
            .as_array()
            .unwrap()
            .contains(&json!("identity_verified"))
    );
    // Pat's account verifies Pat, and says nothing about the agent's address.
    let r = go(assertion("pat@example.com")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let facts = officer.request(&id).await["facts"].clone();
    let facts = facts.as_array().unwrap();
    assert!(facts.contains(&json!("identity_verified")), "{facts:?}");
    assert!(
        !facts.contains(&json!("email_confirmed")),
        "Pat's sign-in does not confirm the agent's address: {facts:?}"
    );

    // In California the consumer verifies directly: a sign-in through the agent's link is refused.
    let ca = agent_filing(&app, &officer).await;
    let token = kaiji::security::tokens::tracking_token(
        app.state.keys.session.expose(),
        &kaiji::domain::ids::RequestId::new(ca.clone()),
    );
    let r = b
        .get(&format!(
            "/track/{token}/account-verified?assertion={}",
            assertion("pat@example.com")
        ))
        .await;
    assert_ne!(r.status, 303, "{}", r.body);
    let facts = officer.request(&ca).await["facts"].clone();
    assert!(
        !facts
            .as_array()
            .unwrap()
            .contains(&json!("identity_verified"))
    );
}

/// An agent's request opens no task in any system, so nothing is done or disclosed for the agent, until
/// an officer records how they checked the agent's proof of authority: on the request page or the API,
/// once, audited; a request the person filed themselves needs no such check.
async fn no_system_acts_for_an_agent_before_their_authority_is_checked(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = confirmed_agent_filing(&app, "eea", "access").await;
    let version = || async { officer.version(&id).await };
    let (status, body) = officer.fire(&id, "start_processing", version().await).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("proof of authority"),
        "{body}"
    );
    assert!(
        officer.request(&id).await["tasks"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // On the page: the form says what to check; an empty answer comes back; a real one is recorded.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(page.body.contains("id=\"authority\""), "{}", page.body);
    let action = format!("/staff/requests/{id}/authority?lang=en");
    let v = version().await.to_string();
    let back = desk
        .submit(&action, &page, &[("expected_version", &v), ("how", " ")])
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    assert!(back.text_of("problem").is_some(), "{}", back.body);
    let how = "Power of attorney received by post, signed by Pat Doe";
    let done = desk
        .submit(&action, &page, &[("expected_version", &v), ("how", how)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(!page.body.contains("id=\"authority\""), "checked once");
    assert!(page.body.contains("authority was checked"), "{}", page.body);
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{id}/authority"),
            &json!({"expected_version": version().await, "how": "again"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "how")),
        (422, Some("authority_already_checked"))
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "request.authority_checked"
                && e.details.contains("Power of attorney")),
        "{audit:?}"
    );
    assert_eq!(
        officer
            .fire(&id, "start_processing", version().await)
            .await
            .0,
        200
    );
    assert!(
        !officer.request(&id).await["tasks"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The person filing for themselves: nothing to check, and the check is refused.
    let own = file_json(&app, json!({"name": "Kim Lee", "email": "kim@example.com"})).await;
    let own = own["id"].as_str().unwrap().to_owned();
    let (status, body) = officer
        .post(
            &format!("/api/v1/requests/{own}/authority"),
            &json!({"expected_version": 1, "how": "n/a"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "how")),
        (422, Some("not_an_agent"))
    );
}
