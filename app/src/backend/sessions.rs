//! Server-side sessions. The browser holds a random token in an HttpOnly cookie; the
//! database holds its SHA-256, the user and the expiry, so every server process behind a load
//! balancer sees the same sessions, and logging out anywhere takes effect everywhere.

use chrono::{Duration, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::secrets;
use crate::{error::AppError, model::Viewer};

pub const COOKIE_NAME: &str = "ts_session";
/// Sessions last this long after the last visit.
const LIFETIME: Duration = Duration::days(30);
/// The expiry is pushed back at most this often, to spare a write per request.
const REFRESH_AFTER: Duration = Duration::hours(1);

/// Opens a session for `user_id` and returns its token (for the cookie); the user's
/// expired sessions are cleared on the way.
pub async fn start(db: &mut PgConnection, user_id: Uuid) -> Result<String, AppError> {
    let token = secrets::random_token()?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= now()")
        .bind(user_id)
        .execute(&mut *db)
        .await?;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(secrets::hash(&token))
        .bind(user_id)
        .bind(Utc::now() + LIFETIME)
        .execute(&mut *db)
        .await?;
    Ok(token)
}

/// The user a token belongs to, if the session is open; keeps an active session alive.
pub async fn viewer(pool: &PgPool, token: &str) -> Result<Option<Viewer>, AppError> {
    let hash = secrets::hash(token);
    #[derive(sqlx::FromRow)]
    struct Open {
        id: Uuid,
        username: String,
        display_name: Option<String>,
        is_admin: bool,
        last_seen_at: chrono::DateTime<Utc>,
        unread: i64,
    }
    let row: Option<Open> = sqlx::query_as(&format!(
        "SELECT u.id, u.username, u.display_name, u.is_admin, s.last_seen_at, {} AS unread
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = $1 AND s.expires_at > now()",
        super::notifications::unread_count_sql("u.id")
    ))
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    let Some(Open {
        id,
        username,
        display_name,
        is_admin,
        last_seen_at,
        unread,
    }) = row
    else {
        return Ok(None);
    };
    if Utc::now() - last_seen_at > REFRESH_AFTER {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = now(), expires_at = $2 WHERE token_hash = $1",
        )
        .bind(&hash)
        .bind(Utc::now() + LIFETIME)
        .execute(pool)
        .await?;
    }
    Ok(Some(Viewer {
        id,
        username,
        display_name,
        is_admin,
        unread,
    }))
}

/// Ends one session.
pub async fn end(pool: &PgPool, token: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(secrets::hash(token))
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session of a user ("log out everywhere").
pub async fn end_all(pool: &PgPool, user_id: Uuid) -> Result<u64, AppError> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// The `Set-Cookie` value that stores `token`: HttpOnly, SameSite=Lax, Secure over https.
pub fn cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE_NAME}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        LIFETIME.num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn removal_cookie(secure: bool) -> String {
    format!(
        "{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session token in a request's `Cookie` headers, if any.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_lax_and_secure_over_https() {
        let plain = cookie("t0k", false);
        assert_eq!(
            plain,
            "ts_session=t0k; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax"
        );
        assert!(cookie("t0k", true).ends_with("; Secure"));
        assert!(removal_cookie(false).contains("Max-Age=0"));
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let mut headers = http::HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            "theme=dark; ts_session=abc123".parse().unwrap(),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc123"));
        headers.clear();
        headers.append(
            http::header::COOKIE,
            "ts_session=; other=1".parse().unwrap(),
        );
        assert_eq!(token_from_headers(&headers), None);
    }

    #[test]
    fn tokens_are_random_and_stored_only_hashed() {
        let (a, b) = (
            secrets::random_token().unwrap(),
            secrets::random_token().unwrap(),
        );
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes, base64url");
        assert_ne!(secrets::hash(&a), a);
        assert_eq!(secrets::hash(&a), secrets::hash(&a));
    }
}
