//! Use cases. Each one loads what it needs, asks the domain for a decision, and writes the new state and
//! its audit event in one transaction. Handlers call exactly one function here.

pub mod accounts;
pub mod approvals;
pub mod audit_browse;
pub mod audit_export_check;
pub mod audit_key;
pub mod audit_log;
pub mod audit_proofs;
pub mod audit_verify;
pub mod backup;
pub mod cases;
pub mod checklist;
pub mod clock;
pub mod confirm;
pub mod document_rejection;
pub mod documents;
pub mod drp;
pub mod drp_agents;
pub mod drp_callbacks;
pub mod drp_status;
pub mod drp_verification;
pub mod effects;
pub mod error;
pub mod evidence;
pub mod fees;
pub mod holds;
pub mod identity;
pub mod inquiries;
pub mod inquiry_letters;
pub mod intake;
pub mod jobs;
pub mod key_set;
pub mod limits;
pub mod metrics;
pub mod mfa;
pub mod notices;
pub mod package;
pub mod package_index;
pub mod postal_details;
pub mod postings;
pub mod preferences;
pub mod procedures;
pub mod provision;
pub mod queue;
pub mod readiness;
pub mod recipients;
pub mod reencrypt;
pub mod refusals;
pub mod registry;
pub mod reply;
pub mod reports;
pub mod requests;
pub mod retention;
pub mod review;
pub mod sequencer;
pub mod sign_in;
pub mod staff;
pub mod synth;
pub mod systems;
pub mod timeline;
pub mod tracking;
pub mod transition;
pub mod vocabulary;
pub mod workflows;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

pub use clock::Clock;
pub use error::AppError;

use crate::config::{Config, Keys};
use crate::db::Db;
use crate::domain::law::Laws;
use workflows::WorkflowCatalog;

/// Everything a use case needs, built once at start-up and shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub keys: Arc<Keys>,
    pub clock: Clock,
    pub workflows: WorkflowCatalog,
    pub limits: Arc<limits::IntakeLimits>,
    /// Password hashes checked by sign-ins since start: each attempt checks exactly one.
    pub password_checks: Arc<AtomicU64>,
}

impl AppState {
    pub fn new(db: Db, config: Config, keys: Keys, clock: Clock, laws: Laws) -> Self {
        let backend = db.backend();
        Self {
            db,
            keys: Arc::new(keys),
            clock,
            workflows: WorkflowCatalog::new(laws),
            limits: Arc::new(limits::IntakeLimits::new(
                backend,
                config.intake.intake_per_ip_per_hour,
                config.intake.intake_invalid_per_ip_per_hour,
                config.intake.intake_per_email_per_hour,
            )),
            config: Arc::new(config),
            password_checks: Arc::new(AtomicU64::new(0)),
        }
    }
}
