//! A week of mail at the Japanese desk (issue 19's "done when"), on both backends: a stale 住民票 asked
//! for again and accepted when the new one comes, an agent's case written to the agent, a legal agent
//! for a minor, a refusal under Art. 33(2)(ii), an electronic reply chosen, and a 全銀協 statement whose
//! kana payers settle the invoices. Every letter the week produces is read back from its PDF and pinned
//! as a golden file.

use serde_json::{Value, json};

use crate::browser;
use crate::common::{self, Api, Browser, TestApp};
use kaiji::domain::staff::Role;

both_backends!(
    a_week_of_mail_at_the_desk,
    a_week_of_mail_through_the_desks_pages
);

struct Desk<'a> {
    api: &'a Api,
    page: Browser,
    /// Receipt and invoice numbers as they appeared, replaced by stable names in the golden files.
    names: Vec<(String, String)>,
}

impl Desk<'_> {
    async fn letter(&mut self, tracking: &str, patch: Value, name: &str) -> String {
        let mut l = json!({
            "name": "山田 太郎", "name_kana": "ヤマダ タロウ",
            "postal_address": "〒100-0001 東京都千代田区千代田1-1",
            "received_on": "2026-11-20", "request_date": "2026-11-18",
            "mail_class": "simple_registered", "tracking_number": tracking,
            "requester_kind": "self", "request_types": ["access"], "services": ["ConoHa"],
        });
        for (k, v) in patch.as_object().unwrap() {
            l[k] = v.clone();
        }
        let (status, body) = self.api.post("/api/v1/postal-requests", &l).await;
        assert_eq!(status, 201, "{name}: {body}");
        let r = &body["requests"][0];
        self.names.push((
            r["receipt_number"].as_str().unwrap().to_owned(),
            format!("KJ-{name}"),
        ));
        r["id"].as_str().unwrap().to_owned()
    }

    async fn fire(&self, id: &str, event: &str, data: Value) {
        let v = self.api.version(id).await;
        let (status, body) = self.api.event(id, event, v, data).await;
        assert_eq!(status, 200, "{event}: {body}");
    }

    async fn document(
        &self,
        id: &str,
        kind: &str,
        holder: &str,
        original: bool,
        on: &str,
    ) -> Value {
        let v = self.api.version(id).await;
        let (status, body) = self
            .api
            .post(
                &format!("/api/v1/requests/{id}/documents"),
                &json!({"expected_version": v, "kind": kind, "holder": holder, "original": original, "created_on": on}),
            )
            .await;
        assert_eq!(status, 200, "{kind}: {body}");
        body
    }

    /// The desk reviews the enclosures, `holder`'s original `document` issued on `issued_on` and a copy
    /// of their `copy`, and confirms the identity.
    async fn identity_confirmed(
        &self,
        id: &str,
        holder: &str,
        (document, issued_on): (&str, &str),
        copy: &str,
    ) {
        self.fire(id, "start_identity_review", json!({})).await;
        self.document(id, document, holder, true, issued_on).await;
        self.document(id, copy, holder, false, "").await;
        self.fire(id, "confirm_identity", json!({})).await;
    }

    async fn invoice(&mut self, id: &str, name: &str) -> String {
        self.fire(id, "issue_invoice", json!({})).await;
        let number = self.api.request(id).await["invoices"][0]["number"]
            .as_str()
            .unwrap()
            .to_owned();
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        self.names.push((number.clone(), format!("INV-{name}")));
        self.names.push((digits, format!("DIGITS-{name}")));
        number
    }

    /// B: an agent with a power of attorney, written to; identity confirmed and invoiced.
    async fn agent_case(&mut self) -> String {
        let b = self
        .letter(
            "131-12-38386-3",
            json!({"requester_kind": "agent", "agent_name": "田中 一郎", "agent_name_kana": "タナカ イチロウ",
                   "agent_address": "〒150-0002 東京都渋谷区渋谷2-1"}),
            "B",
        )
        .await;
        self.fire(&b, "start_identity_review", json!({})).await;
        for (kind, holder) in [
            ("juminhyo", "principal"),
            ("power_of_attorney", "principal"),
            ("seal_certificate", "principal"),
        ] {
            self.document(&b, kind, holder, true, "2026-11-10").await;
        }
        self.document(&b, "drivers_license", "agent", false, "")
            .await;
        // The agent's authority is the checklist's 委任状 and 印鑑証明書 (the postal procedure's own check).
        self.fire(&b, "confirm_identity", json!({})).await;
        self.invoice(&b, "B").await;
        b
    }

    /// E: wants the answer electronically; identity confirmed and invoiced.
    async fn electronic_reply(&mut self) -> String {
        let e = self
            .letter(
                "131-12-38389-6",
                json!({"name": "佐藤 祥子", "name_kana": "サトウ ショウコ"}),
                "E",
            )
            .await;
        self.fire(&e, "choose_electronic_delivery", json!({})).await;
        self.identity_confirmed(
            &e,
            "principal",
            ("juminhyo", "2026-11-10"),
            "residence_card",
        )
        .await;
        self.invoice(&e, "E").await;
        e
    }

    /// The newest letter of this kind, as poppler reads it back from the PDF; `None` without poppler.
    async fn pdf_text(&self, id: &str, kind: &str) -> Option<String> {
        let r = self.api.request(id).await;
        let n = common::latest_notice(&r, kind);
        let res = self
            .page
            .get(&format!("{}/pdf", n["letter"].as_str().unwrap()))
            .await;
        assert_eq!(res.status, 200);
        let mut text = common::poppler("pdftotext", &[], &res.raw)?;
        for (seen, stable) in &self.names {
            text = text.replace(seen, stable);
        }
        Some(text)
    }
}

