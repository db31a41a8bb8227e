//! Where the data lives: an existing PostgreSQL server (DATABASE_URL) or the embedded
//! default cluster, migrated to the current schema before anything else touches it.

pub mod embedded;
pub mod monitor;

use std::{
    str::FromStr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{anyhow, Context};
use app::backend::MIGRATOR;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgConnection, PgPool,
};

use app::backend::{health::Health, retry::Trouble};
use tokio::sync::Mutex;

use crate::config::{Config, DatabaseOptions};
use embedded::{Durability, EmbeddedPostgres, DATABASE_NAME, DATABASE_USER};

/// The connection pool, and the embedded cluster behind it when there is one.
pub struct Database {
    pub pool: PgPool,
    /// Shared with the supervision, which replaces the process when it dies.
    embedded: Option<Arc<Mutex<EmbeddedPostgres>>>,
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
        if let Err(error) = migrate_unhurried(&database.pool).await {
            database.close().await;
            return Err(error);
        }
        Ok(database)
    }

    /// Connects as configured, without migrating.
    pub async fn connect(config: &Config, sharing: Sharing) -> anyhow::Result<Self> {
        // Only the server bounds its statements: operator commands and migrations may
        // legitimately run long.
        let limits = &config.database;
        let statement_timeout = match sharing {
            Sharing::Exclusive => limits.statement_timeout,
            Sharing::Attach => None,
        };
        let with_session_settings =
            |options| with_statement_timeout(with_session_settings(options), statement_timeout);
        let pool_options = || pool_options(limits);
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
                    embedded: Some(Arc::new(Mutex::new(cluster))),
                })
            }
        }
    }

    /// The embedded cluster's directory, when the embedded database is in use.
    pub async fn embedded_root(&self) -> Option<std::path::PathBuf> {
        match &self.embedded {
            Some(cluster) => Some(cluster.lock().await.root().to_owned()),
            None => None,
        }
    }

    /// The libpq connection arguments for PostgreSQL's own tools (`pg_dump`, `pg_restore`),
    /// and whether the embedded cluster is a running server's.
    pub async fn tool_arguments(&self, config: &Config) -> (Vec<std::ffi::OsString>, bool) {
        match (&self.embedded, &config.database_url) {
            (Some(cluster), _) => {
                let cluster = cluster.lock().await;
                let arguments = [
                    "--host".into(),
                    cluster.socket_dir().as_os_str().to_owned(),
                    "--port".into(),
                    embedded::PORT.to_string().into(),
                    "--username".into(),
                    DATABASE_USER.into(),
                    "--dbname".into(),
                    DATABASE_NAME.into(),
                ];
                (arguments.into(), cluster.is_attached())
            }
            (None, Some(url)) => (vec!["--dbname".into(), url.into()], false),
            (None, None) => (Vec::new(), false),
        }
    }

    /// Closes the pool (so that no session is cut off with a warning), then stops the
    /// embedded cluster if there is one.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = &self.embedded {
            cluster.lock().await.stop().await;
        }
    }

    /// Watches the embedded PostgreSQL and starts it again when it dies, with back-off.
    /// Returns only when it cannot bring it back within `limits.restart_timeout`: the
    /// server should then exit non-zero so its service manager restarts everything.
    /// With an external database there is nothing to supervise: it never returns.
    pub async fn supervise(&self, health: Health, limits: &DatabaseOptions) -> anyhow::Error {
        let Some(cluster) = &self.embedded else {
            return std::future::pending().await;
        };
        loop {
            let (how, said) = loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let cluster = cluster.lock().await;
                if let Some(how) = cluster.exited() {
                    break (how, cluster.log_tail());
                }
            };
            health.set_database_available(false);
            tracing::error!(%how, postgres_said = %said, "the embedded PostgreSQL stopped unexpectedly; restarting it");
            let started = Instant::now();
            let mut trouble = Trouble::new(
                "restarting the embedded PostgreSQL",
                Duration::from_millis(250),
                Duration::from_secs(5),
            );
            loop {
                let remaining = limits.restart_timeout.saturating_sub(started.elapsed());
                let outcome =
                    tokio::time::timeout(remaining, async { cluster.lock().await.restart().await })
                        .await;
                let error = match outcome {
                    Ok(Ok(())) => {
                        tracing::info!(
                            "the embedded PostgreSQL is running again after {:.1} s",
                            started.elapsed().as_secs_f64()
                        );
                        break;
                    }
                    Ok(Err(error)) => error.to_string(),
                    Err(_) => "it did not start in time".to_owned(),
                };
                let pause = trouble.failed(&error);
                if started.elapsed() + pause >= limits.restart_timeout {
                    return anyhow!(
                        "the embedded PostgreSQL died ({how}) and could not be restarted within {} s: {error}",
                        limits.restart_timeout.as_secs()
                    );
                }
                tokio::time::sleep(pause).await;
            }
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

/// Like [`migrate`], on a connection of its own without the server's `statement_timeout`
/// (building an index on a large table may take longer).
async fn migrate_unhurried(pool: &PgPool) -> anyhow::Result<()> {
    let mut connection = pool
        .acquire()
        .await
        .map_err(|e| anyhow!("applying database migrations failed: {e}"))?;
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *connection)
        .await
        .map_err(|e| anyhow!("applying database migrations failed: {e}"))?;
    let result = MIGRATOR
        .run(&mut *connection)
        .await
        .map_err(|e| anyhow!("applying database migrations failed: {e}"));
    // The setting must not stay with a pooled connection.
    connection.detach();
    result
}

/// The settings every connection of the app runs with. JIT compilation is off: the app's
/// queries are short, and on plans the planner costs high (a gated fallback scan that does
/// not run) compiling took ten times longer than executing.
pub fn with_session_settings(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("jit", "off")])
}

/// PostgreSQL cancels a statement that runs longer than `limit` (the request then answers 503).
fn with_statement_timeout(options: PgConnectOptions, limit: Option<Duration>) -> PgConnectOptions {
    match limit {
        Some(limit) => options.options([("statement_timeout", format!("{}ms", limit.as_millis()))]),
        None => options,
    }
}

fn pool_options(limits: &DatabaseOptions) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(limits.acquire_timeout)
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
