//! Every right carried out, not only tracked (issue 18), on both backends: each right of each regime the
//! shipped places apply, walked to its answer through the staff API. Where the right has a task kind,
//! every system that serves it gets one, the answer waits for all of them, one system acts and another
//! names a legal ground for not acting, and the email (in the requester's language, over SMTP) and the
//! Japanese letter list both. The recipients of the systems that acted are told in their own language.

use std::collections::{BTreeMap, BTreeSet};

use crate::common;

use common::smtp::Received;
use common::{Api, Backend, TestApp, api};
use kaiji::domain::code::Code;
use kaiji::domain::staff::Role;
use kaiji::domain::systems::TaskKind;
use serde_json::{Value, json};

on_each_backend!(every_right_of_every_law_is_carried_out_or_refused_on_a_legal_ground);

/// The systems the seed registers (`seeds/data_systems.toml`), and what each does in every walk.
const ACTS: &str = "Customer accounts";
const ALSO_ACTS: &str = "Marketing preferences";
const REFUSES: &str = "Orders and billing";
const HOLDS_NOTHING: &str = "Customer support";

/// One walked request.
struct Walk {
    regime: String,
    right: String,
    task: Option<TaskKind>,
    language: &'static str,
    id: String,
    receipt: String,
    email: String,
    person: String,
    ground: String,
    /// The law's ground (code, and its words in the requester's language) a partial answer names,
    /// where the law lists grounds for the right.
    law_ground: Option<(String, String)>,
    /// Answered from the register of provision records (APPI Art. 33(5)): its regime's id.
    register: Option<String>,
}

