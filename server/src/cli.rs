//! The command line: `server` (or `server serve`) runs the site; the rest are operator commands.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "Thoughtspace: a MySpace-flavoured social network of the fediverse")]
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
}
