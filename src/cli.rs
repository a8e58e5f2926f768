//! The command line: `serve`, `migrate`, `seed`, `user add`, `config`, `workflow`.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{AppState, Clock, staff, workflows};
use crate::config::Config;
use crate::db::Db;
use crate::domain::staff::Role;
use crate::web;

#[derive(Debug, Parser)]
#[command(
    name = "kaiji",
    version,
    about = "kaiji (開示): personal-data rights requests, end to end"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web service (migrates the database and loads seeds/ first).
    Serve {
        /// Address to listen on [default: KAIJI_BIND or 127.0.0.1:8080]
        #[arg(long)]
        bind: Option<SocketAddr>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Publish the workflow definitions in seeds/ that are not yet in the database.
    Seed {
        /// Seeds directory [default: KAIJI_SEEDS_DIR or ./seeds]
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print the effective configuration, secrets masked.
    Config,
    /// Inspect workflow definitions.
    Workflow {
        #[command(subcommand)]
        command: WorkflowCommand,
    },
    /// Erase scans and identity documents of requests closed longer ago than KAIJI_DOCUMENT_RETENTION_DAYS
    /// (serve also does this every hour).
    PurgeDocuments,
    /// Erase the personal data of requests closed longer ago than KAIJI_RECORD_RETENTION_MONTHS (serve
    /// also does this every hour); their audit events' details are redacted, the chain stays verifiable.
    PurgeRecords,
    /// Close requests whose email address was not confirmed within KAIJI_CONFIRM_EMAIL_HOURS, each with
    /// its notice (serve also does this every hour).
    ExpireUnconfirmed,
    /// Deliver queued email notices and sequence the audit log (serve also does both). Several workers
    /// may run at once: each notice is claimed by one, one sequencer at a time integrates the log.
    Worker {
        /// Integrate the audit log and deliver what is due, once, and stop.
        #[arg(long)]
        once: bool,
        /// Seconds between rounds.
        #[arg(long, default_value_t = 5)]
        every: u64,
    },
    /// Tools for development and benchmarks.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage bearer tokens for the staff API.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DevCommand {
    /// Bulk-load synthetic requests (under the published workflows) with chained audit events.
    Synth {
        #[arg(long)]
        requests: u64,
        #[arg(long, default_value_t = 5)]
        events_per_request: u32,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
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

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for a staff account; it is printed once and stored only as a digest.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. the script that uses it.
        #[arg(long, default_value = "api")]
        label: String,
    },
    /// List tokens (never their values).
    List,
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff account. The password is read from standard input, never from the command line.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from standard input (required: passwords never go in arguments).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Unlock an account locked after failed sign-ins (audited).
    Unlock {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum WorkflowCommand {
    /// Check definition files without a database; exits non-zero naming the file, line and reason.
    Check {
        /// A file or a directory of *.toml files [default: <seeds dir>/workflows]
        path: Option<PathBuf>,
        /// Holiday calendars the definitions may use [default: <seeds dir>/calendars]
        #[arg(long)]
        calendars: Option<PathBuf>,
    },
    /// List the workflows published in the database.
    List,
    /// Draw a workflow from <seeds dir>/workflows (its newest version) as DOT or SVG.
    Graph {
        id: String,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Svg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Ja,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Officer,
    Auditor,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Officer => Role::Officer,
            RoleArg::Auditor => Role::Auditor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    web::telemetry::init(config.log_format, &config.log_level);
    match execute(cli.command, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn open_db(config: &Config) -> anyhow::Result<Db> {
    let db = Db::open(&config.database, config.db_pool_size)?;
    let applied = db.migrate()?;
    if !applied.is_empty() {
        tracing::info!(
            count = applied.len(),
            backend = db.backend().as_str(),
            "applied migrations"
        );
    }
    Ok(db)
}

fn seed(db: &Db, dir: &std::path::Path, clock: &Clock) -> anyhow::Result<()> {
    let wf_dir = dir.join("workflows");
    if !wf_dir.is_dir() {
        anyhow::bail!(
            "no workflow definitions: {} is not a directory",
            wf_dir.display()
        );
    }
    let calendars = workflows::read_calendars(&dir.join("calendars"))?;
    let files = workflows::read_definitions(&wf_dir, &calendars)?;
    let report = workflows::publish(&mut *db.conn()?, &files, clock)?;
    for (id, v) in &report.published {
        tracing::info!(workflow = %id, version = v, "published workflow");
    }
    tracing::info!(
        published = report.published.len(),
        unchanged = report.unchanged.len(),
        "seeds loaded"
    );
    let systems = dir.join("data_systems.toml");
    if systems.is_file() {
        let text = std::fs::read_to_string(&systems)?;
        let added = crate::app::systems::seed(db, clock, &text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", systems.display()))?;
        tracing::info!(added, "data systems loaded");
    }
    Ok(())
}

fn execute(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Config => {
            print!("{}", config.describe());
            Ok(())
        }
        Command::Migrate => {
            let db = Db::open(&config.database, 1)?;
            let applied = db.migrate()?;
            println!(
                "{} migration(s) applied on {}",
                applied.len(),
                db.backend().as_str()
            );
            Ok(())
        }
        Command::Seed { dir } => {
            let db = open_db(&config)?;
            seed(
                &db,
                dir.as_deref().unwrap_or(&config.seeds_dir),
                &Clock::System,
            )
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    role,
                    password_stdin: _,
                },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.strip_suffix('\n').unwrap_or(&password);
            let password = password.strip_suffix('\r').unwrap_or(password);
            let db = open_db(&config)?;
            match staff::add_user(&db, &Clock::System, &email, role.into(), password) {
                Ok(member) => {
                    println!("created {} account {}", member.role, member.email);
                    Ok(())
                }
                Err(crate::app::AppError::Invalid(errors)) => {
                    let tr = web::i18n::Tr::new(crate::domain::request::Language::En);
                    let msgs: Vec<String> = errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, tr.field_error(e.code)))
                        .collect();
                    anyhow::bail!("{}", msgs.join("; "))
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::User {
            command: UserCommand::Unlock { email },
        } => {
            let keys = config.load_keys()?;
            let db = open_db(&config)?;
            let calendars = workflows::read_calendars(&config.seeds_dir.join("calendars"))?;
            let state = AppState::new(db, config, keys, Clock::System, calendars);
            actix_web::rt::System::new().block_on(staff::unlock(
                &state,
                crate::domain::audit::Actor::System("cli"),
                email.clone(),
            ))?;
            println!("unlocked {email}");
            Ok(())
        }
        Command::Workflow {
            command: WorkflowCommand::Check { path, calendars },
        } => {
            let path = path.unwrap_or_else(|| config.seeds_dir.join("workflows"));
            let calendars = workflows::read_calendars(
                &calendars.unwrap_or_else(|| config.seeds_dir.join("calendars")),
            )?;
            let files = workflows::read_definitions(&path, &calendars)?;
            for f in &files {
                println!(
                    "ok  {}  {} v{}  ({} states, {} transitions)",
                    f.path.display(),
                    f.definition.id,
                    f.definition.version,
                    f.definition.states.len(),
                    f.definition.transitions.len()
                );
            }
            Ok(())
        }
        Command::Workflow {
            command: WorkflowCommand::List,
        } => {
            let db = open_db(&config)?;
            for row in crate::db::workflows::list(&mut *db.conn()?)? {
                println!(
                    "{}  v{}  published {}  sha256 {}",
                    row.workflow_id,
                    row.version,
                    row.published_at.and_utc().to_rfc3339(),
                    &row.source_sha256[..12]
                );
            }
            Ok(())
        }
        Command::Workflow {
            command: WorkflowCommand::Graph { id, format, lang },
        } => {
            let calendars = workflows::read_calendars(&config.seeds_dir.join("calendars"))?;
            let files =
                workflows::read_definitions(&config.seeds_dir.join("workflows"), &calendars)?;
            let def = files
                .into_iter()
                .map(|f| f.definition)
                .filter(|d| d.id == id)
                .max_by_key(|d| d.version)
                .with_context(|| {
                    format!(
                        "no workflow `{id}` in {}",
                        config.seeds_dir.join("workflows").display()
                    )
                })?;
            let lang = match lang {
                LangArg::En => crate::domain::request::Language::En,
                LangArg::Ja => crate::domain::request::Language::Ja,
            };
            match format {
                GraphFormat::Dot => print!("{}", def.to_dot(None, lang)),
                GraphFormat::Svg => print!("{}", workflows::diagram_svg(&def, None, lang)?),
            }
            Ok(())
        }
        Command::PurgeDocuments => {
            let db = open_db(&config)?;
            let n =
                crate::app::documents::purge(&db, &Clock::System, config.document_retention_days)?;
            println!(
                "erased {n} file(s) of requests closed more than {} days ago",
                config.document_retention_days
            );
            Ok(())
        }
        Command::PurgeRecords => {
            let db = open_db(&config)?;
            let n = crate::app::retention::purge_records(
                &db,
                &Clock::System,
                config.record_retention_months,
            )?;
            println!(
                "erased the personal data of {n} request(s) closed more than {} months ago",
                config.record_retention_months
            );
            Ok(())
        }
        Command::ExpireUnconfirmed => {
            let db = open_db(&config)?;
            let catalog = crate::app::workflows::WorkflowCatalog::new(workflows::read_calendars(
                &config.seeds_dir.join("calendars"),
            )?);
            let keys = config.load_keys()?;
            let n = crate::app::confirm::expire_unconfirmed(
                &db,
                &catalog,
                &config,
                &keys,
                &Clock::System,
            )?;
            println!(
                "closed {n} request(s) not confirmed within {} hours",
                config.confirm_email_hours
            );
            Ok(())
        }
        Command::Worker { once, every } => {
            let keys = config.load_keys()?;
            let db = open_db(&config)?;
            let calendars = workflows::read_calendars(&config.seeds_dir.join("calendars"))?;
            let state = AppState::new(db, config, keys, Clock::System, calendars);
            if once {
                while let crate::app::sequencer::Pass::Integrated { .. } =
                    crate::app::sequencer::integrate(
                        &state.db,
                        &state.config,
                        &state.keys,
                        crate::app::sequencer::BATCH,
                    )?
                {}
                let mailer = crate::notify::Mailer::from_config(&state.config)?;
                let worker = format!("{}-once", std::process::id());
                let r = crate::notify::deliver_due(&state, &mailer, &worker, 10_000)?;
                println!(
                    "sent {} notice(s); {} to retry later; {} failed",
                    r.sent, r.retrying, r.failed
                );
                return Ok(());
            }
            announce_key(&state)?;
            actix_web::rt::System::new().block_on(async move {
                actix_web::rt::spawn(crate::app::sequencer::run(state.clone()));
                crate::notify::run_worker(state, std::time::Duration::from_secs(every.max(1))).await
            });
            Ok(())
        }
        Command::Audit {
            command:
                AuditCommand::Export {
                    format,
                    from,
                    to,
                    request,
                    actor,
                },
        } => {
            use std::io::Write;
            let db = open_db(&config)?;
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
            crate::app::audit_log::integrate_now(&db, &config, &keys, &record)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut failed = None;
            crate::app::audit_log::export(&db, &config, &keys, &filter, format, |chunk| match out
                .write_all(&chunk)
            {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            })?;
            if let Some(e) = failed {
                return Err(e.into());
            }
            out.flush()?;
            Ok(())
        }
        Command::Dev {
            command:
                DevCommand::Synth {
                    requests,
                    events_per_request,
                },
        } => {
            let keys = config.load_keys()?;
            let db = open_db(&config)?;
            if config.seeds_dir.join("workflows").is_dir() {
                seed(&db, &config.seeds_dir, &Clock::System)?;
            }
            let calendars = workflows::read_calendars(&config.seeds_dir.join("calendars"))?;
            let state = AppState::new(db, config, keys, Clock::System, calendars);
            let bar = indicatif::ProgressBar::new(requests);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} requests, {per_sec}, {eta} left",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            crate::app::synth::run(&state, requests, events_per_request, |n| {
                bar.set_position(n)
            })?;
            bar.finish_and_clear();
            println!(
                "loaded {requests} request(s) with {} audit event(s) in {:.1} s",
                requests * u64::from(events_per_request),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { against },
        } => {
            let db = open_db(&config)?;
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
        Command::Audit {
            command: AuditCommand::Key,
        } => {
            let keys = config.load_keys()?;
            let db = open_db(&config)?;
            let status = crate::app::sequencer::key_status(&db, &config, &keys)?;
            match status {
                crate::app::sequencer::KeyStatus::Recorded { verifier_key }
                | crate::app::sequencer::KeyStatus::Unrecorded { verifier_key } => {
                    println!("{verifier_key}");
                    Ok(())
                }
                crate::app::sequencer::KeyStatus::Different { recorded, ours } => {
                    println!("{recorded}");
                    anyhow::bail!(
                        "this instance's key ({ours}) is not the log's: it cannot sign checkpoints"
                    )
                }
            }
        }
        Command::Audit {
            command: AuditCommand::Checkpoint { push },
        } => {
            let keys = config.load_keys()?;
            let db = open_db(&config)?;
            match push {
                None => {
                    let cp = crate::app::audit_proofs::checkpoint(&db, &config, &keys, None)
                        .map_err(|e| match e {
                            crate::app::AppError::NotFound => {
                                anyhow::anyhow!("no checkpoint signed yet: no sequencer has run")
                            }
                            other => other.into(),
                        })?;
                    print!("{}", cp.checkpoint);
                    Ok(())
                }
                Some(dir) => {
                    use crate::app::sequencer::PushOutcome;
                    match crate::app::sequencer::push_checkpoint(&db, &config, &keys, &dir)? {
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
        Command::Audit {
            command: AuditCommand::Sequence { once },
        } => {
            let keys = config.load_keys()?;
            let db = open_db(&config)?;
            let calendars = workflows::read_calendars(&config.seeds_dir.join("calendars"))?;
            let state = AppState::new(db, config, keys, Clock::System, calendars);
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
        Command::Audit {
            command: AuditCommand::Evidence { request },
        } => {
            let keys = config.load_keys()?;
            let db = open_db(&config)?;
            let record = crate::app::audit_log::record_evidence_export(
                &db,
                crate::domain::audit::Actor::System("cli"),
                &request,
                Clock::System.now(),
            )?;
            crate::app::audit_log::integrate_now(&db, &config, &keys, &record)?;
            let pack = crate::app::audit_proofs::evidence_pack(&db, &config, &keys, &request)?;
            println!("{}", serde_json::to_string_pretty(&pack)?);
            Ok(())
        }
        Command::Token { command } => {
            let db = open_db(&config)?;
            match command {
                TokenCommand::Create { email, label } => {
                    let issued = staff::create_api_token(&db, &Clock::System, &email, &label)
                        .map_err(|e| match e {
                            crate::app::AppError::NotFound => {
                                anyhow::anyhow!("no active staff account {email}")
                            }
                            other => other.into(),
                        })?;
                    eprintln!(
                        "token {} for {} ({}); it is shown only now, keep it secret:",
                        issued.id, issued.staff.email, issued.staff.role
                    );
                    println!("{}", issued.token);
                }
                TokenCommand::List => {
                    for (t, email) in staff::list_api_tokens(&db)? {
                        println!(
                            "{}  {}  {}  created {}  {}",
                            t.id,
                            email,
                            t.label,
                            t.created_at.and_utc().to_rfc3339(),
                            match t.revoked_at {
                                Some(r) => format!("revoked {}", r.and_utc().to_rfc3339()),
                                None => "active".into(),
                            }
                        );
                    }
                }
                TokenCommand::Revoke { id } => {
                    staff::revoke_api_token(&db, &Clock::System, &id).map_err(|e| match e {
                        crate::app::AppError::NotFound => anyhow::anyhow!("no active token {id}"),
                        other => other.into(),
                    })?;
                    println!("revoked {id}");
                }
            }
            Ok(())
        }
        Command::Serve { bind } => {
            let config = match bind {
                Some(b) => config.with_bind(b),
                None => config,
            };
            actix_web::rt::System::new().block_on(serve(config))
        }
    }
}

/// Says at start whether this instance may sign the audit log (the verifier key is public; the key
/// itself is never printed).
fn announce_key(state: &AppState) -> anyhow::Result<()> {
    use crate::app::sequencer::KeyStatus;
    match crate::app::sequencer::key_status(&state.db, &state.config, &state.keys)? {
        KeyStatus::Recorded { verifier_key } | KeyStatus::Unrecorded { verifier_key } => {
            tracing::info!(%verifier_key, "audit log: this instance may sequence and sign checkpoints");
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
fn describe_report(r: &crate::app::audit_verify::LogReport) -> String {
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
            Some(p) => out.push_str(&format!("\nkept checkpoint {size}: BROKEN: {p}")),
        }
    }
    out
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let keys = config.load_keys()?;
    let db = open_db(&config)?;
    let clock = Clock::System;
    if config.seeds_dir.join("workflows").is_dir() {
        seed(&db, &config.seeds_dir, &clock)?;
    } else {
        tracing::warn!(dir = %config.seeds_dir.display(), "no seeds directory; publishing no workflows");
    }
    let calendars = workflows::read_calendars(&config.seeds_dir.join("calendars"))?;
    for (id, last) in workflows::calendars_ending_soon(&calendars, clock.now().date_naive(), 12) {
        tracing::warn!(
            calendar = %id,
            last_year = last,
            "holiday calendar ends within a year: extend seeds/calendars/{id}.toml, or deadlines after {last} cannot be counted"
        );
    }
    if config.bank_account.is_none() {
        tracing::warn!(
            "KAIJI_BANK_ACCOUNT is not set: fee invoices (postal disclosure and purpose notification) will be refused until it is"
        );
    }
    let bind = config.bind;
    staff::record_start(&db, &clock, &config)?;
    let state = AppState::new(db, config, keys, clock, calendars);
    if let Some(token) = staff::issue_setup_link_if_needed(&state).await? {
        // Printed, not logged: the link is a one-time secret for the operator at the console.
        println!(
            "\nNo staff account exists yet. Create the first administrator (link valid {} minutes, usable once):\n  {}/setup/{token}\n",
            state.config.setup_link_ttl_minutes, state.config.public_url
        );
    }
    // Identity documents are kept only as long as needed (APPI Art. 22; the EDPB's advice): erase them a
    // set number of days after their request closes, checking every hour.
    let purge_state = state.clone();
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let (db, clock) = (purge_state.db.clone(), purge_state.clock.clone());
            let days = purge_state.config.document_retention_days;
            match tokio::task::spawn_blocking(move || {
                crate::app::documents::purge(&db, &clock, days)
            })
            .await
            {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => {
                    tracing::info!(files = n, "erased documents past their retention period")
                }
                Ok(Err(e)) => tracing::error!(error = %e, "document purge failed"),
                Err(e) => tracing::error!(error = %e, "document purge task failed"),
            }
            purge_state.limits.housekeeping();
            // Records past their retention keep only what reports and the audit chain need.
            let (db, clock) = (purge_state.db.clone(), purge_state.clock.clone());
            let months = purge_state.config.record_retention_months;
            match tokio::task::spawn_blocking(move || {
                crate::app::retention::purge_records(&db, &clock, months)
            })
            .await
            {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(requests = n, "erased personal data past retention"),
                Ok(Err(e)) => tracing::error!(error = %e, "record retention failed"),
                Err(e) => tracing::error!(error = %e, "record retention task failed"),
            }
            // Requests whose email was never confirmed expire, each with its notice.
            let s = purge_state.clone();
            match tokio::task::spawn_blocking(move || {
                crate::app::confirm::expire_unconfirmed(
                    &s.db,
                    &s.workflows,
                    &s.config,
                    &s.keys,
                    &s.clock,
                )
            })
            .await
            {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(requests = n, "closed requests never confirmed"),
                Ok(Err(e)) => tracing::error!(error = %e, "expiring unconfirmed requests failed"),
                Err(e) => tracing::error!(error = %e, "expiry task failed"),
            }
        }
    });
    // The audit log's sequencer: one at a time across instances; this one takes part if it holds the
    // log's key.
    announce_key(&state)?;
    actix_web::rt::spawn(crate::app::sequencer::run(state.clone()));
    // The outbox is delivered in the background; `kaiji worker` can run more of these elsewhere.
    actix_web::rt::spawn(crate::notify::run_worker(
        state.clone(),
        std::time::Duration::from_secs(5),
    ));
    let server_state = state.clone();
    let server = actix_web::HttpServer::new(move || web::build_app(server_state.clone()))
        .bind(bind)
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(%bind, backend = state.db.backend().as_str(), "kaiji is serving");
    server.run().await?;
    Ok(())
}
