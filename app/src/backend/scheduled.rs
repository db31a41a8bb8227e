//! Thoughts scheduled for later (Mastodon's scheduled statuses). A scheduled thought is
//! checked under the rules of posting when scheduled, and posted through
//! [`thoughts::post`] when due by [`run`], which every server process runs: each due row is
//! taken with `FOR UPDATE SKIP LOCKED` (no two processes take the same one) and posted with
//! an idempotency key of its own id, so even a process that dies between posting and
//! deleting the row never posts it twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{idempotency, thoughts, Backend};
use crate::error::AppError;

/// How far ahead a thought must be scheduled (as Mastodon).
pub const MIN_LEAD: chrono::Duration = chrono::Duration::minutes(5);

/// How often due thoughts are looked for.
const EVERY: Duration = Duration::from_secs(20);

/// A scheduled thought, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Scheduled {
    pub id: Uuid,
    pub scheduled_at: DateTime<Utc>,
    pub content: String,
    pub visibility: String,
    pub reply_to: Option<String>,
    pub summary: Option<String>,
    pub sensitive: bool,
}

fn check_time(at: DateTime<Utc>) -> Result<(), AppError> {
    if at < Utc::now() + MIN_LEAD {
        return Err(AppError::invalid(
            "scheduled_at",
            "must be at least 5 minutes in the future",
        ));
    }
    Ok(())
}

/// Schedules `input` by `author` for `at` (at least [`MIN_LEAD`] ahead), checked as a post.
pub async fn schedule(
    backend: &Backend,
    author: Uuid,
    input: thoughts::NewThought,
    at: DateTime<Utc>,
) -> Result<Scheduled, AppError> {
    check_time(at)?;
    thoughts::check_new(&input)?;
    Ok(sqlx::query_as(
        "INSERT INTO scheduled_thoughts (user_id, scheduled_at, content, visibility, reply_to, summary, sensitive)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, scheduled_at, content, visibility, reply_to, summary, sensitive",
    )
    .bind(author)
    .bind(at)
    .bind(input.content.trim())
    .bind(&input.visibility)
    .bind(&input.reply_to)
    .bind(&input.summary)
    .bind(input.sensitive)
    .fetch_one(&backend.pool)
    .await?)
}

/// `user`'s scheduled thoughts, soonest first.
pub async fn list(backend: &Backend, user: Uuid, limit: i64) -> Result<Vec<Scheduled>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, scheduled_at, content, visibility, reply_to, summary, sensitive
           FROM scheduled_thoughts WHERE user_id = $1 ORDER BY scheduled_at, id LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(&backend.pool)
    .await?)
}

/// One of `user`'s scheduled thoughts (someone else's is `NotFound`).
pub async fn get(backend: &Backend, user: Uuid, id: Uuid) -> Result<Scheduled, AppError> {
    sqlx::query_as(
        "SELECT id, scheduled_at, content, visibility, reply_to, summary, sensitive
           FROM scheduled_thoughts WHERE user_id = $1 AND id = $2",
    )
    .bind(user)
    .bind(id)
    .fetch_optional(&backend.pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Moves one of `user`'s scheduled thoughts to `at`.
pub async fn reschedule(
    backend: &Backend,
    user: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Scheduled, AppError> {
    check_time(at)?;
    sqlx::query_as(
        "UPDATE scheduled_thoughts SET scheduled_at = $3 WHERE user_id = $1 AND id = $2
         RETURNING id, scheduled_at, content, visibility, reply_to, summary, sensitive",
    )
    .bind(user)
    .bind(id)
    .bind(at)
    .fetch_optional(&backend.pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Cancels one of `user`'s scheduled thoughts.
pub async fn cancel(backend: &Backend, user: Uuid, id: Uuid) -> Result<(), AppError> {
    let deleted = sqlx::query("DELETE FROM scheduled_thoughts WHERE user_id = $1 AND id = $2")
        .bind(user)
        .bind(id)
        .execute(&backend.pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Posts every due scheduled thought once; returns how many this call posted or dropped.
/// One that can no longer be posted (the thought it answers is gone) is dropped with a log
/// line, as Mastodon drops it.
pub async fn publish_due(backend: &Backend) -> Result<usize, AppError> {
    let mut done = 0;
    loop {
        let mut transaction = backend.pool.begin().await?;
        let due: Option<(Uuid, Scheduled)> = sqlx::query_as::<_, ScheduledRow>(
            "SELECT id, user_id, scheduled_at, content, visibility, reply_to, summary, sensitive
               FROM scheduled_thoughts WHERE scheduled_at <= now()
              ORDER BY scheduled_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .fetch_optional(&mut *transaction)
        .await?
        .map(|row| (row.user_id, row.scheduled()));
        let Some((author, scheduled)) = due else {
            return Ok(done);
        };
        let key = idempotency::Key::parse(
            idempotency::Scope::Api,
            "scheduled_at",
            &format!("scheduled:{}", scheduled.id),
        )?;
        let input = thoughts::NewThought {
            content: scheduled.content.clone(),
            visibility: scheduled.visibility.clone(),
            reply_to: scheduled.reply_to.clone(),
            idempotency_key: key,
            summary: scheduled.summary.clone(),
            sensitive: scheduled.sensitive,
        };
        match thoughts::post(backend, author, input).await {
            Ok(_) => {}
            Err(AppError::Invalid(errors)) => {
                tracing::warn!(id = %scheduled.id, ?errors, "a scheduled thought can no longer be posted: dropped");
            }
            Err(error) => return Err(error),
        }
        sqlx::query("DELETE FROM scheduled_thoughts WHERE id = $1")
            .bind(scheduled.id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        done += 1;
    }
}

#[derive(sqlx::FromRow)]
struct ScheduledRow {
    id: Uuid,
    user_id: Uuid,
    scheduled_at: DateTime<Utc>,
    content: String,
    visibility: String,
    reply_to: Option<String>,
    summary: Option<String>,
    sensitive: bool,
}

impl ScheduledRow {
    fn scheduled(self) -> Scheduled {
        Scheduled {
            id: self.id,
            scheduled_at: self.scheduled_at,
            content: self.content,
            visibility: self.visibility,
            reply_to: self.reply_to,
            summary: self.summary,
            sensitive: self.sensitive,
        }
    }
}

/// Runs [`publish_due`] every few seconds, for as long as the server runs.
pub async fn run(backend: Backend) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match publish_due(&backend).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "published scheduled thoughts"),
            Err(error) => tracing::warn!(%error, "cannot publish scheduled thoughts"),
        }
    }
}
