//! Staff: privacy officers, auditors, administrators and data-system owners.

use std::fmt;

use super::field::clean_text;
use crate::domain::code::{apply, coded};

/// What a staff member may do. Stored as text; the codes are stable.
#[apply(coded)]
pub enum Role {
    /// Works requests: reviews, decides, answers.
    Officer,
    /// Reads and exports the audit log; changes nothing.
    Auditor,
    /// Manages staff and configuration.
    Admin,
    /// Answers for data systems: sees and works only the tasks of the systems registered with their
    /// address as owner, never the requests themselves.
    SystemOwner,
}

impl Role {
    /// Works requests: decides, answers, reviews; sees every task (officers and administrators).
    pub fn works_requests(self) -> bool {
        matches!(self, Role::Officer | Role::Admin)
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
        if s.len() > 254 || !super::field::deliverable(&s) {
            return Err("invalid_email");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name a staff member goes by on pages, in the timeline and in the audit log (colleagues read
/// "佐藤 花子", not an id): 1 to 80 characters of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffName(String);

impl StaffName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = clean_text(raw, false)?;
        if s.is_empty() {
            return Err("required");
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err("invalid_staff_name");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password a staff member chose, checked against the rules of NIST SP 800-63B-4 (see `parse`).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    /// A password for the account of `email`: 12 to 128 characters, and not one an attacker guesses
    /// early. `zxcvbn` estimates the guesses from its lists of leaked passwords, common words and
    /// names, keyboard patterns, repeats, dates, and this account's own words (its email, "kaiji");
    /// under 10^8 guesses (its score 2 or less) is refused (NIST SP 800-63B-4's blocklist, ASVS
    /// v5.0.0-6.2.4, 6.2.11, 6.2.12). Length decides nothing else: no composition rules.
    pub fn parse(raw: &str, email: &str) -> Result<Self, &'static str> {
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
        let email = email.trim().to_lowercase();
        let mut context: Vec<&str> = vec!["kaiji", "privacy", "staff", email.as_str()];
        if let Some((local, domain)) = email.split_once('@') {
            context.push(local);
            context.extend(domain.split('.'));
        }
        if (zxcvbn::zxcvbn(raw, &context).score() as u8) < 3 {
            return Err("password_guessable");
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
    use crate::domain::code::Code;

    #[test]
    fn roles_round_trip() {
        for &r in Role::ALL {
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
        assert_eq!(
            NewPassword::parse("", "pat@example.com").unwrap_err(),
            "required"
        );
        assert_eq!(
            NewPassword::parse("short", "pat@example.com").unwrap_err(),
            "password_too_short"
        );
        assert_eq!(
            NewPassword::parse("            ", "pat@example.com").unwrap_err(),
            "password_too_short"
        );
        assert!(NewPassword::parse("correct horse battery", "pat@example.com").is_ok());
        assert!(NewPassword::parse("パスワードは十二文字以上です", "pat@example.com").is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(129), "pat@example.com").unwrap_err(),
            "too_long"
        );
        assert!(
            !format!(
                "{:?}",
                NewPassword::parse("correct horse battery", "pat@example.com").unwrap()
            )
            .contains("horse")
        );
    }

    #[test]
    fn guessable_passwords_are_refused() {
        let refused = [
            "password1234",
            "qwertyuiop123",
            "aaaaaaaaaaaaaaaa",
            "123456789012",
            "iloveyou12345",
            "Password2026!",
            "pat@example.com",
            "kaijikaiji123",
        ];
        let accepted: Vec<&str> = refused
            .into_iter()
            .filter(|p| NewPassword::parse(p, "pat@example.com") != Err("password_guessable"))
            .collect();
        assert!(accepted.is_empty(), "{accepted:?}");
        for p in [
            "correct horse battery staple",
            "tram-gravel-orchid-lantern",
            // The README's example.
            "a long passphrase here",
            "夏の終わりに海辺で読む本",
        ] {
            assert!(NewPassword::parse(p, "pat@example.com").is_ok(), "{p}");
        }
    }
}