async fn a_week_of_mail_at_the_desk(app: TestApp) {
    let api = common::api(&app, "desk@example.com", Role::Officer).await;
    let mut desk = Desk {
        api: &api,
        page: app.signed_in("page@example.com", Role::Officer).await,
        names: Vec::new(),
    };
    let mut letters: Vec<(&str, String, &str)> = Vec::new();

    // Monday. A: the 住民票 is older than a month before the request.
    let a = desk.letter("131-12-38385-2", json!({}), "A").await;
    desk.fire(&a, "start_identity_review", json!({})).await;
    desk.document(&a, "juminhyo", "principal", true, "2026-09-01")
        .await;
    let c = desk.document(&a, "passport", "principal", false, "").await;
    assert_eq!(c["checklist"]["fresh"], false);
    desk.fire(
        &a,
        "request_documents",
        json!({"reason": "住民票の写しの作成日が古いため"}),
    )
    .await;
    letters.push(("a_documents_requested", a.clone(), "documents_requested"));

    // B: an agent with a power of attorney; the desk writes to the agent.
    let b = desk.agent_case().await;
    letters.push(("b_invoice", b.clone(), "invoice"));

    // C: a mother for her child (a legal agent), asking for a correction: no fee.
    let c = desk
        .letter(
            "131-12-38387-4",
            json!({"name": "山田 さくら", "name_kana": "ヤマダ サクラ", "requester_kind": "legal_agent",
                   "agent_name": "山田 花子", "agent_name_kana": "ヤマダ ハナコ",
                   "agent_address": "〒100-0001 東京都千代田区千代田1-1", "request_types": ["correction"]}),
            "C",
        )
        .await;
    desk.identity_confirmed(
        &c,
        "agent",
        ("koseki_tohon", "2026-11-12"),
        "my_number_card",
    )
    .await;
    letters.push(("c_received", c.clone(), "received"));

    // D: refused: disclosure would seriously hinder the business (Art. 33(2)(ii)).
    let d = desk.letter("131-12-38388-5", json!({}), "D").await;
    desk.identity_confirmed(&d, "principal", ("juminhyo", "2026-11-10"), "passport")
        .await;
    desk.fire(
        &d,
        "refuse",
        json!({"reason": "同一内容の請求が短期間に多数繰り返されており、対応に業務上著しい支障を及ぼすため",
               "ground": "serious_business_hindrance"}),
    )
    .await;
    letters.push(("d_refused", d.clone(), "refused"));

    // E: wants the answer electronically.
    let e = desk.electronic_reply().await;

    // Wednesday: A's new 住民票, issued after the desk asked, is accepted.
    app.clock.advance(chrono::TimeDelta::days(2));
    let fresh = desk
        .document(&a, "juminhyo", "principal", true, "2026-11-23")
        .await;
    assert_eq!(
        (
            fresh["checklist"]["complete"].as_bool(),
            fresh["checklist"]["fresh"].as_bool()
        ),
        (Some(true), Some(true)),
        "{fresh}"
    );
    desk.fire(&a, "documents_received", json!({})).await;
    desk.fire(&a, "confirm_identity", json!({})).await;

    // Thursday: the bank's 振込入金通知. B's agent pays under his own name in kana; E's bank prints her
    // name without small kana.
    let statement = common::zengin_transfer_notice(&[
        ("081125", 5_400, "ﾀﾅｶ ｲﾁﾛｳ", false),
        ("081125", 5_400, "ｻﾄｳ ｼﾖｳｺ", false),
    ]);
    let (status, report) = api
        .post_raw(
            "/api/v1/payments/import",
            "application/octet-stream",
            &statement,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["unmatched"], json!([]), "{report}");
    for id in [&b, &e] {
        let r = api.request(id).await;
        assert!(common::has_fact(&r, "fee_paid"), "{r}");
    }
    let r = api.request(&b).await;
    assert_eq!(
        r["invoices"][0]["payments"][0]["match_reason"]["name"],
        "agent_kana"
    );

    // The desk signs in again on Thursday (sessions end after a day idle).
    desk.page = app.signed_in("thursday@example.com", Role::Officer).await;
    for (golden, id, kind) in letters {
        let Some(text) = desk.pdf_text(&id, kind).await else {
            return;
        };
        insta::assert_snapshot!(golden, text);
    }
}

