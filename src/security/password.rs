//! Staff passwords: argon2id with the OWASP minimum (19 MiB, 2 passes, 1 lane), PHC strings in the database.
//! Callers run these on the blocking pool: each takes tens of milliseconds by design.

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::staff::NewPassword;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &NewPassword) -> String {
    hasher()
        .hash_password(password.expose().as_bytes())
        .expect("hashing with a fresh salt cannot fail")
        .to_string()
}

/// A hash of a password nobody knows, verified when the account does not exist so that a login for an
/// unknown email takes as long as one for a known email.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash(
        &NewPassword::parse("timing equaliser, never anyone's password", "")
            .expect("a valid password"),
    )
});

/// Verifies a password against a stored PHC string; `None` verifies against the dummy and fails.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_with_owasp_parameters_round_trips() {
        let pw = NewPassword::parse("correct horse battery staple", "pat@example.com").unwrap();
        let h = hash(&pw);
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", Some(&h)));
        assert!(!verify("wrong horse battery staple", Some(&h)));
        assert!(!verify("anything", None));
        assert!(!verify("anything", Some("not a phc string")));
    }
}
