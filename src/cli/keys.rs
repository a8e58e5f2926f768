//! `kaiji keys`: the key set the instances share, as PostgreSQL (or SQLite) records it.

use clap::{Subcommand, ValueEnum};

use super::app_state;
use crate::app::key_set;
use crate::config::Config;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyKind {
    Session,
    Document,
    Audit,
    Assertion,
}

impl KeyKind {
    fn as_str(self) -> &'static str {
        match self {
            KeyKind::Session => "session",
            KeyKind::Document => "document",
            KeyKind::Audit => "audit",
            KeyKind::Assertion => "assertion",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// The recorded keys (ids only, never the keys), and whether this instance holds each.
    List,
    /// Make this instance's key of KIND the key set's (after replacing a leaked key); the kind's other
    /// keys are retired, and what they protect can no longer be read. Audited.
    Adopt { kind: KeyKind },
}

pub(super) fn run(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    let state = app_state(config)?;
    match command {
        KeysCommand::List => {
            let ours = key_set::held(&state.config, &state.keys)?;
            let rows = crate::db::service_keys::all(&mut *state.db.conn()?)?;
            if rows.is_empty() {
                println!("no keys recorded yet: the first serve or worker records its own");
            }
            for r in rows {
                let held = ours.iter().any(|k| k.kind == r.kind && k.id == r.key_id);
                println!(
                    "{:<10} {}  {:<11} added {}{}",
                    r.kind,
                    r.key_id,
                    r.status,
                    r.added_at.format("%Y-%m-%d %H:%M UTC"),
                    if held { "  (this instance's)" } else { "" }
                );
            }
        }
        KeysCommand::Adopt { kind } => {
            let key = key_set::adopt(
                &state.db,
                &state.config,
                &state.keys,
                &state.clock,
                kind.as_str(),
            )?;
            println!(
                "the {} key {} is now the key set's; give every instance {}",
                key.kind, key.id, key.setting
            );
        }
    }
    Ok(())
}
