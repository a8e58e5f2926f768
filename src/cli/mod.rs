//! The command line: `serve`, `worker`, `migrate`, `seed`, `user`, `token`, `workflow`, `audit`, and the
//! jobs `serve` runs on its own. Each subcommand is one function (in `admin`, `audit`, `service`) over
//! the shared start: the configuration, the database it opens (migrated) and the application state.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::accounts::AccountChange;
use crate::app::{AppState, Clock, workflows};
use crate::config::Config;
use crate::db::Db;
use crate::web;

mod admin;
mod audit;
mod backup;
mod drp;
mod keys;
mod service;

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
        command: admin::UserCommand,
    },
    /// Print the effective configuration, secrets masked.
    Config,
    /// Inspect workflow definitions.
    Workflow {
        #[command(subcommand)]
        command: admin::WorkflowCommand,
    },
    /// Erase scans and identity documents of requests closed longer ago than KAIJI_DOCUMENT_RETENTION_DAYS
    /// (serve and worker also do this every hour).
    PurgeDocuments,
    /// Erase the personal data of requests closed longer ago than KAIJI_RECORD_RETENTION_MONTHS (serve
    /// and worker also do this every hour); their audit events' details are erased under a redaction
    /// record, and the log stays verifiable.
    PurgeRecords,
    /// Close requests whose email address was not confirmed within KAIJI_CONFIRM_EMAIL_HOURS, each with
    /// its notice (serve and worker also do this every hour).
    ExpireUnconfirmed,
    /// Deliver queued email notices, sequence the audit log and run the hourly jobs (serve also does all
    /// three). Several workers may run at once: each notice is claimed by one, one sequencer at a time
    /// integrates the log.
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
        command: admin::DevCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Manage bearer tokens for the staff API.
    Token {
        #[command(subcommand)]
        command: admin::TokenCommand,
    },
    /// The Data Rights Protocol: authorised agents, and this business's directory entry.
    Drp {
        #[command(subcommand)]
        command: drp::DrpCommand,
    },
    /// The key set every instance must share: list it, rotate, re-encrypt, retire, or adopt a key.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// A consistent copy of the database while the service runs (SQLite: VACUUM INTO; PostgreSQL:
    /// pg_dump, read back), with its manifest; the keys go to another directory. Audited.
    Backup {
        /// A new (or empty) directory for the copy and its manifest.
        dir: PathBuf,
        /// A new (or empty) directory, apart from DIR, for the key rings (mode 0600).
        #[arg(long)]
        keys: Option<PathBuf>,
    },
    /// Restore a backup into the configured, empty database (a fresh data directory, or an empty
    /// PostgreSQL database); the audit log goes on under a new name whose first leaf records it.
    Restore {
        /// The backup's directory.
        dir: PathBuf,
        /// The directory `kaiji backup --keys` wrote the key rings to (else the KAIJI_*_KEY settings
        /// must hold the backup's keys).
        #[arg(long)]
        keys: Option<PathBuf>,
    },
}

