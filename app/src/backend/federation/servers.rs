//! The health of the servers we deliver to, as Mastodon keeps it: a server whose
//! deliveries keep failing for [`Client::unavailable_after`](super::client::Client) (a week
//! by default) with no answer in between is marked unavailable. While it is, nothing new is
//! queued for it (each dropped delivery is logged and counted) and what was already queued
//! becomes a dead letter instead of being sent. It is available again as soon as it sends
//! us anything, or takes a delivery (a replayed dead letter).
//!
//! Servers are told apart by the authority of their inboxes (`host` or `host:port`,
//! lower-case: the database's `url_authority`, migration 035).

use std::time::Duration;

use sqlx::{PgConnection, PgPool};

use super::FederationError;
use crate::{backend::Backend, error::AppError};

/// How often a success is written for a server that keeps taking deliveries: at most once
/// a second, so a burst to one server does not queue every worker on its row.
const SUCCESS_PRECISION: &str = "1 second";

/// A delivery to `inbox` was taken: its server is healthy.
pub async fn delivered(pool: &PgPool, inbox: &str) -> Result<(), FederationError> {
    sqlx::query(&format!(
        "WITH updated AS (
             UPDATE federation_servers
                SET failing_since = NULL, failures = 0, unavailable_since = NULL, last_success_at = now()
              WHERE host = url_authority($1)
                AND (failing_since IS NOT NULL OR unavailable_since IS NOT NULL
                     OR last_success_at IS NULL OR last_success_at < now() - interval '{SUCCESS_PRECISION}')
             RETURNING 1)
         INSERT INTO federation_servers (host, last_success_at)
         SELECT url_authority($1), now() WHERE NOT EXISTS (SELECT 1 FROM updated) AND url_authority($1) IS NOT NULL
         ON CONFLICT (host) DO NOTHING"
    ))
    .bind(inbox)
    .execute(pool)
    .await?;
    Ok(())
}

/// A delivery to `inbox` was refused for good (a 4xx): its server answered, so it is up,
/// though it took nothing.
pub async fn answered(pool: &PgPool, inbox: &str) -> Result<(), FederationError> {
    sqlx::query(
        "UPDATE federation_servers SET failing_since = NULL, failures = 0, unavailable_since = NULL
          WHERE host = url_authority($1) AND (failing_since IS NOT NULL OR unavailable_since IS NOT NULL)",
    )
    .bind(inbox)
    .execute(pool)
    .await?;
    Ok(())
}

/// A delivery to `inbox` failed in a way worth retrying (no answer, a server error): one
/// more failure for its server, which becomes unavailable once its failures span
/// `unavailable_after`. Returns whether the server is unavailable now.
pub async fn failed(
    pool: &PgPool,
    inbox: &str,
    unavailable_after: Duration,
) -> Result<bool, FederationError> {
    let state: Option<(bool, bool, String)> = sqlx::query_as(
        "INSERT INTO federation_servers AS s (host, failing_since, failures, last_failure_at)
         SELECT url_authority($1), now(), 1, now() WHERE url_authority($1) IS NOT NULL
         ON CONFLICT (host) DO UPDATE
            SET failing_since = coalesce(s.failing_since, now()),
                failures = s.failures + 1,
                last_failure_at = now(),
                unavailable_since = coalesce(s.unavailable_since,
                    CASE WHEN s.failing_since <= now() - make_interval(secs => $2) THEN now() END)
         RETURNING unavailable_since IS NOT NULL, coalesce(unavailable_since = now(), false), host",
    )
    .bind(inbox)
    .bind(unavailable_after.as_secs_f64())
    .fetch_optional(pool)
    .await?;
    let Some((unavailable, just_now, host)) = state else {
        return Ok(false);
    };
    if just_now {
        tracing::warn!(
            server = host,
            "deliveries have failed for {} s: server marked unavailable; nothing is queued for it until it sends us something",
            unavailable_after.as_secs()
        );
    }
    Ok(unavailable)
}

