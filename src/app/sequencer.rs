//! The audit log's sequencer: one at a time (PostgreSQL's advisory lock, SQLite's single writer), it
//! integrates committed events in batches. Each batch, in one transaction: the events get their
//! sequence numbers, their leaves extend the Merkle tree (its tiles), and a new checkpoint of the tree
//! is signed. Writers never wait for it; an event is covered by a signed checkpoint one batch after it
//! commits (the merge delay, measured as `integrated_at - committed_at`).
//!
//! Any instance holding the log's signing key may run it (inside `serve`, `kaiji worker`, or `kaiji
//! audit sequence`); an instance holding another key never signs, and says so at start.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::audit_key::{history_of, key_of, log_history, older_key, tree_head};
use super::{AppError, AppState};
use crate::config::{Config, Keys};
use crate::db::{self, AnyConnection, Db, audit, tlog, write_tx};
use crate::domain::tlog::{
    Handover, Hash, LogKey, StoredTile, TreeAppender, edge_tiles, leaf_hash, sign_checkpoint_by,
    to_base64,
};

/// Events per batch: enough to keep up with any intake rate, few enough that a batch stays short.
pub const BATCH: i64 = 5_000;

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pass {
    /// A batch was integrated and a checkpoint of `size` leaves signed.
    Integrated { size: i64, events: usize },
    /// Nothing was waiting.
    Idle,
    /// Another instance is sequencing right now.
    Busy,
}

/// One sequencer pass over at most `max` events. Blocking.
pub fn integrate(db: &Db, config: &Config, keys: &Keys, max: i64) -> Result<Pass, AppError> {
    let mut conn = db.conn()?;
    // Most passes find nothing: a read says so without taking SQLite's write lock (writers would wait).
    if !audit::anything_to_integrate(&mut conn)? {
        return Ok(Pass::Idle);
    }
    write_tx(&mut conn, |conn| integrate_in(conn, config, keys, max))
}

fn integrate_in(
    conn: &mut AnyConnection,
    config: &Config,
    keys: &Keys,
    max: i64,
) -> Result<Pass, AppError> {
    let Some(batch) = Batch::begin(conn, config, keys)? else {
        return Ok(Pass::Busy);
    };
    // The chain's events first (a database upgraded from the hash chain), in chain order; then what
    // writers committed since, numbered in id order (ids are time-ordered).
    let size = batch.size();
    let rows = if size < batch.chain_size {
        let up_to = (size + max.max(1)).min(batch.chain_size);
        audit::sequenced_between(conn, size, up_to)?
    } else {
        audit::pending(conn, max)?
    };
    if rows.is_empty() {
        return Ok(Pass::Idle);
    }
    number_and_sign(conn, batch, rows)
}

/// Numbers `rows` on from the batch's size (the hash chain's events keep theirs), pushes them, and
/// signs the grown tree.
fn number_and_sign(
    conn: &mut AnyConnection,
    mut batch: Batch,
    rows: Vec<audit::AuditEventRow>,
) -> Result<Pass, AppError> {
    let size = batch.size();
    let mut numbered = Vec::with_capacity(rows.len());
    for mut row in rows {
        let seq = batch.size() + 1;
        if seq > batch.chain_size {
            row.seq = Some(seq);
            numbered.push((row.id.clone(), seq));
        } else if row.seq != Some(seq) {
            return Err(AppError::AuditLogDamaged(format!(
                "chain event {seq} is missing"
            )));
        }
        batch.push(&row)?;
    }
    // The merge delay is a wall-clock figure, whatever clock the use cases run on.
    let now = db::to_db_time(chrono::Utc::now());
    if audit::assign_seqs(conn, &numbered, now)? != numbered.len() {
        // Another writer numbered them: never two sequencers. Nothing of this batch is kept.
        return Err(AppError::Conflict);
    }
    let events = (batch.size() - size) as usize;
    let size = batch.finish(conn, now)?;
    Ok(Pass::Integrated { size, events })
}

