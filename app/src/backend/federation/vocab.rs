//! The ActivityStreams documents we serve and send, built in one place so that what we
//! serve at an id and what we deliver for it agree.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::urls::{Urls, PUBLIC};
use crate::text::{self, Segment};

/// The Mastodon namespace (`toot:`) and the FEP-7aa9 namespace of featured collections.
const TOOT: &str = "http://joinmastodon.org/ns#";
const FEP_7AA9: &str = "https://w3id.org/fep/7aa9#";

/// The JSON-LD context of actors: ActivityStreams, security (publicKey) and every
/// extension term an actor document uses, defined as Mastodon defines them, so that a
/// JSON-LD processor keeps them.
pub fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": TOOT,
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "featuredTags": { "@id": "toot:featuredTags", "@type": "@id" },
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "Hashtag": "as:Hashtag",
            "Emoji": "toot:Emoji",
            "fep7aa9": FEP_7AA9,
            "featuredCollections": { "@id": "fep7aa9:featuredCollections", "@type": "@id" },
            "FeaturedCollection": "fep7aa9:FeaturedCollection",
            "FeaturedItem": "fep7aa9:FeaturedItem",
            "featuredObject": { "@id": "fep7aa9:featuredObject", "@type": "@id" },
            "featuredObjectType": "fep7aa9:featuredObjectType"
        }
    ])
}

/// The JSON-LD context of notes and the activities that carry them: ActivityStreams and
/// the extension terms a note uses (as Mastodon puts them on its notes).
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "toot": TOOT,
            "Emoji": "toot:Emoji"
        }
    ])
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What a local person's actor document shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonSource {
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Follows wait for approval ("manually approve followers").
    pub locked: bool,
    /// Profile metadata fields (name, value as typed), in order.
    #[sqlx(skip)]
    pub fields: Vec<(String, String)>,
}

pub fn person(urls: Urls<'_>, source: &PersonSource, public_key_pem: &str) -> Value {
    let name = &source.username;
    let actor = urls.actor(name);
    let image = |url: &Option<String>| {
        url.as_ref()
            .map(|url| json!({ "type": "Image", "url": url }))
    };
    let mut document = json!({
        "@context": actor_context(),
        "id": actor,
        "type": "Person",
        "preferredUsername": name,
        "name": source.display_name.clone().unwrap_or_else(|| name.clone()),
        "summary": source.bio.as_deref().map(plain_html).unwrap_or_default(),
        "url": urls.profile_page(name),
        "inbox": urls.inbox(name),
        "outbox": urls.outbox(name),
        "followers": urls.followers(name),
        "following": urls.following(name),
        "featured": urls.featured(name),
        "featuredCollections": urls.featured_collections(name),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "publicKey": { "id": urls.key_id(name), "owner": actor, "publicKeyPem": public_key_pem },
        "manuallyApprovesFollowers": source.locked,
        "discoverable": true,
        "indexable": true,
        "published": timestamp(source.created_at),
        "attachment": source.fields.iter().map(|(name, value)| json!({
            "type": "PropertyValue", "name": name, "value": field_value_html(value),
        })).collect::<Vec<_>>(),
    });
    if let Some(icon) = image(&source.avatar_url) {
        document["icon"] = icon;
    }
    if let Some(header) = image(&source.header_url) {
        document["image"] = header;
    }
    document
}

/// The instance actor: an Application that signs fetches on the server's behalf.
pub fn instance_actor(urls: Urls<'_>, public_key_pem: &str) -> Value {
    let id = urls.instance_actor();
    json!({
        "@context": actor_context(),
        "id": id,
        "type": "Application",
        "preferredUsername": urls.host(),
        "name": "Thoughtspace",
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "publicKey": { "id": urls.instance_key_id(), "owner": id, "publicKeyPem": public_key_pem },
        "manuallyApprovesFollowers": true,
        "discoverable": false,
        "url": urls.base,
    })
}

