//! What the audit log proves to someone outside kaiji: its signed checkpoints, an event's inclusion
//! in a checkpoint's tree, a tree's consistency with an older one (a checkpoint kept elsewhere), and a
//! request's evidence pack (its events, their proofs and the checkpoint), checkable offline.
//!
//! Every proof is made from the stored tiles, authenticated against the signed root as it is read, and
//! checked before it is handed out: a proof kaiji gives always verifies, or kaiji says the stored log
//! is damaged.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;

use super::AppError;
use super::audit_key::{log_context, log_history, open_row, status_of, tree_head};
use crate::config::{Config, Keys};
use crate::db::{AnyConnection, Db, audit, tlog};
use crate::domain::audit::Era;
use crate::domain::code::Code;
use crate::domain::tlog::{
    Hash, KeyHistory, ProofError, TileSource, check_consistency, check_inclusion,
    consistency_proof, inclusion_proof, leaf_hash, root_at, to_base64,
};

/// Tiles by (level, index); `None` for one the database does not hold.
type TileCache = HashMap<(u8, u64), Option<Vec<u8>>>;

/// Stored tiles, read through one connection, each once per use.
struct DbTiles<'a> {
    conn: RefCell<&'a mut AnyConnection>,
    cache: RefCell<TileCache>,
}

impl<'a> DbTiles<'a> {
    fn new(conn: &'a mut AnyConnection) -> Self {
        Self {
            conn: RefCell::new(conn),
            cache: RefCell::new(HashMap::new()),
        }
    }
}

impl TileSource for DbTiles<'_> {
    fn tiles(&self, wanted: &[(u8, u64)]) -> Result<Vec<Option<Vec<u8>>>, String> {
        let mut cache = self.cache.borrow_mut();
        let missing: Vec<(u8, u64)> = wanted
            .iter()
            .filter(|k| !cache.contains_key(k))
            .copied()
            .collect();
        if !missing.is_empty() {
            let mut conn = self.conn.borrow_mut();
            let found = tlog::tiles(&mut conn, &missing).map_err(|e| e.to_string())?;
            for (k, v) in missing.into_iter().zip(found) {
                cache.insert(k, v);
            }
        }
        Ok(wanted
            .iter()
            .map(|k| cache.get(k).cloned().flatten())
            .collect())
    }
}

/// The audit path of the event numbered `seq`, whose leaf hash is `leaf`, in the signed tree `cp`:
/// checked before it is handed out, so that an event changed after it was integrated is said to be.
fn proven_path<S: TileSource>(
    tiles: &S,
    cp: &crate::domain::tlog::Checkpoint,
    seq: i64,
    leaf: Hash,
) -> Result<Vec<Hash>, AppError> {
    let index = (seq - 1) as u64;
    let path = inclusion_proof(tiles, cp.size, cp.root, index).map_err(proof_error)?;
    if !check_inclusion(&path, cp.size, cp.root, index, leaf) {
        return Err(AppError::AuditLogDamaged(format!(
            "event {seq} is not the one the tree holds: it changed after it was integrated"
        )));
    }
    Ok(path)
}

fn proof_error(e: ProofError) -> AppError {
    match e {
        ProofError::OutOfRange(_) => AppError::NotFound,
        ProofError::Damaged(why) => AppError::AuditLogDamaged(why),
    }
}

fn b64_all(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(to_base64).collect()
}

/// Whether the stored tiles authenticate against the signed root of the tree of `size` leaves (as
/// every proof needs). Blocking.
pub fn tiles_authenticate(db: &Db, size: i64, root: Hash) -> Result<(), AppError> {
    let mut conn = db.conn()?;
    let tiles = DbTiles::new(&mut conn);
    inclusion_proof(&tiles, size as u64, root, size as u64 - 1)
        .map(|_| ())
        .map_err(proof_error)
}

