//! Command-line arguments (clap derive). Every `--help` ends with examples that run against `examples/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// rekindle: decide what to say to each lead or customer, and when — with the reasons.
#[derive(Parser)]
#[command(name = "rekindle", version, about)]
#[command(
    after_help = "Exit codes: 0 done; 1 I/O or internal failure; 2 usage error; 3 unusable input (invalid playbook or events)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands (verbs).
#[derive(Subcommand)]
pub enum Command {
    /// Validate a playbook and list every problem with its path.
    #[command(after_help = "Example:\n  rekindle check --playbook examples/playbooks/saas.json")]
    Check {
        /// The playbook (JSON).
        #[arg(long)]
        playbook: PathBuf,
    },
    /// Fold one contact's events and print the decision (scores, readiness, stage, reasons) as JSON.
    #[command(
        after_help = "Example:\n  rekindle decide --playbook examples/playbooks/saas.json \\\n    --events examples/data/contact-events.json --now 2026-11-26T12:00:00Z --pretty"
    )]
    Decide(DecideArgs),
}

/// Arguments of `rekindle decide`.
#[derive(clap::Args)]
pub struct DecideArgs {
    /// The playbook (JSON).
    #[arg(long)]
    pub playbook: PathBuf,
    /// A JSON array of events for one contact.
    #[arg(long)]
    pub events: PathBuf,
    /// Decide as of this instant (RFC 3339 or epoch ms). Default: the system clock, read once and echoed.
    #[arg(long)]
    pub now: Option<String>,
    /// Indent the JSON output.
    #[arg(long)]
    pub pretty: bool,
}