/// A local thought as a Note.
#[derive(Debug, Clone)]
pub struct NoteSource {
    pub id: Uuid,
    pub author: String,
    pub content: String,
    pub visibility: String,
    pub created_at: DateTime<Utc>,
    /// The id of the note this replies to (ours or remote).
    pub in_reply_to: Option<String>,
    /// The people it mentions: (handle as shown, actor id).
    pub mentions: Vec<(String, String)>,
    /// Its content warning, and whether it needs a click to read.
    pub summary: Option<String>,
    pub sensitive: bool,
}

/// Who a thought is addressed to, by its visibility: (to, cc).
pub fn audience(
    urls: Urls<'_>,
    author: &str,
    visibility: &str,
    mentions: &[String],
) -> (Vec<String>, Vec<String>) {
    let followers = urls.followers(author);
    let mentions = mentions.to_vec();
    match visibility {
        "public" => (vec![PUBLIC.into()], [vec![followers], mentions].concat()),
        "unlisted" => (vec![followers], [vec![PUBLIC.into()], mentions].concat()),
        "followers" => (vec![followers], mentions),
        _ => (mentions, vec![]),
    }
}

pub fn note(urls: Urls<'_>, source: &NoteSource) -> Value {
    let mention_ids: Vec<String> = source
        .mentions
        .iter()
        .map(|(_, actor)| actor.clone())
        .collect();
    let (to, cc) = audience(urls, &source.author, &source.visibility, &mention_ids);
    let mut tags: Vec<Value> = text::tags(&source.content)
        .into_iter()
        .map(|tag| json!({ "type": "Hashtag", "href": urls.tag_page(&tag), "name": format!("#{tag}") }))
        .collect();
    for (handle, actor) in &source.mentions {
        tags.push(json!({ "type": "Mention", "href": actor, "name": format!("@{handle}") }));
    }
    json!({
        "id": urls.note(&source.author, source.id),
        "type": "Note",
        "attributedTo": urls.actor(&source.author),
        "content": thought_html(urls, &source.content, &source.mentions),
        "source": { "content": source.content, "mediaType": "text/plain" },
        "published": timestamp(source.created_at),
        "url": urls.thought_page(&source.author, source.id),
        "to": to,
        "cc": cc,
        "inReplyTo": source.in_reply_to,
        "tag": tags,
        "summary": source.summary,
        "sensitive": source.sensitive,
    })
}

/// A thought's text as the HTML notes carry: escaped, with its tags, mentions and links
/// made links, in one paragraph.
pub fn thought_html(urls: Urls<'_>, content: &str, mentions: &[(String, String)]) -> String {
    let mut html = String::from("<p>");
    for segment in text::segments(content) {
        match segment {
            Segment::Text(text) => html.push_str(&escape(text).replace('\n', "<br>")),
            Segment::Tag(tag) => html.push_str(&format!(
                "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                escape(&urls.tag_page(&tag.to_lowercase())),
                escape(tag)
            )),
            Segment::Mention(name) => {
                let found = mentions
                    .iter()
                    .find(|(handle, _)| handle.eq_ignore_ascii_case(name));
                // An address elsewhere that did not resolve is no one: it stays text.
                if found.is_none() && text::is_remote_handle(name) {
                    html.push_str(&escape(&format!("@{name}")));
                    continue;
                }
                let href =
                    found.map_or_else(|| urls.profile_page(name), |(_, actor)| actor.clone());
                html.push_str(&format!(
                    "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    escape(&href),
                    escape(name)
                ));
            }
            Segment::Link(link) => html.push_str(&format!(
                "<a href=\"{0}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{0}</a>",
                escape(link)
            )),
        }
    }
    html.push_str("</p>");
    html
}

/// A profile field's value as HTML: escaped, and a link when it is one (with `rel="me"`,
/// so that the linked page can be checked for a link back, as Mastodon does).
pub fn field_value_html(value: &str) -> String {
    let value = value.trim();
    let is_link = (value.starts_with("https://") || value.starts_with("http://"))
        && !value.contains(char::is_whitespace);
    if is_link {
        format!(
            "<a href=\"{0}\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">{0}</a>",
            escape(value)
        )
    } else {
        escape(value)
    }
}

