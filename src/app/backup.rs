//! Backups and restores (issue 22). A backup is a directory: the database as of one moment (SQLite's
//! `VACUUM INTO`, or PostgreSQL's `pg_dump`), and `manifest.json` naming what it holds (its digest,
//! the log's last checkpoint, the key ids). The keys go to another directory: a backup holding the
//! document key beside the documents it encrypts would defeat encryption at rest.
//!
//! Signed checkpoints must never be contradicted. A restore therefore starts a new epoch of the audit
//! log: a new name (origin), whose first leaf records the restore and the backup's last checkpoint.
//! Checkpoints signed under the old name up to the backup still check against the log; later ones
//! were lost with the events after the backup, and `kaiji audit verify --against` says so.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{AppError, Clock};
use crate::config::{Config, DatabaseUrl, Keys};
use crate::db::{Db, DbError, backup as copy, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::security::keys::KeyKind;

const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "kaiji.db";
const PG_FILE: &str = "kaiji.pgdump";

/// What a backup holds, as `manifest.json` says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub kaiji_version: String,
    pub backend: String,
    pub taken_at: chrono::DateTime<chrono::Utc>,
    pub database_file: String,
    pub database_sha256: String,
    /// The log's last checkpoint when the copy began (the copy holds at least this much).
    pub checkpoint: Option<BackupCheckpoint>,
    /// Each kind's key ids (never the keys).
    pub key_ids: std::collections::BTreeMap<String, Vec<String>>,
    /// Whether the keys were written (to another directory, not named here).
    pub keys_written: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupCheckpoint {
    pub origin: String,
    pub verifier_key: String,
    pub size: i64,
    pub root_hash: String,
    pub note: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is not empty: a backup goes into a new directory")]
    NotEmpty(PathBuf),
    #[error(
        "the keys must go elsewhere than the backup ({0} is inside it, or it inside {0}): a backup \
         holding the document key beside the documents defeats their encryption"
    )]
    KeysBesideBackup(PathBuf),
    #[error("{0} holds no kaiji backup (no readable manifest.json)")]
    NoManifest(PathBuf),
    #[error(
        "the backup's database file does not match its manifest (SHA-256 differs): it was damaged or changed"
    )]
    Damaged,
    #[error("this backup was made on {made}; the configured database is {here}")]
    OtherBackend { made: String, here: String },
    #[error(
        "the database to restore into is not empty: restore into a new database or data directory"
    )]
    TargetNotEmpty,
    #[error(
        "the restored database records other keys ({0}): give the backup's keys (`--keys DIR`, or the \
         KAIJI_*_KEY settings of the instance that made it)"
    )]
    Keys(String),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<DbError> for BackupError {
    fn from(e: DbError) -> Self {
        BackupError::App(AppError::from(e))
    }
}

impl From<diesel::result::Error> for BackupError {
    fn from(e: diesel::result::Error) -> Self {
        BackupError::App(AppError::from(e))
    }
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> BackupError + 'a {
    move |source| BackupError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn sha256_of(path: &Path) -> Result<String, BackupError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(io("read", path))?;
    let mut hash = sha2::Sha256::new();
    let mut buf = vec![0_u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io("read", path))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    Ok(hex::encode(hash.finalize()))
}

/// Whether `a` is `b` or inside it (as absolute paths, which need not exist yet).
fn within(a: &Path, b: &Path) -> bool {
    let abs = |p: &Path| {
        std::path::absolute(p)
            .map(|p| p.components().collect::<PathBuf>())
            .unwrap_or_else(|_| p.to_owned())
    };
    abs(a).starts_with(abs(b))
}

fn empty_or_new(dir: &Path) -> Result<(), BackupError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(io("read", dir))?
            .next()
            .is_some()
    {
        return Err(BackupError::NotEmpty(dir.to_owned()));
    }
    crate::security::files::private_dir(dir).map_err(io("create", dir))
}

