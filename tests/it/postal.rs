//! The Japanese postal procedure (seed 004): letters registered by officers, on both backends.

use crate::common;

use common::{Api, Backend, Browser, TestApp, field_code, notice_kinds};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    a_letter_becomes_one_request_per_type_with_clocks_from_arrival,
    letters_by_fax_or_email_are_recorded_and_answered_not_accepted,
    bad_letters_are_refused_field_by_field,
    officers_register_letters_on_a_page,
    the_one_month_rule_decides_whether_identity_can_be_confirmed,
    a_card_no_longer_accepted_does_not_confirm_identity,
    a_rejected_document_keeps_its_reason_until_another_supersedes_it,
    an_agent_missing_the_seal_certificate_waits_with_the_clock_paused,
    scans_are_encrypted_viewed_with_an_audit_trail_and_purged,
    the_fee_is_invoiced_per_service_and_settled_by_payments,
    bank_statements_are_matched_imported_once_and_the_rest_assigned,
    a_zengin_statement_matches_kana_payers_and_explains_the_rest,
    letters_are_recorded_as_posted_once,
    letters_download_as_pdf_with_the_address_in_the_window,
    the_electronic_choice_changes_until_dispatch_and_an_impracticable_one_is_told,
    officers_record_and_import_payments_on_a_page,
    a_disclosure_is_paid_dispatched_and_closed_on_delivery,
    an_electronic_reply_is_downloaded_once_the_link_is_used_and_expires,
    corrections_keep_the_prior_value_and_deletions_need_no_fee,
    money_after_a_refusal_is_kept_for_refund_and_reopens_nothing,
    a_stale_document_asked_for_again_is_accepted_when_it_comes,
);

on_each_backend!(a_qualified_invoice_states_its_tax_and_registration_number);

pub(crate) async fn officer(app: &TestApp) -> Api {
    common::api(app, "desk@example.com", Role::Officer).await
}

/// An officer at the desk's pages (signed in with a browser session).
pub(crate) async fn desk(app: &TestApp) -> Browser {
    app.signed_in("page@example.com", Role::Officer).await
}

fn letter() -> Value {
    json!({
        "name": "山田 太郎", "postal_address": "〒100-0001 東京都千代田区千代田1-1",
        // The test clock is 2026-11-22 at the desk; the letter arrived three days earlier.
        "received_on": "2026-11-19", "request_date": "2026-11-17",
        "mail_class": "registered_with_delivery_certificate", "tracking_number": "１３１－１２－３８３８５－２",
        "requester_kind": "self", "request_types": ["access", "purpose_notification"],
        "services": ["GPUクラウド byGMO", "ConoHa"],
    })
}

async fn a_letter_becomes_one_request_per_type_with_clocks_from_arrival(app: TestApp) {
    let api = officer(&app).await;
    let (status, body) = api.post("/api/v1/postal-requests", &letter()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["channel_refused"], false);
    let requests = body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["request_type"], "access");
    assert_eq!(requests[1]["request_type"], "purpose_notification");
    for r in requests {
        assert!(
            r["receipt_number"]
                .as_str()
                .unwrap()
                .starts_with("KJ-20261119-"),
            "dated by arrival"
        );
        let d = api
            .get(&format!("/api/v1/requests/{}", r["id"].as_str().unwrap()))
            .await;
        assert_eq!(d["workflow"]["id"], "jp-postal");
        assert_eq!(d["channel"], "postal");
        let clock = &d["clocks"][0];
        assert_eq!(
            (clock["started_on"].as_str(), clock["due_on"].as_str()),
            (Some("2026-11-19"), Some("2026-12-03"))
        );
        let p = &d["postal"];
        assert_eq!(
            p["tracking_number"], "131-12-38385-2",
            "normalised from full-width digits and hyphens"
        );
        assert_eq!(p["mail_class"], "registered_with_delivery_certificate");
        assert_eq!(p["services"], json!(["GPUクラウド byGMO", "ConoHa"]));
        assert_eq!(p["requester_kind"], "self");
        assert_eq!(p["request_date"], "2026-11-17");
        assert_eq!(p["envelope_id"], body["envelope_id"]);
        assert_eq!(
            d["notices"][0]["channel"], "letter",
            "no email address: notices become letters"
        );
    }
    let audit = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 20).unwrap();
    let received: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "request.received")
        .collect();
    assert_eq!(received.len(), 2);
    assert!(
        received.iter().all(
            |e| e.actor_kind == "staff" && e.details.contains("\"received_on\":\"2026-11-19\"")
        )
    );
    assert!(
        received.iter().all(|e| !e.details.contains("千代田")),
        "no address in the audit log"
    );
}

async fn letters_by_fax_or_email_are_recorded_and_answered_not_accepted(app: TestApp) {
    let api = officer(&app).await;
    for class in ["fax", "email", "ordinary"] {
        let mut l = letter();
        l["mail_class"] = json!(class);
        l["tracking_number"] = json!("");
        l["request_types"] = json!(["correction"]);
        let (status, body) = api.post("/api/v1/postal-requests", &l).await;
        assert_eq!(status, 201, "{class}: {body}");
        assert_eq!(body["channel_refused"], true);
        let d = api
            .get(&format!(
                "/api/v1/requests/{}",
                body["requests"][0]["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(d["state"], "channel_not_accepted");
        assert_eq!(d["closed"], true);
        // Only the letter saying it cannot be accepted: never a receipt beside it.
        assert_eq!(notice_kinds(&d), vec!["channel_not_accepted"]);
        assert_eq!(d["postal"]["mail_class"], class);
    }
    // A request e-mailed with no postal address is recorded all the same, and answered by e-mail.
    let mut l = letter();
    l["mail_class"] = json!("email");
    l["tracking_number"] = json!("");
    l["postal_address"] = json!("");
    l["email"] = json!("taro@example.jp");
    let (status, body) = api.post("/api/v1/postal-requests", &l).await;
    assert_eq!(status, 201, "{body}");
    let d = api
        .request(body["requests"][0]["id"].as_str().unwrap())
        .await;
    let n = &d["notices"][0];
    assert_eq!(
        (n["kind"].as_str(), n["channel"].as_str()),
        (Some("channel_not_accepted"), Some("email"))
    );
    // Without an e-mail address to answer, a postal address is still needed.
    l["email"] = json!("");
    let (status, body) = api.post("/api/v1/postal-requests", &l).await;
    assert_eq!(
        (status, field_code(&body, "postal_address")),
        (422, Some("required"))
    );
}

async fn bad_letters_are_refused_field_by_field(app: TestApp) {
    let api = officer(&app).await;
    let before = (app.count("requests"), app.count("audit_events"));
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "tracking_number",
            json!("131-12-38385-3"),
            "tracking_number_check_digit",
        ),
        ("tracking_number", json!("131-12"), "tracking_number_length"),
        ("tracking_number", json!(""), "required"),
        ("received_on", json!("2026-11-23"), "date_in_future"),
        ("received_on", json!("19 Nov"), "invalid_date"),
        ("request_date", json!("2026-11-20"), "date_after_receipt"),
        ("mail_class", json!("pigeon"), "unknown_mail_class"),
        ("requester_kind", json!("agent"), "required"),
        ("name_kana", json!("山田"), "not_kana"),
        ("request_types", json!([]), "required"),
        ("request_types", json!(["portability"]), "not_offered_here"),
        ("services", json!([" "]), "required"),
        ("postal_address", json!(""), "required"),
    ];
    for (field, value, code) in cases {
        let mut l = letter();
        l[field] = value.clone();
        let (status, body) = api.post("/api/v1/postal-requests", &l).await;
        assert_eq!(status, 422, "{field}={value}: {body}");
        let fields = &body["error"]["fields"];
        let reported = if field == "requester_kind" {
            &fields["agent_name"]
        } else {
            &fields[field]
        };
        assert_eq!(reported[0]["code"], code, "{field}={value}: {body}");
    }
    assert_eq!((app.count("requests"), app.count("audit_events")), before);
}

async fn officers_register_letters_on_a_page(app: TestApp) {
    let desk = app.signed_in("o@example.com", Role::Officer).await;
    let form = desk.get("/staff/postal/new?lang=en").await;
    assert_eq!(form.status, 200);
    let fields = |tracking: &str| {
        vec![
            ("csrf_token", form.csrf()),
            ("received_on", "2026-11-21".into()),
            ("mail_class", "simple_registered".into()),
            ("tracking_number", tracking.into()),
            ("request_date", "2026-11-18".into()),
            ("request_types", "access".into()),
            ("request_types", "correction".into()),
            ("services", "GPUクラウド byGMO\nConoHa".into()),
            ("name", "山田 太郎".into()),
            (
                "postal_address",
                "〒100-0001\n東京都千代田区千代田1-1".into(),
            ),
            ("requester_kind", "agent".into()),
            ("agent_name", "山田 一郎".into()),
            ("agent_name_kana", "ヤマダ イチロウ".into()),
            ("agent_address", "〒150-0002 東京都渋谷区渋谷2-1".into()),
            ("name_kana", "ﾔﾏﾀﾞ ﾀﾛｳ".into()),
        ]
    };
    let bad = fields("131-12-38385-9");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = desk.post_form("/staff/postal?lang=en", &bad).await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of("tracking_number-error")
            .unwrap()
            .contains("not valid")
    );
    assert!(res.body.contains("value=\"131-12-38385-9\""), "input kept");
    assert!(
        res.body.contains("GPUクラウド byGMO\nConoHa"),
        "services kept"
    );
    assert!(
        res.body.contains("value=\"correction\" checked"),
        "choices kept"
    );
    assert_eq!(app.count("requests"), 0);

    let good = fields("131-12-38385-2");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = desk.post_form("/staff/postal?lang=en", &good).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.count("requests"), 2);
    let page = desk.get(res.location.as_deref().unwrap()).await;
    assert!(page.body.contains("id=\"postal\""));
    assert!(page.body.contains("131-12-38385-2"));
    assert!(
        page.body.contains(
            "An agent with a power of attorney: <span id=\"postal-agent\">山田 一郎</span>"
        )
    );
    assert_eq!(
        page.text_of("postal-agent-kana").unwrap(),
        "ヤマダ\u{3000}イチロウ"
    );
    assert_eq!(
        page.text_of("postal-name-kana").unwrap(),
        "ヤマダ\u{3000}タロウ"
    );
    assert_eq!(
        page.text_of("postal-agent-address").unwrap(),
        "〒150-0002 東京都渋谷区渋谷2-1"
    );
    assert!(page.body.contains("<span class=\"tag\">ConoHa</span>"));
    // The record's label names what the letter covers; "one per line" belongs to the form only.
    assert!(
        page.body.contains("<dt>Services (サービス) it covers</dt>")
            && !page
                .body
                .contains("<dt>Services (サービス) it covers, one per line</dt>")
    );
}

