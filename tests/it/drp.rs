//! The Data Rights Protocol 1.0 (issue 21, part 1), on both backends, driven by a DRP client written
//! here (Ed25519 signing with ed25519-dalek, bodies as base64 of signature ‖ JSON): key setup, agent
//! information, exercise, status and revoke; every validation failure in the specification's order,
//! replay, expiry, another agent's token; an opt-out followed to `fulfilled` as an officer carries it
//! out; and one key setup signed by PyNaCl in libsodium's combined mode, as real agents sign.

use crate::common;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use common::{Backend, TestApp, api, audited};
use ed25519_dalek::{Signer, SigningKey};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

on_each_backend!(
    status_callbacks_reach_registered_hosts_with_retries,
    agents_set_up_file_follow_and_revoke_over_drp,
    every_signed_call_is_checked_in_order,
    pynacl_signs_as_real_agents_do,
    the_person_confirms_from_their_own_mailbox_and_returns_to_the_agent,
    an_administrator_registers_and_removes_agents_on_their_page,
);

const BUSINESS: &str = "kaiji-cb-test-01";

async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| {
        c.intake.drp_business_id = Some(BUSINESS.into());
    })
    .await
}

/// An authorised agent: its id and signing key.
struct Agent {
    id: String,
    key: SigningKey,
    base: String,
    token: Option<String>,
}

impl Agent {
    fn new(app: &TestApp, id: &str, seed: u8) -> Self {
        Self {
            id: id.to_owned(),
            key: SigningKey::from_bytes(&[seed; 32]),
            base: app.base.clone(),
            token: None,
        }
    }

    fn entry(&self) -> Value {
        json!({"id": self.id, "name": format!("Agent {}", self.id),
               "verify_key": base64::engine::general_purpose::STANDARD.encode(self.key.verifying_key().to_bytes()),
               "web_url": "https://agent.example", "technical_contact": "tech@agent.example",
               "business_contact": "desk@agent.example"})
    }

    /// The claims every call carries, valid from a minute before `now` for 15 minutes.
    fn claims(&self, now: DateTime<Utc>, extra: Value) -> Value {
        let mut c = json!({"agent-id": self.id, "business-id": BUSINESS,
                           "issued-at": (now - Duration::minutes(1)).to_rfc3339(),
                           "expires-at": (now + Duration::minutes(14)).to_rfc3339(),
                           "drp.version": "1.0"});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }

    fn sign(&self, claims: &Value) -> String {
        let json = serde_json::to_vec(claims).unwrap();
        let mut all = self.key.sign(&json).to_bytes().to_vec();
        all.extend_from_slice(&json);
        base64::engine::general_purpose::STANDARD.encode(all)
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
        token: Option<&str>,
    ) -> (u16, String) {
        let mut req = common::http_client().request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.header("Content-Type", "text/plain").body(b);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    async fn set_up(&mut self, now: DateTime<Utc>) -> (u16, String) {
        let body = self.sign(&self.claims(now, json!({})));
        let (status, text) = self
            .send(
                reqwest::Method::POST,
                &format!("/v1/agent/{}", self.id),
                Some(body),
                None,
            )
            .await;
        if status == 200 {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["agent-id"], json!(self.id));
            self.token = v["token"].as_str().map(str::to_owned);
        }
        (status, text)
    }

    async fn exercise(&self, now: DateTime<Utc>, extra: Value) -> (u16, Value) {
        let body = self.sign(&self.claims(now, extra));
        self.exercise_raw(body).await
    }

    async fn exercise_raw(&self, body: String) -> (u16, Value) {
        let (s, t) = self
            .send(
                reqwest::Method::POST,
                "/v1/data-rights-request",
                Some(body),
                self.token.as_deref(),
            )
            .await;
        (s, serde_json::from_str(&t).unwrap_or(Value::Null))
    }

    async fn status(&self, id: &str) -> (u16, String) {
        self.send(
            reqwest::Method::GET,
            &format!("/v1/data-rights-request/{id}"),
            None,
            self.token.as_deref(),
        )
        .await
    }
}

fn person(action: &str) -> Value {
    json!({"exercise": action, "regime": "ccpa", "name": "Quinn Doe", "email": "quinn@example.com",
           "email_verified": true})
}

