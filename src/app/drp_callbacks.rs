//! Status callbacks to authorised agents (DRP §2.03, §3.08): whenever a request an agent filed with a
//! `status_callback` changes status, or its `expected_by` moves (an extension), the new status object
//! is queued in the same transaction as the change, and the worker POSTs it with retries until the
//! agent answers 2xx. Only the latest status matters: a newer one supersedes one not yet delivered.
//! Callbacks go only to hosts an administrator registered for the agent (checked again at delivery),
//! over https (plain http only to this machine, for an agent under test), never following redirects.

use chrono::{DateTime, Duration, Utc};

use super::drp_status::status_view;
use super::workflows::WorkflowCatalog;
use super::{AppError, AppState};
use crate::db::drp::{self as repo, AgentRow, CallbackRow};
use crate::db::{self, AnyConnection};
use crate::domain::drp::CallbackStatus;
use crate::domain::ids::RequestId;

/// Waits between attempts; after the last the callback has failed (the agent can still poll).
const RETRY_AFTER_MINUTES: [i64; 7] = [1, 5, 30, 120, 360, 720, 1440];
/// How long one delivery may take, connection included.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A callback URL the agent may be called back at: https on a host registered for it (a host name,
/// with `:port` if not 443), or http to this machine's loopback for a registered `127.0.0.1:port`.
pub(crate) fn callback_allowed(agent: &AgentRow, url: &str) -> Option<String> {
    if url.len() > 500 || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let (rest, loopback_only) = match url.strip_prefix("https://") {
        Some(r) => (r, false),
        None => (url.strip_prefix("http://")?, true),
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    if loopback_only {
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return None;
        }
    }
    let hosts: Vec<String> = serde_json::from_str(&agent.callback_hosts).unwrap_or_default();
    hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(authority))
        .then(|| url.to_owned())
}

/// After a change to a request (a transition, a confirmation): queues its agent's callback if the
/// status object changed since the last one queued. Inside the caller's transaction.
pub(crate) fn after_change(
    conn: &mut AnyConnection,
    catalog: &WorkflowCatalog,
    links: &super::drp_status::StatusLinks<'_>,
    request_id: &RequestId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(link) = repo::find_request(conn, request_id)? else {
        return Ok(());
    };
    let view = status_view(conn, catalog, &link, links, now)?;
    let body = serde_json::to_string(&view).map_err(|e| AppError::Definition(e.to_string()))?;
    if link.last_status.as_deref() == Some(body.as_str()) {
        return Ok(());
    }
    repo::set_last_status(conn, &link.request_id, &body)?;
    let Some(url) = &link.status_callback else {
        return Ok(());
    };
    let Some(agent) = repo::find_agent(conn, &link.agent_id)?.filter(|a| a.removed_at.is_none())
    else {
        return Ok(());
    };
    if callback_allowed(&agent, url).is_none() {
        return Ok(());
    }
    repo::queue_callback(
        conn,
        &CallbackRow {
            id: db::new_id(),
            request_id: link.request_id.clone(),
            agent_id: agent.id,
            url: url.clone(),
            body,
            status: CallbackStatus::Queued,
            attempts: 0,
            next_attempt_at: db::to_db_time(now),
            claimed_until: None,
            last_error: None,
            created_at: db::to_db_time(now),
            sent_at: None,
        },
    )?;
    Ok(())
}

/// The HTTP client for callbacks: rustls with ring (the provider the mailer's TLS uses) and the
/// webpki roots, no redirects, a short timeout.
fn client() -> Result<&'static reqwest::Client, AppError> {
    static CLIENT: std::sync::OnceLock<Result<reqwest::Client, String>> =
        std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            // The process's provider, where none was chosen yet: ring, as the mailer's TLS uses.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(TIMEOUT)
                .user_agent("kaiji-drp")
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| AppError::Definition(format!("the callback client: {e}")))
}

/// What one round delivered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CallbackReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Delivers the callbacks due now (the worker's round).
pub async fn deliver_due(state: &AppState) -> Result<CallbackReport, AppError> {
    let now = state.clock.now();
    let due = state
        .db
        .write(move |conn| {
            Ok::<_, AppError>(repo::claim_due(
                conn,
                db::to_db_time(now),
                db::to_db_time(now + Duration::minutes(2)),
                20,
            )?)
        })
        .await?;
    let mut report = CallbackReport::default();
    for c in due {
        // The agent may have been removed, or its hosts changed, since the callback was queued.
        let agent_id = c.agent_id.clone();
        let agent = state
            .db
            .run(move |conn| Ok::<_, AppError>(repo::find_agent(conn, &agent_id)?))
            .await?
            .filter(|a| a.removed_at.is_none());
        let allowed = agent
            .as_ref()
            .and_then(|a| callback_allowed(a, &c.url))
            .is_some();
        let result = if allowed {
            post(&c).await
        } else {
            Err("the agent or its callback host is no longer registered".to_owned())
        };
        let attempts = usize::try_from(c.attempts).unwrap_or(0);
        let outcome = match result {
            Ok(()) => {
                report.sent += 1;
                Ok(db::to_db_time(state.clock.now()))
            }
            Err(e) if allowed && attempts < RETRY_AFTER_MINUTES.len() => {
                report.retrying += 1;
                let wait = Duration::minutes(RETRY_AFTER_MINUTES[attempts]);
                Err((e, Some(db::to_db_time(state.clock.now() + wait))))
            }
            Err(e) => {
                report.failed += 1;
                Err((e, None))
            }
        };
        let id = c.id.clone();
        state
            .db
            .write(move |conn| Ok::<_, AppError>(repo::record_attempt(conn, &id, outcome)?))
            .await?;
    }
    Ok(report)
}

/// One POST of the status object; any 2xx is delivered (the agent's body is ignored).
async fn post(c: &CallbackRow) -> Result<(), String> {
    let res = client()
        .map_err(|e| e.to_string())?
        .post(&c.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(c.body.clone())
        .send()
        .await
        .map_err(|e| format!("not delivered: {}", without_url(&e)))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("the agent answered {}", res.status().as_u16()))
    }
}

/// An error's words without the URL (which holds the agent's own ids).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the connection failed".into()
    }
}
