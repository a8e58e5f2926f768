//! `kaiji keys`: the key set the instances share, as PostgreSQL (or SQLite) records it.

use clap::builder::PossibleValue;
use clap::{Subcommand, ValueEnum};

use super::app_state;
use crate::app::key_set;
use crate::config::Config;
use crate::domain::code::Code;
use crate::security::keys::KeyKind;

/// The kinds are given by their codes (`kaiji keys rotate session`), as the key set records them.
impl ValueEnum for KeyKind {
    fn value_variants<'a>() -> &'a [Self] {
        KeyKind::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// The recorded keys (ids only, never the keys), their status, and whether this instance holds
    /// each.
    List,
    /// A new key for KIND, printed in base64, for a ring kept in a setting (KAIJI_*_KEY): put it first,
    /// the current key after it, on every instance. Records nothing.
    Generate { kind: KeyKind },
    /// A new key of KIND signs from now on; the old one is kept verify-only, so no link already sent
    /// and nothing already sealed stops working. With the ring in its key file the new key is
    /// generated and written there; with a setting, put it there first (`kaiji keys generate`).
    /// Restart the instances afterwards. Audited.
    Rotate { kind: KeyKind },
    /// After a document key rotation: seal again under the new key what older keys sealed, while the
    /// service runs, with a progress bar. Run it once every instance holds the new ring. Audited.
    Reencrypt,
    /// Drop an old key that nothing depends on any more (refused while something does). Audited.
    Retire { kind: KeyKind, key_id: String },
    /// Make this instance's key of KIND the key set's (after replacing a leaked key); the kind's other
    /// keys are retired, and what they protect can no longer be read. Audited.
    Adopt { kind: KeyKind },
}

pub(super) fn run(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    if let KeysCommand::Generate { kind } = command {
        let len = Config::key_len(kind);
        // Printed, not logged: the operator puts it in the setting.
        println!("{}", crate::config::SecretBytes::random(len).to_base64());
        return Ok(());
    }
    let state = app_state(config)?;
    match command {
        KeysCommand::Generate { .. } => {}
        KeysCommand::List => {
            let mut conn = state.db.conn()?;
            let log = crate::db::tlog::state(&mut conn)?;
            let ours = key_set::held(&log, &state.config, &state.keys)?;
            let rows = crate::db::service_keys::all(&mut conn)?;
            if rows.is_empty() {
                println!("no keys recorded yet: the first serve or worker records its own");
            }
            for r in rows {
                let held = ours.iter().find(|k| k.kind == r.kind).and_then(|k| {
                    k.ring.iter().position(|id| *id == r.key_id).map(|i| {
                        if i == 0 {
                            "  (this instance signs with it)"
                        } else {
                            "  (this instance holds it)"
                        }
                    })
                });
                println!(
                    "{:<10} {}  {:<11} added {}{}",
                    r.kind,
                    r.key_id,
                    r.status,
                    r.added_at.format("%Y-%m-%d %H:%M UTC"),
                    held.unwrap_or("")
                );
            }
        }
        KeysCommand::Rotate { kind } => {
            let r = key_set::rotate(&state.db, &state.config, &state.keys, &state.clock, kind)?;
            if let Some(path) = &r.written {
                println!("wrote the new ring to {}", path.display());
            }
            println!(
                "the {} key {} signs from now on; {} is kept verify-only. Give every instance the new \
                 ring ({}) and restart them.",
                r.kind,
                r.key_id,
                r.previous,
                r.written
                    .as_ref()
                    .map_or(r.setting.to_owned(), |p| p.display().to_string())
            );
            if r.kind == KeyKind::Document {
                println!(
                    "Then run `kaiji keys reencrypt`, and `kaiji keys retire document {}` once it is done.",
                    r.previous
                );
            }
        }
        KeysCommand::Reencrypt => {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} sealed items, {per_sec}, {eta} left",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let report = crate::app::reencrypt::reencrypt(
                &state.db,
                &state.keys,
                &state.clock,
                &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
            )?;
            bar.finish_and_clear();
            println!(
                "checked {} sealed item(s): {} sealed again under the document key {}, {} unreadable",
                report.checked,
                report.resealed,
                state.keys.document.signer_id(),
                report.unreadable
            );
            for (id, n) in &report.under {
                println!("  {n} had been sealed under {id}");
            }
        }
        KeysCommand::Retire { kind, key_id } => {
            let written = key_set::retire(
                &state.db,
                &state.config,
                &state.keys,
                &state.clock,
                kind,
                &key_id,
            )?;
            println!("the {} key {key_id} is retired", kind.as_str());
            if let Some(path) = written {
                println!("removed it from {}", path.display());
            }
        }
        KeysCommand::Adopt { kind } => {
            let key = key_set::adopt(&state.db, &state.config, &state.keys, &state.clock, kind)?;
            println!(
                "the {} key {} is now the key set's; give every instance {}",
                key.kind, key.id, key.setting
            );
        }
    }
    Ok(())
}
