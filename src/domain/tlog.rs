//! The audit log as a transparency log: a Merkle tree over the events (RFC 9162 §2.1 hashing:
//! `SHA-256(0x00 || leaf)` and `SHA-256(0x01 || left || right)`), stored as C2SP tlog-tiles of height 8,
//! with signed checkpoints (C2SP tlog-checkpoint over C2SP signed-note, Ed25519).
//!
//! The tree arithmetic, proofs and note format come from `tlog_tiles` and `signed_note` (Cloudflare's
//! ports of Go's `golang.org/x/mod/sumdb/tlog` and `note`); this module only decides how kaiji uses them:
//! which tiles an append needs, how a batch extends the stored tree, how a checkpoint is signed and
//! opened. Pure: tiles, keys and hashes come in, tiles and notes go out.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
pub use tlog_tiles::{EMPTY_HASH, Hash};
use tlog_tiles::{HashReader, Tile, stored_hash_index, sub_tree_index};

mod checkpoint;
pub use checkpoint::*;

/// Tiles hold 2^8 = 256 hashes: the height C2SP tlog-tiles fixes.
pub const TILE_HEIGHT: u8 = 8;
const HASH_SIZE: usize = tlog_tiles::HASH_SIZE;
const FULL_WIDTH: u64 = 1 << TILE_HEIGHT;

/// The hash of a leaf whose data is `leaf_data` (RFC 9162: `SHA-256(0x00 || data)`).
pub fn leaf_hash(leaf_data: &[u8]) -> Hash {
    tlog_tiles::record_hash(leaf_data)
}

/// A hash as checkpoints and proofs write it.
pub fn to_base64(h: &Hash) -> String {
    B64.encode(h.0)
}

/// A base64 hash back (32 bytes, or nothing).
pub fn from_base64(s: &str) -> Option<Hash> {
    let bytes = B64.decode(s.trim()).ok()?;
    Some(Hash(bytes.try_into().ok()?))
}

/// One stored tile: the hashes at tree level `8 × level` from position `256 × index`, as many as the
/// tree has so far (a partial tile grows until it holds 256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTile {
    pub level: u8,
    pub index: u64,
    pub hashes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The stored tiles do not give the root the last checkpoint signed: the tree was changed.
    #[error("the stored tree does not match the last checkpoint")]
    EdgeMismatch,
    /// A tile the computation needs is missing or too short.
    #[error("tile {level}/{index} is missing or too short")]
    MissingTile { level: u8, index: u64 },
    #[error("tree arithmetic failed: {0}")]
    Math(String),
}

impl From<tlog_tiles::Error> for TreeError {
    fn from(e: tlog_tiles::Error) -> Self {
        TreeError::Math(e.to_string())
    }
}

