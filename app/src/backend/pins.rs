//! Pins: a person keeps up to five of their own public or unlisted thoughts at the top of
//! their profile, as Mastodon's pinned statuses (the client API's `pinned=true` on profile
//! statuses lists them: `timeline::ProfileFilter::pinned`). A pinned thought that is
//! deleted leaves the list and frees its place. Other servers read them as the actor's
//! `featured` collection (`federation::documents`), and the author's followers' servers hear
//! of each pin and unpin as `Add`/`Remove` targeting it, as Mastodon's do.

use std::collections::HashSet;

use sqlx::PgPool;
use uuid::Uuid;

use super::{
    federation::{outbox, urls::Urls, vocab},
    timeline, Backend,
};
use crate::error::AppError;

/// How many thoughts one person may pin (Mastodon's limit).
pub const MAX_PINNED: i64 = 5;

/// `user` pins their thought `id` (`on`) or unpins it; either twice changes nothing. A
/// thought the user may not see is `NotFound`, as if it did not exist; someone else's, one
/// for followers or mentioned people only, or one more than [`MAX_PINNED`] is refused.
pub async fn set(backend: &Backend, user: Uuid, id: Uuid, on: bool) -> Result<(), AppError> {
    let pool = &backend.pool;
    let thought = timeline::one(pool, Some(user), id).await?;
    if !on {
        let mut transaction = pool.begin().await?;
        let unpinned = sqlx::query("DELETE FROM pins WHERE user_id = $1 AND thought_id = $2")
            .bind(user)
            .bind(id)
            .execute(&mut *transaction)
            .await?
            .rows_affected()
            > 0;
        if unpinned {
            announce(&mut transaction, backend, user, id, "Remove").await?;
        }
        transaction.commit().await?;
        return Ok(());
    }
    if thought.author_id != user {
        return Err(AppError::invalid(
            "status",
            "cannot be pinned: only your own thoughts can",
        ));
    }
    if !matches!(thought.visibility.as_str(), "public" | "unlisted") {
        return Err(AppError::invalid(
            "status",
            "cannot be pinned: only public and unlisted thoughts can",
        ));
    }
    let mut transaction = pool.begin().await?;
    // One pin at a time per person, so that two at once cannot both take the last place.
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(user)
        .execute(&mut *transaction)
        .await?;
    let (pinned, count): (bool, i64) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM pins WHERE thought_id = $2),
                (SELECT count(*) FROM pins p JOIN thoughts t ON t.id = p.thought_id
                  WHERE p.user_id = $1 AND t.deleted_at IS NULL)",
    )
    .bind(user)
    .bind(id)
    .fetch_one(&mut *transaction)
    .await?;
    if pinned {
        return Ok(());
    }
    if count >= MAX_PINNED {
        return Err(AppError::invalid(
            "status",
            format!(
                "cannot be pinned: you can pin at most {MAX_PINNED} thoughts (unpin one first)"
            ),
        ));
    }
    sqlx::query("INSERT INTO pins (thought_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(user)
        .execute(&mut *transaction)
        .await?;
    announce(&mut transaction, backend, user, id, "Add").await?;
    transaction.commit().await?;
    Ok(())
}

/// Queues `Add` or `Remove` (`kind`) of `user`'s thought `id` to their `featured`
/// collection for their remote followers.
async fn announce(
    db: &mut sqlx::PgConnection,
    backend: &Backend,
    user: Uuid,
    id: Uuid,
    kind: &str,
) -> Result<(), AppError> {
    let inboxes = outbox::follower_inboxes(db, user).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&mut *db)
        .await?;
    let urls = Urls::new(&backend.public_url);
    let activity = vocab::featured_change(
        kind,
        &urls.new_activity(),
        &urls.actor(&username),
        &urls.note(&username, id),
        &urls.featured(&username),
    );
    outbox::enqueue(db, Some(user), &activity, inboxes).await
}

/// Which of the thoughts `ids` are pinned (by their authors).
pub async fn pinned_among(pool: &PgPool, ids: &[Uuid]) -> Result<HashSet<Uuid>, AppError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let pinned: Vec<Uuid> =
        sqlx::query_scalar("SELECT thought_id FROM pins WHERE thought_id = ANY($1)")
            .bind(ids)
            .fetch_all(pool)
            .await?;
    Ok(pinned.into_iter().collect())
}
