//! Identity assertions from the company's own login: the account page links to kaiji with a short-lived
//! token `base64url(JSON{account_id, email, exp}).hex(HMAC-SHA256)` signed with a key both share. A valid
//! assertion whose email is the request's counts as verified identity; no documents are asked for.
//! (Checking the signature is the application's part; this module reads and judges the claims.)

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

use crate::domain::code::{apply, coded};

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

/// What a piece of evidence the requester sent is, as stored: each kind is emptied when it has served
/// (identity evidence once identity is decided, an authorisation when the request closes).
#[apply(coded)]
pub enum EvidenceKind {
    /// Data points to compare with the records, and any declaration signed with them.
    DataPoints,
    /// A copy of an identity document.
    IdentityDocument,
    /// The person's signed authorisation for their agent.
    AgentAuthorisation,
}

/// Data points as a requester types them on the tracking page, before parsing.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawEvidence {
    pub account_id: String,
    pub phone: String,
    pub postal_code: String,
    pub last_order: String,
    /// The declaration box ("on" when ticked).
    pub declaration: String,
    /// The name typed as a signature under the declaration.
    pub declaration_name: String,
}

/// The data points a requester offers, by name (`account_id`, `phone`, `postal_code`, `last_order`),
/// for an officer to match against the company's records; and the name they signed the declaration
/// with, if they did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfferedEvidence {
    pub points: std::collections::BTreeMap<String, String>,
    #[serde(skip)]
    pub declared_by: Option<String>,
}

/// The names of the data points a requester may offer, in the order the form shows them.
pub const OFFERED_POINTS: [&str; 4] = ["account_id", "phone", "postal_code", "last_order"];

fn phone(s: &str) -> Result<String, &'static str> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let allowed = s
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -().".contains(c) || (c == '+' && i == 0));
    // E.164 numbers have at most 15 digits; a local number at least 6.
    if !allowed || !(6..=15).contains(&digits.len()) {
        return Err("invalid_phone");
    }
    Ok(s.to_owned())
}

fn postal_code(s: &str) -> Result<String, &'static str> {
    let ok = (2..=12).contains(&s.chars().count())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-' || c == '〒');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("invalid_postal_code")
    }
}

type PointParser = fn(&str) -> Result<String, &'static str>;

/// Parses what a requester typed; every problem is reported beside its field. Empty fields are simply
/// not offered.
pub fn parse_evidence(raw: &RawEvidence) -> Result<OfferedEvidence, super::FieldErrors> {
    use super::field::bounded;
    let mut errors = super::FieldErrors::new();
    let mut points = std::collections::BTreeMap::new();
    let fields: [(&str, &str, PointParser); 4] = [
        ("account_id", &raw.account_id, |s| bounded(s, 200)),
        ("phone", &raw.phone, phone),
        ("postal_code", &raw.postal_code, postal_code),
        ("last_order", &raw.last_order, |s| bounded(s, 64)),
    ];
    for (name, value, parse) in fields {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if let Some(v) = errors.check(name, parse(value)) {
            points.insert(name.to_owned(), v);
        }
    }
    let ticked = !raw.declaration.trim().is_empty();
    let name = raw.declaration_name.trim();
    let declared_by = match (ticked, name.is_empty()) {
        (false, true) => None,
        (true, true) => {
            errors.push("declaration_name", "required");
            None
        }
        (false, false) => {
            errors.push("declaration", "required");
            None
        }
        (true, false) => errors.check("declaration_name", bounded(name, 200)),
    };
    if errors.is_empty() {
        Ok(OfferedEvidence {
            points,
            declared_by,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod evidence_tests {
    use super::*;

    fn raw(phone: &str, postal: &str, declaration: &str, name: &str) -> RawEvidence {
        RawEvidence {
            phone: phone.into(),
            postal_code: postal.into(),
            declaration: declaration.into(),
            declaration_name: name.into(),
            ..RawEvidence::default()
        }
    }

    #[test]
    fn offered_points_are_checked_field_by_field() {
        let e = parse_evidence(&raw("+1 (415) 555-0100", "94103", "on", " Pat Doe ")).unwrap();
        assert_eq!(e.points["phone"], "+1 (415) 555-0100");
        assert_eq!(e.points["postal_code"], "94103");
        assert_eq!(e.declared_by.as_deref(), Some("Pat Doe"));
        let e = parse_evidence(&raw("", "〒150-0002", "", "")).unwrap();
        assert_eq!(e.points.len(), 1);
        assert_eq!(e.declared_by, None);

        let errs = parse_evidence(&raw("12345", "x", "on", "")).unwrap_err();
        assert_eq!(errs.code_for("phone"), Some("invalid_phone"));
        assert_eq!(errs.code_for("postal_code"), Some("invalid_postal_code"));
        assert_eq!(errs.code_for("declaration_name"), Some("required"));
        let errs = parse_evidence(&raw("03-1234-5678+1", "", "", "Pat")).unwrap_err();
        assert_eq!(errs.code_for("phone"), Some("invalid_phone"));
        assert_eq!(errs.code_for("declaration"), Some("required"));
        let long = RawEvidence {
            last_order: "x".repeat(65),
            ..RawEvidence::default()
        };
        assert_eq!(
            parse_evidence(&long).unwrap_err().code_for("last_order"),
            Some("too_long")
        );
    }
}
