//! Sends the queued deliveries. Any number of workers, in any number of server processes,
//! share the queue: a worker leases due rows (`FOR UPDATE SKIP LOCKED`, then a lease time
//! in `next_attempt_at`), so no two send the same row, and a worker that dies only delays
//! its rows until the lease runs out. Failures are retried with exponential back-off for
//! about a day; a delivery refused for good, or still failing then, becomes a dead letter
//! in `failed_events`, with the last status and answer.

use std::{future::Future, time::Duration};

use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::{
    client::{Refused, Signer},
    keys,
    outbox::CHANNEL,
    remote::instance_signer,
    urls::Urls,
    FederationError,
};
use crate::backend::{retry::Trouble, Backend};

/// Attempts before a delivery becomes a dead letter; with [`backoff`] they span about a day.
pub const MAX_ATTEMPTS: i32 = 12;
/// How long a claimed row stays out of other workers' reach.
const LEASE_SECONDS: i64 = 120;
const BATCH: i64 = 16;

/// The wait before attempt `attempts + 1`: 40 s, doubling (the last wait ≈ 11 h; ≈ 23 h in all).
pub fn backoff(attempts: i32) -> chrono::Duration {
    chrono::Duration::seconds(40 * (1_i64 << attempts.clamp(1, MAX_ATTEMPTS).saturating_sub(1)))
}

#[derive(Debug, sqlx::FromRow)]
struct Claimed {
    id: Uuid,
    activity_type: String,
    sender_id: Option<Uuid>,
    inbox_url: String,
    payload: String,
    attempts: i32,
}

/// What recording the outcome of an attempt needs to know of a claimed delivery.
#[derive(Debug, Clone)]
struct Lease {
    id: Uuid,
    activity_type: String,
    inbox_url: String,
    attempts: i32,
}

impl Claimed {
    fn lease(&self) -> Lease {
        Lease {
            id: self.id,
            activity_type: self.activity_type.clone(),
            inbox_url: self.inbox_url.clone(),
            attempts: self.attempts,
        }
    }
}

/// Runs a worker until the process stops: sends what is due, then sleeps until a new
/// delivery is queued (LISTEN/NOTIFY) or a retry falls due. While the database fails it
/// backs off (up to [`MAX_PAUSE`]) and logs the trouble once, not once per attempt.
pub async fn run(backend: Backend) {
    let mut trouble = Trouble::new("the delivery worker", Duration::from_millis(500), MAX_PAUSE);
    let mut listener: Option<PgListener> = None;
    loop {
        backend.health.worker_beat();
        match deliver_due(&backend).await {
            Ok(sent) => {
                trouble.succeeded();
                if sent > 0 {
                    continue;
                }
            }
            Err(error) => {
                // A broken listener is rebuilt once the database answers again.
                listener = None;
                tokio::time::sleep(trouble.failed(&error)).await;
                continue;
            }
        }
        if listener.is_none() {
            listener = listen(&backend).await;
        }
        let wait = Duration::from_secs(5);
        match listener.as_mut() {
            Some(active) => {
                // A notification, or a timeout: either way, look for due rows. A failure
                // (the connection was lost) drops the listener, and the worker polls until
                // the next round rebuilds it; it never loops on a listener that fails at once.
                if let Ok(Err(_) | Ok(None)) = tokio::time::timeout(wait, active.try_recv()).await {
                    listener = None;
                    tokio::time::sleep(wait).await;
                }
            }
            None => tokio::time::sleep(wait).await,
        }
    }
}

/// The longest pause between attempts while the database fails.
const MAX_PAUSE: Duration = Duration::from_secs(10);

/// A listener for new deliveries, or `None` (the worker then polls).
async fn listen(backend: &Backend) -> Option<PgListener> {
    let mut listener = match PgListener::connect_with(&backend.pool).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::debug!(%error, "delivery worker cannot LISTEN; polling instead");
            return None;
        }
    };
    match listener.listen(CHANNEL).await {
        Ok(()) => Some(listener),
        Err(error) => {
            tracing::debug!(%error, "delivery worker cannot LISTEN; polling instead");
            None
        }
    }
}

