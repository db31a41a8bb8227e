//! Sends the queued deliveries. Any number of workers, in any number of server processes,
//! share the queue: a worker leases due rows (`FOR UPDATE SKIP LOCKED`, then a lease time
//! in `next_attempt_at`), so no two send the same row, and a worker that dies only delays
//! its rows until the lease runs out. Failures are retried with exponential back-off for
//! about a day; a delivery refused for good, or still failing then, becomes a dead letter
//! in `failed_events`, with the last status and answer.

use std::{collections::HashMap, future::Future, time::Duration};

use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::{
    client::{Refused, Signer},
    keys,
    outbox::CHANNEL,
    remote::instance_signer,
    servers,
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
    // What was queued for a server before it was marked unavailable is not sent: it waits
    // as a dead letter, for the operator to replay once the server is back.
    let inboxes: Vec<String> = claimed.iter().map(|d| d.inbox_url.clone()).collect();
    let down = servers::unavailable_among(&backend.pool, &inboxes).await?;
    let (claimed, held): (Vec<Claimed>, Vec<Claimed>) = claimed
        .into_iter()
        .partition(|delivery| !down.contains(&delivery.inbox_url));
    for delivery in held {
        tracing::info!(inbox = %delivery.inbox_url, "delivery not sent: its server is marked unavailable");
        dead_letter(
            backend,
            &delivery.lease(),
            "its server is marked unavailable",
        )
        .await?;
    }
    let signers = signers_for(backend, claimed.iter().map(|delivery| delivery.sender_id)).await;
    let sends = claimed.into_iter().map(|delivery| {
        let backend = backend.clone();
        let signer = signers
            .get(&delivery.sender_id)
            .cloned()
            .unwrap_or_else(|| {
                Err(format!(
                    "no signer was made for sender {:?}",
                    delivery.sender_id
                ))
            });
        (delivery.lease(), async move {
            send(&backend, delivery, signer).await
        })
    });
    // A send that panicked recorded nothing: left alone, its row would come back after
    // every lease, forever, and never become a dead letter. It counts as a failed attempt.
    for (lease, why) in run_all(sends).await {
        tracing::error!(inbox = %lease.inbox_url, %why, "a delivery failed inside; counted as a failed attempt");
        let failed = Outcome::OurFailure(format!("the delivery failed on our side: {why}"));
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

/// The signers of a round's senders, each key read and parsed once for the whole round
/// (parsing an RSA key costs about as much as a signature); a sender whose key cannot be
/// had gets the reason, which its deliveries record as a failed attempt.
async fn signers_for(
    backend: &Backend,
    senders: impl Iterator<Item = Option<Uuid>>,
) -> HashMap<Option<Uuid>, Result<Signer, String>> {
    let mut signers = HashMap::new();
    for sender in senders {
        if let std::collections::hash_map::Entry::Vacant(entry) = signers.entry(sender) {
            entry.insert(
                signer(backend, sender)
                    .await
                    .map_err(|error| error.to_string()),
            );
        }
    }
    signers
}

async fn send(
    backend: &Backend,
    delivery: Claimed,
    signer: Result<Signer, String>,
) -> Result<(), FederationError> {
    let outcome = match signer {
        Ok(signer) => match backend
            .federation
            .post(&delivery.inbox_url, delivery.payload.as_bytes(), &signer)
            .await
        {
            Ok(()) => Outcome::Delivered,
            Err(refused) => Outcome::Refused(refused),
        },
        Err(why) => Outcome::OurFailure(why),
    };
    record(backend, &delivery.lease(), outcome).await
}

/// How an attempt ended.
enum Outcome {
    Delivered,
    /// The server did not take it (or did not answer): this counts for its health.
    Refused(Refused),
    /// Our side failed before sending (the sender's key, a panic): retried, and no fault
    /// of the server's.
    OurFailure(String),
}

/// Records how an attempt ended: delivered (the row goes), to be retried after a back-off,
/// or given up (a dead letter); and what it says of the server's health.
async fn record(
    backend: &Backend,
    delivery: &Lease,
    outcome: Outcome,
) -> Result<(), FederationError> {
    let (error, retry) = match outcome {
        Outcome::Delivered => {
            tracing::debug!(inbox = %delivery.inbox_url, kind = %delivery.activity_type, "delivered");
            servers::delivered(&backend.pool, &delivery.inbox_url).await?;
            sqlx::query("DELETE FROM deliveries WHERE id = $1")
                .bind(delivery.id)
                .execute(&backend.pool)
                .await?;
            return Ok(());
        }
        Outcome::Refused(refused) if refused.retryable() => {
            let unavailable = servers::failed(
                &backend.pool,
                &delivery.inbox_url,
                backend.federation.unavailable_after(),
            )
            .await?;
            if unavailable {
                (
                    format!("{refused}; its server is marked unavailable"),
                    false,
                )
            } else {
                (refused.to_string(), true)
            }
        }
        Outcome::Refused(refused) => {
            servers::answered(&backend.pool, &delivery.inbox_url).await?;
            (refused.to_string(), false)
        }
        Outcome::OurFailure(why) => (why, true),
    };
    if retry && delivery.attempts < MAX_ATTEMPTS {
        tracing::info!(inbox = %delivery.inbox_url, attempt = delivery.attempts, %error, "delivery failed; will retry");
        sqlx::query(
            "UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $2), last_error = $3 WHERE id = $1",
        )
        .bind(delivery.id)
        .bind(backoff(delivery.attempts).num_seconds() as f64)
        .bind(&error)
        .execute(&backend.pool)
        .await?;
        return Ok(());
    }
    tracing::warn!(inbox = %delivery.inbox_url, attempts = delivery.attempts, %error, "delivery given up: dead letter");
    dead_letter(backend, delivery, &error).await
}

/// Moves a delivery to the dead letters, with why it was given up.
async fn dead_letter(
    backend: &Backend,
    delivery: &Lease,
    error: &str,
) -> Result<(), FederationError> {
    let mut transaction = backend.pool.begin().await?;
    sqlx::query(
        "INSERT INTO failed_events (event_type, target_url, payload, error, attempts, sender_id, created_at, last_attempt_at)
         SELECT activity_type, inbox_url, payload::jsonb, $2, attempts, sender_id, created_at, now()
           FROM deliveries WHERE id = $1",
    )
    .bind(delivery.id)
    .bind(error)
    .execute(&mut *transaction)
    .await?;
    sqlx::query("DELETE FROM deliveries WHERE id = $1")
        .bind(delivery.id)
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
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
                         RETURNING event_type, target_url, payload, sender_id),
              -- Replaying is the operator saying the server is back: it gets another chance.
              revived AS (UPDATE federation_servers SET unavailable_since = NULL, failing_since = NULL, failures = 0
                           WHERE host IN (SELECT url_authority(target_url) FROM chosen))
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
