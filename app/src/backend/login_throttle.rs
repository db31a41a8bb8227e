//! Throttling of log-ins (and of refused sign-ups), counted in the database so all server
//! processes agree.
//!
//! An attempt is *reserved* before the password is checked: in one transaction that holds
//! a lock on each of its keys, the limits are checked and the attempt is recorded. So
//! concurrent guesses cannot all slip past the same check; at most the limit are ever
//! checked. A successful attempt then gives its reservation back; a failed one keeps it, and
//! that is the failure being counted.
//!
//! Log-in limits (`attempt`), so that nobody can lock the owner out from elsewhere:
//! - per account *and* client address: 5 failures free, then a wait from the latest one
//!   that starts at 15 minutes and doubles every further 5 failures (a day's history). This
//!   is what stops a guesser; the owner, at another address, is not affected.
//! - per client address, over all accounts: 20 failures in 15 minutes.
//! - per account, from anywhere: 100 failures in an hour, a ceiling against guessing from
//!   many addresses at once. Reaching it takes many addresses (each is held to 5 free
//!   guesses); it locks the owner out only while such a campaign lasts.

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::error::AppError;

/// The two-key advisory lock space of these locks: the first key (ASCII "thro").
const LOCK_CLASS: i32 = 0x7468_726f;

/// How a key's recorded attempts limit the next one.
#[derive(Debug, Clone, Copy)]
enum Limit {
    /// At most `attempts` in the last `seconds`: the next waits until the oldest counted
    /// one ages out.
    Window { attempts: i64, seconds: i64 },
    /// `free` attempts, then each one waits `base_seconds` after the latest, doubled for
    /// every further `free`; attempts are remembered for `history_seconds`.
    Progressive {
        free: i64,
        base_seconds: i64,
        history_seconds: i64,
    },
}

impl Limit {
    fn history_seconds(self) -> i64 {
        match self {
            Limit::Window { seconds, .. } => seconds,
            Limit::Progressive {
                history_seconds, ..
            } => history_seconds,
        }
    }
}

const MINUTE: i64 = 60;
const PER_ACCOUNT_AND_ADDRESS: Limit = Limit::Progressive {
    free: 5,
    base_seconds: 15 * MINUTE,
    history_seconds: 24 * 60 * MINUTE,
};
const PER_ADDRESS: Limit = Limit::Window {
    attempts: 20,
    seconds: 15 * MINUTE,
};
const PER_ACCOUNT: Limit = Limit::Window {
    attempts: 100,
    seconds: 60 * MINUTE,
};
const SIGN_UPS_PER_ADDRESS: Limit = Limit::Window {
    attempts: 20,
    seconds: 60 * MINUTE,
};

/// One counter: a scope (the table's `scope` column), a key within it and its limit.
#[derive(Debug, Clone)]
struct Counter {
    scope: &'static str,
    key: String,
    limit: Limit,
}

impl Counter {
    fn new(scope: &'static str, key: String, limit: Limit) -> Self {
        Counter { scope, key, limit }
    }

    /// The lock that serializes reservations on this counter (a collision only serializes
    /// two unrelated counters a little).
    fn lock_key(&self) -> i32 {
        let digest = Sha256::digest(format!("{}\n{}", self.scope, self.key).as_bytes());
        i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
    }

    /// Seconds until this counter allows another attempt (0: now).
    async fn wait(&self, db: &mut PgConnection) -> Result<i64, AppError> {
        let wait: Option<i64> = match self.limit {
            Limit::Window { attempts, seconds } => {
                // The attempts-th most recent in the window: once it ages out, one more is allowed.
                sqlx::query_scalar(
                    "SELECT ceil(extract(epoch FROM attempted_at + make_interval(secs => $3) - now()))::bigint
                       FROM (SELECT failed_at AS attempted_at FROM login_failures
                              WHERE scope = $1 AND key = $2 AND failed_at > now() - make_interval(secs => $3)
                              ORDER BY failed_at DESC OFFSET $4 - 1 LIMIT 1) AS counted",
                )
                .bind(self.scope)
                .bind(&self.key)
                .bind(seconds as f64)
                .bind(attempts)
                .fetch_optional(&mut *db)
                .await?
            }
            Limit::Progressive {
                free,
                base_seconds,
                history_seconds,
            } => {
                let (count, since_latest): (i64, Option<f64>) = sqlx::query_as(
                    "SELECT count(*), extract(epoch FROM now() - max(failed_at))::float8 FROM login_failures
                      WHERE scope = $1 AND key = $2 AND failed_at > now() - make_interval(secs => $3)",
                )
                .bind(self.scope)
                .bind(&self.key)
                .bind(history_seconds as f64)
                .fetch_one(&mut *db)
                .await?;
                match (count >= free, since_latest) {
                    (true, Some(since_latest)) => {
                        let doublings = ((count - free) / free).min(16) as u32;
                        let delay = (base_seconds << doublings).min(history_seconds);
                        Some((delay as f64 - since_latest).ceil() as i64)
                    }
                    _ => None,
                }
            }
        };
        Ok(wait.unwrap_or(0).max(0))
    }
}

