//! In a real browser (headless Chromium driven through chromedriver): a data subject fills the form in
//! English, submits, and reads the receipt number; then follows the private link in Japanese.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them the test says
//! it did not run; with `KAIJI_TEST_STRICT=1` it fails instead.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{TestApp, say_not_run, strict};
use fantoccini::{ClientBuilder, Locator};
use kaiji::domain::staff::Role;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub(crate) struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn chromedriver() -> Option<Driver> {
    // rustls has two crypto providers linked into the tests (lettre's ring, fantoccini's aws-lc-rs) and
    // will not guess: the WebDriver client gets ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        if strict() {
            panic!(
                "KAIJI_TEST_STRICT=1 but {CHROMIUM} or {CHROMEDRIVER} is missing: apt-get install chromium chromium-driver"
            );
        }
        say_not_run("browser", "install Debian's chromium and chromium-driver");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: tempfile::tempdir().unwrap(),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

pub(crate) async fn browser(driver: &Driver) -> fantoccini::Client {
    let profile = driver._profile.path().display().to_string();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", format!("--user-data-dir={profile}"),
            ]
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("open a Chromium session")
}

both_backends!(
    a_subject_reads_the_procedures_on_a_phone_in_each_language,
    a_subject_files_a_request_and_reads_the_receipt,
    a_subject_files_in_japanese_and_follows_the_tracking_link,
    a_subject_prints_a_filled_in_postal_form,
    an_officer_filters_the_queue_and_acts_and_an_auditor_downloads_the_log,
    an_admin_disables_a_member_from_the_staff_page,
    an_officer_records_a_systems_correction_and_lifts_a_restriction,
    an_officer_records_a_change_on_the_request_page,
    a_system_owner_works_their_task_without_seeing_the_request,
    a_guardian_files_for_a_child_on_a_phone,
    an_officer_reviews_the_package_and_the_registry_on_a_phone,
    an_officer_checks_an_agents_authority_and_a_guardians_basis_on_a_phone,
    the_desk_rejects_a_document_and_records_a_letter_posted_on_a_phone,
    a_person_complains_on_a_phone_and_the_desk_answers,
    the_desk_keeps_the_register_of_provision_records
);
on_each_backend!(a_member_enrols_an_authenticator);

/// With `KAIJI_SCREENSHOTS=<dir>`, saves the page as it stands at 1280 px and at 390 px (a phone), to look
/// at; the window returns to 1280 px.
pub(crate) async fn shot(c: &fantoccini::Client, name: &str) {
    let Ok(dir) = std::env::var("KAIJI_SCREENSHOTS") else {
        return;
    };
    for width in [1280, 390] {
        c.set_window_size(width, 900).await.unwrap();
        let png = c.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/{name}-{width}.png"), png).unwrap();
    }
    c.set_window_size(1280, 900).await.unwrap();
}

/// `shot`, with the element at `at` scrolled into view at each width (a resize moves the page).
pub(crate) async fn shot_of(c: &fantoccini::Client, name: &str, at: Locator<'_>) {
    let Ok(dir) = std::env::var("KAIJI_SCREENSHOTS") else {
        return;
    };
    for width in [1280, 390] {
        c.set_window_size(width, 900).await.unwrap();
        scroll_to(c, at).await;
        let png = c.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/{name}-{width}.png"), png).unwrap();
    }
    c.set_window_size(1280, 900).await.unwrap();
}

/// The page is no wider than the window: wide tables scroll inside `.table-scroll`, text wraps.
pub(crate) async fn assert_fits(c: &fantoccini::Client, width: u32, what: &str) {
    let overflow: serde_json::Value = c
        .execute(
            "const w = document.documentElement.clientWidth; \
             const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-scroll')).map(e => e.tagName + '#' + e.id + '.' + e.className); \
             return {over: document.documentElement.scrollWidth - w, wide: wide.slice(0, 5)};",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow["over"].as_i64().unwrap() <= 0,
        "{what} is wider than the screen at {width} px: {overflow}"
    );
}

/// The text of the element at `at` on the page as it stands.
pub(crate) async fn text(c: &fantoccini::Client, at: Locator<'_>) -> String {
    c.find(at).await.unwrap().text().await.unwrap()
}

/// The text of the element at `at` once the page that holds it has come (up to `secs`); `what` names
/// that page when it does not.
pub(crate) async fn text_after(
    c: &fantoccini::Client,
    at: Locator<'_>,
    secs: u64,
    what: &str,
) -> String {
    c.wait()
        .at_most(Duration::from_secs(secs))
        .for_element(at)
        .await
        .expect(what)
        .text()
        .await
        .unwrap()
}

pub(crate) async fn fill(c: &fantoccini::Client, at: Locator<'_>, text: &str) {
    c.find(at).await.unwrap().send_keys(text).await.unwrap();
}

