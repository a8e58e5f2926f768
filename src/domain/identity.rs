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

/// How much matched information a request type needs (CCPA 11 CCR §7062: two data points for
/// categories and deletion — a "reasonable degree of certainty"; three plus a signed declaration under
/// penalty of perjury for specific pieces — a "reasonably high degree").
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationRule {
    /// Data points that must match, per request type (`access`, `deletion`, …).
    pub points: std::collections::BTreeMap<String, u32>,
    /// Request types that also need the requester's signed declaration.
    #[serde(default)]
    pub declaration_for: Vec<String>,
}

/// One data point as the officer checked it against the company's records: its name only (the value
/// is not kept), and whether it matched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DataPoint {
    pub name: String,
    pub matched: bool,
}

/// What a set of checked data points reaches for a request type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Degree {
    pub matched: u32,
    pub required: u32,
    pub declaration_required: bool,
    pub verified: bool,
}

/// Judges checked data points (names unique, each counted once) for a request type.
pub fn degree(
    rule: &VerificationRule,
    request_type: &str,
    points: &[DataPoint],
    declaration_signed: bool,
) -> Result<Degree, &'static str> {
    let Some(&required) = rule.points.get(request_type) else {
        return Err("no_data_point_rule");
    };
    let mut names = std::collections::BTreeSet::new();
    for p in points {
        let name = p.name.trim().to_lowercase();
        if name.is_empty() || name.len() > 64 {
            return Err("invalid_data_point");
        }
        if !names.insert(name) {
            return Err("duplicate_data_point");
        }
    }
    let matched = points.iter().filter(|p| p.matched).count() as u32;
    let declaration_required = rule.declaration_for.iter().any(|t| t == request_type);
    Ok(Degree {
        matched,
        required,
        declaration_required,
        verified: matched >= required && (!declaration_required || declaration_signed),
    })
}

#[cfg(test)]
mod degree_tests {
    use super::*;

    fn ccpa() -> VerificationRule {
        VerificationRule {
            points: [("access".to_owned(), 3), ("deletion".to_owned(), 2)].into(),
            declaration_for: vec!["access".into()],
        }
    }

    fn pts(m: &[(&str, bool)]) -> Vec<DataPoint> {
        m.iter()
            .map(|(n, b)| DataPoint {
                name: (*n).into(),
                matched: *b,
            })
            .collect()
    }

    #[test]
    fn ccpa_degrees_gate_the_right() {
        let two = pts(&[
            ("phone", true),
            ("postal_code", true),
            ("last_order", false),
        ]);
        assert!(degree(&ccpa(), "deletion", &two, false).unwrap().verified);
        let d = degree(&ccpa(), "access", &two, true).unwrap();
        assert!(!d.verified && d.required == 3 && d.matched == 2);
        let three = pts(&[("phone", true), ("postal_code", true), ("last_order", true)]);
        assert!(
            !degree(&ccpa(), "access", &three, false).unwrap().verified,
            "needs the declaration"
        );
        assert!(degree(&ccpa(), "access", &three, true).unwrap().verified);
        assert_eq!(
            degree(
                &ccpa(),
                "access",
                &pts(&[("phone", true), ("Phone", true)]),
                true
            ),
            Err("duplicate_data_point")
        );
        assert_eq!(
            degree(&ccpa(), "correction", &three, true),
            Err("no_data_point_rule")
        );
    }
}
