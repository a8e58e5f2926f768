//! Signed checkpoints (C2SP tlog-checkpoint over C2SP signed-note, Ed25519): the log's key, how a
//! checkpoint is signed (by one key, or at a key rotation by two), opened, and which key each size of
//! the log answers to after rotations and restores.

use super::Hash;

/// The log's Ed25519 signing key under its name (the checkpoint origin). Never printed.
pub struct LogKey {
    origin: String,
    key_id: u32,
    signing: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogKey({}, <redacted>)", self.origin)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Origins name the log in checkpoints and key lines: no spaces, no `+` (C2SP signed-note).
    #[error("the checkpoint origin must be non-empty and contain no spaces or '+'")]
    BadOrigin,
}

impl LogKey {
    pub fn new(origin: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(KeyError::BadOrigin);
        }
        let signing = ed25519_dalek::SigningKey::from_bytes(seed);
        let mut public = vec![1_u8];
        public.extend_from_slice(signing.verifying_key().as_bytes());
        Ok(Self {
            key_id: signed_note::key_id(origin, &public),
            origin: origin.to_owned(),
            signing,
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The signed-note verifier key: `origin+keyid+base64(0x01 || public key)`.
    pub fn verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.origin, &self.signing.verifying_key())
    }

    /// A checkpoint for the tree of `size` leaves with root `root`, signed: the note's text and its
    /// signature line, as C2SP tlog-checkpoint writes it.
    pub fn sign_checkpoint(&self, size: u64, root: Hash) -> Result<String, KeyError> {
        sign_checkpoint_by(&[self], size, root)
    }
}

/// A checkpoint signed by each of `keys` (the first names the log): the handover checkpoint of a
/// rotated key is signed by the previous key and the new one.
pub fn sign_checkpoint_by(keys: &[&LogKey], size: u64, root: Hash) -> Result<String, KeyError> {
    let origin = &keys.first().ok_or(KeyError::BadOrigin)?.origin;
    let text = tlog_tiles::Checkpoint::new(origin, size, root, "")
        .map_err(|_| KeyError::BadOrigin)?
        .to_bytes();
    let mut note = signed_note::Note::new(&text, &[]).map_err(|_| KeyError::BadOrigin)?;
    let signers: Vec<&dyn signed_note::Signer> = keys
        .iter()
        .map(|k| *k as &dyn signed_note::Signer)
        .collect();
    note.add_sigs(&signers).map_err(|_| KeyError::BadOrigin)?;
    // The note is ASCII (origin validated, digits, base64) plus the em dash of the signature line.
    Ok(String::from_utf8_lossy(&note.to_bytes()).into_owned())
}

impl signed_note::Signer for LogKey {
    fn name(&self) -> &str {
        &self.origin
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        use ed25519_dalek::Signer as _;
        Ok(self.signing.sign(msg).to_bytes().to_vec())
    }
}

/// A checkpoint whose signature checked out under the log's verifier key.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The signed note, exactly as signed.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Not a signed note holding a C2SP checkpoint.
    #[error("not a checkpoint")]
    Malformed,
    /// Not signed by the log's key, or signed over other text.
    #[error("the signature does not verify under the log's key")]
    BadSignature,
    /// Signed by the log's key, for another log.
    #[error("the checkpoint names another log")]
    WrongOrigin,
    /// The verifier key itself could not be read.
    #[error("the verifier key is malformed")]
    BadVerifierKey,
    /// Signed by the log before it was restored from a backup that ended earlier: the events after
    /// the backup, up to this checkpoint, are not in the log.
    #[error(
        "signed before a restore: the backup ended at {backup_size} event(s), so events {} to {size} of that checkpoint are lost",
        backup_size + 1
    )]
    LostInRestore { size: u64, backup_size: u64 },
}

impl CheckpointError {
    /// The stable code reports and the API give it.
    pub fn code(&self) -> &'static str {
        match self {
            CheckpointError::Malformed => "malformed",
            CheckpointError::WrongOrigin => "wrong_origin",
            CheckpointError::BadSignature | CheckpointError::BadVerifierKey => "bad_signature",
            CheckpointError::LostInRestore { .. } => "lost_in_restore",
        }
    }
}

