//! Throttling of failed log-ins, per account and per client address, counted in the database
//! so all server processes agree. Only failures count; a success clears the account's.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::error::AppError;

const WINDOW: Duration = Duration::minutes(15);
/// Failures allowed in the window before the next attempt must wait.
const PER_ACCOUNT: i64 = 5;
const PER_ADDRESS: i64 = 20;

fn keys(login: &str, address: Option<IpAddr>) -> Vec<(&'static str, String, i64)> {
    let mut keys = vec![("account", login.trim().to_lowercase(), PER_ACCOUNT)];
    if let Some(address) = address {
        keys.push(("address", address.to_string(), PER_ADDRESS));
    }
    keys
}

/// `Err(RateLimited)` with the seconds until the next attempt is allowed, if either limit is reached.
pub async fn check(pool: &PgPool, login: &str, address: Option<IpAddr>) -> Result<(), AppError> {
    let mut wait: i64 = 0;
    for (scope, key, limit) in keys(login, address) {
        // The limit-th most recent failure in the window: once it ages out, one more try is allowed.
        let oldest_counted: Option<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT failed_at FROM login_failures
              WHERE scope = $1 AND key = $2 AND failed_at > now() - make_interval(secs => $3)
              ORDER BY failed_at DESC OFFSET $4 - 1 LIMIT 1",
        )
        .bind(scope)
        .bind(&key)
        .bind(WINDOW.num_seconds() as f64)
        .bind(limit)
        .fetch_optional(pool)
        .await?;
        if let Some(at) = oldest_counted {
            wait = wait.max((at + WINDOW - Utc::now()).num_seconds() + 1);
        }
    }
    if wait > 0 { Err(AppError::RateLimited { retry_after: wait as u64 }) } else { Ok(()) }
}

/// Counts a failed attempt (and forgets failures older than the window).
pub async fn record_failure(pool: &PgPool, login: &str, address: Option<IpAddr>) -> Result<(), AppError> {
    for (scope, key, _) in keys(login, address) {
        sqlx::query(
            "WITH expired AS (DELETE FROM login_failures
                               WHERE scope = $1 AND key = $2 AND failed_at <= now() - make_interval(secs => $3))
             INSERT INTO login_failures (scope, key) VALUES ($1, $2)",
        )
        .bind(scope)
        .bind(&key)
        .bind(WINDOW.num_seconds() as f64)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Forgets the account's failures after a successful log-in.
pub async fn clear_account(pool: &PgPool, login: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_failures WHERE scope = 'account' AND key = $1")
        .bind(login.trim().to_lowercase())
        .execute(pool)
        .await?;
    Ok(())
}
