//! Writes a client may retry: "stored but answered 500, then sent again" must not store
//! twice. The first request with a key claims it inside its own transaction and records its
//! result there; a repeat with the same key (by the same person, within a day) gets that
//! result instead of doing the work again. A repeat that arrives while the first is still
//! running waits for it (PostgreSQL holds the second insert of the key until the first
//! transaction ends); a first request that fails rolls its claim back, so the key is free.
//!
//! Web forms carry a one-time token (scope `web`); the client API's `Idempotency-Key`
//! header uses scope `api`.

use std::time::Duration;

use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::AppError;

/// How long a key's result is kept.
pub const KEPT_FOR: Duration = Duration::from_secs(24 * 60 * 60);

const MAX_KEY_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A web form's hidden one-time token.
    Web,
    /// The client API's `Idempotency-Key` header.
    Api,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Web => "web",
            Scope::Api => "api",
        }
    }
}

/// A checked key in its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    scope: Scope,
    key: String,
}

impl Key {
    /// `raw` as sent in `field` (named in the error): 1 to 200 printable characters.
    /// Blank means no key.
    pub fn parse(scope: Scope, field: &str, raw: &str) -> Result<Option<Key>, AppError> {
        let key = raw.trim();
        if key.is_empty() {
            return Ok(None);
        }
        if key.chars().count() > MAX_KEY_CHARS || key.chars().any(char::is_control) {
            return Err(AppError::invalid(
                field,
                "must be at most 200 printable characters",
            ));
        }
        Ok(Some(Key {
            scope,
            key: key.to_owned(),
        }))
    }
}

/// Claims `key` for `user` in the transaction `db`. `None`: the key is new (or its earlier
/// use expired); do the work, then [`record`] its result in the same transaction.
/// `Some(result)`: an earlier request with this key did the work; answer with its result.
pub async fn claim(
    db: &mut PgConnection,
    user: Uuid,
    key: &Key,
) -> Result<Option<Value>, AppError> {
    let claimed: Option<Option<Value>> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys AS k (scope, user_id, key) VALUES ($1, $2, $3)
         ON CONFLICT (scope, user_id, key) DO UPDATE SET result = NULL, created_at = now()
           WHERE k.created_at < now() - make_interval(secs => $4)
         RETURNING k.result",
    )
    .bind(key.scope.as_str())
    .bind(user)
    .bind(&key.key)
    .bind(KEPT_FOR.as_secs_f64())
    .fetch_optional(&mut *db)
    .await?;
    if claimed.is_some() {
        return Ok(None);
    }
    let earlier: Option<Value> = sqlx::query_scalar(
        "SELECT result FROM idempotency_keys WHERE scope = $1 AND user_id = $2 AND key = $3",
    )
    .bind(key.scope.as_str())
    .bind(user)
    .bind(&key.key)
    .fetch_one(&mut *db)
    .await?;
    match earlier {
        Some(result) => Ok(Some(result)),
        // Claimed and committed without a result: a caller forgot `record`.
        None => {
            tracing::error!(
                scope = key.scope.as_str(),
                "an idempotency key was committed without its result"
            );
            Err(AppError::Internal)
        }
    }
}

/// Records what the request that claimed `key` made (before its transaction commits).
pub async fn record(
    db: &mut PgConnection,
    user: Uuid,
    key: &Key,
    result: &Value,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE idempotency_keys SET result = $4 WHERE scope = $1 AND user_id = $2 AND key = $3",
    )
    .bind(key.scope.as_str())
    .bind(user)
    .bind(&key.key)
    .bind(result)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Forgets keys older than [`KEPT_FOR`] (the periodic clean-up).
pub async fn forget_expired(pool: &PgPool) -> Result<u64, AppError> {
    let done = sqlx::query(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
    )
    .bind(KEPT_FOR.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::{Key, Scope};

    #[test]
    fn keys_are_checked_and_blank_is_none() {
        assert_eq!(Key::parse(Scope::Web, "token", "  ").unwrap(), None);
        assert!(Key::parse(Scope::Web, "token", "abc-123")
            .unwrap()
            .is_some());
        for bad in ["a\u{0}b".to_owned(), "x".repeat(201)] {
            let error = Key::parse(Scope::Api, "Idempotency-Key", &bad).unwrap_err();
            assert!(
                error.to_string().starts_with("Idempotency-Key: "),
                "{error}"
            );
        }
    }
}
