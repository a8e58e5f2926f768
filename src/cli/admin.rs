//! Setting up and looking after an installation: configuration, migrations, staff accounts and their
//! API tokens, workflow definitions, synthetic load.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};

use super::{app_state, open_db, seed};
use crate::app::accounts::{self, AccountChange};
use crate::app::{AppState, Clock, staff, workflows};
use crate::config::Config;
use crate::domain::audit::Actor;
use crate::domain::code::Code;
use crate::domain::staff::Role;

#[derive(Debug, Subcommand)]
pub(super) enum DevCommand {
    /// Bulk-load synthetic requests (under the published workflows) with chained audit events.
    Synth {
        #[arg(long)]
        requests: u64,
        #[arg(long, default_value_t = 5)]
        events_per_request: u32,
        /// Queue one email notice (the acknowledgement) for each request, for the worker to send:
        /// a backlog for the notice benchmark.
        #[arg(long)]
        queued_notices: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
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
pub(super) enum UserCommand {
    /// Create a staff account. The password is read from standard input, never from the command line.
    Add {
        #[arg(long)]
        email: String,
        /// The name colleagues and the audit log will know them by, e.g. "佐藤 花子".
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from standard input (required: passwords never go in arguments).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Lift the waits failed sign-ins put on an account, from every address (audited).
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// List staff accounts: role, status, live sessions and API tokens (never their values).
    List,
    /// Change a member's role (audited; the last active administrator stays one).
    Role {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Disable an account: its sessions end and its API tokens are revoked at once (audited).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account (its old sessions and tokens stay ended; audited).
    Enable {
        #[arg(long)]
        email: String,
    },
    /// End staff sessions (audited): one member's with --email, or everyone's with --all. API tokens
    /// stay; revoke them with `kaiji token revoke`.
    EndSessions {
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        email: Option<String>,
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum WorkflowCommand {
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
        /// A language kaiji speaks (a folder of `templates/i18n/`).
        #[arg(long, default_value = "en", value_parser = parse_language)]
        lang: crate::domain::request::Language,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum GraphFormat {
    Dot,
    Svg,
}

fn parse_language(code: &str) -> Result<crate::domain::request::Language, String> {
    crate::i18n::parse_spoken(code).map_err(|_| {
        let spoken: Vec<String> = crate::i18n::spoken()
            .iter()
            .map(|l| l.to_string())
            .collect();
        format!("kaiji speaks {}", spoken.join(", "))
    })
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum RoleArg {
    Officer,
    Auditor,
    Admin,
    /// `system-owner`: works only the tasks of the systems registered with their address.
    SystemOwner,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Officer => Role::Officer,
            RoleArg::Auditor => Role::Auditor,
            RoleArg::Admin => Role::Admin,
            RoleArg::SystemOwner => Role::SystemOwner,
        }
    }
}

/// `kaiji config`
pub(super) fn config(config: &Config) -> anyhow::Result<()> {
    print!("{}", config.describe());
    Ok(())
}

/// `kaiji migrate`
pub(super) fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = super::connect(config, 1)?;
    let applied = db.migrate()?;
    println!(
        "{} migration(s) applied on {}",
        applied.len(),
        db.backend().as_str()
    );
    Ok(())
}

/// `kaiji user add`: the password comes from standard input.
pub(super) fn user_add(
    config: &Config,
    email: &str,
    name: &str,
    role: RoleArg,
) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    let password = password.strip_suffix('\n').unwrap_or(&password);
    let password = password.strip_suffix('\r').unwrap_or(password);
    let db = open_db(config)?;
    let member = staff::add_user(&db, &Clock::System, email, name, role.into(), password)
        .map_err(explained)?;
    println!(
        "created {} account {} ({})",
        member.role, member.email, member.name
    );
    Ok(())
}

/// An app error for the terminal: refused input field by field, in English.
fn explained(e: crate::app::AppError) -> anyhow::Error {
    match e {
        crate::app::AppError::Invalid(errors) => {
            let tr = crate::i18n::Tr::new(crate::domain::request::Language::EN);
            let msgs: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, tr.field_error(e.code)))
                .collect();
            anyhow::anyhow!("{}", msgs.join("; "))
        }
        e => e.into(),
    }
}

/// `kaiji user unlock`
pub(super) fn user_unlock(config: Config, email: String) -> anyhow::Result<()> {
    let state = app_state(config)?;
    actix_web::rt::System::new().block_on(crate::app::sign_in::lift_throttle(
        &state,
        crate::domain::audit::Actor::System("cli"),
        email.clone(),
    ))?;
    println!("lifted the sign-in waits of {email}");
    Ok(())
}

/// `kaiji user list`
pub(super) fn user_list(config: Config) -> anyhow::Result<()> {
    let state = app_state(config)?;
    let accounts = actix_web::rt::System::new().block_on(accounts::list(&state))?;
    for a in accounts {
        let status = match a.disabled_at {
            Some(d) => format!("disabled {}", d.to_rfc3339()),
            None => "active".to_owned(),
        };
        println!(
            "{}\t{}\t{status}\t{} live session(s)",
            a.email,
            a.role.as_str(),
            a.live_sessions
        );
        for t in a.tokens {
            let used = t
                .last_used_at
                .map(|u| u.to_rfc3339())
                .unwrap_or_else(|| "never".into());
            let revoked = if t.revoked_at.is_some() {
                "\trevoked"
            } else {
                ""
            };
            println!("  token {}\t{}\tlast used {used}{revoked}", t.id, t.label);
        }
    }
    Ok(())
}

/// `kaiji user role|disable|enable`
pub(super) fn user_change(
    config: Config,
    email: String,
    change: AccountChange,
) -> anyhow::Result<()> {
    let state = app_state(config)?;
    actix_web::rt::System::new()
        .block_on(async {
            let id = accounts::find_by_email(&state, email.clone()).await?;
            accounts::change(&state, Actor::System("cli"), id, change).await
        })
        .map_err(explained)?;
    println!("{email}: {change:?} done");
    Ok(())
}

/// `kaiji user end-sessions --all`
pub(super) fn user_end_every_session(config: Config) -> anyhow::Result<()> {
    let state = app_state(config)?;
    let ended = actix_web::rt::System::new()
        .block_on(accounts::end_every_session(
            &state,
            Actor::System("cli"),
            None,
        ))
        .map_err(explained)?;
    println!("ended {ended} staff session(s)");
    Ok(())
}

/// `kaiji token create|list|revoke`
pub(super) fn token(config: &Config, command: TokenCommand) -> anyhow::Result<()> {
    let db = open_db(config)?;
    match command {
        TokenCommand::Create { email, label } => {
            let issued = staff::create_api_token(&db, &Clock::System, &email, &label).map_err(
                |e| match e {
                    crate::app::AppError::NotFound => {
                        anyhow::anyhow!("no active staff account {email}")
                    }
                    other => other.into(),
                },
            )?;
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

/// `kaiji workflow check`
pub(super) fn workflow_check(
    config: &Config,
    path: Option<PathBuf>,
    calendars: Option<PathBuf>,
) -> anyhow::Result<()> {
    let path = path.unwrap_or_else(|| config.service.seeds_dir.join("workflows"));
    let laws = workflows::read_laws(
        &calendars.unwrap_or_else(|| config.service.seeds_dir.join("calendars")),
        &config.service.seeds_dir,
        &[],
    )?;
    for p in laws.places() {
        println!("ok  place {}  v{}  regime {}", p.code, p.version, p.regime);
    }
    // Not an error: such requesters read the place's first language kaiji speaks, else English.
    for (place, languages) in laws.unspoken() {
        let codes: Vec<String> = languages.iter().map(|l| l.to_string()).collect();
        println!(
            "note  place {place} reads {}, which kaiji does not speak yet (no templates/i18n/<code>/)",
            codes.join(", ")
        );
    }
    for r in laws.regimes() {
        println!(
            "ok  regime {}  v{}  ({} rights)",
            r.id,
            r.version,
            r.rights.len()
        );
    }
    let files = workflows::read_definitions(&path, &laws)?;
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

/// `kaiji workflow list`
pub(super) fn workflow_list(config: &Config) -> anyhow::Result<()> {
    let db = open_db(config)?;
    for row in crate::db::workflows::list(&mut *db.conn()?)? {
        // The law it was checked against and keeps: older rows read today's regime.
        let law = match (&row.regime_id, row.regime_version) {
            (Some(id), Some(v)) => format!("regime {id} v{v}"),
            _ => "regime as current".to_owned(),
        };
        println!(
            "{}  v{}  published {}  sha256 {}  {law}",
            row.workflow_id,
            row.version,
            row.published_at.and_utc().to_rfc3339(),
            &row.source_sha256[..12]
        );
    }
    Ok(())
}

/// `kaiji workflow graph`
pub(super) fn workflow_graph(
    config: &Config,
    id: &str,
    format: GraphFormat,
    lang: crate::domain::request::Language,
) -> anyhow::Result<()> {
    let laws = workflows::laws_for(config)?;
    let files = workflows::read_definitions(&config.service.seeds_dir.join("workflows"), &laws)?;
    let def = files
        .into_iter()
        .map(|f| f.definition)
        .filter(|d| d.id == id)
        .max_by_key(|d| d.version)
        .with_context(|| {
            format!(
                "no workflow `{id}` in {}",
                config.service.seeds_dir.join("workflows").display()
            )
        })?;
    match format {
        GraphFormat::Dot => print!("{}", def.to_dot(None, lang)),
        GraphFormat::Svg => print!("{}", workflows::diagram_svg(&def, None, lang)?),
    }
    Ok(())
}

/// `kaiji dev synth`
pub(super) fn synth(
    config: Config,
    requests: u64,
    events_per_request: u32,
    queued_notices: bool,
) -> anyhow::Result<()> {
    let keys = config.load_keys()?;
    let db = open_db(&config)?;
    if config.service.seeds_dir.join("workflows").is_dir() {
        seed(&db, &config, &Clock::System)?;
    }
    let laws = workflows::laws_for(&config)?;
    let state = AppState::new(db, config, keys, Clock::System, laws);
    let bar = indicatif::ProgressBar::new(requests);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} requests, {per_sec}, {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    crate::app::synth::run(&state, requests, events_per_request, queued_notices, |n| {
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
