//! The key set every instance must share (issue 22). Each secret key has an id: the first 16 hex digits
//! of an HMAC of a fixed text under the key, which tells nothing of the key but differs between keys.
//! The database records each kind's active key (the audit key with its public half, the log's verifier
//! key); the first instance records its own, and an instance holding another key for a kind refuses to
//! start, naming the setting: with a different session key its links and cookies would fail on the
//! others, with a different document key it could not read what they stored.

use super::{AppError, Clock};
use crate::config::{Config, KeyRing, Keys};
use crate::db::service_keys::{self, ServiceKeyRow};
use crate::db::tlog::LogState;
use crate::db::{self, Db, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::security::keys::KeyKind;
use crate::security::keys::RecordedKeyStatus::{Active, Retired, VerifyOnly};
use crate::security::tokens;

/// One kind of key this instance holds: its ring, the signing key first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldKey {
    pub kind: KeyKind,
    /// Where the key is set, for the operator.
    pub setting: &'static str,
    /// The signing key's id.
    pub id: String,
    /// Every key's id, the signing one first.
    pub ring: Vec<String>,
    pub public_half: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeySetError {
    #[error(
        "{setting} differs from the {kind} key the other instances use (recorded key id {recorded}, this \
         instance holds {ours}): give every instance the same key set (see docs/operations.md)"
    )]
    Differs {
        kind: KeyKind,
        setting: &'static str,
        recorded: String,
        ours: String,
    },
    #[error(
        "{setting} signs with the {kind} key {ours}, which was rotated out (the key set signs with \
         {recorded}): give this instance the new ring, the new key first (see docs/operations.md)"
    )]
    RotatedOut {
        kind: KeyKind,
        setting: &'static str,
        recorded: String,
        ours: String,
    },
    #[error(
        "{setting} lacks the older {kind} key {missing}, which still verifies what was signed or \
         decrypts what was sealed before the last rotation: keep it after the signing key until \
         `kaiji keys retire {kind} {missing}`"
    )]
    Lacks {
        kind: KeyKind,
        setting: &'static str,
        missing: String,
    },
    #[error("this instance holds no {0} key")]
    NotHeld(KeyKind),
    #[error("no {0} key is recorded yet: start `kaiji serve` or `kaiji worker` once first")]
    NothingRecorded(KeyKind),
    #[error(
        "{setting} is set in the configuration: put a new key (`kaiji keys generate {kind}`) first in \
         it, the current one after it, then run `kaiji keys rotate {kind}` again"
    )]
    NeedsNewKey {
        kind: KeyKind,
        setting: &'static str,
    },
    #[error(
        "{setting} does not hold the {kind} key {active} the key set signs with: a rotation keeps it \
         after the new one (to replace a leaked key, use `kaiji keys adopt {kind}`)"
    )]
    NotARotation {
        kind: KeyKind,
        setting: &'static str,
        active: String,
    },
    #[error("no {kind} key {key_id} is recorded")]
    Unknown { kind: KeyKind, key_id: String },
    #[error("the {kind} key {key_id} signs: rotate to a new key before retiring it")]
    Signing { kind: KeyKind, key_id: String },
    #[error("the {kind} key {key_id} is still needed: {why}")]
    StillNeeded {
        kind: KeyKind,
        key_id: String,
        why: String,
    },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for KeySetError {
    fn from(e: diesel::result::Error) -> Self {
        KeySetError::App(AppError::from(e))
    }
}

pub use tokens::key_id;

/// This instance's ring of a kind (the assertion key is optional).
pub fn ring_of(keys: &Keys, kind: KeyKind) -> Option<&KeyRing> {
    match kind {
        KeyKind::Session => Some(&keys.session),
        KeyKind::Document => Some(&keys.document),
        KeyKind::Audit => Some(&keys.audit),
        KeyKind::Assertion => keys.assertion.as_ref(),
    }
}

/// The keys this instance holds, by kind; the audit key's public half under the name the log
/// recorded (`log`: a restore renames it), or the configured name before the log has one.
pub fn held(log: &LogState, config: &Config, keys: &Keys) -> Result<Vec<HeldKey>, AppError> {
    let mut out = Vec::new();
    for &kind in KeyKind::ALL {
        let Some(ring) = ring_of(keys, kind) else {
            continue;
        };
        let public_half = (kind == KeyKind::Audit)
            .then(|| super::audit_key::key_of(log, config, keys).map(|k| k.verifier_key()))
            .transpose()?;
        out.push(HeldKey {
            kind,
            setting: kind.setting(),
            id: ring.signer_id(),
            ring: ring.ids(),
            public_half,
        });
    }
    Ok(out)
}

