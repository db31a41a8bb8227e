//! Notes from other servers: the document ([`Note`]), what it says once checked
//! ([`read_note`], pure), and the thought it becomes ([`note_from`]). Used by the inbox
//! (Create, Update), by profile refreshes (outboxes) and by search (a note fetched by address).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{
    reading::{address, authority, clean_html, html_to_text, ids, lenient, one_or_many, Reference},
    remote::RemoteActor,
    urls::{Urls, PUBLIC},
    FederationError,
};
use crate::{
    backend::{
        hashtags,
        thoughts::{self, RemoteThought, Visibility},
        Backend,
    },
    text::strip_controls,
};

/// The most a remote note's HTML may weigh, as sent and once cleaned. Notes over it are
/// refused, not cut: a cut note would put words in its author's mouth (or drop them), and
/// no fediverse server's own limit comes near (Mastodon's is 500 characters). Our own
/// thoughts' far smaller limit (`text::MAX_THOUGHT_CHARS`) is a house style, not a bound
/// on what others may say to us.
pub const MAX_REMOTE_HTML_BYTES: usize = 64 * 1024;

/// A Note document, as sent or fetched.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "ids")]
    pub attributed_to: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub content: Option<String>,
    #[serde(default, deserialize_with = "ids")]
    pub to: Vec<String>,
    #[serde(default, deserialize_with = "ids")]
    pub cc: Vec<String>,
    #[serde(default)]
    pub in_reply_to: Option<Reference>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub tag: Vec<Tag>,
    #[serde(default, deserialize_with = "lenient")]
    pub published: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub updated: Option<String>,
    #[serde(default, deserialize_with = "ids")]
    pub url: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub sensitive: Option<bool>,
}

/// An item of a note's `tag`: a Hashtag (`name`) or a Mention (`href`).
#[derive(Debug, Default, Deserialize)]
pub struct Tag {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub href: Option<String>,
}

impl Note {
    /// Reads a note document; anything but a JSON object is refused.
    pub fn read(document: &Value) -> Result<Self, FederationError> {
        Note::deserialize(document)
            .map_err(|_| FederationError::BadRequest("the note is not a JSON object".into()))
    }

    /// When it was edited (`updated`); one in the future, or none, is `now`.
    pub fn edited_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.updated
            .as_deref()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.with_timezone(&Utc))
            .filter(|at| *at <= now)
            .unwrap_or(now)
    }
}

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
/// [`note_from`] for the rest). Refused when it is not the actor's, has no http(s) id, or
/// its content is over [`MAX_REMOTE_HTML_BYTES`].
#[cfg(test)]
pub(crate) fn read_note(
    urls: Urls<'_>,
    actor_id: &str,
    note: &Value,
    now: DateTime<Utc>,
) -> Result<ReadNote, FederationError> {
    read(urls, actor_id, Note::read(note)?, now)
}

