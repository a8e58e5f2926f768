//! The server's secrets: the session, document, assertion and audit-signing keys, from settings or
//! from files created once (mode 0600) in the data directory.

use super::*;
use crate::security::keys::KeyKind;

impl Config {
    pub(super) fn key_source(&self, configured: &Option<SecretString>, file: &str) -> KeySource {
        match configured {
            Some(_) => KeySource::Configured,
            None => KeySource::File(self.service.data_dir.join(file)),
        }
    }

    /// Creates the data directory if needed and loads (or generates once) the secret keys.
    pub fn load_keys(&self) -> Result<Keys, ConfigError> {
        crate::security::files::private_dir(&self.service.data_dir).map_err(|source| {
            ConfigError::Io {
                action: "create data directory",
                path: self.service.data_dir.clone(),
                source,
            }
        })?;
        let session = self.key(
            &self.keys.session_key,
            "KAIJI_SESSION_KEY",
            SESSION_KEY_FILE,
            SESSION_KEY_LEN,
        )?;
        let document = self.key(
            &self.keys.document_key,
            "KAIJI_DOCUMENT_KEY",
            DOCUMENT_KEY_FILE,
            DOCUMENT_KEY_LEN,
        )?;
        let audit = self.key(
            &self.keys.audit_key,
            "KAIJI_AUDIT_KEY",
            AUDIT_KEY_FILE,
            AUDIT_KEY_LEN,
        )?;
        let assertion = self
            .keys
            .assertion_key
            .as_ref()
            .map(|k| decode_ring(k, "KAIJI_ASSERTION_KEY", ASSERTION_KEY_LEN))
            .transpose()?;
        Ok(Keys {
            session,
            document,
            assertion,
            audit,
        })
    }

    fn key(
        &self,
        configured: &Option<SecretString>,
        name: &'static str,
        file: &str,
        len: usize,
    ) -> Result<KeyRing, ConfigError> {
        if let Some(k) = configured {
            return decode_ring(k, name, len);
        }
        let path = self.service.data_dir.join(file);
        if path.exists() {
            let text = fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                action: "read key file",
                path: path.clone(),
                source,
            })?;
            return decode_ring(&SecretString::from(text), name, len)
                .map_err(|_| setting(name, format!("key file {} is corrupt", path.display())));
        }
        let ring = KeyRing::single(SecretBytes(
            crate::security::tokens::random_bytes::<64>()[..len].to_vec(),
        ));
        crate::security::files::write_new_private(&path, ring.to_file_text().as_bytes()).map_err(
            |source| ConfigError::Io {
                action: "write key file",
                path: path.clone(),
                source,
            },
        )?;
        Ok(ring)
    }

    /// The file a kind's ring is kept in, when no setting gives it: `None` when it is configured
    /// (then the operator edits the setting on every instance).
    pub fn key_file(&self, kind: KeyKind) -> Option<PathBuf> {
        let (configured, file) = match kind {
            KeyKind::Session => (&self.keys.session_key, SESSION_KEY_FILE),
            KeyKind::Document => (&self.keys.document_key, DOCUMENT_KEY_FILE),
            KeyKind::Audit => (&self.keys.audit_key, AUDIT_KEY_FILE),
            KeyKind::Assertion => return None,
        };
        configured
            .is_none()
            .then(|| self.service.data_dir.join(file))
    }

    /// Writes a kind's ring to its key file (replacing it whole); refused when a setting gives the kind.
    pub fn write_key_ring(&self, kind: KeyKind, ring: &KeyRing) -> Result<PathBuf, ConfigError> {
        let path = self.key_file(kind).ok_or_else(|| {
            setting(
                kind.setting(),
                "is set in the configuration: change it there, on every instance",
            )
        })?;
        crate::security::files::replace_private(&path, ring.to_file_text().as_bytes()).map_err(
            |source| ConfigError::Io {
                action: "write key file",
                path: path.clone(),
                source,
            },
        )?;
        Ok(path)
    }

    /// Gives a kind's ring as its setting (`KAIJI_*_KEY`, keys separated by commas) instead of its
    /// key file, as an operator's environment would.
    pub fn set_key_setting(&mut self, kind: KeyKind, ring: &KeyRing) {
        let text = Some(SecretString::from(
            ring.keys
                .iter()
                .map(|k| k.to_base64())
                .collect::<Vec<_>>()
                .join(","),
        ));
        match kind {
            KeyKind::Session => self.keys.session_key = text,
            KeyKind::Document => self.keys.document_key = text,
            KeyKind::Audit => self.keys.audit_key = text,
            KeyKind::Assertion => self.keys.assertion_key = text,
        }
    }

    /// The length in bytes of a kind's keys.
    pub fn key_len(kind: KeyKind) -> usize {
        match kind {
            KeyKind::Session => SESSION_KEY_LEN,
            KeyKind::Document => DOCUMENT_KEY_LEN,
            KeyKind::Audit => AUDIT_KEY_LEN,
            KeyKind::Assertion => ASSERTION_KEY_LEN,
        }
    }
}