async fn register(admin: &common::Api, agent: &Agent, hosts: &[&str]) {
    let (status, body) = admin
        .post(
            "/api/v1/drp/agents",
            &json!({"entry": agent.entry(), "callback_hosts": hosts}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn agents_set_up_file_follow_and_revoke_over_drp(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let now = common::t0();
    let mut agent = Agent::new(&app, "CR_AA_TEST-01", 3);
    let admin = api(&app, "admin@example.com", Role::Admin).await;
    register(&admin, &agent, &["callbacks.agent.example"]).await;
    let (status, body) = agent.set_up(now).await;
    assert_eq!(status, 200, "{body}");
    let token = agent.token.clone().unwrap();
    // Agent information: `{}` for its own id, 403 for another's, 401 without a token.
    let (s, b) = agent
        .send(
            reqwest::Method::GET,
            &format!("/v1/agent/{}", agent.id),
            None,
            Some(&token),
        )
        .await;
    assert_eq!((s, b.as_str()), (200, "{}"));
    let (s, b) = agent
        .send(
            reqwest::Method::GET,
            "/v1/agent/SOMEONE_ELSE",
            None,
            Some(&token),
        )
        .await;
    assert_eq!((s, b.as_str()), (403, ""));
    let (s, _) = agent
        .send(
            reqwest::Method::GET,
            &format!("/v1/agent/{}", agent.id),
            None,
            None,
        )
        .await;
    assert_eq!(s, 401);

    // An opt-out of sale, with the agent's own id for it and a callback on a registered host.
    let (status, filed) = agent
        .exercise(
            now,
            json!({"exercise": "sale:opt-out", "regime": "ccpa", "name": "Quinn Doe",
                   "email": "quinn@example.com", "email_verified": true, "agent-request-id": "aa-77",
                   "status_callback": "https://callbacks.agent.example/drp/aa-77"}),
        )
        .await;
    assert_eq!(status, 200, "{filed}");
    assert_eq!(filed["status"], "open", "{filed}");
    assert_eq!(filed["agent_request_id"], "aa-77");
    let id = filed["request_id"].as_str().unwrap().to_owned();
    assert!(filed["received_at"].is_string());
    // The same agent-request-id again is the same request, not a second one.
    let (status, again) = agent
        .exercise(
            now,
            json!({"exercise": "sale:opt-out", "regime": "ccpa", "name": "Quinn Doe",
                   "email": "quinn@example.com", "agent-request-id": "aa-77"}),
        )
        .await;
    assert_eq!(
        (status, again["request_id"].as_str()),
        (200, Some(id.as_str()))
    );
    // The officer sees an agent's request for the person, under the opt-out procedure.
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let r = officer.request(&id).await;
    assert_eq!(r["workflow"]["id"], "ccpa-opt-out", "{r}");
    assert_eq!(r["request_type"], "opt_out_sale");
    assert_eq!(r["on_behalf"]["person_email"], "quinn@example.com", "{r}");
    assert!(
        !r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "email_confirmation"),
        "the agent's registered address is not asked to confirm itself"
    );
    // An agent's opt-out waits for the officer's check of the consumer's signed permission.
    let (s, _) = officer.fire(&id, "honour", 1).await;
    assert_eq!(s, 422);
    let (s, body) = officer
        .post(
            &format!("/api/v1/requests/{id}/authority"),
            &json!({"expected_version": 1, "how": "Signed permission held by the agent, seen in its portal"}),
        )
        .await;
    assert!(s == 200 || s == 204, "{s} {body}");
    let version = officer.version(&id).await;
    let (s, body) = officer.fire(&id, "honour", version).await;
    assert_eq!(s, 200, "{body}");
    let (s, text) = agent.status(&id).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((s, v["status"].as_str()), (200, Some("in_progress")), "{v}");
    assert!(
        v["expected_by"].is_string(),
        "expected_by once in progress: {v}"
    );
    officer
        .close_each(
            &id,
            json!({"outcome": "stopped", "purposes": "sale and sharing"}),
        )
        .await;
    let version = officer.version(&id).await;
    let (s, body) = officer.fire(&id, "confirm", version).await;
    assert_eq!(s, 200, "{body}");
    let (_, text) = agent.status(&id).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["status"], "fulfilled", "{v}");
    // The choice is recorded for the person, as data systems read it.
    let (_, found) = officer
        .post(
            "/api/v1/preferences/lookup",
            &json!({"email": "quinn@example.com"}),
        )
        .await;
    assert_eq!(found["preferences"][0]["value"], "opted_out", "{found}");

    // An access request, then revoked: the new status is `revoked`, and a second revoke is refused.
    let (status, access) = agent.exercise(now, person("access")).await;
    assert_eq!(status, 200, "{access}");
    assert_eq!(
        (access["status"].as_str(), access["reason"].as_str()),
        (Some("in_progress"), Some("need_user_verification")),
        "the consumer confirms an agent's CCPA request directly: {access}"
    );
    let aid = access["request_id"].as_str().unwrap().to_owned();
    let revoke = |reason: &str| agent.sign(&agent.claims(now, json!({"reason": reason})));
    let (s, b) = agent
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/data-rights-request/{aid}"),
            Some(revoke("I changed my mind")),
            Some(&token),
        )
        .await;
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!((s, v["status"].as_str()), (200, Some("revoked")), "{b}");
    assert_eq!(officer.request(&aid).await["state"], "withdrawn");
    let (s, b) = agent
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/data-rights-request/{aid}"),
            Some(revoke("again")),
            Some(&token),
        )
        .await;
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str(), v["fatal"].as_bool()),
        (400, Some("400"), Some(true)),
        "{b}"
    );

    // Another agent's token sees none of it: 403 with an empty body; an unknown id is 404.
    let mut other = Agent::new(&app, "other-agent", 9);
    register(&admin, &other, &[]).await;
    assert_eq!(other.set_up(now).await.0, 200);
    let (s, b) = other.status(&id).await;
    assert_eq!((s, b.as_str()), (403, ""));
    let (s, _) = other
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/data-rights-request/{id}"),
            Some(other.sign(&other.claims(now, json!({})))),
            other.token.as_deref(),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = agent.status("0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f").await;
    assert_eq!(s, 404);
    // A callback on a host not registered for the agent is refused, nothing filed.
    let before = app.count("requests");
    let (s, b) = other
        .exercise(
            now,
            json!({"exercise": "deletion", "name": "Quinn", "email": "quinn@example.com",
                   "status_callback": "https://attacker.example/x"}),
        )
        .await;
    assert_eq!((s, b["fatal"].as_bool()), (400, Some(false)), "{b}");
    assert_eq!(app.count("requests"), before);
    // Every call is audited with the agent's id; never the person's address.
    let filed = audited(&app, "drp.exercised");
    assert_eq!(filed.len(), 2);
    assert!(
        filed
            .iter()
            .all(|e| e.contains("CR_AA_TEST-01") && !e.contains("quinn"))
    );
    assert_eq!(audited(&app, "drp.revoked").len(), 1);
    assert!(!audited(&app, "drp.status_read").is_empty());
    assert_eq!(audited(&app, "drp.key_set_up").len(), 2);
    // Removed, the agent's token opens nothing.
    let (s, _) = admin
        .call(reqwest::Method::DELETE, "/api/v1/drp/agents/other-agent")
        .await;
    assert_eq!(s, 204);
    assert_eq!(other.status(&id).await.0, 401);
    let listed = admin.get("/api/v1/drp/agents").await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

