//! Opaque bearer tokens (tracking links, sessions, setup links): 256 random bits from the OS, shown once,
//! stored only as a SHA-256 digest so a database leak does not hand out working links.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Random bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator failing is not something a service can carry on from.
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    buf
}

pub fn random_u64() -> u64 {
    u64::from_le_bytes(random_bytes::<8>())
}

/// A new 256-bit token in URL-safe base64 (43 characters).
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A request's tracking token: 256 bits of HMAC-SHA-256 over its id under a server key, in the same
/// form as [`new_token`]. Unguessable without the key, and derivable again, so that every notice can
/// carry the tracking link while only the token's digest is stored.
pub fn tracking_token(key: &[u8], request_id: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(format!("kaiji-track:{request_id}").as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The digest stored in place of a token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A token must look like one we issued before we spend a database lookup on it.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// HMAC-SHA-256 of `message` under `key`, hex-encoded.
pub fn sign(key: &[u8], message: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// A secret key's id: the first 16 hex digits of an HMAC of a fixed text under the key. It tells
/// nothing of the key but differs between keys, so the key set can be recorded and compared.
pub fn key_id(key: &[u8]) -> String {
    sign(key, b"kaiji key id v1")[..16].to_owned()
}

/// Checks a hex HMAC in constant time.
pub fn verify(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let Ok(sig) = hex::decode(signature_hex) else {
        return false;
    };
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.verify_slice(&sig).is_ok()
}

/// A link naming a record by id and carrying an HMAC of it for one purpose: `{id}.{hex}`. Unguessable
/// without the key, yet derivable again (for a letter or an email), so nothing secret is stored.
pub fn signed_id(key: &[u8], purpose: &str, id: &str) -> String {
    format!(
        "{id}.{}",
        sign(key, format!("kaiji-{purpose}:{id}").as_bytes())
    )
}

/// The id of a link made by [`signed_id`] for this purpose, if it is genuine.
pub fn verify_signed_id(key: &[u8], purpose: &str, link: &str) -> Option<String> {
    let (id, sig) = link.split_once('.')?;
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return None;
    }
    verify(key, format!("kaiji-{purpose}:{id}").as_bytes(), sig).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_ids_are_bound_to_their_purpose() {
        let key = b"k".repeat(32);
        let link = signed_id(&key, "reply-download", "0192-abcd");
        assert_eq!(
            verify_signed_id(&key, "reply-download", &link).as_deref(),
            Some("0192-abcd")
        );
        assert_eq!(
            verify_signed_id(&key, "confirm-email", &link),
            None,
            "another purpose"
        );
        assert_eq!(
            verify_signed_id(b"other key", "reply-download", &link),
            None
        );
        assert_eq!(verify_signed_id(&key, "reply-download", "0192-abcd"), None);
        assert_eq!(verify_signed_id(&key, "reply-download", "../etc.00"), None);
    }

    #[test]
    fn tokens_are_long_distinct_and_url_safe() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(looks_like_token(&a));
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(&format!("{}!", &a[..42])));
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn signatures_verify_only_with_the_same_key_and_message() {
        let s = sign(b"key", b"msg");
        assert!(verify(b"key", b"msg", &s));
        assert!(!verify(b"other", b"msg", &s));
        assert!(!verify(b"key", b"msg2", &s));
        assert!(!verify(b"key", b"msg", "zz"));
    }
}
