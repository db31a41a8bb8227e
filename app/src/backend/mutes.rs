//! Muting, as on Mastodon: a muted person's thoughts and boosts leave the muter's
//! timelines (home, public, tags, lists) but stay reachable by their link and on their
//! profile; with "hide notifications", what they do no longer notifies. A mute may last for
//! a while: it ends by itself at `expires_at` (every rule compares with now()). A muted
//! conversation (a thread, named by its first thought) notifies of nothing in it.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::{accounts::person_id, timeline};
use crate::error::AppError;

/// SQL: `muter` has a mute of `muted` in force now (`also` adds a condition on the mute
/// row `vm`, e.g. that it hides notifications).
fn in_force(muter: &str, muted: &str, also: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM mutes vm
                  WHERE vm.muter_id = {muter} AND vm.muted_id = {muted}
                    AND (vm.expires_at IS NULL OR vm.expires_at > now()) {also})"
    )
}

/// SQL: `viewer` mutes `user` now (false for a NULL viewer).
pub fn muted(viewer: &str, user: &str) -> String {
    format!("coalesce({}, false)", in_force(viewer, user, ""))
}

/// SQL: `recipient` mutes `actor` now with "hide notifications".
pub fn hides_notifications(recipient: &str, actor: &str) -> String {
    in_force(recipient, actor, "AND vm.hide_notifications")
}

/// How long a mute lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuteOptions {
    pub hide_notifications: bool,
    /// Seconds from now; `None` (or Mastodon's 0) for as long as it is not lifted.
    pub duration: Option<i64>,
}

impl Default for MuteOptions {
    fn default() -> Self {
        MuteOptions {
            hide_notifications: true,
            duration: None,
        }
    }
}

/// The longest timed mute (Mastodon's largest choice is weeks; a year is plenty).
const MAX_DURATION_SECONDS: i64 = 366 * 24 * 3600;

/// `muter` mutes `username` (local or a known remote person). Muting again replaces the
/// options (and restarts the duration).
pub async fn mute(
    pool: &PgPool,
    muter: Uuid,
    username: &str,
    options: MuteOptions,
) -> Result<(), AppError> {
    let (muted, _) = person_id(pool, username).await?;
    if muted == muter {
        return Err(AppError::invalid("username", "you cannot mute yourself"));
    }
    let duration = match options.duration {
        None | Some(0) => None,
        Some(seconds) if (1..=MAX_DURATION_SECONDS).contains(&seconds) => Some(seconds),
        Some(_) => {
            return Err(AppError::invalid(
                "duration",
                "must be between 0 (no end) and a year, in seconds",
            ))
        }
    };
    sqlx::query(
        "INSERT INTO mutes (muter_id, muted_id, hide_notifications, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::bigint))
         ON CONFLICT (muter_id, muted_id) DO UPDATE
            SET hide_notifications = EXCLUDED.hide_notifications, expires_at = EXCLUDED.expires_at,
                created_at = now()",
    )
    .bind(muter)
    .bind(muted)
    .bind(options.hide_notifications)
    .bind(duration)
    .execute(pool)
    .await?;
    Ok(())
}

/// `muter` lifts their mute of `username` (nothing happens if there was none).
pub async fn unmute(pool: &PgPool, muter: Uuid, username: &str) -> Result<(), AppError> {
    let (muted, _) = person_id(pool, username).await?;
    sqlx::query("DELETE FROM mutes WHERE muter_id = $1 AND muted_id = $2")
        .bind(muter)
        .bind(muted)
        .execute(pool)
        .await?;
    Ok(())
}

/// A mute in force.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mute {
    pub muted_id: Uuid,
    pub username: String,
    pub display_name: Option<String>,
    pub hide_notifications: bool,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The mutes of `muter` in force, newest first (expired ones are removed on the way).
pub async fn list(pool: &PgPool, muter: Uuid, limit: i64) -> Result<Vec<Mute>, AppError> {
    sqlx::query("DELETE FROM mutes WHERE muter_id = $1 AND expires_at <= now()")
        .bind(muter)
        .execute(pool)
        .await?;
    Ok(sqlx::query_as(
        "SELECT m.muted_id, u.username, u.display_name, m.hide_notifications, m.expires_at
           FROM mutes m JOIN users u ON u.id = m.muted_id
          WHERE m.muter_id = $1 AND (m.expires_at IS NULL OR m.expires_at > now())
          ORDER BY m.created_at DESC, m.muted_id LIMIT $2",
    )
    .bind(muter)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// `muter`'s mute of `target` in force now, if any.
pub async fn of(pool: &PgPool, muter: Uuid, target: Uuid) -> Result<Option<Mute>, AppError> {
    Ok(sqlx::query_as(
        "SELECT m.muted_id, u.username, u.display_name, m.hide_notifications, m.expires_at
           FROM mutes m JOIN users u ON u.id = m.muted_id
          WHERE m.muter_id = $1 AND m.muted_id = $2 AND (m.expires_at IS NULL OR m.expires_at > now())",
    )
    .bind(muter)
    .bind(target)
    .fetch_optional(pool)
    .await?)
}

/// SQL: the first thought of the thread holding thought `thought` (an expression).
pub fn thread_root(thought: &str) -> String {
    format!(
        "(WITH RECURSIVE up(id, reply_to, depth) AS (
              SELECT rt.id, rt.reply_to, 0 FROM thoughts rt WHERE rt.id = {thought}
              UNION ALL
              SELECT p.id, p.reply_to, up.depth + 1 FROM up JOIN thoughts p ON p.id = up.reply_to
               WHERE up.depth < 100)
          SELECT id FROM up ORDER BY depth DESC LIMIT 1)"
    )
}

/// SQL: `user` muted the conversation that thought `thought` belongs to.
pub fn thread_muted(user: &str, thought: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM thread_mutes tm WHERE tm.user_id = {user} AND tm.root_id = {})",
        thread_root(thought)
    )
}

/// `user` mutes (`on`) or unmutes the conversation of `thought`, which they must be able to see.
pub async fn set_thread_mute(
    pool: &PgPool,
    user: Uuid,
    thought: Uuid,
    on: bool,
) -> Result<(), AppError> {
    timeline::one(pool, Some(user), thought).await?;
    let query = if on {
        format!(
            "INSERT INTO thread_mutes (user_id, root_id) SELECT $1, {} ON CONFLICT DO NOTHING",
            thread_root("$2::uuid")
        )
    } else {
        format!(
            "DELETE FROM thread_mutes WHERE user_id = $1 AND root_id = {}",
            thread_root("$2::uuid")
        )
    };
    sqlx::query(&query)
        .bind(user)
        .bind(thought)
        .execute(pool)
        .await?;
    Ok(())
}

/// Which of `thoughts` are in conversations `user` muted.
pub async fn muted_threads(
    pool: &PgPool,
    user: Uuid,
    thoughts: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT t.id FROM unnest($2::uuid[]) t(id) WHERE {}",
        thread_muted("$1::uuid", "t.id")
    ))
    .bind(user)
    .bind(thoughts)
    .fetch_all(pool)
    .await?)
}