async fn every_signed_call_is_checked_in_order(backend: Backend) {
    // Without a business id, there is no DRP here.
    let plain = TestApp::spawn(backend).await;
    if let Some(plain) = plain {
        let agent = Agent::new(&plain, "a", 1);
        let (s, _) = agent
            .send(reqwest::Method::POST, "/v1/agent/a", Some("x".into()), None)
            .await;
        assert_eq!(s, 404);
    } else {
        return;
    }
    let Some(app) = spawn(backend).await else {
        return;
    };
    let now = common::t0();
    let mut agent = Agent::new(&app, "order-agent", 4);
    // Key setup for an agent nobody registered, or with a bad signature: 403, nothing said.
    let (s, b) = agent.set_up(now).await;
    assert_eq!((s, b.as_str()), (403, ""));
    let admin = api(&app, "admin@example.com", Role::Admin).await;
    register(&admin, &agent, &[]).await;
    let mut forged = agent.claims(now, json!({}));
    let body = Agent::new(&app, "order-agent", 5).sign(&forged);
    let (s, b) = agent
        .send(
            reqwest::Method::POST,
            "/v1/agent/order-agent",
            Some(body),
            None,
        )
        .await;
    assert_eq!((s, b.as_str()), (403, ""));
    forged["agent-id"] = "someone-else".into();
    let (s, _) = agent
        .send(
            reqwest::Method::POST,
            "/v1/agent/order-agent",
            Some(agent.sign(&forged)),
            None,
        )
        .await;
    assert_eq!(s, 403);
    // A good setup; its replay is refused.
    let setup = agent.sign(&agent.claims(now, json!({})));
    let (s, b) = agent
        .send(
            reqwest::Method::POST,
            "/v1/agent/order-agent",
            Some(setup.clone()),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    agent.token = serde_json::from_str::<Value>(&b).unwrap()["token"]
        .as_str()
        .map(str::to_owned);
    let (s, _) = agent
        .send(
            reqwest::Method::POST,
            "/v1/agent/order-agent",
            Some(setup),
            None,
        )
        .await;
    assert_eq!(s, 403, "a replayed key setup");

    let requests_before = app.count("requests");
    // 1. Not base64 of a signature and JSON.
    let (s, b) = agent.exercise_raw("not base64 at all!".into()).await;
    assert_eq!((s, b["code"].as_str()), (400, Some("400")), "{b}");
    // 2. Signed by another key: even with every other claim wrong too, the signature is found first.
    let impostor = Agent::new(&app, "order-agent", 6);
    let mut c = agent.claims(now, person("deletion"));
    c["business-id"] = "someone-else".into();
    let (s, b) = agent.exercise_raw(impostor.sign(&c)).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (
            403,
            Some("the signature does not verify with the agent's key")
        ),
        "{b}"
    );
    // 3. The agent-id claim names another agent (before the business is looked at).
    let mut c = agent.claims(now, person("deletion"));
    c["agent-id"] = "someone-else".into();
    c["business-id"] = "someone-else".into();
    let (s, b) = agent.exercise_raw(agent.sign(&c)).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (
            403,
            Some("the agent-id claim does not name the calling agent")
        )
    );
    // 4. Another business.
    let mut c = agent.claims(now, person("deletion"));
    c["business-id"] = "someone-else".into();
    let (s, b) = agent.exercise_raw(agent.sign(&c)).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (
            403,
            Some("the business-id claim does not name this business")
        )
    );
    // 5. Issued in the future (beyond a minute's skew); 6. expired (discarded, fatally).
    let early = agent.claims(now + Duration::minutes(5), person("deletion"));
    let (s, b) = agent.exercise_raw(agent.sign(&early)).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (400, Some("issued-at is in the future")),
        "{b}"
    );
    let mut late = agent.claims(now, person("deletion"));
    late["expires-at"] = (now - Duration::seconds(1)).to_rfc3339().into();
    let (s, b) = agent.exercise_raw(agent.sign(&late)).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (400, Some("expires-at has passed"))
    );
    // What kaiji does not take: an action DRP has no code for, a regime it does not serve.
    let (s, b) = agent.exercise(now, person("correction")).await;
    assert_eq!(
        (s, b["message"].as_str(), b["fatal"].as_bool()),
        (
            400,
            Some("Unsupported rights actions submitted."),
            Some(true)
        )
    );
    let mut gdpr = person("access");
    gdpr["regime"] = "gdpr".into();
    let (s, _) = agent.exercise(now, gdpr).await;
    assert_eq!(s, 400);
    let mut nameless = person("deletion");
    nameless["email"] = "not an address".into();
    let (s, b) = agent.exercise(now, nameless).await;
    assert_eq!(s, 400, "{b}");
    assert!(b["message"].as_str().unwrap().contains("email"), "{b}");
    assert_eq!(app.count("requests"), requests_before, "nothing filed");
    // A good filing (underscores for the action's punctuation, voluntary regime); its replay refused.
    let mut good = agent.claims(now, person("sale_opt_out"));
    good["regime"] = "voluntary".into();
    let body = agent.sign(&good);
    let (s, b) = agent.exercise_raw(body.clone()).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = agent.exercise_raw(body).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("409")), "{b}");
    assert_eq!(app.count("requests"), requests_before + 1);
    // Without a token, or with one that opens nothing.
    let mut tokenless = Agent::new(&app, "order-agent", 4);
    tokenless.token = Some("x".repeat(43));
    let (s, _) = tokenless.exercise(now, person("deletion")).await;
    assert_eq!(s, 401);
    assert!(!audited(&app, "drp.call_refused").is_empty());
}

