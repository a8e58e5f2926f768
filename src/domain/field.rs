//! Per-field validation errors, carried from the domain's parsers to the forms and the JSON API.

use std::borrow::Cow;
use validator::ValidateEmail;

use serde::Serialize;

/// One problem with one input field. `code` is stable (API clients and translations key on it). The
/// field is a name the code knows, or one a client sent (a query parameter, a JSON key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: Cow<'static, str>,
    pub code: &'static str,
}

/// Every problem found in one submission, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<Cow<'static, str>>, code: &'static str) {
        self.0.push(FieldError {
            field: field.into(),
            code,
        });
    }

    /// Records the error of a parse, if any, and hands back the parsed value.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, &'static str>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(code) => {
                self.push(field, code);
                None
            }
        }
    }

    /// An optional field: left blank it is `Some(None)` (nothing given, nothing wrong); otherwise it is
    /// parsed, and its error recorded.
    pub fn check_optional<T>(
        &mut self,
        field: &'static str,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Option<Option<T>> {
        if raw.trim().is_empty() {
            Some(None)
        } else {
            self.check(field, parse(raw).map(Some))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The first error code for a field, for showing beside it.
    pub fn code_for(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.code)
    }

    pub fn into_result<T>(self, value: Option<T>) -> Result<T, FieldErrors> {
        match value {
            Some(v) if self.is_empty() => Ok(v),
            _ => Err(self),
        }
    }
}

/// Trims and rejects control characters other than newlines and tabs (which only free text may hold).
/// Required text without control characters, at most `max` characters, trimmed.
pub(crate) fn bounded(raw: &str, max: usize) -> Result<String, &'static str> {
    required_text(raw, true, max)
}

/// A field that must be filled: cleaned (`clean_text`, line breaks kept if `multiline`), not empty, at
/// most `max` characters.
pub(crate) fn required_text(
    raw: &str,
    multiline: bool,
    max: usize,
) -> Result<String, &'static str> {
    let t = clean_text(raw, multiline)?;
    if t.is_empty() {
        Err("required")
    } else if t.chars().count() > max {
        Err("too_long")
    } else {
        Ok(t)
    }
}

/// An address mail can reach from the internet: well formed (the HTML standard's rule, which the
/// validator crate follows) and at a domain with at least two labels. `a@b` is well formed but no
/// public domain is a single label, and a reply sent there would be lost.
pub fn deliverable(s: &str) -> bool {
    s.validate_email()
        && s.rsplit_once('@').is_some_and(|(_, domain)| {
            let labels: Vec<&str> = domain.split('.').collect();
            labels.len() >= 2
                && labels.iter().all(|l| !l.is_empty())
                && labels
                    .last()
                    .is_some_and(|tld| tld.chars().any(|c| !c.is_ascii_digit()))
        })
}

pub(crate) fn clean_text(raw: &str, multiline: bool) -> Result<String, &'static str> {
    let trimmed = raw.trim();
    // Control characters, and the bidirectional overrides and isolates that make text read otherwise than it
    // is stored (U+202A–U+202E, U+2066–U+2069).
    let bad = trimmed.chars().any(|c| {
        (c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    });
    if bad {
        return Err("invalid_characters");
    }
    Ok(trimmed.to_owned())
}