/// A restore's first batch, inside the caller's write transaction: the log goes on under `origin`, its
/// new name, and the restore's own record (event `first`) is the new epoch's first leaf, before what
/// the backup held unsequenced. Its checkpoint is signed under the new name only and hands the log
/// over, with the backup's size: whatever the old name signed past it was lost. A log that never
/// signed anything simply goes on.
pub fn begin_epoch(
    conn: &mut AnyConnection,
    config: &Config,
    keys: &Keys,
    origin: &str,
    first: &str,
    backup_size: u64,
) -> Result<Pass, AppError> {
    if !tlog::try_sequencer_lock(conn)? {
        return Err(AppError::Conflict);
    }
    let state = tlog::state(conn)?;
    let Some(recorded) = state.verifier_key.clone() else {
        return integrate_in(conn, config, keys, BATCH);
    };
    let old = key_of(&state, config, keys)?;
    if old.verifier_key() != recorded {
        return Err(AppError::AuditKeyMismatch { recorded });
    }
    let key = LogKey::new(origin, &keys.audit_seed())
        .map_err(|_| AppError::NotConfigured("KAIJI_AUDIT_ORIGIN"))?;
    let history = history_of(conn, &state, config, keys)?;
    let (size, root) = tree_head(conn, &history)?;
    if size < state.chain_size {
        return Err(AppError::AuditLogDamaged(
            "the restored log's hash chain is not integrated yet".into(),
        ));
    }
    let batch = Batch {
        appender: appender_at(conn, size, root)?,
        key,
        previous: Some(old),
        restored_from: Some(backup_size),
        chain_size: state.chain_size,
        start: size,
        buf: Vec::with_capacity(512),
    };
    let mut rows = vec![audit::find(conn, first)?.ok_or(AppError::NotFound)?];
    rows.extend(
        audit::pending(conn, BATCH)?
            .into_iter()
            .filter(|r| r.id != first),
    );
    number_and_sign(conn, batch, rows)
}

/// The sequencer's role for one transaction: the lock, the key, and the tree being extended. The
/// caller pushes events numbered from `size() + 1` on (and stores their numbers itself), then
/// `finish` writes the grown tiles and the signed checkpoint.
pub struct Batch {
    key: LogKey,
    /// After a rotation, the key the log still names: it signs this batch's checkpoint too, and the
    /// log is handed over to `key` there.
    previous: Option<LogKey>,
    /// A restore's first batch: the size of the backup's last checkpoint (`previous` is the log's
    /// key under its old name, `key` the same key under the new one).
    restored_from: Option<u64>,
    pub chain_size: i64,
    start: i64,
    appender: TreeAppender,
    buf: Vec<u8>,
}

impl Batch {
    /// Takes the role inside the caller's write transaction; `None` if another instance holds it.
    /// Records this instance's key on first use, and refuses to sign under another than the log's
    /// (unless the log's is an older key of this instance's ring: a rotation, handed over here).
    pub fn begin(
        conn: &mut AnyConnection,
        config: &Config,
        keys: &Keys,
    ) -> Result<Option<Self>, AppError> {
        if !tlog::try_sequencer_lock(conn)? {
            return Ok(None);
        }
        let state = tlog::state(conn)?;
        let key = key_of(&state, config, keys)?;
        let ours = key.verifier_key();
        let mut previous = None;
        match &state.verifier_key {
            Some(recorded) if *recorded != ours => {
                previous = older_key(&state, config, keys, recorded)?;
                if previous.is_none() {
                    return Err(AppError::AuditKeyMismatch {
                        recorded: recorded.clone(),
                    });
                }
            }
            Some(_) => {}
            None => {
                tlog::record_key(
                    conn,
                    key.origin(),
                    &ours,
                    db::to_db_time(chrono::Utc::now()),
                )?;
            }
        }
        let recorded = tlog::state(conn)?;
        let history = history_of(conn, &recorded, config, keys)?;
        let (size, root) = tree_head(conn, &history)?;
        Ok(Some(Self {
            appender: appender_at(conn, size, root)?,
            key,
            previous,
            restored_from: None,
            chain_size: state.chain_size,
            start: size,
            buf: Vec::with_capacity(512),
        }))
    }

    /// The tree's size with what was pushed.
    pub fn size(&self) -> i64 {
        self.appender.size() as i64
    }

