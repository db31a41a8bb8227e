//! Likes and boosts. Both need a thought the person may see; boosts only spread public
//! thoughts. Doing either twice is refused; taking one back that was not there is a no-op.

use sqlx::PgPool;
use uuid::Uuid;

use super::{
    notifications::{self, Kind},
    visibility::visible_to,
};
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    Like,
    Boost,
}

impl Reaction {
    fn table(self) -> &'static str {
        match self {
            Reaction::Like => "likes",
            Reaction::Boost => "boosts",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Reaction::Like => Kind::Like,
            Reaction::Boost => Kind::Boost,
        }
    }
}

/// `viewer` likes or boosts thought `id` (`on`), or takes it back (`!on`).
pub async fn set(pool: &PgPool, viewer: Uuid, id: Uuid, reaction: Reaction, on: bool) -> Result<(), AppError> {
    apply(pool, viewer, id, reaction, on, None).await
}

/// A remote actor's Like or Announce (`on`) of thought `id`, or its Undo. The same rules
/// apply; doing it twice (a redelivery) is not an error.
pub async fn set_remote(
    pool: &PgPool,
    actor: Uuid,
    id: Uuid,
    reaction: Reaction,
    on: bool,
    ap_id: &str,
) -> Result<(), AppError> {
    match apply(pool, actor, id, reaction, on, Some(ap_id)).await {
        Err(AppError::Invalid(errors)) if errors.iter().any(|e| e.message.starts_with("you already")) => Ok(()),
        other => other,
    }
}

/// Which thought a remote reaction (by its activity id) was about, so its Undo finds it.
pub async fn by_ap_id(pool: &PgPool, actor: Uuid, ap_id: &str) -> Result<Option<(Reaction, Uuid)>, AppError> {
    for reaction in [Reaction::Like, Reaction::Boost] {
        let found: Option<Uuid> =
            sqlx::query_scalar(&format!("SELECT thought_id FROM {} WHERE ap_id = $1 AND user_id = $2", reaction.table()))
                .bind(ap_id)
                .bind(actor)
                .fetch_optional(pool)
                .await?;
        if let Some(thought) = found {
            return Ok(Some((reaction, thought)));
        }
    }
    Ok(None)
}

async fn apply(pool: &PgPool, viewer: Uuid, id: Uuid, reaction: Reaction, on: bool, ap_id: Option<&str>) -> Result<(), AppError> {
    let mut transaction = pool.begin().await?;
    let found: Option<(Uuid, String)> = sqlx::query_as(&format!(
        "SELECT t.user_id, t.visibility FROM thoughts t WHERE t.id = $2 AND {}",
        visible_to("t", "$1::uuid")
    ))
    .bind(viewer)
    .bind(id)
    .fetch_optional(&mut *transaction)
    .await?;
    let Some((author, visibility)) = found else { return Err(AppError::NotFound) };
    let table = reaction.table();
    if on {
        if reaction == Reaction::Boost && !matches!(visibility.as_str(), "public" | "unlisted") {
            return Err(AppError::invalid("id", "only public thoughts can be boosted"));
        }
        let inserted = sqlx::query(&format!(
            "INSERT INTO {table} (user_id, thought_id, ap_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        ))
        .bind(viewer)
        .bind(id)
        .bind(ap_id)
        .execute(&mut *transaction)
        .await?;
        if inserted.rows_affected() == 0 {
            let already = match reaction {
                Reaction::Like => "you already like this thought",
                Reaction::Boost => "you already boosted this thought",
            };
            return Err(AppError::invalid("id", already));
        }
        notifications::notify(&mut transaction, author, reaction.kind(), viewer, Some(id)).await?;
    } else {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1 AND thought_id = $2"))
            .bind(viewer)
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        // Taking it back takes back the notification too.
        sqlx::query("DELETE FROM notifications WHERE actor_id = $1 AND thought_id = $2 AND type = $3")
            .bind(viewer)
            .bind(id)
            .bind(reaction.kind().as_str())
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(())
}
