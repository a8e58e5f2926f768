//! Inquiries and complaints (seed 004 §6; APPI Art. 40; DPA 2018 s. 164A), on both backends: from the
//! public form (acknowledged at once by e-mail), recorded by an officer from a telephone call with only a
//! postal address (acknowledged and answered by letter), answered, counted in the reports, and erased
//! with the record retention.

use crate::common;

use common::{TestApp, api, field_code};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    a_complaint_from_the_form_is_acknowledged_answered_and_counted,
    a_telephone_complaint_is_acknowledged_and_answered_by_letter,
    a_complaint_acknowledged_on_the_telephone_sends_nothing,
);

/// The officer acknowledges a telephone complaint in the same call: nothing is sent, and the desk's
/// page says how the person was told.
async fn a_complaint_acknowledged_on_the_telephone_sends_nothing(app: TestApp) {
    let officer = api(&app, "desk@example.com", Role::Officer).await;
    let (status, body) = officer.post("/api/v1/inquiries", &phone_complaint()).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = officer
        .post(
            &format!("/api/v1/inquiries/{id}/acknowledge"),
            &json!({"in_person": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let shown = officer.get(&format!("/api/v1/inquiries/{id}")).await;
    assert_eq!(
        (
            shown["inquiry"]["status"].as_str(),
            shown["inquiry"]["acknowledged_how"].as_str()
        ),
        (Some("acknowledged"), Some("in_person"))
    );
    assert_eq!(shown["notices"], json!([]), "nothing to send");
    let desk = app.signed_in("page@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/inquiries/{id}")).await;
    assert!(page.body.contains("対面・電話"), "{}", page.body);
}

/// A complaint taken by telephone the day before (the test clock is 2026-11-22), with only a postal
/// address: nothing goes out until an officer acknowledges it.
pub(crate) fn phone_complaint() -> Value {
    json!({"kind": "complaint", "place": "JP", "channel": "phone", "received_on": "2026-11-21",
           "name": "佐藤 花子", "postal_address": "〒100-0001\n東京都千代田区千代田1-1",
           "subject": "ダイレクトメールが止まらない", "body": "利用停止を求めたのにまだ届きます。"})
}

async fn a_complaint_from_the_form_is_acknowledged_answered_and_counted(app: TestApp) {
    let person = app.browser();
    let form = person.get("/inquiries?lang=ja").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("個人情報の取扱いに関する苦情"));
    let csrf = form.csrf();
    // Bad input comes back field by field, with what was typed; nothing is written.
    let long = "あ".repeat(5001);
    let back = person
        .post_form(
            "/inquiries?lang=ja",
            &[
                ("csrf_token", csrf.as_str()),
                ("kind", "gossip"),
                ("place", "JP"),
                ("name", "山田 太郎"),
                ("email", "not an address"),
                ("subject", "回答が届きません"),
                ("body", long.as_str()),
                // A stranger cannot have the desk post letters: the form takes no postal address.
                ("postal_address", "東京都どこか"),
            ],
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    for field in ["kind", "email", "body"] {
        assert!(
            back.body
                .contains(&format!("aria-describedby=\"{field}-error\"")),
            "{field}"
        );
    }
    assert!(back.body.contains("回答が届きません"), "kept input");
    assert_eq!(app.count("inquiries"), 0);

    let sent = person
        .post_form(
            "/inquiries?lang=ja",
            &[
                ("csrf_token", csrf.as_str()),
                ("kind", "complaint"),
                ("place", "JP"),
                ("name", "山田 太郎"),
                ("email", "taro@example.jp"),
                ("subject", "回答が届きません"),
                (
                    "body",
                    "開示請求の回答がまだ届きません。\n確認してください。",
                ),
                ("about", "kj-20261119-00000001"),
                ("postal_address", "東京都どこか"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let reference = sent.text_of("inquiry-reference").expect("a reference");
    assert!(reference.starts_with("KQ-20261122-"), "{reference}");
    // The desk's own targets: acknowledged within 5 days, a complaint answered within 30.
    assert!(
        sent.body
            .contains("2026-11-27までに受付をご連絡し、2026-12-22までに回答します")
    );

    let officer = api(&app, "desk@example.com", Role::Officer).await;
    let list = officer.get("/api/v1/inquiries").await;
    let q = &list["inquiries"][0];
    assert_eq!(
        (
            q["status"].as_str(),
            q["channel"].as_str(),
            q["postal_address"].as_str()
        ),
        (Some("acknowledged"), Some("web"), None)
    );
    assert_eq!(q["about"], "KJ-20261119-00000001");
    assert_eq!(q["acknowledged_how"], "email");
    let id = q["id"].as_str().unwrap().to_owned();

    // An answer too long, or empty, is refused; then the outcome is told.
    let (status, body) = officer
        .post(
            &format!("/api/v1/inquiries/{id}/answer"),
            &json!({"answer": " "}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "answer")),
        (422, Some("required"))
    );
    let answer = "ご不便をおかけし申し訳ございません。\n\n回答書は2026年11月25日に発送済みです。";
    let (status, body) = officer
        .post(
            &format!("/api/v1/inquiries/{id}/answer"),
            &json!({"answer": answer}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "answered");
    let (status, body) = officer
        .post(
            &format!("/api/v1/inquiries/{id}/answer"),
            &json!({"answer": "again"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "answer")),
        (422, Some("already_answered"))
    );

    // Both e-mails go through the outbox, in Japanese.
    let mails = common::delivered_over_smtp(&app).await;
    let texts = common::texts_to(&mails, "taro@example.jp");
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].contains(&reference) && texts[0].contains("2026-12-22"),
        "{}",
        texts[0]
    );
    assert!(
        texts[1].contains("回答書は2026年11月25日に発送済みです。"),
        "{}",
        texts[1]
    );
    assert!(
        texts[1].contains("個人情報保護委員会"),
        "where to turn: {}",
        texts[1]
    );
    for action in [
        "inquiry.received",
        "inquiry.acknowledged",
        "inquiry.answered",
    ] {
        assert_eq!(common::audited(&app, action).len(), 1, "{action}");
    }
    // No audit event carries what the person wrote.
    assert!(
        common::audited(&app, "inquiry.received")
            .iter()
            .all(|d| !d.contains("届きません") && !d.contains("山田"))
    );

    // Counted in the year's report: answered on time, none open.
    let r = officer.get("/api/v1/reports?year=2026").await;
    let complaint = r["inquiries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "complaint")
        .unwrap()
        .clone();
    assert_eq!(
        (
            complaint["received"].as_i64(),
            complaint["acknowledged_on_time"].as_i64(),
            complaint["answered_on_time"].as_i64(),
            complaint["open"].as_i64(),
            complaint["median_days_to_answer"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(0), Some(0))
    );
    let page = app
        .signed_in("reader@example.com", Role::Officer)
        .await
        .get("/staff/reports?year=2026")
        .await;
    assert!(page.body.contains("data-kind=\"complaint\""));

    // The record retention erases the person's words; the counts stay.
    let months = i64::from(app.state.config.retention.record_retention_months);
    app.clock.advance(chrono::TimeDelta::days(months * 31 + 1));
    let state = app.state.clone();
    let erased = tokio::task::spawn_blocking(move || kaiji::app::inquiries::erase_expired(&state))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(erased, 1);
    assert_eq!(common::audited(&app, "inquiry.erased").len(), 1);
}

async fn a_telephone_complaint_is_acknowledged_and_answered_by_letter(app: TestApp) {
    let officer = api(&app, "desk@example.com", Role::Officer).await;
    // A complaint from the UK after 2026-06-19: the law's 30 days stand beside the desk's 5.
    let (status, body) = officer
        .post(
            "/api/v1/inquiries",
            &json!({"kind": "complaint", "place": "GB", "channel": "email", "received_on": "2026-11-20",
                    "name": "Jane Doe", "email": "jane@example.co.uk", "subject": "Slow reply",
                    "body": "You have not answered my access request.", "language": "en"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            body["acknowledge_due"].as_str(),
            body["law_acknowledge_due"].as_str(),
            body["status"].as_str()
        ),
        (Some("2026-11-25"), Some("2026-12-20"), Some("acknowledged"))
    );
    let uk = body["reference"].as_str().unwrap().to_owned();

    // By telephone, with only a postal address: nothing goes until an officer acknowledges it.
    let (status, body) = officer.post("/api/v1/inquiries", &phone_complaint()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "received");
    let id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = officer
        .post(
            "/api/v1/inquiries",
            &json!({"kind": "complaint", "place": "JP", "channel": "fax", "received_on": "2026-11-23",
                    "name": "x", "subject": "s", "body": "b"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(field_code(&body, "channel"), Some("unknown_channel"));
    assert_eq!(field_code(&body, "received_on"), Some("date_in_future"));
    assert_eq!(field_code(&body, "postal_address"), Some("required"));

    // The desk's page: acknowledged by letter, which prints as a PDF addressed 様.
    let desk = app.signed_in("page@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/inquiries/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("利用停止を求めたのにまだ届きます。"));
    let res = desk
        .post_form(
            &format!("/staff/inquiries/{id}/acknowledge"),
            &[("csrf_token", page.csrf().as_str()), ("how", "write")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let (status, body) = officer
        .post(&format!("/api/v1/inquiries/{id}/acknowledge"), &json!({}))
        .await;
    assert_eq!(
        (status, field_code(&body, "inquiry")),
        (422, Some("already_acknowledged"))
    );
    let shown = officer.get(&format!("/api/v1/inquiries/{id}")).await;
    assert_eq!(shown["inquiry"]["acknowledged_how"], "letter");
    let letter = shown["notices"][0].clone();
    assert_eq!(
        (letter["kind"].as_str(), letter["channel"].as_str()),
        (Some("inquiry_acknowledged"), Some("letter"))
    );
    let pdf = desk
        .get(&format!(
            "/staff/inquiries/{id}/letters/{}/pdf",
            letter["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    if let Some(text) = common::poppler("pdftotext", &["-layout"], &pdf.raw) {
        let flat: String = text.split_whitespace().collect();
        for want in [
            "佐藤花子様",
            "個人情報の取扱いに関する苦情の受付について",
            "回答予定日",
            "2026年12月21日",
            "件名",
        ] {
            assert!(flat.contains(want), "{want}: {text}");
        }
        assert!(!flat.contains("御中") && !flat.contains("宛"), "{text}");
    }
    let page = desk.get(&format!("/staff/inquiries/{id}")).await;
    let res = desk
        .post_form(
            &format!(
                "/staff/inquiries/{id}/letters/{}/posted",
                letter["id"].as_str().unwrap()
            ),
            &[("csrf_token", page.csrf().as_str())],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);

    // The answer, typed on the page, goes as a letter too; the list then shows it answered.
    let page = desk.get(&format!("/staff/inquiries/{id}")).await;
    let res = desk
        .post_form(
            &format!("/staff/inquiries/{id}/answer"),
            &[
                ("csrf_token", page.csrf().as_str()),
                ("answer", "配信を停止しました。\n\nご迷惑をおかけしました。"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let shown = officer.get(&format!("/api/v1/inquiries/{id}")).await;
    assert_eq!(shown["inquiry"]["status"], "answered");
    let answer = shown["notices"][1].clone();
    assert_eq!(answer["kind"], "inquiry_answered");
    let pdf = desk
        .get(&format!(
            "/staff/inquiries/{id}/letters/{}/pdf",
            answer["id"].as_str().unwrap()
        ))
        .await;
    if let Some(text) = common::poppler("pdftotext", &["-layout"], &pdf.raw) {
        let flat: String = text.split_whitespace().collect();
        assert!(flat.contains("配信を停止しました。"), "{text}");
    }
    let list = desk.get("/staff/inquiries?show=all").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("data-status=\"answered\""));
    // A letter answered at once, never acknowledged: the answer acknowledges it.
    let (status, body) = officer
        .post(
            "/api/v1/inquiries",
            &json!({"kind": "inquiry", "place": "JP", "channel": "visit", "received_on": "2026-11-22",
                    "name": "鈴木 一郎", "postal_address": "東京都港区芝公園4-2-8",
                    "subject": "手数料", "body": "手数料の額を教えてください。"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let visit = body["id"].as_str().unwrap().to_owned();
    let (status, body) = officer
        .post(
            &format!("/api/v1/inquiries/{visit}/answer"),
            &json!({"answer": "1件につき5,400円（税込）です。"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["acknowledged_how"].as_str()),
        (Some("answered"), Some("with_answer"))
    );
    // An officer names how it came: the form's own channel is not theirs to claim.
    let (status, body) = officer
        .post(
            "/api/v1/inquiries",
            &json!({"kind": "inquiry", "place": "JP", "channel": "web", "received_on": "2026-11-22",
                    "name": "x", "email": "x@example.jp", "subject": "s", "body": "b"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "channel")),
        (422, Some("unknown_channel"))
    );
    // No letter goes out by e-mail: the worker sends only the UK complaint's acknowledgement.
    let mails = common::delivered_over_smtp(&app).await;
    assert_eq!(mails.len(), 1);
    let ack = mails[0].text();
    assert!(ack.contains(&uk) && ack.contains("2026-12-20"), "{ack}");
    // The automatic acknowledgement repeats nothing the sender typed but their name.
    assert!(!ack.contains("Slow reply"), "{ack}");
}
