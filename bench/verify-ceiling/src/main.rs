//! Reads `seq, id, occurred_at, action, actor_kind, actor_id, request_id, from_state, to_state,
//! details, details_salt, details_sha256` rows (COPY text format, in sequence order) on standard input,
//! and prints how many events, how many details did not match their digest, and the tree's root.

use std::io::BufRead;

use base64::Engine;
use sha2::{Digest, Sha256};

const CHUNK: usize = 5_120;

/// One COPY text field: `\N` is NULL; backslash escapes undone.
fn field(raw: &str) -> Option<String> {
    if raw == "\\N" {
        return None;
    }
    if !raw.contains('\\') {
        return Some(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    Some(out)
}

fn canonical_time(t: &mut String) {
    if t.as_bytes().get(10) == Some(&b' ') {
        t.replace_range(10..11, "T");
    }
    match t.find('.') {
        Some(dot) => {
            while t.len() < dot + 7 {
                t.push('0');
            }
        }
        None => t.push_str(".000000"),
    }
}

/// Parses one COPY line and hashes it: (leaf hash, details match).
fn hash(line: &str, buf: &mut Vec<u8>) -> ([u8; 32], bool) {
    let mut fields: Vec<Option<std::borrow::Cow<'_, str>>> = line
        .split('\t')
        .map(|raw| match raw {
            "\\N" => None,
            r if r.contains('\\') => Some(std::borrow::Cow::Owned(field(r).unwrap_or_default())),
            r => Some(std::borrow::Cow::Borrowed(r)),
        })
        .collect();
    // PostgreSQL writes `2026-11-22 02:00:00.5` (fraction trimmed): the log hashes
    // `2026-11-22T02:00:00.500000`.
    if let Some(t) = fields.get_mut(2).and_then(Option::as_mut) {
        let mut s = t.to_string();
        canonical_time(&mut s);
        *t = std::borrow::Cow::Owned(s);
    }
    let f = |i: usize| fields.get(i).and_then(|v| v.as_deref());
    let seq: i64 = f(0).and_then(|s| s.parse().ok()).unwrap_or(0);
    let details = f(9).unwrap_or("");
    let digest = f(11).unwrap_or("");
    let mut salt = [0_u8; 32];
    let ok = f(10).is_some_and(|s| hex::decode_to_slice(s, &mut salt).is_ok()) && {
        let mut h = Sha256::new();
        h.update(salt);
        h.update(details.as_bytes());
        let mut out = [0_u8; 64];
        let _ = hex::encode_to_slice(h.finalize(), &mut out);
        out == digest.as_bytes()
    };
    buf.clear();
    let _ = serde_json::to_writer(
        &mut *buf,
        &(
            "kaiji-audit/2",
            seq,
            f(1),
            f(2),
            f(3),
            f(4),
            f(5),
            f(6),
            f(7),
            f(8),
            digest,
        ),
    );
    let mut h = Sha256::new();
    h.update([0_u8]);
    h.update(buf.as_slice());
    (h.finalize().into(), ok)
}

fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1_u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

fn main() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The reader only splits lines; parsing and hashing run on every core.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<String>>(2);
    let reader = std::thread::spawn(move || {
        let stdin = std::io::stdin().lock();
        let mut chunk = Vec::with_capacity(CHUNK);
        for line in stdin.lines() {
            chunk.push(line.expect("stdin"));
            if chunk.len() == CHUNK {
                tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                    .expect("main");
            }
        }
        if !chunk.is_empty() {
            tx.send(chunk).expect("main");
        }
    });
    let (mut size, mut bad) = (0_u64, 0_u64);
    let mut edge: Vec<[u8; 32]> = Vec::new();
    for chunk in rx {
        let part = chunk.len().div_ceil(threads);
        let results: Vec<([u8; 32], bool)> = std::thread::scope(|s| {
            let parts: Vec<_> = chunk
                .chunks(part.max(1))
                .map(|c| {
                    s.spawn(move || {
                        let mut buf = Vec::with_capacity(512);
                        c.iter().map(|r| hash(r, &mut buf)).collect::<Vec<_>>()
                    })
                })
                .collect();
            parts.into_iter().flat_map(|p| p.join().unwrap()).collect()
        });
        for (leaf, ok) in results {
            bad += u64::from(!ok);
            let mut h = leaf;
            let mut n = size;
            while n & 1 == 1 {
                let left = edge.pop().expect("edge");
                h = node(&left, &h);
                n >>= 1;
            }
            edge.push(h);
            size += 1;
        }
    }
    reader.join().unwrap();
    let root = match edge.split_last() {
        None => Sha256::digest(b"").into(),
        Some((last, rest)) => rest.iter().rev().fold(*last, |r, l| node(l, &r)),
    };
    println!(
        "{size} events, {bad} details mismatched, root {}",
        base64::engine::general_purpose::STANDARD.encode(root)
    );
}
