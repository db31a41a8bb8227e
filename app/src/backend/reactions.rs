//! Likes and boosts. Both need a thought the person may see; boosts only spread public
//! thoughts. Doing either twice is refused; taking one back that was not there is a no-op.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    federation::{outbox, urls::Urls},
    live::{self, Change},
    notifications::{self, Kind},
    visibility::visible_to,
    Backend,
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

/// `viewer` likes or boosts thought `id` (`on`), or takes it back (`!on`). Other servers
/// hear of it as a Like or Announce (or their Undo) when someone there is concerned.
pub async fn set(
    backend: &Backend,
    viewer: Uuid,
    id: Uuid,
    reaction: Reaction,
    on: bool,
) -> Result<(), AppError> {
    let urls = Urls::new(&backend.public_url);
    let boost = reaction == Reaction::Boost;
    let mut transaction = backend.pool.begin().await?;
    let previous_id: Option<String> = if on {
        None
    } else {
        sqlx::query_scalar(&format!(
            "SELECT ap_id FROM {} WHERE user_id = $1 AND thought_id = $2",
            reaction.table()
        ))
        .bind(viewer)
        .bind(id)
        .fetch_optional(&mut *transaction)
        .await?
        .flatten()
    };
    let changed = apply(&mut transaction, viewer, id, reaction, on, None).await?;
    if changed && on {
        if let Some(activity_id) =
            outbox::reacted(&mut transaction, urls, viewer, id, boost).await?
        {
            sqlx::query(&format!(
                "UPDATE {} SET ap_id = $3 WHERE user_id = $1 AND thought_id = $2",
                reaction.table()
            ))
            .bind(viewer)
            .bind(id)
            .bind(activity_id)
            .execute(&mut *transaction)
            .await?;
        }
    } else if changed {
        outbox::unreacted(&mut transaction, urls, viewer, id, boost, previous_id).await?;
    }
    transaction.commit().await?;
    Ok(())
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
    let mut transaction = pool.begin().await?;
    match apply(&mut transaction, actor, id, reaction, on, Some(ap_id)).await {
        Err(AppError::Invalid(errors))
            if errors.iter().any(|e| e.message.starts_with("you already")) =>
        {
            Ok(())
        }
        Err(other) => Err(other),
        Ok(_) => Ok(transaction.commit().await?),
    }
}

