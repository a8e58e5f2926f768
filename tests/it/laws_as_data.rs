//! A law added as data alone, the way CONTRIBUTING's "Add a law" recipe says: a place, a regime with a
//! right and a deadline unit no shipped file uses, and a workflow, written into a copy of the seeds
//! folder. A request under it is filed, confirmed, extended and closed on both backends with no Rust
//! change and no migration; and `KAIJI_PLACES` limits what the form offers.

use std::path::Path;

use serde_json::json;

use kaiji::domain::staff::Role;

use crate::common::{self, Backend, TestApp, api, field_code};

/// Step 1 of the recipe: the place, with its name, zone, languages and law.
const PLACE: &str = r#"
# Testland: a place no shipped file defines (ISO 3166 keeps XA–XZ for private use).
code = "XA"
version = 1
name = { en = "Testland", ja = "テストランド" }
regime = "testland-dpa"
timezone = "UTC"
languages = ["en"]
"#;

/// Step 2: the law, the rights it grants and its deadline. `confirm_holding` is a right no shipped regime
/// has; the deadline counts weeks, a unit no shipped file uses.
const REGIME: &str = r#"
# The Testland Data Protection Act (fictional), s. 6(1)(a): a person may ask whether their data is held,
# free of charge (s. 7); s. 9: the answer within four weeks, extendable once by two.
id = "testland-dpa"
version = 1
name = { en = "Testland Data Protection Act", ja = "テストランド個人データ保護法" }

[[rights]]
code = "confirm_holding"
label = { en = "Tell me whether you hold data about me", ja = "個人データを保有しているかどうかの確認" }
article = { en = "s. 6(1)(a)", ja = "第6条第1項(a)" }
fee = "free"

[[deadlines]]
id = "response"
label = { en = "Answer within four weeks (s. 9)", ja = "4週間以内に回答（第9条）" }
duration = { weeks = 4 }
pauses_while_waiting = false
extension = { duration = { weeks = 2 }, times = 1 }
"#;

/// Step 3: the procedure. It has no clock of its own: the law's deadline runs as the regime writes it.
const WORKFLOW: &str = r#"
id = "testland"
version = 1
name = { en = "Testland: confirmation request", ja = "テストランド：保有確認の請求" }
places = ["XA"]
rights = ["confirm_holding"]
channels = ["web", "api"]
timezone = "UTC"
initial_state = "received"
confirm_email = true
intake_notice = "received"
complaint_authority = { en = "Testland Privacy Commissioner", ja = "テストランド・プライバシー・コミッショナー" }

[[states]]
id = "received"
label = { en = "Received", ja = "受付済み" }

[[states]]
id = "in_progress"
label = { en = "Being handled", ja = "対応中" }

[[states]]
id = "answered"
label = { en = "Answered", ja = "回答済み" }
terminal = true

[[states]]
id = "unconfirmed_expired"
label = { en = "Closed: email address not confirmed in time", ja = "メールアドレス未確認のため終了" }
terminal = true

[[transitions]]
event = "start_processing"
from = ["received"]
to = "in_progress"
roles = ["officer", "admin"]
guards = ["email_confirmed"]
label = { en = "Start handling", ja = "対応を開始" }

[[transitions]]
event = "extend"
from = ["received", "in_progress"]
roles = ["officer", "admin"]
guards = ["reason_given", "extension_available"]
effects = ["extend_deadline:response"]
notice = "deadline_extended"
label = { en = "Extend by two weeks, with reasons", ja = "理由を付して2週間延長" }

[[transitions]]
event = "answer"
from = ["in_progress"]
to = "answered"
roles = ["officer", "admin"]
notice = "action_completed"
label = { en = "Send the answer", ja = "回答する" }

[[transitions]]
event = "expire_unconfirmed"
from = ["received"]
to = "unconfirmed_expired"
roles = []
system = true
guards = ["email_unconfirmed"]
notice = "unconfirmed_expired"
label = { en = "Close: email address not confirmed in time", ja = "メールアドレス未確認のため終了" }
"#;

/// The repository's seeds with Testland added: the deployment keeps its laws and gains one.
fn seeds_with_testland() -> tempfile::TempDir {
    let dir = common::seeds_copy();
    std::fs::write(dir.path().join("places/xa.toml"), PLACE).unwrap();
    std::fs::write(dir.path().join("regimes/testland-dpa.toml"), REGIME).unwrap();
    std::fs::write(dir.path().join("workflows/testland.toml"), WORKFLOW).unwrap();
    dir
}