/// What the start-up check found.
#[derive(Debug, Default)]
pub struct Checked {
    /// The kinds recorded now (the first instance's keys).
    pub recorded: Vec<KeyKind>,
    /// Keys this instance holds that were retired: dropped from its rings.
    pub retired: Vec<(KeyKind, String)>,
}

/// Checks this instance's rings against the recorded set, recording each kind's first ring. Its
/// signing key must be the kind's active one, and it must hold every key kept verify-only; a key
/// not recorded yet may follow the signing key (staged for the next rotation). Run by `serve` and
/// `kaiji worker` before they start.
pub fn check_or_record(
    db: &Db,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
) -> Result<Checked, KeySetError> {
    let now = db::to_db_time(clock.now());
    let mut conn = db.conn().map_err(AppError::from)?;
    let ours = held(&crate::db::tlog::state(&mut conn)?, config, keys)?;
    write_tx(&mut conn, |c| -> Result<Checked, KeySetError> {
        // Instances started together record in turn.
        db::take_turn(c).map_err(AppError::from)?;
        let recorded = service_keys::all(c)?;
        let mut checked = Checked::default();
        for key in &ours {
            let of_kind: Vec<&ServiceKeyRow> =
                recorded.iter().filter(|r| r.kind == key.kind).collect();
            let status_of = |id: &str| of_kind.iter().find(|r| r.key_id == id).map(|r| r.status);
            let Some(active) = of_kind.iter().find(|r| r.status == Active) else {
                for (i, id) in key.ring.iter().enumerate() {
                    if status_of(id).is_some() {
                        continue;
                    }
                    service_keys::insert(
                        c,
                        &ServiceKeyRow {
                            kind: key.kind,
                            key_id: id.clone(),
                            public_half: if i == 0 {
                                key.public_half.clone()
                            } else {
                                None
                            },
                            status: if i == 0 { Active } else { VerifyOnly },
                            added_at: now,
                        },
                    )?;
                }
                checked.recorded.push(key.kind);
                continue;
            };
            if active.key_id != key.id {
                let (kind, setting) = (key.kind, key.setting);
                let (recorded, ours) = (active.key_id.clone(), key.id.clone());
                return Err(match status_of(&key.id) {
                    Some(VerifyOnly) => KeySetError::RotatedOut {
                        kind,
                        setting,
                        recorded,
                        ours,
                    },
                    _ => KeySetError::Differs {
                        kind,
                        setting,
                        recorded,
                        ours,
                    },
                });
            }
            if let Some(missing) = of_kind
                .iter()
                .find(|r| r.status == VerifyOnly && !key.ring.contains(&r.key_id))
            {
                return Err(KeySetError::Lacks {
                    kind: key.kind,
                    setting: key.setting,
                    missing: missing.key_id.clone(),
                });
            }
            for id in &key.ring {
                if status_of(id) == Some(Retired) {
                    checked.retired.push((key.kind, id.clone()));
                }
            }
        }
        Ok(checked)
    })
}

/// The rings without the keys the check found retired.
pub fn without_retired(mut keys: Keys, retired: &[(KeyKind, String)]) -> Keys {
    for (kind, id) in retired {
        let ids = std::slice::from_ref(id);
        match kind {
            KeyKind::Session => keys.session = keys.session.without(ids).unwrap_or(keys.session),
            KeyKind::Document => {
                keys.document = keys.document.without(ids).unwrap_or(keys.document)
            }
            KeyKind::Audit => keys.audit = keys.audit.without(ids).unwrap_or(keys.audit),
            KeyKind::Assertion => {
                keys.assertion = keys.assertion.map(|r| r.without(ids).unwrap_or(r));
            }
        }
    }
    keys
}

/// What `rotate` did.
#[derive(Debug)]
pub struct Rotation {
    pub kind: KeyKind,
    pub setting: &'static str,
    pub key_id: String,
    pub previous: String,
    /// The key file written, when the new key was generated here.
    pub written: Option<std::path::PathBuf>,
}

