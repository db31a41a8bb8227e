//! What a local action sends to other servers. Each function builds the activity and puts
//! one delivery per recipient inbox into the queue (shared inboxes collapse a server's
//! followers into one), inside the caller's transaction: the action and its deliveries are
//! stored together or not at all, and the request never waits for the network.
//! [`super::delivery`] sends them.

use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    urls::Urls,
    vocab::{self, NoteSource},
};
use crate::error::AppError;

/// The channel a committed enqueue wakes the delivery workers on.
pub const CHANNEL: &str = "deliveries";

/// Queues `activity`, signed by `sender` (None: the instance actor), for each inbox.
pub async fn enqueue(
    db: &mut PgConnection,
    sender: Option<Uuid>,
    activity: &Value,
    inboxes: Vec<String>,
) -> Result<(), AppError> {
    let mut inboxes = inboxes;
    inboxes.sort();
    inboxes.dedup();
    if inboxes.is_empty() {
        return Ok(());
    }
    let inboxes = super::servers::without_unavailable(db, inboxes).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let id = activity["id"].as_str().unwrap_or_default();
    let kind = activity["type"].as_str().unwrap_or_default();
    let payload = activity.to_string();
    sqlx::query(
        "INSERT INTO deliveries (activity_id, activity_type, sender_id, inbox_url, payload)
         SELECT $1, $2, $3, inbox, $5 FROM unnest($4::text[]) AS inbox
         ON CONFLICT (activity_id, inbox_url) DO NOTHING",
    )
    .bind(id)
    .bind(kind)
    .bind(sender)
    .bind(&inboxes)
    .bind(&payload)
    .execute(&mut *db)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// The inboxes of `user`'s remote followers, a server's shared inbox standing for all of
/// its people.
pub async fn follower_inboxes(db: &mut PgConnection, user: Uuid) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT coalesce(r.shared_inbox_url, u.inbox_url)
           FROM follows f JOIN users u ON u.id = f.follower_id LEFT JOIN remote_actors r ON r.user_id = u.id
          WHERE f.following_id = $1 AND f.state = 'accepted' AND u.is_remote",
    )
    .bind(user)
    .fetch_all(&mut *db)
    .await?)
}

/// The personal inbox of a remote user (None for local ones).
pub async fn inbox_of(db: &mut PgConnection, user: Uuid) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT inbox_url FROM users WHERE id = $1 AND is_remote")
            .bind(user)
            .fetch_optional(&mut *db)
            .await?
            .flatten(),
    )
}

async fn username(db: &mut PgConnection, user: Uuid) -> Result<String, AppError> {
    Ok(
        sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&mut *db)
            .await?,
    )
}

