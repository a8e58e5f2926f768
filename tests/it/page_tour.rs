//! A tour of every HTML page of the service in headless Chromium, in English and in Japanese, at 1280 px
//! and at 390 px (a phone), with real data behind each page. On every page it checks:
//!
//! - accessibility: the vendored axe-core (`tests/browser/axe/`) finds no serious or critical violation;
//! - what the visitor reads: no UUID, no internal snake_case code of a state, event or right of the loaded
//!   laws, no procedure id (`jp-postal`) outside an address, no audit action code
//!   (`request.transitioned`), and on a Japanese page no such code at all (an English code on a Japanese
//!   page is a leak);
//! - width: the page is no wider than the window;
//!
//! and saves a screenshot of each (`KAIJI_SCREENSHOTS`, else `target/tmp/page-tour`). Every GET route
//! outside the API must be toured or listed in `NOT_PAGES` with why, so a new page cannot be added
//! without being looked at. The test collects everything and fails once at the end, listing every
//! finding by kind, so one run shows all there is to fix.

use crate::browser::{browser, chromedriver, click, fill, sign_in, text_after};
use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{TestApp, api, file_json, started, task};
use fantoccini::{Client, Locator};
use kaiji::domain::code::Code;
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(every_page_is_accessible_readable_and_fits_in_each_language);

/// GET routes outside `/api/v1` that are not pages, each with why the tour does not visit it.
const NOT_PAGES: &[(&str, &str)] = &[
    ("/healthz", "a probe for the balancer, plain text"),
    ("/readyz", "a probe for the balancer, plain text"),
    (
        "/metrics",
        "Prometheus' text format, for a scraper with the metrics token",
    ),
    ("/static/kaiji.css", "the stylesheet"),
    ("/static/kaiji.js", "the script"),
    ("/api/openapi.json", "the API's OpenAPI document, JSON"),
    (
        "/.well-known/gpc.json",
        "Global Privacy Control's support declaration, JSON",
    ),
    (
        "/v1/agent/{agent_id}",
        "the Data Rights Protocol's agent information, JSON for agents",
    ),
    (
        "/v1/data-rights-request/{request_id}",
        "the Data Rights Protocol's status, JSON for agents",
    ),
    ("/forms/{form}/pdf", "a PDF of the printable form"),
    ("/staff", "redirects to the member's landing page"),
    ("/staff/people.csv", "a CSV of staff accounts"),
    (
        "/staff/requests/{id}/diagram.svg",
        "the workflow's diagram, an SVG image",
    ),
    (
        "/staff/requests/{id}/letters/{notice_id}/pdf",
        "a letter as a PDF",
    ),
    (
        "/staff/requests/{id}/evidence/{evidence_id}",
        "a requester's uploaded evidence file",
    ),
    (
        "/staff/requests/{id}/files/{file_id}",
        "a scanned document file",
    ),
    (
        "/staff/requests/{id}/package-preview",
        "the answer package as it would go out, a ZIP download",
    ),
    (
        "/staff/requests/{id}/tasks/{task_id}/export",
        "a system's export file",
    ),
    (
        "/staff/audit/export",
        "the audit log as CSV or JSON lines, a download",
    ),
    (
        "/staff/audit/evidence",
        "a request's evidence pack, JSON download",
    ),
    ("/staff/reports/metrics.csv", "the report's metrics as CSV"),
    (
        "/staff/inquiries/{id}/letters/{notice_id}/pdf",
        "an inquiry's letter as a PDF",
    ),
];

const LANGS: [&str; 2] = ["en", "ja"];
const WIDTHS: [u32; 2] = [1280, 390];

/// Where the tour goes: the pages whose addresses depend on the data made for them.
struct Urls {
    track: String,
    account_verified: String,
    confirm: String,
    confirm_person: String,
    drp_verify: String,
    download: String,
    request_online: String,
    request_tasks: String,
    request_postal: String,
    letter: String,
    inquiry: String,
    task: String,
}

