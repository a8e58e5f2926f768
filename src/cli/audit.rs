//! `kaiji audit`: the log's key and checkpoints, its verification, exports and evidence packs, and the
//! sequencer run on its own.

use std::path::PathBuf;

use clap::Subcommand;

use super::{app_state, open_db};
use crate::app::{AppState, Clock};
use crate::config::Config;
use crate::domain::code::Code;

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// Check the whole log (every event, the tree, every checkpoint, every erasure) and name the
    /// first event or checkpoint that does not check out (exit status 1).
    Verify {
        /// Also prove the log extends the checkpoints kept here: a file of signed checkpoints (as
        /// `audit checkpoint` prints them) or a directory written by `audit checkpoint --push`.
        #[arg(long)]
        against: Option<PathBuf>,
    },
    /// Write the log with its hashes to standard output, page by page, ending with the signed
    /// checkpoint that covers it.
    Export {
        #[arg(long, default_value = "csv")]
        format: String,
        /// First day (YYYY-MM-DD, UTC).
        #[arg(long)]
        from: Option<String>,
        /// Last day (YYYY-MM-DD, UTC, inclusive).
        #[arg(long)]
        to: Option<String>,
        /// Only this request's events.
        #[arg(long)]
        request: Option<String>,
        /// A staff id, or requester|staff|system.
        #[arg(long)]
        actor: Option<String>,
    },
    /// Check an export kept outside kaiji: it ends with its trailer, its rows are those the trailer
    /// counts and hashes, its checkpoint is signed by the log's key, and (unfiltered) its leaves hash
    /// to the checkpoint's root (exit status 1 otherwise).
    VerifyExport {
        /// The export, as `audit export` or `GET /api/v1/audit/export` wrote it (CSV or JSON lines).
        file: PathBuf,
        /// The log's verifier key as you keep it (`audit key`); without it, the trailer's own is used.
        #[arg(long)]
        key: Option<String>,
    },
    /// Print the signed-note verifier key of the log's checkpoints (origin+keyid+base64).
    Key,
    /// Print the latest signed checkpoint (C2SP tlog-checkpoint), or push it to a store kept elsewhere.
    Checkpoint {
        /// Append the latest checkpoint to this directory, after proving it extends the newest one
        /// there (run it from cron, or set KAIJI_AUDIT_CHECKPOINT_DIR for the worker to do it).
        #[arg(long)]
        push: Option<PathBuf>,
    },
    /// Run the sequencer (integrate committed events and sign checkpoints) until stopped; serve and
    /// worker run one too. Any instance holding the log's key may.
    Sequence {
        /// Integrate what is waiting and stop.
        #[arg(long)]
        once: bool,
    },
    /// Write one request's evidence pack (its events, their inclusion proofs, the checkpoint) as JSON.
    Evidence {
        #[arg(long)]
        request: String,
    },
}

/// `kaiji audit verify-export FILE [--key]`: needs no database.
pub(super) fn verify_export(file: &std::path::Path, key: Option<&str>) -> anyhow::Result<()> {
    let bytes = std::fs::read(file)?;
    match crate::app::audit_export_check::verify_export(&bytes, key) {
        Ok(c) => {
            println!(
                "export OK: {} events ({}), checkpoint of {} events signed by {}; {}",
                c.events,
                c.format,
                c.tree_size,
                if c.key_given {
                    "the key given"
                } else {
                    "the key the trailer names (pass --key to check whose log it is)"
                },
                if c.root_recomputed {
                    "its leaves hash to the checkpoint's root"
                } else {
                    "a filtered export: rows checked by count and digest"
                }
            );
            Ok(())
        }
        Err(problem) => Err(anyhow::anyhow!("export BROKEN: {problem}")),
    }
}

/// `kaiji audit verify [--against]`
pub(super) fn verify(config: &Config, against: Option<PathBuf>) -> anyhow::Result<()> {
    let db = open_db(config)?;
    let kept = match &against {
        Some(path) => crate::app::sequencer::read_kept(path)?,
        None => Vec::new(),
    };
    if against.is_some() && kept.is_empty() {
        anyhow::bail!("no checkpoint in {}", against.unwrap_or_default().display());
    }
    let r = crate::app::audit_verify::verify(&db, &kept)?;
    println!("{}", describe_report(&r));
    if r.intact {
        Ok(())
    } else {
        Err(anyhow::anyhow!("audit log BROKEN"))
    }
}