/// A right answered from the register: the officer enters the person's record of provision and
/// confirms it as theirs, so the answer discloses it.
async fn confirm_a_record(officer: &Api, w: &Walk, regime: &str) {
    let (status, rec) = officer
        .post(
            "/api/v1/provision-records",
            &json!({"regime": regime, "direction": "provided", "method": "individual",
                    "basis": "consent", "provided_on": "2026-04-01", "counterparty_name": "Partner K.K.",
                    "person_name": w.person, "person_email": w.email, "items": "name, email"}),
        )
        .await;
    assert_eq!(status, 201, "{rec}");
    let (status, body) = officer
        .call(
            reqwest::Method::PUT,
            &format!(
                "/api/v1/requests/{}/provision-records/{}",
                w.id,
                rec["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

fn ground_for(regime: &str, right: &str) -> String {
    format!("Ground {regime}/{right}: the law lets us keep this")
}

/// How the acting system closes a task of this kind, and what the answer then says of it.
fn acting(kind: TaskKind, n: usize) -> Value {
    match kind {
        TaskKind::Export => json!({"outcome": "exported", "export": "{\"records\": [1]}"}),
        TaskKind::Erase => json!({"outcome": "erased"}),
        TaskKind::Rectify => json!({"outcome": "rectified", "corrections": [
            {"item": "Postal address", "prior_value": format!("Old Street {n}"), "new_value": format!("New Street {n}")}]}),
        TaskKind::Restrict => json!({"outcome": "restricted", "purposes": "legal claims"}),
        TaskKind::StopProcessing => json!({"outcome": "stopped", "purposes": "direct marketing"}),
        TaskKind::Locate => json!({"outcome": "held"}),
    }
}

fn acting_text(kind: TaskKind, language: &str) -> &'static str {
    match (kind, language) {
        (TaskKind::Export, "ja") => "回答に含めました",
        (TaskKind::Export, _) => "data included in your answer",
        (TaskKind::Erase, "ja") => "消去しました",
        (TaskKind::Erase, _) => "erased",
        (TaskKind::Rectify, "ja") => "ご請求のとおり訂正しました",
        (TaskKind::Rectify, _) => "corrected as you asked",
        (TaskKind::Restrict, "ja") => "利用を制限しました",
        (TaskKind::Restrict, _) => "restricted: kept, and used only as stated",
        (TaskKind::StopProcessing, "ja") => "利用を停止しました",
        (TaskKind::StopProcessing, _) => "use stopped",
        // With the purposes the registry declares for the system.
        (TaskKind::Locate, "ja") => {
            "お客様に関するデータを保有しています。利用目的: account management, sign-in security"
        }
        (TaskKind::Locate, _) => {
            "holds data about you, used for: account management, sign-in security"
        }
    }
}

/// The letter's line for each system (Japanese letters).
fn letter_lines(kind: TaskKind, ground: &str) -> [String; 2] {
    let acted = match kind {
        TaskKind::Export => format!("{ACTS}：保有するデータを回答に含めました"),
        TaskKind::Erase => format!("{ACTS}：復元できない方法で消去しました"),
        TaskKind::Rectify => format!("{ACTS}：上記のとおり訂正しました"),
        TaskKind::Restrict => {
            format!(
                "{ACTS}：取扱いを制限しました（保存のほか、次の目的に限り取り扱います：legal claims）"
            )
        }
        TaskKind::StopProcessing => {
            format!("{ACTS}：次の目的での利用を停止しました（direct marketing）")
        }
        TaskKind::Locate => format!(
            "{ACTS}：お客様に関するデータを保有しています（利用目的：account management, sign-in security）"
        ),
    };
    let refused = match kind {
        TaskKind::Export | TaskKind::Locate => {
            format!("{REFUSES}：該当するデータはありませんでした")
        }
        TaskKind::Erase => {
            format!("{REFUSES}：次の法的根拠により一部のデータを保持しています（{ground}）")
        }
        _ => format!("{REFUSES}：次の理由により対応しておりません（{ground}）"),
    };
    [acted, refused]
}

async fn fire(officer: &Api, id: &str, event: &str, data: Value) -> (u16, Value) {
    let version = officer.version(id).await;
    officer.event(id, event, version, data).await
}

/// Closes each open task: one system acts, one names a legal ground for not acting (an export has
/// none: that system holds nothing, and the answer refuses a part on a ground), one holds nothing,
/// and the last acts too.
async fn close_tasks(officer: &Api, w: &Walk, tasks: &[Value], n: usize) {
    let kind = w.task.unwrap();
    for t in tasks {
        let system = t["system"].as_str().unwrap();
        let body = match system {
            ACTS | ALSO_ACTS => acting(kind, n),
            // An export or a locate has no ground for not acting: that system holds nothing, and the
            // answer refuses a part on a ground.
            REFUSES if matches!(kind, TaskKind::Export | TaskKind::Locate) => {
                json!({"outcome": "no_data"})
            }
            REFUSES if kind == TaskKind::Erase => {
                json!({"outcome": "retained", "legal_ground": w.ground})
            }
            REFUSES => json!({"outcome": "declined", "legal_ground": w.ground}),
            _ => json!({"outcome": "no_data"}),
        };
        let (status, closed) = officer.close(&w.id, t, body).await;
        assert_eq!(status, 200, "{} {}: {system}: {closed}", w.regime, w.right);
    }
}

/// Drives a request from filing to its answer with the events its procedure offers.
async fn walk(officer: &Api, w: &Walk, n: usize) {
    let mut asked_early = false;
    for _ in 0..12 {
        let r = officer.request(&w.id).await;
        if r["closed"] == true {
            return;
        }
        let tasks = r["tasks"].as_array().unwrap().clone();
        let open: Vec<Value> = tasks
            .iter()
            .filter(|t| t["status"] == "open")
            .cloned()
            .collect();
        let allowed = common::allowed_events(&r);
        let answer = ["confirm_action", "answer", "fulfil", "confirm"]
            .into_iter()
            .filter(|e| !(w.task == Some(TaskKind::Export) && *e == "confirm_action"))
            .find(|e| allowed.contains(e));
        if !open.is_empty() {
            let kind = w.task.expect("tasks only for rights with a task kind");
            assert!(
                open.iter().all(|t| t["kind"] == kind.as_str()),
                "{}: {open:?}",
                w.right
            );
            let systems: BTreeSet<&str> =
                open.iter().map(|t| t["system"].as_str().unwrap()).collect();
            assert_eq!(
                systems,
                BTreeSet::from([ACTS, ALSO_ACTS, REFUSES, HOLDS_NOTHING]),
                "every system serving {} gets a task",
                kind.as_str()
            );
            // No answer while a system has not answered.
            if let Some(a) = answer {
                let (status, body) = fire(officer, &w.id, a, json!({})).await;
                assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (422, Some("guard_failed")),
                    "{} {}: {a} with open tasks",
                    w.regime,
                    w.right
                );
                asked_early = true;
            }
            close_tasks(officer, w, &open, n).await;
            continue;
        }
        let next = [
            "start_processing",
            "acknowledge",
            "confirm_identity",
            "verify",
            // A choice (the CCPA's opt-outs and opt-in): honoured, then each system stops.
            "honour",
        ]
        .into_iter()
        .find(|e| allowed.contains(e))
        .or(answer);
        let facts = r["facts"].as_array().unwrap();
        let Some(next) = next else {
            // Stuck before identity is verified (CCPA): three matched data points and the declaration
            // (§7062).
            assert!(
                !facts.contains(&json!("identity_verified")),
                "{} {}: stuck with {allowed:?}",
                w.regime,
                w.right
            );
            let (status, d) = officer
                .post(
                    &format!("/api/v1/requests/{}/identity/data-points", w.id),
                    &json!({"expected_version": r["version"], "declaration_signed": true,
                            "points": [{"name": "phone", "matched": true}, {"name": "postal_code", "matched": true},
                                       {"name": "last_order", "matched": true}]}),
                )
                .await;
            assert_eq!((status, d["verified"].as_bool()), (200, Some(true)), "{d}");
            continue;
        };
        let data = if Some(next) == answer
            && matches!(w.task, Some(TaskKind::Export | TaskKind::Locate))
        {
            match &w.law_ground {
                // Where the law lists grounds, a part refused names one of them.
                Some((code, _)) => {
                    let (status, body) =
                        fire(officer, &w.id, next, json!({"partial_refusal": w.ground})).await;
                    assert_eq!(
                        (status, common::field_code(&body, "ground")),
                        (422, Some("required")),
                        "{} {}: {body}",
                        w.regime,
                        w.right
                    );
                    json!({"partial_refusal": w.ground, "ground": code})
                }
                None => json!({"partial_refusal": w.ground}),
            }
        } else {
            json!({})
        };
        if Some(next) == answer
            && let Some(regime) = &w.register
        {
            // Nothing confirmed: the answer cannot go out empty.
            let (status, body) = fire(officer, &w.id, next, data.clone()).await;
            assert_eq!(status, 422, "{} {}: {body}", w.regime, w.right);
            confirm_a_record(officer, w, regime).await;
        }
        let (status, body) = fire(officer, &w.id, next, data).await;
        assert_eq!(status, 200, "{} {}: {next}: {body}", w.regime, w.right);
    }
    let r = officer.request(&w.id).await;
    assert_eq!(
        r["closed"], true,
        "{} {}: {}",
        w.regime, w.right, r["state"]
    );
    assert!(w.task.is_none() || asked_early);
}

fn mails_to<'a>(mails: &'a [Received], address: &str) -> Vec<&'a Received> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(address)))
        .collect()
}

