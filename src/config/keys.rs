//! The server's secrets: the session, document, assertion and audit-signing keys, from settings or
//! from files created once (mode 0600) in the data directory.

use super::*;

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
            .map(|k| decode_key(k, "KAIJI_ASSERTION_KEY", ASSERTION_KEY_LEN))
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
    ) -> Result<SecretBytes, ConfigError> {
        if let Some(k) = configured {
            return decode_key(k, name, len);
        }
        let path = self.service.data_dir.join(file);
        if path.exists() {
            let text = fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                action: "read key file",
                path: path.clone(),
                source,
            })?;
            return decode_key(&SecretString::from(text), name, len)
                .map_err(|_| setting(name, format!("key file {} is corrupt", path.display())));
        }
        let bytes = crate::security::tokens::random_bytes::<64>()[..len].to_vec();
        crate::security::files::write_new_private(&path, STANDARD.encode(&bytes).as_bytes())
            .map_err(|source| ConfigError::Io {
                action: "write key file",
                path: path.clone(),
                source,
            })?;
        Ok(SecretBytes(bytes))
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

/// The service's secret keys: one signs cookies and CSRF tokens, one encrypts identity documents.
#[derive(Clone, Debug)]
pub struct Keys {
    pub session: SecretBytes,
    pub document: SecretBytes,
    /// Verifies identity assertions from the company's login, when configured.
    pub assertion: Option<SecretBytes>,
    /// Signs the audit log's checkpoints (an Ed25519 seed). Every instance reads the same one.
    pub audit: SecretBytes,
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
            session: SecretBytes(b.to_vec()),
            document: SecretBytes(d.to_vec()),
            assertion: Some(SecretBytes(
                crate::security::tokens::random_bytes::<32>().to_vec(),
            )),
            audit: SecretBytes(crate::security::tokens::random_bytes::<32>().to_vec()),
        }
    }
}
