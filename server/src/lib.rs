//! The Thoughtspace server: configuration, the database (embedded or not), the HTTP host,
//! and the operator commands. `main.rs` only parses the command line and reports errors.

pub mod cli;
pub mod config;
pub mod database;
pub mod http;
pub mod operator;
pub mod seed;
pub mod shutdown;

use std::net::SocketAddr;

use anyhow::anyhow;
use app::backend::Backend;
use tokio::net::TcpListener;

use config::Config;
use database::{Database, Sharing};

/// `server serve`: listen, open the database, answer until asked to stop, then finish the
/// requests in flight and stop the database.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    // Bind first, so a taken port fails fast without touching the database.
    let listener = TcpListener::bind(config.site_addr).await.map_err(|e| {
        anyhow!(
            "cannot listen on {}: {e}; stop whatever uses that address or set LEPTOS_SITE_ADDR",
            config.site_addr
        )
    })?;
    let database = Database::open(&config).await?;
    let backend = Backend::new(
        database.pool.clone(),
        config.public_url.clone(),
        &config.federation,
    )
    .map_err(anyhow::Error::msg)?;
    if config.federation.allow_private_addresses {
        tracing::warn!(
            "ALLOW_PRIVATE_ADDRESSES is on: federation may reach private addresses and plain http"
        );
    }
    // Deliveries go out in the background; several server processes share the queue.
    let worker = tokio::spawn(app::backend::federation::delivery::run(backend.clone()));
    let announcements = app::backend::live::Announcements::listen(&backend.pool)
        .await
        .map_err(|e| anyhow!("cannot listen for live events: {e}"))?;
    let live_events = tokio::spawn(announcements.relay(backend.live.clone()));
    let hub = backend.live.clone();
    let router = http::router_behind(
        backend,
        http::leptos_options(&config.site_root, config.site_addr),
        config.trusted_proxies.clone(),
    );

    tracing::info!(public_url = %config.public_url, "listening on http://{}", config.site_addr);
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown::requested().await;
        // Open event streams would keep the graceful shutdown waiting forever.
        hub.close();
    })
    .await;
    worker.abort();
    live_events.abort();
    database.close().await;
    served.map_err(|e| anyhow!("the HTTP server failed: {e}"))
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