/// Fires an event from the request page: its button, after its reason (and ground) where it asks one;
/// waits for the page it lands on.
async fn press(c: &fantoccini::Client, base: &str, id: &str, event: &str, fields: &[(&str, &str)]) {
    use fantoccini::Locator;
    browser::goto(c, base, &format!("/staff/requests/{id}?lang=ja")).await;
    let button = format!("button[data-event='{event}']");
    c.wait()
        .for_element(Locator::Css(&button))
        .await
        .unwrap_or_else(|_| panic!("no {event} button"));
    for (field, value) in fields {
        let at = format!("#{field}-{event}");
        if *field == "ground" {
            browser::choose(c, Locator::Css(&at), value).await;
        } else {
            browser::fill(c, Locator::Css(&at), value).await;
        }
    }
    browser::click(c, Locator::Css(&button)).await;
    browser::landed(c).await;
}

/// Records an identity document from the request page's form (a date is set as the picker would).
async fn record_document(
    c: &fantoccini::Client,
    base: &str,
    id: &str,
    kind: &str,
    original: bool,
    created_on: &str,
) {
    use fantoccini::Locator;
    browser::goto(c, base, &format!("/staff/requests/{id}?lang=ja")).await;
    browser::wait_for(c, Locator::Id("document-form")).await;
    browser::choose(c, Locator::Id("doc-kind"), kind).await;
    browser::choose(c, Locator::Id("doc-holder"), "principal").await;
    if original {
        browser::click(c, Locator::Css("#document-form input[name=original]")).await;
    }
    c.execute(
        "document.getElementById('doc-created-on').value = arguments[0];",
        vec![json!(created_on)],
    )
    .await
    .unwrap();
    browser::click(c, Locator::Id("record-document")).await;
    browser::landed(c).await;
}