/// The server of the actor `actor_id` sent us an activity: it is up, whatever its
/// deliveries said.
pub async fn heard_from(backend: &Backend, actor_id: &str) -> Result<(), FederationError> {
    let host: Option<String> = sqlx::query_scalar(
        "UPDATE federation_servers SET failing_since = NULL, failures = 0, unavailable_since = NULL
          WHERE host = url_authority($1) AND (failing_since IS NOT NULL OR unavailable_since IS NOT NULL)
         RETURNING host",
    )
    .bind(actor_id)
    .fetch_optional(&backend.pool)
    .await?;
    if let Some(host) = host {
        tracing::info!(
            server = host,
            "a failing server sent us an activity: marked available"
        );
    }
    Ok(())
}

/// `inboxes` without those on unavailable servers, which are dropped (logged and counted).
pub async fn without_unavailable(
    db: &mut PgConnection,
    inboxes: Vec<String>,
) -> Result<Vec<String>, AppError> {
    let dropped: Vec<String> = sqlx::query_scalar(
        "WITH down AS (
             SELECT host FROM federation_servers
              WHERE unavailable_since IS NOT NULL
                AND host IN (SELECT url_authority(inbox) FROM unnest($1::text[]) AS inbox)),
         counted AS (
             UPDATE federation_servers s
                SET dropped = s.dropped + (SELECT count(*) FROM unnest($1::text[]) AS inbox WHERE url_authority(inbox) = s.host)
              WHERE s.host IN (SELECT host FROM down))
         SELECT inbox FROM unnest($1::text[]) AS inbox WHERE url_authority(inbox) IN (SELECT host FROM down)",
    )
    .bind(&inboxes)
    .fetch_all(&mut *db)
    .await?;
    if dropped.is_empty() {
        return Ok(inboxes);
    }
    for inbox in &dropped {
        tracing::info!(inbox, "delivery dropped: its server is marked unavailable");
    }
    Ok(inboxes
        .into_iter()
        .filter(|inbox| !dropped.contains(inbox))
        .collect())
}

/// Which of `inboxes` are on servers marked unavailable.
pub async fn unavailable_among(
    pool: &PgPool,
    inboxes: &[String],
) -> Result<Vec<String>, FederationError> {
    Ok(sqlx::query_scalar(
        "SELECT inbox FROM unnest($1::text[]) AS inbox
          WHERE url_authority(inbox) IN (SELECT host FROM federation_servers WHERE unavailable_since IS NOT NULL)",
    )
    .bind(inboxes)
    .fetch_all(pool)
    .await?)
}

/// A server as `server federation status` shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServerHealth {
    pub host: String,
    pub unavailable_since: Option<chrono::DateTime<chrono::Utc>>,
    pub failing_since: Option<chrono::DateTime<chrono::Utc>>,
    pub failures: i32,
    pub last_success_at: Option<chrono::DateTime<chrono::Utc>>,
    pub dropped: i64,
    /// Deliveries waiting for it.
    pub queued: i64,
    /// Deliveries to it given up (dead letters).
    pub dead: i64,
}

/// Every server we delivered to or have deliveries for, the troubled first.
pub async fn status(pool: &PgPool) -> Result<Vec<ServerHealth>, FederationError> {
    Ok(sqlx::query_as(
        "WITH queue AS (SELECT url_authority(inbox_url) AS host, count(*) AS queued FROM deliveries GROUP BY 1),
              dead AS (SELECT url_authority(target_url) AS host, count(*) AS dead FROM failed_events GROUP BY 1),
              hosts AS (SELECT host FROM federation_servers UNION SELECT host FROM queue UNION SELECT host FROM dead)
         SELECT h.host, s.unavailable_since, s.failing_since, coalesce(s.failures, 0) AS failures,
                s.last_success_at, coalesce(s.dropped, 0) AS dropped,
                coalesce(q.queued, 0) AS queued, coalesce(d.dead, 0) AS dead
           FROM hosts h LEFT JOIN federation_servers s ON s.host = h.host
                LEFT JOIN queue q ON q.host = h.host LEFT JOIN dead d ON d.host = h.host
          WHERE h.host IS NOT NULL
          ORDER BY s.unavailable_since IS NULL, s.failing_since IS NULL, coalesce(q.queued, 0) DESC, h.host",
    )
    .fetch_all(pool)
    .await?)
}