/// What the tour found, by kind: each an entry to fix.
#[derive(Default)]
struct Findings {
    /// An axe violation on a page in a language, and the widths it was seen at.
    axe: Vec<(String, BTreeSet<u32>)>,
    /// A UUID or an internal code in the visible text: what, where first seen, how many times.
    text: Vec<(String, String, usize)>,
    /// A page wider than the window.
    width: Vec<String>,
    /// A route not toured and not in `NOT_PAGES`, or an entry of `NOT_PAGES` that is no route.
    coverage: Vec<String>,
}

impl Findings {
    fn total(&self) -> usize {
        self.axe.len() + self.text.len() + self.width.len() + self.coverage.len()
    }

    fn report(&self, dir: &str) -> String {
        let mut out = format!(
            "the page tour found {} problems (screenshots in {dir}):\n",
            self.total()
        );
        out += &format!(
            "\n== accessibility (axe-core, serious and critical): {} ==\n",
            self.axe.len()
        );
        for (what, widths) in &self.axe {
            let widths: Vec<String> = widths.iter().map(u32::to_string).collect();
            out += &format!("- {what} [at {} px]\n", widths.join(", "));
        }
        out += &format!(
            "\n== internal codes and UUIDs in the visible text: {} ==\n",
            self.text.len()
        );
        for (what, context, n) in &self.text {
            let times = if *n > 1 {
                format!(" (×{n})")
            } else {
                String::new()
            };
            out += &format!("- {what}{times} in “{context}”\n");
        }
        out += &format!("\n== wider than the window: {} ==\n", self.width.len());
        for w in &self.width {
            out += &format!("- {w}\n");
        }
        out += &format!("\n== routes not toured: {} ==\n", self.coverage.len());
        for c in &self.coverage {
            out += &format!("- {c}\n");
        }
        out
    }
}

/// The codes a page must not show: states, events and rights of the loaded laws and workflows.
struct Codes {
    /// Every code (shown on a Japanese page, any is a leak).
    all: BTreeSet<String>,
    /// Text meant to be read as written: the Japanese messages (which name a command, `kaiji audit
    /// verify`) and the registry's seeded descriptions, in English whatever the page's language.
    deliberate: String,
}

impl Codes {
    fn load() -> Self {
        let laws = common::laws();
        let files =
            kaiji::app::workflows::read_definitions(&common::repo_path("seeds/workflows"), &laws)
                .expect("seed workflows are valid");
        let mut all = BTreeSet::new();
        for f in &files {
            // The procedure's id (`jp-postal`), its states and its events.
            all.insert(f.definition.id.clone());
            all.extend(f.definition.states.iter().map(|s| s.id.clone()));
            all.extend(f.definition.transitions.iter().map(|t| t.event.clone()));
        }
        all.extend(
            laws.right_codes()
                .into_iter()
                .map(|c| c.as_str().to_owned()),
        );
        // The audit log's actions (`request.transitioned`): pages tell them as sentences.
        all.extend(
            kaiji::domain::audit::AuditAction::ALL
                .iter()
                .map(|a| a.as_str().to_owned()),
        );
        let deliberate = ["templates/i18n/ja/kaiji.ftl", "seeds/data_systems.toml"]
            .map(|f| std::fs::read_to_string(common::repo_path(f)).unwrap())
            .join("\n");
        Codes { all, deliberate }
    }

    /// A plain word that is a code, at `s..e` of a Japanese page, is part of a phrase written so: the
    /// run of ASCII text around it (on its line, in its cell) is several words found in the Japanese
    /// messages or the seeded registry.
    fn deliberate(&self, text: &str, s: usize, e: usize) -> bool {
        let ascii = |c: char| c.is_ascii() && c != '\n' && c != '\t';
        let start = text[..s]
            .char_indices()
            .rev()
            .take_while(|(_, c)| ascii(*c))
            .last()
            .map_or(s, |(i, _)| i);
        let end = text[e..]
            .char_indices()
            .find(|(_, c)| !ascii(*c))
            .map_or(text.len(), |(i, _)| e + i);
        let run = text[start..end].trim();
        run.contains(' ') && self.deliberate.contains(run)
    }
}

/// The tour's state: the base address, what it found, the routes it visited.
struct Tour {
    base: String,
    backend: String,
    dir: String,
    axe: String,
    codes: Codes,
    visited: Vec<String>,
    /// Pages toured (each in every language, at every width).
    pages: usize,
    findings: Findings,
}

