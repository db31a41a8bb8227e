//! The Thoughtspace server: configuration, the database (embedded or not), the HTTP host,
//! and the operator commands. `main.rs` only parses the command line and reports errors.

pub mod application;
pub mod backup;
pub mod cli;
pub mod config;
pub mod database;
pub mod http;
pub mod operator;
pub mod seed;
pub mod serving;
pub mod shutdown;

pub use application::{Application, ShutdownHandle};
use config::Config;
use database::{Database, Sharing};

/// `server serve`: listen, open the database, answer until asked to stop, then finish the
/// requests in flight and stop the database.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let application = Application::build(config.clone()).await?;
    let handle = application.shutdown_handle();
    tokio::spawn(async move {
        shutdown::requested().await;
        handle.stop();
    });
    tracing::info!(public_url = %config.public_url, "listening on http://{}", application.address());
    application.run_until_stopped().await
}

/// `server migrate`: apply pending migrations and stop.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let database = Database::connect(&config, Sharing::Attach).await?;
    let result = database::migrate(&database.pool).await;
    database.close().await;
    result?;
    tracing::info!("database schema is up to date");
    Ok(())
}

/// `server seed`: a benchmark data set in an empty database.
pub async fn seed(config: Config, options: seed::SeedOptions) -> anyhow::Result<()> {
    let database = Database::open_for_command(&config).await?;
    let result = seed::seed(&database.pool, &options).await;
    database.close().await;
    result
}
