//! The second factor of staff sign-in: TOTP (RFC 6238: SHA-1, six digits, 30-second steps, one step of
//! skew) and one-time recovery codes. The secret is sealed under the document key at rest; a code's step
//! is returned so the caller can accept each step once (RFC 6238 §5.2).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use totp_rs::{Builder, Secret, Totp};

use super::documents::{Sealed, open, seal};
use super::tokens::random_bytes;

/// A new 160-bit secret (RFC 4226's recommended length).
pub fn new_secret() -> Vec<u8> {
    random_bytes::<20>().to_vec()
}

fn totp(secret: &[u8], account: &str) -> Option<Totp> {
    Builder::new()
        .with_secret(Secret::new(secret.to_vec().into_boxed_slice()))
        .with_account_name(account)
        .with_issuer(Some("kaiji"))
        .build()
        .ok()
}

/// The secret as an authenticator app takes it by hand (base32).
pub fn base32(secret: &[u8]) -> String {
    Secret::new(secret.to_vec().into_boxed_slice()).to_base32()
}

/// The `otpauth://` link a QR code carries.
pub fn provisioning_uri(secret: &[u8], account: &str) -> Option<String> {
    totp(secret, account)?.to_url().ok()
}

/// The link as an inline SVG QR code (no image request: the page's CSP allows none from elsewhere).
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build(),
    )
}

/// The step a code matches at `unix_seconds` (one step either side), if it does.
pub fn matching_step(secret: &[u8], code: &str, unix_seconds: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = totp(secret, "")?.check(&code, unix_seconds)?;
    i64::try_from(step).ok()
}

/// The code at `unix_seconds` (what an authenticator app shows; tests use it).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> Option<String> {
    Some(totp(secret, "")?.generate(unix_seconds).to_string())
}

/// Ten one-time recovery codes, like `7KQ4-MZ2P-XW9D-…` (six groups, 120 bits each: at 112 bits or
/// more a plain digest may store them, ASVS v5.0.0-6.5.2; shorter ones would need a salted password
/// hash, and checking one would cost ten of them).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..10)
        .map(|_| {
            // 32 symbols: each byte modulo 32 is uniform, 5 bits a character.
            let bytes = random_bytes::<24>();
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// A recovery code as typed, in the one form its digest is taken of.
pub fn normalise_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The secret sealed for storage (nonce and ciphertext, base64), bound to its member.
pub fn seal_secret(key: &[u8], staff_id: &str, secret: &[u8]) -> String {
    let sealed = seal(key, staff_id.as_bytes(), secret);
    format!(
        "{}.{}",
        STANDARD.encode(sealed.nonce),
        STANDARD.encode(sealed.ciphertext)
    )
}

pub fn open_secret(key: &[u8], staff_id: &str, stored: &str) -> Option<Vec<u8>> {
    let (nonce, ciphertext) = stored.split_once('.')?;
    let sealed = Sealed {
        nonce: STANDARD.decode(nonce).ok()?,
        ciphertext: STANDARD.decode(ciphertext).ok()?,
    };
    open(key, staff_id.as_bytes(), &sealed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector_and_one_step_of_skew() {
        // RFC 6238 appendix B, SHA-1, T = 59: 94287082 (eight digits); six digits are its last six.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        assert_eq!(matching_step(secret, "287082", 59), Some(1));
        assert_eq!(
            matching_step(secret, "287 082", 75),
            Some(1),
            "the next step still takes it"
        );
        assert_eq!(matching_step(secret, "287082", 150), None, "too late");
        assert_eq!(matching_step(secret, "000000", 59), None);
        assert_eq!(matching_step(secret, "abc", 59), None);
    }

    #[test]
    fn secrets_seal_to_their_member_and_codes_look_alike() {
        let key = random_bytes::<32>();
        let secret = new_secret();
        let stored = seal_secret(&key, "s-1", &secret);
        assert_eq!(open_secret(&key, "s-1", &stored).unwrap(), secret);
        assert!(
            open_secret(&key, "s-2", &stored).is_none(),
            "moved to another member"
        );
        let uri = provisioning_uri(&secret, "pat@example.com").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/kaiji:pat%40example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains(&base32(&secret)));
        assert!(qr_svg(&uri).unwrap().starts_with("<?xml"));
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 29 && c.matches('-').count() == 5)
        );
        assert_eq!(normalise_recovery_code(" 7kq4-mz2p xw9d "), "7KQ4MZ2PXW9D");
    }
}
