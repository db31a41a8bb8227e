//! The one way a server starts: `main` (`server serve`) and the integration tests both build
//! an [`Application`] from a [`Config`] and run it, so both run the same router, database
//! pool and background workers.

use std::net::SocketAddr;

use anyhow::anyhow;
use app::backend::Backend;
use axum::Router;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    config::{Config, DatabaseOptions, HttpLimits},
    database::{self, Database},
    http, serving,
};

/// A server ready to answer: listening, its database open and migrated, its workers running.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    database: Database,
    backend: Backend,
    router: Router,
    workers: Vec<JoinHandle<()>>,
    http_limits: HttpLimits,
    max_connections: usize,
    stop: watch::Sender<bool>,
    limits: DatabaseOptions,
}

/// Asks a running [`Application`] to stop (finishing the requests in flight first).
#[derive(Clone)]
pub struct ShutdownHandle(watch::Sender<bool>);

impl ShutdownHandle {
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Application {
    /// Listens on `config.site_addr` (port 0 picks a free one), then opens the database and
    /// starts the workers.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Bind first, so a taken port fails fast without touching the database.
        let listener = TcpListener::bind(config.site_addr).await.map_err(|e| {
            anyhow!(
                "cannot listen on {}: {e}; stop whatever uses that address or set LEPTOS_SITE_ADDR",
                config.site_addr
            )
        })?;
        Self::build_on(listener, config).await
    }

    /// Like [`build`](Self::build) on a listener bound already (tests bind port 0 first to
    /// learn the address their PUBLIC_URL names).
    pub async fn build_on(listener: TcpListener, config: Config) -> anyhow::Result<Self> {
        let address = listener
            .local_addr()
            .map_err(|e| anyhow!("the listening socket has no address: {e}"))?;
        let open_files = serving::raise_open_file_limit();
        let max_connections = serving::connection_cap(config.http.max_connections, open_files);
        tracing::info!(
            open_files = open_files.map_or_else(|| "unknown".to_owned(), |n| n.to_string()),
            max_connections,
            header_read_timeout_secs = config.http.header_read_timeout.as_secs(),
            idle_timeout_secs = config.http.idle_timeout.as_secs(),
            request_timeout_secs = config.http.request_timeout.as_secs(),
            shutdown_deadline_secs = config.http.shutdown_deadline.as_secs(),
            "HTTP limits"
        );
        let database = Database::open(&config).await?;
        match Self::start(listener, address, &config, &database).await {
            Ok((listener, backend, router, workers)) => Ok(Application {
                listener,
                address,
                database,
                backend,
                router,
                workers,
                http_limits: config.http.clone(),
                max_connections,
                stop: watch::Sender::new(false),
                limits: config.database.clone(),
            }),
            Err(error) => {
                database.close().await;
                Err(error)
            }
        }
    }

    async fn start(
        listener: TcpListener,
        address: SocketAddr,
        config: &Config,
        database: &Database,
    ) -> anyhow::Result<(TcpListener, Backend, Router, Vec<JoinHandle<()>>)> {
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
        let announcements = app::backend::live::Announcements::listen(&backend.pool)
            .await
            .map_err(|e| anyhow!("cannot listen for live events: {e}"))?;
        backend
            .health
            .require_disk(app::backend::health::DiskCheck {
                path: config.data_dir.clone(),
                min_free_bytes: config.database.min_free_disk_bytes,
            });
        let workers = vec![
            // Whether the database answers, for /ready and the 503s while it does not.
            tokio::spawn(database::monitor::watch(
                backend.pool.clone(),
                backend.health.clone(),
            )),
            // Deliveries go out in the background; several server processes share the queue.
            tokio::spawn(app::backend::federation::delivery::run(backend.clone())),
            tokio::spawn(announcements.relay(backend.live.clone())),
            // Ended rate-limit windows, expired idempotency keys.
            tokio::spawn(app::backend::maintenance::run(backend.clone())),
            tokio::spawn(app::backend::scheduled::run(backend.clone())),
        ];
        let router = http::timeouts::limit_requests(
            http::router_behind(
                backend.clone(),
                http::leptos_options(&config.site_root, address),
                config.trusted_proxies.clone(),
                config.api_rate_limit,
            ),
            config.http.request_timeout,
        );
        Ok((listener, backend, router, workers))
    }

    /// Where it listens (the real port when the configuration said 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The rules and the pool the server runs with.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A handle that stops [`run_until_stopped`](Self::run_until_stopped) from elsewhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.stop.clone())
    }

    /// Answers until the shutdown handle is used, then lets the requests in flight finish
    /// (within the shutdown deadline), stops the workers and closes the database.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            listener,
            database,
            backend,
            router,
            workers,
            http_limits,
            max_connections,
            stop,
            limits,
            ..
        } = self;
        let hub = backend.live.clone();
        let mut stopping = stop.subscribe();
        let closer = tokio::spawn(async move {
            let _ = stopping.wait_for(|stop| *stop).await;
            // Open event streams would keep the graceful shutdown waiting until the deadline.
            hub.close();
        });
        let served = serving::serve(
            listener,
            router,
            &http_limits,
            max_connections,
            stop.subscribe(),
        );
        // A dead embedded PostgreSQL is restarted; one that cannot be ends the process, non-zero.
        let outcome = tokio::select! {
            () = served => Ok(()),
            lost = database.supervise(backend.health.clone(), &limits) => Err(lost),
        };
        closer.abort();
        // Stopped, not only told to stop, before the database goes: a listener still open
        // would see its connection ended by the administrator.
        for worker in workers {
            worker.abort();
            let _ = worker.await;
        }
        database.close().await;
        outcome
    }
}
