//! Choices a person states once and every data system must then honour: an opt-out of the sale or
//! sharing of their personal information (CCPA §1798.120), a limit on the use of their sensitive
//! personal information (§1798.121), and their own opt-in again afterwards (11 CCR §7028). Which
//! choices exist is data: a right in `seeds/regimes/` names the preference it records
//! (`preference = { kind = "sale_sharing", value = "opted_out" }`), and a regime names the kind an
//! opt-out preference signal such as Global Privacy Control stands for (`gpc = "sale_sharing"`).

use unicode_normalization::UnicodeNormalization;

use crate::domain::code::{apply, coded};

/// The kind of choice (`sale_sharing`, `sensitive_use`): lower-case letters, digits and `_`, as a
/// regime's file names it. A stored kind never changes meaning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct PreferenceKind(String);

impl PreferenceKind {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty()
            || s.len() > 40
            || !s
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err("invalid_preference_kind");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PreferenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the person stands on one kind of choice.
#[apply(coded)]
pub enum PreferenceValue {
    /// The business must not (sell or share; use the sensitive data beyond what the law allows).
    OptedOut,
    /// The person consented again, themselves, after an opt-out (§7028).
    OptedIn,
}

/// How the choice reached kaiji.
#[apply(coded)]
pub enum PreferenceSource {
    /// A request filed on the form, the API or by letter, and honoured by an officer.
    Request,
    /// The browser's opt-out preference signal (`Sec-GPC: 1`), honoured for a person kaiji knows
    /// (11 CCR §7025): no request, no verification, no agent's permission needed.
    Gpc,
}

/// What a right records when it is honoured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferenceRule {
    pub kind: PreferenceKind,
    pub value: PreferenceValue,
}

/// The form an email address is looked up by: trimmed, Unicode NFC, lower case. Mailbox local parts
/// are case-sensitive in theory and never in practice; a person who typed `Ann@Example.com` once and
/// `ann@example.com` later is the same person to every data system that asks.
pub fn email_lookup_form(email: &str) -> String {
    email.trim().to_lowercase().nfc().collect()
}

/// The form an account id is looked up by: trimmed and NFC, case kept (ids are the business's own).
pub fn account_lookup_form(account_id: &str) -> String {
    account_id.trim().nfc().collect()
}

/// The value that holds now, given the history newest last: the latest choice wins, whichever way
/// it reached kaiji (a consumer's own opt-in after a GPC opt-out stands until their browser says
/// otherwise again).
pub fn current<'a, I>(history: I) -> Option<PreferenceValue>
where
    I: IntoIterator<Item = &'a PreferenceValue>,
{
    history.into_iter().last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::Code;
    use proptest::prelude::*;

    #[test]
    fn kinds_are_codes() {
        assert!(PreferenceKind::parse("sale_sharing").is_ok());
        assert!(PreferenceKind::parse("").is_err());
        assert!(PreferenceKind::parse("Sale").is_err());
        assert!(PreferenceKind::parse("sale-sharing").is_err());
        assert!(PreferenceKind::parse(&"a".repeat(41)).is_err());
    }

    #[test]
    fn values_and_sources_read_as_stored() {
        for v in PreferenceValue::ALL {
            assert_eq!(v.as_str().parse::<PreferenceValue>().unwrap(), *v);
        }
        for s in PreferenceSource::ALL {
            assert_eq!(s.as_str().parse::<PreferenceSource>().unwrap(), *s);
        }
        assert_eq!(PreferenceValue::OptedOut.as_str(), "opted_out");
        assert_eq!(PreferenceSource::Gpc.as_str(), "gpc");
    }

    #[test]
    fn the_latest_choice_holds() {
        use PreferenceValue::*;
        assert_eq!(current(&[]), None);
        assert_eq!(current(&[OptedOut]), Some(OptedOut));
        assert_eq!(current(&[OptedOut, OptedIn]), Some(OptedIn));
        assert_eq!(current(&[OptedIn, OptedOut]), Some(OptedOut));
    }

    #[test]
    fn addresses_are_looked_up_in_one_form() {
        assert_eq!(email_lookup_form("  Ann@Example.COM \n"), "ann@example.com");
        // A decomposed é and a composed one are the same address.
        assert_eq!(
            email_lookup_form("jose\u{301}@example.com"),
            email_lookup_form("josé@example.com")
        );
        assert_eq!(account_lookup_form(" AB-12 "), "AB-12");
    }

    proptest! {
        #[test]
        fn the_lookup_form_is_stable(s in "\\PC{0,60}") {
            let once = email_lookup_form(&s);
            prop_assert_eq!(email_lookup_form(&once), once.clone());
            let acc = account_lookup_form(&s);
            prop_assert_eq!(account_lookup_form(&acc), acc.clone());
        }
    }
}