/// A signed checkpoint, with what a reader needs to check it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckpointView {
    pub origin: String,
    pub tree_size: i64,
    /// Base64 SHA-256.
    pub root_hash: String,
    /// The signed note (C2SP tlog-checkpoint), exactly as signed.
    pub checkpoint: String,
    /// The signed-note verifier key (`origin+keyid+base64`).
    pub verifier_key: String,
    pub signed_at: chrono::DateTime<chrono::Utc>,
}

/// The latest checkpoint (or the one of `size` leaves), its signature checked. Blocking.
pub fn checkpoint(
    db: &Db,
    config: &Config,
    keys: &Keys,
    size: Option<i64>,
) -> Result<CheckpointView, AppError> {
    let mut conn = db.conn()?;
    let history = log_history(&mut conn, config, keys)?;
    let row = match size {
        Some(s) => tlog::checkpoint(&mut conn, s)?,
        None => tlog::latest_checkpoint(&mut conn)?,
    }
    .ok_or(AppError::NotFound)?;
    let opened = open_row(&row, &history)?;
    let vkey = history.key_for(opened.size).to_owned();
    Ok(CheckpointView {
        origin: opened.origin,
        tree_size: row.size,
        root_hash: to_base64(&opened.root),
        checkpoint: row.note,
        verifier_key: vkey,
        signed_at: row.signed_at.and_utc(),
    })
}

/// An RFC 9162 inclusion proof of one event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub event_id: String,
    pub seq: i64,
    /// `seq - 1`.
    pub leaf_index: i64,
    pub tree_size: i64,
    pub root_hash: String,
    /// Base64 of the exact bytes hashed as the leaf (the event's canonical form).
    pub leaf_data: String,
    /// `SHA-256(0x00 || leaf_data)`, base64.
    pub leaf_hash: String,
    /// The audit path, leaf to root: base64 SHA-256 node hashes.
    pub audit_path: Vec<String>,
    /// The signed checkpoint whose root the path leads to.
    pub checkpoint: String,
}

/// The inclusion proof of event `event_id` in the latest checkpoint (or the one of `size`). Blocking.
pub fn inclusion(
    db: &Db,
    config: &Config,
    keys: &Keys,
    event_id: &str,
    size: Option<i64>,
) -> Result<InclusionProof, AppError> {
    let mut conn = db.conn()?;
    let (history, chain_size) = log_context(&mut conn, config, keys)?;
    let event = audit::find(&mut conn, event_id)?.ok_or(AppError::NotFound)?;
    if event.details_sha256.is_none() {
        // Written before the chain existed: nothing covers it.
        return Err(AppError::NotFound);
    }
    let seq = event.seq.ok_or(AppError::NotYetIntegrated)?;
    let row = match size {
        Some(s) => tlog::checkpoint(&mut conn, s)?.ok_or(AppError::NotFound)?,
        None => tlog::latest_checkpoint(&mut conn)?.ok_or(AppError::NotYetIntegrated)?,
    };
    if row.size < seq {
        return Err(if size.is_some() {
            AppError::NotFound
        } else {
            AppError::NotYetIntegrated
        });
    }
    let cp = open_row(&row, &history)?;
    let data = event
        .leaf_data(chain_size)
        .map_err(|p| AppError::AuditLogDamaged(format!("event {seq}: {p:?}")))?;
    let leaf = leaf_hash(&data);
    let path = proven_path(&DbTiles::new(&mut conn), &cp, seq, leaf)?;
    Ok(InclusionProof {
        event_id: event.id,
        seq,
        leaf_index: seq - 1,
        tree_size: row.size,
        root_hash: to_base64(&cp.root),
        leaf_data: B64.encode(&data),
        leaf_hash: to_base64(&leaf),
        audit_path: b64_all(&path),
        checkpoint: row.note,
    })
}