/// Registers a letter (one request type) and returns its request id.
pub(crate) async fn register(api: &Api, patch: Value) -> String {
    let mut l = letter();
    l["request_types"] = json!(["access"]);
    for (k, v) in patch.as_object().unwrap() {
        l[k] = v.clone();
    }
    let (status, body) = api.post("/api/v1/postal-requests", &l).await;
    assert_eq!(status, 201, "{body}");
    body["requests"][0]["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn fire(
    api: &Api,
    id: &str,
    event: &str,
    version: i64,
    reason: Option<&str>,
) -> (u16, Value) {
    let mut data = reason.map(|r| json!({"reason": r})).unwrap_or(json!({}));
    // A refusal names the law's ground (seeds/regimes/appi.toml).
    if event == "refuse" {
        data["ground"] = json!("identity_not_confirmed");
    }
    api.event(id, event, version, data).await
}

/// Fires `event` and checks that it went through.
pub(crate) async fn fire_ok(api: &Api, id: &str, event: &str, version: i64, reason: Option<&str>) {
    let (status, body) = fire(api, id, event, version, reason).await;
    assert_eq!(status, 200, "{event}: {body}");
}

async fn document(
    api: &Api,
    id: &str,
    version: i64,
    kind: &str,
    holder: &str,
    original: bool,
    created_on: &str,
) -> (u16, Value) {
    api.post(
        &format!("/api/v1/requests/{id}/documents"),
        &json!({"expected_version": version, "kind": kind, "holder": holder, "original": original, "created_on": created_on}),
    )
    .await
}

/// An officer rejects a document that cannot be accepted (illegible here): it stays on record with the
/// reason, the checklist stops counting it, the request for documents quotes the reason, and the
/// document sent in its place supersedes it.
async fn a_rejected_document_keeps_its_reason_until_another_supersedes_it(app: TestApp) {
    let api = officer(&app).await;
    let id = under_review(&api, json!({})).await;
    let (_, r) = document(&api, &id, 2, "juminhyo", "principal", true, "2026-11-10").await;
    let juminhyo = r["document_id"].as_str().unwrap().to_owned();
    let (_, r) = document(&api, &id, 3, "passport", "principal", false, "").await;
    assert_eq!(r["checklist"]["complete"], true);
    let reject = |doc: String, version: i64, reason: &'static str| {
        let api = &api;
        let id = id.clone();
        async move {
            api.post(
                &format!("/api/v1/requests/{id}/documents/{doc}/reject"),
                &json!({"reason": reason, "expected_version": version}),
            )
            .await
        }
    };
    let before = app.count("audit_events");
    let (status, body) = reject(juminhyo.clone(), 4, " ").await;
    assert_eq!(
        (status, field_code(&body, "reason")),
        (422, Some("required"))
    );
    assert_eq!(app.count("audit_events"), before, "nothing written");
    let (status, r) = reject(juminhyo.clone(), 4, "氏名が判読できません").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["checklist"]["complete"], false);
    assert_eq!(
        r["checklist"]["items"][0]["problem"],
        json!({"problem": "rejected", "reason": "氏名が判読できません"})
    );
    let (status, body) = reject(juminhyo.clone(), 5, "again").await;
    assert_eq!(
        (status, field_code(&body, "reason")),
        (422, Some("already_rejected"))
    );
    let (status, _) = fire(&api, &id, "confirm_identity", 5, None).await;
    assert_eq!(
        status, 422,
        "identity is not confirmed on a rejected document"
    );
    fire_ok(
        &api,
        &id,
        "request_documents",
        5,
        Some("住民票の写しが判読できません。"),
    )
    .await;
    let desk = desk(&app).await;
    let letter = letter_of(&desk, &api, &id, "documents_requested").await;
    assert_eq!(
        letter.all_text_of("letter-list").unwrap(),
        "ご本人の住民票の写し（お送りいただいた書類は、次の理由によりお受けできませんでした：氏名が判読できません）"
    );
    // The replacement supersedes it; the rejected one stays, with its reason.
    let (_, r) = document(&api, &id, 6, "juminhyo", "principal", true, "2026-11-20").await;
    assert_eq!(
        (
            r["checklist"]["complete"].as_bool(),
            r["checklist"]["fresh"].as_bool()
        ),
        (Some(true), Some(true)),
        "{r}"
    );
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(
        page.body.contains(&format!(
            "data-rejected=\"{juminhyo}\">rejected: 氏名が判読できません; send another"
        )),
        "{}",
        page.body
    );
    // From the page: the passport is another person's.
    let doc = r["checklist"]["items"][1]["document_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = [
        ("csrf_token", page.csrf()),
        ("expected_version", "7".to_owned()),
        ("reason", "別人の書類です".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = desk
        .post_form(
            &format!("/staff/requests/{id}/documents/{doc}/reject?lang=en"),
            &form,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let r = api.request(&id).await;
    assert!(!common::has_fact(&r, "documents_complete"), "{r}");
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "request.document_rejected")
            .count(),
        2
    );
}

/// The 2026 catalogue: a 健康保険証 served requests up to 2025-12-01; a letter of 2026 enclosing one
/// needs another card (the 資格確認書 that replaced it, say), and the desk's letter asks for one.
async fn a_card_no_longer_accepted_does_not_confirm_identity(app: TestApp) {
    let api = officer(&app).await;
    let id = under_review(&api, json!({})).await;
    document(&api, &id, 2, "juminhyo", "principal", true, "2026-11-10").await;
    let (_, r) = document(
        &api,
        &id,
        3,
        "health_insurance_card",
        "principal",
        false,
        "",
    )
    .await;
    assert_eq!(
        r["checklist"]["items"][1]["problem"],
        json!({"problem": "not_accepted", "from": null, "until": "2025-12-01"})
    );
    assert_eq!(r["checklist"]["complete"], false);
    let (status, _) = fire(&api, &id, "confirm_identity", 4, None).await;
    assert_eq!(status, 422, "identity is not confirmed on an expired card");
    let page = desk(&app)
        .await
        .get(&format!("/staff/requests/{id}?lang=en"))
        .await;
    assert!(
        page.body
            .contains("this kind is accepted only for requests up to 2025-12-01"),
        "{}",
        page.body
    );
    let (_, r) = document(
        &api,
        &id,
        4,
        "eligibility_certificate",
        "principal",
        false,
        "",
    )
    .await;
    assert_eq!(
        (
            r["checklist"]["complete"].as_bool(),
            r["checklist"]["fresh"].as_bool()
        ),
        (Some(true), Some(true))
    );
    fire_ok(&api, &id, "confirm_identity", 5, None).await;
}

async fn the_one_month_rule_decides_whether_identity_can_be_confirmed(app: TestApp) {
    let api = officer(&app).await;
    // The seed's example: a request dated 2026-03-31.
    let id = under_review(
        &api,
        json!({"received_on": "2026-04-02", "request_date": "2026-03-31"}),
    )
    .await;
    let (_, r) = document(&api, &id, 2, "juminhyo", "principal", true, "2026-02-27").await;
    assert_eq!(
        (
            r["checklist"]["complete"].as_bool(),
            r["checklist"]["fresh"].as_bool()
        ),
        (Some(false), Some(false))
    );
    let (_, r) = document(&api, &id, 3, "passport", "principal", false, "").await;
    let stale = &r["checklist"]["items"][0]["problem"];
    assert_eq!(stale["problem"], "stale");
    assert_eq!(
        (stale["created_on"].as_str(), stale["earliest"].as_str()),
        (Some("2026-02-27"), Some("2026-02-28"))
    );
    assert_eq!(r["checklist"]["complete"], true);
    assert_eq!(r["checklist"]["fresh"], false);
    let (status, body) = fire(&api, &id, "confirm_identity", 4, None).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "an identity document is older than the procedure allows"
    );
    // A 住民票 created on 2026-02-28 is within one month.
    let (_, r) = document(&api, &id, 4, "juminhyo", "principal", true, "2026-02-28").await;
    assert_eq!(
        (
            r["checklist"]["complete"].as_bool(),
            r["checklist"]["fresh"].as_bool()
        ),
        (Some(true), Some(true))
    );
    fire_ok(&api, &id, "confirm_identity", 5, None).await;
    // The officer's page shows the checklist in order.
    let desk = desk(&app).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert_eq!(
        page.text_of("checklist-status").unwrap(),
        "Complete, and every dated document is recent enough."
    );
    assert!(page.body.contains("Certified copy of the residence record"));
    // Unknown kinds and bad dates are refused field by field; nothing is written.
    let before = app.count("audit_events");
    let (status, body) = document(
        &api,
        &id,
        6,
        "library_card",
        "principal",
        false,
        "31/02/2026",
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(field_code(&body, "kind"), Some("unknown_document_kind"));
    assert_eq!(field_code(&body, "created_on"), Some("invalid_date"));
    assert_eq!(app.count("audit_events"), before);
}

