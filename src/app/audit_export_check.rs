//! Checking an audit export after it left kaiji (`kaiji audit verify-export`): that it ends with its
//! trailer (an export cut short has none), that the trailer's row count and digest match the rows before
//! it, that its checkpoint is signed by the log's key, and, when the export holds every leaf the
//! checkpoint covers (an unfiltered export), that those leaves hash to the checkpoint's root.

use sha2::Digest;

use super::audit_log::CSV_TRAILER_MARK;
use crate::domain::tlog;

/// What a check of an export found; `Err` says what does not check out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCheck {
    pub format: &'static str,
    pub events: u64,
    pub tree_size: i64,
    /// Every leaf of the checkpoint's tree was in the export and they hash to its root.
    pub root_recomputed: bool,
    /// The checkpoint was checked with the key given, not only the one the trailer names.
    pub key_given: bool,
}

struct Parsed {
    format: &'static str,
    rows: u64,
    /// Byte offset where the trailer record starts: the digest covers everything before it.
    trailer_at: usize,
    trailer: Trailer,
    /// (seq, leaf hash) of the rows that carry both.
    leaves: Vec<(i64, String)>,
}

#[derive(serde::Deserialize)]
struct Trailer {
    tree_size: i64,
    root_hash: String,
    checkpoint: String,
    verifier_key: String,
    events_exported: u64,
    rows_sha256: String,
}

/// Checks an export's bytes. `key` is the log's verifier key as the auditor keeps it; without it the
/// trailer's own key is used, which proves the export whole but not whose log it is.
pub fn verify_export(bytes: &[u8], key: Option<&str>) -> Result<ExportCheck, String> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let parsed = if first == Some(&b'{') {
        parse_jsonl(bytes)?
    } else {
        parse_csv(bytes)?
    };
    let t = &parsed.trailer;
    if t.events_exported != parsed.rows {
        return Err(format!(
            "the trailer counts {} events but the export has {} rows",
            t.events_exported, parsed.rows
        ));
    }
    let digest = hex::encode(sha2::Sha256::digest(&bytes[..parsed.trailer_at]));
    if digest != t.rows_sha256 {
        return Err("the rows do not hash to the trailer's digest: the export was changed".into());
    }
    let vkey = key.unwrap_or(&t.verifier_key);
    if key.is_some_and(|k| k != t.verifier_key) {
        return Err("the trailer names another key than the one given".into());
    }
    let root = tlog::from_base64(&t.root_hash).ok_or("the trailer's root hash is not base64")?;
    if t.checkpoint.is_empty() {
        if t.tree_size != 0 || root != tlog::EMPTY_HASH {
            return Err("the trailer has no checkpoint but a tree".into());
        }
    } else {
        let cp = tlog::open_checkpoint(t.checkpoint.as_bytes(), vkey)
            .map_err(|e| format!("the trailer's checkpoint does not check out: {}", e.code()))?;
        if cp.size as i64 != t.tree_size || cp.root != root {
            return Err("the trailer's size or root is not its checkpoint's".into());
        }
    }
    Ok(ExportCheck {
        format: parsed.format,
        events: parsed.rows,
        tree_size: t.tree_size,
        root_recomputed: root_recomputed(&parsed.leaves, t.tree_size, root)?,
        key_given: key.is_some(),
    })
}

/// When the export holds leaves 1..=size, they must hash to the root; otherwise (a filtered export)
/// there is nothing to recompute.
fn root_recomputed(leaves: &[(i64, String)], size: i64, root: tlog::Hash) -> Result<bool, String> {
    let mut in_tree: Vec<&(i64, String)> = leaves.iter().filter(|(s, _)| *s <= size).collect();
    in_tree.sort_by_key(|(s, _)| *s);
    let complete = in_tree.len() as i64 == size
        && in_tree
            .iter()
            .enumerate()
            .all(|(i, (s, _))| *s == i as i64 + 1);
    if !complete || size == 0 {
        return Ok(false);
    }
    let hashes = in_tree
        .iter()
        .map(|(s, h)| tlog::from_base64(h).ok_or(format!("event {s}: its leaf hash is not base64")))
        .collect::<Result<Vec<_>, _>>()?;
    if tlog::Frontier::of(&hashes).root() != root {
        return Err("the exported leaves do not hash to the checkpoint's root".into());
    }
    Ok(true)
}

fn parse_jsonl(bytes: &[u8]) -> Result<Parsed, String> {
    let mut rows = 0_u64;
    let mut leaves = Vec::new();
    let mut at = 0_usize;
    let mut trailer = None;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        let start = at;
        at += line.len();
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if trailer.is_some() {
            return Err("rows follow the trailer".into());
        }
        let v: serde_json::Value =
            serde_json::from_slice(line).map_err(|e| format!("row {}: {e}", rows + 1))?;
        if let Some(t) = v.get("trailer") {
            let t: Trailer =
                serde_json::from_value(t.clone()).map_err(|e| format!("the trailer: {e}"))?;
            trailer = Some((start, t));
            continue;
        }
        rows += 1;
        if let (Some(seq), Some(leaf)) = (v["seq"].as_i64(), v["leaf_hash"].as_str()) {
            leaves.push((seq, leaf.to_owned()));
        }
    }
    let (trailer_at, trailer) =
        trailer.ok_or("no trailer: the export is incomplete (cut short or failed part-way)")?;
    Ok(Parsed {
        format: "jsonl",
        rows,
        trailer_at,
        trailer,
        leaves,
    })
}

fn parse_csv(bytes: &[u8]) -> Result<Parsed, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = 0_u64;
    let mut leaves = Vec::new();
    let mut trailer = None;
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(format!("row {}: {e}", rows + 1)),
        }
        if trailer.is_some() {
            return Err("rows follow the trailer".into());
        }
        if record.get(0) == Some(CSV_TRAILER_MARK) {
            let field = |i: usize| record.get(i).unwrap_or("").to_owned();
            let number = |i: usize| {
                field(i)
                    .parse::<i64>()
                    .map_err(|_| format!("the trailer's field {i} is not a number"))
            };
            trailer = Some((
                start,
                Trailer {
                    tree_size: number(1)?,
                    root_hash: field(2),
                    checkpoint: field(3),
                    verifier_key: field(4),
                    events_exported: number(5)? as u64,
                    rows_sha256: field(6),
                },
            ));
            continue;
        }
        rows += 1;
        if let (Some(Ok(seq)), Some(leaf)) = (
            record.get(0).map(str::parse::<i64>),
            record.get(15).filter(|s| !s.is_empty()),
        ) {
            leaves.push((seq, leaf.to_owned()));
        }
    }
    let (trailer_at, trailer) =
        trailer.ok_or("no trailer: the export is incomplete (cut short or failed part-way)")?;
    Ok(Parsed {
        format: "csv",
        rows,
        trailer_at,
        trailer,
        leaves,
    })
}