/// An RFC 9162 consistency proof between two sizes of the log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsistencyProof {
    pub first_size: i64,
    pub first_root: String,
    /// The signed checkpoint of the first size, when the log signed one of that size.
    pub first_checkpoint: Option<String>,
    pub second_size: i64,
    pub second_root: String,
    pub second_checkpoint: String,
    /// Base64 SHA-256 node hashes (RFC 9162 §2.1.4).
    pub proof: Vec<String>,
}

/// The proof that the latest checkpoint (or the one of `to`) extends the log's first `from` events.
/// Blocking.
pub fn consistency(
    db: &Db,
    config: &Config,
    keys: &Keys,
    from: i64,
    to: Option<i64>,
) -> Result<ConsistencyProof, AppError> {
    let mut conn = db.conn()?;
    let history = log_history(&mut conn, config, keys)?;
    let row = match to {
        Some(s) => tlog::checkpoint(&mut conn, s)?,
        None => tlog::latest_checkpoint(&mut conn)?,
    }
    .ok_or(AppError::NotFound)?;
    if from < 0 || from > row.size {
        return Err(AppError::NotFound);
    }
    let first_checkpoint = tlog::checkpoint(&mut conn, from)?.map(|c| c.note);
    let cp = open_row(&row, &history)?;
    let tiles = DbTiles::new(&mut conn);
    let first_root = root_at(&tiles, cp.size, cp.root, from as u64).map_err(proof_error)?;
    let proof = consistency_proof(&tiles, cp.size, cp.root, from as u64).map_err(proof_error)?;
    if !check_consistency(&proof, cp.size, cp.root, from as u64, first_root) {
        return Err(AppError::AuditLogDamaged(
            "the stored tree gives a proof that does not check".into(),
        ));
    }
    Ok(ConsistencyProof {
        first_size: from,
        first_root: to_base64(&first_root),
        first_checkpoint,
        second_size: row.size,
        second_root: to_base64(&cp.root),
        second_checkpoint: row.note,
        proof: b64_all(&proof),
    })
}

/// Whether the log extends a checkpoint kept outside it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeptCheck {
    /// True when the kept checkpoint is the log's, and the log's latest checkpoint extends it.
    pub consistent: bool,
    /// `malformed`, `bad_signature` (not signed by the log's key), `wrong_origin`, `truncated` (the
    /// log is shorter than the kept checkpoint: events were removed), `fork` (the log signed another
    /// root for the same size), `inconsistent` (the log's tree does not extend the kept one),
    /// `tree_damaged` (the stored tree does not give a proof), `nothing_signed`.
    pub problem: Option<&'static str>,
    pub kept_size: Option<u64>,
    pub kept_root: Option<String>,
    pub current_size: i64,
    pub current_root: Option<String>,
    pub current_checkpoint: Option<String>,
    /// The consistency proof from the kept size to the current one (base64 node hashes).
    pub proof: Vec<String>,
}

/// Checks a checkpoint kept elsewhere against the log: signed by the log's key, and extended by the
/// log's latest checkpoint (consistency proof from the stored tiles). Blocking.
pub fn check_kept(
    conn: &mut AnyConnection,
    history: &KeyHistory,
    note: &[u8],
) -> Result<KeptCheck, AppError> {
    let latest = tlog::latest_checkpoint(conn)?;
    let mut out = KeptCheck {
        consistent: false,
        problem: None,
        kept_size: None,
        kept_root: None,
        current_size: latest.as_ref().map_or(0, |c| c.size),
        current_root: latest.as_ref().map(|c| c.root_hash.clone()),
        current_checkpoint: latest.as_ref().map(|c| c.note.clone()),
        proof: Vec::new(),
    };
    let kept = match history.open(note) {
        Ok(k) => k,
        Err(e) => {
            out.problem = Some(e.code());
            return Ok(out);
        }
    };
    out.kept_size = Some(kept.size);
    out.kept_root = Some(to_base64(&kept.root));
    if latest.is_none() {
        out.problem = Some("nothing_signed");
        return Ok(out);
    }
    let (size, root) = match tree_head(conn, history) {
        Ok(head) => head,
        Err(AppError::AuditLogDamaged(_)) => {
            out.problem = Some("tree_damaged");
            return Ok(out);
        }
        Err(e) => return Err(e),
    };
    if kept.size > size as u64 {
        out.problem = Some("truncated");
        return Ok(out);
    }
    if let Some(same) = tlog::checkpoint(conn, kept.size as i64)?
        && same.root_hash != to_base64(&kept.root)
    {
        out.problem = Some("fork");
        return Ok(out);
    }
    let tiles = DbTiles::new(conn);
    match consistency_proof(&tiles, size as u64, root, kept.size) {
        Ok(proof) => {
            if check_consistency(&proof, size as u64, root, kept.size, kept.root) {
                out.consistent = true;
            } else {
                out.problem = Some("inconsistent");
            }
            out.proof = b64_all(&proof);
        }
        Err(_) => out.problem = Some("tree_damaged"),
    }
    Ok(out)
}