pub(crate) async fn choose(c: &fantoccini::Client, at: Locator<'_>, value: &str) {
    c.find(at)
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

pub(crate) async fn click(c: &fantoccini::Client, at: Locator<'_>) {
    c.find(at).await.unwrap().click().await.unwrap();
}

/// Opens `path` on the server at `base`.
pub(crate) async fn goto(c: &fantoccini::Client, base: &str, path: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
}

/// Waits (up to the driver's limit) for the element at `at`: the page that holds it has come.
pub(crate) async fn wait_for(c: &fantoccini::Client, at: Locator<'_>) {
    c.wait().for_element(at).await.unwrap();
}

/// The page fits a phone (`assert_fits` at 390 px); the window returns to 1280 px.
pub(crate) async fn fits_a_phone(c: &fantoccini::Client, what: &str) {
    c.set_window_size(390, 900).await.unwrap();
    assert_fits(c, 390, what).await;
    c.set_window_size(1280, 900).await.unwrap();
}

/// The page fits at 1280 px and at 390 px; the window returns to 1280 px.
pub(crate) async fn fits_each_width(c: &fantoccini::Client, what: &str) {
    for width in [1280, 390] {
        c.set_window_size(width, 900).await.unwrap();
        assert_fits(c, width, what).await;
    }
    c.set_window_size(1280, 900).await.unwrap();
}

/// The page's address once `arrived` holds for it, looked at every 100 ms up to `tries` times; `None`
/// when it never did.
pub(crate) async fn url_when(
    c: &fantoccini::Client,
    tries: u32,
    arrived: impl Fn(&url::Url) -> bool,
) -> Option<url::Url> {
    for _ in 0..tries {
        let url = c.current_url().await.unwrap();
        if arrived(&url) {
            return Some(url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Scrolls the element at `at` into view (for the screenshot that follows).
pub(crate) async fn scroll_to(c: &fantoccini::Client, at: Locator<'_>) {
    let el = c.find(at).await.unwrap();
    c.execute(
        "arguments[0].scrollIntoView();",
        vec![serde_json::to_value(&el).unwrap()],
    )
    .await
    .unwrap();
}

/// The published procedures, followed from the list to one page, in Japanese and in English, fit a
/// phone's width; the postal one links its printable forms.
async fn a_subject_reads_the_procedures_on_a_phone_in_each_language(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let c = browser(&driver).await;
    for (lang, title, law) in [
        ("ja", "ご請求の手続", "EU一般データ保護規則（GDPR）"),
        (
            "en",
            "How to make a request",
            "General Data Protection Regulation (EU) 2016/679",
        ),
        // Korean came as a folder of Fluent files and the seeds' `ko` texts.
        (
            "ko",
            "요청 방법",
            "EU 일반개인정보보호규정(GDPR, 규정 (EU) 2016/679)",
        ),
    ] {
        goto(&c, &app.base, &format!("/procedures?lang={lang}")).await;
        assert_eq!(text(&c, Locator::Css("h1")).await, title);
        click(&c, Locator::Css("a[href^='/procedures/gdpr']")).await;
        assert_eq!(
            text_after(&c, Locator::Id("procedure-law"), 10, "the GDPR page opens").await,
            law
        );
        let deadlines = text(&c, Locator::Id("procedure-deadlines")).await;
        assert!(
            deadlines.contains("12(3)") || deadlines.contains("12条3項"),
            "{deadlines}"
        );
        shot(&c, &format!("procedure-gdpr-{lang}")).await;
        fits_each_width(&c, "the procedure page").await;
        goto(&c, &app.base, &format!("/procedures/jp-postal?lang={lang}")).await;
        click(&c, Locator::Id("procedure-forms")).await;
        text_after(&c, Locator::Id("desk"), 10, "the printable forms open").await;
    }
    c.close().await.unwrap();
}

async fn a_subject_files_a_request_and_reads_the_receipt(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let c = browser(&driver).await;
    goto(&c, &app.base, "/?lang=en").await;
    assert_eq!(
        text(&c, Locator::Css("h1")).await,
        "Make a request about your personal data"
    );
    // Step 1: the place. Portability is not offered until the EEA is chosen.
    assert!(
        c.find(Locator::Css("option[value='portability']"))
            .await
            .is_err(),
        "an English page starts at elsewhere, whose law has no portability"
    );
    // What was typed before the place changes is kept (the script carries it over in this tab).
    fill(&c, Locator::Id("name"), "Jane Doe").await;
    // Choosing the place reloads the rights at once (the script); without it, the button does.
    choose(&c, Locator::Id("place"), "EEA").await;
    // Only the EEA's page offers portability: waiting for it waits for the new page.
    text_after(
        &c,
        Locator::Css("option[value='portability']"),
        10,
        "the EEA's rights appear",
    )
    .await;
    let kept = c
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Jane Doe"));
    // The other person's fields show only once someone asks for another.
    let person = c.find(Locator::Id("person_name")).await.unwrap();
    assert!(!person.is_displayed().await.unwrap());
    click(
        &c,
        Locator::Css("input[name=requester_kind][value=guardian]"),
    )
    .await;
    assert!(person.is_displayed().await.unwrap());
    click(&c, Locator::Css("input[name=requester_kind][value=self]")).await;
    assert!(!person.is_displayed().await.unwrap());
    assert!(
        text(&c, Locator::Id("rights-for"))
            .await
            .contains("European Economic Area")
    );
    shot(&c, "form-eea").await;
    fill(&c, Locator::Id("email"), "jane@example.com").await;
    choose(&c, Locator::Id("request_type"), "portability").await;
    let terms = text(&c, Locator::Id("rights-terms")).await;
    assert!(
        terms.contains("Answer within one month (Art. 12(3))") && terms.contains("Free"),
        "{terms}"
    );
    fill(&c, Locator::Id("message"), "My order history, please.").await;
    click(&c, Locator::Id("submit")).await;

    let receipt = text_after(
        &c,
        Locator::Id("receipt-number"),
        10,
        "the receipt page appears (CSRF cookie accepted by the browser)",
    )
    .await;
    assert!(receipt.starts_with("KJ-20261122-"), "{receipt}");
    shot(&c, "receipt").await;
    let link = text(&c, Locator::Id("tracking-link")).await;
    assert!(link.starts_with(&format!("{}/track/", app.base)));
    assert_eq!(app.count("requests"), 1);
    let row = &kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0];
    assert_eq!(row.receipt_number, receipt);
    assert_eq!(row.request_type, "portability");

    // The private link, later, in Japanese.
    c.goto(&format!("{link}?lang=ja")).await.unwrap();
    let state = text(&c, Locator::Id("track-state")).await;
    assert_eq!(state, "受付済み");
    shot(&c, "tracking-ja").await;
    assert_eq!(text(&c, Locator::Id("track-receipt")).await, receipt);

    // Jane changes her mind: the button asks her to tick that she means it, then closes the request.
    c.goto(&format!("{link}?lang=en")).await.unwrap();
    fill(
        &c,
        Locator::Id("statement-withdraw"),
        "I found what I needed.",
    )
    .await;
    click(&c, Locator::Css("#action-withdraw button")).await;
    let why = text_after(
        &c,
        Locator::Id("confirm-withdraw-error"),
        10,
        "the tick is asked for",
    )
    .await;
    assert!(why.contains("required"), "{why}");
    let typed = c
        .find(Locator::Id("statement-withdraw"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(typed.as_deref(), Some("I found what I needed."));
    fits_each_width(&c, "the tracking page with a withdrawal form").await;
    shot(&c, "withdraw-asks").await;
    click(&c, Locator::Css("#action-withdraw input[name=confirm]")).await;
    click(&c, Locator::Css("#action-withdraw button")).await;
    let done = text_after(
        &c,
        Locator::Id("track-withdrawn"),
        10,
        "the request is withdrawn",
    )
    .await;
    assert!(done.contains("withdrew"), "{done}");
    shot(&c, "withdrawn").await;
    assert_eq!(
        text(&c, Locator::Id("track-state")).await,
        "Withdrawn by the requester"
    );
    c.close().await.unwrap();
}

async fn a_subject_prints_a_filled_in_postal_form(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let c = browser(&driver).await;
    goto(&c, &app.base, "/forms?lang=ja").await;
    click(
        &c,
        Locator::Css("a[href='/forms/disclosure/draft?requester=self']"),
    )
    .await;
    wait_for(&c, Locator::Id("draft-form")).await;
    for (id, text) in [
        ("name", "山田 太郎"),
        ("name_kana", "やまだ たろう"),
        ("postal_address", "〒100-0001 東京都千代田区千代田1-1"),
        ("phone", "03-0000-0000"),
        ("services", "GPUクラウド byGMO\nConoHa"),
    ] {
        fill(&c, Locator::Id(id), text).await;
    }
    shot(&c, "form-draft").await;
    click(&c, Locator::Id("submit")).await;
    let title = text_after(
        &c,
        Locator::Id("form-title"),
        10,
        "the printable form appears",
    )
    .await;
    assert_eq!(title, "個人情報開示請求書");
    assert_eq!(text(&c, Locator::Id("f-name")).await, "山田 太郎");
    let fee = text(&c, Locator::Id("f-fee")).await;
    assert!(fee.contains("10,800円"), "{fee}");
    // Print it, as the requester would: Chromium renders the page to a PDF.
    let pdf = c
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(pdf.len() > 5_000, "with content ({} bytes)", pdf.len());
    c.close().await.unwrap();
}

async fn a_subject_files_in_japanese_and_follows_the_tracking_link(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let c = browser(&driver).await;
    goto(&c, &app.base, "/?lang=ja").await;
    let h1 = text(&c, Locator::Css("h1")).await;
    assert_eq!(h1, "個人情報に関するご請求");
    for (id, text) in [
        ("name", "山田 花子"),
        ("email", "hanako@example.jp"),
        ("message", "保有個人データの開示をお願いします。"),
    ] {
        fill(&c, Locator::Id(id), text).await;
    }
    // A Japanese page suggests Japan: its rights are offered at once.
    choose(&c, Locator::Id("request_type"), "access").await;
    click(&c, Locator::Id("submit")).await;
    let link = text_after(
        &c,
        Locator::Id("tracking-link"),
        10,
        "the receipt page appears",
    )
    .await;
    // Later, the private link alone: it speaks the requester's language and asks for the email check.
    c.goto(&link).await.unwrap();
    let ask = text(&c, Locator::Id("track-confirm-email")).await;
    assert!(ask.contains("メールアドレスの確認をお願いします"), "{ask}");
    let notices = text(&c, Locator::Id("track-notice-list")).await;
    assert!(
        notices.contains("受付のお知らせ") && notices.contains("メールアドレスの確認のお願い"),
        "{notices}"
    );
    // The requester confirms through the link in the notice, in the same browser.
    let id = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let confirm = kaiji::app::confirm::confirm_path(&app.state.keys, &id.as_str().into());
    goto(&c, &app.base, &confirm).await;
    click(&c, Locator::Css("#confirm-form button")).await;
    let done = text_after(&c, Locator::Id("confirmed"), 10, "the confirmation page").await;
    assert!(done.contains("確認ありがとうございます"), "{done}");
    shot(&c, "confirmed-ja").await;
    c.goto(&link).await.unwrap();
    let next = text(&c, Locator::Id("track-working")).await;
    assert!(next.contains("対応しています"), "{next}");
    c.close().await.unwrap();
}

pub(crate) async fn sign_in(c: &fantoccini::Client, base: &str, email: &str) {
    goto(c, base, "/staff/login?lang=en").await;
    fill(c, Locator::Id("email"), email).await;
    fill(c, Locator::Id("password"), common::PASSWORD).await;
    click(c, Locator::Css("form button[type=submit]")).await;
    // Wait for the sign-in to land (the session cookie set) before the caller goes elsewhere: a page
    // opened while the post is in flight would be answered with the sign-in page.
    url_when(c, 100, |u| !u.path().starts_with("/staff/login"))
        .await
        .expect("signing in did not leave the sign-in page");
}

async fn an_officer_filters_the_queue_and_acts_and_an_auditor_downloads_the_log(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    for (jurisdiction, right, email) in [
        ("eea", "access", "a@example.eu"),
        ("california", "deletion", "b@example.com"),
    ] {
        common::file_json(
            &app,
            serde_json::json!({"email": email, "request_type": right, "jurisdiction": jurisdiction}),
        )
        .await;
    }
    app.confirm_emails().await;
    app.staff("officer@example.com", Role::Officer, common::PASSWORD)
        .await;
    app.staff("auditor@example.com", Role::Auditor, common::PASSWORD)
        .await;

    let c = browser(&driver).await;
    sign_in(&c, &app.base, "officer@example.com").await;
    goto(&c, &app.base, "/staff/requests?lang=en").await;
    choose(&c, Locator::Css("select[name=right]"), "deletion").await;
    click(&c, Locator::Css("#queue-filters button")).await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(
            "select[name=right] option[value=deletion][selected]",
        ))
        .await
        .expect("the filtered queue");
    let rows = c.find_all(Locator::Css("#queue tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 1, "only the deletion request");
    shot(&c, "queue").await;
    rows[0]
        .find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, Locator::Css("button[data-event=acknowledge]")).await;
    // The page comes back with the new state (waits for the navigation, up to the driver's limit).
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#state[data-state=acknowledged]"))
        .await
        .expect("the request moved to acknowledged");
    shot(&c, "request-page").await;
    // A complaint is pending: the officer holds the request from its page.
    fill(
        &c,
        Locator::Id("hold-reason"),
        "Complaint to the CPPA pending",
    )
    .await;
    click(&c, Locator::Css("#hold-form button")).await;
    // Only a held request's status has the "held since" heading.
    text_after(
        &c,
        Locator::Css("#hold-status strong"),
        20,
        "the hold is placed",
    )
    .await;
    let held = text(&c, Locator::Id("hold-status")).await;
    assert!(held.contains("Complaint to the CPPA pending"), "{held}");
    shot(&c, "request-held").await;
    fits_each_width(&c, "the request page").await;
    c.close().await.unwrap();

    // The auditor downloads the log, with its hashes, from the audit page.
    let c = browser(&driver).await;
    sign_in(&c, &app.base, "auditor@example.com").await;
    goto(&c, &app.base, "/staff/audit?lang=en").await;
    assert!(c.find(Locator::Id("audit-export")).await.is_ok());
    // The form's download, fetched with the browser's own session cookie (a headless browser saves
    // downloads out of reach).
    let session = c.get_named_cookie("kaiji_session").await.unwrap();
    let action = c
        .find(Locator::Id("audit-export"))
        .await
        .unwrap()
        .attr("action")
        .await
        .unwrap()
        .unwrap();
    let res = common::http_client()
        .get(format!("{}{action}?format=csv", app.base))
        .header("cookie", format!("kaiji_session={}", session.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("kaiji-audit.csv")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("seq,id,occurred_at,action"), "{csv}");
    assert!(csv.contains("request.transitioned") && csv.contains("acknowledged"));
    assert!(
        csv.lines()
            .rev()
            .find(|l| l.starts_with("#kaiji-trailer"))
            .is_some(),
        "the export ends with its checkpoint"
    );
    // The download integrated the log: the page now shows the key and the checkpoint that seals it,
    // and where checkpoints are kept; on a phone, hashes wrap instead of widening the page.
    for width in [1280, 390] {
        c.set_window_size(width, 900).await.unwrap();
        goto(&c, &app.base, "/staff/audit?lang=en").await;
        let key = c.find(Locator::Id("audit-verifier-key")).await.unwrap();
        assert!(key.text().await.unwrap().contains("/audit+"));
        let size = text(&c, Locator::Id("audit-checkpoint-size")).await;
        assert!(size.contains("events"), "{size}");
        if let Ok(dir) = std::env::var("KAIJI_SCREENSHOTS") {
            let png = c.screenshot().await.unwrap();
            std::fs::write(format!("{dir}/audit-{width}.png"), png).unwrap();
        }
        assert_fits(&c, width, "the audit page").await;
    }
    // The evidence pack of the acknowledged request, from the page's form.
    let request = kaiji::db::requests::list_open(&mut app.tdb.conn(), 10)
        .unwrap()
        .into_iter()
        .find(|r| r.request_type == "deletion")
        .unwrap()
        .id;
    let res = common::http_client()
        .get(format!(
            "{}/staff/audit/evidence?request={request}",
            app.base
        ))
        .header("cookie", format!("kaiji_session={}", session.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let pack: serde_json::Value = res.json().await.unwrap();
    assert!(pack["events"].as_array().unwrap().len() >= 3);
    c.close().await.unwrap();
}

async fn an_admin_disables_a_member_from_the_staff_page(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    app.staff("admin@example.com", Role::Admin, common::PASSWORD)
        .await;
    app.staff("officer@example.com", Role::Officer, common::PASSWORD)
        .await;
    let c = browser(&driver).await;
    sign_in(&c, &app.base, "admin@example.com").await;
    c.wait()
        .for_url(&format!("{}/staff/requests", app.base).parse().unwrap())
        .await
        .unwrap();
    goto(&c, &app.base, "/staff/people?lang=en").await;
    fits_each_width(&c, "the staff page").await;
    shot(&c, "people").await;
    let row = c
        .find(Locator::Css("tr[data-email='officer@example.com']"))
        .await
        .unwrap();
    row.find(Locator::Css("button.danger"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The page comes back with the row marked.
    let row = c
        .wait()
        .for_element(Locator::Css(
            "tr.inactive[data-email='officer@example.com']",
        ))
        .await
        .unwrap();
    assert!(row.text().await.unwrap().contains("Disabled"));
    shot(&c, "people-disabled").await;
    c.close().await.unwrap();
}

/// Two-step sign-in in Chromium: the password, the QR code and key, the first code, the recovery codes,
/// then the queue; at 1280 and 390 px.
async fn a_member_enrols_an_authenticator(backend: common::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.http.require_mfa = kaiji::config::MfaPolicy::All;
    })
    .await
    else {
        return;
    };
    let Some(driver) = chromedriver().await else {
        return;
    };
    app.staff("officer@example.com", Role::Officer, common::PASSWORD)
        .await;
    let c = browser(&driver).await;
    sign_in(&c, &app.base, "officer@example.com").await;
    wait_for(&c, Locator::Css("#mfa-qr svg")).await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/staff/mfa/enrol")
    );
    fits_each_width(&c, "the enrolment page").await;
    shot(&c, "mfa-enrol").await;
    let key = c
        .find(Locator::Id("mfa-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = totp_rs::Secret::try_from_base32(key.trim())
        .unwrap()
        .as_bytes()
        .to_vec();
    let now = u64::try_from(app.clock.now().timestamp()).unwrap();
    let code = kaiji::security::mfa::code_at(&secret, now).unwrap();
    c.find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(&code)
        .await
        .unwrap();
    c.find(Locator::Css("#mfa-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let codes = c
        .wait()
        .for_element(Locator::Id("recovery-codes"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(codes.split_whitespace().count(), 10, "{codes}");
    fits_each_width(&c, "the recovery codes").await;
    shot(&c, "mfa-recovery-codes").await;
    c.find(Locator::Id("mfa-next"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_url(&format!("{}/staff/requests", app.base).parse().unwrap())
        .await
        .unwrap();
    // The account page now says two-step sign-in is on and offers a token.
    goto(&c, &app.base, "/staff/account?lang=en").await;
    let status = c
        .find(Locator::Id("mfa-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status.contains("Recovery codes left: 10"), "{status}");
    c.find(Locator::Id("token-form")).await.unwrap();
    fits_each_width(&c, "the account page").await;
    shot(&c, "account").await;
    c.close().await.unwrap();
}

/// Waits for the page a form's redirect lands on (`moved=1`), so what is read next is on it.
pub(crate) async fn landed(c: &fantoccini::Client) {
    url_when(c, 200, |u| u.query().is_some_and(|q| q.contains("moved=1")))
        .await
        .expect("the form did not land on its page");
}

/// Closes the rectification task form at `form` with one correction, and waits for the page it lands on.
async fn record_correction(c: &fantoccini::Client, form: &str) {
    choose(
        c,
        Locator::Css(&format!("{form} select[name=outcome]")),
        "rectified",
    )
    .await;
    for (field, value) in [
        ("item_1", "Postal address"),
        ("prior_value_1", "1-1 Old Street"),
        ("new_value_1", "2-2 New Street"),
    ] {
        fill(
            c,
            Locator::Css(&format!("{form} input[name={field}]")),
            value,
        )
        .await;
    }
    click(c, Locator::Css(&format!("{form} button[type=submit]"))).await;
    landed(c).await;
}

/// An officer closes a rectification task from the request page, typing the correction in, and lifts a
/// restriction from a later day; both fit a phone.
async fn an_officer_records_a_systems_correction_and_lifts_a_restriction(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    let mut ids = Vec::new();
    for right in ["correction", "restriction"] {
        let id = common::started(
            &app,
            &officer,
            serde_json::json!({"email": "pat@example.eu", "request_type": right, "jurisdiction": "eea",
                               "message": "My postal address is now 2-2 New Street."}),
        )
        .await;
        ids.push(id);
    }
    // The restriction is in force in every system and answered.
    officer
        .close_each(
            &ids[1],
            serde_json::json!({"outcome": "restricted", "purposes": "legal claims"}),
        )
        .await;
    assert_eq!(officer.fire(&ids[1], "answer", 3).await.0, 200);

    let c = browser(&driver).await;
    sign_in(&c, &app.base, "officer@example.com").await;
    goto(
        &c,
        &app.base,
        &format!("/staff/requests/{}?lang=en", ids[0]),
    )
    .await;
    let form = "form.task-form[data-task='Customer accounts']";
    scroll_to(&c, Locator::Id("tasks")).await;
    shot(&c, "rectify-task").await;
    record_correction(&c, form).await;
    let status = text_after(
        &c,
        Locator::Css("#task-table tr[data-task='Customer accounts'][data-status=rectified]"),
        20,
        "the task closed as rectified",
    )
    .await;
    assert!(status.contains("corrected as you asked"), "{status}");
    assert!(
        status.contains("Example Cloud Hosting K.K. (processor)"),
        "{status}"
    );
    fits_a_phone(&c, "the request page with task forms").await;
    scroll_to(&c, Locator::Id("tasks")).await;
    shot(&c, "rectify-done").await;

    goto(
        &c,
        &app.base,
        &format!("/staff/requests/{}?lang=ja", ids[1]),
    )
    .await;
    let lift = "form.lift-form[data-task='Marketing preferences']";
    let later = (app.clock.now().date_naive() + chrono::TimeDelta::days(10))
        .format("%m%d%Y")
        .to_string();
    fill(
        &c,
        Locator::Css(&format!("{lift} input[name=lifted_on]")),
        &later,
    )
    .await;
    fill(
        &c,
        Locator::Css(&format!("{lift} input[name=reason]")),
        "正確性を確認しました",
    )
    .await;
    scroll_to(&c, Locator::Id("tasks")).await;
    shot(&c, "lift-restriction").await;
    click(&c, Locator::Css(&format!("{lift} button[type=submit]"))).await;
    landed(&c).await;
    let row = text_after(
        &c,
        Locator::Css("#task-table tr[data-task='Marketing preferences']"),
        20,
        "the page after lifting",
    )
    .await;
    assert!(row.contains("解除日"), "{row}");
    fits_a_phone(&c, "the request page with a lift form").await;
    let r = officer.request(&ids[1]).await;
    assert!(
        r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "restriction_lifting"),
        "the person is told"
    );
}

/// An officer records a correction on the request page's change form, in Japanese: the table of
/// recorded changes shows the item, the value before and after and when (Japan time); it fits a phone.
async fn an_officer_records_a_change_on_the_request_page(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    let id = common::file_id(
        &app,
        serde_json::json!({"name": "山田太郎", "email": "taro@example.jp", "request_type": "correction",
                           "jurisdiction": "japan", "message": "住所が変わりました。"}),
    )
    .await;
    app.confirm_email(&id).await;
    assert_eq!(officer.fire(&id, "confirm_identity", 1).await.0, 200);
    let c = browser(&driver).await;
    sign_in(&c, &app.base, "officer@example.com").await;
    goto(&c, &app.base, &format!("/staff/requests/{id}?lang=ja")).await;
    for (field, value) in [
        ("change-item", "住所"),
        ("change-prior_value", "東京都千代田区千代田1-1"),
        ("change-new_value", "東京都港区芝公園4-2-8"),
    ] {
        fill(&c, Locator::Id(field), value).await;
    }
    shot_of(&c, "change-form", Locator::Id("change-form")).await;
    click(&c, Locator::Css("#change-form button[type=submit]")).await;
    landed(&c).await;
    let row = text_after(
        &c,
        Locator::Css("#change-list tbody tr"),
        20,
        "the recorded change",
    )
    .await;
    let when = app
        .clock
        .now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d")
        .to_string();
    for shown in [
        "住所",
        "東京都千代田区千代田1-1",
        "東京都港区芝公園4-2-8",
        &when,
    ] {
        assert!(row.contains(shown), "{shown} in {row}");
    }
    shot_of(&c, "change-list", Locator::Id("changes")).await;
    fits_each_width(&c, "the request page with recorded changes").await;
}

/// A data-system owner signs in, lands on their open tasks, opens theirs and records the correction;
/// the request itself stays closed to them. Fits a phone.
async fn a_system_owner_works_their_task_without_seeing_the_request(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    app.staff(
        "accounts-owner@example.com",
        Role::SystemOwner,
        common::PASSWORD,
    )
    .await;
    let id = common::started(
        &app,
        &officer,
        serde_json::json!({"email": "pat@example.eu", "request_type": "correction", "jurisdiction": "eea",
                           "message": "My postal address is now 2-2 New Street."}),
    )
    .await;

    let c = browser(&driver).await;
    sign_in(&c, &app.base, "accounts-owner@example.com").await;
    let first = text_after(&c, Locator::Css("#task-list li"), 20, "their open tasks").await;
    assert!(first.contains("Customer accounts"), "{first}");
    shot(&c, "owner-tasks").await;
    click(&c, Locator::Css("#task-list li a")).await;
    let asked = text_after(&c, Locator::Css("pre.message"), 20, "the task page").await;
    assert!(asked.contains("2-2 New Street"), "{asked}");
    shot(&c, "owner-task").await;
    let form = "form.task-form";
    record_correction(&c, form).await;
    let status = text_after(
        &c,
        Locator::Css("#task-status[data-status=rectified]"),
        20,
        "the closed task",
    )
    .await;
    assert!(status.contains("corrected as you asked"), "{status}");
    fits_a_phone(&c, "the owner's task page").await;
    shot(&c, "owner-task-done").await;
    goto(&c, &app.base, &format!("/staff/requests/{id}")).await;
    let body = c.source().await.unwrap();
    assert!(
        !body.contains("pat@example.eu"),
        "the request stays closed to them"
    );
}

/// A parent files for their child on a phone, in Japanese: the basis and the birth date show only for a
/// guardian; an adult's birth date comes back with its message and everything typed; a child's files.
async fn a_guardian_files_for_a_child_on_a_phone(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let c = browser(&driver).await;
    c.set_window_size(390, 900).await.unwrap();
    goto(&c, &app.base, "/?lang=ja&place=JP").await;
    let born = c.find(Locator::Id("person_born_on")).await.unwrap();
    assert!(
        !born.is_displayed().await.unwrap(),
        "not for the person themselves"
    );
    click(&c, Locator::Css("input[name=requester_kind][value=agent]")).await;
    assert!(!born.is_displayed().await.unwrap(), "not for an agent");
    click(
        &c,
        Locator::Css("input[name=requester_kind][value=guardian]"),
    )
    .await;
    assert!(born.is_displayed().await.unwrap(), "for a guardian");
    let basis = text(&c, Locator::Id("guardian_basis")).await;
    assert!(basis.contains("18歳未満"), "the law's age: {basis}");
    fill(&c, Locator::Id("name"), "山田 花子").await;
    fill(&c, Locator::Id("email"), "hanako@example.jp").await;
    choose(&c, Locator::Id("request_type"), "access").await;
    fill(
        &c,
        Locator::Id("message"),
        "娘の保有個人データの開示を求めます。",
    )
    .await;
    fill(&c, Locator::Id("person_name"), "山田 さくら").await;
    click(&c, Locator::Css("input[name=guardian_basis][value=minor]")).await;
    // A date input's typing depends on the browser's locale: set it as a script would.
    let set_born = |day: &'static str| {
        let c = c.clone();
        async move {
            c.execute(
                "document.getElementById('person_born_on').value = arguments[0];",
                vec![serde_json::json!(day)],
            )
            .await
            .unwrap();
        }
    };
    set_born("2001-04-01").await;
    scroll_to(&c, Locator::Id("who")).await;
    shot(&c, "guardian-form").await;
    c.set_window_size(390, 900).await.unwrap();
    click(&c, Locator::Id("submit")).await;
    let error = text_after(
        &c,
        Locator::Id("person_born_on-error"),
        20,
        "the birth date's message",
    )
    .await;
    assert!(error.contains("未成年者に当たりません"), "{error}");
    let kept = c
        .find(Locator::Id("person_name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("山田 さくら"));
    assert!(
        c.find(Locator::Id("person_born_on"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    assert_fits(&c, 390, "the guardian's form with its message").await;
    scroll_to(&c, Locator::Id("who")).await;
    shot(&c, "guardian-error").await;
    c.set_window_size(390, 900).await.unwrap();
    set_born("2015-04-01").await;
    click(&c, Locator::Id("submit")).await;
    let receipt = text_after(&c, Locator::Id("receipt-number"), 20, "the receipt").await;
    assert!(receipt.starts_with("KJ-"), "{receipt}");
    assert_eq!(app.count("request_on_behalf"), 1);
}

/// An officer leaves one system's export out of the answer on a ground and opens the registry's edit form,
/// both on a phone; the package's README.html reads on a phone too.
async fn an_officer_reviews_the_package_and_the_registry_on_a_phone(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    // An administrator: they work requests and change the registry.
    app.staff("desk@example.com", Role::Admin, common::PASSWORD)
        .await;
    let id = common::started(
        &app,
        &officer,
        serde_json::json!({"name": "Pat Doe", "email": "pat@example.eu", "request_type": "access",
                           "jurisdiction": "eea", "message": "All my data."}),
    )
    .await;
    for t in officer.request(&id).await["tasks"].as_array().unwrap() {
        let body = match t["system"].as_str().unwrap() {
            "Customer support" => serde_json::json!({"outcome": "exported",
                "export": r#"[{"ticket": 9, "text": "Kim Lee wrote about Pat"}]"#}),
            "Customer accounts" => serde_json::json!({"outcome": "exported",
                "export": r#"{"name": "Pat Doe", "city": "Lyon"}"#}),
            _ => serde_json::json!({"outcome": "no_data"}),
        };
        assert_eq!(officer.close(&id, t, body).await.0, 200);
    }
    let c = browser(&driver).await;
    sign_in(&c, &app.base, "desk@example.com").await;
    goto(&c, &app.base, &format!("/staff/requests/{id}?lang=en")).await;
    let form = "form.withhold-form[data-task='Customer support']";
    let ground = "GDPR Art. 15(4): the ticket is about another customer";
    fill(
        &c,
        Locator::Css(&format!("{form} input[name=ground]")),
        ground,
    )
    .await;
    click(&c, Locator::Css(&format!("{form} button[value=withhold]"))).await;
    landed(&c).await;
    let withheld = text_after(
        &c,
        Locator::Css(&format!("{form} p.withheld")),
        20,
        "the export left out",
    )
    .await;
    assert!(withheld.contains(ground), "{withheld}");
    fits_a_phone(&c, "the request page with a withheld export").await;
    scroll_to(&c, Locator::Css(form)).await;
    shot(&c, "review-withheld").await;

    // The registry's edit form.
    let systems = officer.get("/api/v1/data-systems").await;
    let accounts = systems
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Customer accounts")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    goto(
        &c,
        &app.base,
        &format!("/staff/systems?edit={accounts}&lang=en"),
    )
    .await;
    text_after(&c, Locator::Css("form#system-form"), 20, "the edit form").await;
    let editing = c
        .find(Locator::Css("form#system-form input[name=name]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(editing.as_deref(), Some("Customer accounts"));
    let recipients = text(&c, Locator::Id("recipients")).await;
    assert!(
        recipients.contains("Example Cloud Hosting K.K."),
        "{recipients}"
    );
    fits_a_phone(&c, "the registry's edit form").await;
    shot(&c, "registry").await;
    scroll_to(&c, Locator::Id("system-form")).await;
    shot(&c, "registry-edit").await;
    // Saved unchanged from the browser, the system is unchanged (its lists survive the single-line
    // fields).
    let before = officer.get("/api/v1/data-systems").await;
    click(&c, Locator::Css("form#system-form button[type=submit]")).await;
    let saved = url_when(&c, 100, |u| u.query().is_none()).await;
    assert!(
        saved.is_some(),
        "the save lands on the registry: {}",
        c.source().await.unwrap()
    );
    let after = officer.get("/api/v1/data-systems").await;
    let of = |list: &serde_json::Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Customer accounts")
            .unwrap()
            .clone()
    };
    for field in [
        "categories",
        "purposes",
        "serves",
        "recipients",
        "never_disclose",
    ] {
        assert_eq!(of(&after)[field], of(&before)[field], "{field}");
    }

    // The package's README.html, as the person opens it from the ZIP.
    let preview = officer
        .get_page(&format!("/api/v1/requests/{id}/package-preview"))
        .await;
    let files = common::unzip(&preview.raw);
    let dir = tempfile::tempdir().unwrap();
    let readme = dir.path().join("README.html");
    std::fs::write(&readme, &files["README.html"]).unwrap();
    c.goto(&format!("file://{}", readme.display()))
        .await
        .unwrap();
    let h1 = text_after(&c, Locator::Css("h1"), 20, "the README").await;
    assert!(!h1.is_empty());
    let body = c.source().await.unwrap();
    assert!(
        body.contains(ground) && body.contains("Customer accounts"),
        "{body}"
    );
    fits_a_phone(&c, "the package's README.html").await;
    shot(&c, "package-readme").await;
}

/// The request page's new parts on a phone: who filed for whom, the agent's authority form (recorded from
/// the page), a guardian's basis, and a system's "does it hold the person" task.
async fn an_officer_checks_an_agents_authority_and_a_guardians_basis_on_a_phone(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    app.staff("desk@example.com", Role::Officer, common::PASSWORD)
        .await;
    let agent = common::file_json(
        &app,
        serde_json::json!({"name": "Agent Smith", "email": "agent@example.com", "request_type": "access",
               "jurisdiction": "eea", "message": "For my client.",
               "requester_kind": "agent", "person_name": "Pat Doe", "person_email": "pat@example.com"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let guardian = common::file_json(
        &app,
        serde_json::json!({"name": "山田 花子", "email": "hanako@example.jp", "request_type": "purpose_notification",
               "jurisdiction": "JP", "language": "ja", "message": "娘のデータの利用目的を教えてください。",
               "requester_kind": "guardian", "person_name": "山田 さくら",
               "guardian_basis": "minor", "person_born_on": "2015-04-01"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = browser(&driver).await;
    sign_in(&c, &app.base, "desk@example.com").await;
    goto(&c, &app.base, &format!("/staff/requests/{agent}?lang=en")).await;
    let who = text_after(&c, Locator::Id("on-behalf"), 20, "who filed for whom").await;
    assert!(
        who.contains("Pat Doe") && who.contains("pat@example.com"),
        "{who}"
    );
    fill(
        &c,
        Locator::Css("#authority input[name=how]"),
        "Signed permission uploaded; signature matches.",
    )
    .await;
    scroll_to(&c, Locator::Id("authority")).await;
    shot(&c, "authority-form").await;
    fits_a_phone(&c, "the request page with the authority form").await;
    click(&c, Locator::Css("#authority button[type=submit]")).await;
    landed(&c).await;
    assert!(
        c.find(Locator::Id("authority")).await.is_err(),
        "recorded once"
    );
    let facts = text(&c, Locator::Id("facts")).await;
    assert!(facts.contains("authority was checked"), "{facts}");

    // The guardian's filing, and its "does it hold her data" tasks.
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    app.confirm_email(&guardian).await;
    let v = officer.version(&guardian).await;
    assert_eq!(officer.fire(&guardian, "confirm_identity", v).await.0, 200);
    goto(
        &c,
        &app.base,
        &format!("/staff/requests/{guardian}?lang=ja"),
    )
    .await;
    let basis = text_after(
        &c,
        Locator::Id("guardian-basis"),
        20,
        "the guardian's basis",
    )
    .await;
    assert!(
        basis.contains("2015-04-01") && basis.contains("18"),
        "{basis}"
    );
    fits_a_phone(&c, "the guardian's request page").await;
    shot(&c, "guardian-request").await;
    let outcomes = text(&c, Locator::Css("form.task-form select[name=outcome]")).await;
    assert!(outcomes.contains("保有している"), "{outcomes}");
    assert!(
        c.find(Locator::Css("form.task-form input[name=legal_ground]"))
            .await
            .is_err(),
        "holding data or not rests on no legal ground"
    );
    scroll_to(&c, Locator::Css("form.task-form")).await;
    shot(&c, "locate-task").await;
}

/// The desk enters a letter from 山田 太郎 asking for one right (sent by 簡易書留, arrived three days
/// ago): the request's id.
async fn letter_from_taro(officer: &common::Api, request_type: &str) -> String {
    let (status, body) = officer
        .post(
            "/api/v1/postal-requests",
            &serde_json::json!({
                "name": "山田 太郎", "name_kana": "ヤマダ タロウ",
                "postal_address": "〒100-0001 東京都千代田区千代田1-1",
                "received_on": "2026-11-19", "request_date": "2026-11-17",
                "mail_class": "simple_registered", "tracking_number": "131-12-38385-2",
                "requester_kind": "self", "request_types": [request_type], "services": ["ConoHa"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["requests"][0]["id"].as_str().unwrap().to_owned()
}

/// The Japanese desk at the request page: rejects an illegible 住民票 with why, and records the receipt
/// letter as posted by 簡易書留; both forms fit a 390 px screen.
async fn the_desk_rejects_a_document_and_records_a_letter_posted_on_a_phone(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    app.staff("desk@example.com", Role::Officer, common::PASSWORD)
        .await;
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    let id = letter_from_taro(&officer, "access").await;
    let (status, r) = officer
        .post(
            &format!("/api/v1/requests/{id}/documents"),
            &serde_json::json!({"expected_version": 1, "kind": "juminhyo", "holder": "principal",
                                "original": true, "created_on": "2026-11-10"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let doc = r["document_id"].as_str().unwrap().to_owned();
    let c = browser(&driver).await;
    sign_in(&c, &app.base, "desk@example.com").await;
    goto(&c, &app.base, &format!("/staff/requests/{id}?lang=ja")).await;
    let reject = format!("td[data-document='{doc}'] input[name=reason]");
    wait_for(&c, Locator::Css(&reject)).await;
    fill(&c, Locator::Css(&reject), "氏名が判読できません").await;
    scroll_to(&c, Locator::Id("document-list")).await;
    shot(&c, "document-reject").await;
    fits_a_phone(&c, "the request page with the reject form").await;
    click(
        &c,
        Locator::Css(&format!("td[data-document='{doc}'] button[type=submit]")),
    )
    .await;
    landed(&c).await;
    let rejected = text(&c, Locator::Css(&format!("[data-rejected='{doc}']"))).await;
    assert_eq!(rejected, "不受理：氏名が判読できません（再送待ち）");

    // The receipt letter, posted by 簡易書留.
    let form = "form.posting";
    scroll_to(&c, Locator::Id("notices")).await;
    // A date input takes the locale's order when typed into; set it as the browser's picker would.
    c.execute(
        "document.querySelector('form.posting input[name=posted_on]').value = '2026-11-22';",
        vec![],
    )
    .await
    .unwrap();
    fill(
        &c,
        Locator::Css(&format!("{form} input[name=tracking_number]")),
        "131-12-38386-3",
    )
    .await;
    shot(&c, "letter-posting").await;
    fits_a_phone(&c, "the request page with the posting form").await;
    click(&c, Locator::Css(&format!("{form} button[type=submit]"))).await;
    landed(&c).await;
    let posted = text(&c, Locator::Css("[data-posted]")).await;
    assert!(
        posted.starts_with("発送済み 2026-11-22 · 簡易書留郵便 · 131-12-38386-3"),
        "{posted}"
    );
    c.close().await.unwrap();
}

/// A person sends a complaint from a phone and reads its reference; the desk finds it in its list and
/// answers it from its page.
async fn a_person_complains_on_a_phone_and_the_desk_answers(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    app.staff("desk@example.com", Role::Officer, common::PASSWORD)
        .await;
    let c = browser(&driver).await;
    c.set_window_size(390, 900).await.unwrap();
    goto(&c, &app.base, "/?lang=ja").await;
    click(&c, Locator::Id("inquiry-link")).await;
    wait_for(&c, Locator::Id("inquiry-form")).await;
    // Sent empty first: every field says what it needs, tied to its input.
    click(&c, Locator::Css("#inquiry-form button[type=submit]")).await;
    wait_for(&c, Locator::Id("inquiry-errors")).await;
    let described: serde_json::Value = c
        .execute(
            "return [...document.querySelectorAll('[aria-invalid=true]')].map(e => e.name);",
            vec![],
        )
        .await
        .unwrap();
    // (An empty place is the fallback place, as on the request form.)
    for field in ["kind", "name", "email", "subject", "body"] {
        assert!(
            described.to_string().contains(field),
            "{field}: {described}"
        );
    }
    click(&c, Locator::Css("#kind input[value=complaint]")).await;
    choose(&c, Locator::Id("place"), "JP").await;
    fill(&c, Locator::Id("name"), "山田 太郎").await;
    fill(&c, Locator::Id("email"), "taro@example.jp").await;
    fill(&c, Locator::Id("subject"), "回答が届きません").await;
    fill(&c, Locator::Id("body"), "開示請求の回答がまだ届きません。").await;
    assert_fits(&c, 390, "the inquiry form").await;
    shot(&c, "inquiry-form").await;
    click(&c, Locator::Css("#inquiry-form button[type=submit]")).await;
    let reference = text_after(&c, Locator::Id("inquiry-reference"), 10, "the receipt").await;
    assert!(reference.starts_with("KQ-"), "{reference}");
    shot(&c, "inquiry-received").await;
    c.close().await.unwrap();

    let c = browser(&driver).await;
    sign_in(&c, &app.base, "desk@example.com").await;
    goto(&c, &app.base, "/staff/inquiries?lang=ja").await;
    let row = format!("tr[data-inquiry='{reference}'] a");
    wait_for(&c, Locator::Css(&row)).await;
    shot(&c, "inquiries").await;
    fits_a_phone(&c, "the inquiries page").await;
    click(&c, Locator::Css(&row)).await;
    wait_for(&c, Locator::Id("answer-form")).await;
    fill(
        &c,
        Locator::Id("answer"),
        "回答書は2026年11月25日に発送済みです。",
    )
    .await;
    shot(&c, "inquiry").await;
    fits_a_phone(&c, "the inquiry page").await;
    click(&c, Locator::Css("#answer-form button[type=submit]")).await;
    let answered = text_after(&c, Locator::Id("inquiry-answer"), 10, "the answered page").await;
    assert!(answered.contains("発送済みです"), "{answered}");
    assert_eq!(text(&c, Locator::Id("inquiry-status")).await, "回答済み");
    c.close().await.unwrap();
}

/// The desk enters a record of provision on the register's page, finds it by the person's kana, and
/// reads it at a phone's width.
async fn the_desk_keeps_the_register_of_provision_records(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    app.staff("desk@example.com", Role::Officer, common::PASSWORD)
        .await;
    let c = browser(&driver).await;
    sign_in(&c, &app.base, "desk@example.com").await;
    goto(&c, &app.base, "/staff/provision-records?lang=ja").await;
    wait_for(&c, Locator::Id("provision-form")).await;
    choose(&c, Locator::Id("direction"), "received").await;
    choose(&c, Locator::Id("method"), "continuous").await;
    choose(&c, Locator::Id("basis"), "opt_out").await;
    c.execute(
        "document.getElementById('provided_on').value = '2025-01-10'; \
         document.getElementById('last_provided_on').value = '2026-10-31';",
        vec![],
    )
    .await
    .unwrap();
    for (id, value) in [
        ("counterparty_name", "データ提供株式会社"),
        ("counterparty_address", "大阪府大阪市北区梅田1-1"),
        ("person_name", "山田 太郎"),
        ("person_kana", "ヤマダ タロウ"),
        ("items", "氏名、年齢層、購買履歴"),
        ("acquired_how", "懸賞応募者から同意を得て取得"),
    ] {
        fill(&c, Locator::Id(id), value).await;
    }
    shot(&c, "provision-form").await;
    click(&c, Locator::Css("#provision-form button[type=submit]")).await;
    let notice = text_after(
        &c,
        Locator::Id("notice"),
        10,
        "the register after the record",
    )
    .await;
    assert_eq!(notice, "台帳に記録しました。");
    fill(&c, Locator::Id("search-person"), "やまだ たろう").await;
    click(&c, Locator::Css("#provision-search button")).await;
    url_when(&c, 100, |u| {
        u.query().is_some_and(|q| q.contains("person="))
    })
    .await;
    let rows = text_after(&c, Locator::Id("provision-records"), 10, "the search").await;
    assert!(
        rows.contains("データ提供株式会社") && rows.contains("2029-10-30"),
        "{rows}"
    );
    shot(&c, "provision-register").await;
    fits_a_phone(&c, "the register").await;

    // A letter asking for the records: its page offers the record, found by kana.
    let officer = common::api(&app, "officer@example.com", Role::Officer).await;
    let id = letter_from_taro(&officer, "third_party_records").await;
    goto(&c, &app.base, &format!("/staff/requests/{id}?lang=ja")).await;
    let offered = text_after(
        &c,
        Locator::Id("provision-candidates"),
        10,
        "the request page",
    )
    .await;
    assert!(offered.contains("データ提供株式会社"), "{offered}");
    scroll_to(&c, Locator::Id("provision-records")).await;
    shot(&c, "provision-candidates").await;
    fits_a_phone(&c, "the request page with the register's records").await;
    // The year's report counts inquiries too.
    goto(&c, &app.base, "/staff/reports?lang=ja").await;
    text_after(&c, Locator::Id("inquiry-metrics"), 10, "the reports page").await;
    scroll_to(&c, Locator::Id("inquiries")).await;
    shot(&c, "reports-inquiries").await;
    fits_a_phone(&c, "the reports page").await;
    c.close().await.unwrap();
}