/// Plain text as one escaped HTML paragraph.
pub fn plain_html(text: &str) -> String {
    format!("<p>{}</p>", escape(text).replace('\n', "<br>"))
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// An activity by `actor` with `object`, addressed to `to` and `cc`.
pub fn activity(
    kind: &str,
    id: &str,
    actor: &str,
    object: Value,
    to: &[String],
    cc: &[String],
) -> Value {
    let mut document = json!({
        "@context": context(),
        "id": id,
        "type": kind,
        "actor": actor,
        "object": object,
    });
    if !to.is_empty() {
        document["to"] = json!(to);
    }
    if !cc.is_empty() {
        document["cc"] = json!(cc);
    }
    document
}

/// `Add` or `Remove` (`kind`) of `object` to or from the actor's collection `target` (a
/// pin or unpin: the `featured` collection), addressed to the public, as Mastodon sends it.
pub fn featured_change(kind: &str, id: &str, actor: &str, object: &str, target: &str) -> Value {
    let mut document = activity(kind, id, actor, json!(object), &[PUBLIC.to_owned()], &[]);
    document["target"] = json!(target);
    document
}

/// Create of a note, addressed as the note is.
pub fn create(note: &Value) -> Value {
    let mut document = activity(
        "Create",
        &format!("{}/activity", note["id"].as_str().unwrap_or_default()),
        note["attributedTo"].as_str().unwrap_or_default(),
        note.clone(),
        &strings(&note["to"]),
        &strings(&note["cc"]),
    );
    document["published"] = note["published"].clone();
    document
}

/// Update `id` of an edited note, addressed as the note is (each edit needs its own id:
/// a server that saw an earlier edit must still apply this one).
pub fn update(note: &Value, id: &str) -> Value {
    let mut document = activity(
        "Update",
        id,
        note["attributedTo"].as_str().unwrap_or_default(),
        note.clone(),
        &strings(&note["to"]),
        &strings(&note["cc"]),
    );
    document["published"] = note["updated"].clone();
    document
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The id of an object given by reference or embedded.
pub fn id_of(value: &Value) -> Option<&str> {
    value
        .as_str()
        .or_else(|| value.get("id").and_then(Value::as_str))
}

/// The ids in a `to`/`cc`-like field (a string or an array of strings or objects).
pub fn ids_in(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| id_of(item).map(str::to_owned))
            .collect(),
        other => id_of(other)
            .map(|id| vec![id.to_owned()])
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thought_html_escapes_and_links() {
        let urls = Urls::new("https://ts.example");
        let html = thought_html(urls, "<b>hi</b> #Rust @ana https://x.example/?a=1&b=2", &[]);
        assert_eq!(
            html,
            "<p>&lt;b&gt;hi&lt;/b&gt; <a href=\"https://ts.example/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a> \
             <span class=\"h-card\"><a href=\"https://ts.example/@ana\" class=\"u-url mention\">@<span>ana</span></a></span> \
             <a href=\"https://x.example/?a=1&amp;b=2\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://x.example/?a=1&amp;b=2</a></p>"
        );
    }

    #[test]
    fn audience_follows_visibility() {
        let urls = Urls::new("https://ts.example");
        let mention = vec!["https://m.example/users/bo".to_owned()];
        let (to, cc) = audience(urls, "ana", "public", &mention);
        assert_eq!(to, [PUBLIC]);
        assert_eq!(
            cc,
            [
                "https://ts.example/users/ana/followers",
                "https://m.example/users/bo"
            ]
        );
        let (to, cc) = audience(urls, "ana", "followers", &mention);
        assert_eq!(
            (to.as_slice(), cc.as_slice()),
            (
                &["https://ts.example/users/ana/followers".to_owned()][..],
                &mention[..]
            )
        );
        let (to, cc) = audience(urls, "ana", "private", &mention);
        assert_eq!(
            (to, cc.len()),
            (mention, 0),
            "private: only the people mentioned"
        );
    }
}
