//! The register of provision to and receipt from third parties (APPI Arts. 29–30) and the request for
//! its records (Art. 33(5)), by post, on both backends: records entered with the law's items and
//! retention, the requester's records offered by name, kana or address, only those the officer confirms
//! disclosed in the letter, and each record erased when its retention ends.

use crate::common;
use crate::postal::{confirm_identity, desk, fire, letter_of, officer, under_review};

use common::{Api, TestApp, field_code};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    the_register_answers_a_request_for_its_records,
    records_are_entered_with_the_laws_items_or_refused_field_by_field,
    an_electronic_answer_packs_the_confirmed_records,
);

fn provided_to_logistics() -> Value {
    json!({
        "regime": "appi", "direction": "provided", "method": "individual", "basis": "consent",
        "provided_on": "2026-04-01", "counterparty_name": "株式会社サンプル物流",
        "counterparty_address": "東京都江東区豊洲1-1-1", "counterparty_representative": "代表取締役 佐々木 一郎",
        "person_name": "山田　太郎", "person_kana": "ﾔﾏﾀﾞ ﾀﾛｳ", "items": "氏名、住所、電話番号",
    })
}

async fn enter(api: &Api, record: &Value) -> String {
    let (status, body) = api.post("/api/v1/provision-records", record).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// What an officer enters is checked as the law lists it; nothing is written for a bad record.
async fn records_are_entered_with_the_laws_items_or_refused_field_by_field(app: TestApp) {
    let api = officer(&app).await;
    // Received from a provider: their address and how they came by the data are required (Art. 30(1)).
    let mut received = provided_to_logistics();
    received["direction"] = json!("received");
    received["counterparty_address"] = json!("");
    received["provided_on"] = json!("2026-11-20");
    received["last_provided_on"] = json!("2026-11-19");
    received["person_email"] = json!("yamada at example");
    let (status, body) = api.post("/api/v1/provision-records", &received).await;
    assert_eq!(status, 422, "{body}");
    for (field, code) in [
        ("counterparty_address", "required"),
        ("acquired_how", "required"),
        ("last_provided_on", "before_the_first"),
        ("person_email", "invalid_email"),
    ] {
        assert_eq!(field_code(&body, field), Some(code), "{field}: {body}");
    }
    let mut foreign = provided_to_logistics();
    foreign["regime"] = json!("gdpr");
    let (status, body) = api.post("/api/v1/provision-records", &foreign).await;
    assert_eq!(
        (status, field_code(&body, "regime")),
        (422, Some("no_register"))
    );
    let mut unknown = provided_to_logistics();
    unknown["method"] = json!("by_fax");
    unknown["basis"] = json!("whim");
    unknown["surprise"] = json!(1);
    let (status, body) = api.post("/api/v1/provision-records", &unknown).await;
    // Unknown fields are refused by name, with the other problems in one 422.
    assert_eq!(status, 422, "an unknown field is refused: {body}");
    assert_eq!(
        field_code(&body, "surprise"),
        Some("unknown_field"),
        "{body}"
    );
    assert_eq!(app.count("provision_records"), 0);

    // A record kept for three years from its provision, that day counted; the contract that stands in
    // for the record keeps it one year from the last provision.
    let (status, body) = api
        .post("/api/v1/provision-records", &provided_to_logistics())
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["kept_until"], "2029-03-31");
    assert_eq!(body["basis_label"], "本人の同意（第27条第1項）");
    let mut contract = provided_to_logistics();
    contract["method"] = json!("with_goods_or_services");
    contract["provided_on"] = json!("2025-02-28");
    contract["last_provided_on"] = json!("2026-02-28");
    let (_, body) = api.post("/api/v1/provision-records", &contract).await;
    assert_eq!(body["kept_until"], "2027-02-27");

    // The register page lists them, finds a person by kana written otherwise, and re-renders a bad
    // record with its messages and what was typed.
    let desk = desk(&app).await;
    let page = desk
        .get("/staff/provision-records?person=%E3%82%84%E3%81%BE%E3%81%A0%20%E3%81%9F%E3%82%8D%E3%81%86")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body.matches("<tr data-record=").count(), 2);
    assert!(page.body.contains("株式会社サンプル物流"));
    let form = desk.get("/staff/provision-records").await;
    let csrf = form.csrf();
    let back = desk
        .post_form(
            "/staff/provision-records",
            &[
                ("csrf_token", csrf.as_str()),
                ("regime", "appi"),
                ("direction", "received"),
                ("method", "continuous"),
                ("basis", "opt_out"),
                ("provided_on", "2026-10-01"),
                ("counterparty_name", "データ提供株式会社"),
                ("person_name", "鈴木 一郎"),
                ("items", "氏名、購買履歴"),
            ],
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    assert!(back.body.contains("データ提供株式会社"), "kept input");
    assert!(back.body.contains("id=\"acquired_how-error\""));
    assert!(back.body.contains("id=\"counterparty_address-error\""));
    assert_eq!(app.count("provision_records"), 2);
    let audit = common::audited(&app, "provision.recorded").len();
    assert_eq!(audit, 2);
}

