//! What every definition read from `seeds/` shares: the text it shows people, in each language kaiji
//! speaks, and why a definition is refused.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::request::Language;

/// Text shown to people, keyed by language. English is required: it is what a reader whose language a
/// definition has no text in gets, so a new language (a Fluent folder) never leaves a page blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(BTreeMap<Language, String>);

impl Label {
    /// A code shown where no definition names it any more: English only, so every language reads it.
    pub fn plain(text: impl Into<String>) -> Self {
        Self(BTreeMap::from([(Language::EN, text.into())]))
    }

    /// The text in `lang`, else in English.
    pub fn get(&self, lang: Language) -> &str {
        self.0
            .get(&lang)
            .or_else(|| self.0.get(&Language::EN))
            .map_or("", String::as_str)
    }

    pub fn en(&self) -> &str {
        self.get(Language::EN)
    }

    pub fn ja(&self) -> &str {
        self.get(Language::JA)
    }
}

impl Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts = BTreeMap::<Language, String>::deserialize(d)?;
        if !texts.contains_key(&Language::EN) {
            return Err(serde::de::Error::custom(
                "a label needs its English text (`en`), which readers of other languages fall back to",
            ));
        }
        Ok(Self(texts))
    }
}

/// Why a definition was refused: the line in the file (when known) and a plain reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub line: Option<usize>,
    pub reason: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for DefinitionError {}
