//! Blocking: it ends follows both ways and Top Friend places, and from then on neither side
//! can follow, reply to, like, boost or mention the other, nor see the other's thoughts
//! (the visibility rules check blocks). Unblocking restores nothing by itself.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    accounts::person_id,
    federation::{outbox, urls::Urls},
    Backend,
};
use crate::error::AppError;

/// `blocker` blocks `username` (local, or a known remote `name@domain`, whose server hears
/// of it as a Block).
pub async fn block(backend: &Backend, blocker: Uuid, username: &str) -> Result<(), AppError> {
    let (blocked, remote) = person_id(&backend.pool, username).await?;
    if blocked == blocker {
        return Err(AppError::invalid("username", "you cannot block yourself"));
    }
    let mut transaction = backend.pool.begin().await?;
    let already: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2)",
    )
    .bind(blocker)
    .bind(blocked)
    .fetch_one(&mut *transaction)
    .await?;
    if already {
        return Ok(());
    }
    let urls = Urls::new(&backend.public_url);
    let block_id = remote.then(|| urls.new_activity());
    record(&mut transaction, blocker, blocked, block_id.as_deref()).await?;
    if let Some(block_id) = block_id {
        outbox::block_with_id(&mut transaction, urls, blocker, blocked, &block_id).await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// `blocker` blocks `blocked` (a remote Block carries its activity id, for its Undo).
pub async fn block_ids(
    pool: &PgPool,
    blocker: Uuid,
    blocked: Uuid,
    ap_id: Option<&str>,
) -> Result<(), AppError> {
    let mut transaction = pool.begin().await?;
    record(&mut transaction, blocker, blocked, ap_id).await?;
    transaction.commit().await?;
    Ok(())
}

/// The block, and what it ends: follows both ways, Top Friend places, notifications.
async fn record(
    db: &mut PgConnection,
    blocker: Uuid,
    blocked: Uuid,
    ap_id: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO blocks (blocker_id, blocked_id, ap_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(blocker)
        .bind(blocked)
        .bind(ap_id)
        .execute(&mut *db)
        .await?;
    for (table, a, b) in [
        ("follows", "follower_id", "following_id"),
        ("top_friends", "user_id", "friend_id"),
    ] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE ({a} = $1 AND {b} = $2) OR ({a} = $2 AND {b} = $1)"
        ))
        .bind(blocker)
        .bind(blocked)
        .execute(&mut *db)
        .await?;
    }
    sqlx::query("DELETE FROM notifications WHERE user_id = $1 AND actor_id = $2")
        .bind(blocker)
        .bind(blocked)
        .execute(&mut *db)
        .await?;
    Ok(())
}

pub async fn unblock(backend: &Backend, blocker: Uuid, username: &str) -> Result<(), AppError> {
    let (blocked, remote) = person_id(&backend.pool, username).await?;
    let mut transaction = backend.pool.begin().await?;
    let removed: Option<Option<String>> = sqlx::query_scalar(
        "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING ap_id",
    )
    .bind(blocker)
    .bind(blocked)
    .fetch_optional(&mut *transaction)
    .await?;
    if let (Some(block_id), true) = (removed, remote) {
        outbox::unblock(
            &mut transaction,
            Urls::new(&backend.public_url),
            blocker,
            blocked,
            block_id,
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// A remote person's Undo of their Block (named by its id, or by its target).
pub async fn unblock_from_remote(
    pool: &PgPool,
    blocker: Uuid,
    block_ap_id: &str,
    target: Option<Uuid>,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM blocks WHERE blocker_id = $1 AND (ap_id = $2 OR blocked_id = $3)")
        .bind(blocker)
        .bind(block_ap_id)
        .bind(target)
        .execute(pool)
        .await?;
    Ok(())
}

/// Whom `user` blocks, as ids, newest first.
pub async fn blocked_by(pool: &PgPool, user: Uuid, limit: i64) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY created_at DESC LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