/// Which thought a remote reaction (by its activity id) was about, so its Undo finds it.
pub async fn by_ap_id(
    pool: &PgPool,
    actor: Uuid,
    ap_id: &str,
) -> Result<Option<(Reaction, Uuid)>, AppError> {
    for reaction in [Reaction::Like, Reaction::Boost] {
        let found: Option<Uuid> = sqlx::query_scalar(&format!(
            "SELECT thought_id FROM {} WHERE ap_id = $1 AND user_id = $2",
            reaction.table()
        ))
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

/// The rule itself; returns whether anything changed.
async fn apply(
    db: &mut PgConnection,
    viewer: Uuid,
    id: Uuid,
    reaction: Reaction,
    on: bool,
    ap_id: Option<&str>,
) -> Result<bool, AppError> {
    let found: Option<(Uuid, String)> = sqlx::query_as(&format!(
        "SELECT t.user_id, t.visibility FROM thoughts t WHERE t.id = $2 AND {}",
        visible_to("t", "$1::uuid")
    ))
    .bind(viewer)
    .bind(id)
    .fetch_optional(&mut *db)
    .await?;
    let Some((author, visibility)) = found else {
        return Err(AppError::NotFound);
    };
    let table = reaction.table();
    if on {
        if reaction == Reaction::Boost && !matches!(visibility.as_str(), "public" | "unlisted") {
            return Err(AppError::invalid(
                "id",
                "only public thoughts can be boosted",
            ));
        }
        let inserted = sqlx::query(&format!(
            "INSERT INTO {table} (user_id, thought_id, ap_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        ))
        .bind(viewer)
        .bind(id)
        .bind(ap_id)
        .execute(&mut *db)
        .await?;
        if inserted.rows_affected() == 0 {
            let already = match reaction {
                Reaction::Like => "you already like this thought",
                Reaction::Boost => "you already boosted this thought",
            };
            return Err(AppError::invalid("id", already));
        }
        notifications::notify(db, author, reaction.kind(), viewer, Some(id)).await?;
        if reaction == Reaction::Boost {
            // Streamed to the booster's followers as a status of its own (a reblog).
            let boost: Uuid =
                sqlx::query_scalar("SELECT id FROM boosts WHERE user_id = $1 AND thought_id = $2")
                    .bind(viewer)
                    .bind(id)
                    .fetch_one(&mut *db)
                    .await?;
            live::announce(
                db,
                &Change::Boosted {
                    id: boost,
                    thought: id,
                    booster: viewer,
                },
            )
            .await?;
        }
        Ok(true)
    } else {
        // A boost's own id, so that streams can take its status back.
        let deleted: Vec<Option<Uuid>> = sqlx::query_scalar(&format!(
            "DELETE FROM {table} WHERE user_id = $1 AND thought_id = $2 RETURNING {}",
            match reaction {
                Reaction::Boost => "id",
                Reaction::Like => "NULL::uuid",
            }
        ))
        .bind(viewer)
        .bind(id)
        .fetch_all(&mut *db)
        .await?;
        for boost in deleted.iter().flatten() {
            live::announce(
                db,
                &Change::Unboosted {
                    id: *boost,
                    thought: id,
                    booster: viewer,
                },
            )
            .await?;
        }
        // Taking it back takes back the notification too.
        sqlx::query(
            "DELETE FROM notifications WHERE actor_id = $1 AND thought_id = $2 AND type = $3",
        )
        .bind(viewer)
        .bind(id)
        .bind(reaction.kind().as_str())
        .execute(&mut *db)
        .await?;
        Ok(!deleted.is_empty())
    }
}

/// Who liked (or boosted) thought `id`, as ids, newest first, if `viewer` may see it; people
/// on either side of a block with the viewer are left out.
pub async fn who(
    pool: &PgPool,
    viewer: Option<Uuid>,
    id: Uuid,
    reaction: Reaction,
    limit: i64,
) -> Result<Vec<Uuid>, AppError> {
    super::timeline::one(pool, viewer, id).await?;
    Ok(sqlx::query_scalar(&format!(
        "SELECT r.user_id FROM {table} r WHERE r.thought_id = $2 AND NOT {blocked}
          ORDER BY r.created_at DESC LIMIT $3",
        table = reaction.table(),
        blocked = super::visibility::blocked_between("r.user_id", "$1::uuid"),
    ))
    .bind(viewer)
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The thoughts `user` liked, newest like first (those still visible to them).
pub async fn liked(
    pool: &PgPool,
    user: Uuid,
    limit: i64,
) -> Result<Vec<crate::model::ThoughtView>, AppError> {
    let candidates = format!(
        "SELECT t.id AS thought_id, mine.created_at AS listed_at, NULL::text AS boosted_by
           FROM likes mine JOIN thoughts t ON t.id = mine.thought_id
          WHERE mine.user_id = $1 AND {}
          ORDER BY mine.created_at DESC LIMIT $2",
        visible_to("t", "$1::uuid")
    );
    // Listed at the like: this list is ordered by when each entered it.
    super::visibility::thoughts(
        pool,
        Some(user),
        &candidates,
        "c.listed_at DESC, t.id",
        vec![super::visibility::Arg::Int(limit)],
    )
    .await
}

/// The id of `user`'s boost of `thought`, if they boosted it.
pub async fn boost_of(pool: &PgPool, user: Uuid, thought: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM boosts WHERE user_id = $1 AND thought_id = $2")
            .bind(user)
            .bind(thought)
            .fetch_optional(pool)
            .await?,
    )
}

/// The boost with the id `id` (a reblog's status id in the client API), as (the thought
/// boosted, the booster); `None` when `id` is no boost's.
pub async fn boost_by_id(pool: &PgPool, id: Uuid) -> Result<Option<(Uuid, Uuid)>, AppError> {
    Ok(
        sqlx::query_as("SELECT thought_id, user_id FROM boosts WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}
