//! The client API's streaming (Mastodon's streams and events), decided per recipient.
//!
//! Every server process hears every change on the live hub ([`super::live`]); for each
//! connected person and each stream they subscribed to, [`should_stream`] decides what, if
//! anything, they are sent. It is the ONE place of that decision: a thought is read for the
//! recipient only through [`visibility::thoughts`] (blocks included), a notification only
//! through [`notifications::one`] (its own rule, mutes and filters included), a deletion only
//! to whoever could have seen the thought. Mutes and `hide` filters leave a thought out as
//! they do on the timeline the stream follows ([`timeline::kept_in_feed`]); `warn` filters
//! mark it ([`filters::apply`]).

use uuid::Uuid;

use super::{
    filters::{self, Context},
    live::Change,
    notifications, timeline,
    visibility::{self, blocked_between, may_see, visible_to, Arg},
};
use crate::{error::AppError, model::ThoughtView};

/// A stream a client may subscribe to (Mastodon's names in the client API).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The home timeline (the person's own thoughts and those of the people they follow),
    /// and their notifications when `notifications` (the key may read them).
    User { notifications: bool },
    /// Notifications only.
    UserNotification,
    /// Everyone's public thoughts (as the public timeline).
    Public,
    /// Public thoughts by people of this server.
    PublicLocal,
    /// Public thoughts with a tag (lower case, without `#`).
    Hashtag(String),
    /// Public thoughts with a tag by people of this server.
    HashtagLocal(String),
}

impl Stream {
    /// The tag of a hashtag stream as stored (`#Rust` and `rust` are one tag).
    pub fn tag_name(raw: &str) -> String {
        raw.trim().trim_start_matches('#').to_lowercase()
    }

    fn tag(&self) -> Option<&str> {
        match self {
            Stream::Hashtag(tag) | Stream::HashtagLocal(tag) => Some(tag),
            _ => None,
        }
    }

    /// SQL: thought `t` by author `u` belongs on this stream (visibility aside, checked
    /// separately). `$1` is the recipient, `$3` the stream's tag; `tags` is SQL listing the
    /// thought's tags.
    fn holds(&self, tags: &str) -> Option<String> {
        let followed = "(t.user_id = $1::uuid OR EXISTS (SELECT 1 FROM follows sf
                          WHERE sf.follower_id = $1::uuid AND sf.following_id = t.user_id
                            AND sf.state = 'accepted'))";
        let tagged = format!("lower($3::text) IN ({tags})");
        Some(match self {
            // As the home timeline (`timeline::Feed::Home`).
            Stream::User { .. } => followed.to_owned(),
            Stream::UserNotification => return None,
            // As the public and tag timelines: public, not unlisted.
            Stream::Public => "t.visibility = 'public'".to_owned(),
            Stream::PublicLocal => "t.visibility = 'public' AND NOT u.is_remote".to_owned(),
            Stream::Hashtag(_) => format!("t.visibility = 'public' AND {tagged}"),
            Stream::HashtagLocal(_) => {
                format!("t.visibility = 'public' AND NOT u.is_remote AND {tagged}")
            }
        })
    }

    /// The filter context the stream is read in (as its timeline).
    fn context(&self) -> Context {
        match self {
            Stream::User { .. } => Context::Home,
            Stream::UserNotification => Context::Notifications,
            _ => Context::Public,
        }
    }

    fn has_notifications(&self) -> bool {
        matches!(
            self,
            Stream::User {
                notifications: true
            } | Stream::UserNotification
        )
    }
}

/// What a recipient is sent (Mastodon's events).
#[derive(Debug, Clone)]
pub enum Event {
    /// `update`: a new thought, as the recipient sees it.
    Update(ThoughtView),
    /// `status.update`: an edited thought, as the recipient sees it.
    StatusUpdate(ThoughtView),
    /// `delete`: the thought with this id was deleted.
    Delete(Uuid),
    /// `notification`.
    Notification(notifications::Single),
}

/// What `viewer`, subscribed to `stream`, is sent of `change`, if anything.
pub async fn should_stream(
    pool: &sqlx::PgPool,
    viewer: Uuid,
    stream: &Stream,
    change: &Change,
) -> Result<Option<Event>, AppError> {
    match change {
        Change::Thought { id, .. } => {
            Ok(shown(pool, viewer, stream, *id).await?.map(Event::Update))
        }
        Change::ThoughtEdited { id, .. } => Ok(shown(pool, viewer, stream, *id)
            .await?
            .map(Event::StatusUpdate)),
        Change::ThoughtDeleted {
            id,
            tags,
            mentioned,
            ..
        } => Ok(could_have_seen(pool, viewer, stream, *id, tags, mentioned)
            .await?
            .then_some(Event::Delete(*id))),
        Change::Unread {
            user,
            notification: Some(notification),
        } if *user == viewer && stream.has_notifications() => {
            match notifications::one(pool, viewer, *notification).await {
                Ok(found) => Ok(Some(Event::Notification(found))),
                // Dismissed meanwhile, or hidden by the notification rules.
                Err(AppError::NotFound) => Ok(None),
                Err(error) => Err(error),
            }
        }
        Change::Boosted { id, .. } => Ok(boost_shown(pool, viewer, stream, *id)
            .await?
            .map(Event::Update)),
        Change::Unboosted { id, booster, .. } => {
            Ok(boost_was_streamed(pool, viewer, stream, *booster)
                .await?
                .then_some(Event::Delete(*id)))
        }
        Change::Unread { .. } | Change::KeyRevoked { .. } => Ok(None),
    }
}