/// A local thought as a Note, with the inboxes of everyone it concerns remotely: the
/// author's remote followers (unless private), the remote people it mentions, and the
/// remote author it replies to (unless private).
async fn note_and_audience(
    db: &mut PgConnection,
    urls: Urls<'_>,
    thought: Uuid,
) -> Result<(Value, Vec<String>), AppError> {
    #[derive(sqlx::FromRow)]
    struct Written {
        author_id: Uuid,
        author: String,
        content: String,
        visibility: String,
        created_at: chrono::DateTime<chrono::Utc>,
        edited_at: Option<chrono::DateTime<chrono::Utc>>,
        parent_local: Option<Uuid>,
        parent_author: Option<String>,
        parent_ap_id: Option<String>,
        parent_author_remote: Option<bool>,
        summary: Option<String>,
        sensitive: bool,
    }
    let Written {
        author_id,
        author,
        content,
        visibility,
        created_at,
        edited_at,
        parent_local,
        parent_author,
        parent_ap_id,
        parent_author_remote,
        summary,
        sensitive,
    }: Written = sqlx::query_as(
        "SELECT t.user_id AS author_id, u.username AS author, t.content, t.visibility, t.created_at, t.edited_at,
                    p.id AS parent_local, pu.username AS parent_author, p.ap_id AS parent_ap_id,
                    pu.is_remote AS parent_author_remote, t.summary, t.sensitive
               FROM thoughts t JOIN users u ON u.id = t.user_id
               LEFT JOIN thoughts p ON p.id = t.reply_to LEFT JOIN users pu ON pu.id = p.user_id
              WHERE t.id = $1",
    )
    .bind(thought)
    .fetch_one(&mut *db)
    .await?;
    let mentioned: Vec<(String, Option<String>, bool, Option<String>)> = sqlx::query_as(
        "SELECT u.username, u.ap_id, u.is_remote, u.inbox_url FROM thought_mentions m JOIN users u ON u.id = m.user_id
          WHERE m.thought_id = $1",
    )
    .bind(thought)
    .fetch_all(&mut *db)
    .await?;
    let mentions = mentioned
        .iter()
        .map(|(name, ap_id, remote, _)| {
            (
                name.clone(),
                if *remote {
                    ap_id.clone().unwrap_or_default()
                } else {
                    urls.actor(name)
                },
            )
        })
        .collect();
    let in_reply_to = match (parent_local, parent_ap_id, parent_author) {
        (_, Some(ap_id), _) => Some(ap_id),
        (Some(id), None, Some(author)) => Some(urls.note(&author, id)),
        _ => None,
    };
    let mut note = vocab::note(
        urls,
        &NoteSource {
            id: thought,
            author,
            content,
            visibility: visibility.clone(),
            created_at,
            in_reply_to,
            mentions,
            summary,
            sensitive,
        },
    );
    if let Some(edited_at) = edited_at {
        note["updated"] = serde_json::json!(vocab::timestamp(edited_at));
    }
    let mut inboxes: Vec<String> = mentioned
        .into_iter()
        .filter(|m| m.2)
        .filter_map(|m| m.3)
        .collect();
    if visibility != "private" {
        inboxes.extend(follower_inboxes(db, author_id).await?);
    }
    // The remote author replied to hears of a reply unless it is private (a private reply
    // reaches only the people it mentions). Replies mention the author they answer since
    // issue #15; this still reaches them for replies written before.
    if parent_author_remote == Some(true) && visibility != "private" {
        let parent_inbox: Option<String> = sqlx::query_scalar(
            "SELECT u.inbox_url FROM thoughts t JOIN thoughts p ON p.id = t.reply_to JOIN users u ON u.id = p.user_id WHERE t.id = $1",
        )
        .bind(thought)
        .fetch_optional(&mut *db)
        .await?
        .flatten();
        inboxes.extend(parent_inbox);
    }
    Ok((note, inboxes))
}

/// The Note of a local thought, as served at its id.
pub async fn note(db: &mut PgConnection, urls: Urls<'_>, thought: Uuid) -> Result<Value, AppError> {
    let (mut note, _) = note_and_audience(db, urls, thought).await?;
    note["@context"] = vocab::context();
    Ok(note)
}

/// A local thought was posted.
pub async fn thought_created(
    db: &mut PgConnection,
    urls: Urls<'_>,
    thought: Uuid,
) -> Result<(), AppError> {
    send_note(db, urls, thought, vocab::create).await
}

/// A local thought was edited: the updated Note (with `updated`) goes to everyone the
/// Create went to, and to the people it now mentions.
pub async fn thought_updated(
    db: &mut PgConnection,
    urls: Urls<'_>,
    thought: Uuid,
) -> Result<(), AppError> {
    send_note(db, urls, thought, |note| {
        vocab::update(note, &urls.new_activity())
    })
    .await
}

/// Queues the activity `wrap` makes of a local thought's Note for the Note's audience.
async fn send_note(
    db: &mut PgConnection,
    urls: Urls<'_>,
    thought: Uuid,
    wrap: impl FnOnce(&Value) -> Value,
) -> Result<(), AppError> {
    let (note, inboxes) = note_and_audience(db, urls, thought).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let author: Uuid = sqlx::query_scalar("SELECT user_id FROM thoughts WHERE id = $1")
        .bind(thought)
        .fetch_one(&mut *db)
        .await?;
    enqueue(db, Some(author), &wrap(&note), inboxes).await
}

/// A local thought is about to be deleted (called before its mentions go): everyone who
/// got it hears of the deletion.
pub async fn thought_deleted(
    db: &mut PgConnection,
    urls: Urls<'_>,
    thought: Uuid,
) -> Result<(), AppError> {
    let (note, inboxes) = note_and_audience(db, urls, thought).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let author: Uuid = sqlx::query_scalar("SELECT user_id FROM thoughts WHERE id = $1")
        .bind(thought)
        .fetch_one(&mut *db)
        .await?;
    let note_id = note["id"].as_str().unwrap_or_default().to_owned();
    let activity = vocab::activity(
        "Delete",
        &format!("{note_id}#delete"),
        note["attributedTo"].as_str().unwrap_or_default(),
        json!({ "id": note_id, "type": "Tombstone" }),
        &[super::urls::PUBLIC.to_owned()],
        &[],
    );
    enqueue(db, Some(author), &activity, inboxes).await
}

