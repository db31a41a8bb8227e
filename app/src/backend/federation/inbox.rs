//! What an incoming activity does, once its signature is verified (by the HTTP route) and
//! its actor known. Everything goes through the app's own rules (follows, reactions,
//! thoughts, blocks, notifications), so a remote person can do exactly what a local one can.
//! An activity id already processed is acknowledged and skipped; unknown types are ignored.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{
    outbox,
    remote::{self, authority, html_to_text, RemoteActor},
    urls::{Urls, PUBLIC},
    vocab::{id_of, ids_in},
    FederationError,
};
use crate::{
    backend::{
        blocks, follows,
        reactions::{self, Reaction},
        thoughts::{self, RemoteThought, Visibility},
        Backend,
    },
    text::{is_http_url, strip_controls},
};

/// The longest id (of an activity, a note, a note replied to) we look up or keep.
const MAX_ID_BYTES: usize = 2048;

/// Handles one verified activity from `actor`.
pub async fn receive(
    backend: &Backend,
    actor: &RemoteActor,
    activity: &Value,
) -> Result<(), FederationError> {
    let id = activity
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| FederationError::BadRequest("the activity has no id".into()))?;
    if !is_http_url(id) || id.len() > MAX_ID_BYTES {
        return Err(FederationError::BadRequest(
            "the activity's id is not an http(s) URL".into(),
        ));
    }
    if activity.get("actor").and_then(id_of) != Some(actor.ap_id.as_str()) {
        return Err(FederationError::Forbidden(
            "the activity's actor is not the signer".into(),
        ));
    }
    if authority(id) != authority(&actor.ap_id) {
        return Err(FederationError::Forbidden(
            "the activity's id is not on its actor's server".into(),
        ));
    }
    super::servers::heard_from(backend, &actor.ap_id).await?;
    let seen: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM received_activities WHERE activity_id = $1)",
    )
    .bind(id)
    .fetch_one(&backend.pool)
    .await?;
    if seen {
        return Ok(());
    }
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let object = activity.get("object").unwrap_or(&Value::Null);
    match kind {
        "Follow" => follow(backend, actor, activity, object).await?,
        "Undo" => undo(backend, actor, object).await?,
        "Accept" => answer_to_follow(backend, actor, object, true).await?,
        "Reject" => answer_to_follow(backend, actor, object, false).await?,
        "Create" => create(backend, actor, object).await?,
        "Update" => update(backend, actor, object).await?,
        "Delete" => delete(backend, actor, object).await?,
        "Like" => react(backend, actor, id, object, Reaction::Like).await?,
        "Announce" => react(backend, actor, id, object, Reaction::Boost).await?,
        "Block" => block(backend, actor, id, object).await?,
        other => tracing::debug!(
            kind = other,
            "ignoring an activity of a type we do not handle"
        ),
    }
    // Processed: a redelivery of the same id is acknowledged without effect.
    sqlx::query("INSERT INTO received_activities (activity_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(id)
        .execute(&backend.pool)
        .await?;
    Ok(())
}

/// The local user an object id names, if any.
async fn local_user(backend: &Backend, object: &Value) -> Result<Option<Uuid>, FederationError> {
    let Some(name) = id_of(object).and_then(|id| Urls::new(&backend.public_url).local_username(id))
    else {
        return Ok(None);
    };
    Ok(
        sqlx::query_scalar("SELECT id FROM users WHERE username = $1 AND NOT is_remote")
            .bind(name)
            .fetch_optional(&backend.pool)
            .await?,
    )
}

async fn follow(
    backend: &Backend,
    actor: &RemoteActor,
    activity: &Value,
    object: &Value,
) -> Result<(), FederationError> {
    let Some(target) = local_user(backend, object).await? else {
        return Ok(());
    };
    let urls = Urls::new(&backend.public_url);
    let mut transaction = backend.pool.begin().await?;
    let follow_id = activity["id"].as_str().unwrap_or_default();
    match follows::follow_from_remote(&mut transaction, actor.user_id, target, follow_id).await? {
        follows::RemoteFollow::Accepted => {
            outbox::accept_follow(&mut transaction, urls, target, actor.user_id, activity).await?
        }
        // The local person answers later, from their requests.
        follows::RemoteFollow::Requested => {}
        follows::RemoteFollow::Refused => {
            outbox::reject_follow(&mut transaction, urls, target, actor.user_id, activity).await?
        }
    }
    transaction.commit().await?;
    Ok(())
}