/// Attempts recorded ahead of their outcome. Kept (dropped without [`Self::release`]), they
/// count as failures.
#[derive(Debug)]
#[must_use = "a reservation counts as a failure unless released"]
pub struct Reservation {
    ids: Vec<i64>,
    /// The per-account-and-address counter, forgotten after a success.
    clears: Option<(&'static str, String)>,
}

impl Reservation {
    /// The attempt succeeded: it no longer counts (nor do earlier failures of the same
    /// account from the same address).
    pub async fn release(self, pool: &PgPool) -> Result<(), AppError> {
        sqlx::query("DELETE FROM login_failures WHERE id = ANY($1)")
            .bind(&self.ids)
            .execute(pool)
            .await?;
        if let Some((scope, key)) = &self.clears {
            sqlx::query("DELETE FROM login_failures WHERE scope = $1 AND key = $2")
                .bind(scope)
                .bind(key)
                .execute(pool)
                .await?;
        }
        Ok(())
    }
}

/// The counters a log-in to `account` (its id, or the lower-cased login when there is no
/// such account) from `address` goes against.
fn log_in_counters(account: &str, address: Option<IpAddr>) -> Vec<Counter> {
    let account = account.trim().to_lowercase();
    // Without a known address, all such attempts on an account share one counter.
    let from = address.map_or_else(|| "unknown".to_owned(), |address| address.to_string());
    let mut counters = vec![
        Counter::new(
            "account_address",
            format!("{account} {from}"),
            PER_ACCOUNT_AND_ADDRESS,
        ),
        Counter::new("account", account, PER_ACCOUNT),
    ];
    if let Some(address) = address {
        counters.push(Counter::new("address", address.to_string(), PER_ADDRESS));
    }
    counters
}

/// Reserves a log-in attempt on `account` from `address`, or `Err(RateLimited)` with the
/// seconds until one is allowed.
pub async fn attempt(
    pool: &PgPool,
    account: &str,
    address: Option<IpAddr>,
) -> Result<Reservation, AppError> {
    let counters = log_in_counters(account, address);
    let clears = Some((counters[0].scope, counters[0].key.clone()));
    let ids = reserve(pool, &counters).await?;
    Ok(Reservation { ids, clears })
}

/// Reserves a sign-up from `address` (nothing to count without one). Refused sign-ups keep
/// their reservation: each one may be a probe for which emails have accounts.
pub async fn reserve_sign_up(
    pool: &PgPool,
    address: Option<IpAddr>,
) -> Result<Reservation, AppError> {
    let ids = match address {
        Some(address) => {
            reserve(
                pool,
                &[Counter::new(
                    "signup",
                    address.to_string(),
                    SIGN_UPS_PER_ADDRESS,
                )],
            )
            .await?
        }
        None => Vec::new(),
    };
    Ok(Reservation { ids, clears: None })
}

/// Checks every counter and records one attempt on each, atomically: the counters' locks
/// are held from the check to the insert, taken in one order so that two reservations
/// sharing counters cannot deadlock.
async fn reserve(pool: &PgPool, counters: &[Counter]) -> Result<Vec<i64>, AppError> {
    let mut transaction = pool.begin().await?;
    let mut locks: Vec<i32> = counters.iter().map(Counter::lock_key).collect();
    locks.sort_unstable();
    locks.dedup();
    for lock in locks {
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(LOCK_CLASS)
            .bind(lock)
            .execute(&mut *transaction)
            .await?;
    }
    let mut wait = 0;
    for counter in counters {
        wait = wait.max(counter.wait(&mut transaction).await?);
    }
    if wait > 0 {
        transaction.rollback().await?;
        return Err(AppError::RateLimited {
            retry_after: wait as u64,
        });
    }
    let mut ids = Vec::with_capacity(counters.len());
    for counter in counters {
        // Attempts older than the counter's memory are forgotten on the way.
        let id: i64 = sqlx::query_scalar(
            "WITH expired AS (DELETE FROM login_failures
                               WHERE scope = $1 AND key = $2 AND failed_at <= now() - make_interval(secs => $3))
             INSERT INTO login_failures (scope, key) VALUES ($1, $2) RETURNING id",
        )
        .bind(counter.scope)
        .bind(&counter.key)
        .bind(counter.limit.history_seconds() as f64)
        .fetch_one(&mut *transaction)
        .await?;
        ids.push(id);
    }
    transaction.commit().await?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ins_count_per_account_and_address_per_address_and_per_account() {
        let address: IpAddr = "203.0.113.7".parse().unwrap();
        let counters = log_in_counters(" Ana ", Some(address));
        let keys: Vec<(&str, &str)> = counters.iter().map(|c| (c.scope, c.key.as_str())).collect();
        assert_eq!(
            keys,
            [
                ("account_address", "ana 203.0.113.7"),
                ("account", "ana"),
                ("address", "203.0.113.7")
            ]
        );
        let unknown = log_in_counters("ana", None);
        assert_eq!(
            unknown.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            ["ana unknown", "ana"]
        );
    }

    #[test]
    fn the_per_account_ceiling_is_far_above_what_one_address_may_try() {
        let (
            Limit::Window {
                attempts: ceiling,
                seconds: ceiling_window,
            },
            Limit::Progressive { free, .. },
        ) = (PER_ACCOUNT, PER_ACCOUNT_AND_ADDRESS)
        else {
            panic!("the limits changed shape");
        };
        assert!(ceiling >= 10 * free && ceiling_window >= 15 * MINUTE);
    }
}
