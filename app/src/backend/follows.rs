//! Following. A follow is `pending` until accepted: at once, unless the person followed
//! approves followers by hand (a locked account, local or remote), whose answer — their
//! Accept or Reject, or the local person's choice on their requests page — settles it.
//! Nothing for followers reaches a pending follower (every rule reads `accepted`).

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
/// changes nothing. A local follow is accepted at once unless the account is locked (then
/// it is a request they answer); a remote one waits (`pending`) for the other server's Accept.
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
    let locked = is_locked(&mut transaction, target).await?;
    let state = if remote || locked {
        "pending"
    } else {
        "accepted"
    };
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
            let kind = if locked {
                Kind::FollowRequest
            } else {
                Kind::Follow
            };
            notifications::notify(&mut transaction, target, kind, follower, None).await?;
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
    withdraw_request_notice(&mut transaction, target, follower).await?;
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

/// What became of a remote person's Follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteFollow {
    /// Accepted: the caller sends an Accept.
    Accepted,
    /// A request the locked account answers later (nothing is sent now).
    Requested,
    /// A block stands between them: the caller sends a Reject.
    Refused,
}

/// Whether `user` approves followers by hand.
async fn is_locked(db: &mut PgConnection, user: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar("SELECT locked FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(db)
        .await?
        .unwrap_or(false))
}

/// A remote person's Follow of the local `target`: accepted at once, or a request when the
/// target is locked, unless a block stands between them. A redelivered Follow changes
/// nothing (an accepted follow stays accepted).
pub async fn follow_from_remote(
    db: &mut PgConnection,
    follower: Uuid,
    target: Uuid,
    ap_id: &str,
) -> Result<RemoteFollow, AppError> {
    let blocked: bool = sqlx::query_scalar(&format!(
        "SELECT {}",
        blocked_between("$1::uuid", "$2::uuid")
    ))
    .bind(follower)
    .bind(target)
    .fetch_one(&mut *db)
    .await?;
    if blocked {
        return Ok(RemoteFollow::Refused);
    }
    let locked = is_locked(&mut *db, target).await?;
    let (state, inserted): (String, bool) = sqlx::query_as(
        "INSERT INTO follows (follower_id, following_id, state, ap_id) VALUES ($1, $2, $4, $3)
         ON CONFLICT (follower_id, following_id) DO UPDATE SET ap_id = EXCLUDED.ap_id
         RETURNING state, (xmax = 0) AS inserted",
    )
    .bind(follower)
    .bind(target)
    .bind(ap_id)
    .bind(if locked { "pending" } else { "accepted" })
    .fetch_one(&mut *db)
    .await?;
    let accepted = state == "accepted";
    if inserted {
        let kind = if accepted {
            Kind::Follow
        } else {
            Kind::FollowRequest
        };
        notifications::notify(db, target, kind, follower, None).await?;
    }
    Ok(if accepted {
        RemoteFollow::Accepted
    } else {
        RemoteFollow::Requested
    })
}

/// Who asks to follow `user` (pending requests), oldest first, at most `limit`.
pub async fn requests(pool: &PgPool, user: Uuid, limit: i64) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT follower_id FROM follows WHERE following_id = $1 AND state = 'pending'
          ORDER BY created_at, follower_id LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// `user` accepts (`accept`) or rejects the follow request of `requester`; a remote
/// requester's server hears of it (Accept or Reject of their Follow). `NotFound` when there
/// is no such request.
pub async fn answer_request(
    backend: &Backend,
    user: Uuid,
    requester: Uuid,
    accept: bool,
) -> Result<(), AppError> {
    let mut transaction = backend.pool.begin().await?;
    answer_request_in(&mut transaction, backend, user, requester, accept).await?;
    transaction.commit().await?;
    Ok(())
}