async fn every_right_of_every_law_is_carried_out_or_refused_on_a_legal_ground(backend: Backend) {
    // Some forty requests from one address within the hour: more than the intake limit lets through.
    let Some(app) = TestApp::spawn_with(backend, |c| c.intake.intake_per_ip_per_hour = 1_000).await
    else {
        return;
    };
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let laws = app.state.workflows.laws().clone();
    let mut walks: Vec<Walk> = Vec::new();
    let mut regimes_seen = BTreeSet::new();
    for place in laws.served() {
        let regime = laws.regime_of(place.code.as_str()).unwrap();
        if !regimes_seen.insert(regime.id.clone()) {
            continue;
        }
        for (k, right) in regime.rights.iter().enumerate() {
            let n = walks.len();
            // Both languages in every regime: alternate right by right.
            let language = if (k + n).is_multiple_of(2) {
                "en"
            } else {
                "ja"
            };
            let email = format!("walk{n}@example.com");
            let person = format!("Person-{n}-Walk");
            let res = app
                .browser()
                .post_json(
                    "/api/v1/requests",
                    &json!({"name": person, "email": email, "request_type": right.code.as_str(),
                            "jurisdiction": place.code.as_str(), "language": language,
                            "message": "Please carry out my request in every system."}),
                )
                .await;
            assert_eq!(
                res.status,
                201,
                "{} {}: {}",
                regime.id,
                right.code.as_str(),
                res.body
            );
            let id = res.json()["id"].as_str().unwrap().to_owned();
            if app.asks_confirmation(&id) {
                app.confirm_email(&id).await;
            }
            let w = Walk {
                regime: regime.id.clone(),
                right: right.code.as_str().to_owned(),
                task: right.task,
                language,
                receipt: res.json()["receipt_number"].as_str().unwrap().to_owned(),
                ground: ground_for(&regime.id, right.code.as_str()),
                law_ground: regime.grounds_for(right.code.as_str()).first().map(|g| {
                    let lang = if language == "ja" {
                        kaiji::domain::request::Language::JA
                    } else {
                        kaiji::domain::request::Language::EN
                    };
                    (g.code.clone(), g.label.get(lang).to_owned())
                }),
                register: (right.answer == Some(kaiji::domain::law::AnswerKind::ProvisionRecords))
                    .then(|| regime.id.clone()),
                id,
                email,
                person,
            };
            walk(&officer, &w, n).await;
            walks.push(w);
        }
    }
    let kinds: BTreeSet<&str> = walks
        .iter()
        .filter_map(|w| w.task)
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        kinds.len(),
        TaskKind::ALL.len(),
        "every task kind is walked: {kinds:?}"
    );
    assert!(regimes_seen.len() >= 8, "{regimes_seen:?}");
    assert!(
        walks.iter().any(|w| w.law_ground.is_some()
            && matches!(w.task, Some(TaskKind::Export | TaskKind::Locate))),
        "some partial answer names the law's ground"
    );

    // Every notice goes out over SMTP.
    let mails = common::delivered_over_smtp(&app).await;
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let mut told: BTreeMap<&str, usize> = BTreeMap::new();
    for (n, w) in walks.iter().enumerate() {
        let Some(kind) = w.task else {
            continue;
        };
        // The answer: in the requester's language, each system's outcome, the ground for not acting.
        let answer: Vec<&Received> = mails_to(&mails, &w.email)
            .into_iter()
            .filter(|m| {
                let t = m.text();
                t.contains(ACTS) && t.contains(REFUSES)
            })
            .collect();
        assert_eq!(
            answer.len(),
            1,
            "{} {}: one answer lists the systems",
            w.regime,
            w.right
        );
        let text = answer[0].text();
        assert_eq!(
            answer[0].header("Content-Language").as_deref(),
            Some(w.language)
        );
        assert!(text.contains(&w.receipt), "{text}");
        assert!(
            text.contains(acting_text(kind, w.language)),
            "{} {} ({}): the acting outcome: {text}",
            w.regime,
            w.right,
            w.language
        );
        assert!(
            text.contains(&w.ground),
            "{} {}: the legal ground: {text}",
            w.regime,
            w.right
        );
        if let Some((_, words)) = w
            .law_ground
            .as_ref()
            .filter(|_| matches!(kind, TaskKind::Export | TaskKind::Locate))
        {
            assert!(
                text.contains(words.as_str()),
                "{} {}: the law's ground for the part refused: {text}",
                w.regime,
                w.right
            );
        }
        if kind == TaskKind::Rectify {
            assert!(
                text.contains("Postal address"),
                "the corrected item: {text}"
            );
        }

        // The letter lists the same, in Japanese.
        let r = officer.request(&w.id).await;
        let notice = r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| {
                ["answer_ready", "action_completed", "answer_dispatched"]
                    .contains(&x["kind"].as_str().unwrap())
            })
            .unwrap_or_else(|| panic!("{} {}: no answer notice", w.regime, w.right));
        let letter = desk
            .get(&format!(
                "/staff/requests/{}/letters/{}?lang=en",
                w.id,
                notice["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(letter.status, 200);
        // The line above the sheet speaks the officer's language; the sheet stays the requester's.
        assert!(
            letter.body.contains("Print this letter on A4")
                && !letter.body.contains("ブラウザの印刷機能"),
            "{} {}: {}",
            w.regime,
            w.right,
            letter.body
        );
        for line in letter_lines(kind, &w.ground) {
            assert!(
                letter.body.contains(&line),
                "{} {}: the letter lacks {line}: {}",
                w.regime,
                w.right,
                letter.body
            );
        }

        // Recipients of the systems that erased, rectified or restricted are told (and of those that
        // stopped, where the right says so: the CCPA's opt-outs); of the system that did not act, none;
        // and never the tracking page.
        let tells = matches!(
            kind,
            TaskKind::Erase | TaskKind::Rectify | TaskKind::Restrict
        ) || laws
            .regime(&w.regime)
            .and_then(|r| r.right(&w.right))
            .is_some_and(|r| r.tells_recipients);
        let about_person: Vec<&Received> = mails
            .iter()
            .filter(|m| !m.to.iter().any(|t| t.contains(&w.email)) && m.text().contains(&w.person))
            .collect();
        if !tells {
            assert!(
                about_person.is_empty(),
                "{} {}: no recipient told",
                w.regime,
                w.right
            );
            continue;
        }
        let to: BTreeSet<String> = about_person
            .iter()
            .flat_map(|m| m.to.iter().cloned())
            .collect();
        assert_eq!(
            to.len(),
            2,
            "{} {}: the hosting processor (accounts) and the ad network (marketing): {to:?}",
            w.regime,
            w.right
        );
        for m in &about_person {
            let text = m.text();
            let (language, whom) = if m.to.iter().any(|t| t.contains("hosting.example.com")) {
                ("ja", "貴社は当社の委託を受けて")
            } else {
                assert!(
                    m.to.iter().any(|t| t.contains("adnetwork.example.com")),
                    "{:?}",
                    m.to
                );
                ("en", "Please ")
            };
            assert_eq!(m.header("Content-Language").as_deref(), Some(language));
            assert!(text.contains(whom), "{text}");
            assert!(
                text.contains(&w.email),
                "the recipient can find the person: {text}"
            );
            assert!(!text.contains("/track/"), "no tracking link: {text}");
            if kind == TaskKind::Rectify {
                assert!(text.contains(&format!("New Street {n}")), "{text}");
                assert!(
                    !text.contains(&format!("Old Street {n}")),
                    "never the old value: {text}"
                );
            }
            *told.entry(language).or_default() += 1;
        }
        let answer_text = &text;
        assert!(
            answer_text.contains("Example Cloud Hosting K.K.")
                && answer_text.contains("Example Ad Network Ltd."),
            "the answer names those told: {answer_text}"
        );
        assert!(
            !answer_text.contains("Example Payments Inc."),
            "{answer_text}"
        );
    }
    assert!(told["ja"] > 0 && told["en"] > 0, "{told:?}");
    assert!(
        mails_to(&mails, "payments.example.com").is_empty(),
        "the system that did not act tells nobody"
    );

    // The tracking page never lists notices to recipients.
    let audit = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 5_000).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "task.recipients_notified" && !e.details.contains("@"))
    );
    for w in walks
        .iter()
        .filter(|w| w.task == Some(TaskKind::Erase))
        .take(1)
    {
        let sent = kaiji::db::notices::to_requester(
            &mut app.tdb.conn(),
            &kaiji::domain::ids::RequestId::new(w.id.clone()),
        )
        .unwrap();
        assert!(sent.iter().all(|n| n.kind != "recipient_notified"));
    }
}