/// `kaiji keys rotate KIND`: a new key signs from now on and the active one is kept verify-only, so
/// nothing it signed or sealed stops working (a rotated audit key takes over the log at its next
/// checkpoint, which both keys sign). With the kind's ring in its key file, the new key is
/// generated and written in front; with the ring in a setting, the operator puts it there first. The
/// requests filed before token keys were recorded are recorded under the key that signed their links.
/// Audited. Instances pick up the new ring when restarted.
pub fn rotate(
    db: &Db,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
    kind: KeyKind,
) -> Result<Rotation, KeySetError> {
    let setting = kind.setting();
    let mut ring = ring_of(keys, kind)
        .ok_or(KeySetError::NotHeld(kind))?
        .clone();
    let mut conn = db.conn().map_err(AppError::from)?;
    let active = service_keys::all(&mut conn)?
        .into_iter()
        .find(|r| r.kind == kind && r.status == Active)
        .ok_or(KeySetError::NothingRecorded(kind))?
        .key_id;
    let mut written = None;
    if ring.signer_id() == active {
        if config.key_file(kind).is_none() {
            return Err(KeySetError::NeedsNewKey { kind, setting });
        }
        ring = ring.with_new_signer(crate::config::SecretBytes::random(Config::key_len(kind)));
        // The file first: a failure after it leaves a ring whose new key is not recorded yet, and
        // running `rotate` again records it.
        written = Some(config.write_key_ring(kind, &ring)?);
    }
    if ring.by_id(&active).is_none() {
        return Err(KeySetError::NotARotation {
            kind,
            setting,
            active,
        });
    }
    let new_id = ring.signer_id();
    // The audit key is recorded with its public half under the log's name; the sequencer hands the
    // log over to it at the next checkpoint, which both keys sign.
    let public_half = if kind == KeyKind::Audit {
        let mut rotated = keys.clone();
        rotated.audit = ring.clone();
        let state = crate::db::tlog::state(&mut conn)?;
        Some(super::audit_key::key_of(&state, config, &rotated)?.verifier_key())
    } else {
        None
    };
    let now = clock.now();
    write_tx(&mut conn, |c| -> Result<(), KeySetError> {
        db::take_turn(c).map_err(AppError::from)?;
        if kind == KeyKind::Session {
            // Until now every token came from the one key there was.
            service_keys::record_token_key(c, &active)?;
        }
        service_keys::set_status(c, kind, &active, VerifyOnly)?;
        if !service_keys::set_status(c, kind, &new_id, Active)? {
            service_keys::insert(
                c,
                &ServiceKeyRow {
                    kind,
                    key_id: new_id.clone(),
                    public_half: public_half.clone(),
                    status: Active,
                    added_at: db::to_db_time(now),
                },
            )?;
        }
        crate::db::audit::append(
            c,
            &NewAuditEvent::new(AuditAction::KeyRotated, Actor::System("cli"), now)
                .details(serde_json::json!({"kind": kind, "key_id": new_id, "previous": active})),
        )
        .map_err(AppError::from)?;
        Ok(())
    })?;
    Ok(Rotation {
        kind,
        setting,
        key_id: new_id,
        previous: active,
        written,
    })
}