impl Tour {
    fn new(app: &TestApp) -> Self {
        let dir = std::env::var("KAIJI_SCREENSHOTS")
            .unwrap_or_else(|_| concat!(env!("CARGO_TARGET_TMPDIR"), "/page-tour").to_owned());
        std::fs::create_dir_all(&dir).unwrap();
        Tour {
            base: app.base.clone(),
            backend: format!("{:?}", app.backend()).to_lowercase(),
            dir,
            axe: std::fs::read_to_string(common::repo_path("tests/browser/axe/axe.min.js"))
                .expect("the vendored axe-core"),
            codes: Codes::load(),
            visited: Vec::new(),
            pages: 0,
            findings: Findings::default(),
        }
    }

    fn url(&self, path: &str, lang: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}lang={lang}", self.base)
    }

    fn note_visit(&mut self, path: &str) {
        self.pages += 1;
        let path = path.split('?').next().unwrap().to_owned();
        if !self.visited.contains(&path) {
            self.visited.push(path);
        }
    }

    /// Opens `path` in each language and checks the page.
    async fn visit(&mut self, c: &Client, name: &str, path: &str) {
        self.note_visit(path);
        for lang in LANGS {
            c.goto(&self.url(path, lang)).await.unwrap();
            self.check(c, name, lang).await;
        }
    }

    /// Opens `path` in each language, fills `fields` (by id) in `form`, sends it (the browser's own
    /// checks off, as a browser without them would), and checks the page that comes back.
    async fn visit_sent(
        &mut self,
        c: &Client,
        name: &str,
        path: &str,
        form: &str,
        fields: &[(&str, &str)],
    ) {
        self.note_visit(path);
        for lang in LANGS {
            c.goto(&self.url(path, lang)).await.unwrap();
            for (id, text) in fields {
                fill(c, Locator::Id(id), text).await;
            }
            send(c, form).await;
            self.check(c, name, lang).await;
        }
    }

    /// The checks on the page as it stands, at each width.
    async fn check(&mut self, c: &Client, name: &str, lang: &str) {
        let loaded: Value = c
            .execute("return typeof window.axe;", vec![])
            .await
            .unwrap();
        if loaded != "object" {
            c.execute(&self.axe, vec![]).await.unwrap();
        }
        for width in WIDTHS {
            c.set_window_size(width, 900).await.unwrap();
            tokio::time::sleep(Duration::from_millis(150)).await;
            let at = format!("{name} {lang} {width}");
            self.axe(c, name, lang, width).await;
            self.text(c, name, lang, width == WIDTHS[0]).await;
            self.fits(c, &at, width).await;
            // The whole page, not only the first screenful: a reviewer reads the table at the bottom.
            let tall: Value = c
                .execute("return document.documentElement.scrollHeight;", vec![])
                .await
                .unwrap();
            let tall = tall.as_u64().unwrap_or(900).clamp(900, 8000) as u32;
            c.set_window_size(width, tall).await.unwrap();
            let png = c.screenshot().await.unwrap();
            c.set_window_size(width, 900).await.unwrap();
            std::fs::write(
                format!("{}/{}-{name}-{lang}-{width}.png", self.dir, self.backend),
                png,
            )
            .unwrap();
        }
        c.set_window_size(1280, 900).await.unwrap();
    }

    async fn axe(&mut self, c: &Client, name: &str, lang: &str, width: u32) {
        let res = c
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 axe.run(document, {resultTypes: ['violations']}).then(r => done({violations: \
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({ \
                     id: v.id, impact: v.impact, help: v.help, count: v.nodes.length, \
                     nodes: v.nodes.slice(0, 3).map(n => n.target.map(String).join(' ') + ' ' + \
                       n.html.replace(/\\s+/g, ' ').slice(0, 160))}))})) \
                 .catch(e => done({error: String(e)}));",
                vec![],
            )
            .await
            .unwrap();
        if let Some(e) = res["error"].as_str() {
            self.findings.axe.push((
                format!("{name} {lang}: axe did not run: {e}"),
                [width].into(),
            ));
            return;
        }
        for v in res["violations"].as_array().unwrap() {
            let nodes: Vec<&str> = v["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            let what = format!(
                "{name} {lang}: {} ({}) — {} — {} node(s): {}",
                v["id"].as_str().unwrap(),
                v["impact"].as_str().unwrap(),
                v["help"].as_str().unwrap(),
                v["count"],
                nodes.join(" | ")
            );
            match self.findings.axe.iter_mut().find(|(w, _)| *w == what) {
                Some((_, widths)) => {
                    widths.insert(width);
                }
                None => self.findings.axe.push((what, [width].into())),
            }
        }
    }

    /// UUIDs and internal codes in the visible text (and Fluent's placeholder for a missing message).
    /// Counted at the first width; a later width adds only what the first did not show.
    async fn text(&mut self, c: &Client, name: &str, lang: &str, first: bool) {
        let text: Value = c
            .execute("return document.body.innerText;", vec![])
            .await
            .unwrap();
        let mut text = text.as_str().unwrap_or_default().to_owned();
        let mut found: Vec<(String, String)> = Vec::new();
        // Fluent's stand-in for a message it lacks, `Unknown localization key: "<key>"`: one finding
        // per missing key, and the key's words are not read again as codes.
        const MISSING: &str = "Unknown localization key: \"";
        while let Some(s) = text.find(MISSING) {
            let from = s + MISSING.len();
            let e = text[from..].find('"').map_or(text.len(), |i| from + i + 1);
            found.push((
                format!("a missing message «{}»", &text[from..e - 1]),
                context(&text, s, e),
            ));
            let blank = " ".repeat(e - s);
            text.replace_range(s..e, &blank);
        }
        let text = text.as_str();
        for (s, e) in uuids(text) {
            found.push((format!("a UUID «{}»", &text[s..e]), context(text, s, e)));
        }
        for code in &self.codes.all {
            let plain = !code.contains(['_', '.', '-']);
            if plain && lang != "ja" {
                continue;
            }
            for (s, e) in whole_words(text, code) {
                // A path in an address printed for paper (`…/procedures/jp-postal`) is meant to be read.
                if text[..s].ends_with('/') || (plain && self.codes.deliberate(text, s, e)) {
                    continue;
                }
                found.push((format!("the code «{code}»"), context(text, s, e)));
            }
        }
        for (what, context) in found {
            let key = format!("{name} {lang}: {what}");
            match self.findings.text.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, n)) if first => *n += 1,
                Some(_) => {}
                None => self.findings.text.push((key, context, 1)),
            }
        }
    }

    /// Records the page when it is wider than the window (wide tables scroll in `.table-scroll`).
    async fn fits(&mut self, c: &Client, at: &str, width: u32) {
        let overflow: Value = c
            .execute(
                "const w = document.documentElement.clientWidth; \
                 const wide = [...document.querySelectorAll('body *')] \
                   .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-scroll')) \
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + \
                        (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '')); \
                 return {over: document.documentElement.scrollWidth - w, client: w, wide: wide.slice(0, 5)};",
                vec![],
            )
            .await
            .unwrap();
        let over = overflow["over"].as_i64().unwrap();
        if over > 0 {
            self.findings.width.push(format!(
                "{at}: {over} px wider than the window ({} px inside a {width} px window); widest: {}",
                overflow["client"], overflow["wide"]
            ));
        }
    }

    /// Every GET route outside the API is toured or listed in `NOT_PAGES`.
    fn coverage(&mut self) {
        let routes: Vec<String> = kaiji::web::routes::table()
            .into_iter()
            .filter(|(m, p)| *m == actix_web::http::Method::GET && !p.starts_with("/api/v1/"))
            .map(|(_, p)| p)
            .collect();
        for route in &routes {
            let def = actix_web::dev::ResourceDef::new(route.as_str());
            let toured = self.visited.iter().any(|v| def.is_match(v));
            let listed = NOT_PAGES.iter().any(|(p, _)| p == route);
            if !toured && !listed {
                self.findings.coverage.push(format!(
                    "GET {route} is neither toured nor listed in NOT_PAGES"
                ));
            }
        }
        for (p, _) in NOT_PAGES {
            if !routes.iter().any(|r| r == p) {
                self.findings
                    .coverage
                    .push(format!("NOT_PAGES lists {p}, which is no GET route"));
            }
        }
    }
}

