//! Conversations (Mastodon's direct-message threads): the private thoughts a person wrote
//! or is mentioned in, grouped by the thread they belong to (named by its first thought),
//! newest first. Each participant has their own read state, and may hide a conversation
//! from their list until a newer message arrives in it.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::{mutes::thread_root, visibility::visible_to};
use crate::error::AppError;

/// One conversation as `user` sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Conversation {
    /// The first thought of the thread (the conversation's id).
    pub root: Uuid,
    /// The newest private thought in it that the person takes part in.
    pub last_thought: Uuid,
    pub last_at: DateTime<Utc>,
    /// Someone else wrote in it since the person last read it (or wrote in it themselves).
    pub unread: bool,
    /// The others in it: authors and people mentioned.
    pub participants: Vec<Uuid>,
}

/// SQL selecting `$1`'s conversations (optionally only `$2`'s root), before the hidden ones
/// are left out: `root, last_thought, last_at, unread, participants, hidden_at`.
fn conversations_sql() -> String {
    format!(
        "WITH mine AS (
             SELECT t.id, t.created_at, t.user_id, {root} AS root
               FROM thoughts t
              WHERE t.visibility = 'private' AND {visible}
                AND (t.user_id = $1
                     OR EXISTS (SELECT 1 FROM thought_mentions cm WHERE cm.thought_id = t.id AND cm.user_id = $1))),
         latest AS (
             SELECT DISTINCT ON (root) root, id AS last_thought, created_at AS last_at
               FROM mine WHERE $2::uuid IS NULL OR root = $2
              ORDER BY root, created_at DESC, id DESC)
         SELECT l.root, l.last_thought, l.last_at,
                EXISTS (SELECT 1 FROM mine m WHERE m.root = l.root AND m.user_id <> $1
                                               AND m.created_at > greatest(s.read_at, '-infinity',
                                                       (SELECT max(own.created_at) FROM mine own
                                                         WHERE own.root = l.root AND own.user_id = $1))) AS unread,
                ARRAY(SELECT DISTINCT p.person
                        FROM mine m,
                             LATERAL (SELECT m.user_id AS person
                                      UNION SELECT tm.user_id FROM thought_mentions tm WHERE tm.thought_id = m.id) p
                       WHERE m.root = l.root AND p.person <> $1) AS participants,
                s.hidden_at
           FROM latest l LEFT JOIN conversation_states s ON s.user_id = $1 AND s.root_id = l.root",
        root = thread_root("t.id"),
        visible = visible_to("t", "$1::uuid"),
    )
}

/// `user`'s conversations, newest first, older than the thought `before` if given.
pub async fn list(
    pool: &PgPool,
    user: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Conversation>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT root, last_thought, last_at, unread, participants FROM ({}) c
          WHERE (c.hidden_at IS NULL OR c.last_at > c.hidden_at)
            AND ($3::uuid IS NULL
                 OR (c.last_at, c.last_thought) < (SELECT created_at, id FROM thoughts WHERE id = $3))
          ORDER BY c.last_at DESC, c.last_thought DESC LIMIT $4",
        conversations_sql()
    ))
    .bind(user)
    .bind(None::<Uuid>)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// One of `user`'s conversations (hidden or not); `NotFound` when they take no part in it.
pub async fn one(pool: &PgPool, user: Uuid, root: Uuid) -> Result<Conversation, AppError> {
    sqlx::query_as(&format!(
        "SELECT root, last_thought, last_at, unread, participants FROM ({}) c",
        conversations_sql()
    ))
    .bind(user)
    .bind(root)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// `user` has read the conversation `root` up to now.
pub async fn mark_read(pool: &PgPool, user: Uuid, root: Uuid) -> Result<Conversation, AppError> {
    one(pool, user, root).await?;
    sqlx::query(
        "INSERT INTO conversation_states (user_id, root_id, read_at) VALUES ($1, $2, now())
         ON CONFLICT (user_id, root_id) DO UPDATE SET read_at = now()",
    )
    .bind(user)
    .bind(root)
    .execute(pool)
    .await?;
    one(pool, user, root).await
}

/// `user` removes the conversation `root` from their list (it comes back with a newer message).
pub async fn hide(pool: &PgPool, user: Uuid, root: Uuid) -> Result<(), AppError> {
    one(pool, user, root).await?;
    sqlx::query(
        "INSERT INTO conversation_states (user_id, root_id, read_at, hidden_at) VALUES ($1, $2, now(), now())
         ON CONFLICT (user_id, root_id) DO UPDATE SET hidden_at = now(), read_at = now()",
    )
    .bind(user)
    .bind(root)
    .execute(pool)
    .await?;
    Ok(())
}