pub(super) const SESSION_KEY_FILE: &str = "session.key";
pub(super) const DOCUMENT_KEY_FILE: &str = "document.key";
pub(super) const SESSION_KEY_LEN: usize = 64;
pub(super) const DOCUMENT_KEY_LEN: usize = 32;
pub(super) const ASSERTION_KEY_LEN: usize = 32;
pub(super) const AUDIT_KEY_FILE: &str = "audit-signing.key";
/// The audit log's Ed25519 signing key: its 32-byte seed.
pub(super) const AUDIT_KEY_LEN: usize = 32;

/// The log's name when none is set: the public address without its scheme, then `/audit`.
pub(super) fn default_audit_origin(public_url: &str) -> String {
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .trim_end_matches('/');
    format!("{host}/audit")
}

pub(super) fn decode_key(
    k: &SecretString,
    name: &'static str,
    len: usize,
) -> Result<SecretBytes, ConfigError> {
    let bytes = STANDARD
        .decode(k.expose_secret().trim())
        .map_err(|_| setting(name, "must be base64"))?;
    if bytes.len() != len {
        return Err(setting(
            name,
            format!("must decode to {len} bytes (got {})", bytes.len()),
        ));
    }
    Ok(SecretBytes(bytes))
}

/// A key ring: one or more keys, separated by commas, spaces or line breaks; the first signs and
/// encrypts, the others (older ones, kept while something still depends on them) only verify and
/// decrypt. A single key is a ring of one.
pub(super) fn decode_ring(
    k: &SecretString,
    name: &'static str,
    len: usize,
) -> Result<KeyRing, ConfigError> {
    let mut keys: Vec<SecretBytes> = Vec::new();
    let parts: Vec<&str> = k
        .expose_secret()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    for (i, part) in parts.iter().enumerate() {
        let key = decode_key(&SecretString::from(part.to_string()), name, len).map_err(|e| {
            if parts.len() == 1 {
                e
            } else {
                match e {
                    ConfigError::Setting { setting, reason } => ConfigError::Setting {
                        setting,
                        reason: format!("key {} of {}: {reason}", i + 1, parts.len()),
                    },
                    other => other,
                }
            }
        })?;
        if keys.iter().any(|k| k.0 == key.0) {
            return Err(setting(
                name,
                format!("key {} repeats an earlier key", i + 1),
            ));
        }
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(setting(name, "must be base64"));
    }
    Ok(KeyRing { keys })
}

/// Key material; never printed.
#[derive(Clone)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBytes(<redacted>)")
    }
}

/// A kind's keys, newest first: the first signs and encrypts, every one verifies and decrypts (key
/// rotation keeps the old ones until nothing depends on them). Never empty; never printed.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<SecretBytes>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyRing({} keys, <redacted>)", self.keys.len())
    }
}

impl KeyRing {
    pub fn single(key: SecretBytes) -> Self {
        Self { keys: vec![key] }
    }

    /// The key that signs and encrypts.
    pub fn expose(&self) -> &[u8] {
        &self.keys[0].0
    }

    /// The signing key's id.
    pub fn signer_id(&self) -> String {
        crate::security::tokens::key_id(self.expose())
    }

    /// Every key, the signing one first.
    pub fn all(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.iter().map(|k| k.0.as_slice())
    }

