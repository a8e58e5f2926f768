//! Identity assertions from the company's own login: the account page links to kaiji with a short-lived
//! token `base64url(JSON{account_id, email, exp}).hex(HMAC-SHA256)` signed with a key both share. A valid
//! assertion whose email is the request's counts as verified identity; no documents are asked for.
//! (Checking the signature is the application's part; this module reads and judges the claims.)

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

/// Longest lifetime an assertion may claim: it is a hand-off from the login page, not a credential.
pub const MAX_LIFETIME_MINUTES: i64 = 15;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityAssertion {
    pub account_id: String,
    pub email: String,
    /// Unix seconds.
    pub exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the assertion cannot be read")]
    Malformed,
    #[error("the assertion's signature does not match")]
    BadSignature,
    #[error("the assertion has expired")]
    Expired,
    #[error("the assertion claims too long a lifetime")]
    TooLong,
    #[error("the assertion is for another email address")]
    OtherEmail,
}

/// Splits a token into its signed part and signature.
pub fn split(token: &str) -> Result<(&str, &str), AssertionError> {
    token.split_once('.').ok_or(AssertionError::Malformed)
}

/// Reads the claims of a token whose signature the caller has checked, and judges them for a request
/// filed with `request_email` at `now`.
pub fn judge(
    payload_b64: &str,
    request_email: &str,
    now: DateTime<Utc>,
) -> Result<IdentityAssertion, AssertionError> {
    let json = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| AssertionError::Malformed)?;
    let a: IdentityAssertion =
        serde_json::from_slice(&json).map_err(|_| AssertionError::Malformed)?;
    if a.account_id.trim().is_empty() || a.account_id.len() > 200 {
        return Err(AssertionError::Malformed);
    }
    let exp = DateTime::<Utc>::from_timestamp(a.exp, 0).ok_or(AssertionError::Malformed)?;
    if exp <= now {
        return Err(AssertionError::Expired);
    }
    if exp > now + TimeDelta::minutes(MAX_LIFETIME_MINUTES) {
        return Err(AssertionError::TooLong);
    }
    if !a.email.trim().eq_ignore_ascii_case(request_email.trim()) {
        return Err(AssertionError::OtherEmail);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(email: &str, exp: i64) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            r#"{{"account_id":"A-42","email":"{email}","exp":{exp}}}"#
        ))
    }

    #[test]
    fn assertions_are_short_lived_and_for_the_requests_email() {
        let now: DateTime<Utc> = "2026-11-22T01:00:00Z".parse().unwrap();
        let t = now.timestamp();
        let ok = judge(&payload("Pat@Example.com", t + 300), "pat@example.com", now).unwrap();
        assert_eq!(ok.account_id, "A-42");
        assert_eq!(
            judge(&payload("pat@example.com", t), "pat@example.com", now),
            Err(AssertionError::Expired)
        );
        assert_eq!(
            judge(
                &payload("pat@example.com", t + 3600),
                "pat@example.com",
                now
            ),
            Err(AssertionError::TooLong)
        );
        assert_eq!(
            judge(&payload("kim@example.com", t + 60), "pat@example.com", now),
            Err(AssertionError::OtherEmail)
        );
        assert_eq!(
            judge("%%%", "pat@example.com", now),
            Err(AssertionError::Malformed)
        );
        assert_eq!(
            judge(
                &URL_SAFE_NO_PAD.encode(r#"{"account_id":"","email":"p","exp":1}"#),
                "p",
                now
            ),
            Err(AssertionError::Malformed)
        );
        assert_eq!(split("no-dot"), Err(AssertionError::Malformed));
    }
}