async fn undo(
    backend: &Backend,
    actor: &RemoteActor,
    object: &Value,
) -> Result<(), FederationError> {
    let Some(undone) = id_of(object) else {
        return Ok(());
    };
    let inner_kind = object.get("type").and_then(Value::as_str);
    let inner_object = object.get("object").unwrap_or(&Value::Null);
    match inner_kind {
        Some("Follow") | None => {
            let target = local_user(backend, inner_object).await?;
            follows::remove_remote(&backend.pool, actor.user_id, undone, target).await?;
        }
        _ => {}
    }
    if matches!(inner_kind, Some("Like" | "Announce") | None) {
        let reaction = match reactions::by_ap_id(&backend.pool, actor.user_id, undone).await? {
            Some(found) => Some(found),
            None => {
                let thought = id_of(inner_object)
                    .and_then(|id| Urls::new(&backend.public_url).local_thought(id));
                match (inner_kind, thought) {
                    (Some("Like"), Some(thought)) => Some((Reaction::Like, thought)),
                    (Some("Announce"), Some(thought)) => Some((Reaction::Boost, thought)),
                    _ => None,
                }
            }
        };
        if let Some((reaction, thought)) = reaction {
            reactions::set_remote(
                &backend.pool,
                actor.user_id,
                thought,
                reaction,
                false,
                undone,
            )
            .await?;
        }
    }
    if matches!(inner_kind, Some("Block") | None) {
        blocks::unblock_from_remote(
            &backend.pool,
            actor.user_id,
            undone,
            local_user(backend, inner_object).await?,
        )
        .await?;
    }
    Ok(())
}

/// Accept or Reject of a Follow we sent.
async fn answer_to_follow(
    backend: &Backend,
    actor: &RemoteActor,
    object: &Value,
    accepted: bool,
) -> Result<(), FederationError> {
    let follow_id = id_of(object);
    // Some servers answer with the Follow's id only, others embed it; its actor is ours.
    let follower = local_user(backend, object.get("actor").unwrap_or(&Value::Null)).await?;
    follows::answered_by_remote(&backend.pool, actor.user_id, follow_id, follower, accepted)
        .await?;
    Ok(())
}

async fn create(
    backend: &Backend,
    actor: &RemoteActor,
    object: &Value,
) -> Result<(), FederationError> {
    let note = match object {
        Value::String(id) => {
            let signer = remote::instance_signer(backend).await?;
            backend.federation.get(id, &signer).await?
        }
        other => other.clone(),
    };
    if note.get("type").and_then(Value::as_str) != Some("Note") {
        return Ok(());
    }
    let Some(thought) = parse_note(backend, actor, &note).await? else {
        return Ok(());
    };
    if !concerns_local_people(backend, actor, &thought).await? {
        tracing::debug!(note = %thought.ap_id, "ignoring a note that concerns nobody here");
        return Ok(());
    }
    thoughts::store_remote(&backend.pool, thought).await?;
    Ok(())
}

/// A note worth keeping: it replies to or mentions someone here, or its author has followers here.
async fn concerns_local_people(
    backend: &Backend,
    actor: &RemoteActor,
    thought: &RemoteThought,
) -> Result<bool, FederationError> {
    if thought.reply_to.is_some() || !thought.mentions.is_empty() {
        return Ok(true);
    }
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM follows f JOIN users u ON u.id = f.follower_id
                         WHERE f.following_id = $1 AND f.state = 'accepted' AND NOT u.is_remote)",
    )
    .bind(actor.user_id)
    .fetch_one(&backend.pool)
    .await?)
}

/// A Note by `actor` as a thought to store (see [`parse_note`]).
pub async fn note_from(
    backend: &Backend,
    actor: &RemoteActor,
    note: &Value,
) -> Result<Option<RemoteThought>, FederationError> {
    parse_note(backend, actor, note).await
}

/// The most a remote note's HTML may weigh, as sent and once cleaned. Notes over it are
/// refused, not cut: a cut note would put words in its author's mouth (or drop them), and
/// no fediverse server's own limit comes near (Mastodon's is 500 characters).
pub const MAX_REMOTE_HTML_BYTES: usize = 64 * 1024;

/// A Note as read from its document alone, before what needs the database.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReadNote {
    pub ap_id: String,
    /// Plain text without control characters (line breaks and tabs kept).
    pub text: String,
    /// Cleaned HTML ([`clean_html`]), at most [`MAX_REMOTE_HTML_BYTES`].
    pub html: String,
    pub url: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// The id of the note it replies to, if it is an http(s) URL.
    pub in_reply_to: Option<String>,
    pub tags: Vec<String>,
    /// Local usernames it mentions (by tag or by addressing).
    pub mentions: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The content warning (`summary`), without control characters, and `sensitive`.
    pub summary: thoughts::ContentWarning,
    pub sensitive: bool,
}