fn read(
    urls: Urls<'_>,
    actor_id: &str,
    note: Note,
    now: DateTime<Utc>,
) -> Result<ReadNote, FederationError> {
    let bad = |why: &str| FederationError::BadRequest(format!("the note {why}"));
    let ap_id = note.id.ok_or_else(|| bad("has no id"))?;
    let ap_id = address(Some(ap_id)).ok_or_else(|| bad("has an id that is not an http(s) URL"))?;
    if authority(&ap_id) != authority(actor_id) {
        return Err(FederationError::Forbidden(
            "the note is not on its actor's server".into(),
        ));
    }
    if note.attributed_to.first().map(String::as_str) != Some(actor_id) {
        return Err(FederationError::Forbidden(
            "the note is not attributed to its sender".into(),
        ));
    }
    let content = note.content.unwrap_or_default();
    let too_large = || {
        bad(&format!(
            "is larger than {} KiB",
            MAX_REMOTE_HTML_BYTES / 1024
        ))
    };
    if content.len() > MAX_REMOTE_HTML_BYTES {
        return Err(too_large());
    }
    let html = strip_controls(&clean_html(&content), true);
    // Cleaning escapes what it keeps as text, which can make it longer.
    if html.len() > MAX_REMOTE_HTML_BYTES {
        return Err(too_large());
    }
    let text = strip_controls(&html_to_text(&html), true).trim().to_owned();
    let in_reply_to = address(
        note.in_reply_to
            .as_ref()
            .and_then(Reference::id)
            .map(str::to_owned),
    );
    let mut tags = Vec::new();
    let mut mentions = Vec::new();
    for item in note.tag {
        match item.kind.as_deref() {
            // The rule of our own tags (`hashtags::name`): a tag we could not have typed is dropped.
            Some("Hashtag") => {
                if let Some(name) = item.name.and_then(|name| hashtags::name(&name, "tag").ok()) {
                    tags.push(name);
                }
            }
            Some("Mention") => {
                if let Some(name) = item.href.and_then(|href| urls.local_username(&href)) {
                    mentions.push(name);
                }
            }
            _ => {}
        }
    }
    // Addressed directly to someone here counts as a mention (Mastodon's direct messages do both).
    for id in note.to.iter().chain(&note.cc) {
        if let Some(name) = urls.local_username(id) {
            if !mentions.contains(&name) {
                mentions.push(name);
            }
        }
    }
    let created_at = note
        .published
        .as_deref()
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&Utc))
        .filter(|at| *at <= now + chrono::Duration::minutes(5))
        .unwrap_or(now);
    let url = note.url.into_iter().find_map(|url| address(Some(url)));
    Ok(ReadNote {
        ap_id,
        text,
        html,
        url,
        to: note.to,
        cc: note.cc,
        in_reply_to,
        tags,
        mentions,
        created_at,
        summary: thoughts::ContentWarning::from_remote(note.summary.as_deref()),
        sensitive: note.sensitive.unwrap_or(false),
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

/// A Note by `actor` as a thought to store: cleaned HTML, its text, visibility from its
/// addressing, the thought it replies to (if we have it), tags and local mentions.
pub async fn note_from(
    backend: &Backend,
    actor: &RemoteActor,
    note: &Value,
) -> Result<Option<RemoteThought>, FederationError> {
    thought_from(backend, actor, Note::read(note)?).await
}

/// [`note_from`] for a note already read.
pub async fn thought_from(
    backend: &Backend,
    actor: &RemoteActor,
    note: Note,
) -> Result<Option<RemoteThought>, FederationError> {
    let urls = Urls::new(&backend.public_url);
    let read = read(urls, &actor.ap_id, note, Utc::now())?;
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

#[cfg(test)]
mod tests {
    use super::{read_note, FederationError, Urls, MAX_REMOTE_HTML_BYTES};
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
    fn remote_tags_follow_the_rule_of_our_own() {
        let mut tagged = note("hi");
        let too_long = "t".repeat(crate::text::MAX_TAG_CHARS + 1);
        tagged["tag"] = json!([{ "type": "Hashtag", "name": "#Rust" }, { "type": "Hashtag", "name": "#café" },
                               { "type": "Hashtag", "name": format!("#{too_long}") },
                               { "type": "Hashtag", "name": "#no-dash" }, { "type": "Hashtag", "name": 7 },
                               "https://m.example/tags/x"]);
        assert_eq!(read(&tagged).unwrap().tags, ["rust", "café"]);
        // A single tag object (not in a list) is read too, and odd shapes elsewhere are ignored.
        tagged["tag"] = json!({ "type": "Hashtag", "name": "#one" });
        tagged["sensitive"] = json!("yes");
        tagged["to"] = json!(42);
        let read = read(&tagged).unwrap();
        assert_eq!(
            (read.tags, read.sensitive, read.to),
            (vec!["one".to_owned()], false, vec![])
        );
    }

    #[test]
    fn a_remote_content_warning_is_cut_to_our_limit_not_refused() {
        let mut warned = note("hi");
        let limit = crate::text::MAX_SUMMARY_CHARS;
        warned["summary"] = json!(format!("{}\u{7}tail", "é".repeat(limit + 20)));
        let summary = read(&warned).unwrap().summary;
        assert_eq!(summary.as_deref(), Some("é".repeat(limit).as_str()));
    }
}
