//! The access answer is the person's own (issue 18), on both backends: reviewed before release (an
//! export withheld on a ground, a preview audited), fields a system never discloses left out and said to
//! be held, and a package holding exactly the person's systems' data with a correct `index.json` and a
//! `README.html` in their language.

use crate::common;

use common::{TestApp, api, field_code, started, task, unzip};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(the_package_holds_exactly_the_persons_systems_data_reviewed_before_release);
both_backends!(
    an_officer_reviews_the_package_on_the_request_page_and_the_email_says_what_was_left_out
);

const WITHHELD: &str = "GDPR Art. 15(4): the tickets name other customers";

async fn the_package_holds_exactly_the_persons_systems_data_reviewed_before_release(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = started(
        &app,
        &officer,
        json!({"name": "山田花子", "email": "hanako@example.eu", "request_type": "access",
               "jurisdiction": "eea", "language": "ja", "message": "保有データをすべて開示してください。"}),
    )
    .await;
    let r = officer.request(&id).await;
    let exports = [
        (
            "Customer accounts",
            json!({"outcome": "exported", "export": r#"{"name": "山田花子", "password_hash": "$argon2id$x", "profile": {"Security_Answer": "Tama", "city": "Tokyo"}}"#}),
        ),
        (
            "Orders and billing",
            json!({"outcome": "exported", "export": "order,card_number,total\nA-1,4111111111111111,3200\n"}),
        ),
        (
            "Customer support",
            json!({"outcome": "exported", "export": r#"[{"ticket": 7, "text": "Taro Suzuki's order was mixed up with mine"}]"#}),
        ),
        ("Marketing preferences", json!({"outcome": "no_data"})),
    ];
    for (system, body) in &exports {
        let (status, b) = officer.close(&id, task(&r, system), body.clone()).await;
        assert_eq!(status, 200, "{system}: {b}");
    }

    // Review: the help desk's export names another customer; it is withheld on a ground.
    let withhold = |system: &str| {
        format!(
            "/api/v1/requests/{id}/tasks/{}/withhold",
            task(&r, system)["id"].as_str().unwrap()
        )
    };
    let audit_before = app.count("audit_events");
    for (system, body, field, code) in [
        (
            "Customer support",
            json!({"withhold": true, "ground": " "}),
            "ground",
            "required",
        ),
        (
            "Marketing preferences",
            json!({"withhold": true, "ground": WITHHELD}),
            "ground",
            "not_an_export",
        ),
    ] {
        let (status, res) = officer.post(&withhold(system), &body).await;
        assert_eq!(
            (status, field_code(&res, field)),
            (422, Some(code)),
            "{system}"
        );
    }
    let (status, _) = officer
        .post(&withhold("Customer support"), &json!({"withhold": "yes"}))
        .await;
    assert_eq!(status, 422, "an unknown field is refused by name");
    assert_eq!(app.count("audit_events"), audit_before, "nothing written");
    let (status, _) = officer
        .post(
            &withhold("Customer support"),
            &json!({"withhold": true, "ground": WITHHELD}),
        )
        .await;
    assert_eq!(status, 204);

    // The preview is what would go out; viewing it is audited.
    let preview = officer
        .get_page(&format!("/api/v1/requests/{id}/package-preview"))
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.raw.starts_with(b"PK"), "a ZIP");
    let files = unzip(&preview.raw);
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "file.viewed" && e.details.contains("answer_preview"))
    );
    assert!(
        audit
            .iter()
            .any(|e| e.action == "task.export_withheld" && e.details.contains("15(4)"))
    );
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "README.html",
            "data/customer-accounts.json",
            "data/orders-and-billing.csv",
            "index.json",
            "processing-information.json"
        ],
        "exactly the person's systems' data, less what was withheld"
    );
    // Fields never disclosed are left out, at any depth and whatever their case.
    let accounts: Value = serde_json::from_str(&files["data/customer-accounts.json"]).unwrap();
    assert_eq!(
        accounts,
        json!({"name": "山田花子", "profile": {"city": "Tokyo"}})
    );
    assert_eq!(
        files["data/orders-and-billing.csv"],
        "order,total\nA-1,3200\n"
    );
    assert!(
        files
            .values()
            .all(|f| !f.contains("4111111111111111") && !f.contains("Taro Suzuki"))
    );

    let index: Value = serde_json::from_str(&files["index.json"]).unwrap();
    assert_eq!(index["language"], "ja");
    let systems = index["systems"].as_array().unwrap();
    let by_name = |n: &str| systems.iter().find(|s| s["system"] == n).cloned();
    assert_eq!(
        systems.len(),
        3,
        "the systems that hold the person's data: {index}"
    );
    assert!(
        by_name("Marketing preferences").is_none(),
        "holds nothing about them"
    );
    let accounts = by_name("Customer accounts").unwrap();
    assert_eq!(accounts["file"], "data/customer-accounts.json");
    assert_eq!(
        accounts["purposes"],
        json!(["account management", "sign-in security"])
    );
    assert_eq!(
        accounts["recipients"],
        json!([{"name": "Example Cloud Hosting K.K.", "role": "processor"}])
    );
    assert!(
        accounts["sources"]
            .as_str()
            .unwrap()
            .contains("sign-in events")
    );
    assert!(
        accounts["automated_decisions"]
            .as_str()
            .unwrap()
            .contains("challenged automatically")
    );
    assert_eq!(
        accounts["not_disclosed"],
        json!(["Security_Answer", "password_hash"])
    );
    assert!(accounts["retention"].as_str().unwrap().contains("90 days"));
    let orders = by_name("Orders and billing").unwrap();
    assert_eq!(orders["not_disclosed"], json!(["card_number"]));
    assert_eq!(orders["automated_decisions"], "");
    let support = by_name("Customer support").unwrap();
    assert_eq!(
        (support["file"].clone(), support["withheld_ground"].as_str()),
        (Value::Null, Some(WITHHELD))
    );
    assert!(
        index["complaint_authority"]
            .as_str()
            .unwrap()
            .contains("CNPD")
    );

    let readme = &files["README.html"];
    assert!(readme.contains("<html lang=\"ja\">"));
    for words in [
        "お客様のデータ：請求への回答",
        "data/customer-accounts.json",
        "保有していますが、安全のため開示しない項目",
        "password_hash",
        "含めていません: GDPR Art. 15(4)",
        "Example Cloud Hosting K.K. (委託先)",
        "このシステムについて申告はありません",
        "苦情の申立先",
    ] {
        assert!(readme.contains(words), "README lacks {words}: {readme}");
    }

    // Answered: the package released is the one previewed, and the answer says what was withheld.
    assert_eq!(officer.fire(&id, "answer", 4).await.0, 200);
    let (status, res) = officer
        .post(
            &withhold("Orders and billing"),
            &json!({"withhold": true, "ground": WITHHELD}),
        )
        .await;
    assert_eq!(
        (status, field_code(&res, "ground")),
        (422, Some("answer_released")),
        "the answer has gone out"
    );
    let r = officer.request(&id).await;
    let notice = common::notice(&r, "answer_ready");
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let letter = desk.get(notice["letter"].as_str().unwrap()).await;
    assert!(
        letter.body.contains(&format!(
            "Customer support：次の理由により開示しておりません（{WITHHELD}）"
        )),
        "{}",
        letter.body
    );
    let released = common::download_answer(&app, &desk, notice["letter"].as_str().unwrap()).await;
    assert_eq!(
        released.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>()
    );
    assert_eq!(released["index.json"], files["index.json"]);
}