/// The walk for Art. 33(5): a letter asks for the records; the register offers those that may be
/// the requester's; the answer cannot go with none confirmed; the letter discloses exactly those
/// confirmed; the records are erased when their retention ends, and the letter still reads the same.
async fn the_register_answers_a_request_for_its_records(app: TestApp) {
    let api = officer(&app).await;
    let to_logistics = enter(&api, &provided_to_logistics()).await;
    let from_broker = enter(
        &api,
        &json!({
            "regime": "appi", "direction": "received", "method": "continuous", "basis": "opt_out",
            "provided_on": "2025-01-10", "last_provided_on": "2026-10-31",
            "counterparty_name": "データ提供株式会社", "counterparty_address": "大阪府大阪市北区梅田1-1",
            "acquired_how": "懸賞応募者から同意を得て取得", "person_name": "ヤマダ タロウ",
            "person_kana": "やまだ たろう", "items": "氏名、年齢層、購買履歴",
        }),
    )
    .await;
    // Another 山田 太郎 (in Osaka) is offered by name but is not the requester; 佐藤 is never offered.
    let mut namesake = provided_to_logistics();
    namesake["person_address"] = json!("大阪府堺市1-1");
    namesake["provided_on"] = json!("2026-06-01");
    let other_taro = enter(&api, &namesake).await;
    let mut sato = provided_to_logistics();
    sato["person_name"] = json!("佐藤 花子");
    sato["person_kana"] = json!("サトウ ハナコ");
    let sato = enter(&api, &sato).await;

    let id = under_review(
        &api,
        json!({"request_types": ["third_party_records"], "services": ["GPUクラウド byGMO"], "name_kana": "ヤマダ タロウ"}),
    )
    .await;
    confirm_identity(&api, &id).await;
    assert_eq!(fire(&api, &id, "issue_invoice", 5, None).await.0, 200);
    let r = api.request(&id).await;
    assert_eq!(r["state"], "awaiting_payment", "{r}");
    let invoice = r["invoices"][0].clone();
    assert_eq!(invoice["amount_yen"], 5400);
    let (status, _) = api
        .post(
            "/api/v1/payments",
            &json!({"invoice": invoice["number"], "paid_on": "2026-11-22", "amount_yen": 5400, "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"}),
        )
        .await;
    assert_eq!(status, 201);
    let v = api.version(&id).await;
    assert_eq!(fire(&api, &id, "confirm_payment", v, None).await.0, 200);
    let v = v + 1;

    // Nothing confirmed yet: the answer cannot go, and nothing is written.
    let dispatch = json!({"tracking_number": "131-12-38386-3", "dispatched_on": "2026-11-22"});
    let before = (app.count("audit_events"), app.count("notices"));
    let (status, body) = api.event(&id, "dispatch_reply", v, dispatch.clone()).await;
    assert_eq!(
        (status, field_code(&body, "records")),
        (422, Some("no_provision_records")),
        "{body}"
    );
    assert_eq!((app.count("audit_events"), app.count("notices")), before);

    // The request page offers the requester's namesakes, by name and by kana, never 佐藤.
    let desk = desk(&app).await;
    let page = desk.get(&format!("/staff/requests/{id}")).await;
    assert_eq!(page.status, 200);
    for (record, offered) in [
        (&to_logistics, true),
        (&from_broker, true),
        (&other_taro, true),
        (&sato, false),
    ] {
        assert_eq!(
            page.body.contains(&format!("data-record=\"{record}\"")),
            offered,
            "{record}"
        );
    }
    assert!(page.body.contains("フリガナが一致"), "why each is offered");
    // Confirmed from the page (CSRF-checked form) and by the API; a second confirmation changes nothing.
    let csrf = page.csrf();
    let res = desk
        .post_form(
            &format!("/staff/requests/{id}/provision-records/{to_logistics}"),
            &[("csrf_token", csrf.as_str()), ("action", "attach")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let path = |rec: &str| format!("/api/v1/requests/{id}/provision-records/{rec}");
    for rec in [&from_broker, &from_broker, &other_taro] {
        assert_eq!(api.call(Method::PUT, &path(rec)).await.0, 204);
    }
    assert_eq!(api.call(Method::DELETE, &path(&other_taro)).await.0, 204);
    assert_eq!(api.call(Method::PUT, &path("no-such-record")).await.0, 404);
    assert_eq!(
        common::audited(&app, "request.provision_record_attached").len(),
        3
    );
    // A stranger's record (佐藤) cannot be confirmed as the requester's.
    let (status, body) = api.call(Method::PUT, &path(&sato)).await;
    assert_eq!(
        (status, field_code(&body, "record")),
        (422, Some("not_the_requesters"))
    );
    // A record cannot be confirmed on a request for something else.
    let access = under_review(&api, json!({})).await;
    let (status, body) = api
        .call(
            Method::PUT,
            &format!("/api/v1/requests/{access}/provision-records/{sato}"),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "record")),
        (422, Some("not_a_records_request"))
    );

    let (status, body) = api.event(&id, "dispatch_reply", v, dispatch).await;
    assert_eq!(status, 200, "{body}");
    let letter = letter_of(&desk, &api, &id, "answer_dispatched").await;
    let text = letter.body.as_str();
    assert!(
        text.contains("第三者提供記録（法第33条第5項）の内容"),
        "{text}"
    );
    assert!(text.contains("【提供】2026年4月1日　提供先：株式会社サンプル物流（東京都江東区豊洲1-1-1、代表者 代表取締役 佐々木 一郎）"), "{text}");
    assert!(text.contains("【受領】2025年1月10日から2026年10月31日まで　提供元：データ提供株式会社（大阪府大阪市北区梅田1-1）"), "{text}");
    assert!(text.contains("提供元の取得の経緯：懸賞応募者から同意を得て取得"));
    assert!(text.contains("根拠：オプトアウトによる提供"));
    assert!(
        !text.contains("2026年6月1日"),
        "the namesake's record is not disclosed"
    );
    assert!(!text.contains("佐藤"));

    // The PDF carries the same lines.
    let r = api.request(&id).await;
    let notice = common::notice(&r, "answer_dispatched")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pdf = desk
        .get(&format!("/staff/requests/{id}/letters/{notice}/pdf"))
        .await;
    assert_eq!(pdf.status, 200);
    if let Some(t) = common::poppler("pdftotext", &["-layout"], &pdf.raw) {
        let flat: String = t.split_whitespace().collect();
        assert!(flat.contains("【提供】2026年4月1日"), "{t}");
        assert!(flat.contains("データ提供株式会社"), "{t}");
    }

    // Retention: a record of one provision on 2026-04-01 is kept to 2029-03-31; the run of provisions
    // counts from its last, 2026-10-31, to 2029-10-30. The day after, each is erased by the hourly job,
    // audited; the letter already sent keeps its copy.
    let erase = |app: &TestApp| {
        let state = app.state.clone();
        async move {
            tokio::task::spawn_blocking(move || kaiji::app::provision::erase_expired(&state))
                .await
                .unwrap()
                .unwrap()
        }
    };
    app.clock.advance(chrono::TimeDelta::days(860)); // 2029-03-31 in Tokyo: still kept
    assert_eq!(erase(&app).await, 0);
    app.clock.advance(chrono::TimeDelta::days(1)); // 2029-04-01
    // Sato's record goes; the one the open request confirmed waits for it (the person asked to see it).
    assert_eq!(erase(&app).await, 1, "Sato's record of 2026-04-01");
    assert_eq!(app.count("provision_records"), 3);
    let r = api.request(&id).await;
    let (status, body) = api
        .event(
            &id,
            "confirm_delivery",
            r["version"].as_i64().unwrap(),
            json!({"delivered_on": "2026-11-24"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        erase(&app).await,
        1,
        "the closed request's record of 2026-04-01"
    );
    assert_eq!(app.count("provision_records"), 2);
    assert_eq!(app.count("request_provision_records"), 1);
    assert_eq!(common::audited(&app, "provision.erased").len(), 2);
    app.clock.advance(chrono::TimeDelta::days(213)); // 2029-10-31
    assert_eq!(
        erase(&app).await,
        2,
        "the namesake's of 2026-06-01 and the run to 2026-10-31"
    );
    assert_eq!(app.count("provision_records"), 0);
}

/// A request for the records made online (jp-online): the package the officer previews holds exactly
/// the confirmed records, as `provision-records.json` and in the README, in the requester's language.
async fn an_electronic_answer_packs_the_confirmed_records(app: TestApp) {
    let api = officer(&app).await;
    let mut online = provided_to_logistics();
    online["person_name"] = json!("Hanako Sato");
    online["person_email"] = json!("Hanako@Example.jp");
    online["person_kana"] = json!("");
    let record = enter(&api, &online).await;
    let res = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "Sato Hanako", "email": "hanako@example.jp", "request_type": "third_party_records",
                    "jurisdiction": "JP", "language": "en", "message": "Who did you give my data to?"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    app.confirm_email(&id).await;
    // Nothing confirmed yet: the preview packs no records.
    let preview = api
        .get_page(&format!("/api/v1/requests/{id}/package-preview"))
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(!common::unzip(&preview.raw).contains_key("provision-records.json"));
    // Offered by the e-mail address alone (the names are written differently), then confirmed.
    let desk = desk(&app).await;
    let page = desk.get(&format!("/staff/requests/{id}")).await;
    assert!(page.body.contains(&format!("data-record=\"{record}\"")));
    let (status, _) = api
        .call(
            Method::PUT,
            &format!("/api/v1/requests/{id}/provision-records/{record}"),
        )
        .await;
    assert_eq!(status, 204);
    let preview = api
        .get_page(&format!("/api/v1/requests/{id}/package-preview"))
        .await;
    let files = common::unzip(&preview.raw);
    let records: Value = serde_json::from_str(&files["provision-records.json"]).unwrap();
    assert_eq!(records.as_array().unwrap().len(), 1);
    assert_eq!(records[0]["counterparty"], "株式会社サンプル物流");
    assert_eq!(records[0]["basis"], "The person's consent (Art. 27(1))");
    assert!(
        files["README.html"].contains("Records of provision to and receipt from third parties")
    );
}