/// SQL: `booster`'s boosts reach `$1::uuid`'s home (their own, or someone they follow), as
/// in `timeline::Feed::Home`.
fn boosts_reach_home(booster: &str) -> String {
    format!(
        "({booster} = $1::uuid OR EXISTS (SELECT 1 FROM follows sf WHERE sf.follower_id = $1::uuid
                                             AND sf.following_id = {booster} AND sf.state = 'accepted'))"
    )
}

/// The boost `id` as `viewer` sees it (a reblog wrapping the thought), if it belongs on
/// `stream`: only the home stream carries boosts, as Mastodon's public and hashtag streams
/// do not.
async fn boost_shown(
    pool: &sqlx::PgPool,
    viewer: Uuid,
    stream: &Stream,
    id: Uuid,
) -> Result<Option<ThoughtView>, AppError> {
    if !matches!(stream, Stream::User { .. }) {
        return Ok(None);
    }
    let candidates = format!(
        "SELECT b.thought_id, b.created_at AS listed_at, bu.username AS boosted_by
           FROM boosts b JOIN users bu ON bu.id = b.user_id JOIN thoughts t ON t.id = b.thought_id
          WHERE b.id = $2 AND {} AND {} AND {}",
        boosts_reach_home("b.user_id"),
        visible_to("t", "$1::uuid"),
        timeline::kept_in_feed("t", Some("b.user_id"), "$1::uuid", Context::Home),
    );
    let mut found = visibility::thoughts(
        pool,
        Some(viewer),
        &candidates,
        "t.id",
        vec![Arg::Uuid(Some(id))],
    )
    .await?;
    filters::apply(pool, Some(viewer), Context::Home, &mut found).await?;
    Ok(found.pop())
}

/// Whether a boost by `booster`, now taken back, went to `viewer`'s home stream (so its
/// status is deleted there).
async fn boost_was_streamed(
    pool: &sqlx::PgPool,
    viewer: Uuid,
    stream: &Stream,
    booster: Uuid,
) -> Result<bool, AppError> {
    if !matches!(stream, Stream::User { .. }) {
        return Ok(false);
    }
    let sql = format!(
        "SELECT {} AND NOT {}",
        boosts_reach_home("$2::uuid"),
        blocked_between("$2::uuid", "$1::uuid"),
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(viewer)
        .bind(booster)
        .fetch_one(pool)
        .await?)
}

/// Thought `id` as `viewer` sees it, if it belongs on `stream` and they may see it.
async fn shown(
    pool: &sqlx::PgPool,
    viewer: Uuid,
    stream: &Stream,
    id: Uuid,
) -> Result<Option<ThoughtView>, AppError> {
    let Some(holds) = stream.holds(
        "SELECT g.name FROM thought_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.thought_id = t.id",
    ) else {
        return Ok(None);
    };
    let context = stream.context();
    let candidates = format!(
        "SELECT t.id AS thought_id, t.created_at AS listed_at, NULL::text AS boosted_by
           FROM thoughts t JOIN users u ON u.id = t.user_id
          WHERE t.id = $2 AND {holds} AND {} AND {}",
        visible_to("t", "$1::uuid"),
        timeline::kept_in_feed("t", None, "$1::uuid", context),
    );
    let args = vec![
        Arg::Uuid(Some(id)),
        Arg::Text(stream.tag().map(str::to_owned)),
    ];
    let mut found = visibility::thoughts(pool, Some(viewer), &candidates, "t.id", args).await?;
    // `warn` filters mark it (Status `filtered`), as on the timelines.
    filters::apply(pool, Some(viewer), context, &mut found).await?;
    Ok(found.pop())
}

/// Whether the deleted thought `id` belonged on `stream` and `viewer` could have seen it.
/// Its tags and mentions are gone by now, so the ones it had come with the announcement.
async fn could_have_seen(
    pool: &sqlx::PgPool,
    viewer: Uuid,
    stream: &Stream,
    id: Uuid,
    tags: &[String],
    mentioned: &[Uuid],
) -> Result<bool, AppError> {
    let Some(holds) = stream.holds("SELECT unnest($4::text[])") else {
        return Ok(false);
    };
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM thoughts t JOIN users u ON u.id = t.user_id
                         WHERE t.id = $2 AND {holds}
                           AND ({} OR ($1::uuid = ANY($5::uuid[]) AND NOT {})))",
        may_see("t", "$1::uuid"),
        blocked_between("t.user_id", "$1::uuid"),
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(viewer)
        .bind(id)
        .bind(stream.tag())
        .bind(tags)
        .bind(mentioned)
        .fetch_one(pool)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_one_whatever_its_case_or_hash() {
        assert_eq!(Stream::tag_name("#Rust "), "rust");
        assert_eq!(Stream::tag_name("rust"), "rust");
    }

    #[test]
    fn only_the_user_streams_carry_notifications() {
        assert!(Stream::User {
            notifications: true
        }
        .has_notifications());
        assert!(!Stream::User {
            notifications: false
        }
        .has_notifications());
        assert!(Stream::UserNotification.has_notifications());
        assert!(!Stream::Public.has_notifications());
        assert!(Stream::UserNotification.holds("").is_none());
    }
}