/// The same review in the browser's forms: a withholding without a ground comes back with the typed
/// page, one with a ground leaves the export out (and can be undone), the preview link downloads the
/// package as it would go out, and the answer email (English here) says what was left out and why.
async fn an_officer_reviews_the_package_on_the_request_page_and_the_email_says_what_was_left_out(
    app: TestApp,
) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = started(
        &app,
        &officer,
        json!({"name": "Pat Doe", "email": "pat@example.eu", "request_type": "access",
               "jurisdiction": "eea", "language": "en", "message": "All my data, please."}),
    )
    .await;
    let r = officer.request(&id).await;
    for t in r["tasks"].as_array().unwrap() {
        let body = match t["system"].as_str().unwrap() {
            "Customer support" => {
                json!({"outcome": "exported", "export": r#"[{"ticket": 9, "text": "Kim Lee wrote about Pat"}]"#})
            }
            "Customer accounts" => {
                json!({"outcome": "exported", "export": r#"{"name": "Pat Doe"}"#})
            }
            _ => json!({"outcome": "no_data"}),
        };
        assert_eq!(officer.close(&id, t, body).await.0, 200);
    }
    let support = task(&r, "Customer support")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("class=\"action withhold-form\" data-task=\"Customer support\""),
        "{}",
        page.body
    );
    let action = format!("/staff/requests/{id}/tasks/{support}/withhold?lang=en");
    let before = app.count("audit_events");
    // No ground: the page comes back with the problem; nothing is written.
    let back = desk
        .submit(&action, &page, &[("action", "withhold"), ("ground", "  ")])
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    assert!(back.text_of("problem").is_some(), "{}", back.body);
    assert_eq!(app.count("audit_events"), before);
    let ground = "GDPR Art. 15(4): the ticket is about another customer";
    let done = desk
        .submit(
            &action,
            &page,
            &[("action", "withhold"), ("ground", ground)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(page.body.contains(ground), "{}", page.body);
    // Undone and done again: each audited.
    for (act, g) in [("restore", ""), ("withhold", ground)] {
        let res = desk
            .submit(&action, &page, &[("action", act), ("ground", g)])
            .await;
        assert_eq!(res.status, 303, "{act}: {}", res.body);
    }
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "task.export_withheld")
            .count(),
        3
    );
    // The preview link: the package as it would go out, without the support export.
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    let link = format!("/staff/requests/{id}/package-preview");
    assert!(page.body.contains(&link), "{}", page.body);
    let preview = desk.get(&link).await;
    assert_eq!(preview.status, 200);
    let files = unzip(&preview.raw);
    assert!(
        files.contains_key("data/customer-accounts.json"),
        "{:?}",
        files.keys()
    );
    assert!(
        !files.keys().any(|k| k.contains("support")),
        "{:?}",
        files.keys()
    );

    // Answered: the email says which export was left out and on what ground.
    let v = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "answer", v).await.0, 200);
    let mails = common::delivered_over_smtp(&app).await;
    let answer: Vec<String> = common::texts_to(&mails, "pat@example.eu")
        .into_iter()
        .filter(|t| t.contains("Customer accounts"))
        .collect();
    assert_eq!(answer.len(), 1, "{answer:?}");
    assert!(
        answer[0].contains(&format!(
            "not included in your answer, on a legal ground ({ground})"
        )),
        "{}",
        answer[0]
    );
}
