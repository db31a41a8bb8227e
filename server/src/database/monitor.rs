//! Knows whether the database answers: a probe a second on a connection of its own (so a
//! busy pool is not mistaken for a dead database), recorded in the shared [`Health`] that
//! every request reads. The log gets a line when the database goes away, one a minute while
//! it stays away, and one when it is back.

use std::time::{Duration, Instant};

use app::backend::health::Health;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

const INTERVAL: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
const REPORT_EVERY: Duration = Duration::from_secs(60);

/// Runs until the process stops.
pub async fn watch(pool: PgPool, health: Health) {
    let options = pool
        .connect_options()
        .as_ref()
        .clone()
        .disable_statement_logging();
    let mut connection: Option<PgConnection> = None;
    let mut down_since: Option<Instant> = None;
    let mut reported = Instant::now();
    loop {
        let probe = tokio::time::timeout(PROBE_TIMEOUT, async {
            if connection.is_none() {
                connection = Some(PgConnection::connect_with(&options).await?);
            }
            match connection.as_mut() {
                Some(connection) => connection.ping().await,
                None => Ok(()),
            }
        })
        .await
        .map_err(|_| format!("no answer within {} s", PROBE_TIMEOUT.as_secs()))
        .and_then(|answer| answer.map_err(|error| error.to_string()));
        match probe {
            Ok(()) => {
                health.set_database_available(true);
                if let Some(since) = down_since.take() {
                    tracing::info!(
                        "the database answers again after {:.1} s; serving requests",
                        since.elapsed().as_secs_f64()
                    );
                }
            }
            Err(error) => {
                connection = None;
                health.set_database_available(false);
                match down_since {
                    None => {
                        down_since = Some(Instant::now());
                        reported = Instant::now();
                        tracing::error!(%error, "the database does not answer; database-backed requests get 503 until it does");
                    }
                    Some(since) if reported.elapsed() >= REPORT_EVERY => {
                        reported = Instant::now();
                        tracing::warn!(%error, "the database still does not answer after {} s", since.elapsed().as_secs());
                    }
                    Some(_) => {}
                }
            }
        }
        tokio::time::sleep(INTERVAL).await;
    }
}