async fn answer_request_in(
    db: &mut PgConnection,
    backend: &Backend,
    user: Uuid,
    requester: Uuid,
    accept: bool,
) -> Result<(), AppError> {
    let query = if accept {
        "UPDATE follows SET state = 'accepted' WHERE follower_id = $1 AND following_id = $2 AND state = 'pending'
         RETURNING ap_id"
    } else {
        "DELETE FROM follows WHERE follower_id = $1 AND following_id = $2 AND state = 'pending' RETURNING ap_id"
    };
    let answered: Option<Option<String>> = sqlx::query_scalar(query)
        .bind(requester)
        .bind(user)
        .fetch_optional(&mut *db)
        .await?;
    let Some(follow_id) = answered else {
        return Err(AppError::NotFound);
    };
    if let Some(follow_id) = follow_id {
        // A remote request: its Follow is answered, carried inline as Mastodon expects.
        let (actor, object): (Option<String>, String) = sqlx::query_as(
            "SELECT r.ap_id, u.username FROM users r, users u WHERE r.id = $1 AND u.id = $2",
        )
        .bind(requester)
        .bind(user)
        .fetch_one(&mut *db)
        .await?;
        let urls = Urls::new(&backend.public_url);
        let follow = serde_json::json!({
            "id": follow_id, "type": "Follow", "actor": actor, "object": urls.actor(&object),
        });
        if accept {
            outbox::accept_follow(db, urls, user, requester, &follow).await?;
        } else {
            outbox::reject_follow(db, urls, user, requester, &follow).await?;
        }
    }
    if accept {
        notifications::notify(db, user, Kind::Follow, requester, None).await?;
    }
    withdraw_request_notice(db, user, requester).await
}

/// Whether `user` approves followers by hand (the client API's `locked`).
pub async fn locked(pool: &PgPool, user: Uuid) -> Result<bool, AppError> {
    is_locked(&mut *pool.acquire().await?, user).await
}

/// Turns "manually approve followers" on or off. Remote followers' servers get the new
/// actor document; turning it off accepts every waiting request, as Mastodon does.
pub async fn set_locked(backend: &Backend, user: Uuid, locked: bool) -> Result<(), AppError> {
    let mut transaction = backend.pool.begin().await?;
    let was_locked = is_locked(&mut transaction, user).await?;
    if was_locked == locked {
        return Ok(());
    }
    sqlx::query("UPDATE users SET locked = $2, updated_at = now() WHERE id = $1")
        .bind(user)
        .bind(locked)
        .execute(&mut *transaction)
        .await?;
    if !locked {
        let waiting: Vec<Uuid> = sqlx::query_scalar(
            "SELECT follower_id FROM follows WHERE following_id = $1 AND state = 'pending' ORDER BY created_at",
        )
        .bind(user)
        .fetch_all(&mut *transaction)
        .await?;
        for requester in waiting {
            answer_request_in(&mut transaction, backend, user, requester, true).await?;
        }
    }
    super::profiles::announce_profile(&mut transaction, backend, user).await?;
    transaction.commit().await?;
    Ok(())
}

/// A remote person's Undo of their Follow (named by its id, or by its target).
pub async fn remove_remote(
    pool: &PgPool,
    follower: Uuid,
    follow_ap_id: &str,
    target: Option<Uuid>,
) -> Result<(), AppError> {
    let mut transaction = pool.begin().await?;
    let removed: Vec<Uuid> = sqlx::query_scalar(
        "DELETE FROM follows WHERE follower_id = $1 AND (ap_id = $2 OR following_id = $3) RETURNING following_id",
    )
    .bind(follower)
    .bind(follow_ap_id)
    .bind(target)
    .fetch_all(&mut *transaction)
    .await?;
    for target in removed {
        withdraw_request_notice(&mut transaction, target, follower).await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// A withdrawn (or answered) request no longer waits in `target`'s notifications.
async fn withdraw_request_notice(
    db: &mut PgConnection,
    target: Uuid,
    requester: Uuid,
) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM notifications WHERE user_id = $1 AND actor_id = $2 AND type = 'follow_request'",
    )
    .bind(target)
    .bind(requester)
    .execute(db)
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

/// How many people wait for `user` to answer their follow request.
pub async fn request_count(pool: &PgPool, user: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM follows WHERE following_id = $1 AND state = 'pending'",
    )
    .bind(user)
    .fetch_one(pool)
    .await?)
}

/// The people `viewer` follows who follow `target` (Mastodon's familiar followers), newest
/// follow first, at most `limit`; people on either side of a block with the viewer are left
/// out.
pub async fn familiar_followers(
    pool: &PgPool,
    viewer: Uuid,
    target: Uuid,
    limit: i64,
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT theirs.follower_id FROM follows theirs
           JOIN follows mine ON mine.following_id = theirs.follower_id
                            AND mine.follower_id = $1 AND mine.state = 'accepted'
          WHERE theirs.following_id = $2 AND theirs.state = 'accepted'
            AND theirs.follower_id <> $1 AND NOT {}
          ORDER BY theirs.created_at DESC LIMIT $3",
        blocked_between("theirs.follower_id", "$1::uuid")
    ))
    .bind(viewer)
    .bind(target)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
