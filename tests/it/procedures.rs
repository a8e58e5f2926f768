//! The published procedure pages and their API twin: read from the definitions the engine runs, so a fee
//! or a deadline changed in `seeds/` changes the page with no other edit.

use serde_json::Value;

use crate::common::{Backend, TestApp};

async fn every_served_procedure_has_its_page(app: TestApp) {
    let b = app.browser();
    let list = b.get("/procedures?lang=en").await;
    assert_eq!(list.status, 200);
    for id in [
        "jp-postal",
        "jp-online",
        "gdpr",
        "ccpa",
        "pipeda",
        "uk-gdpr",
        "pipa",
        "vcdpa",
        "lgpd-access",
        "lgpd",
    ] {
        assert!(
            list.body.contains(&format!("/procedures/{id}?lang=en")),
            "{id} is listed"
        );
    }
    // Pages may run kaiji's own script and no other (no inline script, no other origin).
    let csp = list.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("unsafe"),
        "{csp}"
    );
    let js = b.get("/static/kaiji.js").await;
    assert_eq!(js.status, 200);
    assert!(
        js.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(!list.body.contains("<script>"), "no inline script");
    let list_ja = b.get("/procedures?lang=ja").await;
    assert!(list_ja.body.contains("ご請求の手続"));

    // The postal procedure: its fee per service, the desk, the mail it takes, how fresh documents must
    // be, its deadline as the engine counts it, and the printable forms.
    let postal = b.get("/procedures/jp-postal?lang=en").await;
    assert_eq!(postal.status, 200);
    for needle in [
        "¥5,400 per service",
        "payable within 14 days",
        "Registered mail with delivery certificate",
        "no more than 1 month(s) before the request",
        "<td>14 days<br>",
        "It stops while we wait for something from you.",
        r#"id="procedure-forms""#,
        r#"id="procedure-desk""#,
    ] {
        assert!(postal.body.contains(needle), "{needle}");
    }
    assert!(
        postal
            .all_text_of("procedure-fee-payment")
            .unwrap()
            .contains("bank transfer to the account on the invoice")
    );
    let postal_ja = b.get("/procedures/jp-postal?lang=ja").await;
    assert!(postal_ja.body.contains("1サービスにつき5,400円"));
    // A list in a Japanese sentence is separated with 、, not an English comma.
    assert!(
        postal_ja.body.contains("<dd>日本、その他の地域</dd>"),
        "{}",
        postal_ja.body
    );
    assert!(
        postal_ja
            .all_text_of("procedure-fee-payment")
            .unwrap()
            .contains("振込手数料")
    );
    assert!(postal_ja.body.contains("配達証明付書留"));
    // The printable version: one A4 sheet with the same facts, its version, and its address on the web
    // (links do not work on paper).
    let print = b.get("/procedures/jp-postal/print?lang=ja").await;
    assert_eq!(print.status, 200);
    assert!(print.body.contains("<body class=\"a4\">"));
    assert!(print.body.contains("1サービスにつき5,400円") && print.body.contains("配達証明付書留"));
    assert!(print.body.contains(&format!(
        "手続 v{}",
        crate::common::seed_version("jp-postal")
    )));
    assert_eq!(
        print.text_of("procedure-url").as_deref(),
        Some(
            format!(
                "{}/procedures/jp-postal?lang=ja",
                app.state.config.http.public_url
            )
            .as_str()
        )
    );
    assert!(!print.body.contains("<nav>"), "no site navigation on paper");
    assert!(
        postal_ja
            .body
            .contains("/procedures/jp-postal/print?lang=ja")
    );
    assert_eq!(b.get("/procedures/nope/print").await.status, 404);

    // GDPR: free, one month, extension by two months once, the CNPD; CCPA: the points and declaration.
    let gdpr = b.get("/procedures/gdpr?lang=en").await;
    for needle in [
        "Art. 15",
        "1 month",
        "By 2 months, once",
        "CNPD",
        // Art. 12(5), from the regime: no procedure may charge for it.
        "Free of charge (the law)",
        "We first ask you to confirm your email address",
    ] {
        assert!(gdpr.body.contains(needle), "{needle}");
    }
    // The grounds a refusal may rest on, from the regime, with the rights they apply to.
    let grounds = gdpr.all_text_of("procedure-grounds").unwrap();
    assert!(
        grounds.contains("manifestly unfounded or excessive")
            && grounds.contains("Art. 17(3)")
            && grounds.contains("Delete"),
        "{grounds}"
    );
    let ccpa = b.get("/procedures/ccpa?lang=en").await;
    assert!(
        ccpa.body
            .contains("3 details that must match our records, and a signed declaration")
    );
    assert!(ccpa.body.contains("10 business days"));
    assert_eq!(b.get("/procedures/nope").await.status, 404);

    // The same facts, machine-readable.
    let api = b.get("/api/v1/procedures").await;
    assert_eq!(api.status, 200);
    let all: Value = api.json();
    let procedure = |id: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
    };
    let right = |id: &str, code: &str| {
        procedure(id)["rights"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .unwrap()
    };
    let postal = procedure("jp-postal");
    let access = right("jp-postal", "access");
    assert_eq!(
        (access["fee_yen"].as_i64(), access["fee_per"].as_str()),
        (Some(5400), Some("service"))
    );
    // APPI Art. 38(1) permits the fee for disclosure; GDPR Art. 12(5) makes access free.
    assert_eq!(access["free_by_law"], false);
    let gdpr_access = right("gdpr", "access");
    assert_eq!(
        (
            gdpr_access["free_by_law"].as_bool(),
            gdpr_access["fee_yen"].as_i64()
        ),
        (Some(true), None)
    );
    assert_eq!(postal["documents_max_age_months"], 1);
    assert_eq!(postal["deadlines"][0]["length"], "14 calendar days");
    assert!(
        postal["mail_classes"]
            .as_array()
            .unwrap()
            .contains(&Value::from("registered_with_delivery_certificate"))
    );
    let uk = procedure("uk-gdpr");
    assert_eq!(uk["deadlines"][0]["extension"], "2 months");
    assert_eq!(uk["places"][0]["en"], "United Kingdom");
}

