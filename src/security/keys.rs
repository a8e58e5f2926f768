//! The kinds of secret key every instance shares (issue 22), and where a recorded key stands. Each kind's
//! ring is read from its setting or, for the first three, from its key file in the data directory.

use crate::domain::code::{apply, coded};

/// A kind of key: what it protects decides how it may be rotated and retired (`app::key_set`).
#[apply(coded)]
pub enum KeyKind {
    /// Signs CSRF tokens and derives tracking, confirmation and download links.
    Session,
    /// Encrypts scans, identity documents and replies at rest.
    Document,
    /// Signs the audit log's checkpoints (its public half is the log's verifier key).
    Audit,
    /// Verifies identity assertions from the company's login (always a setting: it has no key file).
    Assertion,
}

impl KeyKind {
    /// The setting that gives the kind's ring, named to the operator.
    pub fn setting(self) -> &'static str {
        match self {
            KeyKind::Session => "KAIJI_SESSION_KEY",
            KeyKind::Document => "KAIJI_DOCUMENT_KEY",
            KeyKind::Audit => "KAIJI_AUDIT_KEY",
            KeyKind::Assertion => "KAIJI_ASSERTION_KEY",
        }
    }
}

/// Where a recorded key stands: the active key signs, a verify-only key is kept for what it signed or
/// sealed, a retired key is dropped from every ring at start.
#[apply(coded)]
pub enum RecordedKeyStatus {
    Active,
    VerifyOnly,
    Retired,
}
