//! Blocking: it ends follows both ways and Top Friend places, and from then on neither side
//! can follow, reply to, like, boost or mention the other, nor see the other's thoughts
//! (the visibility rules check blocks). Unblocking restores nothing by itself.

use sqlx::PgPool;
use uuid::Uuid;

use super::accounts::local_user_id;
use crate::error::AppError;

pub async fn block(pool: &PgPool, blocker: Uuid, username: &str) -> Result<(), AppError> {
    let blocked = local_user_id(pool, username).await?;
    if blocked == blocker {
        return Err(AppError::invalid("username", "you cannot block yourself"));
    }
    block_ids(pool, blocker, blocked, None).await
}

/// `blocker` blocks `blocked` (a remote Block carries its activity id, for its Undo).
pub async fn block_ids(pool: &PgPool, blocker: Uuid, blocked: Uuid, ap_id: Option<&str>) -> Result<(), AppError> {
    let mut transaction = pool.begin().await?;
    sqlx::query("INSERT INTO blocks (blocker_id, blocked_id, ap_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(blocker)
        .bind(blocked)
        .bind(ap_id)
        .execute(&mut *transaction)
        .await?;
    for (table, a, b) in [("follows", "follower_id", "following_id"), ("top_friends", "user_id", "friend_id")] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE ({a} = $1 AND {b} = $2) OR ({a} = $2 AND {b} = $1)"
        ))
        .bind(blocker)
        .bind(blocked)
        .execute(&mut *transaction)
        .await?;
    }
    sqlx::query("DELETE FROM notifications WHERE user_id = $1 AND actor_id = $2")
        .bind(blocker)
        .bind(blocked)
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(())
}

pub async fn unblock(pool: &PgPool, blocker: Uuid, username: &str) -> Result<(), AppError> {
    let blocked = local_user_id(pool, username).await?;
    sqlx::query("DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2")
        .bind(blocker)
        .bind(blocked)
        .execute(pool)
        .await?;
    Ok(())
}

/// A remote person's Undo of their Block (named by its id, or by its target).
pub async fn unblock_from_remote(pool: &PgPool, blocker: Uuid, block_ap_id: &str, target: Option<Uuid>) -> Result<(), AppError> {
    sqlx::query("DELETE FROM blocks WHERE blocker_id = $1 AND (ap_id = $2 OR blocked_id = $3)")
        .bind(blocker)
        .bind(block_ap_id)
        .bind(target)
        .execute(pool)
        .await?;
    Ok(())
}