/// `check_kept` for a caller with the pool (the API's `POST /api/v1/audit/verify`). Blocking.
pub fn verify_against(
    db: &Db,
    config: &Config,
    keys: &Keys,
    note: &[u8],
) -> Result<KeptCheck, AppError> {
    let mut conn = db.conn()?;
    let history = log_history(&mut conn, config, keys)?;
    check_kept(&mut conn, &history, note)
}

/// One event of an evidence pack, with its proof.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvidenceEvent {
    pub seq: i64,
    pub leaf_index: i64,
    /// `chain` (written before the tree: its leaf is the chain's canonical form) or `tree`.
    pub era: &'static str,
    pub id: String,
    pub occurred_at: String,
    pub action: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    /// The details (erased ones read `{"redacted":true}`, with no salt).
    pub details: String,
    /// Hex; `SHA-256(salt || details)` in the tree era, `SHA-256(details)` in the chain era.
    pub details_salt: Option<String>,
    pub details_sha256: Option<String>,
    pub redacted_at: Option<String>,
    pub leaf_data: String,
    pub leaf_hash: String,
    pub audit_path: Vec<String>,
}

/// A request's events with their inclusion proofs in one signed checkpoint, for a regulator to check
/// without kaiji.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvidencePack {
    pub request_id: String,
    pub origin: String,
    pub verifier_key: String,
    pub checkpoint: String,
    pub tree_size: i64,
    pub root_hash: String,
    pub events: Vec<EvidenceEvent>,
    /// Events of the request that no checkpoint covers yet (committed within the merge delay) or that
    /// were written before the log was chained.
    pub not_covered: Vec<String>,
    pub how_to_check: &'static str,
}

const HOW_TO_CHECK: &str = "1. Open `checkpoint` (a C2SP signed note) with `verifier_key` (C2SP signed-note, Ed25519); it names `origin`, `tree_size` and `root_hash`. 2. For each event: base64-decode `leaf_data`; for era `tree` it is the JSON array [\"kaiji-audit/2\", seq, id, occurred_at, action, actor_kind, actor_id, request_id, from_state, to_state, details_sha256] and details_sha256 = hex SHA-256(hex-decoded details_salt || details) unless the details were erased; for era `chain` it is [seq, id, occurred_at, action, actor_kind, actor_id, request_id, from_state, to_state, details_sha256, prev_hash] and details_sha256 = hex SHA-256(details). 3. leaf_hash = SHA-256(0x00 || leaf_data). 4. Check `audit_path` as an RFC 9162 §2.1.3.2 inclusion proof of leaf_hash at leaf_index in the tree of tree_size leaves with root root_hash (node hash SHA-256(0x01 || left || right)).";

