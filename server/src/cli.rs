//! The command line: `server` (or `server serve`) runs the site; the rest are operator commands.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "server",
    version,
    about = "Thoughtspace: a MySpace-flavoured social network of the fediverse"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage local accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill an empty database with a realistic graph for benchmarks (see docs/measurements.md).
    Seed(crate::seed::SeedOptions),
    /// Manage API keys for the client API.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Write the whole database to a file (PostgreSQL's custom format; safe while serving).
    Backup {
        /// The file to write.
        #[arg(long)]
        output: std::path::PathBuf,
    },
    /// Load a backup into the database: into an empty DATA_DIR (or database), or over
    /// existing data with --force. Stop the server first.
    Restore {
        /// A file `server backup` wrote.
        file: std::path::PathBuf,
        /// Replace data that is already there.
        #[arg(long)]
        force: bool,
    },
    /// Inspect federation deliveries that failed for good (the dead letters).
    #[command(subcommand, name = "dead-letters")]
    DeadLetters(DeadLetterCommand),
    /// See how federation is doing.
    #[command(subcommand)]
    Federation(FederationCommand),
}

#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// The servers we deliver to (available or not, failing since when, last success),
    /// the deliveries queued and given up for each.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key for a local user (all scopes) and print it; it is not shown again.
    Create {
        /// The username (with or without the leading @).
        #[arg(long)]
        user: String,
        /// What the key is for (at most 50 characters).
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeadLetterCommand {
    /// List deliveries that were given up, newest first, with the last error.
    List,
    /// Queue dead letters for delivery again.
    Replay {
        /// The ids to replay (as `list` shows them).
        ids: Vec<uuid::Uuid>,
        /// Replay every dead letter.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Delete dead letters.
    Purge {
        /// Only those older than this many days.
        #[arg(long)]
        older_than_days: Option<u32>,
        /// Delete every dead letter.
        #[arg(long, conflicts_with = "older_than_days")]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a local account; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input (never from the command line).
        #[arg(long)]
        password_stdin: bool,
        /// Make the account an operator.
        #[arg(long)]
        admin: bool,
    },
    /// List local accounts.
    List,
    /// Delete a local account and everything that is only theirs.
    Delete {
        /// The username (with or without the leading @).
        username: String,
    },
}