/// Sends `form` by its first submit button, the browser's own checks off, and waits for the page that
/// comes back.
async fn send(c: &Client, form: &str) {
    c.execute(
        "window.__tourLeft = true; document.querySelector(arguments[0]).noValidate = true;",
        vec![json!(form)],
    )
    .await
    .unwrap();
    click(c, Locator::Css(&format!("{form} [type=submit]"))).await;
    for _ in 0..200 {
        let arrived = c
            .execute(
                "return !window.__tourLeft && document.readyState === 'complete';",
                vec![],
            )
            .await;
        if matches!(arrived, Ok(Value::Bool(true))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("sending {form} brought no page");
}

/// The byte ranges of UUIDs (8-4-4-4-12 hex digits, either case) in `text`.
fn uuids(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 36 <= b.len() {
        let is = (0..36).all(|k| match k {
            8 | 13 | 18 | 23 => b[i + k] == b'-',
            _ => b[i + k].is_ascii_hexdigit(),
        });
        if is {
            out.push((i, i + 36));
            i += 36;
        } else {
            i += 1;
        }
    }
    out
}

/// The byte ranges where `word` stands as a whole word (no ASCII letter, digit or `_` either side).
fn whole_words(text: &str, word: &str) -> Vec<(usize, usize)> {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word)
        .map(|(s, w)| (s, s + w.len()))
        .filter(|&(s, e)| {
            !text[..s].chars().next_back().is_some_and(part)
                && !text[e..].chars().next().is_some_and(part)
        })
        .collect()
}

/// About 40 characters either side of a match, on one line.
fn context(text: &str, s: usize, e: usize) -> String {
    let before: String = {
        let mut v: Vec<char> = text[..s].chars().rev().take(40).collect();
        v.reverse();
        v.into_iter().collect()
    };
    let after: String = text[e..].chars().take(40).collect();
    format!("…{before}{}{after}…", &text[s..e])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A signed statement from the company's account page that `email` signed in (as `on_behalf.rs` makes).
fn assertion(app: &TestApp, email: &str) -> String {
    use base64::Engine;
    let key = app.state.keys.assertion.as_ref().unwrap().expose().to_vec();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        r#"{{"account_id":"ACC-7","email":"{email}","exp":{}}}"#,
        app.clock.now().timestamp() + 300
    ));
    let sig = kaiji::security::tokens::sign(&key, payload.as_bytes());
    format!("{payload}.{sig}")
}