async fn an_agent_missing_the_seal_certificate_waits_with_the_clock_paused(app: TestApp) {
    let api = officer(&app).await;
    let id = under_review(
        &api,
        json!({"requester_kind": "agent", "agent_name": "山田 一郎", "agent_address": "〒150-0002 東京都渋谷区渋谷2-1"}),
    )
    .await;
    let mut v = 2;
    for (kind, holder, original) in [
        ("juminhyo", "principal", true),
        ("power_of_attorney", "principal", true),
        ("drivers_license", "agent", false),
    ] {
        let (status, r) = document(&api, &id, v, kind, holder, original, "2026-11-10").await;
        assert_eq!(status, 200, "{r}");
        v = r["version"].as_i64().unwrap();
    }
    let get = || async { api.request(&id).await };
    let d = get().await;
    assert!(
        !common::allowed_events(&d).contains(&"confirm_identity"),
        "not offered while incomplete"
    );
    let (status, body) = fire(&api, &id, "confirm_identity", v, None).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (422, Some("identity documents are missing"))
    );
    fire_ok(
        &api,
        &id,
        "request_documents",
        v,
        Some("委任状に押印した印鑑の印鑑証明書（原本）が同封されていません。"),
    )
    .await;
    v += 1;
    let d = get().await;
    assert_eq!(d["state"], "awaiting_documents");
    assert_eq!(
        d["clocks"][0]["paused"], true,
        "the clock waits with the requester"
    );
    assert_eq!(
        d["notices"].as_array().unwrap().last().unwrap()["kind"],
        "documents_requested"
    );
    // The letter lists exactly what is missing, and why.
    let desk = desk(&app).await;
    let letter = letter_of(&desk, &api, &id, "documents_requested").await;
    assert_eq!(
        letter.all_text_of("letter-list").unwrap(),
        "ご本人の委任状に押印した印鑑の印鑑証明書（同封されていませんでした）"
    );
    assert!(letter.body.contains("回答期限の計算を停止しています"));
    // Written to the agent at the agent's address, naming the person (jp-postal: letters_to_agent).
    assert_eq!(
        letter.all_text_of("letter-to").unwrap(),
        "〒150-0002 東京都渋谷区渋谷2-1 山田 一郎 様 （山田 太郎 様の代理人として）"
    );
    app.clock.advance(chrono::TimeDelta::days(6));
    let (status, r) = document(
        &api,
        &id,
        v,
        "seal_certificate",
        "principal",
        true,
        "2026-11-25",
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["checklist"]["complete"], true);
    v = r["version"].as_i64().unwrap();
    fire_ok(&api, &id, "documents_received", v, None).await;
    assert_eq!(
        fire(&api, &id, "confirm_identity", v + 1, None).await.0,
        200,
        "continues"
    );
    let d = get().await;
    // Arrived 2026-11-19, 14 days, plus the 6 days spent waiting.
    assert_eq!(d["clocks"][0]["due_on"], "2026-12-09");
    assert_eq!(d["clocks"][0]["paused"], false);
}

async fn scans_are_encrypted_viewed_with_an_audit_trail_and_purged(app: TestApp) {
    let api = officer(&app).await;
    let id = register(&api, json!({})).await;
    let desk = desk(&app).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    let upload = |bytes: Vec<u8>, name: &'static str, token: String| {
        let form = common::multipart_form(&[("csrf_token", &token)], vec![("file", name, bytes)]);
        let (desk, path) = (&desk, format!("/staff/requests/{id}/scans?lang=en"));
        async move {
            let page = desk.post_multipart(&path, form).await;
            (page.status, page.body)
        }
    };
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nMY-SECRET-RESIDENCE-RECORD\n%%EOF"
        .to_vec();
    // Refused: a text file named .pdf (type judged by content), an empty file, an oversized one.
    let (status, body) = upload(b"just text, really".to_vec(), "scan.pdf", page.csrf()).await;
    assert_eq!(status, 422);
    assert!(body.contains("Only PDF, JPEG and PNG files are accepted"));
    let (status, body) = upload(Vec::new(), "empty.pdf", page.csrf()).await;
    assert_eq!(status, 422);
    assert!(body.contains("The file is empty."));
    let mut big = pdf.clone();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, body) = upload(big, "big.pdf", page.csrf()).await;
    assert_eq!(status, 422);
    assert!(body.contains("The file is larger than allowed."));
    assert_eq!(app.count("stored_files"), 0);
    // Accepted: stored encrypted.
    let (status, _) = upload(pdf.clone(), "scan.pdf", page.csrf()).await;
    assert_eq!(status, 303);
    let files =
        kaiji::db::documents::files_for_request(&mut app.tdb.conn(), &id.as_str().into()).unwrap();
    assert_eq!(files.len(), 1);
    let stored = kaiji::db::documents::find_file(
        &mut app.tdb.conn(),
        &id.as_str().into(),
        &files[0].id.as_str().into(),
    )
    .unwrap()
    .unwrap();
    assert!(
        !stored.ciphertext.windows(10).any(|w| w == b"MY-SECRET-"),
        "never stored in the clear"
    );
    // Staff open it; each opening is audited. Auditors and strangers cannot.
    let path = format!("/staff/requests/{id}/files/{}", files[0].id);
    let view = desk.get(&path).await;
    assert_eq!(view.status, 200);
    assert_eq!(view.headers["content-type"], "application/pdf");
    assert!(view.body.contains("MY-SECRET-RESIDENCE-RECORD"));
    // Its own narrow policy: sandboxed, and no page may frame it.
    let policy = view.headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.starts_with("sandbox;") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    let viewed = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        viewed.iter().filter(|e| e.action == "file.viewed").count(),
        1
    );
    assert_eq!(
        app.signed_in("aud@example.com", Role::Auditor)
            .await
            .get(&path)
            .await
            .status,
        403
    );
    assert_eq!(app.browser().get(&path).await.status, 303);
    // Closed, then past the retention period: the contents are erased, the erasure audited.
    fire_ok(&api, &id, "refer_to_transfer_agent", 1, None).await;
    let (db, clock) = (app.state.db.clone(), app.clock.clone());
    let purge = move |db: kaiji::db::Db, clock: kaiji::app::Clock| {
        tokio::task::spawn_blocking(move || kaiji::app::documents::purge(&db, &clock, 30).unwrap())
    };
    assert_eq!(
        purge(db.clone(), clock.clone()).await.unwrap(),
        0,
        "not yet"
    );
    app.clock.advance(chrono::TimeDelta::days(31));
    assert_eq!(purge(db.clone(), clock.clone()).await.unwrap(), 1);
    assert_eq!(purge(db, clock).await.unwrap(), 0, "once");
    // (A month later the desk signs in again: sessions last hours, not weeks.)
    let desk = app.signed_in("later@example.com", Role::Officer).await;
    let gone = desk.get(&path).await;
    assert_eq!(gone.status, 410);
    let stored = kaiji::db::documents::find_file(
        &mut app.tdb.conn(),
        &id.as_str().into(),
        &files[0].id.as_str().into(),
    )
    .unwrap()
    .unwrap();
    assert!(stored.ciphertext.is_empty() && stored.purged_at.is_some());
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.action == "file.purged").count(),
        1
    );
}

