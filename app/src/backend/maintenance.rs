//! Periodic clean-up of state that only matters for a while: ended rate-limit windows and
//! expired idempotency keys. Every server process runs it; the deletes are idempotent.

use std::time::Duration;

use sqlx::PgPool;

use super::{idempotency, rate_limits, Backend};

/// How often the clean-up runs (a failed round is simply tried again next time).
const EVERY: Duration = Duration::from_secs(5 * 60);

/// Runs [`tidy`] every few minutes, for as long as the server runs.
pub async fn run(backend: Backend) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        tidy(&backend.pool).await;
    }
}

/// One round of clean-up; failures are logged, not fatal.
pub async fn tidy(pool: &PgPool) {
    match rate_limits::forget_ended(pool).await {
        Ok(0) => {}
        Ok(rows) => tracing::debug!(rows, "forgot ended rate-limit windows"),
        Err(error) => tracing::warn!(%error, "cannot forget ended rate-limit windows"),
    }
    match idempotency::forget_expired(pool).await {
        Ok(0) => {}
        Ok(rows) => tracing::debug!(rows, "forgot expired idempotency keys"),
        Err(error) => tracing::warn!(%error, "cannot forget expired idempotency keys"),
    }
}