pub fn run() -> ExitCode {
    crate::security::files::restrict_umask();
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    web::telemetry::init(config.service.log_format, &config.service.log_level);
    match execute(cli.command, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one subcommand.
fn execute(command: Command, config: Config) -> anyhow::Result<()> {
    use admin::{UserCommand, WorkflowCommand};
    use audit::AuditCommand;
    match command {
        Command::Config => admin::config(&config),
        Command::Migrate => admin::migrate(&config),
        Command::Seed { dir } => {
            let db = open_db(&config)?;
            let mut config = config;
            if let Some(dir) = dir {
                config.service.seeds_dir = dir;
            }
            seed(&db, &config, &Clock::System)
        }
        Command::User {
            command: UserCommand::Add {
                email, name, role, ..
            },
        } => admin::user_add(&config, &email, &name, role),
        Command::User {
            command: UserCommand::Unlock { email },
        } => admin::user_unlock(config, email),
        Command::User {
            command: UserCommand::List,
        } => admin::user_list(config),
        Command::User {
            command: UserCommand::Role { email, role },
        } => admin::user_change(config, email, AccountChange::Role(role.into())),
        Command::User {
            command: UserCommand::Disable { email },
        } => admin::user_change(config, email, AccountChange::Disable),
        Command::User {
            command: UserCommand::Enable { email },
        } => admin::user_change(config, email, AccountChange::Enable),
        Command::User {
            command: UserCommand::EndSessions { email, all },
        } => match (email, all) {
            (Some(email), false) => admin::user_change(config, email, AccountChange::EndSessions),
            _ => admin::user_end_every_session(config),
        },
        Command::Token { command } => admin::token(&config, command),
        Command::Drp { command } => drp::run(config, command),
        Command::Keys { command } => keys::run(config, command),
        Command::Backup { dir, keys } => backup::backup(config, &dir, keys.as_deref()),
        Command::Restore { dir, keys } => backup::restore(config, &dir, keys.as_deref()),
        Command::Workflow {
            command: WorkflowCommand::Check { path, calendars },
        } => admin::workflow_check(&config, path, calendars),
        Command::Workflow {
            command: WorkflowCommand::List,
        } => admin::workflow_list(&config),
        Command::Workflow {
            command: WorkflowCommand::Graph { id, format, lang },
        } => admin::workflow_graph(&config, &id, format, lang),
        Command::Dev {
            command:
                admin::DevCommand::Synth {
                    requests,
                    events_per_request,
                    queued_notices,
                },
        } => admin::synth(config, requests, events_per_request, queued_notices),
        Command::PurgeDocuments => service::purge_documents(&config),
        Command::PurgeRecords => service::purge_records(&config),
        Command::ExpireUnconfirmed => service::expire_unconfirmed(&config),
        Command::Worker { once, every } => service::worker(config, once, every),
        Command::Serve { bind } => {
            let config = match bind {
                Some(b) => config.with_bind(b),
                None => config,
            };
            actix_web::rt::System::new().block_on(service::serve(config))
        }
        Command::Audit { command } => match command {
            AuditCommand::Verify { against } => audit::verify(&config, against),
            AuditCommand::Export {
                format,
                from,
                to,
                request,
                actor,
            } => audit::export(&config, &format, from, to, request, actor),
            AuditCommand::Key => audit::key(&config),
            AuditCommand::VerifyExport { file, key } => audit::verify_export(&file, key.as_deref()),
            AuditCommand::Checkpoint { push } => audit::checkpoint(&config, push),
            AuditCommand::Sequence { once } => audit::sequence(config, once),
            AuditCommand::Evidence { request } => audit::evidence(&config, &request),
        },
    }
}

/// The database, not yet migrated. The data directory (the SQLite file's, by default) is made private
/// first, also when an older version left it open to others.
fn connect(config: &Config, pool_size: u32) -> anyhow::Result<Db> {
    crate::security::files::private_dir(&config.service.data_dir).map_err(|e| {
        anyhow::anyhow!("data directory {}: {e}", config.service.data_dir.display())
    })?;
    Ok(Db::open(&config.database, pool_size)?)
}

/// The database, migrated.
fn open_db(config: &Config) -> anyhow::Result<Db> {
    let db = connect(config, config.db.db_pool_size)?;
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

/// The application state every long-running subcommand serves from.
fn app_state(config: Config) -> anyhow::Result<AppState> {
    let keys = config.load_keys()?;
    let db = open_db(&config)?;
    let laws = workflows::laws_for(&config)?;
    Ok(AppState::new(db, config, keys, Clock::System, laws))
}

/// Publishes the workflow definitions and data systems of a seeds directory.
fn seed(db: &Db, config: &Config, clock: &Clock) -> anyhow::Result<()> {
    let dir = config.service.seeds_dir.as_path();
    let wf_dir = dir.join("workflows");
    if !wf_dir.is_dir() {
        anyhow::bail!(
            "no workflow definitions: {} is not a directory",
            wf_dir.display()
        );
    }
    let laws = workflows::laws_for(config)?;
    let files = workflows::read_definitions(&wf_dir, &laws)?;
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
        let added = crate::app::registry::seed(db, clock, &text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", systems.display()))?;
        tracing::info!(added, "data systems loaded");
    }
    Ok(())
}
