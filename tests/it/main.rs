//! kaiji's integration tests, in one binary (one build, one link, and one line when the PostgreSQL half
//! cannot run). Each module is one area; `common` holds the shared app, clients and helpers, and
//! `both_backends!` runs a test on SQLite and on PostgreSQL.

#[macro_use]
mod common;

mod access_package;
mod architecture;
mod audit;
mod audit_proofs;
mod backup;
mod bad_input;
mod browser;
mod cli;
mod concurrency;
mod desk_week;
mod drp;
mod every_right;
mod forms;
mod four_eyes;
mod hardening;
mod health;
mod inquiries;
mod instances;
mod key_rotation;
mod languages;
mod laws_as_data;
mod legal_hold;
mod mfa;
mod notice_rendering;
mod notices;
mod officer_page;
mod on_behalf;
mod openapi;
mod opt_outs;
mod page_tour;
mod people;
mod postal;
mod procedures;
mod provision;
mod queue;
mod reports;
mod rights;
mod roles;
mod schema_parity;
mod sign_in;
mod staff_auth;
mod staff_words;
mod system_owners;
mod systems;
mod task_kinds;
mod tracking_page;
mod walking_skeleton;
mod workers;
mod workflow_properties;
mod workflows_api;
mod workflows_readme;
