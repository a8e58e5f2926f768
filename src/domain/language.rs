//! The language a requester reads: only its spelling; which languages kaiji speaks is data.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The language a requester reads; notices and pages follow it. A BCP 47 primary subtag (`ja`, `en`,
/// `ko`): which languages kaiji speaks is data (a Fluent folder each, `templates/i18n/`), so this type
/// checks only the spelling; the web and the loaders check that kaiji speaks it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language {
    tag: [u8; 3],
    len: u8,
}

impl Language {
    /// Japanese: the home desk's language, and what a page shows when nothing else is known.
    pub const JA: Language = Language::of(*b"ja\0", 2);
    /// English: every definition's labels have it, so it is what a label falls back to.
    pub const EN: Language = Language::of(*b"en\0", 2);

    const fn of(tag: [u8; 3], len: u8) -> Self {
        Self { tag, len }
    }

    pub fn as_str(&self) -> &str {
        // Only lower-case ASCII letters are ever stored (see `from_str`).
        std::str::from_utf8(&self.tag[..usize::from(self.len)]).unwrap_or("en")
    }
}

impl Default for Language {
    fn default() -> Self {
        Language::JA
    }
}

impl fmt::Debug for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Language({})", self.as_str())
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = &'static str;
    /// Two or three lower-case letters (ISO 639), as places and Fluent folders name languages.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if !(2..=3).contains(&b.len()) || !b.iter().all(u8::is_ascii_lowercase) {
            return Err("unknown_language");
        }
        let mut tag = [0u8; 3];
        tag[..b.len()].copy_from_slice(b);
        Ok(Language::of(tag, b.len() as u8))
    }
}

impl Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
