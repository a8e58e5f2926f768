//! What every definition read from `seeds/` shares: the text it shows people, in each language kaiji
//! speaks, and why a definition is refused.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::request::Language;

/// Text shown to people, in each language kaiji speaks.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub en: String,
    pub ja: String,
}

impl Label {
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.en,
            Language::Ja => &self.ja,
        }
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