/// Claims and sends one batch of due deliveries; returns how many it claimed.
pub async fn deliver_due(backend: &Backend) -> Result<usize, FederationError> {
    let claimed: Vec<Claimed> = sqlx::query_as(
        "UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $2), attempts = attempts + 1
          WHERE id IN (SELECT id FROM deliveries WHERE next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id, activity_type, sender_id, inbox_url, payload, attempts",
    )
    .bind(BATCH)
    .bind(LEASE_SECONDS as f64)
    .fetch_all(&backend.pool)
    .await?;
    let count = claimed.len();
    let sends = claimed.into_iter().map(|delivery| {
        let backend = backend.clone();
        (
            delivery.lease(),
            async move { send(&backend, delivery).await },
        )
    });
    // A send that panicked recorded nothing: left alone, its row would come back after
    // every lease, forever, and never become a dead letter. It counts as a failed attempt.
    for (lease, why) in run_all(sends).await {
        tracing::error!(inbox = %lease.inbox_url, %why, "a delivery failed inside; counted as a failed attempt");
        let failed = Err(Refused {
            status: None,
            body: format!("the delivery failed on our side: {why}"),
        });
        if let Err(error) = record(backend, &lease, failed).await {
            tracing::error!(%error, "recording a delivery's outcome failed");
        }
    }
    Ok(count)
}

/// Runs each task in a task of its own and waits for them all; returns the keys of those
/// that ended without an outcome (they panicked), with the panic's message.
async fn run_all<K, F>(tasks: impl IntoIterator<Item = (K, F)>) -> Vec<(K, String)>
where
    F: Future<Output = Result<(), FederationError>> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    let mut keys = std::collections::HashMap::new();
    for (key, task) in tasks {
        keys.insert(running.spawn(task).id(), key);
    }
    let mut lost = Vec::new();
    while let Some(result) = running.join_next_with_id().await {
        match result {
            Ok((_, Ok(()))) => {}
            Ok((_, Err(error))) => tracing::error!(%error, "recording a delivery's outcome failed"),
            Err(error) => {
                let key = keys.remove(&error.id());
                let why = match error.try_into_panic() {
                    Ok(payload) => payload
                        .downcast_ref::<&str>()
                        .map(|message| message.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".into()),
                    Err(_) => "cancelled".into(),
                };
                lost.extend(key.map(|key| (key, why)));
            }
        }
    }
    lost
}

async fn send(backend: &Backend, delivery: Claimed) -> Result<(), FederationError> {
    let outcome = match signer(backend, delivery.sender_id).await {
        Ok(signer) => {
            backend
                .federation
                .post(&delivery.inbox_url, delivery.payload.as_bytes(), &signer)
                .await
        }
        Err(error) => Err(Refused {
            status: None,
            body: error.to_string(),
        }),
    };
    record(backend, &delivery.lease(), outcome).await
}

/// Records how an attempt ended: delivered (the row goes), to be retried after a back-off,
/// or given up (a dead letter).
async fn record(
    backend: &Backend,
    delivery: &Lease,
    outcome: Result<(), Refused>,
) -> Result<(), FederationError> {
    match outcome {
        Ok(()) => {
            tracing::debug!(inbox = %delivery.inbox_url, kind = %delivery.activity_type, "delivered");
            sqlx::query("DELETE FROM deliveries WHERE id = $1")
                .bind(delivery.id)
                .execute(&backend.pool)
                .await?;
        }
        Err(refused) if refused.retryable() && delivery.attempts < MAX_ATTEMPTS => {
            tracing::info!(inbox = %delivery.inbox_url, attempt = delivery.attempts, %refused, "delivery failed; will retry");
            sqlx::query(
                "UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $2), last_error = $3 WHERE id = $1",
            )
            .bind(delivery.id)
            .bind(backoff(delivery.attempts).num_seconds() as f64)
            .bind(refused.to_string())
            .execute(&backend.pool)
            .await?;
        }
        Err(refused) => {
            tracing::warn!(inbox = %delivery.inbox_url, attempts = delivery.attempts, %refused, "delivery given up: dead letter");
            let mut transaction = backend.pool.begin().await?;
            sqlx::query(
                "INSERT INTO failed_events (event_type, target_url, payload, error, attempts, sender_id, created_at, last_attempt_at)
                 SELECT activity_type, inbox_url, payload::jsonb, $2, attempts, sender_id, created_at, now()
                   FROM deliveries WHERE id = $1",
            )
            .bind(delivery.id)
            .bind(refused.to_string())
            .execute(&mut *transaction)
            .await?;
            sqlx::query("DELETE FROM deliveries WHERE id = $1")
                .bind(delivery.id)
                .execute(&mut *transaction)
                .await?;
            transaction.commit().await?;
        }
    }
    Ok(())
}

/// The signer of a delivery: its sender's key, or the instance actor's.
async fn signer(backend: &Backend, sender: Option<Uuid>) -> Result<Signer, FederationError> {
    let Some(sender) = sender else {
        return instance_signer(backend).await;
    };
    let username: String =
        sqlx::query_scalar("SELECT username FROM users WHERE id = $1 AND NOT is_remote")
            .bind(sender)
            .fetch_one(&backend.pool)
            .await?;
    let pair = keys::for_user(&backend.pool, sender).await?;
    Signer::new(
        Urls::new(&backend.public_url).key_id(&username),
        &pair.private_pem,
    )
}

/// A dead letter, as the operator CLI lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeadLetter {
    pub id: Uuid,
    pub event_type: String,
    pub target_url: Option<String>,
    pub error: String,
    pub attempts: i32,
    pub last_attempt_at: chrono::DateTime<chrono::Utc>,
}

