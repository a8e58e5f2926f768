//! The workflow engine through the staff API, on both backends: every shipped procedure walked to each
//! of its terminal states, typed refusals, deadlines that follow each law, notices queued with their
//! transition, and workflow versions pinned per request.

use crate::common;

use std::collections::BTreeSet;

use chrono::TimeDelta;
use common::{Api, TestApp, api, file_id, notice_kinds};
use kaiji::app::staff;
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    unconfirmed_requests_expire_with_a_notice,
    every_procedure_walks_to_each_terminal_state,
    refusals_are_typed_and_write_nothing,
    deadlines_follow_each_law,
    deadlines_past_the_holiday_data_are_unknown_not_fatal,
    requests_keep_the_workflow_version_they_started_under,
);

/// Files a request through the public API (web procedures) or registers a letter (postal).
async fn file(
    app: &TestApp,
    officer: &Api,
    channel: &str,
    jurisdiction: &str,
    request_type: &str,
    email: Option<&str>,
) -> String {
    let mut body = json!({
        "name": "Test Requester", "request_type": request_type, "jurisdiction": jurisdiction,
        "message": "All data about my account, please.", "language": "en",
    });
    if let Some(e) = email {
        body["email"] = json!(e);
    }
    if channel == "postal" {
        let mut letter = postal_letter(request_type);
        if let Some(e) = email {
            letter["email"] = json!(e);
        }
        let res = officer.post_page("/api/v1/postal-requests", &letter).await;
        assert_eq!(res.status, 201, "{}", res.body);
        return res.json()["requests"][0]["id"].as_str().unwrap().to_owned();
    }
    // Each filing from its own address: the walks file more than one address's hourly limit.
    static FILED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = FILED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let res = app
        .browser_at(&format!("198.51.{}.{}", n / 200, n % 200 + 1))
        .post_json("/api/v1/requests", &body)
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    if email.is_some() && app.asks_confirmation(&id) {
        app.confirm_email(&id).await;
    }
    id
}

/// A registered letter as an officer reads it: arrived today (2026-11-22 at the desk), dated two days
/// earlier, sent by 簡易書留 with a valid tracking number, from the person themselves.
pub fn postal_letter(request_type: &str) -> Value {
    json!({
        "name": "郵送 花子", "postal_address": "〒100-0001 東京都千代田区千代田1-1",
        "received_on": "2026-11-22", "request_date": "2026-11-20",
        "mail_class": "simple_registered", "tracking_number": "131-12-38385-2",
        "requester_kind": "self", "request_types": [request_type], "services": ["GPUクラウド"],
    })
}