/// `local` accepts the Follow `follow` of the remote `follower`.
pub async fn accept_follow(
    db: &mut PgConnection,
    urls: Urls<'_>,
    local: Uuid,
    follower: Uuid,
    follow: &Value,
) -> Result<(), AppError> {
    answer_follow(db, urls, "Accept", local, follower, follow).await
}

/// `local` refuses the Follow `follow` of the remote `follower` (a block stands between them).
pub async fn reject_follow(
    db: &mut PgConnection,
    urls: Urls<'_>,
    local: Uuid,
    follower: Uuid,
    follow: &Value,
) -> Result<(), AppError> {
    answer_follow(db, urls, "Reject", local, follower, follow).await
}

/// An Accept or Reject carrying the original Follow inline, to the follower's inbox.
async fn answer_follow(
    db: &mut PgConnection,
    urls: Urls<'_>,
    kind: &str,
    local: Uuid,
    follower: Uuid,
    follow: &Value,
) -> Result<(), AppError> {
    let Some(inbox) = inbox_of(db, follower).await? else {
        return Ok(());
    };
    let name = username(db, local).await?;
    let mut object = follow.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("@context");
    }
    let activity = vocab::activity(
        kind,
        &urls.new_activity(),
        &urls.actor(&name),
        object,
        &[],
        &[],
    );
    enqueue(db, Some(local), &activity, vec![inbox]).await
}

/// `user` edited their profile: their remote followers get the new actor document.
pub async fn profile_updated(
    db: &mut PgConnection,
    urls: Urls<'_>,
    user: Uuid,
    person: Value,
) -> Result<(), AppError> {
    let inboxes = follower_inboxes(db, user).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let actor = person["id"].as_str().unwrap_or_default().to_owned();
    let mut object = person;
    if let Some(map) = object.as_object_mut() {
        map.remove("@context");
    }
    let activity = vocab::activity(
        "Update",
        &urls.new_activity(),
        &actor,
        object,
        &[super::urls::PUBLIC.to_owned()],
        &[],
    );
    enqueue(db, Some(user), &activity, inboxes).await
}

/// The actor id of a local user.
async fn actor_of(db: &mut PgConnection, urls: Urls<'_>, user: Uuid) -> Result<String, AppError> {
    Ok(urls.actor(&username(db, user).await?))
}

