//! Refusals an auditor should see (ASVS v5.0.0-16.3.1 to 16.3.3): a member sent to a route their role
//! does not allow, a credential nobody holds, a form whose CSRF token did not match, a submission an
//! intake limit turned away. Each is audited once per kind, subject and hour (the first of the hour,
//! with the route), so a flood of refusals is one event, not a flood of events. Noting never fails the
//! request it describes: a database error is logged and the refusal answers as it would have.

use std::net::IpAddr;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::json;

use super::AppState;
use super::staff::StaffMember;
use crate::db::{self, audit, sign_in};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::security::tokens;

/// What was refused.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// A signed-in member asked for a route their role does not allow.
    Denied {
        staff: StaffMember,
        method: String,
        route: String,
    },
    /// A bearer token or session cookie that opens nothing (unknown, expired, revoked, disabled).
    Credential {
        /// `bearer` or `session`.
        kind: &'static str,
        client: Option<IpAddr>,
        route: String,
    },
    /// A form whose CSRF token did not match this browser's.
    Csrf {
        client: Option<IpAddr>,
        route: String,
    },
    /// An intake limit turned a submission away.
    IntakeLimited { client: Option<IpAddr> },
}

impl Refusal {
    fn action(&self) -> AuditAction {
        match self {
            Refusal::Denied { .. } => AuditAction::AccessDenied,
            Refusal::Credential { .. } => AuditAction::CredentialRefused,
            Refusal::Csrf { .. } => AuditAction::CsrfRefused,
            Refusal::IntakeLimited { .. } => AuditAction::IntakeRateLimited,
        }
    }

    /// Who the hour's one event is about: the member and route, or the client's network.
    fn subject(&self) -> String {
        let address = |c: &Option<IpAddr>| {
            c.map(|ip| crate::config::subscriber_network(ip).to_string())
                .unwrap_or_default()
        };
        match self {
            Refusal::Denied { staff, route, .. } => format!("{}\n{route}", staff.id),
            Refusal::Credential { kind, client, .. } => format!("{kind}\n{}", address(client)),
            Refusal::Csrf { client, .. } | Refusal::IntakeLimited { client } => address(client),
        }
    }

    fn actor(&self) -> Actor {
        match self {
            Refusal::Denied { staff, .. } => staff.actor(),
            Refusal::IntakeLimited { .. } => Actor::Requester,
            Refusal::Credential { .. } | Refusal::Csrf { .. } => Actor::System("web"),
        }
    }

    fn details(&self) -> serde_json::Value {
        let address = |c: &Option<IpAddr>| c.map(|ip| ip.to_string());
        match self {
            Refusal::Denied {
                staff,
                method,
                route,
            } => {
                json!({"staff_id": staff.id, "role": staff.role, "method": method, "route": route})
            }
            Refusal::Credential {
                kind,
                client,
                route,
            } => json!({"credential": kind, "address": address(client), "route": route}),
            Refusal::Csrf { client, route } => json!({"address": address(client), "route": route}),
            Refusal::IntakeLimited { client } => json!({"address": address(client)}),
        }
    }
}

/// Audits the refusal if it is the first of its kind, subject and hour. Refusals come in floods, so
/// the repeats of the hour cost one read and never take the write lock (SQLite has one writer).
pub async fn note(state: &AppState, refusal: Refusal) {
    let now = state.clock.now();
    let hour = db::to_db_time(hour_of(now));
    let scope_key = format!(
        "{}:{}",
        refusal.action().as_str(),
        tokens::sign(state.keys.session.expose(), refusal.subject().as_bytes())
    );
    let key = scope_key.clone();
    let seen = state
        .db
        .run(move |conn| -> Result<bool, super::AppError> {
            Ok(sign_in::is_noted(conn, &key, hour)?)
        })
        .await;
    if matches!(seen, Ok(true)) {
        return;
    }
    let noted = state
        .db
        .write(move |conn| -> Result<(), super::AppError> {
            if !sign_in::note_throttle(conn, &scope_key, hour)? {
                return Ok(());
            }
            audit::append(
                conn,
                &NewAuditEvent::new(refusal.action(), refusal.actor(), now)
                    .details(refusal.details()),
            )?;
            Ok(())
        })
        .await;
    if let Err(e) = noted {
        tracing::error!(error = %e, "a refusal could not be audited");
    }
}

fn hour_of(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now)
}