    /// Every key's id, the signing one first.
    pub fn ids(&self) -> Vec<String> {
        self.all().map(crate::security::tokens::key_id).collect()
    }

    /// The key with this id, if the ring holds it.
    pub fn by_id(&self, id: &str) -> Option<&[u8]> {
        self.all()
            .find(|k| crate::security::tokens::key_id(k) == id)
    }

    /// How many keys the ring holds (at least one).
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Whether any key of the ring made this HMAC (see `tokens::verify`).
    pub fn verify(&self, message: &[u8], signature_hex: &str) -> bool {
        self.all()
            .any(|k| crate::security::tokens::verify(k, message, signature_hex))
    }

    /// The id named by a link any key of the ring signed for this purpose (see `tokens::signed_id`).
    pub fn verify_signed_id(&self, purpose: &str, link: &str) -> Option<String> {
        self.all()
            .find_map(|k| crate::security::tokens::verify_signed_id(k, purpose, link))
    }

    /// Decrypts with whichever key of the ring sealed it.
    pub fn open(
        &self,
        aad: &[u8],
        sealed: &crate::security::documents::Sealed,
    ) -> Result<Vec<u8>, crate::security::documents::OpenError> {
        self.opened_by(aad, sealed).map(|(plain, _)| plain)
    }

    /// Decrypts, saying which key did (its place in the ring; 0 is the signing key, tried first: after
    /// re-encryption it is the only one needed).
    pub fn opened_by(
        &self,
        aad: &[u8],
        sealed: &crate::security::documents::Sealed,
    ) -> Result<(Vec<u8>, usize), crate::security::documents::OpenError> {
        self.all()
            .enumerate()
            .find_map(|(i, k)| {
                crate::security::documents::open(k, aad, sealed)
                    .ok()
                    .map(|p| (p, i))
            })
            .ok_or(crate::security::documents::OpenError)
    }

    /// This ring with a new signing key in front.
    pub fn with_new_signer(&self, key: SecretBytes) -> Self {
        let mut keys = vec![key];
        keys.extend(self.keys.iter().cloned());
        Self { keys }
    }

    /// This ring without the keys of these ids; `None` if that would leave it empty or drop the signer.
    pub fn without(&self, ids: &[String]) -> Option<Self> {
        if ids.contains(&self.signer_id()) {
            return None;
        }
        let keys = self
            .keys
            .iter()
            .filter(|k| !ids.contains(&crate::security::tokens::key_id(&k.0)))
            .cloned()
            .collect();
        Some(Self { keys })
    }

    /// The ring as its key file holds it: one base64 key a line, the signing key first.
    pub fn to_file_text(&self) -> String {
        self.keys
            .iter()
            .map(|k| format!("{}\n", STANDARD.encode(&k.0)))
            .collect()
    }
}

impl SecretBytes {
    /// A fresh random key of `len` bytes (at most 64).
    pub fn random(len: usize) -> Self {
        SecretBytes(crate::security::tokens::random_bytes::<64>()[..len].to_vec())
    }

    pub fn from_slice(key: &[u8]) -> Self {
        SecretBytes(key.to_vec())
    }

    /// The key in base64, for an operator to put in a setting (`kaiji keys generate`).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.0)
    }
}

/// The service's secret keys: one ring signs cookies, CSRF tokens and links, one encrypts identity
/// documents, one verifies identity assertions, one signs the audit log's checkpoints.
#[derive(Clone, Debug)]
pub struct Keys {
    pub session: KeyRing,
    pub document: KeyRing,
    /// Verifies identity assertions from the company's login, when configured.
    pub assertion: Option<KeyRing>,
    /// Signs the audit log's checkpoints (an Ed25519 seed). Every instance reads the same one.
    pub audit: KeyRing,
}

impl Keys {
    /// The audit signing key's seed.
    pub fn audit_seed(&self) -> [u8; 32] {
        let mut seed = [0_u8; 32];
        // Loaded and checked as exactly 32 bytes.
        seed.copy_from_slice(&self.audit.expose()[..32]);
        seed
    }
}