/// `kaiji keys retire KIND KEY_ID`: an old key nothing depends on any more leaves the key set (and
/// the key file, when the ring is kept in one). Refused for the signing key, and while something
/// still needs it: for a session key, a request whose tracking token came from it or a download link
/// sent under it that still works; for a document key, content still sealed under it (run `kaiji
/// keys reencrypt` first); for an audit key, a log not yet handed over from it. Audited.
pub fn retire(
    db: &Db,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
    kind: KeyKind,
    key_id: &str,
) -> Result<Option<std::path::PathBuf>, KeySetError> {
    let unknown = || KeySetError::Unknown {
        kind,
        key_id: key_id.to_owned(),
    };
    let still = |why: String| KeySetError::StillNeeded {
        kind,
        key_id: key_id.to_owned(),
        why,
    };
    let now = clock.now();
    let mut conn = db.conn().map_err(AppError::from)?;
    let rows: Vec<ServiceKeyRow> = service_keys::all(&mut conn)?
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect();
    let row = rows
        .iter()
        .find(|r| r.key_id == key_id)
        .ok_or_else(unknown)?;
    match row.status {
        Active => {
            return Err(KeySetError::Signing {
                kind,
                key_id: key_id.to_owned(),
            });
        }
        Retired => return Ok(None),
        VerifyOnly => {}
    }
    match kind {
        KeyKind::Session => {
            let n = service_keys::count_with_token_key(&mut conn, key_id)?;
            if n > 0 {
                return Err(still(format!(
                    "{n} request(s) still kept carry tracking links derived with it"
                )));
            }
            // Rotated out when the next key came in.
            let until = rows
                .iter()
                .filter(|r| r.added_at > row.added_at)
                .map(|r| r.added_at)
                .min()
                .unwrap_or(db::to_db_time(now));
            let live =
                crate::db::replies::count_live_made_before(&mut conn, until, db::to_db_time(now))?;
            if live > 0 {
                return Err(still(format!(
                    "{live} download link(s) sent under it still work until they expire"
                )));
            }
        }
        KeyKind::Audit => {
            // Until the handover checkpoint, the log is verified under it and it signs that checkpoint.
            let state = crate::db::tlog::state(&mut conn)?;
            let log_key = state.verifier_key.clone();
            let ours = ring_of(keys, kind)
                .and_then(|r| r.by_id(key_id))
                .map(|seed| {
                    let mut only = keys.clone();
                    only.audit = KeyRing::single(crate::config::SecretBytes::from_slice(seed));
                    only
                });
            let names_it = match ours {
                Some(k) => {
                    log_key == Some(super::audit_key::key_of(&state, config, &k)?.verifier_key())
                }
                None => row.public_half.is_some() && log_key == row.public_half,
            };
            if names_it {
                return Err(still(
                    "the audit log still names it: its next checkpoint, signed by both keys, hands \
                     the log over (it follows the next audited event)"
                        .into(),
                ));
            }
        }
        KeyKind::Document => {
            let report = super::reencrypt::survey(db, keys)?;
            let n = report.under.get(key_id).copied().unwrap_or(0);
            if n > 0 {
                return Err(still(format!(
                    "{n} sealed item(s) are still encrypted under it: run `kaiji keys reencrypt` first"
                )));
            }
        }
        // Assertions are checked when they arrive and never kept: nothing waits on an old key.
        KeyKind::Assertion => {}
    }
    write_tx(&mut conn, |c| -> Result<(), KeySetError> {
        db::take_turn(c).map_err(AppError::from)?;
        service_keys::set_status(c, kind, key_id, Retired)?;
        crate::db::audit::append(
            c,
            &NewAuditEvent::new(AuditAction::KeyRetired, Actor::System("cli"), now)
                .details(serde_json::json!({"kind": kind, "key_id": key_id})),
        )
        .map_err(AppError::from)?;
        Ok(())
    })?;
    // Out of the key file too, so the next start does not carry it.
    let ring = ring_of(keys, kind).and_then(|r| r.without(&[key_id.to_owned()]));
    match (config.key_file(kind), ring) {
        (Some(_), Some(ring))
            if ring.key_count() < ring_of(keys, kind).map_or(0, KeyRing::key_count) =>
        {
            Ok(Some(config.write_key_ring(kind, &ring)?))
        }
        _ => Ok(None),
    }
}

/// `kaiji keys adopt KIND`: an operator makes this instance's key of `kind` the key set's, as after
/// replacing a key that leaked; the kind's other keys are retired. Audited. What the old key protects
/// stays protected by it: links signed with an old session key stop working, and documents encrypted
/// with an old document key cannot be read (a rotation, `kaiji keys rotate`, keeps old keys).
pub fn adopt(
    db: &Db,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
    kind: KeyKind,
) -> Result<HeldKey, KeySetError> {
    let now = clock.now();
    let mut conn = db.conn().map_err(AppError::from)?;
    let ours = held(&crate::db::tlog::state(&mut conn)?, config, keys)?
        .into_iter()
        .find(|k| k.kind == kind)
        .ok_or(KeySetError::NotHeld(kind))?;
    write_tx(&mut conn, |c| -> Result<(), AppError> {
        db::take_turn(c)?;
        let retired = service_keys::retire_others(c, ours.kind, &ours.id)?;
        if !service_keys::activate(c, ours.kind, &ours.id)? {
            service_keys::insert(
                c,
                &ServiceKeyRow {
                    kind: ours.kind,
                    key_id: ours.id.clone(),
                    public_half: ours.public_half.clone(),
                    status: Active,
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
