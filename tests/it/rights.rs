//! The remaining online rights and the requester's own evidence (issue 5), on both backends: a
//! Californian proving who they are from the tracking page (data points, a signed declaration, an
//! identity document erased right after the decision), the right to know the categories answered from
//! the registry, withdrawal of consent and restriction in the EEA and Canada, a Canadian deletion through
//! every system, an agent's signed authorisation, and several rights asked for in one submission.

use crate::common;

use common::{Api, Browser, TestApp, api, field_code, has_fact, notice_kinds};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    a_californian_proves_identity_from_the_tracking_page_and_the_evidence_is_erased_after,
    the_right_to_know_categories_is_answered_from_the_registry_after_two_points,
    consent_is_withdrawn_and_use_restricted_in_the_eea_and_canada,
    a_canadian_deletion_goes_through_every_system,
    an_agent_uploads_the_persons_signed_authorisation,
    several_rights_in_one_submission_are_filed_together_and_confirmed_once,
    evidence_uploads_are_read_token_first_and_bounded,
    a_japanese_refusal_names_its_ground_and_article,
);

/// The smallest PNG signature `infer` recognises, padded.
pub(crate) fn png() -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    b.extend_from_slice(&[0; 64]);
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n% signed authorisation\n%%EOF\n".to_vec()
}