impl Keys {
    /// Fresh random keys, for tests.
    pub fn random() -> Self {
        let b = crate::security::tokens::random_bytes::<64>();
        let d = crate::security::tokens::random_bytes::<32>();
        Self {
            session: KeyRing::single(SecretBytes(b.to_vec())),
            document: KeyRing::single(SecretBytes(d.to_vec())),
            assertion: Some(KeyRing::single(SecretBytes::random(32))),
            audit: KeyRing::single(SecretBytes::random(32)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(text: &str, len: usize) -> Result<KeyRing, ConfigError> {
        decode_ring(
            &SecretString::from(text.to_owned()),
            "KAIJI_SESSION_KEY",
            len,
        )
    }

    #[test]
    fn a_ring_is_one_or_more_keys_the_first_signing() {
        let (a, b) = (SecretBytes::random(32), SecretBytes::random(32));
        let one = ring(&a.to_base64(), 32).unwrap();
        assert_eq!(one.key_count(), 1);
        // Commas, spaces or line breaks separate keys, as a setting or a key file writes them.
        for sep in [",", " , ", "\n", "\r\n"] {
            let two = ring(&format!("{}{sep}{}\n", b.to_base64(), a.to_base64()), 32).unwrap();
            assert_eq!(two.key_count(), 2);
            assert_eq!(two.expose(), b.expose(), "the first key signs");
            assert_eq!(two.ids()[1], one.signer_id());
            assert_eq!(two.by_id(&one.signer_id()), Some(a.expose()));
        }
        // A key file read back is the same ring, in the same order.
        let rotated = one.with_new_signer(b.clone());
        let file = rotated.to_file_text();
        assert_eq!(file.lines().count(), 2);
        assert_eq!(ring(&file, 32).unwrap().ids(), rotated.ids());
        assert_eq!(rotated.ids()[1], one.signer_id());
    }

    #[test]
    fn a_bad_ring_names_the_key_at_fault_and_prints_none() {
        let a = SecretBytes::random(32);
        let short = SecretBytes::random(16).to_base64();
        let e = ring(&format!("{},{short}", a.to_base64()), 32)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "configuration error: KAIJI_SESSION_KEY: key 2 of 2: must decode to 32 bytes (got 16)"
        );
        let e = ring(&format!("{0},{0}", a.to_base64()), 32)
            .unwrap_err()
            .to_string();
        assert!(e.contains("key 2 repeats an earlier key") && !e.contains(&a.to_base64()));
        assert!(ring(" , ", 32).is_err(), "no key at all");
        assert_eq!(
            format!("{:?}", ring(&a.to_base64(), 32).unwrap()),
            "KeyRing(1 keys, <redacted>)"
        );
    }

    #[test]
    fn every_key_of_a_ring_verifies_and_decrypts_the_first_signs_and_seals() {
        let old = KeyRing::single(SecretBytes::random(32));
        let ring = old.with_new_signer(SecretBytes::random(32));
        let link = crate::security::tokens::signed_id(old.expose(), "p", "0192-ab");
        assert_eq!(
            ring.verify_signed_id("p", &link).as_deref(),
            Some("0192-ab")
        );
        assert_eq!(ring.verify_signed_id("q", &link), None);
        let sig = crate::security::tokens::sign(old.expose(), b"m");
        assert!(ring.verify(b"m", &sig) && !ring.verify(b"n", &sig));
        let sealed = crate::security::documents::seal(old.expose(), b"aad", b"scan");
        assert_eq!(
            ring.opened_by(b"aad", &sealed).unwrap(),
            (b"scan".to_vec(), 1)
        );
        assert!(ring.open(b"other", &sealed).is_err());
        let newer = crate::security::documents::seal(ring.expose(), b"aad", b"scan");
        assert_eq!(ring.opened_by(b"aad", &newer).unwrap().1, 0);
        assert!(
            old.open(b"aad", &newer).is_err(),
            "the old key alone cannot"
        );
        // Dropping keys: never the signing one.
        let pruned = ring.without(&[old.signer_id()]).unwrap();
        assert_eq!(pruned.ids(), vec![ring.signer_id()]);
        assert!(ring.without(&[ring.signer_id()]).is_none());
    }
}