/// `kaiji backup DIR [--keys KEYDIR]`: a consistent copy of the database while the service runs, its
/// manifest, and (to `keys_dir`, apart) the key rings. Audited.
pub fn backup(
    db: &Db,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
    dir: &Path,
    keys_dir: Option<&Path>,
) -> Result<Manifest, BackupError> {
    if let Some(k) = keys_dir
        && (within(k, dir) || within(dir, k))
    {
        return Err(BackupError::KeysBesideBackup(k.to_owned()));
    }
    empty_or_new(dir)?;
    if let Some(k) = keys_dir {
        empty_or_new(k)?;
    }
    let checkpoint = {
        let mut conn = db.conn()?;
        let state = crate::db::tlog::state(&mut conn)?;
        crate::db::tlog::latest_checkpoint(&mut conn)?.map(|cp| BackupCheckpoint {
            origin: state.origin.clone().unwrap_or_default(),
            verifier_key: state.verifier_key.clone().unwrap_or_default(),
            size: cp.size,
            root_hash: cp.root_hash,
            note: cp.note,
        })
    };
    let file = match &config.database {
        DatabaseUrl::Sqlite(_) => {
            let to = dir.join(SQLITE_FILE);
            copy::sqlite_copy(&mut *db.conn()?, &to)?;
            crate::security::files::tighten(&to).map_err(io("protect", &to))?;
            SQLITE_FILE
        }
        DatabaseUrl::Postgres(url) => {
            let to = dir.join(PG_FILE);
            copy::pg_dump(url, &to)?;
            crate::security::files::tighten(&to).map_err(io("protect", &to))?;
            PG_FILE
        }
    };
    let mut key_ids = std::collections::BTreeMap::new();
    for &kind in KeyKind::ALL {
        if let Some(ring) = super::key_set::ring_of(keys, kind) {
            key_ids.insert(kind.to_string(), ring.ids());
        }
    }
    if let Some(k) = keys_dir {
        for &kind in KeyKind::ALL {
            if let Some(ring) = super::key_set::ring_of(keys, kind) {
                let path = k.join(format!("{kind}.key"));
                crate::security::files::write_new_private(&path, ring.to_file_text().as_bytes())
                    .map_err(io("write", &path))?;
            }
        }
    }
    let manifest = Manifest {
        format: "kaiji-backup/1".into(),
        kaiji_version: env!("CARGO_PKG_VERSION").into(),
        backend: config.database.backend().into(),
        taken_at: clock.now(),
        database_file: file.into(),
        database_sha256: sha256_of(&dir.join(file))?,
        checkpoint,
        key_ids,
        keys_written: keys_dir.is_some(),
    };
    let path = dir.join(MANIFEST);
    let text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| AppError::Definition(e.to_string()))?;
    crate::security::files::write_new_private(&path, &text).map_err(io("write", &path))?;
    let mut conn = db.conn()?;
    write_tx(&mut conn, |c| {
        crate::db::audit::append(
            c,
            &NewAuditEvent::new(AuditAction::BackupMade, Actor::System("cli"), clock.now())
                .details(serde_json::json!({
                    "backend": manifest.backend,
                    "database_sha256": manifest.database_sha256,
                    "tree_size": manifest.checkpoint.as_ref().map(|c| c.size),
                    "keys_written": manifest.keys_written,
                })),
        )
    })?;
    Ok(manifest)
}

/// Reads a backup's manifest. Its database file is one of the two names a backup writes, inside the
/// backup: a manifest naming another path is not a backup's.
pub fn manifest_of(dir: &Path) -> Result<Manifest, BackupError> {
    let text =
        std::fs::read(dir.join(MANIFEST)).map_err(|_| BackupError::NoManifest(dir.to_owned()))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|_| BackupError::NoManifest(dir.to_owned()))?;
    let expected = match manifest.backend.as_str() {
        "sqlite" => SQLITE_FILE,
        "postgres" => PG_FILE,
        _ => return Err(BackupError::NoManifest(dir.to_owned())),
    };
    if manifest.database_file != expected {
        return Err(BackupError::NoManifest(dir.to_owned()));
    }
    Ok(manifest)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// The log's new name and verifier key (none when the backup's log had never signed).
    pub origin: Option<String>,
    pub verifier_key: Option<String>,
}

/// The name of the log's epoch after a restore at `now`: the old name without an earlier restore's
/// suffix, then `/restore-{UTC time}`.
pub fn epoch_origin(old: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let base = old.rsplit_once("/restore-").map_or(old, |(base, _)| base);
    format!("{base}/restore-{}", now.format("%Y%m%dT%H%M%SZ"))
}

/// Copies the key files of `keys_dir` into the data directory (which must not hold others).
pub fn restore_keys(config: &Config, keys_dir: &Path) -> Result<(), BackupError> {
    crate::security::files::private_dir(&config.service.data_dir)
        .map_err(io("create", &config.service.data_dir))?;
    // The assertion key has no key file: it is always a setting.
    for kind in [KeyKind::Session, KeyKind::Document, KeyKind::Audit] {
        let from = keys_dir.join(format!("{kind}.key"));
        let Some(to) = config.key_file(kind) else {
            continue;
        };
        if from.exists() {
            let text = std::fs::read(&from).map_err(io("read", &from))?;
            // A key file already there must be the same (a restore tried before); never replaced.
            if to.exists() && std::fs::read(&to).map_err(io("read", &to))? == text {
                continue;
            }
            crate::security::files::write_new_private(&to, &text).map_err(io("write", &to))?;
        }
    }
    Ok(())
}