    /// Adds the event numbered `size() + 1` (its `seq` already set to that).
    pub fn push(&mut self, row: &crate::db::audit::AuditEventRow) -> Result<(), AppError> {
        let seq = self.size() + 1;
        if row.seq != Some(seq) {
            return Err(AppError::AuditLogDamaged(format!(
                "event {} pushed as {seq}",
                row.seq.unwrap_or_default()
            )));
        }
        row.write_leaf_data(self.chain_size, &mut self.buf)
            .map_err(|p| AppError::AuditLogDamaged(format!("event {seq} is malformed ({p:?})")))?;
        self.appender.push(leaf_hash(&self.buf)).map_err(damaged)
    }

    /// Writes the grown tiles and signs the new checkpoint (none when nothing was pushed); returns
    /// the tree's size.
    pub fn finish(
        self,
        conn: &mut AnyConnection,
        now: chrono::NaiveDateTime,
    ) -> Result<i64, AppError> {
        let size = self.size();
        if size == self.start {
            return Ok(size);
        }
        let root = self.appender.root().map_err(damaged)?;
        // A restore's first checkpoint is signed under the new name only: the old name's checkpoints
        // end with the backup.
        let signers: Vec<&LogKey> = match self.restored_from {
            Some(_) => vec![&self.key],
            None => self.previous.iter().chain([&self.key]).collect(),
        };
        let note = sign_checkpoint_by(&signers, self.appender.size(), root)
            .map_err(|e| AppError::AuditLogDamaged(e.to_string()))?;
        tlog::write_tiles(conn, &self.appender.changed_tiles().map_err(damaged)?)?;
        tlog::insert_checkpoint(
            conn,
            &tlog::CheckpointRow {
                size,
                root_hash: to_base64(&root),
                note,
                signed_at: now,
            },
        )?;
        if let Some(previous) = &self.previous {
            // Both keys signed this checkpoint (or, after a restore, the new name did): from here on
            // the log is verified under the new one.
            tlog::hand_over(
                conn,
                &Handover {
                    at: size as u64,
                    previous: previous.verifier_key(),
                    next: self.key.verifier_key(),
                    backup_size: self.restored_from,
                },
                self.key.origin(),
                now,
            )?;
        }
        Ok(size)
    }
}

fn damaged(e: impl std::fmt::Display) -> AppError {
    AppError::AuditLogDamaged(e.to_string())
}

/// An appender on the stored tree of `size` leaves with root `root` (its edge tiles checked).
pub fn appender_at(
    conn: &mut AnyConnection,
    size: i64,
    root: Hash,
) -> Result<TreeAppender, AppError> {
    if size == 0 {
        return Ok(TreeAppender::empty());
    }
    let wanted = edge_tiles(size as u64);
    let tiles = tlog::tiles(conn, &wanted)?
        .into_iter()
        .zip(wanted)
        .filter_map(|(hashes, (level, index))| {
            hashes.map(|hashes| StoredTile {
                level,
                index,
                hashes,
            })
        })
        .collect();
    TreeAppender::new(size as u64, root, tiles).map_err(damaged)
}