/// Registers a letter for disclosure, records fresh documents, confirms identity and issues the invoice.
/// Returns the request id, the invoice as the API shows it, and the request's version.
/// Records a fresh 住民票 and a passport for the requester and confirms identity: the request, under
/// review at version 2, is at version 5 afterwards.
pub(crate) async fn confirm_identity(api: &Api, id: &str) {
    for (version, kind, original, created_on) in [
        (2, "juminhyo", true, "2026-11-01"),
        (3, "passport", false, ""),
    ] {
        let (status, body) =
            document(api, id, version, kind, "principal", original, created_on).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(fire(api, id, "confirm_identity", 4, None).await.0, 200);
}

/// A letter registered with `patch` (see `register`) and under identity review: version 2.
pub(crate) async fn under_review(api: &Api, patch: Value) -> String {
    let id = register(api, patch).await;
    fire_ok(api, &id, "start_identity_review", 1, None).await;
    id
}

/// A letter registered with `patch` (see `register`), under review and with identity confirmed: version 5.
async fn confirmed_letter(api: &Api, patch: Value) -> String {
    let id = under_review(api, patch).await;
    confirm_identity(api, &id).await;
    id
}

async fn invoiced(api: &Api, patch: Value) -> (String, Value, i64) {
    let id = confirmed_letter(api, patch).await;
    fire_ok(api, &id, "issue_invoice", 5, None).await;
    // The data systems answer meanwhile.
    close_tasks(api, &id, None).await;
    let r = api.request(&id).await;
    assert_eq!(r["state"], "awaiting_payment");
    (id, r["invoices"][0].clone(), r["version"].as_i64().unwrap())
}

/// Closes the request's open data-system tasks as their owners would (an export, or erasure; `retain`
/// keeps one system's data on a ground). Returns the request's version afterwards.
async fn close_tasks(api: &Api, id: &str, retain: Option<(&str, &str)>) -> i64 {
    let r = api.request(id).await;
    for t in r["tasks"].as_array().unwrap() {
        if t["status"] != "open" {
            continue;
        }
        let body = match (t["kind"].as_str(), retain) {
            (Some("export"), _) => {
                json!({"outcome": "exported", "export": "item,value\nname,山田 太郎\n"})
            }
            (_, Some((system, ground))) if t["system"] == system => {
                json!({"outcome": "retained", "legal_ground": ground})
            }
            (Some("rectify"), _) if t["system"] == "Customer accounts" => {
                json!({"outcome": "rectified", "corrections": [{"item": "住所",
                       "prior_value": "東京都千代田区千代田1-1", "new_value": "東京都港区芝公園4-2-8"}]})
            }
            (Some("erase"), _) => json!({"outcome": "erased"}),
            _ => json!({"outcome": "no_data"}),
        };
        let (status, body) = api
            .post(
                &format!("/api/v1/requests/{id}/tasks/{}", t["id"].as_str().unwrap()),
                &body,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let r = api.request(id).await;
    assert!(common::has_fact(&r, "tasks_done"));
    r["version"].as_i64().unwrap()
}

async fn the_fee_is_invoiced_per_service_and_settled_by_payments(app: TestApp) {
    let api = officer(&app).await;
    // The letter names two services: ¥5,400 each, tax included.
    let (id, invoice, version) = invoiced(&api, json!({})).await;
    assert_eq!(invoice["unit_yen"], 5400);
    assert_eq!(invoice["services"], 2);
    assert_eq!(invoice["amount_yen"], 10800);
    assert_eq!(invoice["status"], "unpaid");
    assert_eq!(invoice["issued_on"], "2026-11-22");
    let number = invoice["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("INV-KJ-20261119-"), "{number}");
    let r = api.request(&id).await;
    assert!(notice_kinds(&r).contains(&"invoice".to_owned()));
    // Not paid: confirming payment is refused.
    let (status, body) = fire(&api, &id, "confirm_payment", version, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("guard_failed"))
    );

    // The transfer charge was deducted: ¥440 short. The requester is told.
    let pay = |amount: Value| {
        json!({"invoice": number, "paid_on": "2026-11-24", "amount_yen": amount,
               "payer_name": "ヤマダ タロウ", "reference": "振込"})
    };
    let (status, s) = api.post("/api/v1/payments", &pay(json!("10,360"))).await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(
        (s["paid"].as_bool(), s["shortfall_yen"].as_i64()),
        (Some(false), Some(440))
    );
    let r = api.request(&id).await;
    assert_eq!(
        r["version"].as_i64(),
        Some(version),
        "a short payment changes no state"
    );
    assert_eq!(r["invoices"][0]["shortfall_yen"], 440);
    assert!(notice_kinds(&r).contains(&"payment_short".to_owned()));
    assert!(!common::has_fact(&r, "fee_paid"));

    // Bad payments are refused field by field and write nothing.
    let before = (app.count("payments"), app.count("audit_events"));
    let (status, body) = api
        .post(
            "/api/v1/payments",
            &json!({"invoice": "INV-nothing", "paid_on": "2026-02-30", "amount_yen": "1.5", "payer_name": " "}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    for field in ["paid_on", "amount_yen", "payer_name"] {
        assert!(body["error"]["fields"][field].is_array(), "{field}: {body}");
    }
    let (status, body) = api.post("/api/v1/payments", &json!({"invoice": "INV-nothing", "paid_on": "2026-11-24", "amount_yen": 100, "payer_name": "X"})).await;
    assert_eq!(status, 422);
    assert_eq!(field_code(&body, "invoice"), Some("unknown_invoice"));
    let (status, _) = api.post("/api/v1/payments", &pay(json!(-5))).await;
    assert_eq!(status, 422);
    assert_eq!((app.count("payments"), app.count("audit_events")), before);

    // The rest arrives, ¥560 too much: the fee is paid and the overpayment shown for refund.
    let (status, s) = api.post("/api/v1/payments", &pay(json!(1000))).await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(
        (s["paid"].as_bool(), s["overpaid_yen"].as_i64()),
        (Some(true), Some(560))
    );
    let r = api.request(&id).await;
    assert_eq!(r["version"].as_i64(), Some(version + 1));
    assert!(common::has_fact(&r, "fee_paid"));
    let inv = &r["invoices"][0];
    assert_eq!(
        (
            inv["status"].as_str(),
            inv["paid_yen"].as_i64(),
            inv["overpaid_yen"].as_i64()
        ),
        (Some("paid"), Some(11360), Some(560))
    );
    assert_eq!(inv["payments"].as_array().unwrap().len(), 2);
    fire_ok(&api, &id, "confirm_payment", version + 1, None).await;
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "invoice.issued").count(),
        1
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "payment.recorded").count(),
        2
    );
    assert!(
        audit
            .iter()
            .any(|e| e.details.contains("\"shortfall_yen\":440"))
    );

    // The officer's page shows the invoice and its balance.
    let desk = desk(&app).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    let line = page.all_text_of(&format!("invoice-{number}")).unwrap();
    assert!(line.contains("¥5,400 × 2 = ¥10,800"), "{line}");
    assert!(line.contains("Paid ¥11,360 of ¥10,800"), "{line}");
    assert!(line.contains("overpaid, refund ¥560"), "{line}");

    // A single-service letter costs ¥5,400; requests without a fee are not invoiced.
    let (_, invoice, _) = invoiced(
        &api,
        json!({"services": ["ConoHa"], "tracking_number": "131-12-38386-3"}),
    )
    .await;
    assert_eq!(invoice["amount_yen"], 5400);
    let id = confirmed_letter(
        &api,
        json!({"request_types": ["correction"], "tracking_number": "131-12-38387-4"}),
    )
    .await;
    let (status, body) = fire(&api, &id, "issue_invoice", 5, None).await;
    assert_eq!(status, 422, "{body}");
}

async fn bank_statements_are_matched_imported_once_and_the_rest_assigned(app: TestApp) {
    let api = officer(&app).await;
    let one = json!(["ConoHa"]);
    let (a, inv_a, _) = invoiced(&api, json!({"services": one, "name": "山田 太郎"})).await;
    let (b, _, _) = invoiced(
        &api,
        json!({"services": one, "name": "スズキ ハナコ", "tracking_number": "131-12-38386-3"}),
    )
    .await;
    let (c, inv_c, _) = invoiced(
        &api,
        json!({"services": one, "name": "佐藤 一郎", "tracking_number": "131-12-38387-4"}),
    )
    .await;
    let number_a = inv_a["number"].as_str().unwrap();
    // Line 2 carries A's invoice number; line 3 is B by name (half-width kana) and amount; line 4 nobody
    // can tell; line 5 is unreadable.
    let csv = format!(
        "日付,金額,振込依頼人,摘要\n\
         2026/11/24,\"5,400\",ﾔﾏﾀﾞ ﾀﾛｳ,{number_a}\n\
         2026-11-24,5400,ｽｽﾞｷ ﾊﾅｺ,\n\
         2026-11-25,5400,ｻﾄｳ ｲﾁﾛｳ (ｶｲｼｬ),\n\
         yesterday,5400,ﾀﾅｶ,\n"
    );
    let before = app.count("payments");
    let (status, report) = api
        .post_raw("/api/v1/payments/import", "text/csv", csv.as_bytes())
        .await;
    assert_eq!(status, 200, "{report}");
    let matched: Vec<(i64, &str)> = report["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m[0].as_i64().unwrap(), m[2].as_str().unwrap()))
        .collect();
    assert_eq!(matched, [(2, "invoice_number"), (3, "payer_and_amount")]);
    assert_eq!(report["unmatched"], json!([4]));
    assert_eq!(report["problems"][0]["line"], 5);
    assert_eq!(app.count("payments"), before + 3);
    for id in [&a, &b] {
        let r = api.request(id).await;
        assert!(common::has_fact(&r, "fee_paid"), "{id}");
        assert!(common::allowed_events(&r).contains(&"confirm_payment"));
    }
    // The same statement again records nothing twice.
    let (status, again) = api
        .post_raw("/api/v1/payments/import", "text/csv", csv.as_bytes())
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["duplicates"], json!([2, 3, 4]));
    assert_eq!(again["matched"], json!([]));
    assert_eq!(app.count("payments"), before + 3);

    // The officer recognises line 4 as C's and assigns it.
    let unmatched = api.get("/api/v1/payments/unmatched").await;
    assert_eq!(unmatched.as_array().unwrap().len(), 1);
    let pid = unmatched[0]["id"].as_str().unwrap();
    let (status, s) = api
        .post(
            &format!("/api/v1/payments/{pid}/assign"),
            &json!({"invoice": inv_c["number"]}),
        )
        .await;
    assert_eq!((status, s["paid"].as_bool()), (200, Some(true)), "{s}");
    let r = api.get(&format!("/api/v1/requests/{c}")).await;
    assert!(common::has_fact(&r, "fee_paid"));
    assert_eq!(r["invoices"][0]["payments"][0]["matched_by"], "officer");
    let (status, body) = api
        .post(
            &format!("/api/v1/payments/{pid}/assign"),
            &json!({"invoice": number_a}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("payment_already_matched"))
    );
    assert!(
        api.get("/api/v1/payments/unmatched")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A file that is not a statement is refused whole.
    let before = (app.count("payments"), app.count("audit_events"));
    let (status, body) = api
        .post_raw(
            "/api/v1/payments/import",
            "text/csv",
            "name,colour\nx,blue\n".as_bytes(),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    assert_eq!(field_code(&body, "file"), Some("bad_statement"));
    assert_eq!((app.count("payments"), app.count("audit_events")), before);
    // Auditors may not record payments.
    let auditor = app.signed_in("aud@example.com", Role::Auditor).await;
    assert_eq!(auditor.get("/staff/payments").await.status, 403);
}

async fn a_zengin_statement_matches_kana_payers_and_explains_the_rest(app: TestApp) {
    let api = officer(&app).await;
    let one = json!(["ConoHa"]);
    let (a, _, _) = invoiced(
        &api,
        json!({"services": one, "name": "佐藤 祥子", "name_kana": "さとう しょうこ"}),
    )
    .await;
    let (b, inv_b, _) = invoiced(
        &api,
        json!({"services": one, "name": "山田 太郎", "tracking_number": "131-12-38386-3"}),
    )
    .await;
    let (_, inv_c, _) = invoiced(
        &api,
        json!({"services": one, "name": "鈴木 花子", "name_kana": "スズキ ハナコ", "tracking_number": "131-12-38387-4"}),
    )
    .await;
    let digits: String = inv_b["number"]
        .as_str()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    // The bank prints the small kana of ショウコ large; B typed the invoice's digits before the name;
    // C's bank deducted its charge; nobody knows ﾀﾅｶ; the last transfer was cancelled.
    let b_payer = format!("{digits}ﾔﾏﾀﾞ ﾀﾛｳ");
    let file = common::zengin_transfer_notice(&[
        ("081124", 5_400, "ｻﾄｳ ｼﾖｳｺ", false),
        ("081124", 5_400, &b_payer, false),
        ("081125", 4_960, "ｽｽﾞｷ ﾊﾅｺ", false),
        ("081125", 5_400, "ﾀﾅｶ", false),
        ("081125", 5_400, "ﾀﾅｶ", true),
    ]);
    assert!(std::str::from_utf8(&file).is_err(), "really Shift_JIS");
    let (status, report) = api
        .post_raw("/api/v1/payments/import", "application/octet-stream", &file)
        .await;
    assert_eq!(status, 200, "{report}");
    let matched: Vec<(i64, &str)> = report["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m[0].as_i64().unwrap(), m[2].as_str().unwrap()))
        .collect();
    assert_eq!(matched, [(2, "payer_and_amount"), (3, "invoice_number")]);
    assert_eq!(report["unmatched"], json!([4, 5]));
    assert!(
        report["problems"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("cancelled"),
        "{report}"
    );
    let reasons: Vec<&str> = report["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "name_and_amount",
            "invoice_number",
            "name_not_amount",
            "nothing"
        ]
    );
    for id in [&a, &b] {
        let r = api.request(id).await;
        assert!(common::has_fact(&r, "fee_paid"), "{id}");
    }
    let r = api.request(&a).await;
    assert_eq!(
        r["invoices"][0]["payments"][0]["match_reason"],
        json!({"reason": "name_and_amount", "number": r["invoices"][0]["number"], "name": "requester_kana"})
    );
    assert_eq!(r["postal"]["name_kana"], "サトウ\u{3000}ショウコ");

    // What is left tells the officer why, on the API and on the page.
    let unmatched = api.get("/api/v1/payments/unmatched").await;
    assert_eq!(
        unmatched[0]["why"],
        json!({"reason": "name_not_amount", "number": inv_c["number"], "outstanding_yen": 5400})
    );
    let desk = desk(&app).await;
    let req = desk.get(&format!("/staff/requests/{a}?lang=en")).await;
    assert!(
        req.body
            .contains("The payer&#39;s name is the requester&#39;s name in kana (フリガナ) and the amount is exactly what"),
        "the match explains itself on the request: {}",
        req.body
    );
    let page = desk.get("/staff/payments?lang=ja").await;
    // The day paid is picked from a calendar, the amount typed on the digit keypad.
    assert!(page.body.contains(r#"name="paid_on" value="" type="date""#));
    assert!(
        page.body
            .contains(r#"name="amount_yen" value="" inputmode="numeric""#)
    );
    assert!(
        page.body.contains(&format!(
            "振込依頼人名は {} と一致しますが、請求残高は 5,400円",
            inv_c["number"].as_str().unwrap()
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("いずれもこの振込に見当たりません"));

    // Imported again: nothing twice.
    let (status, again) = api
        .post_raw("/api/v1/payments/import", "application/octet-stream", &file)
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["duplicates"], json!([2, 3, 4, 5]));
}

async fn officers_record_and_import_payments_on_a_page(app: TestApp) {
    let api = officer(&app).await;
    let (id, invoice, _) = invoiced(&api, json!({"services": ["ConoHa"]})).await;
    let number = invoice["number"].as_str().unwrap();
    let desk = desk(&app).await;
    let page = desk.get("/staff/payments?lang=en").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    // A mistyped amount: the form comes back with the message and what was typed.
    let bad = desk
        .post_form(
            "/staff/payments?lang=en",
            &[
                ("csrf_token", &csrf),
                ("invoice", number),
                ("paid_on", "2026-11-24"),
                ("amount_yen", "5,4OO"),
                ("payer_name", "ヤマダ タロウ"),
                ("reference", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text_of("amount_yen-error").is_some(), "{}", bad.body);
    assert!(bad.body.contains("value=\"5,4OO\"") && bad.body.contains("value=\"ヤマダ タロウ\""));
    assert_eq!(app.count("payments"), 0);
    // Without the CSRF token nothing is recorded.
    let forged = desk
        .post_form(
            "/staff/payments",
            &[
                ("invoice", number),
                ("paid_on", "2026-11-24"),
                ("amount_yen", "5400"),
                ("payer_name", "X"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.count("payments"), 0);
    let ok = desk
        .post_form(
            "/staff/payments?lang=en",
            &[
                ("csrf_token", &csrf),
                ("invoice", number),
                ("paid_on", "2026-11-24"),
                ("amount_yen", "¥5,400"),
                ("payer_name", "ヤマダ タロウ"),
                ("reference", ""),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "redirected back: {}", ok.body);
    let r = api.request(&id).await;
    assert!(common::has_fact(&r, "fee_paid"));

    // A statement uploaded on the page: the report lists each line.
    let csv = "date,amount,payer_name,reference\n2026-11-25,3000,ﾀﾅｶ ｼﾞﾛｳ,\n";
    let form = common::multipart_form(
        &[("csrf_token", &csrf)],
        vec![("file", "statement.csv", csv.as_bytes().to_vec())],
    );
    let res = desk
        .post_multipart("/staff/payments/import?lang=en", form)
        .await;
    assert_eq!(res.status, 200);
    let body = res.body;
    assert!(
        body.contains("Line 2: no invoice matched; waiting below"),
        "{body}"
    );
    assert!(body.contains("ﾀﾅｶ ｼﾞﾛｳ") && body.contains("¥3,000"));
}

/// With the company's registration number set, the invoice is a qualified invoice (適格請求書): it states
/// the rate of its day (10%, seeds/places/jp.toml) and the tax the ¥10,800 contains, rounded once (¥981,
/// not 2 × ¥490), on the letter, the request page and the API.
async fn a_qualified_invoice_states_its_tax_and_registration_number(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.intake.invoice_registration_number = Some("T1234567890123".into());
    })
    .await
    else {
        return;
    };
    let api = officer(&app).await;
    let (id, invoice, _) = invoiced(&api, json!({})).await;
    assert_eq!(
        (
            invoice["amount_yen"].as_i64(),
            invoice["tax_rate_percent"].as_i64(),
            invoice["tax_yen"].as_i64(),
            invoice["registration_number"].as_str()
        ),
        (Some(10_800), Some(10), Some(981), Some("T1234567890123"))
    );
    let desk = desk(&app).await;
    let letter = letter_of(&desk, &api, &id, "invoice").await;
    for text in [
        "<th>適用税率・消費税額</th><td>10%対象 10,800円（うち消費税等 981円）</td>",
        "<th>登録番号（適格請求書発行事業者）</th><td>T1234567890123</td>",
        "<th>振込時にご入力いただく番号</th>",
    ] {
        assert!(letter.body.contains(text), "{text}: {}", letter.body);
    }
    // The invoice keeps what it was issued with.
    let page = desk.get(&format!("/staff/requests/{id}?lang=ja")).await;
    assert!(page.body.contains("T1234567890123"), "{}", page.body);
}

/// Each printed letter is recorded as posted, once: the day (not before it was printed, not after
/// today), the mail class and, for registered mail, Japan Post's tracking number; audited and shown.
async fn letters_are_recorded_as_posted_once(app: TestApp) {
    let api = officer(&app).await;
    let (id, _, _) = invoiced(&api, json!({})).await;
    let r = api.request(&id).await;
    let notice = |kind: &str| {
        r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == kind && n["channel"] == "letter")
            .unwrap_or_else(|| panic!("no {kind} letter: {}", r["notices"]))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let received = notice("received");
    let path = format!("/api/v1/requests/{id}/letters/{received}/posted");
    for (body, field, code) in [
        (
            json!({"posted_on": "2026-11-23", "mail_class": "ordinary"}),
            "posted_on",
            "date_in_future",
        ),
        (
            json!({"posted_on": "2026-11-01", "mail_class": "ordinary"}),
            "posted_on",
            "before_the_letter",
        ),
        (
            json!({"posted_on": "2026-11-22", "mail_class": "simple_registered"}),
            "tracking_number",
            "required",
        ),
        (
            json!({"posted_on": "2026-11-22", "mail_class": "fax"}),
            "mail_class",
            "unknown_mail_class",
        ),
    ] {
        let (status, b) = api.post(&path, &body).await;
        assert_eq!(
            (status, field_code(&b, field)),
            (422, Some(code)),
            "{body}: {b}"
        );
    }
    let (status, posted) = api
        .post(
            &path,
            &json!({"posted_on": "2026-11-22", "mail_class": "simple_registered", "tracking_number": "131-12-38385-2"}),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    assert_eq!(posted["tracking_number"], "131-12-38385-2");
    let (status, again) = api
        .post(
            &path,
            &json!({"posted_on": "2026-11-22", "mail_class": "ordinary"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&again, "posted_on")),
        (422, Some("already_posted"))
    );
    let r = api.request(&id).await;
    let line = r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == received.as_str())
        .unwrap();
    assert_eq!(
        (
            line["status"].as_str(),
            line["posted"]["mail_class"].as_str()
        ),
        (Some("sent"), Some("simple_registered"))
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "letter.posted" && e.details.contains("13112383852")),
        "{audit:?}"
    );

    // On the page: a mistyped tracking number comes back with what was typed; then it is recorded.
    let invoice = notice("invoice");
    let desk = desk(&app).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=ja")).await;
    assert!(page.body.contains(&format!("data-posting=\"{invoice}\"")));
    let form = |tracking: &'static str| {
        vec![
            ("csrf_token", page.csrf()),
            ("posted_on", "2026-11-22".to_owned()),
            (
                "mail_class",
                "registered_with_delivery_certificate".to_owned(),
            ),
            ("tracking_number", tracking.to_owned()),
        ]
    };
    let action = format!("/staff/requests/{id}/letters/{invoice}/posted?lang=ja");
    let bad = form("131-12-38385-9");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = desk.post_form(&action, &bad).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("value=\"131-12-38385-9\""), "input kept");
    assert!(
        res.body
            .contains("registered_with_delivery_certificate\" selected")
    );
    let good = form("131-12-38385-2");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = desk.post_form(&action, &good).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = desk.get(&format!("/staff/requests/{id}?lang=ja")).await;
    assert!(
        page.body.contains(&format!(
            "data-posted=\"{invoice}\">発送済み 2026-11-22 · 配達証明付書留郵便 · 131-12-38385-2"
        )),
        "{}",
        page.body
    );
}

/// A letter as an A4 PDF: the font embedded as a subset (no system font needed), the text extractable,
/// the addressee block inside the envelope window (長形3号: 23 mm from the left, 13 mm from the top,
/// 90 × 45 mm), read back with poppler's `pdftotext -bbox`.
async fn letters_download_as_pdf_with_the_address_in_the_window(app: TestApp) {
    let api = officer(&app).await;
    let id = register(
        &api,
        json!({"requester_kind": "legal_agent", "agent_name": "山田 一郎",
               "agent_address": "〒150-0002 東京都渋谷区渋谷二丁目21番1号 渋谷ヒカリエ 34階 山田法律事務所気付"}),
    )
    .await;
    let r = api.request(&id).await;
    let notice = r["notices"][0]["id"].as_str().unwrap();
    let desk = desk(&app).await;
    let res = desk
        .get(&format!("/staff/requests/{id}/letters/{notice}/pdf"))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.headers["content-type"], "application/pdf");
    assert!(
        res.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"letter-KJ-")
    );
    let pdf = res.raw;
    assert!(pdf.starts_with(b"%PDF-"));
    if let Ok(dir) = std::env::var("KAIJI_SCREENSHOTS") {
        std::fs::write(format!("{dir}/letter-received.pdf"), &pdf).unwrap();
    }
    let Some(fonts) = common::poppler("pdffonts", &[], &pdf) else {
        return;
    };
    let ipa = fonts
        .lines()
        .find(|l| l.contains("IPAexGothic"))
        .unwrap_or_else(|| panic!("{fonts}"));
    let cols: Vec<&str> = ipa.split_whitespace().collect();
    // name type encoding emb sub uni object ID: embedded, a subset, with a Unicode map.
    assert!(cols[0].contains('+'), "a subset's tagged name: {ipa}");
    assert_eq!(
        &cols[cols.len() - 5..cols.len() - 2],
        ["yes", "yes", "yes"],
        "{ipa}"
    );
    let text = common::poppler("pdftotext", &["-layout"], &pdf).unwrap();
    for expected in [
        "ご請求の受付について",
        "山田 一郎",
        "山田 太郎",
        "法定代理人",
        "受付番号",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    // Every word of the addressee block lies inside the window.
    let bbox = common::poppler("pdftotext", &["-bbox"], &pdf).unwrap();
    let pt = |v: f64| v * 72.0 / 25.4;
    let (left, top, right, bottom) = (pt(23.0), pt(13.0), pt(23.0 + 90.0), pt(13.0 + 45.0));
    let mut inside = 0;
    for line in bbox.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let attr = |name: &str| -> f64 {
            let at = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            line[at..].split('"').next().unwrap().parse().unwrap()
        };
        let word = line
            .rsplit_once("\">")
            .unwrap()
            .1
            .trim_end_matches("</word>");
        // Words only the addressee block has (the sender's address is in Shibuya too).
        let addressee = [
            "〒150-0002",
            "渋谷二丁目",
            "34階",
            "山田法律事務所気付",
            "一郎",
            "太郎",
        ]
        .iter()
        .any(|w| word.contains(w));
        if addressee {
            inside += 1;
            assert!(
                attr("xMin") >= left
                    && attr("xMax") <= right
                    && attr("yMin") >= top
                    && attr("yMax") <= bottom,
                "{word} at ({}, {})–({}, {}) is outside the window ({left}, {top})–({right}, {bottom})",
                attr("xMin"),
                attr("yMin"),
                attr("xMax"),
                attr("yMax")
            );
        }
    }
    assert!(inside >= 4, "the addressee block was read back: {bbox}");
}

/// The requester's choice of electronic disclosure is theirs to change until the reply goes out; when the
/// desk cannot disclose electronically, it discloses in writing and tells them why (APPI Art. 33(3)).
async fn the_electronic_choice_changes_until_dispatch_and_an_impracticable_one_is_told(
    app: TestApp,
) {
    let api = officer(&app).await;
    let id = register(&api, json!({})).await;
    let electronic = |r: &Value| common::has_fact(r, "electronic_delivery");
    let (status, _) = fire(&api, &id, "choose_postal_delivery", 1, None).await;
    assert_eq!(status, 422, "nothing to change back from");
    fire_ok(&api, &id, "choose_electronic_delivery", 1, None).await;
    assert!(electronic(&api.request(&id).await));
    fire_ok(&api, &id, "choose_postal_delivery", 2, None).await;
    assert!(!electronic(&api.request(&id).await));
    fire_ok(&api, &id, "choose_electronic_delivery", 3, None).await;
    let (status, _) = fire(&api, &id, "electronic_impracticable", 4, None).await;
    assert_eq!(status, 422, "the requester is told why");
    fire_ok(
        &api,
        &id,
        "electronic_impracticable",
        4,
        Some("記録が紙媒体のみで保存されているため"),
    )
    .await;
    let r = api.request(&id).await;
    assert!(!electronic(&r));
    let desk = desk(&app).await;
    let letter = letter_of(&desk, &api, &id, "delivery_method_changed").await;
    assert!(letter.body.contains(
        "個人情報保護法第33条第2項の定めにより、書面（配達証明付書留郵便）の交付により開示いたします（同条第3項に基づくご通知）"
    ));
    assert!(letter.body.contains("記録が紙媒体のみで保存されているため"));
}

/// The letter printed for the request's notice of this kind.
pub(crate) async fn letter_of(desk: &Browser, api: &Api, id: &str, kind: &str) -> common::Page {
    let r = api.request(id).await;
    let n = common::latest_notice(&r, kind);
    let page = desk.get(n["letter"].as_str().unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

/// The issue's walk: a person writes by registered mail with fresh documents about two services, is
/// invoiced ¥10,800, pays short (the transfer charge), then the rest; the reply goes by 配達証明付書留 and
/// the delivery certificate closes the request. Every notice has its printed letter.
async fn a_disclosure_is_paid_dispatched_and_closed_on_delivery(app: TestApp) {
    let api = officer(&app).await;
    let (id, invoice, v) = invoiced(&api, json!({})).await;
    assert_eq!(invoice["amount_yen"], 10800);
    let number = invoice["number"].as_str().unwrap().to_owned();
    let pay = |amount: i64| json!({"invoice": number, "paid_on": "2026-11-22", "amount_yen": amount, "payer_name": "ヤマダ タロウ"});
    let (_, s) = api.post("/api/v1/payments", &pay(10_360)).await;
    assert_eq!(s["shortfall_yen"], 440);
    let (_, s) = api.post("/api/v1/payments", &pay(440)).await;
    assert_eq!(
        (s["paid"].as_bool(), s["overpaid_yen"].as_i64()),
        (Some(true), Some(0))
    );
    assert_eq!(fire(&api, &id, "confirm_payment", v + 1, None).await.0, 200);
    let v = v + 2;

    // Three days later the reply is posted. A mistyped tracking number or a date to come is refused
    // field by field, and nothing is written.
    app.clock.advance(chrono::TimeDelta::days(3));
    let before = (
        app.count("audit_events"),
        app.count("notices"),
        app.count("reply_dispatches"),
    );
    let (status, body) = api
        .event(
            &id,
            "dispatch_reply",
            v,
            json!({"tracking_number": "131-12-38385-3", "dispatched_on": "2026-11-26"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("validation_failed")),
        "{body}"
    );
    assert_eq!(
        field_code(&body, "tracking_number"),
        Some("tracking_number_check_digit")
    );
    assert_eq!(field_code(&body, "dispatched_on"), Some("date_in_future"));
    let (status, _) = fire(&api, &id, "dispatch_reply", v, None).await;
    assert_eq!(status, 422, "the tracking number and date are required");
    assert_eq!(
        (
            app.count("audit_events"),
            app.count("notices"),
            app.count("reply_dispatches")
        ),
        before
    );
    let (status, body) = api
        .event(
            &id,
            "dispatch_reply",
            v,
            json!({"tracking_number": "１３１１－２３８３－８６３", "dispatched_on": "2026-11-25"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = api.request(&id).await;
    assert_eq!(r["state"], "reply_dispatched");
    assert_eq!(r["reply"]["dispatch"]["tracking_number"], "131-12-38386-3");
    assert_eq!(r["reply"]["dispatch"]["dispatched_on"], "2026-11-25");
    assert_eq!(
        r["clocks"][0]["stopped_on"], "2026-11-25",
        "the reply stops the clock"
    );

    // The delivery certificate: not before the dispatch; its date closes the request.
    let (status, body) = api
        .event(
            &id,
            "confirm_delivery",
            v + 1,
            json!({"delivered_on": "2026-11-24"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "delivered_on")),
        (422, Some("before_dispatch"))
    );
    let (status, body) = api
        .event(
            &id,
            "confirm_delivery",
            v + 1,
            json!({"delivered_on": "2026-11-25"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = api.request(&id).await;
    assert_eq!(
        (r["state"].as_str(), r["closed"].as_bool()),
        (Some("closed"), Some(true))
    );
    assert_eq!(r["reply"]["dispatch"]["delivered_on"], "2026-11-25");

    // Every notice went out as a letter (no email address) and prints as one, dated the day it was queued.
    assert_eq!(
        notice_kinds(&r),
        [
            "received",
            "invoice",
            "payment_short",
            "payment_received",
            "answer_dispatched"
        ]
    );
    let desk = desk(&app).await;
    let received = letter_of(&desk, &api, &id, "received").await;
    assert_eq!(
        received.text_of("letter-date").as_deref(),
        Some("2026年11月22日")
    );
    assert_eq!(
        received.text_of("letter-title").as_deref(),
        Some("ご請求の受付について")
    );
    assert!(
        received
            .all_text_of("letter-to")
            .unwrap()
            .contains("山田 太郎 様")
    );
    let inv = letter_of(&desk, &api, &id, "invoice").await;
    let rows = inv.all_text_of("letter-rows").unwrap();
    assert!(rows.contains("10,800円（5,400円 × 2サービス）"), "{rows}");
    assert!(rows.contains("2026年12月6日"), "due in 14 days: {rows}");
    assert!(
        rows.contains("みずほ銀行"),
        "the account to pay into: {rows}"
    );
    let short = letter_of(&desk, &api, &id, "payment_short").await;
    assert!(
        short
            .all_text_of("letter-rows")
            .unwrap()
            .contains("不足額 440円")
    );
    let sent = letter_of(&desk, &api, &id, "answer_dispatched").await;
    assert_eq!(
        sent.text_of("letter-date").as_deref(),
        Some("2026年11月25日")
    );
    let rows = sent.all_text_of("letter-rows").unwrap();
    assert!(
        rows.contains("131-12-38386-3") && rows.contains("2026年11月25日"),
        "{rows}"
    );
    // The sender is the procedure's [desk]: its address, then where to ask, and no 宛 on our own name.
    let from = sent.all_text_of("letter-from").unwrap();
    assert!(
        from.contains("〒150-8512")
            && from.contains("個人情報担当")
            && from.contains("https://gpu.cloud.gmo.jp"),
        "{from}"
    );
    assert!(!from.contains("宛"), "{from}");
    // The request page lists the letters with their dates; another request's notice is not found.
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert_eq!(page.body.matches("data-letter=").count(), 5);
    assert!(
        page.all_text_of("dispatch")
            .unwrap()
            .contains("131-12-38386-3")
    );
    let other = register(&api, json!({})).await;
    let n = &r["notices"][0]["id"];
    assert_eq!(
        desk.get(&format!(
            "/staff/requests/{other}/letters/{}",
            n.as_str().unwrap()
        ))
        .await
        .status,
        404
    );
    // Auditors read the log, not letters to requesters.
    let auditor = app.signed_in("aud@example.com", Role::Auditor).await;
    assert_eq!(
        auditor
            .get(r["notices"][0]["letter"].as_str().unwrap())
            .await
            .status,
        403
    );
}

async fn an_electronic_reply_is_downloaded_once_the_link_is_used_and_expires(app: TestApp) {
    let api = officer(&app).await;
    let (id, invoice, v) = invoiced(
        &api,
        json!({"services": ["ConoHa"], "email": "taro@example.jp"}),
    )
    .await;
    let (_, s) = api
        .post("/api/v1/payments", &json!({"invoice": invoice["number"], "paid_on": "2026-11-22", "amount_yen": 5400, "payer_name": "ヤマダ タロウ"}))
        .await;
    assert_eq!(s["paid"], true);
    assert_eq!(fire(&api, &id, "confirm_payment", v + 1, None).await.0, 200);
    assert_eq!(
        fire(&api, &id, "choose_electronic_delivery", v + 2, None)
            .await
            .0,
        200
    );
    let v = v + 3;
    // Nothing to release yet.
    let (status, body) = fire(&api, &id, "offer_download", v, None).await;
    assert_eq!(
        (status, field_code(&body, "file")),
        (422, Some("no_reply_file"))
    );
    // A reply that is not a PDF or an image is refused by its bytes.
    let (status, body) = api
        .post_raw(
            &format!("/api/v1/requests/{id}/reply-file"),
            "application/octet-stream",
            b"just text",
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "file")),
        (422, Some("file_type"))
    );
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nYOUR-DATA\n%%EOF".to_vec();
    let (status, _) = api
        .post_raw(
            &format!("/api/v1/requests/{id}/reply-file"),
            "application/octet-stream",
            &pdf,
        )
        .await;
    assert_eq!(status, 201);
    fire_ok(&api, &id, "offer_download", v, None).await;
    let r = api.request(&id).await;
    assert_eq!(r["state"], "download_offered");
    assert_eq!(
        r["reply"]["downloads"][0]["expires_at"],
        "2026-12-06T01:00:00Z"
    );
    assert_eq!(
        r["notices"].as_array().unwrap().last().unwrap()["channel"],
        "email"
    );

    // The link is in the letter (and the email to come): signed, not stored.
    let desk = desk(&app).await;
    let letter = letter_of(&desk, &api, &id, "answer_ready").await;
    let rows = letter.all_text_of("letter-rows").unwrap();
    let path = common::download_path_in(&rows);
    assert!(rows.contains("2026年12月6日 10:00（日本時間）"), "{rows}");
    let (dl_id, sig) = path
        .trim_start_matches("/download/")
        .split_once('.')
        .unwrap();
    assert_eq!(sig.len(), 64, "an HMAC-SHA256");

    // A forged or altered link finds nothing.
    let requester = app.browser();
    assert_eq!(
        requester
            .get(&format!("/download/{dl_id}.{}", "0".repeat(64)))
            .await
            .status,
        404
    );
    assert_eq!(requester.get("/download/nonsense").await.status, 404);
    // Opening the page downloads nothing and closes nothing (mail scanners follow links).
    let page = requester.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.text_of("download-receipt").unwrap().starts_with("KJ-"));
    assert_eq!(api.request(&id).await["state"], "download_offered");
    // Without the form's token: refused.
    assert_eq!(requester.post_form(&path, &[]).await.status, 403);
    let file = requester.submit(&path, &page, &[]).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body.as_bytes(), pdf.as_slice());
    let r = api.request(&id).await;
    assert_eq!(
        (r["state"].as_str(), r["closed"].as_bool()),
        (Some("closed"), Some(true))
    );
    assert_eq!(r["reply"]["downloads"][0]["downloads"], 1);
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    let closing = audit
        .iter()
        .find(|e| e.to_state.as_deref() == Some("closed"))
        .unwrap();
    assert_eq!(
        closing.actor_kind, "requester",
        "the requester's download closed it"
    );
    assert!(audit.iter().any(|e| e.action == "reply.downloaded"));
    // Downloading again works until the link expires; then it is gone.
    assert_eq!(requester.submit(&path, &page, &[]).await.status, 200);
    app.clock.advance(chrono::TimeDelta::days(14));
    let gone = requester.get(&path).await;
    assert_eq!(gone.status, 410);
    assert_eq!(requester.submit(&path, &page, &[]).await.status, 410);
    // A link can be withdrawn at once: the page and the file are gone, and the withdrawal is audited.
    app.clock.advance(chrono::TimeDelta::days(-14));
    let revoke = || {
        common::http_client()
            .post(format!(
                "{}/api/v1/requests/{id}/downloads/{dl_id}/revoke",
                app.base
            ))
            .bearer_auth(&api.token)
            .send()
    };
    assert_eq!(revoke().await.unwrap().status().as_u16(), 204);
    assert_eq!(
        revoke().await.unwrap().status().as_u16(),
        404,
        "already withdrawn"
    );
    let withdrawn = requester.get(&path).await;
    assert_eq!(withdrawn.status, 410);
    assert!(
        withdrawn.body.contains("link_revoked"),
        "{}",
        withdrawn.body
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(audit.iter().any(|e| e.action == "reply.download_revoked"));
}

async fn corrections_keep_the_prior_value_and_deletions_need_no_fee(app: TestApp) {
    let api = officer(&app).await;
    let id = under_review(&api, json!({"request_types": ["correction"]})).await;
    // Nothing can be recorded before identity is confirmed.
    let change = json!({"item": "住所", "prior_value": "東京都千代田区千代田1-1", "new_value": "東京都港区芝公園4-2-8"});
    let (status, body) = api
        .post(&format!("/api/v1/requests/{id}/changes"), &change)
        .await;
    assert_eq!((status, field_code(&body, "item")), (422, Some("not_now")));
    confirm_identity(&api, &id).await;
    let (status, body) = fire(&api, &id, "issue_invoice", 5, None).await;
    assert_eq!(status, 422, "corrections carry no fee: {body}");
    fire_ok(&api, &id, "start_handling", 5, None).await;
    let (status, body) = api
        .post(
            &format!("/api/v1/requests/{id}/changes"),
            &json!({"item": "住所", "new_value": "x"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "prior_value")),
        (422, Some("required"))
    );
    let (status, body) = api
        .post(&format!("/api/v1/requests/{id}/changes"), &change)
        .await;
    assert_eq!(status, 201, "{body}");
    // Each system answers for its part: here none holds the address but one, which corrects it.
    let v = close_tasks(&api, &id, None).await;
    let (status, _) = api
        .event(
            &id,
            "dispatch_reply",
            v,
            json!({"tracking_number": "131-12-38386-3", "dispatched_on": "2026-11-22"}),
        )
        .await;
    assert_eq!(status, 200);
    // The reply has gone out: no more changes can join it.
    let (status, body) = api
        .post(&format!("/api/v1/requests/{id}/changes"), &change)
        .await;
    assert_eq!((status, field_code(&body, "item")), (422, Some("not_now")));
    let r = api.request(&id).await;
    let c = &r["reply"]["changes"][0];
    assert_eq!(
        (
            c["action"].as_str(),
            c["prior_value"].as_str(),
            c["new_value"].as_str()
        ),
        (
            Some("corrected"),
            Some("東京都千代田区千代田1-1"),
            Some("東京都港区芝公園4-2-8")
        )
    );
    let desk = desk(&app).await;
    let letter = letter_of(&desk, &api, &id, "answer_dispatched").await;
    let list = letter.all_text_of("letter-list").unwrap();
    assert!(
        list.starts_with(
            "住所：「東京都千代田区千代田1-1」を「東京都港区芝公園4-2-8」に訂正しました"
        ),
        "{list}"
    );
    assert!(
        list.contains("Customer accounts：上記のとおり訂正しました")
            && list.contains("Orders and billing：該当するデータはありませんでした"),
        "each system's part: {list}"
    );
    // The audit names the item, never the values.
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    let rec = audit
        .iter()
        .find(|e| e.action == "request.change_recorded")
        .unwrap();
    assert!(rec.details.contains("住所") && !rec.details.contains("芝公園"));

    // Deletion: no fee, handled once identity is confirmed; the reply names what was deleted.
    let id = confirmed_letter(
        &api,
        json!({"request_types": ["deletion"], "tracking_number": "131-12-38387-4"}),
    )
    .await;
    let r = api.request(&id).await;
    let offered = common::allowed_events(&r);
    assert!(
        offered.contains(&"start_handling") && !offered.contains(&"issue_invoice"),
        "{offered:?}"
    );
    fire_ok(&api, &id, "start_handling", 5, None).await;
    // On the page: a blank item comes back with the message; the typed input is kept.
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    let bad = desk
        .submit(
            &format!("/staff/requests/{id}/changes?lang=en"),
            &page,
            &[("item", " ")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text_of("change-item-error").is_some(), "{}", bad.body);
    let ok = desk
        .submit(
            &format!("/staff/requests/{id}/changes?lang=en"),
            &page,
            &[("item", "購買履歴")],
        )
        .await;
    assert_eq!(ok.status, 303);
    let v = close_tasks(
        &api,
        &id,
        Some(("Orders and billing", "法人税法による帳簿書類の保存（7年）")),
    )
    .await;
    let (status, _) = api
        .event(
            &id,
            "dispatch_reply",
            v,
            json!({"tracking_number": "131-12-38386-3", "dispatched_on": "2026-11-22"}),
        )
        .await;
    assert_eq!(status, 200);
    let letter = letter_of(&desk, &api, &id, "answer_dispatched").await;
    assert_eq!(
        letter.all_text_of("letter-list").unwrap(),
        "購買履歴：消去しました \
         Customer accounts：復元できない方法で消去しました（方法：Account row and profile deleted; sign-in logs deleted; backups expire within 35 days.） \
         Customer support：復元できない方法で消去しました（方法：Tickets and transcripts deleted from the help desk; exports purged.） \
         Marketing preferences：復元できない方法で消去しました（方法：Profile deleted; hashed email kept in the suppression list (legitimate interest, GDPR Art. 21(3)).） \
         Orders and billing：次の法的根拠により一部のデータを保持しています（法人税法による帳簿書類の保存（7年）） \
         Customer accounts：提供先（Example Cloud Hosting K.K.（委託先））にも同じ対応を求めました \
         Marketing preferences：提供先（Example Ad Network Ltd.（第三者））にも同じ対応を求めました"
    );
    let r = api.request(&id).await;
    assert!(r["invoices"].as_array().unwrap().is_empty());
    assert_eq!(
        r["reply"]["changes"][0]["prior_value"],
        Value::Null,
        "deleted data is not kept"
    );
    // The dispatch form on the page keeps what was typed when refused.
    let id = confirmed_letter(
        &api,
        json!({"request_types": ["stop_of_use"], "tracking_number": "131-12-38387-4"}),
    )
    .await;
    fire_ok(&api, &id, "start_handling", 5, None).await;
    let v = close_tasks(&api, &id, None).await.to_string();
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(page.body.contains("id=\"tracking_number-dispatch_reply\""));
    let bad = desk
        .submit(
            &format!("/staff/requests/{id}/events"),
            &page,
            &[
                ("event", "dispatch_reply"),
                ("expected_version", &v),
                ("tracking_number", "131-12-99999-9"),
                ("dispatched_on", "2026-11-22"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.text_of("tracking_number-dispatch_reply-error")
            .is_some(),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"131-12-99999-9\""));
    assert_eq!(api.request(&id).await["state"], "preparing_reply");
}

async fn money_after_a_refusal_is_kept_for_refund_and_reopens_nothing(app: TestApp) {
    let api = officer(&app).await;
    let one = json!(["ConoHa"]);
    let (id, invoice, v) = invoiced(&api, json!({"services": one})).await;
    fire_ok(
        &api,
        &id,
        "refuse",
        v,
        Some("本人確認書類の記載と請求書の氏名が一致しないため"),
    )
    .await;
    let before_notices = app.count("notices");
    // A transfer arrives anyway, and a short one: recorded for refund; the request stays closed and no
    // letter asks for the rest.
    let (status, s) = api
        .post("/api/v1/payments", &json!({"invoice": invoice["number"], "paid_on": "2026-11-22", "amount_yen": 5000, "payer_name": "ヤマダ タロウ"}))
        .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["request_closed"], true);
    let r = api.request(&id).await;
    assert_eq!(
        (r["state"].as_str(), r["closed"].as_bool()),
        (Some("refused"), Some(true))
    );
    assert_eq!(r["invoices"][0]["paid_yen"], 5000);
    assert_eq!(app.count("notices"), before_notices);
    let desk = desk(&app).await;
    let q = desk.get("/staff/requests").await;
    assert!(
        !q.body.contains(&id),
        "a refused request does not come back to the queue"
    );
    // An imported line naming the closed request's invoice is left for an officer.
    let csv = format!(
        "date,amount,payer_name,reference\n2026-11-23,400,ﾔﾏﾀﾞ ﾀﾛｳ,{}\n",
        invoice["number"].as_str().unwrap()
    );
    let (_, report) = api
        .post_raw("/api/v1/payments/import", "text/csv", csv.as_bytes())
        .await;
    assert_eq!(report["unmatched"], json!([2]));

    // Two identical transfers on one statement are two payments; importing it again adds none.
    let (id2, inv2, _) = invoiced(
        &api,
        json!({"services": one, "tracking_number": "131-12-38386-3"}),
    )
    .await;
    let (id3, inv3, _) = invoiced(
        &api,
        json!({"services": one, "tracking_number": "131-12-38387-4"}),
    )
    .await;
    let _ = (&inv2, &inv3);
    let csv =
        "date,amount,payer_name,reference\n2026-11-24,5400,ﾔﾏﾀﾞ ﾀﾛｳ,\n2026-11-24,5400,ﾔﾏﾀﾞ ﾀﾛｳ,\n";
    let before = app.count("payments");
    let (_, report) = api
        .post_raw("/api/v1/payments/import", "text/csv", csv.as_bytes())
        .await;
    assert_eq!(report["duplicates"], json!([]), "{report}");
    assert_eq!(app.count("payments"), before + 2);
    let (_, again) = api
        .post_raw("/api/v1/payments/import", "text/csv", csv.as_bytes())
        .await;
    assert_eq!(again["duplicates"], json!([2, 3]));
    assert_eq!(app.count("payments"), before + 2);
    // Same payer, same amount, two open invoices: ambiguous, so both wait for an officer.
    assert_eq!(report["unmatched"], json!([2, 3]));
    let q = desk.get("/staff/requests").await;
    assert!(
        q.body.contains(&id2) && q.body.contains(&id3) && !q.body.contains(&id),
        "open requests are queued, the refused one is not"
    );
    // An amount no fee could be is refused.
    let (status, body) = api
        .post("/api/v1/payments", &json!({"invoice": invoice["number"], "paid_on": "2026-11-22", "amount_yen": "999999999999", "payer_name": "X"}))
        .await;
    assert_eq!(
        (status, field_code(&body, "amount_yen")),
        (422, Some("invalid_amount"))
    );
}

/// A stale 住民票 is asked for again; the new one, issued after the request's date as the letter asks, is
/// counted from the day the desk asked, not refused as dated after the request (issue 19's dead end).
async fn a_stale_document_asked_for_again_is_accepted_when_it_comes(app: TestApp) {
    let api = officer(&app).await;
    // The test clock reads 2026-11-22; the form is dated 2026-11-10 and arrived 2026-11-12.
    let id = under_review(
        &api,
        json!({"received_on": "2026-11-12", "request_date": "2026-11-10"}),
    )
    .await;
    let (_, r) = document(&api, &id, 2, "juminhyo", "principal", true, "2026-10-01").await;
    let (_, r2) = document(&api, &id, 3, "passport", "principal", false, "").await;
    assert_eq!(r["checklist"]["fresh"], false);
    assert_eq!(
        (
            r2["checklist"]["complete"].as_bool(),
            r2["checklist"]["fresh"].as_bool()
        ),
        (Some(true), Some(false))
    );
    fire_ok(
        &api,
        &id,
        "request_documents",
        4,
        Some("住民票の写しの作成日が古いため、新しいものをお送りください。"),
    )
    .await;
    // The letter asks for one issued within a month of today (2026-10-22), not of the form's date.
    let desk = desk(&app).await;
    let letter = letter_of(&desk, &api, &id, "documents_requested").await;
    assert!(
        letter.body.contains("2026年10月22日以降に作成されたもの"),
        "{}",
        letter.body
    );
    app.clock.advance(chrono::TimeDelta::days(4));
    let v = api.version(&id).await;
    // Issued 2026-11-20, after the form's date, as asked: fresh.
    let (status, r) = document(&api, &id, v, "juminhyo", "principal", true, "2026-11-20").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (
            r["checklist"]["complete"].as_bool(),
            r["checklist"]["fresh"].as_bool()
        ),
        (Some(true), Some(true)),
        "{}",
        r["checklist"]
    );
    let v = r["version"].as_i64().unwrap();
    fire_ok(&api, &id, "documents_received", v, None).await;
    fire_ok(&api, &id, "confirm_identity", v + 1, None).await;
    // Four days on, the earlier session has lapsed: sign in again.
    let desk = app.signed_in("page2@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(
        page.text_of("form-date-warning").is_none(),
        "dated two days before it came"
    );

    // A form dated 45 days before it arrived is flagged (KAIJI_FORM_DATE_MAX_DAYS, 30): counted from
    // that date, a document 2 months old would pass.
    let old = under_review(
        &api,
        json!({"received_on": "2026-11-20", "request_date": "2026-10-06"}),
    )
    .await;
    let page = desk.get(&format!("/staff/requests/{old}?lang=en")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let warning = page.text_of("form-date-warning").unwrap_or_default();
    assert!(
        warning.contains("45 days before it arrived"),
        "{}",
        page.body
    );
}
