//! `kaiji drp`: the authorised agents of the Data Rights Protocol, and this business's directory entry.

use std::path::PathBuf;

use clap::Subcommand;

use super::app_state;
use crate::app::drp_agents;
use crate::config::Config;
use crate::domain::audit::Actor;

#[derive(Debug, Subcommand)]
pub enum DrpCommand {
    /// Manage the authorised agents whose signed calls kaiji believes.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Print this business's entry for the DRP service directory (its business schema), from
    /// KAIJI_DRP_BUSINESS_ID, KAIJI_PUBLIC_URL and the actions the served laws take.
    BusinessEntry,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Register an agent from its service-directory entry (agents/<id>.json), or replace its entry.
    Add {
        /// The entry's JSON file.
        file: PathBuf,
        /// A host status callbacks may be sent to (repeat for several); none: no callbacks.
        #[arg(long = "callback-host")]
        callback_hosts: Vec<String>,
    },
    /// List the registered agents.
    List,
    /// Remove an agent: its tokens stop working at once; the requests it filed go on.
    Remove { id: String },
}

pub(super) fn run(config: Config, command: DrpCommand) -> anyhow::Result<()> {
    let state = app_state(config)?;
    let rt = actix_web::rt::System::new();
    match command {
        DrpCommand::Agent {
            command:
                AgentCommand::Add {
                    file,
                    callback_hosts,
                },
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let entry: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", file.display()))?;
            let added = rt
                .block_on(drp_agents::add_agent(
                    &state,
                    Actor::System("cli"),
                    entry,
                    callback_hosts,
                ))
                .map_err(|e| match e {
                    // Say which field and why, as the API does.
                    crate::app::AppError::Invalid(fields) => anyhow::anyhow!(
                        "{}: {}",
                        file.display(),
                        fields
                            .iter()
                            .map(|f| format!("{} {}", f.field, f.code))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    other => other.into(),
                })?;
            println!("registered agent {} ({})", added.id, added.name);
        }
        DrpCommand::Agent {
            command: AgentCommand::List,
        } => {
            for a in rt.block_on(drp_agents::agents(&state))? {
                let status = match a.removed_at {
                    Some(t) => format!("removed {}", t.to_rfc3339()),
                    None => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{status}\tcallbacks: {}",
                    a.id,
                    a.name,
                    if a.callback_hosts.is_empty() {
                        "none".to_owned()
                    } else {
                        a.callback_hosts.join(", ")
                    }
                );
            }
        }
        DrpCommand::Agent {
            command: AgentCommand::Remove { id },
        } => {
            rt.block_on(drp_agents::remove_agent(
                &state,
                Actor::System("cli"),
                id.clone(),
            ))?;
            println!("removed agent {id}");
        }
        DrpCommand::BusinessEntry => {
            let entry = drp_agents::business_entry(&state)
                .map_err(|e| anyhow::anyhow!("{e} (set KAIJI_DRP_BUSINESS_ID)"))?;
            println!("{}", serde_json::to_string_pretty(&entry)?);
        }
    }
    Ok(())
}
