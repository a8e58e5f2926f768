//! Staff: privacy officers, auditors and administrators.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use validator::ValidateEmail;

use super::field::clean_text;

/// What a staff member may do. Stored as text; the codes are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Works requests: reviews, decides, answers.
    Officer,
    /// Reads and exports the audit log; changes nothing.
    Auditor,
    /// Manages staff and configuration.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Officer, Role::Auditor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or("unknown_role")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A staff login name. Compared case-insensitively, so it is stored lower-cased.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffEmail(String);

impl fmt::Debug for StaffEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaffEmail(<redacted>)")
    }
}

impl StaffEmail {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = clean_text(raw, false)?.to_lowercase();
        if s.is_empty() {
            return Err("required");
        }
        if s.len() > 254 || !s.validate_email() {
            return Err("invalid_email");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password a staff member chose, checked against the length rules of NIST SP 800-63B.
#[derive(Clone)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let n = raw.chars().count();
        if n == 0 {
            return Err("required");
        }
        if n < Self::MIN_CHARS {
            return Err("password_too_short");
        }
        if n > Self::MAX_CHARS {
            return Err("too_long");
        }
        if raw.trim().is_empty() {
            return Err("password_too_short");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn staff_email_is_lower_cased_and_checked() {
        assert_eq!(
            StaffEmail::parse(" Officer@Example.COM ").unwrap().as_str(),
            "officer@example.com"
        );
        assert_eq!(StaffEmail::parse("nope").unwrap_err(), "invalid_email");
        assert_eq!(StaffEmail::parse("").unwrap_err(), "required");
    }

    #[test]
    fn password_length_rules() {
        assert_eq!(NewPassword::parse("").unwrap_err(), "required");
        assert_eq!(
            NewPassword::parse("short").unwrap_err(),
            "password_too_short"
        );
        assert_eq!(
            NewPassword::parse("            ").unwrap_err(),
            "password_too_short"
        );
        assert!(NewPassword::parse("correct horse battery").is_ok());
        assert!(NewPassword::parse("パスワードは十二文字以上です").is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(129)).unwrap_err(),
            "too_long"
        );
        assert!(
            !format!("{:?}", NewPassword::parse("correct horse battery").unwrap())
                .contains("horse")
        );
    }
}
