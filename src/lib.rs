//! kaiji (開示): an open-source backend that runs personal-data rights requests end to end.
//! See ARCHITECTURE.md for the modules and how a request flows through them.

pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod i18n;
pub mod notify;
pub mod security;
pub mod web;
