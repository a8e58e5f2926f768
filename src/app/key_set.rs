//! The key set every instance must share (issue 22). Each secret key has an id: the first 16 hex digits
//! of an HMAC of a fixed text under the key, which tells nothing of the key but differs between keys.
//! The database records each kind's active key (the audit key with its public half, the log's verifier
//! key); the first instance records its own, and an instance holding another key for a kind refuses to
//! start, naming the setting: with a different session key its links and cookies would fail on the
//! others, with a different document key it could not read what they stored.

use super::{AppError, Clock};
use crate::config::{Config, Keys};
use crate::db::service_keys::{self, ServiceKeyRow};
use crate::db::{self, Db, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::security::tokens;

/// One key this instance holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldKey {
    pub kind: &'static str,
    /// Where the key is set, for the operator.
    pub setting: &'static str,
    pub id: String,
    pub public_half: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeySetError {
    #[error(
        "{setting} differs from the {kind} key the other instances use (recorded key id {recorded}, this \
         instance holds {ours}): give every instance the same key set (see docs/operations.md)"
    )]
    Differs {
        kind: &'static str,
        setting: &'static str,
        recorded: String,
        ours: String,
    },
    #[error("this instance holds no {0} key")]
    NotHeld(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for KeySetError {
    fn from(e: diesel::result::Error) -> Self {
        KeySetError::App(AppError::from(e))
    }
}

/// A secret key's id.
pub fn key_id(key: &[u8]) -> String {
    tokens::sign(key, b"kaiji key id v1")[..16].to_owned()
}

/// The keys this instance holds, by kind.
pub fn held(config: &Config, keys: &Keys) -> Result<Vec<HeldKey>, AppError> {
    let mut out = vec![
        HeldKey {
            kind: "session",
            setting: "KAIJI_SESSION_KEY",
            id: key_id(keys.session.expose()),
            public_half: None,
        },
        HeldKey {
            kind: "document",
            setting: "KAIJI_DOCUMENT_KEY",
            id: key_id(keys.document.expose()),
            public_half: None,
        },
        HeldKey {
            kind: "audit",
            setting: "KAIJI_AUDIT_KEY",
            id: key_id(keys.audit.expose()),
            public_half: Some(
                crate::domain::tlog::LogKey::new(&config.audit.audit_origin, &keys.audit_seed())
                    .map_err(|_| AppError::NotConfigured("KAIJI_AUDIT_ORIGIN"))?
                    .verifier_key(),
            ),
        },
    ];
    if let Some(a) = &keys.assertion {
        out.push(HeldKey {
            kind: "assertion",
            setting: "KAIJI_ASSERTION_KEY",
            id: key_id(a.expose()),
            public_half: None,
        });
    }
    Ok(out)
}

/// Checks this instance's keys against the recorded set, recording each kind's first key. Returns the
/// kinds recorded now. Run by `serve` and `kaiji worker` before they start.
pub fn check_or_record(
    db: &Db,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
) -> Result<Vec<&'static str>, KeySetError> {
    let ours = held(config, keys)?;
    let now = db::to_db_time(clock.now());
    let mut conn = db.conn().map_err(AppError::from)?;
    write_tx(&mut conn, |c| -> Result<Vec<&'static str>, KeySetError> {
        // Instances started together record in turn.
        db::workflows::take_publishing_turn(c).map_err(AppError::from)?;
        let recorded = service_keys::all(c).map_err(AppError::from)?;
        let mut added = Vec::new();
        for key in &ours {
            let active: Vec<&ServiceKeyRow> = recorded
                .iter()
                .filter(|r| r.kind == key.kind && r.status == "active")
                .collect();
            match active.first() {
                None => {
                    service_keys::insert(
                        c,
                        &ServiceKeyRow {
                            kind: key.kind.to_owned(),
                            key_id: key.id.clone(),
                            public_half: key.public_half.clone(),
                            status: "active".into(),
                            added_at: now,
                        },
                    )
                    .map_err(AppError::from)?;
                    added.push(key.kind);
                }
                Some(_) if active.iter().any(|r| r.key_id == key.id) => {}
                Some(r) => {
                    return Err(KeySetError::Differs {
                        kind: key.kind,
                        setting: key.setting,
                        recorded: r.key_id.clone(),
                        ours: key.id.clone(),
                    });
                }
            }
        }
        Ok(added)
    })
}

/// `kaiji keys adopt KIND`: an operator makes this instance's key of `kind` the key set's, as after
/// replacing a key that leaked; the kind's other keys are retired. Audited. What the old key protects
/// stays protected by it: links signed with an old session key stop working, and documents encrypted
/// with an old document key cannot be read (key rotation, which keeps old keys for reading, is to come).
pub fn adopt(
    db: &Db,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
    kind: &str,
) -> Result<HeldKey, KeySetError> {
    let ours = held(config, keys)?
        .into_iter()
        .find(|k| k.kind == kind)
        .ok_or_else(|| KeySetError::NotHeld(kind.to_owned()))?;
    let now = clock.now();
    let mut conn = db.conn().map_err(AppError::from)?;
    write_tx(&mut conn, |c| -> Result<(), AppError> {
        db::workflows::take_publishing_turn(c)?;
        let retired = service_keys::retire_others(c, ours.kind, &ours.id)?;
        if !service_keys::activate(c, ours.kind, &ours.id)? {
            service_keys::insert(
                c,
                &ServiceKeyRow {
                    kind: ours.kind.to_owned(),
                    key_id: ours.id.clone(),
                    public_half: ours.public_half.clone(),
                    status: "active".into(),
                    added_at: db::to_db_time(now),
                },
            )?;
        }
        crate::db::audit::append(
            c,
            &NewAuditEvent::new(AuditAction::KeyAdopted, Actor::System("cli"), now).details(
                serde_json::json!({"kind": ours.kind, "key_id": ours.id, "retired": retired}),
            ),
        )?;
        Ok(())
    })?;
    Ok(ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_id_is_stable_short_and_differs_between_keys() {
        let a = key_id(&[1; 32]);
        assert_eq!(a, key_id(&[1; 32]));
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, key_id(&[2; 32]));
    }
}