/// The tiles an append to a tree of `size` leaves reads: those holding the complete subtrees of the
/// tree's right edge, and the partial tile of each level, which the append extends.
pub fn edge_tiles(size: u64) -> Vec<(u8, u64)> {
    let mut out: Vec<(u8, u64)> = sub_tree_index(0, size, vec![])
        .into_iter()
        .map(|x| {
            let t = Tile::from_index(TILE_HEIGHT, x);
            (t.level(), t.level_index())
        })
        .collect();
    let mut level = 0_u8;
    while size >> (u32::from(TILE_HEIGHT) * u32::from(level)) > 0 {
        let at_level = size >> (u32::from(TILE_HEIGHT) * u32::from(level));
        if !at_level.is_multiple_of(FULL_WIDTH) {
            out.push((level, at_level / FULL_WIDTH));
        }
        level += 1;
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Extends a stored tree by a batch of leaves: give it the tree's size and signed root with its edge
/// tiles ([`edge_tiles`]), push the new leaves' hashes, then take the new root and the tiles to store.
/// It refuses to build on tiles that do not reproduce the signed root.
#[derive(Debug, Clone)]
pub struct TreeAppender {
    old_size: u64,
    size: u64,
    tiles: HashMap<(u8, u64), Vec<u8>>,
    /// Stored-hash index of `new[0]`.
    base: u64,
    new: Vec<Hash>,
}

impl TreeAppender {
    pub fn new(size: u64, root: Hash, tiles: Vec<StoredTile>) -> Result<Self, TreeError> {
        let appender = Self {
            old_size: size,
            size,
            tiles: tiles
                .into_iter()
                .map(|t| ((t.level, t.index), t.hashes))
                .collect(),
            base: stored_hash_index(0, size),
            new: Vec::new(),
        };
        if appender.root()? != root {
            return Err(TreeError::EdgeMismatch);
        }
        Ok(appender)
    }

    /// The tree a log starts from.
    pub fn empty() -> Self {
        Self {
            old_size: 0,
            size: 0,
            tiles: HashMap::new(),
            base: 0,
            new: Vec::new(),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf (its RFC 9162 leaf hash).
    pub fn push(&mut self, leaf: Hash) -> Result<(), TreeError> {
        let hashes = tlog_tiles::stored_hashes_for_record_hash(self.size, leaf, &Reader(self))?;
        self.new.extend(hashes);
        self.size += 1;
        Ok(())
    }

    /// The root of the tree as it is now.
    pub fn root(&self) -> Result<Hash, TreeError> {
        Ok(tlog_tiles::tree_hash(self.size, &Reader(self))?)
    }

    /// The tiles the pushes changed or created, complete (a partial tile is written whole each time).
    pub fn changed_tiles(&self) -> Result<Vec<StoredTile>, TreeError> {
        Tile::new_tiles(TILE_HEIGHT, self.old_size, self.size)
            .into_iter()
            .map(|t| {
                Ok(StoredTile {
                    level: t.level(),
                    index: t.level_index(),
                    hashes: t.read_data(&Reader(self))?,
                })
            })
            .collect()
    }

    /// The stored hash at `index`, from the batch or from the loaded tiles.
    fn hash(&self, index: u64) -> Result<Hash, TreeError> {
        if index >= self.base {
            return self
                .new
                .get((index - self.base) as usize)
                .copied()
                .ok_or_else(|| TreeError::Math(format!("hash {index} not written yet")));
        }
        let tile = Tile::from_index(TILE_HEIGHT, index);
        let missing = TreeError::MissingTile {
            level: tile.level(),
            index: tile.level_index(),
        };
        let data = self
            .tiles
            .get(&(tile.level(), tile.level_index()))
            .ok_or_else(|| missing.clone())?;
        let needed = tile.width() as usize * HASH_SIZE;
        if data.len() < needed {
            return Err(missing);
        }
        Ok(tile.hash_at_index(&data[..needed], index)?)
    }
}

struct Reader<'a>(&'a TreeAppender);

impl HashReader for Reader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .hash(i)
                    .map_err(|e| tlog_tiles::Error::InvalidInput(e.to_string()))
            })
            .collect()
    }
}

/// The right edge of a tree being rebuilt leaf by leaf: its complete subtrees' roots, largest first.
/// Gives the root at every size on the way (RFC 9162's MTH) for one hash per leaf, whatever the size.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    edge: Vec<Hash>,
}

impl Frontier {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut n = self.size;
        // Each trailing 1 bit of the old size is a complete subtree the new leaf now pairs with.
        while n & 1 == 1 {
            match self.edge.pop() {
                Some(left) => h = tlog_tiles::node_hash(left, h),
                None => break,
            }
            n >>= 1;
        }
        self.edge.push(h);
        self.size += 1;
    }

    pub fn root(&self) -> Hash {
        self.root_with(&Frontier::default())
    }

    /// The root of this tree followed by `tail`, when this tree's size is a multiple of a power of two
    /// at least as large as `tail`'s (a tree of whole tiles followed by the leaves of a partial tile):
    /// their right edges simply join.
    pub fn root_with(&self, tail: &Frontier) -> Hash {
        let mut rest = self.edge.iter().chain(tail.edge.iter()).rev();
        let Some(&last) = rest.next() else {
            return EMPTY_HASH;
        };
        rest.fold(last, |right, &left| tlog_tiles::node_hash(left, right))
    }

    /// The frontier of these leaves.
    pub fn of(leaves: &[Hash]) -> Self {
        let mut f = Frontier::default();
        for l in leaves {
            f.push(*l);
        }
        f
    }
}

/// The root of a complete tile's worth of leaves (a power-of-two count), as the next tile level holds it.
pub fn subtree_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_HASH,
        1 => leaves[0],
        n => {
            let (l, r) = leaves.split_at(n / 2);
            tlog_tiles::node_hash(subtree_root(l), subtree_root(r))
        }
    }
}

/// Reads stored tiles for proofs: `tlog_tiles` asks for tiles (a partial one at the width the proof's
/// tree had, which is a prefix of the stored one) and authenticates every one against the signed root.
pub trait TileSource {
    /// The stored hashes of these tiles (`None` for a tile not stored).
    fn tiles(&self, wanted: &[(u8, u64)]) -> Result<Vec<Option<Vec<u8>>>, String>;
}

