//! Notifications: who is told what. Nobody is notified of their own actions, nor by
//! someone they block (or who blocks them).

use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    filters::{self, Context},
    mutes,
    visibility::{blocked_between, visible_to},
};
use crate::error::AppError;

/// SQL: notification `n` may be shown to its recipient: no block stands between them and its
/// actor, and the thought it is about (if any) is one the recipient may see now (a private
/// reply that does not address them, a followers-only one after they unfollowed). Every
/// read of notifications (pages, counts, the client API) goes through this.
/// Nor when the recipient mutes the actor with "hide notifications" (while the mute lasts),
/// nor when a `hide` filter of theirs for notifications matches the thought.
fn shown(n: &str) -> String {
    format!(
        "(NOT {blocked} AND NOT {muted} AND ({n}.thought_id IS NULL
              OR EXISTS (SELECT 1 FROM thoughts nt WHERE nt.id = {n}.thought_id AND {visible}
                                                   AND NOT {filtered})))",
        blocked = blocked_between(&format!("{n}.user_id"), &format!("{n}.actor_id")),
        muted = mutes::hides_notifications(&format!("{n}.user_id"), &format!("{n}.actor_id")),
        visible = visible_to("nt", &format!("{n}.user_id")),
        filtered = filters::hidden("nt", &format!("{n}.user_id"), Context::Notifications),
    )
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Follow,
    /// Someone asks to follow a locked account.
    FollowRequest,
    Reply,
    Mention,
    Like,
    Boost,
    /// A thought the recipient boosted was edited (Mastodon's `update`).
    Update,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Follow => "follow",
            Kind::FollowRequest => "follow_request",
            Kind::Reply => "reply",
            Kind::Mention => "mention",
            Kind::Like => "like",
            Kind::Boost => "boost",
            Kind::Update => "update",
        }
    }
}

/// Tells `recipient` that `actor` did `kind` (about `thought`), unless the rules say not to
/// (a block, a thought the recipient may not see, a conversation they muted).
pub async fn notify(
    db: &mut PgConnection,
    recipient: Uuid,
    kind: Kind,
    actor: Uuid,
    thought: Option<Uuid>,
) -> Result<(), AppError> {
    if recipient == actor {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT INTO notifications (user_id, type, actor_id, thought_id)
         SELECT $1, $2, $3, $4 FROM (SELECT $1::uuid AS user_id, $3::uuid AS actor_id, $4::uuid AS thought_id) n
          WHERE {} AND ($4::uuid IS NULL OR NOT {})",
        shown("n"),
        mutes::thread_muted("$1::uuid", "$4::uuid")
    ))
    .bind(recipient)
    .bind(kind.as_str())
    .bind(actor)
    .bind(thought)
    .execute(db)
    .await?;
    Ok(())
}

/// How many people a group names before "and N others".
const NAMED_ACTORS: usize = 3;

/// The newest notifications of `user`, grouped: likes and boosts of one thought, and follows,
/// become one entry each ("Ana and 3 others liked your thought").
pub async fn grouped(
    pool: &sqlx::PgPool,
    user: Uuid,
) -> Result<Vec<crate::model::NotificationGroup>, AppError> {
    use crate::model::{NotificationGroup, PersonCard, ThoughtView};

    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        #[sqlx(rename = "type")]
        kind: String,
        read: bool,
        created_at: chrono::DateTime<chrono::Utc>,
        thought_id: Option<Uuid>,
        actor_username: String,
        actor_display_name: Option<String>,
        actor_avatar_url: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT n.id, n.type, n.read, n.created_at, n.thought_id,
                a.username AS actor_username, a.display_name AS actor_display_name, a.avatar_url AS actor_avatar_url
           FROM notifications n JOIN users a ON a.id = n.actor_id
          WHERE n.user_id = $1 AND {}
          ORDER BY n.created_at DESC, n.id DESC
          LIMIT 200",
        shown("n")
    ))
    .bind(user)
    .fetch_all(pool)
    .await?;

    let mut groups: Vec<NotificationGroup> = Vec::new();
    // What each group is about: its kind and thought (the thoughts are read once, below).
    let mut keys: Vec<(String, Option<Uuid>)> = Vec::new();
    for row in rows {
        let groupable = matches!(row.kind.as_str(), "like" | "boost" | "follow");
        let actor = PersonCard {
            username: row.actor_username,
            display_name: row.actor_display_name,
            avatar_url: row.actor_avatar_url,
        };
        let existing = groupable
            .then(|| {
                keys.iter()
                    .position(|(kind, thought)| *kind == row.kind && *thought == row.thought_id)
            })
            .flatten();
        match existing {
            Some(index) => {
                let group = &mut groups[index];
                group.actor_count += 1;
                group.unread |= !row.read;
                group.ids.push(row.id);
                if group.actors.len() < NAMED_ACTORS
                    && !group.actors.iter().any(|a| a.username == actor.username)
                {
                    group.actors.push(actor);
                }
            }
            None => {
                keys.push((row.kind.clone(), row.thought_id));
                groups.push(NotificationGroup {
                    kind: row.kind,
                    actors: vec![actor],
                    actor_count: 1,
                    thought: None,
                    latest_at: row.created_at,
                    unread: !row.read,
                    ids: vec![row.id],
                });
            }
        }
    }

    let thought_ids: Vec<Uuid> = keys.iter().filter_map(|(_, thought)| *thought).collect();
    let thoughts: std::collections::HashMap<Uuid, ThoughtView> =
        super::timeline::some(pool, Some(user), &thought_ids)
            .await?
            .into_iter()
            .map(|thought| (thought.id, thought))
            .collect();
    for (group, (_, thought)) in groups.iter_mut().zip(&keys) {
        group.thought = thought.and_then(|id| thoughts.get(&id).cloned());
    }
    Ok(groups)
}