/// The ActivityPub id of a remote user.
async fn ap_id_of(db: &mut PgConnection, user: Uuid) -> Result<String, AppError> {
    let id: Option<String> = sqlx::query_scalar("SELECT ap_id FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&mut *db)
        .await?;
    id.ok_or(AppError::Internal)
}

/// `follower` asks the remote `target` to be followed; returns the Follow's id (kept with
/// the follow, so the Accept and a later Undo can name it).
pub async fn follow(
    db: &mut PgConnection,
    urls: Urls<'_>,
    follower: Uuid,
    target: Uuid,
) -> Result<String, AppError> {
    let id = urls.new_activity();
    let object = ap_id_of(db, target).await?;
    let activity = vocab::activity(
        "Follow",
        &id,
        &actor_of(db, urls, follower).await?,
        json!(object),
        std::slice::from_ref(&object),
        &[],
    );
    let inbox = inbox_of(db, target).await?.into_iter().collect();
    enqueue(db, Some(follower), &activity, inbox).await?;
    Ok(id)
}

/// Undoes `actor`'s earlier activity `original` (its id, type and object), sent to `inboxes`.
async fn undo(
    db: &mut PgConnection,
    urls: Urls<'_>,
    actor: Uuid,
    original: Value,
    inboxes: Vec<String>,
) -> Result<(), AppError> {
    let actor_id = actor_of(db, urls, actor).await?;
    let activity = vocab::activity("Undo", &urls.new_activity(), &actor_id, original, &[], &[]);
    enqueue(db, Some(actor), &activity, inboxes).await
}

/// `follower` stops following the remote `target` (whose Follow had id `follow_id`).
pub async fn unfollow(
    db: &mut PgConnection,
    urls: Urls<'_>,
    follower: Uuid,
    target: Uuid,
    follow_id: Option<String>,
) -> Result<(), AppError> {
    let actor = actor_of(db, urls, follower).await?;
    let object = ap_id_of(db, target).await?;
    let follow_id = follow_id.unwrap_or_else(|| urls.new_activity());
    let original = json!({ "id": follow_id, "type": "Follow", "actor": actor, "object": object });
    let inbox = inbox_of(db, target).await?.into_iter().collect();
    undo(db, urls, follower, original, inbox).await
}

/// `blocker` blocks the remote `blocked` with the Block `id`.
pub async fn block_with_id(
    db: &mut PgConnection,
    urls: Urls<'_>,
    blocker: Uuid,
    blocked: Uuid,
    id: &str,
) -> Result<(), AppError> {
    let object = ap_id_of(db, blocked).await?;
    let activity = vocab::activity(
        "Block",
        id,
        &actor_of(db, urls, blocker).await?,
        json!(object),
        std::slice::from_ref(&object),
        &[],
    );
    let inbox = inbox_of(db, blocked).await?.into_iter().collect();
    enqueue(db, Some(blocker), &activity, inbox).await
}

pub async fn unblock(
    db: &mut PgConnection,
    urls: Urls<'_>,
    blocker: Uuid,
    blocked: Uuid,
    block_id: Option<String>,
) -> Result<(), AppError> {
    let actor = actor_of(db, urls, blocker).await?;
    let object = ap_id_of(db, blocked).await?;
    let original = json!({ "id": block_id.unwrap_or_else(|| urls.new_activity()), "type": "Block", "actor": actor, "object": object });
    let inbox = inbox_of(db, blocked).await?.into_iter().collect();
    undo(db, urls, blocker, original, inbox).await
}

/// The id of a thought as the network knows it, its author, and whether that author is remote.
async fn thought_identity(
    db: &mut PgConnection,
    urls: Urls<'_>,
    thought: Uuid,
) -> Result<(String, Uuid, bool), AppError> {
    let (ap_id, author, username, remote): (Option<String>, Uuid, String, bool) = sqlx::query_as(
        "SELECT t.ap_id, t.user_id, u.username, u.is_remote FROM thoughts t JOIN users u ON u.id = t.user_id WHERE t.id = $1",
    )
    .bind(thought)
    .fetch_one(&mut *db)
    .await?;
    Ok((
        ap_id.unwrap_or_else(|| urls.note(&username, thought)),
        author,
        remote,
    ))
}

/// Who hears of a like or boost: the thought's remote author, and for a boost also the
/// booster's remote followers.
async fn reaction_inboxes(
    db: &mut PgConnection,
    actor: Uuid,
    author: Uuid,
    author_remote: bool,
    boost: bool,
) -> Result<Vec<String>, AppError> {
    let mut inboxes = Vec::new();
    if author_remote {
        inboxes.extend(inbox_of(db, author).await?);
    }
    if boost {
        inboxes.extend(follower_inboxes(db, actor).await?);
    }
    Ok(inboxes)
}

/// `actor` liked (Like) or boosted (Announce) `thought`; returns the activity's id, or None
/// when nobody elsewhere needs to hear of it.
pub async fn reacted(
    db: &mut PgConnection,
    urls: Urls<'_>,
    actor: Uuid,
    thought: Uuid,
    boost: bool,
) -> Result<Option<String>, AppError> {
    let (object, author, author_remote) = thought_identity(db, urls, thought).await?;
    let inboxes = reaction_inboxes(db, actor, author, author_remote, boost).await?;
    if inboxes.is_empty() {
        return Ok(None);
    }
    let id = urls.new_activity();
    let actor_id = actor_of(db, urls, actor).await?;
    let activity = if boost {
        let (to, cc) = (
            vec![super::urls::PUBLIC.to_owned()],
            vec![urls.followers(&username(db, actor).await?)],
        );
        let mut activity = vocab::activity("Announce", &id, &actor_id, json!(object), &to, &cc);
        activity["published"] = json!(vocab::timestamp(chrono::Utc::now()));
        activity
    } else {
        vocab::activity("Like", &id, &actor_id, json!(object), &[], &[])
    };
    enqueue(db, Some(actor), &activity, inboxes).await?;
    Ok(Some(id))
}

/// `actor` took back a like or boost of `thought` that had the id `reaction_id`.
pub async fn unreacted(
    db: &mut PgConnection,
    urls: Urls<'_>,
    actor: Uuid,
    thought: Uuid,
    boost: bool,
    reaction_id: Option<String>,
) -> Result<(), AppError> {
    let (object, author, author_remote) = thought_identity(db, urls, thought).await?;
    let inboxes = reaction_inboxes(db, actor, author, author_remote, boost).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let actor_id = actor_of(db, urls, actor).await?;
    let kind = if boost { "Announce" } else { "Like" };
    let original = json!({ "id": reaction_id.unwrap_or_else(|| urls.new_activity()), "type": kind, "actor": actor_id, "object": object });
    undo(db, urls, actor, original, inboxes).await
}