/// A server reading its laws from `seeds`, with the seeds' workflows published (`kaiji seed`, step 4).
async fn spawn(backend: Backend, seeds: &Path, places: &str) -> Option<TestApp> {
    let (seeds, places) = (seeds.to_owned(), places.to_owned());
    let app = TestApp::spawn_with(backend, move |c| {
        c.service.seeds_dir = seeds;
        c.service.places = places;
    })
    .await?;
    let dir = app.state.config.service.seeds_dir.join("workflows");
    let files = kaiji::app::workflows::read_definitions(&dir, app.state.workflows.laws()).unwrap();
    kaiji::app::workflows::publish(&mut app.tdb.conn(), &files, &app.clock).unwrap();
    Some(app)
}

async fn a_new_law_runs_from_data_alone(backend: Backend) {
    let seeds = seeds_with_testland();
    let Some(app) = spawn(backend, seeds.path(), "").await else {
        return;
    };
    // The form offers the place and the right, named as the files name them.
    let form = app.browser().get("/?lang=en").await;
    assert!(
        form.body.contains(r#"<option value="XA""#) && form.body.contains(">Testland<"),
        "{}",
        form.body
    );
    let form = app.browser().get("/?lang=en&place=XA").await;
    assert!(form.body.contains(r#"<option value="confirm_holding""#));
    assert!(form.body.contains("Tell me whether you hold data about me"));
    assert!(
        form.body.contains("Answer within four weeks (s. 9)"),
        "the deadline is read from the regime"
    );
    assert!(
        !form.body.contains(r#"<option value="access""#),
        "Testland grants only one right"
    );

    // Filed over the API; the right is taken only where the place's law grants it.
    let body = |place: &str| {
        json!({"name": "Pat Doe", "email": "pat@example.com", "request_type": "confirm_holding",
               "jurisdiction": place, "message": "Do you hold data about me?", "language": "en"})
    };
    let res = app
        .browser()
        .post_json("/api/v1/requests", &body("JP"))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(
        field_code(&res.json(), "request_type"),
        Some("not_offered_here")
    );
    let res = app
        .browser()
        .post_json("/api/v1/requests", &body("xa"))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let token = res.json()["tracking_token"].as_str().unwrap().to_owned();
    app.confirm_email(&id).await;

    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let r = officer.request(&id).await;
    assert_eq!(
        (
            r["workflow"]["id"].as_str(),
            r["jurisdiction"].as_str(),
            r["request_type"].as_str()
        ),
        (Some("testland"), Some("XA"), Some("confirm_holding")),
        "{r}"
    );
    // Four weeks from Sunday 22 November 2026 (the test clock), in the procedure's zone.
    assert_eq!(r["clocks"][0]["due_on"], "2026-12-20", "{r}");

    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    let (status, out) = officer.fire(&id, "extend", 2).await;
    assert_eq!(status, 200, "{out}");
    let r = officer.request(&id).await;
    assert_eq!(
        r["clocks"][0]["due_on"], "2027-01-03",
        "two more weeks: {r}"
    );
    let (status, _) = officer.fire(&id, "extend", 3).await;
    assert_eq!(status, 422, "the law allows one extension");
    assert_eq!(officer.fire(&id, "answer", 3).await.0, 200);
    let r = officer.request(&id).await;
    assert_eq!(r["state"], "answered", "{r}");

    // The requester reads the right and the state in the files' words.
    let page = app.browser().get(&format!("/track/{token}?lang=ja")).await;
    assert!(
        page.body.contains("2026-11-22 01:00 UTC"),
        "Testland's zone is UTC"
    );
    assert!(
        page.body.contains("個人データを保有しているかどうかの確認")
            && page.body.contains("回答済み"),
        "{}",
        page.body
    );
    // The notices went out, naming the right.
    let outbox = app.tdb.count("notices");
    assert!(
        outbox >= 3,
        "received, confirmation, extension, answer: {outbox}"
    );
}

/// A new version of the law's file changes the rules for requests filed under the procedure published
/// with it, never for those filed before: each workflow version pins the regime version it was checked
/// against, and `seed` refuses to let the law change under a published procedure.
async fn a_request_keeps_the_law_its_procedure_was_published_with(backend: Backend) {
    use kaiji::app::workflows::{WorkflowCatalog, publish, read_definitions, read_laws};
    use kaiji::domain::deadline::Period;
    let seeds = seeds_with_testland();
    let Some(app) = spawn(backend, seeds.path(), "").await else {
        return;
    };
    let dir = seeds.path().to_owned();
    let reseed = || {
        let laws = read_laws(&dir.join("calendars"), &dir, &[]).unwrap();
        let files = read_definitions(&dir.join("workflows"), &laws).unwrap();
        let out = publish(&mut app.tdb.conn(), &files, &app.clock);
        (laws, out.map(|_| ()).map_err(|e| e.to_string()))
    };

    // The law's file changed without a new version: refused, as for a workflow.
    let regime = dir.join("regimes/testland-dpa.toml");
    let shorter = REGIME.replace("duration = { weeks = 4 }", "duration = { weeks = 2 }");
    std::fs::write(&regime, &shorter).unwrap();
    let (_, out) = reseed();
    assert!(
        out.unwrap_err().contains(
            "regime `testland-dpa` version 1 is already published with different content"
        ),
    );
    // As version 2 it is accepted only with a new version of the procedure.
    std::fs::write(&regime, shorter.replace("version = 1", "version = 2")).unwrap();
    let (_, out) = reseed();
    let why = out.unwrap_err();
    assert!(why.contains("publish the workflow as version 2"), "{why}");
    let workflow = dir.join("workflows/testland.toml");
    std::fs::write(&workflow, WORKFLOW.replace("version = 1", "version = 2")).unwrap();
    let (laws, out) = reseed();
    out.unwrap();

    // Read as a restarted server reads them (today's files): version 1 keeps four weeks, version 2 has two.
    let catalog = WorkflowCatalog::new(laws);
    let weeks = |version: i64| {
        let def = catalog
            .get(&mut app.tdb.conn(), "testland", version)
            .unwrap();
        let clock = def.clocks.iter().find(|c| c.id == "response").unwrap();
        (def.law.version, clock.rule.period)
    };
    assert_eq!(weeks(1), (1, Period::Weeks(4)));
    assert_eq!(weeks(2), (2, Period::Weeks(2)));
    let published = common::audited(&app, "regime.published");
    assert!(
        published
            .iter()
            .filter(|d| d.contains("testland-dpa"))
            .count()
            == 2,
        "{published:?}"
    );
}

async fn served_places_limit_the_form_and_the_api(backend: Backend) {
    let seeds = seeds_with_testland();
    let Some(app) = spawn(backend, seeds.path(), "japan, XA").await else {
        return;
    };
    let form = app.browser().get("/?lang=en").await;
    let options: Vec<&str> = form
        .body
        .split(r#"<option value=""#)
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert!(
        options.contains(&"JP") && options.contains(&"XA"),
        "{options:?}"
    );
    for gone in ["EEA", "US-CA", "CA", "other"] {
        assert!(
            !options.contains(&gone),
            "{gone} is not served: {options:?}"
        );
    }
    // Rights only the unserved laws grant are not offered either.
    assert!(
        !form.body.contains(r#"value="portability""#),
        "GDPR is not served"
    );
    let res = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "Pat", "email": "pat@example.com", "request_type": "access",
                    "jurisdiction": "eea", "message": "m", "language": "en"}),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(
        field_code(&res.json(), "jurisdiction"),
        Some("not_offered_here")
    );
}

on_each_backend!(
    a_new_law_runs_from_data_alone,
    served_places_limit_the_form_and_the_api,
    a_request_keeps_the_law_its_procedure_was_published_with,
);

/// An API request without `language` is written to in the client's Accept-Language, else in its place's
/// first language kaiji speaks (Japanese for Japan, English for the EEA), else in English.
async fn the_api_language_follows_the_header_then_the_place(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    for (place, header, language) in [
        ("JP", None, "ja"),
        ("EEA", None, "en"),
        ("", None, "en"),
        ("EEA", Some("ja-JP,ja;q=0.9"), "ja"),
        ("JP", Some("en-GB"), "en"),
    ] {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(h) = header {
            headers.insert(reqwest::header::ACCEPT_LANGUAGE, h.parse().unwrap());
        }
        let body = json!({"name": "Pat", "email": "pat@example.com", "request_type": "access",
                          "jurisdiction": place, "message": "m"});
        let res = common::Browser::new(&app.base, headers)
            .post_json("/api/v1/requests", &body)
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        let id = res.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(
            officer.request(&id).await["language"],
            language,
            "{place} {header:?}"
        );
    }
}

both_backends!(the_api_language_follows_the_header_then_the_place);

#[test]
fn the_recipe_in_contributing_is_the_sequence_this_test_follows() {
    let recipe = std::fs::read_to_string(common::repo_path("CONTRIBUTING.md")).unwrap();
    let section = recipe
        .split("\n## ")
        .find(|s| s.starts_with("Add a law"))
        .expect("CONTRIBUTING.md has an \"Add a law\" section");
    for step in [
        "seeds/places/",
        "seeds/regimes/",
        "seeds/workflows/",
        "-- workflow check",
        "-- seed",
        "KAIJI_PLACES",
        "tests/it/laws_as_data.rs",
    ] {
        assert!(section.contains(step), "the recipe names {step}");
    }
}