/// The same week with the desk at its pages in Chromium where an officer would be: letter A typed into
/// the intake form, its documents recorded and the new 住民票 asked for from the request page, D
/// refused there on its Art. 33(2)(ii) ground, and the bank's 全銀協 file uploaded on the payments page;
/// the other letters come through the API. The letters read back from their PDFs match the same golden
/// files as the API's week, and each page is shot at 1280 and 390 px.
async fn a_week_of_mail_through_the_desks_pages(app: TestApp) {
    use fantoccini::Locator;
    let Some(driver) = browser::chromedriver().await else {
        return;
    };
    app.staff(
        "monday@example.com",
        Role::Officer,
        "correct horse battery staple",
    )
    .await;
    let api = common::api(&app, "desk@example.com", Role::Officer).await;
    let mut desk = Desk {
        api: &api,
        page: app.signed_in("page@example.com", Role::Officer).await,
        names: Vec::new(),
    };
    let c = browser::browser(&driver).await;
    browser::sign_in(&c, &app.base, "monday@example.com").await;
    let base = app.base.clone();

    // Monday. A arrives by 簡易書留; the officer types it in.
    browser::goto(&c, &base, "/staff/postal/new?lang=ja").await;
    browser::wait_for(&c, Locator::Id("postal-form")).await;
    c.execute(
        "document.getElementById('received_on').value = '2026-11-20'; \
         document.getElementById('request_date').value = '2026-11-18';",
        vec![],
    )
    .await
    .unwrap();
    browser::choose(&c, Locator::Id("mail_class"), "simple_registered").await;
    browser::fill(&c, Locator::Id("tracking_number"), "131-12-38385-2").await;
    browser::click(&c, Locator::Css("#request_types input[value=access]")).await;
    browser::fill(&c, Locator::Id("services"), "ConoHa").await;
    browser::fill(&c, Locator::Id("name"), "山田 太郎").await;
    browser::fill(&c, Locator::Id("name_kana"), "ヤマダ タロウ").await;
    browser::fill(
        &c,
        Locator::Id("postal_address"),
        "〒100-0001 東京都千代田区千代田1-1",
    )
    .await;
    browser::choose(&c, Locator::Id("requester_kind"), "self").await;
    browser::shot(&c, "week-intake").await;
    browser::fits_a_phone(&c, "the intake form").await;
    browser::click(&c, Locator::Id("submit")).await;
    let registered = browser::url_when(&c, 100, |u| {
        u.query().is_some_and(|q| q.contains("registered=1"))
    })
    .await
    .expect("the intake form did not land on the request");
    let a = registered
        .path()
        .trim_start_matches("/staff/requests/")
        .to_owned();
    assert!(!a.is_empty(), "the intake form did not land on the request");
    let receipt = api.request(&a).await["receipt_number"]
        .as_str()
        .unwrap()
        .to_owned();
    desk.names.push((receipt, "KJ-A".to_owned()));

    // Its 住民票 is older than a month before the request: the officer asks for a new one.
    press(&c, &base, &a, "start_identity_review", &[]).await;
    record_document(&c, &base, &a, "juminhyo", true, "2026-09-01").await;
    record_document(&c, &base, &a, "passport", false, "").await;
    browser::scroll_to(&c, Locator::Id("documents")).await;
    browser::shot(&c, "week-checklist").await;
    browser::fits_a_phone(&c, "the request page with its checklist").await;
    press(
        &c,
        &base,
        &a,
        "request_documents",
        &[("reason", "住民票の写しの作成日が古いため")],
    )
    .await;

    // D is refused from its page on the law's ground (Art. 33(2)(ii)).
    let d = desk.letter("131-12-38388-5", json!({}), "D").await;
    desk.identity_confirmed(&d, "principal", ("juminhyo", "2026-11-10"), "passport")
        .await;
    press(
        &c,
        &base,
        &d,
        "refuse",
        &[
            (
                "reason",
                "同一内容の請求が短期間に多数繰り返されており、対応に業務上著しい支障を及ぼすため",
            ),
            ("ground", "serious_business_hindrance"),
        ],
    )
    .await;
    assert_eq!(api.request(&d).await["state"], "refused");

    // B (an agent, written to) and E (an electronic reply) through the API, invoiced.
    let b = desk.agent_case().await;
    let e = desk.electronic_reply().await;

    // Wednesday: A's new 住民票 is recorded from the page and identity confirmed there.
    app.clock.advance(chrono::TimeDelta::days(2));
    // Sessions end after a day idle: Wednesday's officer signs in afresh (one Chromium at a time).
    c.close().await.unwrap();
    let c = browser::browser(&driver).await;
    app.staff(
        "wednesday@example.com",
        Role::Officer,
        "correct horse battery staple",
    )
    .await;
    browser::sign_in(&c, &base, "wednesday@example.com").await;
    record_document(&c, &base, &a, "juminhyo", true, "2026-11-23").await;
    press(&c, &base, &a, "documents_received", &[]).await;
    press(&c, &base, &a, "confirm_identity", &[]).await;
    assert_eq!(api.request(&a).await["state"], "identity_confirmed");

    // Thursday: the bank's 振込入金通知, uploaded on the payments page; both kana payers settle.
    let statement = common::zengin_transfer_notice(&[
        ("081125", 5_400, "ﾀﾅｶ ｲﾁﾛｳ", false),
        ("081125", 5_400, "ｻﾄｳ ｼﾖｳｺ", false),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("furikomi.txt");
    std::fs::write(&file, &statement).unwrap();
    browser::goto(&c, &base, "/staff/payments?lang=ja").await;
    browser::wait_for(&c, Locator::Id("import-form")).await;
    c.find(Locator::Css("#import-form input[name=file]"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    browser::click(&c, Locator::Css("#import-form button[type=submit]")).await;
    let report =
        browser::text_after(&c, Locator::Id("import-report"), 10, "the import report").await;
    assert!(!report.contains("該当する請求書なし"), "{report}");
    assert_eq!(report.matches("全額入金済み").count(), 2, "{report}");
    browser::shot(&c, "week-payments").await;
    browser::fits_a_phone(&c, "the payments page with the import report").await;
    for id in [&b, &e] {
        let r = api.request(id).await;
        assert!(common::has_fact(&r, "fee_paid"), "{r}");
    }
    c.close().await.unwrap();

    // The letters the pages made read as the API's week did.
    desk.page = app.signed_in("thursday@example.com", Role::Officer).await;
    for (golden, id, kind) in [
        ("a_documents_requested", &a, "documents_requested"),
        ("b_invoice", &b, "invoice"),
        ("d_refused", &d, "refused"),
    ] {
        let Some(text) = desk.pdf_text(id, kind).await else {
            return;
        };
        insta::assert_snapshot!(golden, text);
    }
}