/// Reads a Note by the actor `actor_id`: pure, so it is testable on its own (see
/// [`parse_note`] for the rest). Refused when it is not the actor's, has no http(s) id, or
/// its content is over [`MAX_REMOTE_HTML_BYTES`].
pub(crate) fn read_note(
    urls: Urls<'_>,
    actor_id: &str,
    note: &Value,
    now: DateTime<Utc>,
) -> Result<ReadNote, FederationError> {
    let bad = |why: &str| FederationError::BadRequest(format!("the note {why}"));
    let ap_id = note
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("has no id"))?;
    if !is_http_url(ap_id) || ap_id.len() > MAX_ID_BYTES {
        return Err(bad("has an id that is not an http(s) URL"));
    }
    if authority(ap_id) != authority(actor_id) {
        return Err(FederationError::Forbidden(
            "the note is not on its actor's server".into(),
        ));
    }
    if note
        .get("attributedTo")
        .and_then(|a| ids_in(a).into_iter().next())
        .as_deref()
        != Some(actor_id)
    {
        return Err(FederationError::Forbidden(
            "the note is not attributed to its sender".into(),
        ));
    }
    let content = note
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let too_large = || {
        bad(&format!(
            "is larger than {} KiB",
            MAX_REMOTE_HTML_BYTES / 1024
        ))
    };
    if content.len() > MAX_REMOTE_HTML_BYTES {
        return Err(too_large());
    }
    let html = strip_controls(&clean_html(content), true);
    // Cleaning escapes what it keeps as text, which can make it longer.
    if html.len() > MAX_REMOTE_HTML_BYTES {
        return Err(too_large());
    }
    let text = strip_controls(&html_to_text(&html), true).trim().to_owned();
    let to = ids_in(note.get("to").unwrap_or(&Value::Null));
    let cc = ids_in(note.get("cc").unwrap_or(&Value::Null));
    let in_reply_to = note
        .get("inReplyTo")
        .and_then(id_of)
        .filter(|id| is_http_url(id) && id.len() <= MAX_ID_BYTES)
        .map(str::to_owned);
    let tag_items = match note.get("tag") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => vec![],
    };
    let mut tags = Vec::new();
    let mut mentions = Vec::new();
    for item in &tag_items {
        match item.get("type").and_then(Value::as_str) {
            Some("Hashtag") => {
                if let Some(name) = item.get("name").and_then(Value::as_str) {
                    let name = name.trim_start_matches('#').to_lowercase();
                    if !name.is_empty()
                        && name.chars().count() <= 50
                        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                    {
                        tags.push(name);
                    }
                }
            }
            Some("Mention") => {
                if let Some(name) = item
                    .get("href")
                    .and_then(Value::as_str)
                    .and_then(|href| urls.local_username(href))
                {
                    mentions.push(name);
                }
            }
            _ => {}
        }
    }
    // Addressed directly to someone here counts as a mention (Mastodon's direct messages do both).
    for id in to.iter().chain(&cc) {
        if let Some(name) = urls.local_username(id) {
            if !mentions.contains(&name) {
                mentions.push(name);
            }
        }
    }
    let created_at = note
        .get("published")
        .and_then(Value::as_str)
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&Utc))
        .filter(|at| *at <= now + chrono::Duration::minutes(5))
        .unwrap_or(now);
    let url = note.get("url").and_then(|url| {
        ids_in(url)
            .into_iter()
            .find(|url| is_http_url(url) && url.len() <= MAX_ID_BYTES)
    });
    Ok(ReadNote {
        ap_id: ap_id.to_owned(),
        text,
        html,
        url,
        to,
        cc,
        in_reply_to,
        tags,
        mentions,
        created_at,
        summary: thoughts::ContentWarning::from_remote(note.get("summary").and_then(Value::as_str)),
        sensitive: note
            .get("sensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// Who may see a note, from its addressing (`followers`: its author's collection, if known).
fn visibility_of(to: &[String], cc: &[String], followers: Option<&str>) -> Visibility {
    let is_public = |id: &String| id == PUBLIC || id == "as:Public" || id == "Public";
    if to.iter().any(is_public) {
        Visibility::Public
    } else if cc.iter().any(is_public) {
        Visibility::Unlisted
    } else if followers.is_some_and(|followers| to.iter().chain(cc).any(|id| id == followers)) {
        Visibility::Followers
    } else {
        Visibility::Private
    }
}

/// Reads a Note by `actor` into a thought: cleaned HTML, its text, visibility from its
/// addressing, the thought it replies to (if we have it), tags and local mentions.
async fn parse_note(
    backend: &Backend,
    actor: &RemoteActor,
    note: &Value,
) -> Result<Option<RemoteThought>, FederationError> {
    let urls = Urls::new(&backend.public_url);
    let read = read_note(urls, &actor.ap_id, note, Utc::now())?;
    let followers: Option<String> =
        sqlx::query_scalar("SELECT followers_url FROM remote_actors WHERE ap_url = $1")
            .bind(&actor.ap_id)
            .fetch_optional(&backend.pool)
            .await?
            .flatten();
    let visibility = visibility_of(&read.to, &read.cc, followers.as_deref());
    let reply_to = match read.in_reply_to.as_deref() {
        None => None,
        Some(parent) => match urls.local_thought(parent) {
            Some(local) => Some(local),
            None => {
                sqlx::query_scalar("SELECT id FROM thoughts WHERE ap_id = $1")
                    .bind(parent)
                    .fetch_optional(&backend.pool)
                    .await?
            }
        },
    };
    Ok(Some(RemoteThought {
        ap_id: read.ap_id,
        author: actor.user_id,
        text: read.text,
        html: read.html,
        url: read.url,
        visibility,
        created_at: read.created_at,
        reply_to,
        tags: read.tags,
        mentions: read.mentions,
        summary: read.summary,
        sensitive: read.sensitive,
    }))
}

/// Remote HTML cut down to what Mastodon itself keeps: paragraphs, line breaks, links and
/// spans (with their mention/hashtag classes), and simple emphasis. Links get
/// `rel="nofollow noopener noreferrer"`; everything else is dropped or escaped.
pub fn clean_html(html: &str) -> String {
    use std::collections::{HashMap, HashSet};
    let tags: HashSet<&str> = [
        "p",
        "br",
        "a",
        "span",
        "del",
        "pre",
        "code",
        "em",
        "strong",
        "b",
        "i",
        "u",
        "ul",
        "ol",
        "li",
        "blockquote",
    ]
    .into_iter()
    .collect();
    let mut attributes: HashMap<&str, HashSet<&str>> = HashMap::new();
    // `class` is filtered by `allowed_classes` below.
    attributes.insert("a", ["href"].into_iter().collect());
    let classes: HashMap<&str, HashSet<&str>> = [
        (
            "a",
            [
                "mention",
                "hashtag",
                "u-url",
                "status-link",
                "unhandled-link",
            ]
            .into_iter()
            .collect(),
        ),
        (
            "span",
            ["h-card", "invisible", "ellipsis"].into_iter().collect(),
        ),
    ]
    .into_iter()
    .collect();
    let mut builder = ammonia::Builder::default();
    builder
        .tags(tags)
        .tag_attributes(attributes)
        .generic_attributes(HashSet::new())
        .allowed_classes(classes)
        .url_schemes(["http", "https"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"));
    builder.clean(html).to_string()
}

async fn update(
    backend: &Backend,
    actor: &RemoteActor,
    object: &Value,
) -> Result<(), FederationError> {
    match object.get("type").and_then(Value::as_str) {
        Some("Note") => {
            let Some(thought) = parse_note(backend, actor, object).await? else {
                return Ok(());
            };
            // `updated` says when it was edited; one in the future is now.
            let now = Utc::now();
            let edited_at = object
                .get("updated")
                .and_then(Value::as_str)
                .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                .map(|at| at.with_timezone(&Utc))
                .filter(|at| *at <= now)
                .unwrap_or(now);
            thoughts::update_remote(&backend.pool, &thought, edited_at).await?;
        }
        Some("Person" | "Service" | "Application" | "Group" | "Organization") => {
            if id_of(object) != Some(actor.ap_id.as_str()) {
                return Err(FederationError::Forbidden(
                    "an actor may only update itself".into(),
                ));
            }
            remote::store_actor(backend, &actor.ap_id, object).await?;
        }
        _ => {}
    }
    Ok(())
}

async fn delete(
    backend: &Backend,
    actor: &RemoteActor,
    object: &Value,
) -> Result<(), FederationError> {
    let Some(id) = id_of(object) else {
        return Ok(());
    };
    if id == actor.ap_id {
        // The account is gone: its row, and with it its follows, likes, thoughts, notifications.
        sqlx::query("DELETE FROM users WHERE id = $1 AND is_remote")
            .bind(actor.user_id)
            .execute(&backend.pool)
            .await?;
        return Ok(());
    }
    thoughts::delete_remote(&backend.pool, actor.user_id, id).await?;
    Ok(())
}

async fn react(
    backend: &Backend,
    actor: &RemoteActor,
    id: &str,
    object: &Value,
    reaction: Reaction,
) -> Result<(), FederationError> {
    let Some(object_id) = id_of(object) else {
        return Ok(());
    };
    let thought = match Urls::new(&backend.public_url).local_thought(object_id) {
        Some(local) => Some(local),
        None => {
            sqlx::query_scalar("SELECT id FROM thoughts WHERE ap_id = $1")
                .bind(object_id)
                .fetch_optional(&backend.pool)
                .await?
        }
    };
    let Some(thought) = thought else {
        return Ok(());
    };
    match reactions::set_remote(&backend.pool, actor.user_id, thought, reaction, true, id).await {
        // Not visible to them, or a block stands between: nothing happens, as for a local person.
        Err(crate::error::AppError::NotFound | crate::error::AppError::Forbidden) => Ok(()),
        other => Ok(other?),
    }
}

async fn block(
    backend: &Backend,
    actor: &RemoteActor,
    id: &str,
    object: &Value,
) -> Result<(), FederationError> {
    let Some(target) = local_user(backend, object).await? else {
        return Ok(());
    };
    blocks::block_ids(&backend.pool, actor.user_id, target, Some(id)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{clean_html, read_note, FederationError, Urls, MAX_REMOTE_HTML_BYTES};
    use serde_json::json;

    const ACTOR: &str = "https://m.example/users/bo";

    fn note(content: &str) -> serde_json::Value {
        json!({ "id": "https://m.example/users/bo/notes/1", "type": "Note", "attributedTo": ACTOR, "content": content })
    }

    fn read(note: &serde_json::Value) -> Result<super::ReadNote, FederationError> {
        read_note(
            Urls::new("https://ts.example"),
            ACTOR,
            note,
            chrono::Utc::now(),
        )
    }

    #[test]
    fn oversized_notes_are_refused_as_sent_and_once_cleaned() {
        let error = read(&note(&"a".repeat(MAX_REMOTE_HTML_BYTES + 1))).unwrap_err();
        assert!(
            matches!(&error, FederationError::BadRequest(why) if why.contains("64 KiB")),
            "{error}"
        );
        // Under the limit as sent, over it once every `&` is written `&amp;`.
        assert!(read(&note(&"&".repeat(MAX_REMOTE_HTML_BYTES / 2))).is_err());
        // A 128-character thought of combining marks is 1.8 MB: refused long before.
        let zalgo = format!("<p>a{}</p>", "\u{301}".repeat(900_000));
        assert!(read(&note(&zalgo)).is_err());
        assert_eq!(read(&note("<p>fine</p>")).unwrap().text, "fine");
    }

    #[test]
    fn note_text_loses_its_control_characters_and_keeps_its_lines() {
        let read = read(&note("<p>one\u{0}\u{1b}[2J&#7;</p><p>two\tcols</p>")).unwrap();
        assert_eq!(read.text, "one[2J\n\ntwo\tcols");
        assert!(
            !read.html.contains(['\u{0}', '\u{1b}', '\u{7}']),
            "{}",
            read.html
        );
    }

    #[test]
    fn note_addresses_and_mentions_are_checked() {
        let mut hostile = note("hi");
        hostile["url"] = json!("javascript:alert(1)");
        hostile["inReplyTo"] = json!("https://m.example/notes/\u{0}");
        hostile["tag"] = json!([{ "type": "Mention", "href": "https://ts.example/users/an\u{0}a" },
                                { "type": "Mention", "href": "https://ts.example/users/ana" }]);
        let read = read(&hostile).unwrap();
        assert_eq!(
            (read.url, read.in_reply_to, read.mentions),
            (None, None, vec!["ana".to_owned()])
        );
        let mut no_url_id = note("hi");
        no_url_id["id"] = json!("urn:x:m.example");
        assert!(matches!(
            self::read(&no_url_id),
            Err(FederationError::BadRequest(_))
        ));
    }

    #[test]
    fn remote_html_is_cut_down_to_mastodons_set() {
        assert_eq!(
            clean_html(
                r#"<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">x</a> <a href="https://m.example/@bo" class="u-url mention evil">@bo</a><img src=x></p>"#
            ),
            r#"<p>Hi <a rel="nofollow noopener noreferrer">x</a> <a href="https://m.example/@bo" class="u-url mention" rel="nofollow noopener noreferrer">@bo</a></p>"#
        );
        assert_eq!(
            clean_html("<style>body{}</style><iframe></iframe>text"),
            "text"
        );
    }
}