/// Checks a signed checkpoint against the log's verifier key and reads it.
pub fn open_checkpoint(note: &[u8], verifier_key: &str) -> Result<Checkpoint, CheckpointError> {
    let verifier = signed_note::StandardVerifier::new(verifier_key)
        .map_err(|_| CheckpointError::BadVerifierKey)?;
    let origin = signed_note::Verifier::name(&verifier).to_owned();
    let parsed = signed_note::Note::from_bytes(note).map_err(|_| CheckpointError::Malformed)?;
    let list = signed_note::VerifierList::new(vec![Box::new(verifier)]);
    parsed
        .verify(&list)
        .map_err(|_| CheckpointError::BadSignature)?;
    let cp = tlog_tiles::Checkpoint::from_bytes(parsed.text())
        .map_err(|_| CheckpointError::Malformed)?;
    if cp.origin() != origin {
        return Err(CheckpointError::WrongOrigin);
    }
    Ok(Checkpoint {
        origin,
        size: cp.size(),
        root: *cp.hash(),
        note: String::from_utf8_lossy(note).into_owned(),
    })
}

/// Where the log's verifier key changed, at the checkpoint of size `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    pub at: u64,
    pub previous: String,
    pub next: String,
    /// A restore from a backup whose last checkpoint had this size: the log goes on under a new name
    /// (a new epoch), and what the previous name signed past this size was lost. `None` for a key
    /// rotation, whose checkpoint `at` both keys sign.
    pub backup_size: Option<u64>,
}

/// The log's verifier keys over its life: checkpoints before a handover verify under the previous
/// key, those after it under the next (the last handover's next key is the current one). A rotation's
/// handover checkpoint is signed by both keys; a restore's previous key vouches only up to the backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHistory {
    current: String,
    handovers: Vec<Handover>,
}

impl KeyHistory {
    pub fn new(current: String, mut handovers: Vec<Handover>) -> Self {
        handovers.sort_by_key(|h| h.at);
        Self { current, handovers }
    }

    /// A log whose key never changed.
    pub fn single(current: String) -> Self {
        Self::new(current, Vec::new())
    }

    /// The key that signs now.
    pub fn current(&self) -> &str {
        &self.current
    }

    pub fn handovers(&self) -> &[Handover] {
        &self.handovers
    }

    /// The keys that must each have signed the checkpoint of `size` (none: no checkpoint of the log
    /// has that size under any name, as between a backup's end and the restore's first checkpoint).
    pub fn keys_for(&self, size: u64) -> Vec<&str> {
        for h in &self.handovers {
            match h.backup_size {
                None if size < h.at => return vec![&h.previous],
                None if size == h.at => return vec![&h.previous, &h.next],
                Some(b) if size <= b => return vec![&h.previous],
                Some(_) if size < h.at => return Vec::new(),
                _ => {}
            }
        }
        vec![&self.current]
    }

    /// The key to name for the checkpoint of `size` (at a rotation, the new one: both signed it).
    pub fn key_for(&self, size: u64) -> &str {
        self.keys_for(size).pop().unwrap_or(&self.current)
    }

    /// Opens a checkpoint signed by the key (or, at a rotation, both keys) of its size. One signed
    /// under a name a restore left behind, past the backup's end, is `LostInRestore`.
    pub fn open(&self, note: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let mut known: Vec<&str> = vec![&self.current];
        for h in &self.handovers {
            if !known.contains(&h.previous.as_str()) {
                known.push(&h.previous);
            }
        }
        let mut first_error = None;
        for key in known {
            match open_checkpoint(note, key) {
                Ok(cp) => {
                    // Signed by some key of the log; it must be the one its size calls for.
                    let wanted = self.keys_for(cp.size);
                    if !wanted.contains(&key) {
                        if let Some(h) = self.handovers.iter().find(|h| {
                            h.previous == key && h.backup_size.is_some_and(|b| cp.size > b)
                        }) {
                            return Err(CheckpointError::LostInRestore {
                                size: cp.size,
                                backup_size: h.backup_size.unwrap_or_default(),
                            });
                        }
                        return Err(CheckpointError::BadSignature);
                    }
                    for w in wanted {
                        open_checkpoint(note, w)?;
                    }
                    return Ok(cp);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(CheckpointError::BadSignature))
    }
}

/// Splits a file of checkpoints (one or several signed notes, as `kaiji audit checkpoint` prints them
/// and `--push` stores them) into notes: each ends with its signature lines.
pub fn split_notes(text: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let mut current = String::new();
    let mut in_signatures = false;
    for line in text.split_inclusive('\n') {
        if in_signatures && !line.starts_with("— ") {
            notes.push(std::mem::take(&mut current));
            in_signatures = false;
        }
        if line.trim().is_empty() && current.is_empty() {
            continue;
        }
        if line == "\n" {
            in_signatures = true;
        }
        current.push_str(line);
    }
    if !current.trim().is_empty() {
        notes.push(current);
    }
    notes
}
