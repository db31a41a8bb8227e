//! Sends the queued deliveries. Any number of workers, in any number of server processes,
//! share the queue: a worker leases due rows (`FOR UPDATE SKIP LOCKED`, then a lease time
//! in `next_attempt_at`), so no two send the same row, and a worker that dies only delays
//! its rows until the lease runs out. Failures are retried with exponential back-off for
//! about a day; a delivery refused for good, or still failing then, becomes a dead letter
//! in `failed_events`, with the last status and answer.

use std::time::Duration;

use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::{client::Signer, keys, outbox::CHANNEL, remote::instance_signer, urls::Urls, FederationError};
use crate::backend::Backend;

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

/// Runs a worker until the process stops: sends what is due, then sleeps until a new
/// delivery is queued (LISTEN/NOTIFY) or a retry falls due.
pub async fn run(backend: Backend) {
    let mut listener = match PgListener::connect_with(&backend.pool).await {
        Ok(mut listener) => match listener.listen(CHANNEL).await {
            Ok(()) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, "delivery worker cannot LISTEN; polling instead");
                None
            }
        },
        Err(error) => {
            tracing::warn!(%error, "delivery worker cannot LISTEN; polling instead");
            None
        }
    };
    loop {
        match deliver_due(&backend).await {
            Ok(sent) if sent > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "delivery round failed"),
        }
        let wait = Duration::from_secs(5);
        match listener.as_mut() {
            Some(listener) => {
                let _ = tokio::time::timeout(wait, listener.try_recv()).await;
            }
            None => tokio::time::sleep(wait).await,
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
    let mut sends = tokio::task::JoinSet::new();
    for delivery in claimed {
        let backend = backend.clone();
        sends.spawn(async move { send(&backend, delivery).await });
    }
    while let Some(result) = sends.join_next().await {
        if let Ok(Err(error)) = result {
            tracing::error!(%error, "recording a delivery's outcome failed");
        }
    }
    Ok(count)
}

async fn send(backend: &Backend, delivery: Claimed) -> Result<(), FederationError> {
    let outcome = match signer(backend, delivery.sender_id).await {
        Ok(signer) => backend.federation.post(&delivery.inbox_url, delivery.payload.as_bytes(), &signer).await,
        Err(error) => Err(super::client::Refused { status: None, body: error.to_string() }),
    };
    match outcome {
        Ok(()) => {
            tracing::debug!(inbox = %delivery.inbox_url, kind = %delivery.activity_type, "delivered");
            sqlx::query("DELETE FROM deliveries WHERE id = $1").bind(delivery.id).execute(&backend.pool).await?;
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
            sqlx::query("DELETE FROM deliveries WHERE id = $1").bind(delivery.id).execute(&mut *transaction).await?;
            transaction.commit().await?;
        }
    }
    Ok(())
}

/// The signer of a delivery: its sender's key, or the instance actor's.
async fn signer(backend: &Backend, sender: Option<Uuid>) -> Result<Signer, FederationError> {
    let Some(sender) = sender else { return instance_signer(backend).await };
    let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1 AND NOT is_remote")
        .bind(sender)
        .fetch_one(&backend.pool)
        .await?;
    let pair = keys::for_user(&backend.pool, sender).await?;
    Signer::new(Urls::new(&backend.public_url).key_id(&username), &pair.private_pem)
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
    sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *transaction).await?;
    transaction.commit().await?;
    Ok(moved)
}

/// Deletes dead letters older than `older_than` (all when None); returns how many.
pub async fn purge(backend: &Backend, older_than: Option<chrono::Duration>) -> Result<u64, FederationError> {
    let cutoff = older_than.map(|age| chrono::Utc::now() - age);
    Ok(sqlx::query("DELETE FROM failed_events WHERE $1::timestamptz IS NULL OR created_at < $1")
        .bind(cutoff)
        .execute(&backend.pool)
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_spans_about_a_day() {
        assert_eq!(backoff(1).num_seconds(), 40);
        assert_eq!(backoff(2).num_seconds(), 80);
        let total: i64 = (1..MAX_ATTEMPTS).map(|attempt| backoff(attempt).num_seconds()).sum();
        assert!((20 * 3600..30 * 3600).contains(&total), "{total} s");
    }
}
