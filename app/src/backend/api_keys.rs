//! API keys: programmatic access to someone's account through the client API. A key is 256
//! random bits behind a recognizable prefix, shown once; only its hash is stored. Keys made
//! in settings or by the operator CLI, and tokens that apps obtain through OAuth, are all
//! API keys (the latter named after their app), listed and revoked in one place.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::secrets;
use crate::{error::AppError, model::ApiKeyView};

/// Every key starts with this, so a leaked one is recognizable (and scanners can find it).
pub const PREFIX: &str = "tsk_";
pub const MAX_NAME_CHARS: usize = 50;
/// What a key may do when nobody narrowed it.
pub const ALL_SCOPES: &str = "read write follow push";
/// `last_used_at` is written at most this often per key.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// Scopes as Mastodon defines them: `read`, `write`, `follow`, `push`, and the granular
/// `read:statuses`, `write:follows`, … that a top-level scope includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let scopes: Vec<String> = raw
            .split([' ', '+', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if scopes.is_empty() {
            return Ok(Scopes::read_only());
        }
        for scope in &scopes {
            let top = scope.split(':').next().unwrap_or_default();
            if !matches!(
                top,
                "read" | "write" | "follow" | "push" | "admin" | "profile"
            ) {
                return Err(AppError::invalid(
                    "scope",
                    format!("{scope} is not a scope"),
                ));
            }
        }
        Ok(Scopes(scopes))
    }

    /// Mastodon's default when an app asks for nothing in particular.
    pub fn read_only() -> Self {
        Scopes(vec!["read".into()])
    }

    /// Whether these scopes grant `needed` (`read`, `write:statuses`, …). The legacy
    /// `follow` scope grants what `write:follows`, `write:blocks` and `write:mutes` do, and
    /// reading them.
    pub fn allow(&self, needed: &str) -> bool {
        let top = needed.split(':').next().unwrap_or(needed);
        self.0.iter().any(|scope| {
            scope == needed
                || scope == top
                || (scope == "follow"
                    && matches!(
                        needed,
                        "write:follows"
                            | "write:blocks"
                            | "write:mutes"
                            | "read:follows"
                            | "read:blocks"
                            | "read:mutes"
                    ))
        })
    }

    /// Whether every scope in `other` is also here (an app may ask no more than it registered).
    pub fn cover(&self, other: &Scopes) -> bool {
        other.0.iter().all(|scope| self.allow(scope))
    }

    pub fn as_string(&self) -> String {
        self.0.join(" ")
    }
}

/// Who is calling with a key.
#[derive(Debug, Clone)]
pub struct Caller {
    /// None for an app's own token (it acts for no one).
    pub user_id: Option<Uuid>,
    pub app_id: Option<Uuid>,
    pub key_id: Uuid,
    pub scopes: Scopes,
}

/// Makes a key for `user` (None: an app's own token); returns it as listed and the secret,
/// to show once.
pub async fn create(
    pool: &PgPool,
    user: Option<Uuid>,
    name: &str,
    scopes: &Scopes,
    app: Option<Uuid>,
) -> Result<(ApiKeyView, String), AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            "give the key a name, to recognize it later",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            "name",
            format!("use at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if crate::text::has_forbidden_controls(name, false) {
        return Err(AppError::invalid("name", "remove the control characters"));
    }
    let secret = format!("{PREFIX}{}", secrets::random_token()?);
    let key: ApiKeyView = sqlx::query_as(
        "WITH key AS (INSERT INTO api_keys (user_id, key_hash, name, scopes, app_id) VALUES ($1, $2, $3, $4, $5)
                      RETURNING id, name, scopes, created_at, last_used_at, app_id)
         SELECT key.id, key.name, key.scopes, key.created_at, key.last_used_at, a.name AS app_name
           FROM key LEFT JOIN oauth_apps a ON a.id = key.app_id",
    )
    .bind(user)
    .bind(secrets::hash(&secret))
    .bind(name)
    .bind(scopes.as_string())
    .bind(app)
    .fetch_one(pool)
    .await?;
    Ok((key, secret))
}

/// `user`'s keys, newest first.
pub async fn list(pool: &PgPool, user: Uuid) -> Result<Vec<ApiKeyView>, AppError> {
    Ok(sqlx::query_as(
        "SELECT k.id, k.name, k.scopes, k.created_at, k.last_used_at, a.name AS app_name
           FROM api_keys k LEFT JOIN oauth_apps a ON a.id = k.app_id
          WHERE k.user_id = $1 ORDER BY k.created_at DESC",
    )
    .bind(user)
    .fetch_all(pool)
    .await?)
}

/// Revokes one of `user`'s keys; someone else's key is `NotFound`.
pub async fn revoke(pool: &PgPool, user: Uuid, id: Uuid) -> Result<(), AppError> {
    let deleted = sqlx::query("DELETE FROM api_keys WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .execute(pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Revokes the token `secret` that `app` obtained (OAuth's revoke); others change nothing.
pub async fn revoke_app_token(pool: &PgPool, app: Uuid, secret: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM api_keys WHERE key_hash = $1 AND app_id = $2")
        .bind(secrets::hash(secret))
        .bind(app)
        .execute(pool)
        .await?;
    Ok(())
}

/// The caller a secret stands for, if it is a live key; records its use.
pub async fn authenticate(pool: &PgPool, secret: &str) -> Result<Option<Caller>, AppError> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Key {
        id: Uuid,
        user_id: Option<Uuid>,
        app_id: Option<Uuid>,
        scopes: String,
        last_used_at: Option<DateTime<Utc>>,
    }
    let found: Option<Key> = sqlx::query_as(
        "SELECT id, user_id, app_id, scopes, last_used_at FROM api_keys WHERE key_hash = $1",
    )
    .bind(secrets::hash(secret))
    .fetch_optional(pool)
    .await?;
    let Some(Key {
        id: key_id,
        user_id,
        app_id,
        scopes,
        last_used_at,
    }) = found
    else {
        return Ok(None);
    };
    if last_used_at.is_none_or(|at| (Utc::now() - at).num_seconds() >= TOUCH_EVERY_SECONDS) {
        sqlx::query("UPDATE api_keys SET last_used_at = now() WHERE id = $1")
            .bind(key_id)
            .execute(pool)
            .await?;
    }
    Ok(Some(Caller {
        user_id,
        app_id,
        key_id,
        scopes: Scopes::parse(&scopes)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_include_their_granular_parts() {
        let all = Scopes::parse(ALL_SCOPES).unwrap();
        assert!(all.allow("read:statuses") && all.allow("write") && all.allow("write:follows"));
        let read = Scopes::parse("read").unwrap();
        assert!(read.allow("read:notifications") && !read.allow("write:statuses"));
        let granular = Scopes::parse("read:statuses write:favourites").unwrap();
        assert!(
            granular.allow("read:statuses")
                && !granular.allow("read:accounts")
                && !granular.allow("write")
        );
        assert!(Scopes::parse("follow").unwrap().allow("write:follows"));
        assert!(all.cover(&granular) && !read.cover(&all));
        assert_eq!(
            Scopes::parse("read+write").unwrap().as_string(),
            "read write"
        );
        assert!(Scopes::parse("read delete:everything")
            .unwrap_err()
            .field_message("scope")
            .is_some());
    }
}
