//! Where the data lives: an existing PostgreSQL server (DATABASE_URL) or the embedded
//! default cluster, migrated to the current schema before anything else touches it.

pub mod embedded;

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::{anyhow, Context};
use app::backend::MIGRATOR;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgConnection, PgPool,
};

use crate::config::Config;
use embedded::{Durability, EmbeddedPostgres, DATABASE_NAME};

/// The connection pool, and the embedded cluster behind it when there is one.
pub struct Database {
    pub pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
}

/// Whether a command may use the embedded cluster of a server that is already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// The server itself: it owns its cluster, and a second server on the same data is an error.
    Exclusive,
    /// Operator commands: they work beside a running server.
    Attach,
}

impl Database {
    /// For the server: connects as configured and applies pending migrations.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        Self::open_with(config, Sharing::Exclusive).await
    }

    /// For operator commands: like [`open`](Self::open), beside a running server if there is one.
    pub async fn open_for_command(config: &Config) -> anyhow::Result<Self> {
        Self::open_with(config, Sharing::Attach).await
    }

    async fn open_with(config: &Config, sharing: Sharing) -> anyhow::Result<Self> {
        let database = Self::connect(config, sharing).await?;
        if let Err(error) = migrate(&database.pool).await {
            database.close().await;
            return Err(error);
        }
        Ok(database)
    }

    /// Connects as configured, without migrating.
    pub async fn connect(config: &Config, sharing: Sharing) -> anyhow::Result<Self> {
        match &config.database_url {
            Some(url) => {
                let invalid = |why: String| {
                    anyhow!("DATABASE_URL is not a PostgreSQL URL ({why}); expected postgres://user:password@host:5432/database")
                };
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(invalid("it must start with postgres://".into()));
                }
                let options = with_session_settings(
                    PgConnectOptions::from_str(url).map_err(|e| invalid(e.to_string()))?,
                );
                // One direct connection first: a pool would report only its own timeout, not why.
                let probe = PgConnection::connect_with(&options).await;
                let pool = match probe {
                    Ok(connection) => {
                        let _ = connection.close().await;
                        pool_options().connect_with(options.clone()).await
                    }
                    Err(error) => Err(error),
                };
                let pool = pool.map_err(|e| {
                    anyhow!(
                        "cannot connect to the database at DATABASE_URL ({}): {e}; check that PostgreSQL \
                         runs there and accepts these credentials, or unset DATABASE_URL to use the embedded database",
                        describe(&options)
                    )
                })?;
                Ok(Database {
                    pool,
                    embedded: None,
                })
            }
            None => {
                let root = config.data_dir.join("postgres");
                let cluster = match sharing {
                    Sharing::Exclusive => {
                        EmbeddedPostgres::start(&root, Durability::Durable).await?
                    }
                    Sharing::Attach => {
                        EmbeddedPostgres::attach_or_start(&root, Durability::Durable).await?
                    }
                };
                let pool = pool_options()
                    .connect_with(with_session_settings(
                        cluster.connect_options(DATABASE_NAME),
                    ))
                    .await
                    .with_context(|| {
                        format!(
                            "cannot connect to the embedded database in {}",
                            root.display()
                        )
                    })?;
                Ok(Database {
                    pool,
                    embedded: Some(cluster),
                })
            }
        }
    }

    /// The embedded cluster's directory, when the embedded database is in use.
    pub fn embedded_root(&self) -> Option<&Path> {
        self.embedded.as_ref().map(EmbeddedPostgres::root)
    }

    /// Closes the pool, then stops the embedded cluster if there is one.
    pub async fn close(mut self) {
        self.pool.close().await;
        if let Some(cluster) = self.embedded.as_mut() {
            cluster.stop().await;
        }
    }
}

/// Applies the embedded migrations that are not yet applied.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| anyhow!("applying database migrations failed: {e}"))
}

/// The settings every connection of the app runs with. JIT compilation is off: the app's
/// queries are short, and on plans the planner costs high (a gated fallback scan that does
/// not run) compiling took ten times longer than executing.
pub fn with_session_settings(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("jit", "off")])
}

fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(10))
}

/// Where a connection goes, without the password.
fn describe(options: &PgConnectOptions) -> String {
    format!(
        "user {} at {}:{}, database {}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default)")
    )
}