/// A fee and a deadline changed in a copy of the seeds (published as a new version) show on the page.
async fn a_changed_fee_and_deadline_show_on_the_page(backend: Backend) {
    let seeds = crate::common::seeds_copy();
    let file = seeds.path().join("workflows/jp-postal.toml");
    let src = std::fs::read_to_string(&file).unwrap();
    for old in ["amount_yen = 5400", "duration = { days = 14 }"] {
        assert!(src.contains(old), "jp-postal.toml has {old}");
    }
    std::fs::write(
        &file,
        crate::common::next_version(&src)
            .0
            .replace("amount_yen = 5400", "amount_yen = 6600")
            .replace("duration = { days = 14 }", "duration = { days = 21 }"),
    )
    .unwrap();
    let dir = seeds.path().to_owned();
    let Some(app) = TestApp::spawn_with(backend, move |c| c.service.seeds_dir = dir).await else {
        return;
    };
    let before = app.browser().get("/procedures/jp-postal?lang=en").await;
    assert!(before.body.contains("¥5,400 per service") && before.body.contains("<td>14 days<br>"));
    let files = kaiji::app::workflows::read_definitions(
        &seeds.path().join("workflows"),
        app.state.workflows.laws(),
    )
    .unwrap();
    kaiji::app::workflows::publish(&mut app.tdb.conn(), &files, &app.clock).unwrap();
    let after = app.browser().get("/procedures/jp-postal?lang=en").await;
    assert!(after.body.contains("¥6,600 per service"), "the new fee");
    assert!(after.body.contains("<td>21 days<br>"), "the new deadline");
    assert!(!after.body.contains("¥5,400"));
    // And the form's table of rights says the same.
    let forms = app.browser().get("/forms?lang=ja").await;
    assert!(
        forms.body.contains("6,600円"),
        "the printable forms' fee line follows"
    );
}

both_backends!(every_served_procedure_has_its_page);

on_each_backend!(a_changed_fee_and_deadline_show_on_the_page);