/// Runs the sequencer until the process ends: a batch whenever events wait (at once again after a full
/// batch), and the latest checkpoint pushed to `KAIJI_AUDIT_CHECKPOINT_DIR` on its schedule. An
/// instance holding another key than the log's says so once and never signs.
pub async fn run(state: AppState) {
    let pause = Duration::from_millis(u64::from(state.config.audit.audit_sequence_ms));
    let push_every = Duration::from_secs(u64::from(state.config.audit.audit_push_seconds));
    let mut last_push: Option<std::time::Instant> = None;
    let mut failures = 0_u32;
    loop {
        let s = state.clone();
        let result =
            tokio::task::spawn_blocking(move || integrate(&s.db, &s.config, &s.keys, BATCH)).await;
        let full = match result {
            Ok(Ok(Pass::Integrated { events, .. })) => {
                failures = 0;
                events as i64 >= BATCH
            }
            Ok(Ok(Pass::Idle | Pass::Busy)) => {
                failures = 0;
                false
            }
            Ok(Err(AppError::AuditKeyMismatch { recorded })) => {
                tracing::error!(
                    %recorded,
                    "this instance's audit signing key is not the one the audit log recorded: it will not sequence the log (give it the log's key file, KAIJI_AUDIT_KEY)"
                );
                return;
            }
            Ok(Err(e)) => {
                failures = failures.saturating_add(1);
                tracing::error!(error = %e, "audit sequencer pass failed");
                false
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::error!(error = %e, "audit sequencer task failed");
                false
            }
        };
        if let Some(dir) = state.config.audit.audit_checkpoint_dir.clone()
            && last_push.is_none_or(|t| t.elapsed() >= push_every)
        {
            last_push = Some(std::time::Instant::now());
            let s = state.clone();
            match tokio::task::spawn_blocking(move || {
                push_checkpoint(&s.db, &s.config, &s.keys, &dir)
            })
            .await
            {
                Ok(Ok(PushOutcome::Pushed { size, .. })) => {
                    tracing::info!(size, "audit checkpoint pushed")
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "pushing the audit checkpoint failed"),
                Err(e) => tracing::error!(error = %e, "audit checkpoint push task failed"),
            }
        }
        if !full {
            // Failing passes back off (up to a minute) instead of hammering the database.
            let wait = pause
                .saturating_mul(1 << failures.min(8))
                .min(Duration::from_secs(60));
            tokio::time::sleep(wait).await;
        }
    }
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The latest checkpoint was written to the store, as this file.
    Pushed { size: i64, file: PathBuf },
    /// The store already holds the latest checkpoint.
    UpToDate { size: i64 },
    /// The log has no checkpoint yet.
    NothingSigned,
}

/// The file name a checkpoint of `size` leaves is kept under in a store (sorts by size).
pub fn store_file_name(size: i64) -> String {
    format!("{size:020}.checkpoint")
}

/// The checkpoints kept in a store (a directory written by `push_checkpoint`) or a file of notes.
pub fn read_kept(path: &Path) -> Result<Vec<String>, AppError> {
    if !path.is_dir() {
        return read_notes(path);
    }
    let mut notes = Vec::new();
    for f in store_files(path)? {
        notes.extend(read_notes(&f)?);
    }
    Ok(notes)
}

/// A store's checkpoint files, smallest tree first (their names sort by size).
fn store_files(dir: &Path) -> Result<Vec<PathBuf>, AppError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| AppError::Definition(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "checkpoint"))
        .collect();
    files.sort();
    Ok(files)
}

fn read_notes(file: &Path) -> Result<Vec<String>, AppError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| AppError::Definition(format!("{}: {e}", file.display())))?;
    Ok(crate::domain::tlog::split_notes(&text))
}

/// Appends the latest signed checkpoint to a store kept outside the database, after proving that it
/// extends the newest one the store holds (a consistency proof): a log rewritten, cut short or forked
/// since the last push is refused here, loudly, and nothing is written.
pub fn push_checkpoint(
    db: &Db,
    config: &Config,
    keys: &Keys,
    dir: &Path,
) -> Result<PushOutcome, AppError> {
    let mut conn = db.conn()?;
    let history = log_history(&mut conn, config, keys)?;
    let Some(latest) = tlog::latest_checkpoint(&mut conn)? else {
        return Ok(PushOutcome::NothingSigned);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| AppError::Definition(format!("{}: {e}", dir.display())))?;
    // Only the newest kept checkpoint matters: each one in the store was checked against the one
    // before it when it was pushed.
    let newest = match store_files(dir)?.last() {
        Some(f) => read_notes(f)?.pop(),
        None => None,
    };
    if let Some(newest) = newest {
        let check = super::audit_proofs::check_kept(&mut conn, &history, newest.as_bytes())?;
        if let Some(problem) = check.problem {
            return Err(AppError::AuditLogDamaged(format!(
                "the log does not extend the checkpoint of size {} kept in {}: {problem}",
                check.kept_size.unwrap_or_default(),
                dir.display()
            )));
        }
        if check.kept_size == Some(latest.size as u64) {
            return Ok(PushOutcome::UpToDate { size: latest.size });
        }
    }
    let file = dir.join(store_file_name(latest.size));
    let tmp = dir.join(format!(".{}.tmp", store_file_name(latest.size)));
    std::fs::write(&tmp, latest.note.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, &file))
        .map_err(|e| AppError::Definition(format!("{}: {e}", file.display())))?;
    Ok(PushOutcome::Pushed {
        size: latest.size,
        file,
    })
}