/// SQL: how many unread notifications (of those shown) the user expression `user` has.
pub(crate) fn unread_count_sql(user: &str) -> String {
    format!(
        "(SELECT count(*) FROM notifications n WHERE n.user_id = {user} AND NOT n.read AND {})",
        shown("n")
    )
}

/// How many unread notifications `user` has (of those shown).
pub async fn unread_count(pool: &sqlx::PgPool, user: Uuid) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar(&format!("SELECT {}", unread_count_sql("$1::uuid")))
            .bind(user)
            .fetch_one(pool)
            .await?,
    )
}

/// Marks `ids` (or every notification when `ids` is empty) of `user` as read.
pub async fn mark_read(pool: &sqlx::PgPool, user: Uuid, ids: &[Uuid]) -> Result<(), AppError> {
    sqlx::query("UPDATE notifications SET read = true WHERE user_id = $1 AND NOT read AND (cardinality($2::uuid[]) = 0 OR id = ANY($2))")
        .bind(user)
        .bind(ids)
        .execute(pool)
        .await?;
    Ok(())
}

/// One notification, ungrouped (the client API lists them one by one).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Single {
    pub id: Uuid,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub thought_id: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `user`'s notifications, newest first, older than `before` (a notification id) if given.
pub async fn list(
    pool: &sqlx::PgPool,
    user: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Single>, AppError> {
    Ok(sqlx::query_as(
        &format!(
            "SELECT n.id, n.type, n.actor_id, n.thought_id, n.created_at FROM notifications n
              WHERE n.user_id = $1 AND {}
                AND ($2::uuid IS NULL OR (n.created_at, n.id) < (SELECT created_at, id FROM notifications WHERE id = $2 AND user_id = $1))
              ORDER BY n.created_at DESC, n.id DESC LIMIT $3",
            shown("n")
        ),
    )
    .bind(user)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn one(pool: &sqlx::PgPool, user: Uuid, id: Uuid) -> Result<Single, AppError> {
    sqlx::query_as(&format!(
        "SELECT n.id, n.type, n.actor_id, n.thought_id, n.created_at FROM notifications n WHERE n.id = $1 AND n.user_id = $2 AND {}",
        shown("n")
    ))
        .bind(id)
        .bind(user)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// Removes one notification of `user` (`None`: all of them).
pub async fn dismiss(pool: &sqlx::PgPool, user: Uuid, id: Option<Uuid>) -> Result<(), AppError> {
    sqlx::query("DELETE FROM notifications WHERE user_id = $1 AND ($2::uuid IS NULL OR id = $2)")
        .bind(user)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Which of a person's notifications a client asks for (Mastodon's parameters, in our kinds).
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Older than this notification (`max_id`).
    pub older_than: Option<Uuid>,
    /// Newer than this notification (`since_id`, or `min_id` for the ones right after it).
    pub newer_than: Option<Uuid>,
    /// With `newer_than`: the oldest newer ones first (`min_id`), not the newest.
    pub right_after: bool,
    /// Only these kinds (empty: any).
    pub kinds: Vec<String>,
    /// Not these kinds.
    pub excluded_kinds: Vec<String>,
    /// Only those caused by this account.
    pub actor: Option<Uuid>,
    pub limit: i64,
}

/// `user`'s notifications as `query` asks, newest first (the rules of [`shown`] apply).
pub async fn page(pool: &sqlx::PgPool, user: Uuid, query: &Query) -> Result<Vec<Single>, AppError> {
    let position = |id: &str| {
        format!("(SELECT created_at, id FROM notifications WHERE id = {id} AND user_id = $1)")
    };
    let order = if query.right_after && query.newer_than.is_some() {
        "ASC"
    } else {
        "DESC"
    };
    let mut found: Vec<Single> = sqlx::query_as(&format!(
        "SELECT n.id, n.type, n.actor_id, n.thought_id, n.created_at FROM notifications n
          WHERE n.user_id = $1 AND {shown}
            AND ($2::uuid IS NULL OR (n.created_at, n.id) < {older})
            AND ($3::uuid IS NULL OR (n.created_at, n.id) > {newer})
            AND (cardinality($4::text[]) = 0 OR n.type = ANY($4))
            AND NOT n.type = ANY($5)
            AND ($6::uuid IS NULL OR n.actor_id = $6)
          ORDER BY n.created_at {order}, n.id {order} LIMIT $7",
        shown = shown("n"),
        older = position("$2"),
        newer = position("$3"),
    ))
    .bind(user)
    .bind(query.older_than)
    .bind(query.newer_than)
    .bind(&query.kinds)
    .bind(&query.excluded_kinds)
    .bind(query.actor)
    .bind(query.limit)
    .fetch_all(pool)
    .await?;
    if order == "ASC" {
        found.reverse();
    }
    Ok(found)
}

/// How many notifications `user` has not read yet (at most `limit`): those newer than the
/// notification `read_up_to` (an app's marker) when it is one of theirs, else those unread
/// on the web.
pub async fn unread_since(
    pool: &sqlx::PgPool,
    user: Uuid,
    read_up_to: Option<Uuid>,
    limit: i64,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT count(*) FROM (SELECT 1 FROM notifications n
          WHERE n.user_id = $1 AND {}
            AND CASE WHEN EXISTS (SELECT 1 FROM notifications m WHERE m.id = $2::uuid AND m.user_id = $1)
                     THEN (n.created_at, n.id) > (SELECT created_at, id FROM notifications WHERE id = $2 AND user_id = $1)
                     ELSE NOT n.read END
          LIMIT $3) shown",
        shown("n")
    ))
    .bind(user)
    .bind(read_up_to)
    .bind(limit)
    .fetch_one(pool)
    .await?)
}
