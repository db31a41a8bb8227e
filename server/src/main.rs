use std::process::ExitCode;

use clap::Parser;
use server::{
    cli::{Cli, Command},
    config::Config,
};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(anyhow::anyhow!("cannot start the async runtime: {error}")),
    };
    let result = runtime.block_on(async {
        let config = Config::from_env()?;
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => server::serve(config).await,
            Command::Migrate => server::migrate(config).await,
            Command::User(command) => server::operator::user(config, command).await,
            Command::Seed(options) => server::seed(config, options).await,
            Command::ApiKey(command) => server::operator::api_key(config, command).await,
            Command::DeadLetters(command) => server::operator::dead_letters(config, command).await,
            Command::Federation(command) => server::operator::federation(config, command).await,
            Command::Backup { output } => server::backup::backup(config, output).await,
            Command::Restore { file, force } => server::backup::restore(config, file, force).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

/// One line naming the problem (and its causes), and a non-zero exit.
fn fail(error: anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}
