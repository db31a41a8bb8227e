//! Reading what other servers send: the helpers both the inbox ([`super::inbox`]) and the
//! actor cache ([`super::remote`]) use, and the serde shapes their typed documents are made
//! of. Remote documents are read leniently: a field of an unexpected shape is treated as
//! absent (as reading `serde_json::Value` by hand did), and the checks that matter (ids,
//! addresses, authorship) are made on what was read.

use serde::{de::DeserializeOwned, Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::{vocab, FederationError};
use crate::{backend::fields, text::is_http_url};

/// The longest id or address (of an activity, a note, an inbox, an image) we keep: the one
/// limit on addresses, local ([`fields::ImageUrl`]) and remote alike.
pub const MAX_ID_BYTES: usize = fields::MAX_URL_BYTES;

/// The host (and port) of a URL.
pub fn authority(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// `url` if it is an http(s) address of at most [`MAX_ID_BYTES`]: the only addresses kept
/// from another server's documents.
pub fn address(url: Option<String>) -> Option<String> {
    url.filter(|url| is_http_url(url) && url.len() <= MAX_ID_BYTES)
}

/// At most `max` characters of `text`.
pub fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The text of an HTML fragment: tags dropped, line breaks kept, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let with_breaks = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p><p>", "\n\n");
    let stripped = ammonia::Builder::empty().clean(&with_breaks).to_string();
    stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
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

/// What a property such as `object`, `actor` or `inReplyTo` holds: an id, or the object itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Reference {
    Id(String),
    Embedded(Map<String, Value>),
    /// Anything else (a number, a list): names nothing.
    Other(Value),
}

impl Reference {
    /// The id it names, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Reference::Id(id) => Some(id),
            Reference::Embedded(object) => object.get("id").and_then(Value::as_str),
            Reference::Other(_) => None,
        }
    }

    /// The `type` of an embedded object.
    pub fn kind(&self) -> Option<&str> {
        match self {
            Reference::Embedded(object) => object.get("type").and_then(Value::as_str),
            _ => None,
        }
    }

    /// The embedded object read as `T`, if it is embedded and reads.
    pub fn embedded<T: DeserializeOwned>(&self) -> Option<T> {
        match self {
            Reference::Embedded(object) => T::deserialize(Value::Object(object.clone())).ok(),
            _ => None,
        }
    }

    /// As JSON again (an id is a string).
    pub fn to_value(&self) -> Value {
        match self {
            Reference::Id(id) => Value::String(id.clone()),
            Reference::Embedded(object) => Value::Object(object.clone()),
            Reference::Other(other) => other.clone(),
        }
    }
}

/// Reads `document` as `T`, refused with serde's reason (which names the field) if it does not.
pub fn parse<T: DeserializeOwned>(document: &Value, what: &str) -> Result<T, FederationError> {
    T::deserialize(document)
        .map_err(|error| FederationError::BadRequest(format!("the {what} is unreadable: {error}")))
}

/// A field read as `T` if it has that shape, and as absent otherwise.
pub fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}

/// The ids in a `to`/`cc`-like field (a string, an object with an id, or a list of them).
pub fn ids<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(vocab::ids_in(&Value::deserialize(deserializer)?))
}

/// A field that may hold one `T` or a list of them; items that do not read are left out.
pub fn one_or_many<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| T::deserialize(item).ok())
            .collect(),
        Value::Null => vec![],
        single => T::deserialize(single).ok().into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "lenient")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "ids")]
        to: Vec<String>,
        #[serde(default)]
        object: Option<Reference>,
    }

    #[test]
    fn odd_shapes_read_as_absent_and_references_name_their_ids() {
        let read: Sample = parse(
            &json!({ "flag": "yes", "to": [{ "id": "https://a.example/x" }, 3, "https://b.example/y"],
                     "object": { "id": "https://a.example/n", "type": "Note" } }),
            "sample",
        )
        .unwrap();
        assert_eq!(read.flag, None);
        assert_eq!(read.to, ["https://a.example/x", "https://b.example/y"]);
        let object = read.object.unwrap();
        assert_eq!(
            (object.id(), object.kind()),
            (Some("https://a.example/n"), Some("Note"))
        );
        let numbers: Sample = parse(&json!({ "object": [1, 2] }), "sample").unwrap();
        assert_eq!(numbers.object.unwrap().id(), None);
        let id: Sample = parse(&json!({ "object": "https://a.example/n" }), "sample").unwrap();
        assert_eq!(id.object.unwrap().id(), Some("https://a.example/n"));
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

    #[test]
    fn authorities_keep_their_ports() {
        assert_eq!(
            authority("https://m.example:8443/users/bo").as_deref(),
            Some("m.example:8443")
        );
        assert_eq!(authority("urn:x").as_deref(), None);
        assert_eq!(address(Some("javascript:alert(1)".into())), None);
        assert_eq!(
            address(Some(format!(
                "https://m.example/{}",
                "a".repeat(MAX_ID_BYTES)
            ))),
            None
        );
    }
}