/// `kaiji audit export`
pub(super) fn export(
    config: &Config,
    format: &str,
    from: Option<String>,
    to: Option<String>,
    request: Option<String>,
    actor: Option<String>,
) -> anyhow::Result<()> {
    use std::io::Write;
    let db = open_db(config)?;
    let format: crate::app::audit_log::ExportFormat = format
        .parse()
        .map_err(|_| anyhow::anyhow!("--format must be csv or jsonl"))?;
    let filter = crate::app::audit_log::parse_filter(
        from.as_deref(),
        to.as_deref(),
        request.as_deref(),
        actor.as_deref(),
    )
    .map_err(|_| anyhow::anyhow!("--from and --to are dates like 2026-11-30"))?;
    let keys = config.load_keys()?;
    let record = crate::app::audit_log::record_export(
        &db,
        crate::domain::audit::Actor::System("cli"),
        &filter,
        format,
        Clock::System.now(),
    )?;
    crate::app::audit_log::integrate_now(&db, config, &keys, &record)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = None;
    crate::app::audit_log::export(&db, config, &keys, &filter, format, |chunk| {
        match out.write_all(&chunk) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    out.flush()?;
    Ok(())
}

/// `kaiji audit key`
pub(super) fn key(config: &Config) -> anyhow::Result<()> {
    let keys = config.load_keys()?;
    let db = open_db(config)?;
    let status = crate::app::audit_key::key_status(&db, config, &keys)?;
    match status {
        crate::app::audit_key::KeyStatus::Recorded { verifier_key }
        | crate::app::audit_key::KeyStatus::Unrecorded { verifier_key } => {
            println!("{verifier_key}");
            Ok(())
        }
        crate::app::audit_key::KeyStatus::HandingOver { recorded, ours } => {
            // Until the next checkpoint the log still names the previous key.
            println!("{recorded}");
            eprintln!(
                "the audit key was rotated: the next checkpoint, signed by both, hands the log over to {ours}"
            );
            Ok(())
        }
        crate::app::audit_key::KeyStatus::Different { recorded, ours } => {
            println!("{recorded}");
            anyhow::bail!(
                "this instance's key ({ours}) is not the log's: it cannot sign checkpoints"
            )
        }
    }
}

/// `kaiji audit checkpoint [--push DIR]`
pub(super) fn checkpoint(config: &Config, push: Option<PathBuf>) -> anyhow::Result<()> {
    let keys = config.load_keys()?;
    let db = open_db(config)?;
    match push {
        None => {
            let cp = crate::app::audit_proofs::checkpoint(&db, config, &keys, None).map_err(
                |e| match e {
                    crate::app::AppError::NotFound => {
                        anyhow::anyhow!("no checkpoint signed yet: no sequencer has run")
                    }
                    other => other.into(),
                },
            )?;
            print!("{}", cp.checkpoint);
            Ok(())
        }
        Some(dir) => {
            use crate::app::sequencer::PushOutcome;
            match crate::app::sequencer::push_checkpoint(&db, config, &keys, &dir)? {
                PushOutcome::Pushed { size, file } => {
                    println!(
                        "pushed the checkpoint of {size} event(s) to {}",
                        file.display()
                    )
                }
                PushOutcome::UpToDate { size } => println!(
                    "{} already holds the latest checkpoint ({size} event(s))",
                    dir.display()
                ),
                PushOutcome::NothingSigned => {
                    println!("no checkpoint signed yet: no sequencer has run")
                }
            }
            Ok(())
        }
    }
}

/// `kaiji audit sequence [--once]`
pub(super) fn sequence(config: Config, once: bool) -> anyhow::Result<()> {
    let state = app_state(config)?;
    if once {
        let mut events = 0;
        let mut size = None;
        while let crate::app::sequencer::Pass::Integrated { size: s, events: n } =
            crate::app::sequencer::integrate(
                &state.db,
                &state.config,
                &state.keys,
                crate::app::sequencer::BATCH,
            )?
        {
            events += n;
            size = Some(s);
        }
        match size {
            Some(s) => println!("integrated {events} event(s); the log holds {s}"),
            None => println!("nothing to integrate"),
        }
        return Ok(());
    }
    announce_key(&state)?;
    actix_web::rt::System::new().block_on(crate::app::sequencer::run(state));
    Ok(())
}

/// `kaiji audit evidence --request ID`
pub(super) fn evidence(config: &Config, request: &str) -> anyhow::Result<()> {
    let keys = config.load_keys()?;
    let db = open_db(config)?;
    let record = crate::app::audit_log::record_evidence_export(
        &db,
        crate::domain::audit::Actor::System("cli"),
        request,
        Clock::System.now(),
    )?;
    crate::app::audit_log::integrate_now(&db, config, &keys, &record)?;
    let pack = crate::app::audit_proofs::evidence_pack(&db, config, &keys, request)?;
    println!("{}", serde_json::to_string_pretty(&pack)?);
    Ok(())
}

/// Says at start whether this instance may sign the audit log (the verifier key is public; the key
/// itself is never printed).
pub(super) fn announce_key(state: &AppState) -> anyhow::Result<()> {
    use crate::app::audit_key::KeyStatus;
    match crate::app::audit_key::key_status(&state.db, &state.config, &state.keys)? {
        KeyStatus::Recorded { verifier_key } | KeyStatus::Unrecorded { verifier_key } => {
            tracing::info!(%verifier_key, "audit log: this instance may sequence and sign checkpoints");
        }
        KeyStatus::HandingOver { recorded, ours } => {
            tracing::info!(%recorded, %ours, "audit log: the key was rotated; the next checkpoint is signed by both and hands the log over");
        }
        KeyStatus::Different { recorded, ours } => {
            tracing::warn!(
                %recorded,
                %ours,
                "audit log: this instance holds another signing key than the one the log recorded; it will NOT sequence the log (give it the log's key: KAIJI_AUDIT_KEY or audit-signing.key)"
            );
        }
    }
    Ok(())
}

/// `kaiji audit verify`'s words for a report.
pub(super) fn describe_report(r: &crate::app::audit_verify::LogReport) -> String {
    let mut out = match &r.first_broken {
        None if r.intact => format!(
            "audit log intact: {} event(s) in the tree ({} from the hash chain before it), checkpoint of {} signed, root {}; {} checkpoint(s) checked; {} waiting to be integrated; {} written before the chain",
            r.events,
            r.chain_events,
            r.tree_size,
            r.root_hash.as_deref().unwrap_or("(none)"),
            r.checkpoints,
            r.pending,
            r.before_chain
        ),
        None => "audit log BROKEN against a kept checkpoint".to_owned(),
        Some(p) => {
            let era = p
                .era
                .map(|e| format!(", {} era", e.as_str()))
                .unwrap_or_default();
            match (p.seq, p.checkpoint) {
                (Some(seq), _) => format!(
                    "audit log BROKEN at event {seq}{}{era}: {} ({} event(s) before it check out)",
                    p.id.as_deref()
                        .map(|i| format!(" (id {i})"))
                        .unwrap_or_default(),
                    p.problem,
                    seq - 1
                ),
                (None, Some(size)) => {
                    format!(
                        "audit log BROKEN at the checkpoint of {size} event(s){era}: {}",
                        p.problem
                    )
                }
                (None, None) => format!("audit log BROKEN: {}", p.problem),
            }
        }
    };
    for k in &r.kept {
        let size = k
            .size
            .map(|s| format!("of {s} event(s)"))
            .unwrap_or_else(|| "(unreadable)".into());
        match k.problem {
            None => out.push_str(&format!("\nkept checkpoint {size}: the log extends it")),
            Some("lost_in_restore") => out.push_str(&format!(
                "\nkept checkpoint {size}: LOST IN A RESTORE: signed under the log's old name before it \
                 was restored from a backup ending at {} event(s); events {} to {} are not in this log",
                k.lost_after.unwrap_or_default(),
                k.lost_after.unwrap_or_default() + 1,
                k.size.unwrap_or_default()
            )),
            Some(p) => out.push_str(&format!("\nkept checkpoint {size}: BROKEN: {p}")),
        }
    }
    out
}
