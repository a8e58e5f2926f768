//! Secrets and the randomness they need: opaque tokens, password hashes, keyed signatures.

pub mod documents;
pub mod files;
pub mod keys;
pub mod mfa;
pub mod password;
pub mod tokens;