pub async fn dead_letters(backend: &Backend) -> Result<Vec<DeadLetter>, FederationError> {
    Ok(sqlx::query_as(
        "SELECT id, event_type, target_url, error, attempts, last_attempt_at FROM failed_events ORDER BY created_at DESC",
    )
    .fetch_all(&backend.pool)
    .await?)
}

/// Puts dead letters back in the queue (all of them when `ids` is empty); returns how many.
pub async fn replay(backend: &Backend, ids: &[Uuid]) -> Result<u64, FederationError> {
    let mut transaction = backend.pool.begin().await?;
    let moved = sqlx::query(
        "WITH chosen AS (DELETE FROM failed_events WHERE (cardinality($1::uuid[]) = 0 OR id = ANY($1)) AND target_url IS NOT NULL
                         RETURNING event_type, target_url, payload, sender_id)
         INSERT INTO deliveries (activity_id, activity_type, sender_id, inbox_url, payload)
         SELECT coalesce(payload->>'id', gen_random_uuid()::text), event_type, sender_id, target_url, payload::text FROM chosen
         ON CONFLICT (activity_id, inbox_url) DO UPDATE SET attempts = 0, next_attempt_at = now()",
    )
    .bind(ids)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(moved)
}

/// Deletes dead letters older than `older_than` (all when None); returns how many.
pub async fn purge(
    backend: &Backend,
    older_than: Option<chrono::Duration>,
) -> Result<u64, FederationError> {
    let cutoff = older_than.map(|age| chrono::Utc::now() - age);
    Ok(
        sqlx::query("DELETE FROM failed_events WHERE $1::timestamptz IS NULL OR created_at < $1")
            .bind(cutoff)
            .execute(&backend.pool)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_is_reported_not_lost() {
        type Task = std::pin::Pin<Box<dyn Future<Output = Result<(), FederationError>> + Send>>;
        fn panicking(message: String) -> Task {
            Box::pin(async move {
                // Slicing past the end panics, with a formatted (String) message.
                std::hint::black_box(&message[..message.len() + 1]);
                Ok(())
            })
        }
        let tasks: Vec<(u8, Task)> = vec![
            (1, Box::pin(async { Ok(()) })),
            (2, panicking("é".into())),
            (3, Box::pin(async { Err(FederationError::Internal) })),
        ];
        let lost = run_all(tasks).await;
        assert_eq!(lost.len(), 1, "{lost:?}");
        assert_eq!(lost[0].0, 2);
        assert!(
            lost[0].1.contains("byte index"),
            "the panic's message: {}",
            lost[0].1
        );
    }

    #[test]
    fn backoff_spans_about_a_day() {
        assert_eq!(backoff(1).num_seconds(), 40);
        assert_eq!(backoff(2).num_seconds(), 80);
        let total: i64 = (1..MAX_ATTEMPTS)
            .map(|attempt| backoff(attempt).num_seconds())
            .sum();
        assert!((20 * 3600..30 * 3600).contains(&total), "{total} s");
    }
}