async fn pynacl_signs_as_real_agents_do(backend: Backend) {
    let Some(python) = pynacl() else {
        return;
    };
    let Some(app) = spawn(backend).await else {
        return;
    };
    let now = common::t0();
    // PyNaCl makes the key pair and signs in combined mode (signature ‖ message), as OSIRAA does.
    let claims = json!({"agent-id": "pynacl-agent", "business-id": BUSINESS,
                        "issued-at": (now - Duration::minutes(1)).to_rfc3339(),
                        "expires-at": (now + Duration::minutes(14)).to_rfc3339(), "drp.version": "1.0"});
    let script = r#"
import base64, json, sys
from nacl.signing import SigningKey
key = SigningKey(bytes([42] * 32))
signed = key.sign(sys.argv[1].encode("utf-8"))
print(base64.b64encode(bytes(key.verify_key)).decode())
print(base64.b64encode(signed).decode())
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script, &claims.to_string()])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let (verify_key, body) = (lines.next().unwrap(), lines.next().unwrap());
    let admin = api(&app, "admin@example.com", Role::Admin).await;
    let (s, b) = admin
        .post(
            "/api/v1/drp/agents",
            &json!({"entry": {"id": "pynacl-agent", "name": "PyNaCl agent", "verify_key": verify_key,
                              "business_contact": "desk@agent.example"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let res = common::http_client()
        .post(format!("{}/v1/agent/pynacl-agent", app.base))
        .header("Content-Type", "text/plain")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["agent-id"], "pynacl-agent");
    assert_eq!(v["token"].as_str().map(str::len), Some(43));
}

/// A Python with PyNaCl (from PyPI, in a virtual environment under target/), or `None` (said loudly;
/// a failure under KAIJI_TEST_STRICT).
fn pynacl() -> Option<std::path::PathBuf> {
    static VENV: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    VENV.get_or_init(|| {
        let dir = common::repo_path("target/drp-venv");
        let python = dir.join("bin/python");
        let ready = |p: &std::path::Path| {
            std::process::Command::new(p)
                .args(["-c", "import nacl.signing"])
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ready(&python) {
            let made = std::process::Command::new("python3")
                .args(["-m", "venv"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success())
                && std::process::Command::new(dir.join("bin/pip"))
                    .args(["install", "-q", "pynacl==1.5.0"])
                    .status()
                    .is_ok_and(|s| s.success());
            if !made || !ready(&python) {
                assert!(
                    !common::strict(),
                    "PyNaCl could not be installed (python3-venv and PyPI are needed)"
                );
                common::say_not_run("PyNaCl", "python3-venv or PyPI is not available");
                return None;
            }
        }
        Some(python)
    })
    .clone()
}

/// A local agent endpoint: answers each POST with the next status of `answers` (then 200), and keeps
/// the bodies it received.
async fn callback_sink(answers: Vec<u16>) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let bodies = got.clone();
    tokio::spawn(async move {
        let mut answers = answers.into_iter();
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then as many body bytes as Content-Length says.
            let body = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break Some(buf[end + 4..end + 4 + len].to_vec());
                    }
                }
            };
            if let Some(b) = body {
                bodies
                    .lock()
                    .unwrap()
                    .push(serde_json::from_slice(&b).unwrap_or(Value::Null));
            }
            let status = answers.next().unwrap_or(200);
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    (port, got)
}

async fn status_callbacks_reach_registered_hosts_with_retries(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let now = common::t0();
    let (port, got) = callback_sink(vec![500]).await;
    let mut agent = Agent::new(&app, "callback-agent", 12);
    let admin = api(&app, "admin@example.com", Role::Admin).await;
    let host = format!("127.0.0.1:{port}");
    register(&admin, &agent, &[host.as_str()]).await;
    assert_eq!(agent.set_up(now).await.0, 200);
    let url = format!("http://{host}/drp/callback");
    // A callback elsewhere than the registered host is refused (no request for the agent to call the
    // business's own network, or anyone else's).
    let mut elsewhere = person("sale:opt-out");
    elsewhere["status_callback"] = format!("http://127.0.0.2:{port}/x").into();
    assert_eq!(agent.exercise(now, elsewhere).await.0, 400);
    let mut body = person("sale:opt-out");
    body["status_callback"] = url.clone().into();
    let (s, filed) = agent.exercise(now, body).await;
    assert_eq!(s, 200, "{filed}");
    let id = filed["request_id"].as_str().unwrap().to_owned();
    // Filing itself queues nothing: the exercise answered with the first status.
    let report = kaiji::app::drp_callbacks::deliver_due(&app.state)
        .await
        .unwrap();
    assert_eq!(report.sent + report.retrying, 0);
    // The officer records the agent's authority (no status change: no callback) and honours it.
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (s, _) = officer
        .post(
            &format!("/api/v1/requests/{id}/authority"),
            &json!({"expected_version": 1, "how": "Signed permission seen"}),
        )
        .await;
    assert!(s == 200 || s == 204);
    let version = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "honour", version).await.0, 200);
    // The agent's endpoint fails once: retried after a minute, then delivered.
    let report = kaiji::app::drp_callbacks::deliver_due(&app.state)
        .await
        .unwrap();
    assert_eq!(report.retrying, 1, "{report:?}");
    let report = kaiji::app::drp_callbacks::deliver_due(&app.state)
        .await
        .unwrap();
    assert_eq!(report.sent + report.retrying, 0, "not before its time");
    app.clock.advance(chrono::TimeDelta::minutes(2));
    let report = kaiji::app::drp_callbacks::deliver_due(&app.state)
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    {
        let bodies = got.lock().unwrap();
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[1]["status"], "in_progress", "{:?}", bodies[1]);
        assert_eq!(bodies[1]["request_id"], json!(id));
        assert!(bodies[1]["expected_by"].is_string());
    }
    // Fulfilled: one more callback, with the final status.
    officer
        .close_each(&id, json!({"outcome": "stopped", "purposes": "sale"}))
        .await;
    let version = officer.version(&id).await;
    assert_eq!(officer.fire(&id, "confirm", version).await.0, 200);
    let report = kaiji::app::drp_callbacks::deliver_due(&app.state)
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(got.lock().unwrap()[2]["status"], "fulfilled");
    // Removed, an agent is called back no more.
    let (s, revoked_id) = {
        let mut b = person("deletion");
        b["status_callback"] = url.clone().into();
        let (s, v) = agent.exercise(now, b).await;
        (s, v["request_id"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(s, 200);
    let (s, _) = admin
        .call(reqwest::Method::DELETE, "/api/v1/drp/agents/callback-agent")
        .await;
    assert_eq!(s, 204);
    let version = officer.version(&revoked_id).await;
    assert_eq!(officer.fire(&revoked_id, "withdraw", version).await.0, 200);
    let report = kaiji::app::drp_callbacks::deliver_due(&app.state)
        .await
        .unwrap();
    assert_eq!(report.sent, 0, "{report:?}");
    assert_eq!(got.lock().unwrap().len(), 3);
}

async fn the_person_confirms_from_their_own_mailbox_and_returns_to_the_agent(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let now = common::t0();
    let admin = api(&app, "admin@example.com", Role::Admin).await;
    let mut agent = Agent::new(&app, "verify-agent", 6);
    register(&admin, &agent, &[]).await;
    assert_eq!(agent.set_up(now).await.0, 200);
    // A body larger than any signed request: the protocol's 413, nothing filed.
    let before = app.count("requests");
    let (s, b) = agent
        .send(
            reqwest::Method::POST,
            "/v1/data-rights-request",
            Some("A".repeat(70 * 1024)),
            agent.token.as_deref(),
        )
        .await;
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(
        (s, v["code"].as_str(), v["fatal"].as_bool()),
        (413, Some("413"), Some(true))
    );
    assert_eq!(app.count("requests"), before);
    let (status, filed) = agent.exercise(now, person("access")).await;
    assert_eq!(status, 200, "{filed}");
    let id = filed["request_id"].as_str().unwrap().to_owned();
    assert_eq!(filed["reason"], "need_user_verification", "{filed}");
    // The page the agent opens for the person: this request's, on this service.
    let url = filed["user_verification_url"].as_str().unwrap().to_owned();
    let path = url
        .strip_prefix(&app.state.config.http.public_url)
        .unwrap()
        .to_owned();
    assert!(path.starts_with(&format!("/drp/verify/{id}.")), "{path}");
    let person_browser = app.browser();
    // The request's id alone, or with a forged signature, opens nothing; nor another request's id in
    // the query.
    for bare in [
        format!("/drp/verify/{id}"),
        format!("/drp/verify/{id}.{}", "0".repeat(64)),
        format!("{path}?request_id=0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f"),
    ] {
        assert_eq!(person_browser.get(&bare).await.status, 404, "{bare}");
    }
    // A return address off the agent's registered site is not kept, and the person is told.
    for elsewhere in [
        "https://agent.example.evil.test/x",
        "http://agent.example/",
        "javascript:alert(1)",
        "https://agent.example/\r\nSet-Cookie: kaiji=1",
    ] {
        let q = format!(
            "{path}?lang=en&request_id={id}&redirect_to={}",
            utf8_percent(elsewhere)
        );
        let p = person_browser.get(&q).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.text_of("verify-return-refused").is_some(), "{elsewhere}");
        assert!(p.text_of("verify-return").is_none(), "{elsewhere}");
    }
    let back = "https://agent.example/requests/aa-1?done=1";
    let p = person_browser
        .get(&format!(
            "{path}?lang=en&request_id={id}&redirect_to={}",
            utf8_percent(back)
        ))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.text_of("verify-return-refused").is_none());
    assert_eq!(
        p.text_of("verify-agent").as_deref(),
        Some("Agent verify-agent")
    );
    assert!(p.body.contains("q•••@example.com"), "{}", p.body);
    assert!(
        !p.body.contains("quinn@"),
        "the address is not shown in full"
    );
    assert!(
        !p.body.contains("/confirm-person/"),
        "the page never carries the link"
    );
    // The link again, to the person's own address only, at most once a quarter hour (it was just
    // sent at filing, so not yet).
    let before = app.count("notices");
    let early = person_browser.submit(&path, &p, &[]).await;
    assert!(early.text_of("verify-resent").is_some(), "{}", early.body);
    assert_eq!(app.count("notices"), before);
    app.clock.advance(chrono::TimeDelta::minutes(20));
    let sent = person_browser.submit(&path, &p, &[]).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.text_of("verify-resent").is_some());
    assert_eq!(app.count("notices"), before + 1);
    let again = person_browser.submit(&path, &p, &[]).await;
    assert!(again.text_of("verify-resent").is_some());
    assert_eq!(
        app.count("notices"),
        before + 1,
        "at most once a quarter hour"
    );
    assert_eq!(
        person_browser.post_form(&path, &[]).await.status,
        403,
        "CSRF token required"
    );
    // Both mails reach the person, each with their own link; the agent's desk gets none of them.
    let mails = common::delivered_over_smtp(&app).await;
    let texts = common::texts_to(&mails, "quinn@example.com");
    let links: Vec<String> = texts
        .iter()
        .filter_map(|t| {
            let at = t.find("/confirm-person/")?;
            Some(t[at..].chars().take_while(|c| !c.is_whitespace()).collect())
        })
        .collect();
    assert_eq!(links.len(), 2, "{texts:?}");
    assert!(
        common::texts_to(&mails, "desk@agent.example")
            .iter()
            .all(|t| !t.contains("/confirm-person/"))
    );
    // The person confirms, and is sent back to the agent's page.
    let confirm = person_browser.get(&links[1]).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let done = person_browser.submit(&links[1], &confirm, &[]).await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some(back)),
        "{}",
        done.body
    );
    let (_, text) = agent.status(&id).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["status"], "in_progress", "{v}");
    assert!(
        v.get("reason").is_none() && v.get("user_verification_url").is_none(),
        "{v}"
    );
    assert!(v["expected_by"].is_string(), "{v}");
    // An extension moves `expected_by` and says why (§3.03).
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let version = officer.version(&id).await;
    let (s, b) = officer
        .event(
            &id,
            "extend",
            version,
            json!({"reason": "Records held by three processors must be gathered."}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, text) = agent.status(&id).await;
    let extended: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(extended["status"], "in_progress", "{extended}");
    assert!(
        extended["expected_by"].as_str() > v["expected_by"].as_str(),
        "{extended}"
    );
    let details = extended["processing_details"].as_str().unwrap();
    assert!(
        details.contains("extended") && details.contains("three processors"),
        "{details}"
    );
    // Afterwards the page says nothing more is needed, and offers the way back.
    let p = person_browser.get(&format!("{path}?lang=en")).await;
    assert!(p.text_of("verify-form").is_none());
    assert_eq!(
        p.text_of("verify-return").as_deref(),
        Some("Return to Agent verify-agent")
    );
}

