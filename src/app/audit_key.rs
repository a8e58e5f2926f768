//! The audit log's identity: the key this instance holds, whether it is the one the log recorded, and
//! the log's signed head. The sequencer signs with it; proofs, exports and verification check against it.

use super::AppError;
use crate::config::{Config, Keys};
use crate::db::{AnyConnection, Db, tlog};
use crate::domain::tlog::{Checkpoint, EMPTY_HASH, Hash, KeyHistory, LogKey, from_base64};

/// The log's key as this instance holds it, under the log's recorded name (or, before the first
/// signing, the configured one).
pub fn log_key(conn: &mut AnyConnection, config: &Config, keys: &Keys) -> Result<LogKey, AppError> {
    key_of(&tlog::state(conn)?, config, keys)
}

/// `log_key` for a caller that has read the log's state already.
pub fn key_of(state: &tlog::LogState, config: &Config, keys: &Keys) -> Result<LogKey, AppError> {
    let origin = state
        .origin
        .as_deref()
        .unwrap_or(&config.audit.audit_origin);
    LogKey::new(origin, &keys.audit_seed())
        .map_err(|_| AppError::NotConfigured("KAIJI_AUDIT_ORIGIN"))
}

/// An older key of this instance's audit ring whose verifier key is `verifier_key`: after a rotation,
/// the key the log still names, which signs the handover checkpoint with the new one.
pub fn older_key(
    state: &tlog::LogState,
    config: &Config,
    keys: &Keys,
    verifier_key: &str,
) -> Result<Option<LogKey>, AppError> {
    let origin = state
        .origin
        .as_deref()
        .unwrap_or(&config.audit.audit_origin);
    for k in keys.audit.all().skip(1) {
        let Ok(seed) = <[u8; 32]>::try_from(k) else {
            continue;
        };
        let key = LogKey::new(origin, &seed)
            .map_err(|_| AppError::NotConfigured("KAIJI_AUDIT_ORIGIN"))?;
        if key.verifier_key() == verifier_key {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// Whether this instance may sign the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// The log recorded this instance's key.
    Recorded { verifier_key: String },
    /// No key recorded yet: the first batch records this one.
    Unrecorded { verifier_key: String },
    /// The key was rotated: the log still names the previous one, which this instance holds too; its
    /// next checkpoint is signed by both and hands the log over.
    HandingOver { recorded: String, ours: String },
    /// The log recorded another key: this instance never signs.
    Different { recorded: String, ours: String },
}

pub fn key_status(db: &Db, config: &Config, keys: &Keys) -> Result<KeyStatus, AppError> {
    status_of(&tlog::state(&mut *db.conn()?)?, config, keys)
}

/// `key_status` for a caller that has read the log's state already.
pub fn status_of(
    state: &tlog::LogState,
    config: &Config,
    keys: &Keys,
) -> Result<KeyStatus, AppError> {
    let ours = key_of(state, config, keys)?.verifier_key();
    Ok(match state.verifier_key.clone() {
        None => KeyStatus::Unrecorded { verifier_key: ours },
        Some(r) if r == ours => KeyStatus::Recorded { verifier_key: ours },
        Some(recorded) if older_key(state, config, keys, &recorded)?.is_some() => {
            KeyStatus::HandingOver { recorded, ours }
        }
        Some(recorded) => KeyStatus::Different { recorded, ours },
    })
}

/// The log's verifier keys over its life, from its recorded state (before the first signing, this
/// instance's key).
pub fn history_of(
    conn: &mut AnyConnection,
    state: &tlog::LogState,
    config: &Config,
    keys: &Keys,
) -> Result<KeyHistory, AppError> {
    let current = match &state.verifier_key {
        Some(k) => k.clone(),
        None => key_of(state, config, keys)?.verifier_key(),
    };
    Ok(KeyHistory::new(current, tlog::handovers(conn)?))
}

/// `history_of` the log as stored now.
pub fn log_history(
    conn: &mut AnyConnection,
    config: &Config,
    keys: &Keys,
) -> Result<KeyHistory, AppError> {
    let state = tlog::state(conn)?;
    history_of(conn, &state, config, keys)
}

/// The log's verifier keys and the size of the hash chain before the tree, from one read of its state.
pub fn log_context(
    conn: &mut AnyConnection,
    config: &Config,
    keys: &Keys,
) -> Result<(KeyHistory, i64), AppError> {
    let state = tlog::state(conn)?;
    Ok((history_of(conn, &state, config, keys)?, state.chain_size))
}

/// A stored checkpoint, its signature checked under the key of its size (a bad one means the stored
/// log was changed).
pub fn open_row(row: &tlog::CheckpointRow, history: &KeyHistory) -> Result<Checkpoint, AppError> {
    let cp = history
        .open(row.note.as_bytes())
        .map_err(|e| AppError::AuditLogDamaged(format!("checkpoint {}: {e}", row.size)))?;
    if cp.size as i64 != row.size {
        return Err(AppError::AuditLogDamaged(format!(
            "checkpoint {} does not say what its row says",
            row.size
        )));
    }
    Ok(cp)
}

/// The size and root of the latest checkpoint, its signature checked (the empty tree before any).
pub fn tree_head(conn: &mut AnyConnection, history: &KeyHistory) -> Result<(i64, Hash), AppError> {
    match tlog::latest_checkpoint(conn)? {
        None => Ok((0, EMPTY_HASH)),
        Some(cp) => {
            let opened = open_row(&cp, history)?;
            if opened.size as i64 != cp.size || from_base64(&cp.root_hash) != Some(opened.root) {
                return Err(AppError::AuditLogDamaged(format!(
                    "checkpoint {} does not say what its row says",
                    cp.size
                )));
            }
            Ok((cp.size, opened.root))
        }
    }
}
