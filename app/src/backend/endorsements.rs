//! Endorsements (Mastodon's featured profiles, "endorse"/"pin" of an account) are the Top
//! Friends: the client API reads and changes the same five ordered people the profile shows
//! and federation serves as a featured collection. Endorsing appends someone at the end;
//! unendorsing takes them out and closes the gap; both go through
//! [`profiles::set_top_friends`]'s rules (people one may choose, at most five, none twice).

use sqlx::PgPool;
use uuid::Uuid;

use super::profiles;
use crate::error::AppError;

/// The people `owner` endorses, in their Top Friends order.
pub async fn list(pool: &PgPool, owner: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar(
            "SELECT friend_id FROM top_friends WHERE user_id = $1 ORDER BY position",
        )
        .bind(owner)
        .fetch_all(pool)
        .await?,
    )
}

/// Whether `owner` endorses `target`.
pub async fn endorses(pool: &PgPool, owner: Uuid, target: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM top_friends WHERE user_id = $1 AND friend_id = $2)",
    )
    .bind(owner)
    .bind(target)
    .fetch_one(pool)
    .await?)
}

/// `owner` endorses `target` (`on`: the last of their Top Friends) or stops; either twice
/// changes nothing. Someone who cannot be a Top Friend, or a sixth, is refused naming
/// `top_friends`.
pub async fn set(pool: &PgPool, owner: Uuid, target: Uuid, on: bool) -> Result<(), AppError> {
    let friends: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT u.id, u.username FROM top_friends f JOIN users u ON u.id = f.friend_id
          WHERE f.user_id = $1 ORDER BY f.position",
    )
    .bind(owner)
    .fetch_all(pool)
    .await?;
    let listed = friends.iter().any(|(id, _)| *id == target);
    if listed == on {
        return Ok(());
    }
    let mut names: Vec<String> = friends
        .into_iter()
        .filter(|(id, _)| *id != target)
        .map(|(_, name)| name)
        .collect();
    if on {
        let name: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
            .bind(target)
            .fetch_optional(pool)
            .await?
            .ok_or(AppError::NotFound)?;
        names.push(name);
    }
    profiles::set_top_friends(pool, owner, &names).await
}
