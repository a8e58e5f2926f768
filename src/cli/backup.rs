//! `kaiji backup` and `kaiji restore`.

use std::path::Path;

use super::{app_state, open_db};
use crate::app::Clock;
use crate::app::backup as app;
use crate::config::Config;

/// `kaiji backup DIR [--keys KEYDIR]`
pub(super) fn backup(config: Config, dir: &Path, keys: Option<&Path>) -> anyhow::Result<()> {
    let state = app_state(config)?;
    let m = app::backup(
        &state.db,
        &state.config,
        &state.keys,
        &state.clock,
        dir,
        keys,
    )?;
    println!(
        "backed up the {} database to {} ({}, SHA-256 {})",
        m.backend,
        dir.display(),
        m.database_file,
        m.database_sha256
    );
    match &m.checkpoint {
        Some(c) => println!(
            "the audit log's last checkpoint in it: {} event(s), root {} ({})",
            c.size, c.root_hash, c.origin
        ),
        None => println!("the audit log had signed no checkpoint yet"),
    }
    match keys {
        Some(k) => println!(
            "the key rings are in {}: keep them apart from the backup (a backup with its document key \
             beside it is not encrypted at rest)",
            k.display()
        ),
        None => println!(
            "the keys were NOT written: keep the data directory's key files (or the KAIJI_*_KEY \
             settings) safe apart, or give --keys DIR; without them the backup's documents cannot be read"
        ),
    }
    Ok(())
}

/// `kaiji restore DIR [--keys KEYDIR]`
pub(super) fn restore(config: Config, dir: &Path, keys: Option<&Path>) -> anyhow::Result<()> {
    app::check(&config, dir)?;
    if let Some(k) = keys {
        app::restore_keys(&config, k)?;
    }
    let manifest = app::place_database(&config, dir)?;
    let db = open_db(&config)?;
    let keys = config.load_keys()?;
    let r = app::start_epoch(&db, &config, &keys, &Clock::System, manifest)?;
    println!(
        "restored the backup of {} ({} database)",
        r.manifest.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
        r.manifest.backend
    );
    // Proven whole: the restored log verifies from its first event to the new epoch's checkpoint.
    let report = crate::app::audit_verify::verify(&db, &[])?;
    println!("{}", super::audit::describe_report(&report));
    if !report.intact {
        anyhow::bail!("the restored audit log does not verify: the backup was altered or damaged");
    }
    if let (Some(origin), Some(vkey)) = (&r.origin, &r.verifier_key) {
        let size = r.manifest.checkpoint.as_ref().map_or(0, |c| c.size);
        println!(
            "the audit log goes on under a new name, {origin}: its first new leaf records this restore. \
             Auditors: checkpoints signed under the old name up to the backup's ({size} event(s) or \
             more) still check; later ones name events lost with the restore (`kaiji audit verify \
             --against FILE` says which). The new verifier key:\n{vkey}"
        );
    }
    Ok(())
}