struct SourceReader<'a, S: TileSource>(&'a S);

impl<S: TileSource> tlog_tiles::TileReader for SourceReader<'_, S> {
    fn height(&self) -> u8 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        let wanted: Vec<(u8, u64)> = tiles.iter().map(|t| (t.level(), t.level_index())).collect();
        let found = self
            .0
            .tiles(&wanted)
            .map_err(tlog_tiles::Error::InvalidInput)?;
        tiles
            .iter()
            .zip(found)
            .map(|(t, data)| {
                let needed = t.width() as usize * HASH_SIZE;
                match data {
                    Some(d) if d.len() >= needed => Ok(d[..needed].to_vec()),
                    _ => Err(tlog_tiles::Error::InvalidInput(format!(
                        "tile {}/{} is missing or too short",
                        t.level(),
                        t.level_index()
                    ))),
                }
            })
            .collect()
    }

    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}

/// Why a proof could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf or the smaller tree is not inside the tree asked about.
    #[error("not in the tree: {0}")]
    OutOfRange(String),
    /// The stored tiles do not agree with the signed root: the stored tree was changed.
    #[error("the stored tree does not match the checkpoint: {0}")]
    Damaged(String),
}

/// The RFC 9162 inclusion proof (audit path, leaf to root) of leaf `index` in the tree of `size`
/// leaves whose signed root is `root`.
pub fn inclusion_proof<S: TileSource>(
    source: &S,
    size: u64,
    root: Hash,
    index: u64,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange(format!(
            "leaf {index} in a tree of {size}"
        )));
    }
    let reader = SourceReader(source);
    let hashes = tlog_tiles::TileHashReader::new(size, root, &reader);
    tlog_tiles::prove_record(size, index, &hashes).map_err(|e| ProofError::Damaged(e.to_string()))
}

/// The RFC 9162 consistency proof that the tree of `size` leaves (signed root `root`) extends the
/// tree of its first `old_size` leaves; empty when the sizes are equal.
pub fn consistency_proof<S: TileSource>(
    source: &S,
    size: u64,
    root: Hash,
    old_size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if old_size > size {
        return Err(ProofError::OutOfRange(format!(
            "a tree of {old_size} inside one of {size}"
        )));
    }
    if old_size == size || old_size == 0 {
        return Ok(Vec::new());
    }
    let reader = SourceReader(source);
    let hashes = tlog_tiles::TileHashReader::new(size, root, &reader);
    tlog_tiles::prove_tree(size, old_size, &hashes).map_err(|e| ProofError::Damaged(e.to_string()))
}

/// The root of the first `size` leaves of a stored tree whose signed root at `tree_size` is `root`.
pub fn root_at<S: TileSource>(
    source: &S,
    tree_size: u64,
    root: Hash,
    size: u64,
) -> Result<Hash, ProofError> {
    if size > tree_size {
        return Err(ProofError::OutOfRange(format!(
            "a tree of {size} inside one of {tree_size}"
        )));
    }
    if size == tree_size {
        return Ok(root);
    }
    let reader = SourceReader(source);
    let hashes = tlog_tiles::TileHashReader::new(tree_size, root, &reader);
    tlog_tiles::tree_hash(size, &hashes).map_err(|e| ProofError::Damaged(e.to_string()))
}

/// Checks an inclusion proof (as any verifier would, knowing only the signed root).
pub fn check_inclusion(proof: &[Hash], size: u64, root: Hash, index: u64, leaf: Hash) -> bool {
    index < size && tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf).is_ok()
}

