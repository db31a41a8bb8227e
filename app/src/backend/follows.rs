//! Following. Local follows are accepted at once; `pending` is for the federation handshake.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    accounts::person_id,
    federation::{outbox, urls::Urls},
    notifications::{self, Kind},
    visibility::blocked_between,
    Backend,
};
use crate::{
    error::AppError,
    model::{PersonCard, Relationship},
};

/// `follower` follows `username` (local, or a known remote `name@domain`). Following twice
/// changes nothing. A local follow is accepted at once; a remote one waits (`pending`) for
/// the other server's Accept.
pub async fn follow(backend: &Backend, follower: Uuid, username: &str) -> Result<(), AppError> {
    let (target, remote) = person_id(&backend.pool, username).await?;
    if target == follower {
        return Err(AppError::invalid("username", "you cannot follow yourself"));
    }
    let mut transaction = backend.pool.begin().await?;
    let blocked: bool = sqlx::query_scalar(&format!(
        "SELECT {}",
        blocked_between("$1::uuid", "$2::uuid")
    ))
    .bind(follower)
    .bind(target)
    .fetch_one(&mut *transaction)
    .await?;
    if blocked {
        return Err(AppError::Forbidden);
    }
    let state = if remote { "pending" } else { "accepted" };
    let inserted = sqlx::query(
        "INSERT INTO follows (follower_id, following_id, state) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(follower)
    .bind(target)
    .bind(state)
    .execute(&mut *transaction)
    .await?;
    if inserted.rows_affected() == 1 {
        if remote {
            let follow_id = outbox::follow(
                &mut transaction,
                Urls::new(&backend.public_url),
                follower,
                target,
            )
            .await?;
            sqlx::query(
                "UPDATE follows SET ap_id = $3 WHERE follower_id = $1 AND following_id = $2",
            )
            .bind(follower)
            .bind(target)
            .bind(follow_id)
            .execute(&mut *transaction)
            .await?;
        } else {
            notifications::notify(&mut transaction, target, Kind::Follow, follower, None).await?;
        }
    }
    transaction.commit().await?;
    Ok(())
}

/// `follower` stops following `username` (or withdraws a pending request); nothing happens
/// if they did not follow. A remote person's server hears of it (Undo).
pub async fn unfollow(backend: &Backend, follower: Uuid, username: &str) -> Result<(), AppError> {
    let (target, remote) = person_id(&backend.pool, username).await?;
    let mut transaction = backend.pool.begin().await?;
    let removed: Option<Option<String>> = sqlx::query_scalar(
        "DELETE FROM follows WHERE follower_id = $1 AND following_id = $2 RETURNING ap_id",
    )
    .bind(follower)
    .bind(target)
    .fetch_optional(&mut *transaction)
    .await?;
    if let (Some(follow_id), true) = (removed, remote) {
        outbox::unfollow(
            &mut transaction,
            Urls::new(&backend.public_url),
            follower,
            target,
            follow_id,
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// A remote person's Follow of the local `target`: accepted at once (Thoughtspace accounts
/// do not approve followers by hand), unless a block stands between them (false: the
/// caller sends a Reject). A redelivered Follow changes nothing.
pub async fn follow_from_remote(
    db: &mut PgConnection,
    follower: Uuid,
    target: Uuid,
    ap_id: &str,
) -> Result<bool, AppError> {
    let blocked: bool = sqlx::query_scalar(&format!(
        "SELECT {}",
        blocked_between("$1::uuid", "$2::uuid")
    ))
    .bind(follower)
    .bind(target)
    .fetch_one(&mut *db)
    .await?;
    if blocked {
        return Ok(false);
    }
    let inserted = sqlx::query(
        "INSERT INTO follows (follower_id, following_id, state, ap_id) VALUES ($1, $2, 'accepted', $3)
         ON CONFLICT (follower_id, following_id) DO UPDATE SET state = 'accepted', ap_id = EXCLUDED.ap_id
         RETURNING (xmax = 0) AS inserted",
    )
    .bind(follower)
    .bind(target)
    .bind(ap_id)
    .fetch_one(&mut *db)
    .await?;
    let inserted: bool = sqlx::Row::get(&inserted, "inserted");
    if inserted {
        notifications::notify(db, target, Kind::Follow, follower, None).await?;
    }
    Ok(true)
}

/// A remote person's Undo of their Follow (named by its id, or by its target).
pub async fn remove_remote(
    pool: &PgPool,
    follower: Uuid,
    follow_ap_id: &str,
    target: Option<Uuid>,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM follows WHERE follower_id = $1 AND (ap_id = $2 OR following_id = $3)")
        .bind(follower)
        .bind(follow_ap_id)
        .bind(target)
        .execute(pool)
        .await?;
    Ok(())
}

/// The remote `target` accepted (or rejected) a local person's Follow, named by its id or
/// by its follower.
pub async fn answered_by_remote(
    pool: &PgPool,
    target: Uuid,
    follow_ap_id: Option<&str>,
    follower: Option<Uuid>,
    accepted: bool,
) -> Result<(), AppError> {
    let matching = "following_id = $1 AND (ap_id = $2 OR follower_id = $3)";
    let query = if accepted {
        format!("UPDATE follows SET state = 'accepted' WHERE {matching}")
    } else {
        format!("DELETE FROM follows WHERE {matching}")
    };
    sqlx::query(&query)
        .bind(target)
        .bind(follow_ap_id)
        .bind(follower)
        .execute(pool)
        .await?;
    Ok(())
}

/// How `viewer` relates to the user `target`.
pub async fn relationship(
    pool: &PgPool,
    viewer: Uuid,
    target: Uuid,
) -> Result<Relationship, AppError> {
    let (following, requested, followed_by, blocking): (bool, bool, bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND following_id = $2 AND state = 'accepted'),
                EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND following_id = $2 AND state = 'pending'),
                EXISTS (SELECT 1 FROM follows WHERE follower_id = $2 AND following_id = $1 AND state = 'accepted'),
                EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2)",
    )
    .bind(viewer)
    .bind(target)
    .fetch_one(pool)
    .await?;
    let mute = super::mutes::of(pool, viewer, target).await?;
    Ok(Relationship {
        is_self: viewer == target,
        following,
        requested,
        followed_by,
        blocking,
        muting: mute.is_some(),
        muting_notifications: mute.is_some_and(|mute| mute.hide_notifications),
    })
}

/// Who follows `username` (`Followers`) or whom they follow (`Following`), newest first.
pub async fn list(
    pool: &PgPool,
    username: &str,
    direction: Direction,
) -> Result<Vec<PersonCard>, AppError> {
    let (user, _) = person_id(pool, username).await?;
    Ok(sqlx::query_as(&format!(
        "SELECT u.username, u.display_name, u.avatar_url FROM ({}) f JOIN users u ON u.id = f.person ORDER BY f.ordinal",
        people_sql(direction)
    ))
    .bind(user)
    .bind(500_i64)
    .fetch_all(pool)
    .await?)
}

/// The same people as ids (the client API), at most `limit`.
pub async fn list_ids(
    pool: &PgPool,
    user: Uuid,
    direction: Direction,
    limit: i64,
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT person FROM ({}) f ORDER BY f.ordinal",
        people_sql(direction)
    ))
    .bind(user)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Followers or followed of `$1`, newest follow first, at most `$2`: (person, ordinal).
fn people_sql(direction: Direction) -> String {
    let (mine, theirs) = match direction {
        Direction::Followers => ("following_id", "follower_id"),
        Direction::Following => ("follower_id", "following_id"),
    };
    format!(
        "SELECT f.{theirs} AS person, row_number() OVER (ORDER BY f.created_at DESC, f.{theirs}) AS ordinal
           FROM follows f WHERE f.{mine} = $1 AND f.state = 'accepted'
          ORDER BY f.created_at DESC LIMIT $2"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Followers,
    Following,
}
