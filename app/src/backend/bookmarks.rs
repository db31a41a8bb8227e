//! Bookmarks: thoughts a person keeps for later, seen only by them. Only a thought the
//! person may see can be bookmarked, and a bookmarked thought they can no longer see (a
//! block, a changed visibility, a deletion) is not shown: the list is read through the
//! visibility gate like every other (`timeline::Feed::Bookmarks`).

use uuid::Uuid;

use super::{timeline, Backend};
use crate::error::AppError;

/// `user` bookmarks thought `id` (`on`) or takes the bookmark away. Doing either twice
/// changes nothing; a thought the user may not see is `NotFound`, as if it did not exist.
pub async fn set(backend: &Backend, user: Uuid, id: Uuid, on: bool) -> Result<(), AppError> {
    if on {
        timeline::one(&backend.pool, Some(user), id).await?;
        sqlx::query(
            "INSERT INTO bookmarks (user_id, thought_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(id)
        .execute(&backend.pool)
        .await?;
    } else {
        sqlx::query("DELETE FROM bookmarks WHERE user_id = $1 AND thought_id = $2")
            .bind(user)
            .bind(id)
            .execute(&backend.pool)
            .await?;
    }
    Ok(())
}
