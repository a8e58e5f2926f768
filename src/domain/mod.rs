//! The pure core: types in the domain's words, invariants, and the workflow engine.
//!
//! Nothing here performs I/O, reads the clock or draws random numbers: `now`, ids and tokens come in as
//! arguments. A test (`tests/it/architecture.rs`) keeps this module free of the I/O crates.

pub mod addressee;
pub mod audit;
pub mod code;
pub mod deadline;
pub mod definition;
pub mod documents;
pub mod drp;
pub mod fees;
pub mod field;
pub mod identity;
pub mod ids;
pub mod inquiry;
pub mod kana;
pub mod language;
pub mod law;
pub mod notice;
pub mod on_behalf;
pub mod payment_match;
pub mod postal;
pub mod posting;
pub mod preference;
pub mod provision;
pub mod reply;
pub mod reports;
pub mod request;
pub mod sign_in;
pub mod staff;
pub mod statements;
pub mod stored;
pub mod systems;
pub mod tax;
pub mod tlog;
pub mod workflow;
pub mod zengin;

pub use field::{FieldError, FieldErrors};
