//! The errors use cases return. `web::error` maps each to an HTTP status and a stable code, in one place.

use crate::db::DbError;
use crate::domain::FieldErrors;
use crate::domain::workflow::TransitionError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the input is invalid")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("login required")]
    Unauthenticated,
    /// Signed in with the password; the second step (an authenticator code) is still due.
    #[error("the second step of sign-in is due")]
    SecondStepDue(crate::app::staff::SecondStep),
    #[error("this role may not do that")]
    Forbidden,
    #[error("email or password is wrong")]
    BadCredentials,
    /// Too many failed sign-ins (for this email, from this address, or both): the next is heard later.
    #[error("too many failed sign-ins; try again in {retry_after_secs} seconds")]
    SignInThrottled { retry_after_secs: u64 },
    #[error("the record changed since it was loaded")]
    Conflict,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("the setup link is invalid, used or expired")]
    SetupLinkInvalid,
    #[error("a staff account with this email already exists")]
    StaffEmailTaken,
    #[error(
        "no published workflow accepts {request_type} requests from {jurisdiction} through channel {channel}"
    )]
    NoWorkflow {
        request_type: String,
        channel: &'static str,
        jurisdiction: String,
    },
    #[error("workflow definition {0}")]
    Definition(String),
    #[error("too many requests; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Assertion(#[from] crate::domain::identity::AssertionError),
    #[error("this link has already been used")]
    LinkUsed,
    #[error("the download link has expired")]
    LinkExpired,
    #[error("the download link was withdrawn")]
    LinkRevoked,
    #[error("the download link has been used as many times as it allows")]
    DownloadLimitReached,
    #[error("the payment is already matched to an invoice")]
    PaymentAlreadyMatched,
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    #[error("the file's contents were erased after the retention period")]
    Purged,
    #[error("the event data is invalid: {0}")]
    BadEventData(&'static str),
    /// This instance holds another signing key than the one the audit log recorded: it must not sign.
    #[error("this instance's audit signing key is not the one the audit log recorded ({recorded})")]
    AuditKeyMismatch { recorded: String },
    /// The stored tree or its checkpoints do not agree with the events: proofs cannot be given and the
    /// sequencer stops (`kaiji audit verify` says what changed).
    #[error("the audit log's stored tree is damaged: {0}")]
    AuditLogDamaged(String),
    /// The event is committed but the sequencer has not integrated it yet (within a second or so).
    #[error("the event is not yet integrated into the audit log; try again shortly")]
    NotYetIntegrated,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl AppError {
    /// The input is refused for one reason, named on one field.
    pub fn invalid(field: &'static str, code: &'static str) -> Self {
        let mut errors = FieldErrors::new();
        errors.push(field, code);
        AppError::Invalid(errors)
    }

    /// No database connection could be had in time: the service is briefly unavailable (worth a
    /// retry), not broken.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AppError::Db(DbError::Pool(_)))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Db(DbError::Query(e))
    }
}