/// Checks a consistency proof between two signed roots.
pub fn check_consistency(
    proof: &[Hash],
    size: u64,
    root: Hash,
    old_size: u64,
    old_root: Hash,
) -> bool {
    match (old_size, old_size.cmp(&size)) {
        (_, std::cmp::Ordering::Greater) => false,
        (0, _) => old_root == EMPTY_HASH,
        (_, std::cmp::Ordering::Equal) => proof.is_empty() && root == old_root,
        _ => tlog_tiles::check_tree(&proof.to_vec(), size, root, old_size, old_root).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaf(i: u64) -> Hash {
        leaf_hash(format!("event {i}").as_bytes())
    }

    /// RFC 9162 §2.1.1's MTH, written out recursively: the reference the stored tree must agree with.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_HASH,
            1 => leaves[0],
            n => {
                let k = (n - 1).next_power_of_two().max(1);
                let k = if k >= n { k / 2 } else { k };
                tlog_tiles::node_hash(mth(&leaves[..k]), mth(&leaves[k..]))
            }
        }
    }

    /// RFC 9162 §2.1.3.2, written out: verifies an audit path independently of `tlog_tiles`.
    fn rfc_inclusion_ok(index: u64, size: u64, leaf: Hash, path: &[Hash], root: Hash) -> bool {
        if index >= size {
            return false;
        }
        let (mut f_n, mut s_n) = (index, size - 1);
        let mut r = leaf;
        for p in path {
            if s_n == 0 {
                return false;
            }
            if f_n & 1 == 1 || f_n == s_n {
                r = tlog_tiles::node_hash(*p, r);
                if f_n & 1 == 0 {
                    while f_n & 1 == 0 && f_n != 0 {
                        f_n >>= 1;
                        s_n >>= 1;
                    }
                }
            } else {
                r = tlog_tiles::node_hash(r, *p);
            }
            f_n >>= 1;
            s_n >>= 1;
        }
        s_n == 0 && r == root
    }

    struct Tiles(HashMap<(u8, u64), Vec<u8>>);

    impl TileSource for Tiles {
        fn tiles(&self, wanted: &[(u8, u64)]) -> Result<Vec<Option<Vec<u8>>>, String> {
            Ok(wanted.iter().map(|k| self.0.get(k).cloned()).collect())
        }
    }

    /// Builds a tree in batches of the given sizes the way the sequencer does (edge tiles loaded from
    /// the store, changed tiles written back), checking the root after every batch.
    fn build(batches: &[u64]) -> (Tiles, Vec<Hash>, Vec<(u64, Hash)>) {
        let mut store = Tiles(HashMap::new());
        let mut leaves = Vec::new();
        let mut roots = Vec::new();
        let (mut size, mut root) = (0_u64, EMPTY_HASH);
        for &b in batches {
            let edge = edge_tiles(size)
                .into_iter()
                .filter_map(|(level, index)| {
                    store.0.get(&(level, index)).map(|h| StoredTile {
                        level,
                        index,
                        hashes: h.clone(),
                    })
                })
                .collect();
            let mut a = TreeAppender::new(size, root, edge).expect("edge reproduces the root");
            for _ in 0..b {
                let l = leaf(leaves.len() as u64);
                leaves.push(l);
                a.push(l).unwrap();
            }
            for t in a.changed_tiles().unwrap() {
                let old = store
                    .0
                    .get(&(t.level, t.index))
                    .cloned()
                    .unwrap_or_default();
                assert!(t.hashes.starts_with(&old), "tiles only grow");
                store.0.insert((t.level, t.index), t.hashes);
            }
            size = a.size();
            root = a.root().unwrap();
            assert_eq!(root, mth(&leaves), "root after {size}");
            roots.push((size, root));
        }
        (store, leaves, roots)
    }

    #[test]
    fn roots_agree_with_the_rfc_across_tile_boundaries() {
        let (_, leaves, roots) = build(&[1, 1, 254, 1, 255, 300, 65_536 - 812, 3, 700]);
        let mut f = Frontier::default();
        let mut at = roots.iter().peekable();
        for (i, l) in leaves.iter().enumerate() {
            f.push(*l);
            if let Some((size, root)) = at.peek()
                && *size == i as u64 + 1
            {
                assert_eq!(f.root(), *root, "frontier at {size}");
                at.next();
            }
        }
        assert_eq!(Frontier::default().root(), EMPTY_HASH);
    }

    proptest! {
        /// A tree kept as whole tiles' roots plus the leaves of the last partial tile gives the same
        /// root as the tree kept leaf by leaf, at every size.
        #[test]
        fn whole_tiles_and_a_partial_tail_give_the_leaf_by_leaf_root(n in 0_u64..1_300) {
            let leaves: Vec<Hash> = (0..n).map(leaf).collect();
            let mut tiles = Frontier::default();
            for chunk in leaves.chunks(256).filter(|c| c.len() == 256) {
                tiles.push(subtree_root(chunk));
            }
            let tail = Frontier::of(&leaves[(n - n % 256) as usize..]);
            prop_assert_eq!(tiles.root_with(&tail), Frontier::of(&leaves).root());
            prop_assert_eq!(Frontier::of(&leaves).root(), mth(&leaves));
        }
    }

    #[test]
    fn an_appender_refuses_tiles_that_do_not_give_the_signed_root() {
        let (mut store, _, roots) = build(&[300]);
        let (size, root) = roots[0];
        // One leaf hash inside the partial tile changed.
        store.0.get_mut(&(0, 1)).unwrap()[5] ^= 1;
        let edge = edge_tiles(size)
            .into_iter()
            .map(|(level, index)| StoredTile {
                level,
                index,
                hashes: store.0[&(level, index)].clone(),
            })
            .collect();
        assert_eq!(
            TreeAppender::new(size, root, edge).unwrap_err(),
            TreeError::EdgeMismatch
        );
        // Proofs from the damaged tiles are refused too.
        assert!(matches!(
            inclusion_proof(&store, size, root, 260),
            Err(ProofError::Damaged(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any batching gives the RFC root; every leaf has an inclusion proof that checks (with
        /// tlog_tiles and with RFC 9162's algorithm written out) and only for its own leaf, index and
        /// root; every earlier size has a consistency proof to every later one.
        #[test]
        fn proofs_from_stored_tiles_check(batches in proptest::collection::vec(1_u64..400, 1..6), pick in any::<u64>()) {
            let (store, leaves, roots) = build(&batches);
            let (size, root) = *roots.last().unwrap();
            for index in [0, size - 1, pick % size, (pick / 7) % size] {
                let p = inclusion_proof(&store, size, root, index).unwrap();
                prop_assert!(check_inclusion(&p, size, root, index, leaves[index as usize]));
                prop_assert!(rfc_inclusion_ok(index, size, leaves[index as usize], &p, root));
                prop_assert!(!check_inclusion(&p, size, root, index, leaf(size + 1)));
                if size > 1 {
                    prop_assert!(!check_inclusion(&p, size, root, (index + 1) % size, leaves[index as usize]));
                }
                prop_assert!(!check_inclusion(&p, size, leaves[0], index, leaves[index as usize]) || size == 1);
            }
            for &(old, old_root) in &roots {
                let p = consistency_proof(&store, size, root, old).unwrap();
                prop_assert!(check_consistency(&p, size, root, old, old_root));
                prop_assert_eq!(root_at(&store, size, root, old).unwrap(), old_root);
                if old < size {
                    prop_assert!(!check_consistency(&p, size, root, old, leaf(0)) || old_root == leaf(0));
                }
            }
            prop_assert!(inclusion_proof(&store, size, root, size).is_err());
            prop_assert!(consistency_proof(&store, size, root, size + 1).is_err());
        }
    }

    fn key() -> LogKey {
        LogKey::new("audit.example.com/kaiji", &[7; 32]).unwrap()
    }

    #[test]
    fn checkpoints_are_c2sp_signed_notes_that_open_only_under_their_key() {
        let k = key();
        let root = leaf(1);
        let note = k.sign_checkpoint(42, root).unwrap();
        let lines: Vec<&str> = note.lines().collect();
        assert_eq!(lines[0], "audit.example.com/kaiji");
        assert_eq!(lines[1], "42");
        assert_eq!(lines[2], to_base64(&root));
        assert_eq!(lines[3], "");
        assert!(lines[4].starts_with("— audit.example.com/kaiji "));
        let vkey = k.verifier_key();
        assert!(vkey.starts_with("audit.example.com/kaiji+"));
        let cp = open_checkpoint(note.as_bytes(), &vkey).unwrap();
        assert_eq!((cp.size, cp.root), (42, root));
        // Another key, a changed size, a changed signature.
        let other = LogKey::new("audit.example.com/kaiji", &[8; 32]).unwrap();
        assert_eq!(
            open_checkpoint(note.as_bytes(), &other.verifier_key()),
            Err(CheckpointError::BadSignature)
        );
        let changed = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(
            open_checkpoint(changed.as_bytes(), &vkey),
            Err(CheckpointError::BadSignature)
        );
        assert_eq!(
            open_checkpoint(b"nonsense", &vkey),
            Err(CheckpointError::Malformed)
        );
        assert!(LogKey::new("has space", &[1; 32]).is_err());
        assert!(LogKey::new("a+b", &[1; 32]).is_err());
        assert!(!format!("{k:?}").contains("7"));
    }

    #[test]
    fn a_file_of_checkpoints_splits_into_its_notes() {
        let k = key();
        let a = k.sign_checkpoint(1, leaf(1)).unwrap();
        let b = k.sign_checkpoint(2, leaf(2)).unwrap();
        let notes = split_notes(&format!("{a}{b}\n"));
        assert_eq!(notes, vec![a.clone(), b]);
        assert_eq!(split_notes(&a), vec![a]);
        assert!(split_notes("").is_empty());
    }

    #[test]
    fn edge_tiles_name_the_partial_tiles_and_the_edge() {
        assert!(edge_tiles(0).is_empty());
        assert_eq!(edge_tiles(1), vec![(0, 0)]);
        assert_eq!(edge_tiles(256), vec![(1, 0)]);
        assert_eq!(edge_tiles(257), vec![(0, 1), (1, 0)]);
        assert_eq!(edge_tiles(65_536 + 256), vec![(1, 1), (2, 0)]);
    }

    #[test]
    fn a_handover_checkpoint_is_signed_by_both_keys_and_each_size_by_its_own() {
        let (old, new) = (
            LogKey::new("example.com/audit", &[1; 32]).unwrap(),
            LogKey::new("example.com/audit", &[2; 32]).unwrap(),
        );
        let root = leaf_hash(b"x");
        let history = KeyHistory::new(
            new.verifier_key(),
            vec![Handover {
                at: 5,
                previous: old.verifier_key(),
                next: new.verifier_key(),
                backup_size: None,
            }],
        );
        let before = old.sign_checkpoint(4, root).unwrap();
        let both = sign_checkpoint_by(&[&old, &new], 5, root).unwrap();
        let after = new.sign_checkpoint(6, root).unwrap();
        assert_eq!(history.open(before.as_bytes()).unwrap().size, 4);
        assert_eq!(history.open(both.as_bytes()).unwrap().size, 5);
        assert_eq!(history.open(after.as_bytes()).unwrap().size, 6);
        // The co-signed note opens under either key alone, as an auditor holding only one checks it.
        assert!(open_checkpoint(both.as_bytes(), &old.verifier_key()).is_ok());
        assert!(open_checkpoint(both.as_bytes(), &new.verifier_key()).is_ok());
        // A size signed by the wrong key of the two does not open.
        for wrong in [
            new.sign_checkpoint(4, root).unwrap(),
            old.sign_checkpoint(5, root).unwrap(),
            new.sign_checkpoint(5, root).unwrap(),
            old.sign_checkpoint(6, root).unwrap(),
        ] {
            assert_eq!(
                history.open(wrong.as_bytes()),
                Err(CheckpointError::BadSignature),
                "{wrong}"
            );
        }
        let stranger = LogKey::new("example.com/audit", &[3; 32]).unwrap();
        assert!(
            history
                .open(stranger.sign_checkpoint(6, root).unwrap().as_bytes())
                .is_err()
        );
        assert_eq!(
            KeyHistory::single(old.verifier_key()).keys_for(9),
            vec![old.verifier_key().as_str()]
        );
    }

    #[test]
    fn a_restore_starts_a_new_name_and_what_the_old_one_signed_past_the_backup_is_lost() {
        let seed = [1; 32];
        let (old, new) = (
            LogKey::new("example.com/audit", &seed).unwrap(),
            LogKey::new("example.com/audit/restore-1", &seed).unwrap(),
        );
        let root = leaf_hash(b"x");
        // The backup ended at 10; the restored log's first checkpoint under its new name is 12.
        let history = KeyHistory::new(
            new.verifier_key(),
            vec![Handover {
                at: 12,
                previous: old.verifier_key(),
                next: new.verifier_key(),
                backup_size: Some(10),
            }],
        );
        assert_eq!(
            history
                .open(old.sign_checkpoint(10, root).unwrap().as_bytes())
                .unwrap()
                .size,
            10
        );
        assert_eq!(
            history.open(old.sign_checkpoint(11, root).unwrap().as_bytes()),
            Err(CheckpointError::LostInRestore {
                size: 11,
                backup_size: 10
            })
        );
        let lost = history
            .open(old.sign_checkpoint(40, root).unwrap().as_bytes())
            .unwrap_err();
        assert_eq!(lost.code(), "lost_in_restore");
        assert!(lost.to_string().contains("events 11 to 40"), "{lost}");
        assert_eq!(
            history
                .open(new.sign_checkpoint(12, root).unwrap().as_bytes())
                .unwrap()
                .size,
            12
        );
        assert!(
            history
                .open(new.sign_checkpoint(9, root).unwrap().as_bytes())
                .is_err()
        );
        assert!(history.keys_for(11).is_empty());
    }
}