/// Records the enclosures of a letter from the person themselves: a fresh 住民票 (original) and a
/// passport copy. Returns the request's new version.
async fn record_fresh_documents(officer: &Api, id: &str, mut version: i64) -> i64 {
    for (kind, original, created_on) in [("juminhyo", true, "2026-11-01"), ("passport", false, "")]
    {
        let r = officer
            .post_page(
                &format!("/api/v1/requests/{id}/documents"),
                &json!({"expected_version": version, "kind": kind, "holder": "principal",
                        "original": original, "created_on": created_on}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        version = r.json()["version"].as_i64().unwrap();
    }
    version
}

/// Pays the request's invoice in full by a transfer the officer enters by hand. Returns the request's
/// new version (the fee marked paid).
async fn pay_invoice(officer: &Api, id: &str, version: i64) -> i64 {
    let r = officer.request(id).await;
    let invoice = &r["invoices"][0];
    let res = officer
        .post_page(
            "/api/v1/payments",
            &json!({"invoice": invoice["number"], "paid_on": "2026-11-23",
                    "amount_yen": invoice["amount_yen"], "payer_name": "ユウソウ ハナコ"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["paid"], true);
    let after = officer.version(id).await;
    assert_eq!(after, version + 1, "a settled invoice marks the fee paid");
    after
}

/// Closes a request's open tasks as their owners would: exports for access, erasure for deletion.
/// Returns the request's new version (the last task sets `tasks_done`).
async fn close_tasks(officer: &Api, id: &str, open: &[Value], version: i64) -> i64 {
    for t in open {
        let body = match t["kind"].as_str().unwrap() {
            "export" => json!({"outcome": "exported", "export": "{\"records\": []}"}),
            "erase" => json!({"outcome": "erased"}),
            _ => json!({"outcome": "no_data"}),
        };
        let r = officer
            .post_page(
                &format!("/api/v1/requests/{id}/tasks/{}", t["id"].as_str().unwrap()),
                &body,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let after = officer.version(id).await;
    assert_eq!(
        after,
        version + 1,
        "closing the last task marks the tasks done"
    );
    after
}

struct Walk {
    workflow: &'static str,
    channel: &'static str,
    jurisdiction: &'static str,
    request_type: &'static str,
    email: Option<&'static str>,
    events: &'static [&'static str],
    end: &'static str,
}

const WALKS: &[Walk] = &[
    Walk {
        workflow: "jp-online",
        channel: "api",
        jurisdiction: "japan",
        request_type: "access",
        email: Some("a@example.jp"),
        events: &["request_identity", "confirm_identity", "answer"],
        end: "answered",
    },
    Walk {
        workflow: "jp-online",
        channel: "api",
        jurisdiction: "other",
        request_type: "deletion",
        email: Some("a@example.jp"),
        events: &["confirm_identity", "answer_no_data"],
        end: "no_data_held",
    },
    Walk {
        workflow: "jp-online",
        channel: "api",
        jurisdiction: "japan",
        request_type: "access",
        email: Some("a@example.jp"),
        events: &["request_identity", "refuse"],
        end: "refused",
    },
    Walk {
        workflow: "jp-postal",
        channel: "postal",
        jurisdiction: "japan",
        request_type: "access",
        email: None,
        events: &[
            "start_identity_review",
            "request_documents",
            "documents_received",
            "+documents",
            "confirm_identity",
            "issue_invoice",
            "+payment",
            "confirm_payment",
            "dispatch_reply",
            "confirm_delivery",
        ],
        end: "closed",
    },
    Walk {
        workflow: "jp-postal",
        channel: "postal",
        jurisdiction: "japan",
        request_type: "correction",
        email: Some("p@example.jp"),
        events: &[
            "start_identity_review",
            "+documents",
            "confirm_identity",
            "start_handling",
            "choose_electronic_delivery",
            "+reply",
            "offer_download",
            "record_download",
        ],
        end: "closed",
    },
    Walk {
        workflow: "jp-postal",
        channel: "postal",
        jurisdiction: "japan",
        request_type: "purpose_notification",
        email: None,
        events: &["refuse_channel"],
        end: "channel_not_accepted",
    },
    Walk {
        workflow: "jp-postal",
        channel: "postal",
        jurisdiction: "japan",
        request_type: "access",
        email: None,
        events: &["start_identity_review", "refer_to_transfer_agent"],
        end: "referred_to_transfer_agent",
    },
    Walk {
        workflow: "jp-postal",
        channel: "postal",
        jurisdiction: "japan",
        request_type: "third_party_records",
        email: None,
        events: &[
            "start_identity_review",
            "+documents",
            "confirm_identity",
            "answer_no_data",
        ],
        end: "no_data_held",
    },
    Walk {
        workflow: "jp-postal",
        channel: "postal",
        jurisdiction: "japan",
        request_type: "stop_of_use",
        email: None,
        events: &["start_identity_review", "refuse"],
        end: "refused",
    },
    Walk {
        workflow: "gdpr",
        channel: "api",
        jurisdiction: "eea",
        request_type: "portability",
        email: Some("e@example.eu"),
        events: &["start_processing", "extend", "answer"],
        end: "answered",
    },
    Walk {
        workflow: "gdpr",
        channel: "web",
        jurisdiction: "eea",
        request_type: "deletion",
        email: Some("e@example.eu"),
        events: &["request_identity", "identity_provided", "refuse"],
        end: "refused",
    },
    Walk {
        workflow: "ccpa",
        channel: "api",
        jurisdiction: "california",
        request_type: "deletion",
        email: Some("c@example.com"),
        events: &[
            "acknowledge",
            "request_verification",
            "+points",
            "verification_received",
            "extend",
            "fulfil",
        ],
        end: "completed",
    },
    Walk {
        workflow: "ccpa",
        channel: "api",
        jurisdiction: "california",
        request_type: "access",
        email: Some("c@example.com"),
        events: &["acknowledge", "deny"],
        end: "denied",
    },
    Walk {
        workflow: "pipeda",
        channel: "api",
        jurisdiction: "canada",
        request_type: "access",
        email: Some("k@example.ca"),
        events: &[
            "start_processing",
            "request_information",
            "information_received",
            "extend",
            "answer",
        ],
        end: "answered",
    },
    Walk {
        workflow: "pipeda",
        channel: "api",
        jurisdiction: "canada",
        request_type: "correction",
        email: Some("k@example.ca"),
        events: &["refuse"],
        end: "refused",
    },
    Walk {
        workflow: "uk-gdpr",
        channel: "api",
        jurisdiction: "GB",
        request_type: "access",
        email: Some("u@example.co.uk"),
        events: &[
            "start_processing",
            "request_identity",
            "identity_provided",
            "extend",
            "answer",
        ],
        end: "answered",
    },
    Walk {
        workflow: "uk-gdpr",
        channel: "web",
        jurisdiction: "uk",
        request_type: "objection",
        email: Some("u@example.co.uk"),
        events: &["refuse"],
        end: "refused",
    },
    Walk {
        workflow: "pipa",
        channel: "api",
        jurisdiction: "KR",
        request_type: "deletion",
        email: Some("k@example.kr"),
        events: &[
            "start_processing",
            "request_identity",
            "identity_provided",
            "confirm_action",
        ],
        end: "answered",
    },
    Walk {
        workflow: "pipa",
        channel: "api",
        jurisdiction: "KR",
        request_type: "access",
        email: Some("k@example.kr"),
        events: &["refuse"],
        end: "refused",
    },
    Walk {
        workflow: "vcdpa",
        channel: "api",
        jurisdiction: "US-VA",
        request_type: "access",
        email: Some("v@example.com"),
        events: &["start_processing", "extend", "answer"],
        end: "answered",
    },
    Walk {
        workflow: "vcdpa",
        channel: "api",
        jurisdiction: "virginia",
        request_type: "opt_out",
        email: Some("v@example.com"),
        events: &[
            "refuse",
            "appeal_received",
            "appeal_granted",
            "confirm_action",
        ],
        end: "answered",
    },
    Walk {
        workflow: "vcdpa",
        channel: "api",
        jurisdiction: "US-VA",
        request_type: "deletion",
        email: Some("v@example.com"),
        events: &["refuse", "appeal_received", "appeal_denied"],
        end: "refused",
    },
    Walk {
        workflow: "lgpd-access",
        channel: "api",
        jurisdiction: "BR",
        request_type: "access",
        email: Some("b@example.com.br"),
        events: &["confirm_simplified", "prepare_declaration", "answer"],
        end: "answered",
    },
    Walk {
        workflow: "lgpd-access",
        channel: "api",
        jurisdiction: "BR",
        request_type: "access",
        email: Some("b@example.com.br"),
        events: &["refuse"],
        end: "refused",
    },
    Walk {
        workflow: "lgpd",
        channel: "api",
        jurisdiction: "BR",
        request_type: "deletion",
        email: Some("b@example.com.br"),
        events: &["start_processing", "confirm_action"],
        end: "answered",
    },
    Walk {
        workflow: "lgpd",
        channel: "api",
        jurisdiction: "BR",
        request_type: "portability",
        email: Some("b@example.com.br"),
        events: &["refuse"],
        end: "refused",
    },
    // Each procedure's withdrawal, recorded by an officer (a letter or call); the requester's own
    // button is walked in tracking_page.rs.
    Walk {
        workflow: "jp-online",
        channel: "api",
        jurisdiction: "japan",
        request_type: "access",
        email: Some("withdraws-jp-online@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "jp-postal",
        channel: "postal",
        jurisdiction: "japan",
        request_type: "access",
        email: None,
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "gdpr",
        channel: "api",
        jurisdiction: "eea",
        request_type: "portability",
        email: Some("withdraws-gdpr@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "ccpa",
        channel: "api",
        jurisdiction: "california",
        request_type: "deletion",
        email: Some("withdraws-ccpa@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "ccpa-opt-out",
        channel: "api",
        jurisdiction: "US-CA",
        request_type: "opt_out_sale",
        email: Some("o@example.com"),
        events: &["honour", "confirm"],
        end: "completed",
    },
    Walk {
        workflow: "ccpa-opt-out",
        channel: "api",
        jurisdiction: "US-CA",
        request_type: "limit_sensitive",
        email: Some("o@example.com"),
        events: &["deny"],
        end: "denied",
    },
    Walk {
        workflow: "ccpa-opt-out",
        channel: "api",
        jurisdiction: "US-CA",
        request_type: "opt_out_sale",
        email: Some("withdraws-opt-out@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "ccpa-opt-in",
        channel: "api",
        jurisdiction: "US-CA",
        request_type: "opt_in_sale",
        email: Some("i@example.com"),
        events: &["honour"],
        end: "completed",
    },
    Walk {
        workflow: "ccpa-opt-in",
        channel: "api",
        jurisdiction: "US-CA",
        request_type: "opt_in_sale",
        email: Some("i@example.com"),
        events: &["deny"],
        end: "denied",
    },
    Walk {
        workflow: "ccpa-opt-in",
        channel: "api",
        jurisdiction: "US-CA",
        request_type: "opt_in_sale",
        email: Some("withdraws-opt-in@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "pipeda",
        channel: "api",
        jurisdiction: "canada",
        request_type: "access",
        email: Some("withdraws-pipeda@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "uk-gdpr",
        channel: "api",
        jurisdiction: "GB",
        request_type: "access",
        email: Some("withdraws-uk-gdpr@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "pipa",
        channel: "api",
        jurisdiction: "KR",
        request_type: "deletion",
        email: Some("withdraws-pipa@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "vcdpa",
        channel: "api",
        jurisdiction: "US-VA",
        request_type: "access",
        email: Some("withdraws-vcdpa@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "lgpd-access",
        channel: "api",
        jurisdiction: "BR",
        request_type: "access",
        email: Some("withdraws-lgpd-access@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
    Walk {
        workflow: "lgpd",
        channel: "api",
        jurisdiction: "BR",
        request_type: "deletion",
        email: Some("withdraws-lgpd@example.com"),
        events: &["withdraw"],
        end: "withdrawn",
    },
];

#[test]
fn two_workflows_may_not_take_the_same_kind_of_request() {
    let dir = tempfile::tempdir().unwrap();
    let gdpr = std::fs::read_to_string(common::repo_path("seeds/workflows/gdpr.toml")).unwrap();
    std::fs::write(dir.path().join("gdpr.toml"), &gdpr).unwrap();
    std::fs::write(
        dir.path().join("gdpr-copy.toml"),
        gdpr.replace("id = \"gdpr\"", "id = \"gdpr-copy\""),
    )
    .unwrap();
    let e = kaiji::app::workflows::read_definitions(dir.path(), &common::laws())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`gdpr-copy` and `gdpr` both take access requests from EEA"),
        "{e}"
    );
}

#[test]
fn the_walks_cover_every_terminal_state_of_every_shipped_procedure() {
    let cals = common::laws();
    let files =
        kaiji::app::workflows::read_definitions(&common::repo_path("seeds/workflows"), &cals)
            .unwrap();
    let mut expected = BTreeSet::new();
    for f in &files {
        for s in f.definition.states.iter().filter(|s| s.terminal) {
            expected.insert((f.definition.id.clone(), s.id.clone()));
        }
    }
    let mut walked: BTreeSet<(String, String)> = WALKS
        .iter()
        .map(|w| (w.workflow.to_owned(), w.end.to_owned()))
        .collect();
    // The timer's own ending, walked in `unconfirmed_requests_expire_with_a_notice`.
    for (workflow, _, _) in EXPIRING {
        walked.insert((workflow.to_string(), "unconfirmed_expired".to_owned()));
    }
    assert_eq!(walked, expected);
}

async fn every_procedure_walks_to_each_terminal_state(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    for w in WALKS {
        let id = file(
            &app,
            &officer,
            w.channel,
            w.jurisdiction,
            w.request_type,
            w.email,
        )
        .await;
        let r = officer.request(&id).await;
        assert_eq!(
            r["workflow"]["id"], w.workflow,
            "{} routed by jurisdiction and channel",
            w.workflow
        );
        let mut version = r["version"].as_i64().unwrap();
        let mut notices = r["notices"].as_array().unwrap().len();
        // An opt-out asks nothing before it is honoured, a confirmation included.
        let confirmation =
            w.email.is_some() && w.channel != "postal" && w.workflow != "ccpa-opt-out";
        assert_eq!(
            notices,
            if confirmation { 2 } else { 1 },
            "the receipt notice (and for online requests the email confirmation) is queued at intake"
        );
        let mut task_bumps = 0;
        for event in w.events {
            if *event == "+documents" {
                version = record_fresh_documents(&officer, &id, version).await;
                continue;
            }
            if *event == "+points" {
                let r = officer
                    .post_page(
                        &format!("/api/v1/requests/{id}/identity/data-points"),
                        &json!({"expected_version": version, "points": [
                            {"name": "phone", "matched": true}, {"name": "postal_code", "matched": true}]}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                assert_eq!(r.json()["verified"], true);
                version += 1;
                continue;
            }
            if *event == "+reply" {
                officer.upload_reply(&id).await;
                continue;
            }
            if *event == "+payment" {
                version = pay_invoice(&officer, &id, version).await;
                continue;
            }
            // Answers wait for the data systems: close their tasks first (the last one bumps the version).
            if [
                "answer",
                "confirm_action",
                "fulfil",
                "answer_no_data",
                "dispatch_reply",
                "offer_download",
                "confirm",
            ]
            .contains(event)
            {
                let r = officer.request(&id).await;
                let open: Vec<Value> = r["tasks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|t| t["status"] == "open")
                    .cloned()
                    .collect();
                if !open.is_empty() {
                    let refused = officer.fire_page(&id, event, version, Some("x")).await;
                    assert_eq!(
                        refused.json()["error"]["message"],
                        "a data-system task is still open",
                        "{} {event}",
                        w.workflow
                    );
                    version = close_tasks(&officer, &id, &open, version).await;
                    task_bumps += 1;
                }
            }
            let before = officer.request(&id).await;
            let offered = common::allowed_events(&before);
            assert!(
                offered.contains(event),
                "{}: `{event}` offered in {}: {offered:?}",
                w.workflow,
                before["state"]
            );
            let res = officer
                .fire_page(&id, event, version, Some("As recorded in the file."))
                .await;
            assert_eq!(res.status, 200, "{} {event}: {}", w.workflow, res.body);
            let body = res.json();
            assert_eq!(
                body["version"].as_i64().unwrap(),
                version + 1,
                "versions strictly increase"
            );
            version += 1;
            notices += body["notices_queued"].as_array().unwrap().len();
        }
        let r = officer.request(&id).await;
        assert_eq!(r["state"], w.end, "{}", w.workflow);
        assert_eq!(r["closed"], true);
        assert!(
            r["allowed_events"].as_array().unwrap().is_empty(),
            "terminal states absorb"
        );
        for c in r["clocks"].as_array().unwrap() {
            assert!(
                !c["stopped_on"].is_null(),
                "{}: clock {} stops at the end",
                w.workflow,
                c["id"]
            );
        }
        // (besides those to the recipients of systems that erased or corrected, queued as tasks close)
        let to_requester: Vec<&Value> = r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] != "recipient_notified")
            .collect();
        assert_eq!(
            to_requester.len(),
            notices,
            "every queued notice is recorded"
        );
        let channel = if w.email.is_some() { "email" } else { "letter" };
        assert!(
            to_requester
                .iter()
                .all(|n| n["channel"] == channel && n["status"] == "queued")
        );
        let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
        let transitions = audit
            .iter()
            .filter(|e| e.action == "request.transitioned")
            .count();
        let steps = w.events.iter().filter(|e| !e.starts_with('+')).count();
        let document_steps = w.events.iter().filter(|e| **e == "+documents").count();
        // (uploading the reply changes no version)
        let payment_steps = w
            .events
            .iter()
            .filter(|e| **e == "+payment" || **e == "+points")
            .count();
        assert_eq!(transitions, steps, "one audit event per applied transition");
        assert_eq!(
            version as usize,
            steps + 2 * document_steps + payment_steps + task_bumps + 1
        );
        // Nothing more can happen.
        let res = officer
            .fire_page(&id, w.events[0], version, Some("again"))
            .await;
        assert_eq!(res.status, 422);
        assert_eq!(res.json()["error"]["code"], "event_not_allowed");
    }
}

async fn refusals_are_typed_and_write_nothing(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let id = file(&app, &officer, "postal", "japan", "access", None).await;
    let before = (app.events_but_refusals(), app.count("notices"));

    // No credentials, a forged token, a revoked token: 401. The wrong role: 403.
    let anon = app.browser();
    let r = anon.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let forged = Api {
        base: app.base.clone(),
        token: "x".repeat(43),
    };
    assert_eq!(
        forged
            .get_page(&format!("/api/v1/requests/{id}"))
            .await
            .status,
        401
    );
    let r = auditor
        .fire_page(&id, "start_identity_review", 1, None)
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        auditor
            .get_page(&format!("/api/v1/requests/{id}"))
            .await
            .status,
        403
    );
    assert_eq!(
        auditor
            .post_page("/api/v1/postal-requests", &json!({}))
            .await
            .status,
        403
    );

    // Stale version: 409. Event not allowed here: 422. Guard failed, with its reason: 422.
    assert_eq!(
        officer
            .fire_page(&id, "start_identity_review", 1, None)
            .await
            .status,
        200
    );
    let r = officer.fire_page(&id, "confirm_identity", 1, None).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (409, Some("version_conflict"))
    );
    let r = officer.fire_page(&id, "confirm_delivery", 2, None).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (422, Some("event_not_allowed"))
    );
    let r = officer.fire_page(&id, "request_documents", 2, None).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "guard_failed");
    assert_eq!(r.json()["error"]["message"], "a reason is required");
    let r = officer.fire_page(&id, "confirm_identity", 2, None).await;
    assert_eq!(r.json()["error"]["code"], "guard_failed");
    assert_eq!(
        r.json()["error"]["message"],
        "identity documents are missing"
    );
    let version = record_fresh_documents(&officer, &id, 2).await;
    assert_eq!(version, 4);
    assert_eq!(
        officer
            .fire_page(&id, "confirm_identity", 4, None)
            .await
            .status,
        200
    );
    let r = officer.fire_page(&id, "start_handling", 5, None).await;
    assert_eq!(
        r.json()["error"]["message"],
        "this request type carries a fee: invoice it first"
    );
    assert_eq!(
        officer
            .fire_page(&id, "issue_invoice", 5, None)
            .await
            .status,
        200
    );
    // The reply cannot go out before the payment is confirmed: no dispatch is even offered.
    let r = officer.fire_page(&id, "dispatch_reply", 6, None).await;
    assert_eq!(r.json()["error"]["code"], "event_not_allowed");
    let mid = (app.events_but_refusals(), app.count("notices"));
    assert_eq!(
        mid.0,
        before.0 + 6,
        "only the three applied events, the two documents and the invoice were audited"
    );

    // Malformed bodies and data.
    let r = officer
        .post_page(
            &format!("/api/v1/requests/{id}/events"),
            &json!({"event": "refuse", "expected_version": 4, "data": {"reason": 5}}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (422, Some("invalid_event_data"))
    );
    let r = officer
        .post_page(
            &format!("/api/v1/requests/{id}/events"),
            &json!({"event": "refuse", "expected_version": 4, "sneaky": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    assert_eq!(
        common::field_code(&r.json(), "sneaky"),
        Some("unknown_field")
    );
    // A JSON array is not a body: nothing is fired (it once fired an extension).
    let r = officer
        .post_page(
            &format!("/api/v1/requests/{id}/events"),
            &json!([{"event": "refuse", "expected_version": 4}]),
        )
        .await;
    assert_eq!(
        (r.status, common::field_code(&r.json(), "body")),
        (422, Some("not_an_object"))
    );
    let r = officer
        .fire_page("no-such-request", "refuse", 1, Some("x"))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!((app.events_but_refusals(), app.count("notices")), mid);

    // The browser session may read through the API but not write (writes take a bearer token).
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let mid = (app.events_but_refusals(), app.count("notices"));
    assert_eq!(
        desk.get(&format!("/api/v1/requests/{id}")).await.status,
        200
    );
    let r = desk
        .post_json(
            &format!("/api/v1/requests/{id}/events"),
            &json!({"event": "refuse", "expected_version": 4, "data": {"reason": "x"}}),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!((app.events_but_refusals(), app.count("notices")), mid);

    // A revoked token stops working at once.
    let token_id = kaiji::db::staff::list_api_tokens(&mut app.tdb.conn(), None)
        .unwrap()
        .into_iter()
        .find(|t| t.token_sha256 == kaiji::security::tokens::digest(&officer.token))
        .unwrap()
        .id;
    let (db, clock) = (app.state.db.clone(), app.clock.clone());
    tokio::task::spawn_blocking(move || staff::revoke_api_token(&db, &clock, &token_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        officer
            .get_page(&format!("/api/v1/requests/{id}"))
            .await
            .status,
        401
    );
}

fn clock<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no clock {id}: {r}"))
}

async fn deadlines_follow_each_law(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    // The test clock starts on 2026-11-22 01:00 UTC: the 22nd in Tokyo and Luxembourg, still the 21st in
    // Los Angeles and Toronto; each procedure counts days in its own zone.

    // GDPR: one month, rolled off weekends and Luxembourg holidays; one extension of two months, inside
    // the first month, with a reason and a notice.
    let gdpr = file(&app, &officer, "api", "eea", "access", Some("e@example.eu")).await;
    let r = officer.request(&gdpr).await;
    assert_eq!(clock(&r, "response")["started_on"], "2026-11-22");
    assert_eq!(clock(&r, "response")["due_on"], "2026-12-22");
    let r = officer
        .fire_page(
            &gdpr,
            "request_identity",
            1,
            Some("Two accounts share this name."),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = officer.request(&gdpr).await;
    assert_eq!(
        clock(&r, "response")["paused"],
        false,
        "no pause for identity checks under GDPR by default"
    );
    let r = officer.fire_page(&gdpr, "extend", 2, None).await;
    assert_eq!(r.json()["error"]["message"], "a reason is required");
    let r = officer
        .fire_page(
            &gdpr,
            "extend",
            2,
            Some("Data spread across eleven systems."),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["notices_queued"], json!(["deadline_extended"]));
    let r = officer.request(&gdpr).await;
    assert_eq!(
        clock(&r, "response")["due_on"],
        "2027-02-22",
        "three months from receipt"
    );
    let r = officer
        .fire_page(&gdpr, "extend", 3, Some("Still complex."))
        .await;
    assert_eq!(
        r.json()["error"]["message"],
        "the deadline has already been extended as far as the law allows"
    );

    // CCPA: 10 business days to acknowledge (Thanksgiving and the day after skipped), 45 calendar days to
    // answer, not paused while verifying; an extension after day 45 is refused.
    let ccpa = file(
        &app,
        &officer,
        "api",
        "california",
        "access",
        Some("c@example.com"),
    )
    .await;
    let r = officer.request(&ccpa).await;
    assert_eq!(clock(&r, "acknowledgement")["started_on"], "2026-11-21");
    assert_eq!(clock(&r, "acknowledgement")["due_on"], "2026-12-08");
    assert_eq!(
        clock(&r, "response")["due_on"],
        "2027-01-04",
        "receipt is day 1 of 45"
    );
    assert_eq!(
        officer
            .fire_page(&ccpa, "acknowledge", 1, None)
            .await
            .status,
        200
    );
    assert_eq!(
        officer
            .fire_page(
                &ccpa,
                "request_verification",
                2,
                Some("Please confirm two details.")
            )
            .await
            .status,
        200
    );
    let r = officer.request(&ccpa).await;
    assert!(
        !clock(&r, "acknowledgement")["stopped_on"].is_null(),
        "acknowledging stops its clock"
    );
    assert_eq!(clock(&r, "response")["paused"], false);

    // Postal (APPI): 14 days without delay, paused while documents are missing.
    let postal = file(&app, &officer, "postal", "japan", "access", None).await;
    assert_eq!(
        officer
            .fire_page(&postal, "start_identity_review", 1, None)
            .await
            .status,
        200
    );
    assert_eq!(
        officer
            .fire_page(
                &postal,
                "request_documents",
                2,
                Some("印鑑登録証明書の原本が同封されていません。")
            )
            .await
            .status,
        200
    );
    let r = officer.request(&postal).await;
    assert_eq!(clock(&r, "without_delay")["paused"], true);
    assert_eq!(clock(&r, "without_delay")["due_on"], "2026-12-06");

    // Time passes: ten days waiting for documents, then 40 more.
    app.clock.advance(TimeDelta::days(10));
    let r = officer.request(&postal).await;
    assert_eq!(
        clock(&r, "without_delay")["due_on"],
        "2026-12-16",
        "a paused clock does not run"
    );
    assert_eq!(clock(&r, "without_delay")["overdue"], false);
    assert_eq!(
        officer
            .fire_page(&postal, "documents_received", 3, None)
            .await
            .status,
        200
    );
    app.clock.advance(TimeDelta::days(40));
    let r = officer.request(&postal).await;
    assert_eq!(clock(&r, "without_delay")["due_on"], "2026-12-16");
    assert_eq!(clock(&r, "without_delay")["overdue"], true);
    let r = officer.request(&ccpa).await;
    assert_eq!(clock(&r, "response")["overdue"], true);
    let r = officer.fire_page(&ccpa, "extend", 3, Some("Late")).await;
    assert_eq!(
        r.json()["error"]["message"],
        "an extension must be notified before the original deadline"
    );
    // The queue flags them.
    let staff = app.signed_in("desk@example.com", Role::Officer).await;
    let queue = staff.get("/staff/requests?lang=en").await;
    assert!(
        queue.body.matches("class=\"overdue\"").count() >= 2,
        "{}",
        queue.body
    );
}

async fn requests_keep_the_workflow_version_they_started_under(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let old = file(
        &app,
        &officer,
        "api",
        "canada",
        "access",
        Some("k@example.ca"),
    )
    .await;
    assert_eq!(
        officer
            .fire_page(&old, "start_processing", 1, None)
            .await
            .status,
        200
    );

    // Publish version 7 of the Canadian procedure: its own 20-day promise inside the law's 30 days, and a
    // renamed answer event.
    let cals = common::laws();
    let (src, _) = common::next_version(
        &std::fs::read_to_string(common::repo_path("seeds/workflows/pipeda.toml")).unwrap(),
    );
    let src = src
        .replacen(
            "[[states]]",
            "[[clocks]]\nid = \"response\"\nlabel = { en = \"Answer within 20 days\", ja = \"20日以内に回答\" }\n\
             start = \"receipt\"\nduration = { days = 20 }\npauses_while_waiting = false\n\
             extension = { duration = { days = 30 }, times = 1 }\n\n[[states]]",
            1,
        )
        .replace("event = \"answer\"", "event = \"send_answer\"");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pipeda.toml"), &src).unwrap();
    let files = kaiji::app::workflows::read_definitions(dir.path(), &cals).unwrap();
    kaiji::app::workflows::publish(&mut app.tdb.conn(), &files, &app.clock).unwrap();

    let new = file(
        &app,
        &officer,
        "api",
        "canada",
        "access",
        Some("k@example.ca"),
    )
    .await;
    let (o, n) = (officer.request(&old).await, officer.request(&new).await);
    assert_eq!(
        (
            o["workflow"]["version"].as_i64(),
            n["workflow"]["version"].as_i64()
        ),
        (
            Some(common::seed_version("pipeda")),
            Some(common::seed_version("pipeda") + 1)
        )
    );
    assert_eq!(clock(&o, "response")["due_on"], "2026-12-21");
    assert_eq!(clock(&n, "response")["due_on"], "2026-12-11");
    // The request in flight still runs under version 6's rules.
    let tasks = |r: Value| r["tasks"].as_array().unwrap().clone();
    let v = close_tasks(&officer, &old, &tasks(o), 2).await;
    assert_eq!(
        officer.fire_page(&old, "send_answer", v, None).await.status,
        422
    );
    assert_eq!(officer.fire_page(&old, "answer", v, None).await.status, 200);
    assert_eq!(
        officer
            .fire_page(&new, "start_processing", 1, None)
            .await
            .status,
        200
    );
    let v = close_tasks(&officer, &new, &tasks(officer.request(&new).await), 2).await;
    assert_eq!(
        officer.fire_page(&new, "send_answer", v, None).await.status,
        200
    );
}

async fn deadlines_past_the_holiday_data_are_unknown_not_fatal(app: TestApp) {
    // The calendars end in 2030: a Californian request in November 2031 is still recorded, its business-day
    // deadline shown as unknown with the reason, and an extension refused with it rather than a 500.
    app.clock.advance(TimeDelta::days(365 * 5));
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = file(
        &app,
        &officer,
        "api",
        "california",
        "access",
        Some("c@example.com"),
    )
    .await;
    let r = officer.request(&id).await;
    let ack = clock(&r, "acknowledgement");
    assert!(ack["due_on"].is_null());
    assert!(
        ack["problem"]
            .as_str()
            .unwrap()
            .contains("calendar `us-ca` has no holiday data for 2031"),
        "{ack}"
    );
    assert_eq!(
        clock(&r, "response")["due_on"],
        "2032-01-03",
        "calendar days still count"
    );
    let r = officer.fire_page(&id, "acknowledge", 1, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = app
        .signed_in("desk@example.com", Role::Officer)
        .await
        .get(&format!("/staff/requests/{id}?lang=en"))
        .await;
    assert_eq!(page.status, 200);
}

/// The online procedures and a place each serves.
const EXPIRING: [(&str, &str, &str); 10] = [
    ("gdpr", "eea", "access"),
    ("ccpa-opt-in", "US-CA", "opt_in_sale"),
    ("ccpa", "california", "access"),
    ("pipeda", "canada", "access"),
    ("jp-online", "japan", "access"),
    ("uk-gdpr", "GB", "access"),
    ("pipa", "KR", "access"),
    ("vcdpa", "US-VA", "access"),
    ("lgpd-access", "BR", "access"),
    ("lgpd", "BR", "deletion"),
];

async fn unconfirmed_requests_expire_with_a_notice(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let mut ids = Vec::new();
    for (workflow, place, right) in EXPIRING {
        let id = file_id(
            &app,
            json!({"name": "N", "email": format!("{workflow}@example.com"), "jurisdiction": place,
                   "request_type": right, "message": "m"}),
        )
        .await;
        let r = officer.request(&id).await;
        assert_eq!(r["workflow"]["id"], workflow);
        let kinds = notice_kinds(&r);
        assert!(kinds.iter().any(|k| k == "email_confirmation"), "{kinds:?}");
        // Officers cannot start before the address is confirmed.
        let first = r["allowed_events"].as_array().unwrap();
        assert!(
            first.iter().all(
                |e| ["refuse", "refuse_unverified", "extend", "deny", "withdraw"]
                    .contains(&e["event"].as_str().unwrap())
            ),
            "{workflow}: {first:?}"
        );
        ids.push(id);
    }
    // One of them confirms; a second use of its link is refused, as is a forged one.
    let ok = app.confirm_email(&ids[0]).await;
    assert_eq!(ok.status, 200);
    assert!(ok.text_of("confirmed").is_some());
    let path = kaiji::app::confirm::confirm_path(&app.state.keys, &ids[0].as_str().into());
    let again = app.browser().get(&path).await;
    assert_eq!(again.status, 410);
    assert!(again.body.contains("link_used"));
    let forged = format!("/confirm/{}.{}", ids[1], "0".repeat(64));
    assert_eq!(app.browser().get(&forged).await.status, 404);
    let r = officer.request(&ids[0]).await;
    assert!(common::has_fact(&r, "email_confirmed"));
    assert_eq!(r["version"], 1, "confirming changes no state");

    // 72 hours on, the timer closes the unconfirmed others, each with its notice; links have expired.
    let run = |app: &TestApp| {
        let (db, catalog, config, keys, clock) = (
            app.state.db.clone(),
            app.state.workflows.clone(),
            app.state.config.clone(),
            app.state.keys.clone(),
            app.clock.clone(),
        );
        tokio::task::spawn_blocking(move || {
            kaiji::app::confirm::expire_unconfirmed(&db, &catalog, &config, &keys, &clock)
        })
    };
    app.clock.advance(TimeDelta::hours(71));
    assert_eq!(run(&app).await.unwrap().unwrap(), 0, "not yet");
    app.clock.advance(TimeDelta::hours(1));
    let late = app
        .browser()
        .get(&kaiji::app::confirm::confirm_path(
            &app.state.keys,
            &ids[1].as_str().into(),
        ))
        .await;
    assert_eq!(late.status, 410);
    assert!(late.body.contains("link_expired"));
    assert_eq!(run(&app).await.unwrap().unwrap(), EXPIRING.len() - 1);
    assert_eq!(run(&app).await.unwrap().unwrap(), 0, "once");
    let officer = api(&app, "officer2@example.com", Role::Officer).await;
    for id in &ids[1..] {
        let r = officer.request(id).await;
        assert_eq!(
            (r["state"].as_str(), r["closed"].as_bool()),
            (Some("unconfirmed_expired"), Some(true))
        );
        assert_eq!(
            r["notices"].as_array().unwrap().last().unwrap()["kind"],
            "unconfirmed_expired"
        );
        let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), id).unwrap();
        let closing = audit
            .iter()
            .find(|e| e.to_state.as_deref() == Some("unconfirmed_expired"))
            .unwrap();
        assert_eq!(
            (closing.actor_kind.as_str(), closing.actor_id.as_deref()),
            ("system", Some("expiry"))
        );
    }
    let r = officer.request(&ids[0]).await;
    assert_eq!(r["state"], "received", "the confirmed one stays");
}