/// The evidence pack of one request against the latest checkpoint. Blocking.
pub fn evidence_pack(
    db: &Db,
    config: &Config,
    keys: &Keys,
    request_id: &str,
) -> Result<EvidencePack, AppError> {
    let mut conn = db.conn()?;
    let (history, chain_size) = log_context(&mut conn, config, keys)?;
    let row = tlog::latest_checkpoint(&mut conn)?.ok_or(AppError::NotYetIntegrated)?;
    let cp = open_row(&row, &history)?;
    let vkey = history.key_for(cp.size).to_owned();
    let all = audit::list_for_request(&mut conn, request_id)?;
    if all.is_empty() {
        return Err(AppError::NotFound);
    }
    let not_covered = all
        .iter()
        .filter(|e| e.seq.is_none_or(|s| s > row.size))
        .map(|e| e.id.clone())
        .collect();
    let mut covered: Vec<_> = all
        .into_iter()
        .filter(|e| e.seq.is_some_and(|s| s <= row.size))
        .collect();
    covered.sort_by_key(|e| e.seq);
    let tiles = DbTiles::new(&mut conn);
    let mut events = Vec::with_capacity(covered.len());
    for e in covered {
        let seq = e.seq.unwrap_or_default();
        let data = e
            .leaf_data(chain_size)
            .map_err(|p| AppError::AuditLogDamaged(format!("event {seq}: {p:?}")))?;
        let leaf = leaf_hash(&data);
        let path = proven_path(&tiles, &cp, seq, leaf)?;
        events.push(EvidenceEvent {
            seq,
            leaf_index: seq - 1,
            era: Era::of(seq, chain_size).as_str(),
            occurred_at: crate::db::audit::chain_time(e.occurred_at),
            redacted_at: e.redacted_at.map(crate::db::audit::chain_time),
            id: e.id,
            action: e.action,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            from_state: e.from_state,
            to_state: e.to_state,
            details: e.details,
            details_salt: e.details_salt,
            details_sha256: e.details_sha256,
            leaf_data: B64.encode(&data),
            leaf_hash: to_base64(&leaf),
            audit_path: b64_all(&path),
        });
    }
    Ok(EvidencePack {
        request_id: request_id.to_owned(),
        origin: cp.origin,
        verifier_key: vkey,
        checkpoint: row.note,
        tree_size: row.size,
        root_hash: to_base64(&cp.root),
        events,
        not_covered,
        how_to_check: HOW_TO_CHECK,
    })
}

/// What the audit page shows about the log's integrity.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The key checkpoints are signed with (as recorded, or this instance's before any signing).
    pub verifier_key: String,
    /// Set when this instance holds another key than the log's (it then never signs).
    pub other_key: Option<String>,
    pub latest: Option<tlog::CheckpointRow>,
    pub pending: i64,
    pub chain_size: i64,
    /// The 99th percentile of the last integrated events' merge delay, in milliseconds.
    pub recent_merge_delay_p99_ms: Option<i64>,
}

/// The page's view of the log. Blocking.
pub fn overview(db: &Db, config: &Config, keys: &Keys) -> Result<Overview, AppError> {
    let mut conn = db.conn()?;
    let state = tlog::state(&mut conn)?;
    use super::audit_key::KeyStatus;
    let (verifier_key, other_key) = match status_of(&state, config, keys)? {
        KeyStatus::Recorded { verifier_key } | KeyStatus::Unrecorded { verifier_key } => {
            (verifier_key, None)
        }
        // The next checkpoint hands the log over to this instance's key.
        KeyStatus::HandingOver { recorded, .. } => (recorded, None),
        KeyStatus::Different { recorded, ours } => (recorded, Some(ours)),
    };
    Ok(Overview {
        verifier_key,
        other_key,
        latest: tlog::latest_checkpoint(&mut conn)?,
        pending: audit::pending_count(&mut conn)?,
        chain_size: state.chain_size,
        recent_merge_delay_p99_ms: audit::recent_merge_delays_ms(&mut conn, 1_000)?.and_then(
            |mut d| {
                d.sort_unstable();
                d.get((d.len() * 99).div_ceil(100).saturating_sub(1))
                    .copied()
            },
        ),
    })
}