/// The open tasks of a request closed as their systems' owners would: an export from the accounts
/// system, nothing held elsewhere.
async fn close_tasks(officer: &common::Api, id: &str) {
    let r = officer.request(id).await;
    for t in r["tasks"].as_array().unwrap() {
        if t["status"] != "open" {
            continue;
        }
        let body = match (t["system"].as_str(), t["kind"].as_str()) {
            (Some("Customer accounts"), Some("export")) => {
                json!({"outcome": "exported", "export": r#"{"name": "Pat Doe", "city": "Lisbon"}"#})
            }
            _ => json!({"outcome": "no_data"}),
        };
        let (status, res) = officer.close(id, t, body).await;
        assert_eq!(status, 200, "{res}");
    }
}

/// The data behind the pages: online requests at several stages, a postal letter invoiced and part
/// paid, an inquiry, a record of provision, a system owner's task, two-step sign-in members.
async fn data(app: &TestApp) -> Urls {
    let officer = api(app, "officer@example.com", Role::Officer).await;
    app.staff("admin@example.com", Role::Admin, common::PASSWORD)
        .await;
    app.staff(
        "accounts-owner@example.com",
        Role::SystemOwner,
        common::PASSWORD,
    )
    .await;
    app.staff("enrol@example.com", Role::Officer, common::PASSWORD)
        .await;

    // An access request answered with a package: its history, its letter's download link.
    let answered = started(
        app,
        &officer,
        json!({"name": "Pat Doe", "email": "pat@example.eu", "request_type": "access",
               "jurisdiction": "eea", "language": "en", "message": "All my data, please."}),
    )
    .await;
    close_tasks(&officer, &answered).await;
    let v = officer.version(&answered).await;
    let (status, body) = officer.fire(&answered, "answer", v).await;
    assert_eq!(status, 200, "{body}");
    let r = officer.request(&answered).await;
    let letter = common::notice(&r, "answer_ready")["letter"]
        .as_str()
        .unwrap()
        .to_owned();
    let desk = app.signed_in("letters@example.com", Role::Officer).await;
    let download = common::download_path(&desk, &letter).await;

    // A correction being worked: open tasks, one of them the accounts owner's; its tracking page.
    let working = file_json(
        app,
        json!({"name": "Kim Lee", "email": "kim@example.eu", "request_type": "correction",
               "jurisdiction": "eea", "message": "My postal address is now 2-2 New Street."}),
    )
    .await;
    let (working, track) = (
        working["id"].as_str().unwrap().to_owned(),
        working["tracking_token"].as_str().unwrap().to_owned(),
    );
    app.confirm_email(&working).await;
    assert_eq!(officer.fire(&working, "start_processing", 1).await.0, 200);
    let r = officer.request(&working).await;
    let task = task(&r, "Customer accounts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = officer
        .post(
            &format!("/api/v1/requests/{working}/notes"),
            &json!({"note": "Called Kim to check the new address."}),
        )
        .await;
    assert_eq!(status, 204, "a note");

    // Verified through the company's sign-in.
    let verified = file_json(
        app,
        json!({"name": "Sam Roe", "email": "sam@example.eu", "request_type": "access",
               "jurisdiction": "eea", "message": "x"}),
    )
    .await;
    let account_verified = format!(
        "/track/{}/account-verified?assertion={}",
        verified["tracking_token"].as_str().unwrap(),
        assertion(app, "sam@example.eu")
    );

    // Filed by an agent, confirmed by no one yet: the agent's link and the person's.
    let agent = file_json(
        app,
        json!({"name": "Agent Smith", "email": "agent@example.com", "request_type": "access",
               "jurisdiction": "eea", "message": "For my client.", "language": "en",
               "requester_kind": "agent", "person_name": "Ann Doe", "person_email": "ann@example.com"}),
    )
    .await;
    let agent = kaiji::domain::ids::RequestId::new(agent["id"].as_str().unwrap().to_owned());
    let confirm = kaiji::app::confirm::confirm_path(&app.state.keys, &agent);
    let confirm_person = kaiji::app::confirm::person_path(&app.state.keys, &agent);
    // The same request as an authorised agent's over the DRP, whose verification page the agent opens
    // for the person.
    let admin = common::api(
        app,
        "drp-admin@example.com",
        kaiji::domain::staff::Role::Admin,
    )
    .await;
    let (status, body) = admin
        .post(
            "/api/v1/drp/agents",
            &json!({"entry": {"id": "CR_AA_TOUR-01", "name": "Permission Slip",
                              "verify_key": "9wFJDq/DmuEUgj3BO3VEY8LgAQ3QtOHH4K6TIlOSpr0=",
                              "web_url": "https://agent.example", "business_contact": "drp@agent.example"},
                    "callback_hosts": ["callbacks.agent.example"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    kaiji::db::drp::insert_request(
        &mut app.tdb.conn(),
        &kaiji::db::drp::DrpRequestRow {
            request_id: kaiji::domain::ids::RequestId::new(agent.to_string()),
            agent_id: "CR_AA_TOUR-01".into(),
            action: "access".into(),
            agent_request_id: None,
            status_callback: None,
            verified_claims: "[\"email\"]".into(),
            created_at: kaiji::db::to_db_time(common::t0()),
            last_status: None,
            redirect_to: None,
        },
    )
    .unwrap();
    let drp_verify = format!(
        "{}?request_id={agent}&redirect_to=https%3A%2F%2Fagent.example%2Fdone",
        kaiji::app::drp_status::verification_path(&app.state.keys, agent.as_str())
    );

    // A letter: identity confirmed, invoiced, paid short; and a bank line nobody can be matched to.
    let desk_api = crate::postal::officer(app).await;
    let postal = crate::postal::under_review(&desk_api, json!({})).await;
    crate::postal::confirm_identity(&desk_api, &postal).await;
    crate::postal::fire_ok(&desk_api, &postal, "issue_invoice", 5, None).await;
    let r = desk_api.request(&postal).await;
    let number = r["invoices"][0]["number"].as_str().unwrap().to_owned();
    let (status, body) = desk_api
        .post(
            "/api/v1/payments",
            &json!({"invoice": number, "paid_on": "2026-11-22", "amount_yen": 10_360,
                    "payer_name": "ヤマダ タロウ", "reference": "振込"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let csv = "日付,金額,振込依頼人,摘要\n2026-11-22,5400,ｻﾄｳ ｲﾁﾛｳ (ｶｲｼｬ),\n";
    let (status, body) = desk_api
        .post_raw("/api/v1/payments/import", "text/csv", csv.as_bytes())
        .await;
    assert_eq!(status, 200, "{body}");
    let postal_letter = common::latest_notice(&r, "invoice")["letter"]
        .as_str()
        .unwrap()
        .to_owned();

    // A complaint by telephone, waiting to be acknowledged by letter.
    let (status, body) = officer
        .post("/api/v1/inquiries", &crate::inquiries::phone_complaint())
        .await;
    assert_eq!(status, 201, "{body}");
    let inquiry = body["id"].as_str().unwrap().to_owned();

    // A record of provision to a third party.
    let (status, body) = officer
        .post(
            "/api/v1/provision-records",
            &json!({"regime": "appi", "direction": "provided", "method": "individual", "basis": "consent",
                    "provided_on": "2026-04-01", "counterparty_name": "株式会社サンプル物流",
                    "counterparty_address": "東京都江東区豊洲1-1-1",
                    "counterparty_representative": "代表取締役 佐々木 一郎",
                    "person_name": "山田　太郎", "person_kana": "ﾔﾏﾀﾞ ﾀﾛｳ", "items": "氏名、住所、電話番号"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // A member enrolled in two-step sign-in, who is asked for a code next time.
    app.staff("mfa@example.com", Role::Officer, common::PASSWORD)
        .await;
    let b = app.browser();
    assert_eq!(
        b.login("mfa@example.com", common::PASSWORD).await.status,
        303
    );
    let page = b.get("/staff/mfa/enrol?lang=en").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = totp_rs::Secret::try_from_base32(page.text_of("mfa-secret").unwrap().trim())
        .unwrap()
        .as_bytes()
        .to_vec();
    let now = u64::try_from(app.clock.now().timestamp()).unwrap();
    let code = kaiji::security::mfa::code_at(&secret, now).unwrap();
    let res = b
        .submit("/staff/mfa/enrol?lang=en", &page, &[("code", &code)])
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    // The log sealed, so the audit page shows its checkpoint.
    app.seal().await;

    Urls {
        track: format!("/track/{track}"),
        account_verified,
        confirm,
        confirm_person,
        drp_verify,
        download,
        request_online: format!("/staff/requests/{answered}"),
        request_tasks: format!("/staff/requests/{working}"),
        request_postal: format!("/staff/requests/{postal}"),
        letter: postal_letter,
        inquiry: format!("/staff/inquiries/{inquiry}"),
        task: format!("/staff/tasks/{task}"),
    }
}

/// A Chromium session with room for axe on a big page.
async fn session(driver: &crate::browser::Driver) -> Client {
    let c = browser(driver).await;
    c.update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
        Some(Duration::from_secs(30)),
        Some(Duration::from_secs(60)),
        Some(Duration::ZERO),
    ))
    .await
    .unwrap();
    c.set_window_size(1280, 900).await.unwrap();
    c
}

async fn every_page_is_accessible_readable_and_fits_in_each_language(app: TestApp) {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let started = std::time::Instant::now();
    let mut tour = Tour::new(&app);

    // The first administrator's link works only while there is no staff: toured before the data.
    let c = session(&driver).await;
    let setup = kaiji::app::staff::issue_setup_link_if_needed(&app.state)
        .await
        .unwrap()
        .expect("no staff yet");
    tour.visit(&c, "setup", &format!("/setup/{setup}")).await;
    let u = data(&app).await;

    // The public pages.
    tour.visit(&c, "form", "/").await;
    tour.visit_sent(&c, "form-errors", "/", "#request-form", &[])
        .await;
    tour.visit(&c, "track-lost", "/track").await;
    tour.visit(&c, "track", &u.track).await;
    tour.visit(&c, "track-account-verified", &u.account_verified)
        .await;
    tour.visit(&c, "confirm", &u.confirm).await;
    tour.visit(&c, "confirm-person", &u.confirm_person).await;
    tour.visit(&c, "drp-verify", &u.drp_verify).await;
    tour.visit(&c, "download", &u.download).await;
    tour.visit(&c, "inquiry-form", "/inquiries").await;
    tour.visit_sent(
        &c,
        "inquiry-form-errors",
        "/inquiries",
        "#inquiry-form",
        &[],
    )
    .await;
    tour.visit(&c, "procedures", "/procedures").await;
    tour.visit(&c, "procedure-postal", "/procedures/jp-postal")
        .await;
    tour.visit(&c, "procedure-online", "/procedures/gdpr").await;
    tour.visit(&c, "procedure-print", "/procedures/jp-postal/print")
        .await;
    tour.visit(&c, "forms", "/forms").await;
    tour.visit(&c, "form-blank", "/forms/disclosure?requester=self")
        .await;
    tour.visit(&c, "form-draft", "/forms/disclosure/draft?requester=self")
        .await;
    tour.visit(&c, "not-found", "/no-such-page").await;

    // Signing in, and failing to.
    tour.visit(&c, "login", "/staff/login").await;
    tour.visit_sent(
        &c,
        "login-failed",
        "/staff/login",
        "form[action='/staff/login']",
        &[
            ("email", "nobody@example.com"),
            ("password", "not the password"),
        ],
    )
    .await;
    c.close().await.unwrap();

    // Two-step sign-in: enrolling, then the code asked for at sign-in.
    let c = session(&driver).await;
    sign_in(&c, &app.base, "enrol@example.com").await;
    tour.visit(&c, "mfa-enrol", "/staff/mfa/enrol").await;
    c.close().await.unwrap();
    let c = session(&driver).await;
    sign_in(&c, &app.base, "mfa@example.com").await;
    tour.visit(&c, "mfa-code", "/staff/mfa").await;
    c.close().await.unwrap();

    // An administrator's pages (every staff page but a system owner's task).
    let c = session(&driver).await;
    sign_in(&c, &app.base, "admin@example.com").await;
    tour.visit(&c, "people", "/staff/people").await;
    tour.visit(&c, "drp-agents", "/staff/drp-agents").await;
    tour.visit(&c, "account", "/staff/account").await;
    tour.visit(&c, "queue", "/staff/requests").await;
    tour.visit(&c, "request-answered", &u.request_online).await;
    tour.visit(&c, "request-tasks", &u.request_tasks).await;
    tour.visit(&c, "request-postal", &u.request_postal).await;
    tour.visit(&c, "letter", &u.letter).await;
    tour.visit(&c, "postal-new", "/staff/postal/new").await;
    tour.visit_sent(
        &c,
        "postal-new-errors",
        "/staff/postal/new",
        "#postal-form",
        &[],
    )
    .await;
    tour.visit(&c, "audit", "/staff/audit").await;
    tour.visit(&c, "reports", "/staff/reports").await;
    tour.visit(&c, "payments", "/staff/payments").await;
    tour.visit(&c, "inquiries", "/staff/inquiries").await;
    tour.visit(&c, "inquiry", &u.inquiry).await;
    tour.visit(&c, "provision-records", "/staff/provision-records")
        .await;
    tour.visit(&c, "systems", "/staff/systems").await;
    c.close().await.unwrap();

    // A system owner's pages: their tasks, and one task.
    let c = session(&driver).await;
    sign_in(&c, &app.base, "accounts-owner@example.com").await;
    text_after(&c, Locator::Css("h1"), 10, "the owner's landing page").await;
    tour.visit(&c, "systems-owner", "/staff/systems").await;
    tour.visit(&c, "task", &u.task).await;
    c.close().await.unwrap();

    tour.coverage();
    let report = tour.findings.report(&tour.dir);
    eprintln!(
        "page tour ({}): {} pages ({} routes) in {:.0?}; screenshots in {}",
        tour.backend,
        tour.pages,
        tour.visited.len(),
        started.elapsed(),
        tour.dir
    );
    assert!(tour.findings.total() == 0, "{report}");
}
