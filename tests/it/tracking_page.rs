//! The requester's tracking page beyond evidence (issue 17): what happens next and what is needed, a
//! refusal's reasons with the authority to complain to, the requester's own buttons (withdraw; appeal
//! under the VCDPA), and lost tracking links sent again without telling whether any exist. Both backends.

use serde_json::json;

use crate::common::{
    Api, TestApp, allowed_event, api, file_json, ground_codes, notice, notice_kinds,
};
use kaiji::domain::staff::Role;

both_backends!(
    a_requester_withdraws_their_request_and_a_replay_changes_nothing,
    a_refusal_says_why_where_to_complain_and_what_next,
    a_virginian_appeals_a_refusal_from_the_tracking_page,
    lost_links_go_to_the_address_without_saying_whether_any_exist,
    who_may_file_follows_the_places_law,
    a_californian_says_from_when_the_answer_covers,
    a_refusal_names_the_laws_ground,
);

/// Files over the API in `place` and returns (request id, tracking path).
async fn filed(app: &TestApp, place: &str, email: &str) -> (String, String) {
    let r = file_json(app, json!({"jurisdiction": place, "email": email})).await;
    (
        r["id"].as_str().unwrap().to_owned(),
        format!("/track/{}", r["tracking_token"].as_str().unwrap()),
    )
}

