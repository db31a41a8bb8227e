//! Request rate limits shared by every server process: fixed windows counted in PostgreSQL
//! (one upsert per request), so two processes on one database allow what one would.

use std::time::Duration;

use sqlx::PgPool;

use crate::error::AppError;

/// At most `requests` per `window`, per caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

/// One request counted: whether it is allowed, how many remain, and when the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub allowed: bool,
    pub remaining: u32,
    pub reset_in_secs: u64,
}

/// Counts a request by `key` in `scope` against `limit`. Windows are aligned to multiples
/// of the window's length, so every process agrees on which window a request falls in.
pub async fn count(
    pool: &PgPool,
    scope: &str,
    key: &str,
    limit: RateLimit,
) -> Result<Counted, AppError> {
    let window_secs = limit
        .window
        .clamp(Duration::from_secs(1), LONGEST_WINDOW)
        .as_secs_f64();
    let (hits, reset_in): (i32, f64) = sqlx::query_as(
        "INSERT INTO rate_limit_windows AS w (scope, key, window_start, hits)
         VALUES ($1, $2, date_bin(make_interval(secs => $3), now(), TIMESTAMPTZ '2000-01-01 00:00:00+00'), 1)
         ON CONFLICT (scope, key, window_start) DO UPDATE SET hits = w.hits + 1
         RETURNING w.hits, extract(epoch FROM w.window_start + make_interval(secs => $3) - now())::float8",
    )
    .bind(scope)
    .bind(key)
    .bind(window_secs)
    .fetch_one(pool)
    .await?;
    let hits = u32::try_from(hits).unwrap_or(u32::MAX);
    Ok(Counted {
        allowed: hits <= limit.requests,
        remaining: limit.requests.saturating_sub(hits),
        reset_in_secs: reset_in.max(0.0).ceil() as u64,
    })
}

/// The longest window a limit may use; older windows have all ended.
pub const LONGEST_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Forgets windows that have ended (the periodic clean-up).
pub async fn forget_ended(pool: &PgPool) -> Result<u64, AppError> {
    let done = sqlx::query(
        "DELETE FROM rate_limit_windows WHERE window_start < now() - make_interval(secs => $1)",
    )
    .bind(LONGEST_WINDOW.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