/// Files a request through the API (as the person, or as an agent with `extra`), confirms the email
/// address, and returns its id and tracking token.
pub(crate) async fn file(
    app: &TestApp,
    jurisdiction: &str,
    request_type: &str,
    extra: Value,
) -> (String, String) {
    let mut body = json!({"name": "Pat Doe", "email": "pat@example.com", "request_type": request_type,
                          "jurisdiction": jurisdiction, "message": "Please act on my data.", "language": "en"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let res = app.browser().post_json("/api/v1/requests", &body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let token = res.json()["tracking_token"].as_str().unwrap().to_owned();
    app.confirm_email(&id).await;
    (id, token)
}

/// Sends the tracking page's evidence form (multipart, with the page's CSRF cookie and token).
pub(crate) async fn send_evidence(
    _app: &TestApp,
    b: &Browser,
    token: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
) -> (u16, String) {
    // The browser's CSRF token is the same on every form; the request form always has one (the
    // tracking page shows its evidence form only while evidence is wanted).
    let page = b.get("/?lang=en").await;
    let csrf = page.csrf();
    let mut all: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    all.extend_from_slice(fields);
    let files = match file {
        Some((kind, bytes)) => {
            all.push(("file_kind", kind));
            vec![("file", "upload.bin", bytes)]
        }
        None => Vec::new(),
    };
    let res = b
        .post_multipart(
            &format!("/track/{token}/evidence?lang=en"),
            common::multipart_form(&all, files),
        )
        .await;
    (res.status, res.body)
}

pub(crate) async fn open_evidence(officer: &Api, path: &str) -> (u16, Vec<u8>) {
    let res = common::http_client()
        .get(format!("{}{path}", officer.base))
        .bearer_auth(&officer.token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

async fn a_californian_proves_identity_from_the_tracking_page_and_the_evidence_is_erased_after(
    app: TestApp,
) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (id, token) = file(&app, "california", "access", json!({})).await;
    assert_eq!(officer.fire(&id, "acknowledge", 1).await.0, 200);
    let subject = app.browser();
    let page = subject.get(&format!("/track/{token}?lang=en")).await;
    assert!(page.body.contains("id=\"evidence-form\""), "{}", page.body);
    // Times are shown in the requester's place's zone: 01:00 UTC is the evening before in California.
    assert!(
        page.body.contains("2026-11-21 17:00 PST") && !page.body.contains(" JST"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"declaration-box\""),
        "specific pieces ask for the declaration"
    );
    assert!(
        page.all_text_of("track-non-discrimination")
            .unwrap()
            .contains("will not deny you goods or services")
    );

    // Mistakes come back beside their fields, with what was typed kept.
    let (status, body) = send_evidence(
        &app,
        &subject,
        &token,
        &[
            ("phone", "123"),
            ("postal_code", "94103"),
            ("declaration", "on"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("id=\"phone-error\"") && body.contains("id=\"declaration_name-error\""));
    assert!(body.contains("value=\"94103\"") && body.contains("value=\"123\""));
    let (status, body) = send_evidence(&app, &subject, &token, &[], None).await;
    assert_eq!(status, 422);
    assert!(body.contains("Fill in at least one field"), "{body}");
    let (status, body) = send_evidence(
        &app,
        &subject,
        &token,
        &[],
        Some(("identity_document", b"plain text".to_vec())),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("id=\"file-error\""));
    assert_eq!(
        officer.request(&id).await["evidence"],
        json!([]),
        "nothing kept from refused sends"
    );

    let (status, _) = send_evidence(
        &app,
        &subject,
        &token,
        &[
            ("phone", "+1 415 555 0100"),
            ("postal_code", "94103"),
            ("last_order", "112-0000001"),
            ("declaration", "on"),
            ("declaration_name", "Pat Doe"),
        ],
        Some(("identity_document", png())),
    )
    .await;
    assert_eq!(status, 303);
    let page = subject.get(&format!("/track/{token}?lang=en")).await;
    let received = page.all_text_of("evidence-received").unwrap();
    assert!(received.contains("Identity document") && received.contains("Information to compare"));

    // Staff see what came, open it (each opening audited), and match the points.
    let r = officer.request(&id).await;
    let evidence = r["evidence"].as_array().unwrap().clone();
    assert_eq!(evidence.len(), 2);
    let points = evidence
        .iter()
        .find(|e| e["kind"] == "data_points")
        .unwrap();
    assert_eq!(points["declaration_signed"], true);
    let (status, bytes) = open_evidence(&officer, points["open"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let opened: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(opened["points"]["phone"], "+1 415 555 0100");
    assert_eq!(opened["declaration_signed_by"], "Pat Doe");
    let document = evidence
        .iter()
        .find(|e| e["kind"] == "identity_document")
        .unwrap();
    let (status, bytes) = open_evidence(&officer, document["open"].as_str().unwrap()).await;
    assert_eq!((status, bytes), (200, png()));
    // The document's row as the database keeps it.
    let stored = || {
        kaiji::db::evidence::find(
            &mut app.tdb.conn(),
            &id.as_str().into(),
            &document["id"].as_str().unwrap().into(),
        )
        .unwrap()
        .unwrap()
    };
    assert_ne!(stored().ciphertext, png(), "sealed at rest");

    // Three points matched; the declaration is the requester's own, so the officer need not claim it.
    let three = json!([{"name": "phone", "matched": true}, {"name": "postal_code", "matched": true},
                       {"name": "last_order", "matched": true}]);
    let (status, d) = officer
        .post(
            &format!("/api/v1/requests/{id}/identity/data-points"),
            &json!({"expected_version": 2, "points": three}),
        )
        .await;
    assert_eq!((status, d["verified"].as_bool()), (200, Some(true)), "{d}");

    // Decided: the evidence is emptied at once and can no longer be opened.
    let r = officer.request(&id).await;
    assert!(has_fact(&r, "identity_verified"));
    for e in r["evidence"].as_array().unwrap() {
        assert!(e["purged_at"].is_string() && e["open"].is_null(), "{e}");
    }
    let (status, _) = open_evidence(&officer, document["open"].as_str().unwrap()).await;
    assert_eq!(status, 410);
    let emptied = stored();
    assert!(emptied.ciphertext.is_empty() && emptied.nonce.is_empty());
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    let count = |action: &str| audit.iter().filter(|e| e.action == action).count();
    assert_eq!(count("identity.evidence_received"), 1);
    assert_eq!(count("file.viewed"), 2);
    assert_eq!(count("file.purged"), 2);
    let received = audit
        .iter()
        .find(|e| e.action == "identity.evidence_received")
        .unwrap();
    assert!(
        !received.details.contains("555") && !received.details.contains("94103"),
        "the audit log names the points, never their values: {}",
        received.details
    );

    // No more proof is taken once identity is verified.
    let (status, body) = send_evidence(
        &app,
        &subject,
        &token,
        &[("phone", "+1 415 555 0100")],
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("already confirmed"), "{body}");
    assert_eq!(
        officer.request(&id).await["evidence"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The CCPA letters close with the promise not to discriminate.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let r = officer.request(&id).await;
    let ack = common::notice(&r, "acknowledgement");
    let letter = desk.get(ack["letter"].as_str().unwrap()).await;
    assert!(
        letter.body.contains("差別することはありません"),
        "{}",
        letter.body
    );
}

async fn download(
    app: &TestApp,
    officer: &Api,
    id: &str,
) -> std::collections::BTreeMap<String, String> {
    let r = officer.request(id).await;
    let notice = r["notices"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(notice["kind"], "answer_ready");
    let desk = app.signed_in("desk2@example.com", Role::Officer).await;
    common::download_answer(app, &desk, notice["letter"].as_str().unwrap()).await
}

async fn the_right_to_know_categories_is_answered_from_the_registry_after_two_points(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (id, token) = file(&app, "california", "know_categories", json!({})).await;
    let page = app.browser().get(&format!("/track/{token}?lang=en")).await;
    assert!(
        !page.body.contains("id=\"declaration-box\""),
        "categories need no declaration"
    );
    assert_eq!(officer.fire(&id, "acknowledge", 1).await.0, 200);
    let two = json!([{"name": "phone", "matched": true}, {"name": "postal_code", "matched": true}]);
    let (_, d) = officer
        .post(
            &format!("/api/v1/requests/{id}/identity/data-points"),
            &json!({"expected_version": 2, "points": two}),
        )
        .await;
    assert_eq!(
        (d["verified"].as_bool(), d["required"].as_i64()),
        (Some(true), Some(2))
    );
    assert_eq!(officer.fire(&id, "verify", 3).await.0, 200);
    // Each system only says whether it holds the consumer's data: no data is pulled for categories.
    let r = officer.request(&id).await;
    let tasks = r["tasks"].as_array().unwrap().clone();
    assert!(
        !tasks.is_empty() && tasks.iter().all(|t| t["kind"] == "locate"),
        "{tasks:?}"
    );
    assert_eq!(
        officer.fire(&id, "fulfil", 4).await.0,
        422,
        "not before each has"
    );
    for t in &tasks {
        let held = matches!(
            t["system"].as_str().unwrap(),
            "Customer accounts" | "Orders and billing"
        );
        let outcome = if held { "held" } else { "no_data" };
        // A locate task takes no export.
        if held {
            let (status, body) = officer
                .close(
                    &id,
                    t,
                    json!({"outcome": "exported", "export": "{\"a\": 1}"}),
                )
                .await;
            assert_eq!(status, 422, "{body}");
        }
        assert_eq!(
            officer.close(&id, t, json!({"outcome": outcome})).await.0,
            200
        );
    }
    let v = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "fulfil", v).await.0, 200);

    let files = download(&app, &officer, &id).await;
    assert!(
        files.keys().all(|k| !k.starts_with("data/")),
        "no specific pieces: {:?}",
        files.keys()
    );
    let info: Value = serde_json::from_str(&files["processing-information.json"]).unwrap();
    assert_eq!(info["request_type"], "know_categories");
    // The categories, sources, purposes and recipients of the two systems that hold the consumer's
    // data, and of no other.
    let index: Value = serde_json::from_str(&files["index.json"]).unwrap();
    let mut held: Vec<&str> = index["systems"]
        .as_array()
        .unwrap_or_else(|| panic!("{index}"))
        .iter()
        .map(|s| s["system"].as_str().unwrap())
        .collect();
    held.sort_unstable();
    assert_eq!(held, ["Customer accounts", "Orders and billing"], "{index}");
    let systems = info["systems"].as_array().unwrap();
    assert!(!systems.is_empty());
    assert!(systems.iter().all(
        |s| s["categories"].as_array().is_some_and(|c| !c.is_empty())
            && s["retention"].is_string()
            && s.get("file").is_none()
    ));
    assert!(info["processing_information"]["sources"].is_string());
    assert!(info["processing_information"]["recipients"].is_string());
    assert!(
        info["non_discrimination"]
            .as_str()
            .unwrap()
            .contains("different price")
    );
}

/// Walks a request whose right each system carries out (a stop or a restriction): start, every system's
/// task closed, answer, and the notice says so.
async fn walk_through_each_system(
    app: &TestApp,
    officer: &Api,
    jurisdiction: &str,
    right: &str,
    kind: &str,
) {
    let (id, _) = file(app, jurisdiction, right, json!({})).await;
    let r = officer.request(&id).await;
    assert_eq!(r["request_type"], right);
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    let r = officer.request(&id).await;
    let tasks = r["tasks"].as_array().unwrap();
    assert!(
        !tasks.is_empty() && tasks.iter().all(|t| t["kind"] == kind),
        "{tasks:?}"
    );
    let (status, _) = officer.fire(&id, "answer", 2).await;
    assert_eq!(status, 422, "{right}: not before every system has answered");
    for t in tasks {
        let body = if kind == "restrict" {
            json!({"outcome": "restricted", "purposes": ""})
        } else {
            json!({"outcome": "stopped", "purposes": "direct marketing"})
        };
        assert_eq!(officer.close(&id, t, body).await.0, 200);
    }
    let (status, body) = officer.fire(&id, "answer", 3).await;
    assert_eq!(status, 200, "{right} in {jurisdiction}: {body}");
    let r = officer.request(&id).await;
    assert_eq!(r["closed"], true);
    assert_eq!(r["state"], "answered");
    assert!(r["tasks"].as_array().unwrap().iter().all(|t| t["status"]
        == if kind == "restrict" {
            "restricted"
        } else {
            "stopped"
        }));
    let kinds = notice_kinds(&r);
    assert!(kinds.iter().any(|k| k == "answer_ready"), "{kinds:?}");
}

async fn consent_is_withdrawn_and_use_restricted_in_the_eea_and_canada(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    for (jurisdiction, right, kind) in [
        ("eea", "withdraw_consent", "stop_processing"),
        ("eea", "restriction", "restrict"),
        ("eea", "objection", "stop_processing"),
        ("canada", "withdraw_consent", "stop_processing"),
        ("canada", "restriction", "restrict"),
    ] {
        walk_through_each_system(&app, &officer, jurisdiction, right, kind).await;
    }
    // The form offers the new rights where the law gives them, in both languages, and never where it does
    // not (Japan's APPI has no withdrawal of consent; the API refuses it beside the field).
    let form = app.browser().get("/?lang=ja&place=EEA").await;
    assert!(form.body.contains(r#"<option value="withdraw_consent""#));
    assert!(form.body.contains("同意の撤回"));
    let form = app.browser().get("/?lang=en&place=canada").await;
    assert!(form.body.contains(r#"<option value="withdraw_consent""#));
    assert!(
        !form.body.contains(r#"<option value="objection""#),
        "PIPEDA has none"
    );
    let form = app.browser().get("/?lang=ja").await;
    assert!(
        form.body.contains(r#"name="jurisdiction" value="JP""#),
        "Japanese pages suggest Japan"
    );
    assert!(!form.body.contains(r#"<option value="withdraw_consent""#));
    let res = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "Pat", "email": "p@example.com", "request_type": "withdraw_consent",
                    "jurisdiction": "california", "message": "x", "language": "en"}),
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        field_code(&res.json(), "request_type"),
        Some("not_offered_here")
    );
}

async fn a_canadian_deletion_goes_through_every_system(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (id, _) = file(&app, "canada", "deletion", json!({})).await;
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    let r = officer.request(&id).await;
    let tasks = r["tasks"].as_array().unwrap().clone();
    assert!(tasks.len() >= 2 && tasks.iter().all(|t| t["kind"] == "erase"));
    assert_eq!(
        officer.fire(&id, "answer", 2).await.0,
        422,
        "not while a task is open"
    );
    for t in &tasks {
        assert_eq!(
            officer.close(&id, t, json!({"outcome": "erased"})).await.0,
            200
        );
    }
    let v = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "answer", v).await.0, 200);
    assert_eq!(officer.request(&id).await["state"], "answered");
}

async fn an_agent_uploads_the_persons_signed_authorisation(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (id, token) = file(
        &app,
        "california",
        "deletion",
        json!({"requester_kind": "agent", "person_name": "Kim Doe", "person_email": "kim@example.com"}),
    )
    .await;
    let agent = app.browser();
    let page = agent.get(&format!("/track/{token}?lang=en")).await;
    assert!(page.body.contains("value=\"agent_authorisation\""));
    // The agent uploads the person's signed authorisation from the tracking page.
    let upload = || {
        send_evidence(
            &app,
            &agent,
            &token,
            &[],
            Some(("agent_authorisation", pdf())),
        )
    };
    let (status, _) = upload().await;
    assert_eq!(status, 303);
    let r = officer.request(&id).await;
    let auth = &r["evidence"][0];
    assert_eq!(auth["kind"], "agent_authorisation");
    let (status, bytes) = open_evidence(&officer, auth["open"].as_str().unwrap()).await;
    assert_eq!((status, bytes), (200, pdf()));

    // Someone asking for themselves has no authorisation to give.
    let (_, own) = file(&app, "california", "deletion", json!({})).await;
    let me = app.browser();
    let (status, body) =
        send_evidence(&app, &me, &own, &[], Some(("agent_authorisation", pdf()))).await;
    assert_eq!(status, 422);
    assert!(body.contains("only needed when an agent files"), "{body}");

    // Once the request closes, the authorisation is erased too.
    let (status, _) = officer.fire(&id, "deny", 1).await;
    assert_eq!(status, 200);
    let r = officer.request(&id).await;
    assert!(r["evidence"][0]["purged_at"].is_string());
    // And a closed request takes nothing more.
    let (status, body) = upload().await;
    assert_eq!(status, 422);
    assert!(body.contains("This request is closed"), "{body}");
}

async fn several_rights_in_one_submission_are_filed_together_and_confirmed_once(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    // Over the API: one submission, three rights, three requests.
    let res = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "Pat Doe", "email": "pat@example.com", "request_type": "access",
                    "request_types": ["deletion", "portability", "access"], "jurisdiction": "eea",
                    "message": "Everything, please.", "language": "en", "account_id": "A-42"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let body = res.json();
    let also = body["also"].as_array().unwrap();
    assert_eq!(
        also.iter()
            .map(|a| a["request_type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["deletion", "portability"],
        "each right once, in order"
    );
    let first = body["id"].as_str().unwrap().to_owned();
    let others: Vec<String> = also
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        notice_kinds(&officer.request(&first).await).contains(&"email_confirmation".to_owned())
    );
    for o in &others {
        let r = officer.request(o).await;
        assert!(
            !notice_kinds(&r).contains(&"email_confirmation".to_owned()),
            "one email, not three"
        );
        assert_ne!(r["receipt_number"], body["receipt_number"]);
    }
    // The account named on the form is kept sealed with each request's evidence, for matching.
    for id in std::iter::once(&first).chain(&others) {
        let r = officer.request(id).await;
        let points = &r["evidence"][0];
        assert_eq!(points["kind"], "data_points");
        let (_, bytes) = open_evidence(&officer, points["open"].as_str().unwrap()).await;
        let opened: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(opened["points"]["account_id"], "A-42");
    }
    // The one link confirms all three.
    let done = app.confirm_email(&first).await;
    assert_eq!(done.status, 200);
    for id in std::iter::once(&first).chain(&others) {
        assert!(
            has_fact(&officer.request(id).await, "email_confirmed"),
            "{id}"
        );
    }
    for o in &others {
        let v = officer.version(o).await;
        assert_eq!(officer.fire(o, "start_processing", v).await.0, 200);
    }

    // A right the law of the place does not give refuses the whole submission, beside the field.
    let before = app.tdb.count("requests");
    let res = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "Pat Doe", "email": "pat@example.com", "request_type": "access",
                    "request_types": ["know_categories"], "jurisdiction": "eea",
                    "message": "x", "language": "en"}),
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        field_code(&res.json(), "request_type"),
        Some("not_offered_here")
    );
    assert_eq!(app.tdb.count("requests"), before, "nothing filed");

    // On the web form: ticked boxes are kept on an error, and the receipt lists every request.
    let b = app.browser();
    let form = b.get("/?lang=en").await;
    assert!(form.body.contains("id=\"also-rights\""));
    let fields = |name: &'static str| {
        vec![
            ("csrf_token", form.csrf()),
            ("name", name.to_owned()),
            ("email", "kim@example.com".to_owned()),
            ("request_type", "access".to_owned()),
            ("request_types", "deletion".to_owned()),
            ("request_types", "objection".to_owned()),
            ("jurisdiction", "eea".to_owned()),
            ("message", "Both, please.".to_owned()),
            (
                "account_id",
                if name.is_empty() {
                    "x".repeat(201)
                } else {
                    "kim-7".to_owned()
                },
            ),
        ]
    };
    let bad = fields("");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = b.post_form("/requests?lang=en", &bad).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("value=\"deletion\" checked")
            && page.body.contains("value=\"objection\" checked")
    );
    assert!(page.text_of("account_id-error").is_some(), "too long");
    let good = fields("Kim Doe");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = b.post_form("/requests?lang=en", &good).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = b.get(done.location.as_deref().unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let listed = page
        .all_text_of("receipt-also")
        .expect("the other receipts");
    assert!(
        listed.contains("Delete my data") && listed.contains("Object to"),
        "{listed}"
    );
    assert_eq!(listed.matches("/track/").count(), 2);
}

/// The tracking page's upload is a public multipart route: a made-up link, a form whose first part is not
/// its CSRF token, too many parts, or too much text are answered without reading on (or keeping) the rest.
async fn evidence_uploads_are_read_token_first_and_bounded(app: TestApp) {
    let (id, token) = file(&app, "california", "access", json!({})).await;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let b = app.browser();
    let csrf = b.get("/?lang=en").await.csrf();
    let path = format!("/track/{token}/evidence?lang=en");
    let evidence = |r: Value| r["evidence"].as_array().map_or(0, Vec::len);
    let before = evidence(officer.request(&id).await);

    // A made-up link: 404, however large the body (8 MB of text fields here).
    let big = "x".repeat(10 * 1024);
    let padding: Vec<(String, &str)> = (0..800).map(|i| (format!("f{i}"), big.as_str())).collect();
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    fields.extend(padding.iter().map(|(k, v)| (k.as_str(), *v)));
    let made_up = format!("/track/{}/evidence?lang=en", "A".repeat(token.len()));
    let res = b
        .post_multipart(&made_up, common::multipart_form(&fields, Vec::new()))
        .await;
    assert_eq!(res.status, 404, "{}", res.body);

    // The token not first (a hand-made form): the page comes back, expired, and nothing is kept.
    let res = b
        .post_multipart(
            &path,
            common::multipart_form(
                &[("phone", "+1 555 0100"), ("csrf_token", &csrf)],
                vec![("file", "id.png", png())],
            ),
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert!(!res.body.contains("+1 555 0100"));

    // Too many parts: 400. Too much text in all: 413.
    let names: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
    let mut many: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    many.extend(names.iter().map(|k| (k.as_str(), "x")));
    let res = b
        .post_multipart(&path, common::multipart_form(&many, Vec::new()))
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    let res = b
        .post_multipart(&path, common::multipart_form(&fields[..8], Vec::new()))
        .await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert_eq!(evidence(officer.request(&id).await), before);

    // The same form, token first and within bounds, is taken.
    let (status, body) = send_evidence(&app, &b, &token, &[("phone", "+1 555 0100")], None).await;
    assert_eq!(status, 303, "{body}");
}

/// A tracking link takes so many pieces of evidence (`KAIJI_EVIDENCE_PER_REQUEST`), then says to
/// contact the desk: bounded uploads cannot fill the disk one at a time.
async fn evidence_per_request_is_bounded(backend: common::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.intake.evidence_per_request = 2).await
    else {
        return;
    };
    let (id, token) = file(&app, "california", "access", json!({})).await;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let b = app.browser();
    for scan in 0..2u8 {
        let (status, body) = send_evidence(
            &app,
            &b,
            &token,
            &[],
            Some(("identity_document", png_with(scan))),
        )
        .await;
        assert_eq!(status, 303, "{body}");
    }
    let (status, body) = send_evidence(
        &app,
        &b,
        &token,
        &[],
        Some(("identity_document", png_with(9))),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("as many documents and details as it can take"),
        "{body}"
    );
    let evidence = officer.request(&id).await["evidence"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(evidence, 2);
}

fn png_with(n: u8) -> Vec<u8> {
    let mut bytes = png();
    bytes.push(n);
    bytes
}

#[actix_web::test]
async fn evidence_per_request_is_bounded_sqlite() {
    evidence_per_request_is_bounded(common::Backend::Sqlite).await;
}

#[actix_web::test]
async fn evidence_per_request_is_bounded_postgres() {
    evidence_per_request_is_bounded(common::Backend::Postgres).await;
}

/// APPI's grounds are the regime's data, per right: a refusal of a disclosure names one (here 33(2)(ii)),
/// the letter and the email cite its article and explain it, and never cite Art. 36 (the duty to explain)
/// as if it were the ground; the page offers only the right's own grounds.
async fn a_japanese_refusal_names_its_ground_and_article(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (id, _) = file(&app, "JP", "access", json!({"language": "ja"})).await;
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=ja")).await;
    assert!(
        page.body.contains("value=\"serious_business_hindrance\"")
            && !page.body.contains("value=\"content_accurate\""),
        "a disclosure's grounds only: {}",
        page.body
    );
    let v = officer.version(&id).await;
    let refuse = |ground: Option<&str>| {
        let mut data = json!({"reason": "調査中の不正利用事案に関わる記録が含まれるため"});
        if let Some(g) = ground {
            data["ground"] = json!(g);
        }
        officer.event(&id, "refuse", v, data)
    };
    let (status, body) = refuse(None).await;
    assert_eq!(
        (status, field_code(&body, "ground")),
        (422, Some("required")),
        "{body}"
    );
    let (status, body) = refuse(Some("content_accurate")).await;
    assert_eq!(
        (status, field_code(&body, "ground")),
        (422, Some("unknown_ground")),
        "a correction's ground does not refuse a disclosure: {body}"
    );
    let (status, body) = refuse(Some("serious_business_hindrance")).await;
    assert_eq!(status, 200, "{body}");
    let r = officer.request(&id).await;
    let notice = common::notice(&r, "refused");
    let letter = desk.get(notice["letter"].as_str().unwrap()).await;
    for words in [
        "当社の業務の適正な実施に著しい支障を及ぼすおそれがあるため（第33条第2項第2号）",
        "調査中の不正利用事案",
        "個人情報保護委員会",
    ] {
        assert!(
            letter.body.contains(words),
            "the letter lacks {words}: {}",
            letter.body
        );
    }
    assert!(!letter.body.contains("第36条"), "{}", letter.body);
    let mails = common::delivered_over_smtp(&app).await;
    let refusal = common::texts_to(&mails, "pat@example.com")
        .into_iter()
        .find(|t| t.contains("第33条第2項第2号"));
    assert!(refusal.is_some(), "the email cites the article too");
}