/// Percent-encodes a query value.
fn utf8_percent(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn an_administrator_registers_and_removes_agents_on_their_page(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let page = admin.get("/staff/drp-agents?lang=en").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.text_of("no-agents").is_some());
    // This business's entry for the service directory, to send to it.
    let entry = page.text_of("business-entry").unwrap();
    assert!(
        entry.contains(BUSINESS) && entry.contains("api_base"),
        "{entry}"
    );
    // Not JSON, or an entry without a contact address: the form comes back with the input kept.
    for (typed, code_words) in [
        ("{not json", "not valid JSON"),
        (
            r#"{"id": "page-agent", "name": "Page agent", "verify_key": "9wFJDq/DmuEUgj3BO3VEY8LgAQ3QtOHH4K6TIlOSpr0="}"#,
            "contact that is an email address",
        ),
    ] {
        let back = admin
            .submit(
                "/staff/drp-agents?lang=en",
                &page,
                &[
                    ("entry", typed),
                    ("callback_hosts", "callbacks.agent.example"),
                ],
            )
            .await;
        assert_eq!(back.status, 422, "{}", back.body);
        assert!(
            back.text_of("entry-error").unwrap().contains(code_words),
            "{}",
            back.body
        );
        assert_eq!(
            back.text_of("entry").as_deref(),
            Some(askama_escape(typed).as_str())
        );
        assert_eq!(
            back.text_of("callback_hosts").as_deref(),
            Some("callbacks.agent.example")
        );
    }
    let agent = Agent::new(&app, "page-agent", 11);
    let done = admin
        .submit(
            "/staff/drp-agents?lang=en",
            &page,
            &[
                ("entry", &agent.entry().to_string()),
                ("callback_hosts", "callbacks.agent.example\n127.0.0.1:8443"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/staff/drp-agents"))
    );
    let listed = admin.get("/staff/drp-agents?lang=en").await;
    assert!(
        listed.body.contains("data-agent=\"page-agent\""),
        "{}",
        listed.body
    );
    assert!(
        listed
            .body
            .contains("callbacks.agent.example, 127.0.0.1:8443")
    );
    assert_eq!(audited(&app, "drp.agent_added").len(), 1);
    // The agent can set up its key now; removed, it cannot, and its row says so.
    let mut agent = agent;
    assert_eq!(agent.set_up(common::t0()).await.0, 200);
    let removed = admin
        .submit("/staff/drp-agents/page-agent/remove", &listed, &[])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(
        agent.status("0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f").await.0,
        401
    );
    let after = admin.get("/staff/drp-agents?lang=en").await;
    assert!(after.body.contains("class=\"inactive\""), "{}", after.body);
    assert!(after.text_of("agent-form").is_some() || after.body.contains("id=\"agent-form\""));
    assert_eq!(audited(&app, "drp.agent_removed").len(), 1);
    // Officers do not manage agents.
    let officer = app.signed_in("officer@example.com", Role::Officer).await;
    assert_eq!(officer.get("/staff/drp-agents").await.status, 403);
}

/// Text as the templates escape it.
fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