/// `kaiji restore DIR`, first: the backup is whole (its database file's digest is the manifest's)
/// and for this backend.
pub fn check(config: &Config, dir: &Path) -> Result<Manifest, BackupError> {
    let manifest = manifest_of(dir)?;
    if manifest.backend != config.database.backend() {
        return Err(BackupError::OtherBackend {
            made: manifest.backend.clone(),
            here: config.database.backend().into(),
        });
    }
    if sha256_of(&dir.join(&manifest.database_file))? != manifest.database_sha256 {
        return Err(BackupError::Damaged);
    }
    Ok(manifest)
}

/// `kaiji restore DIR`, then: the backup's database (its digest checked) into the configured one,
/// which must be empty: a SQLite file not there yet, or a PostgreSQL database without tables.
pub fn place_database(config: &Config, dir: &Path) -> Result<Manifest, BackupError> {
    let manifest = manifest_of(dir)?;
    if manifest.backend != config.database.backend() {
        return Err(BackupError::OtherBackend {
            made: manifest.backend.clone(),
            here: config.database.backend().into(),
        });
    }
    let file = dir.join(&manifest.database_file);
    if sha256_of(&file)? != manifest.database_sha256 {
        return Err(BackupError::Damaged);
    }
    match &config.database {
        DatabaseUrl::Sqlite(path) => {
            if path.exists() {
                return Err(BackupError::TargetNotEmpty);
            }
            if let Some(parent) = path.parent() {
                crate::security::files::private_dir(parent).map_err(io("create", parent))?;
            }
            std::fs::copy(&file, path).map_err(io("copy to", path))?;
            crate::security::files::tighten(path).map_err(io("protect", path))?;
        }
        DatabaseUrl::Postgres(url) => {
            let db = Db::open(&config.database, 1)?;
            if !copy::is_empty(&mut *db.conn()?)? {
                return Err(BackupError::TargetNotEmpty);
            }
            drop(db);
            copy::pg_restore(url, &file)?;
        }
    }
    Ok(manifest)
}

/// `kaiji restore DIR`, last step, on the restored and migrated database: the key set checked (the
/// keys must be the backup's), then the audit log's new epoch, whose first leaf records the restore
/// and the backup's last checkpoint. Audited by that leaf.
pub fn start_epoch(
    db: &Db,
    config: &Config,
    keys: &Keys,
    clock: &Clock,
    manifest: Manifest,
) -> Result<Restored, BackupError> {
    super::key_set::check_or_record(db, config, keys, clock)
        .map_err(|e| BackupError::Keys(e.to_string()))?;
    let mut conn = db.conn()?;
    let now = clock.now();
    let state = crate::db::tlog::state(&mut conn)?;
    let old_origin = state
        .origin
        .clone()
        .unwrap_or_else(|| config.audit.audit_origin.clone());
    let origin = epoch_origin(&old_origin, now);
    let last = crate::db::tlog::latest_checkpoint(&mut conn)?;
    let backup_size = last.as_ref().map_or(0, |c| c.size);
    let signed_before = state.verifier_key.is_some();
    write_tx(&mut conn, |c| -> Result<(), AppError> {
        let id = crate::db::audit::append_returning_id(
            c,
            &NewAuditEvent::new(AuditAction::AuditRestored, Actor::System("cli"), now).details(
                serde_json::json!({
                    "backup_taken_at": manifest.taken_at,
                    "backup_database_sha256": manifest.database_sha256,
                    "previous_origin": old_origin,
                    "previous_verifier_key": state.verifier_key,
                    "backup_tree_size": backup_size,
                    "backup_checkpoint": last.as_ref().map(|c| c.note.clone()),
                    "origin": origin,
                }),
            ),
        )?;
        super::sequencer::begin_epoch(c, config, keys, &origin, &id, backup_size.max(0) as u64)?;
        Ok(())
    })?;
    let state = crate::db::tlog::state(&mut conn)?;
    Ok(Restored {
        manifest,
        origin: signed_before.then_some(origin),
        verifier_key: signed_before.then_some(state.verifier_key).flatten(),
    })
}