async fn a_requester_withdraws_their_request_and_a_replay_changes_nothing(app: TestApp) {
    let (id, track) = filed(&app, "eea", "pat@example.com").await;
    let b = app.browser();
    let page = b.get(&track).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"action-withdraw\""),
        "the page offers withdrawing: {}",
        page.body
    );
    // What the requester is asked for comes first; withdrawing, which cannot be undone, after it.
    let asked = page.body.find("<section id=\"evidence\">");
    let withdraw = page.body.find("id=\"action-withdraw\"");
    assert!(asked.is_some() && asked < withdraw, "{}", page.body);
    let csrf = page.csrf();
    let act = format!("{track}/act/withdraw");

    // Without "I mean it": the page again, the statement kept, nothing changed.
    let back = b
        .post_form(
            &act,
            &[("csrf_token", &csrf), ("statement", "Filed by mistake.")],
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    assert!(back.text_of("confirm-withdraw-error").is_some());
    assert!(back.body.contains(">Filed by mistake.</textarea>"));
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    assert_eq!(officer.request(&id).await["state"], "received");

    // A staff-only event through the requester's door is refused, and nothing moves.
    let staff_only = b
        .post_form(
            &format!("{track}/act/refuse"),
            &[("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(staff_only.status, 403, "{}", staff_only.body);
    assert!(
        staff_only.body.contains("This can no longer be done"),
        "{}",
        staff_only.body
    );
    assert_eq!(officer.request(&id).await["state"], "received");

    // An old form (token from another session) is refused as expired.
    let stale = app
        .browser()
        .post_form(&act, &[("csrf_token", "forged"), ("confirm", "yes")])
        .await;
    assert_eq!(stale.status, 403);
    assert_eq!(officer.request(&id).await["state"], "received");

    let meant = [
        ("csrf_token", csrf.as_str()),
        ("statement", "Filed by mistake."),
        ("confirm", "yes"),
    ];
    let done = b.post_form(&act, &meant).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let after = b.get(done.location.as_deref().unwrap()).await;
    assert!(after.text_of("track-done").is_some(), "{}", after.body);
    assert!(after.text_of("track-withdrawn").is_some(), "{}", after.body);
    assert_eq!(
        after.text_of("track-state").as_deref(),
        Some("Withdrawn by the requester")
    );
    assert!(!after.body.contains("id=\"action-withdraw\""));
    assert!(
        !after.body.contains("id=\"evidence-form\""),
        "no evidence is asked of a closed request"
    );
    let r = officer.request(&id).await;
    assert_eq!(r["state"], "withdrawn");
    assert_eq!(
        notice_kinds(&r)
            .iter()
            .filter(|k| k.as_str() == "withdrawn")
            .count(),
        1
    );
    // Audited as the requester's act, with their statement.
    let moved = crate::common::audited(&app, "request.transitioned");
    let withdrawal = moved
        .iter()
        .find(|d| d.contains("\"withdraw\""))
        .unwrap_or_else(|| panic!("the withdrawal is in the audit log: {moved:?}"));
    assert!(withdrawal.contains("Filed by mistake."), "{withdrawal}");
    // The statement is for the desk: the notice mailed to the address never quotes it (a link holder
    // must not be able to mail their own words from the desk's sender).
    let mailed =
        kaiji::db::notices::to_requester(&mut app.tdb.conn(), &id.as_str().into()).unwrap();
    let withdrawn = mailed.iter().find(|n| n.kind == "withdrawn").unwrap();
    assert!(
        !withdrawn.payload.contains("Filed by mistake."),
        "{}",
        withdrawn.payload
    );
    // The desk hears of it at once: no officer is assigned, so every officer is told.
    let all = kaiji::db::notices::for_request(&mut app.tdb.conn(), &id.as_str().into()).unwrap();
    let told: Vec<_> = all
        .iter()
        .filter(|n| n.kind == "staff_requester_acted")
        .collect();
    assert!(!told.is_empty() && told.iter().all(|n| n.recipient_staff_id.is_some()));
    assert!(!told[0].payload.contains("Filed by mistake."));
    let events = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 50).unwrap();
    let by = events
        .iter()
        .find(|e| e.action == "request.transitioned" && e.details.contains("\"withdraw\""))
        .unwrap();
    assert_eq!(by.actor_kind, "requester");

    // The same post again (a reload, a replay): the page says it can no longer be done; no second notice.
    let replay = b.post_form(&act, &meant).await;
    assert_eq!(replay.status, 403, "{}", replay.body);
    assert!(replay.text_of("action-withdraw-error").is_none());
    assert!(
        replay.body.contains("This can no longer be done"),
        "{}",
        replay.body
    );
    let r = officer.request(&id).await;
    assert_eq!(
        notice_kinds(&r)
            .iter()
            .filter(|k| k.as_str() == "withdrawn")
            .count(),
        1
    );
    // Oversized or control-laden statements come back with a message, nothing written.
    let (id2, track2) = filed(&app, "eea", "sam@example.com").await;
    let p2 = b.get(&track2).await;
    for (bad, code) in [
        ("x".repeat(2001), "too long"),
        ("a\u{7}b".to_owned(), "cannot be accepted"),
    ] {
        let back = b
            .submit(
                &format!("{track2}/act/withdraw"),
                &p2,
                &[("statement", &bad), ("confirm", "yes")],
            )
            .await;
        assert_eq!(back.status, 422);
        let msg = back.text_of("statement-withdraw-error").unwrap_or_default();
        assert!(msg.contains(code), "{msg}");
    }
    assert_eq!(officer.request(&id2).await["state"], "received");
}

/// `officer` refuses the request at its current version, giving `reason`.
async fn refuse(officer: &Api, id: &str, reason: &str) {
    let v = officer.version(id).await;
    let refused = officer.fire_page(id, "refuse", v, Some(reason)).await;
    assert_eq!(refused.status, 200, "{}", refused.body);
}

async fn a_refusal_says_why_where_to_complain_and_what_next(app: TestApp) {
    let (id, track) = filed(&app, "eea", "pat@example.com").await;
    let b = app.browser();
    // Working on it: the evidence form is there, so the page never says flatly that nothing is needed.
    let before = b.get(&track).await;
    let next = before.all_text_of("track-next").unwrap();
    assert!(!next.contains("nothing is needed from you now"), "{next}");
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    refuse(
        &officer,
        &id,
        "The request is manifestly unfounded: Art. 12(5).",
    )
    .await;
    let page = b.get(&track).await;
    assert_eq!(
        page.text_of("track-refusal-reason").as_deref(),
        Some("The request is manifestly unfounded: Art. 12(5).")
    );
    let authority = page.all_text_of("track-authority").unwrap();
    assert!(authority.contains("CNPD"), "{authority}");
    assert!(
        page.text_of("track-refusal-next")
            .unwrap()
            .contains("new request")
    );
    assert!(page.text_of("track-closed").is_some());
    assert!(!page.body.contains("id=\"action-withdraw\""));
    // In Japanese too, from the same definitions.
    let ja = b.get(&format!("{track}?lang=ja")).await;
    assert!(ja.all_text_of("track-authority").unwrap().contains("CNPD"));
    assert!(ja.all_text_of("track-refusal").unwrap().contains("理由"));
}

async fn a_virginian_appeals_a_refusal_from_the_tracking_page(app: TestApp) {
    let (id, track) = filed(&app, "US-VA", "val@example.com").await;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    refuse(&officer, &id, "We hold no data we can link to you.").await;
    // The refusal says how to appeal (§59.1-578(B)), in the email and the letter.
    let r = officer.request(&id).await;
    let notice = notice(&r, "refused");
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let letter = desk.get(notice["letter"].as_str().unwrap()).await;
    assert!(
        letter.body.contains("「この判断に不服を申し立てる」から"),
        "{}",
        letter.body
    );
    let mails: Vec<String> = crate::common::texts_to(
        &crate::common::delivered_over_smtp(&app).await,
        "val@example.com",
    )
    .into_iter()
    .filter(|t| t.contains("We hold no data we can link to you."))
    .collect();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("You may appeal this decision")
            && mails[0].contains("“Appeal this decision”"),
        "{}",
        mails[0]
    );
    let b = app.browser();
    let page = b.get(&track).await;
    assert!(
        page.body.contains("id=\"action-appeal_received\""),
        "{}",
        page.body
    );
    assert!(
        page.text_of("track-refusal-next")
            .unwrap()
            .contains("reconsider")
    );
    assert!(page.all_text_of("track-authority").is_some());
    let done = b
        .submit(
            &format!("{track}/act/appeal_received"),
            &page,
            &[("statement", "I have an account: it is under this address.")],
        )
        .await;
    assert_eq!(
        done.status, 303,
        "an appeal does not close the request, so no tick is asked: {}",
        done.body
    );
    let r = officer.request(&id).await;
    assert_eq!(r["state"], "under_appeal");
    assert!(
        notice_kinds(&r).contains(&"appeal_received".to_owned()),
        "the consumer is told it arrived"
    );
    // The appeal's own 60-day clock runs, and the page says by when.
    let after = b.get(&track).await;
    assert_eq!(
        after.text_of("track-due").as_deref(),
        Some("2027-01-20"),
        "{}",
        after.body
    );
    assert!(
        crate::common::audited(&app, "request.transitioned")
            .iter()
            .any(|d| d.contains("I have an account"))
    );
    // The officer deciding the appeal reads the consumer's grounds on the request page, and the refusal's
    // reason beside the event that gave it.
    let staff = app.signed_in("o2@example.com", Role::Officer).await;
    let page = staff.get(&format!("/staff/requests/{id}?lang=en")).await;
    let said = page
        .body
        .split("data-said=\"statement\"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        said.contains("I have an account: it is under this address."),
        "{}",
        page.body
    );
    assert!(page.body.contains("We hold no data we can link to you."));
}

async fn ask(b: &crate::common::Browser, email: &str, csrf: String) -> crate::common::Page {
    b.post_form("/track", &[("csrf_token", &csrf), ("email", email)])
        .await
}

async fn lost_links_go_to_the_address_without_saying_whether_any_exist(app: TestApp) {
    let (id, _) = filed(&app, "eea", "Pat.Lost@Example.com").await;
    let (other, _) = filed(&app, "eea", "someone@example.com").await;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let b = app.browser();
    let form = b.get("/track").await;
    assert_eq!(form.status, 200);

    let known = ask(&b, "pat.lost@example.com", form.csrf()).await;
    let unknown = ask(&b, "nobody@example.com", form.csrf()).await;
    assert_eq!(known.status, 303);
    assert_eq!(unknown.status, 303);
    assert_eq!(
        known.location, unknown.location,
        "the same answer either way"
    );
    let sent = b.get(known.location.as_deref().unwrap()).await;
    assert!(sent.text_of("lost-sent").is_some());

    // The links are queued after the answer: wait for them.
    let mut kinds = Vec::new();
    for _ in 0..100 {
        kinds = notice_kinds(&officer.request(&id).await);
        if kinds.iter().any(|k| k == "tracking_link") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(kinds.iter().any(|k| k == "tracking_link"), "{kinds:?}");
    assert!(
        !notice_kinds(&officer.request(&other).await)
            .iter()
            .any(|k| k == "tracking_link"),
        "only the asked address's requests"
    );

    // Asking again the same day sends no second copy (once a day per request at most).
    let again = ask(&b, "PAT.LOST@example.com", form.csrf()).await;
    assert_eq!(again.status, 303);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let copies = notice_kinds(&officer.request(&id).await)
        .iter()
        .filter(|k| k.as_str() == "tracking_link")
        .count();
    assert_eq!(copies, 1);

    // A malformed address comes back with its message and the input kept.
    let bad = ask(&b, "not an address", form.csrf()).await;
    assert_eq!(bad.status, 422);
    assert!(bad.text_of("email-error").is_some());
    assert!(bad.body.contains("value=\"not an address\""));

    // Past the hourly limit for one inbox (5 by default): 429 with Retry-After, the same for any address.
    let mut last = None;
    for _ in 0..5 {
        last = Some(ask(&b, "pat.lost@example.com", form.csrf()).await);
    }
    let last = last.unwrap();
    assert_eq!(last.status, 429, "{}", last.body);
    assert!(last.headers.get("retry-after").is_some());
}

/// Who may file is the place's law's (seeds/regimes `requesters`): Virginia has no authorised agents, so
/// its form offers none and the API refuses one by field; a guardian may file there, and an agent in the EEA.
async fn who_may_file_follows_the_places_law(app: TestApp) {
    let b = app.browser();
    let va = b.get("/?place=US-VA&lang=en").await;
    assert_eq!(va.status, 200);
    assert!(
        va.body
            .contains("name=\"requester_kind\" value=\"guardian\"")
    );
    assert!(
        !va.body.contains("name=\"requester_kind\" value=\"agent\""),
        "{}",
        va.body
    );
    let eea = b.get("/?place=EEA&lang=en").await;
    assert!(eea.body.contains("name=\"requester_kind\" value=\"agent\""));

    let agent = json!({"name": "Agent A", "email": "agent@example.com", "request_type": "access",
                       "jurisdiction": "US-VA", "message": "x", "language": "en",
                       "requester_kind": "agent", "person_name": "Val", "person_email": "val@example.com"});
    let refused = b.post_json("/api/v1/requests", &agent).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        crate::common::field_code(&refused.json(), "requester_kind"),
        Some("not_offered_here")
    );
    // The form says so beside the field, with the input kept.
    let form = b.get("/?place=US-VA&lang=en").await;
    let back = b
        .submit(
            "/requests",
            &form,
            &[
                ("name", "Agent A"),
                ("email", "agent@example.com"),
                ("request_type", "access"),
                ("jurisdiction", "US-VA"),
                ("message", "For my client."),
                ("requester_kind", "agent"),
                ("person_name", "Val"),
                ("person_email", "val@example.com"),
            ],
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    assert!(
        back.text_of("requester_kind-error").is_some(),
        "{}",
        back.body
    );
    assert!(back.body.contains("value=\"Val\""));

    let mut guardian = agent.clone();
    guardian["requester_kind"] = json!("guardian");
    guardian["guardian_basis"] = json!("guardianship");
    assert_eq!(b.post_json("/api/v1/requests", &guardian).await.status, 201);
    let mut eea_agent = agent.clone();
    eea_agent["jurisdiction"] = json!("EEA");
    assert_eq!(
        b.post_json("/api/v1/requests", &eea_agent).await.status,
        201
    );

    // The procedure pages say who may ask, from the same files.
    let page = b.get("/procedures/vcdpa?lang=en").await;
    let who = page.all_text_of("procedure-who").unwrap();
    assert!(
        who.contains("parent or guardian") && !who.contains("authorised agent"),
        "{who}"
    );
    let postal = b.get("/procedures/jp-postal?lang=ja").await;
    assert!(
        postal
            .all_text_of("procedure-who")
            .unwrap()
            .contains("代理人")
    );
    // And the desk that answers, from the workflow's [desk].
    assert!(
        postal
            .text_of("desk-name")
            .unwrap()
            .contains("個人情報担当")
    );
    assert_eq!(
        postal.all_text_of("desk-web").as_deref(),
        Some("https://gpu.cloud.gmo.jp")
    );
    let api_desk = b.get("/api/v1/procedures").await.json();
    let jp = api_desk
        .as_array()
        .or_else(|| api_desk["procedures"].as_array())
        .unwrap()
        .iter()
        .find(|p| p["id"] == "jp-postal")
        .unwrap()
        .clone();
    assert_eq!(jp["contact"]["web"], "https://gpu.cloud.gmo.jp");
    assert_eq!(jp["requesters"], json!(["self", "agent", "guardian"]));
}

/// CCPA "know": the requester may say from when the answer covers, back to 2022-01-01 (seeds/regimes
/// `period_earliest`); other laws ask no period, and the form shows the field only where one applies.
async fn a_californian_says_from_when_the_answer_covers(app: TestApp) {
    let b = app.browser();
    let ca = b.get("/?place=US-CA&lang=en").await;
    assert!(
        ca.body
            .contains(r#"name="period_from" type="date" min="2022-01-01""#),
        "{}",
        ca.body
    );
    let eea = b.get("/?place=EEA&lang=en").await;
    assert!(!eea.body.contains("name=\"period_from\""));

    let body = |place: &str, from: &str| {
        json!({"name": "Cal", "email": "cal@example.com", "request_type": "access",
               "request_types": ["deletion"], "jurisdiction": place, "message": "x",
               "language": "en", "period_from": from})
    };
    for (place, from, code) in [
        ("US-CA", "2021-12-31", "too_early"),
        ("US-CA", "last year", "invalid_date"),
        ("US-CA", "+10000-01-01", "invalid_date"),
        ("US-CA", "2023-4-1", "invalid_date"),
        ("US-CA", "2027-06-01", "in_future"),
        ("EEA", "2023-04-01", "not_offered_here"),
    ] {
        let r = b.post_json("/api/v1/requests", &body(place, from)).await;
        assert_eq!(r.status, 422, "{place} {from}: {}", r.body);
        assert_eq!(
            crate::common::field_code(&r.json(), "period_from"),
            Some(code),
            "{from}"
        );
    }
    assert_eq!(app.count("requests"), 0, "nothing written");

    let filed = b
        .post_json("/api/v1/requests", &body("US-CA", "2023-04-01"))
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let filed = filed.json();
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let access = officer.request(filed["id"].as_str().unwrap()).await;
    assert_eq!(access["period_from"], "2023-04-01");
    // Deletion, filed with it, covers no period.
    let deletion = officer
        .request(filed["also"][0]["id"].as_str().unwrap())
        .await;
    assert_eq!(deletion["request_type"], "deletion");
    assert!(deletion["period_from"].is_null(), "{deletion}");
    let track = b
        .get(&format!(
            "/track/{}",
            filed["tracking_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        track.text_of("track-period").as_deref(),
        Some("From 2023-04-01 to the day of the request")
    );
    let staff = app.signed_in("o2@example.com", Role::Officer).await;
    let page = staff
        .get(&format!(
            "/staff/requests/{}?lang=en",
            filed["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        page.text_of("request-period")
            .unwrap()
            .contains("2023-04-01")
    );

    // The form keeps a refused date and says why beside it.
    let form = b.get("/?place=US-CA&lang=en").await;
    let back = b
        .submit(
            "/requests",
            &form,
            &[
                ("name", "Cal"),
                ("email", "cal2@example.com"),
                ("request_type", "access"),
                ("jurisdiction", "US-CA"),
                ("message", "Everything since 2020."),
                ("period_from", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(back.status, 422);
    assert!(
        back.text_of("period_from-error")
            .unwrap()
            .contains("earlier than the law")
    );
    assert!(back.body.contains("value=\"2020-01-01\""));
}

/// Where the law lists refusal grounds (seeds/regimes `[[grounds]]`), a refusal names one that applies to
/// the right; the notice, the tracking page and the staff page carry it, in both languages.
async fn a_refusal_names_the_laws_ground(app: TestApp) {
    let (id, track) = filed(&app, "eea", "pat@example.com").await;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let r = officer.request(&id).await;
    let codes = ground_codes(allowed_event(&r, "refuse"));
    assert!(
        codes.contains(&"manifestly_unfounded_or_excessive") && codes.contains(&"rights_of_others"),
        "{codes:?}"
    );
    assert!(
        !codes.contains(&"data_accurate"),
        "a correction ground is not offered for access"
    );
    let extend = allowed_event(&r, "extend");
    assert!(
        extend.get("grounds").is_none(),
        "only refusals name grounds"
    );

    let v = r["version"].as_i64().unwrap();
    for (data, event, code) in [
        (json!({"reason": "r"}), "refuse", "required"),
        (
            json!({"reason": "r", "ground": "data_accurate"}),
            "refuse",
            "unknown_ground",
        ),
        (
            json!({"reason": "r", "ground": "<script>"}),
            "refuse",
            "unknown_ground",
        ),
        (
            json!({"reason": "r", "ground": "rights_of_others"}),
            "extend",
            "not_offered_here",
        ),
    ] {
        let (status, body) = officer.event(&id, event, v, data.clone()).await;
        assert_eq!(status, 422, "{data}: {body}");
        assert_eq!(
            crate::common::field_code(&body, "ground"),
            Some(code),
            "{data}: {body}"
        );
    }
    assert_eq!(
        officer.request(&id).await["version"].as_i64(),
        Some(v),
        "nothing written"
    );

    // The staff page offers the grounds; without one the form comes back with the reason kept.
    let staff = app.signed_in("o2@example.com", Role::Officer).await;
    let page = staff.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(
        page.body
            .contains("<select id=\"ground-refuse\" name=\"ground\" required>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"rights_of_others\""));
    let back = staff
        .submit(
            &format!("/staff/requests/{id}/events"),
            &page,
            &[
                ("event", "refuse"),
                ("expected_version", &v.to_string()),
                ("reason", "Other customers' messages are in the thread."),
            ],
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    assert!(
        back.text_of("ground-refuse-error").is_some(),
        "{}",
        back.body
    );
    let kept = back
        .body
        .split("id=\"reason-refuse\"")
        .nth(1)
        .unwrap_or_default();
    assert!(kept.contains("Other customers"), "{kept:.300}");

    let (status, body) = officer
        .event(
            &id,
            "refuse",
            v,
            json!({"reason": "Other customers' messages are in the thread.", "ground": "rights_of_others"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let b = app.browser();
    let en = b.get(&format!("{track}?lang=en")).await;
    let ground = en.all_text_of("track-refusal-ground").unwrap();
    assert!(
        ground.contains("adversely affect the rights and freedoms of others")
            && ground.contains("Art. 15(4)"),
        "{ground}"
    );
    let ja = b.get(&format!("{track}?lang=ja")).await;
    assert!(
        ja.all_text_of("track-refusal-ground")
            .unwrap()
            .contains("15条4項")
    );
    // The notice's stored particulars quote the ground, so the email and the letter say it.
    let notices =
        kaiji::db::notices::to_requester(&mut app.tdb.conn(), &id.as_str().into()).unwrap();
    let refused = notices.iter().find(|n| n.kind == "refused").unwrap();
    assert!(
        refused.payload.contains("\"code\":\"rights_of_others\""),
        "{}",
        refused.payload
    );
}
