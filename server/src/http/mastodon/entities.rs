//! Mastodon's entities (Account, Status, …) built from the app's own data. Ids are the
//! app's UUIDs, as strings (clients treat ids as opaque, as with GoToSocial's ULIDs).

use std::collections::HashMap;

use app::{
    backend::{
        federation::{urls::Urls, vocab},
        profiles::{self, AccountSummary},
        Backend,
    },
    model::ThoughtView,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::ApiResult;

pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn account(backend: &Backend, account: &AccountSummary) -> Value {
    let urls = Urls::new(&backend.public_url);
    let (acct, uri, url) = if account.is_remote {
        let uri = account.ap_id.clone().unwrap_or_default();
        (
            account.username.clone(),
            uri.clone(),
            account.profile_url.clone().unwrap_or(uri),
        )
    } else {
        (
            account.username.clone(),
            urls.actor(&account.username),
            urls.profile_page(&account.username),
        )
    };
    let username = account.username.split('@').next().unwrap_or_default();
    let avatar = account
        .avatar_url
        .clone()
        .unwrap_or_else(|| format!("{}/favicon.svg", backend.public_url));
    let header = account.header_url.clone().unwrap_or_default();
    json!({
        "id": account.id.to_string(),
        "username": username,
        "acct": acct,
        "display_name": account.display_name.clone().unwrap_or_default(),
        "locked": account.locked,
        "bot": false,
        "discoverable": true,
        // Public thoughts are found by search; the follow lists are shown on profiles.
        "indexable": true,
        "hide_collections": false,
        "group": false,
        "created_at": timestamp(account.created_at),
        "note": account.bio.as_deref().map(vocab::plain_html).unwrap_or_default(),
        "url": url,
        "uri": uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": account.follower_count,
        "following_count": account.following_count,
        "statuses_count": account.thought_count,
        "last_status_at": account.last_thought_at.map(|at| at.date_naive().to_string()),
        "emojis": [],
        "fields": account.fields.0.iter().map(|field| json!({
            "name": field.name,
            // Ours are text made safe (and linked) here; remote ones were cleaned on arrival.
            "value": if account.is_remote { field.value.clone() } else { vocab::field_value_html(&field.value) },
            "verified_at": field.verified_at.map(timestamp),
        })).collect::<Vec<_>>(),
    })
}

/// The accounts of `ids`, by id, as entities.
pub async fn accounts(
    backend: &Backend,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, Value>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    Ok(profiles::accounts(&backend.pool, &ids)
        .await?
        .iter()
        .map(|summary| (summary.id, account(backend, summary)))
        .collect())
}

/// Mastodon's Mention: who a status mentions, from their Account.
fn mention(account: &Value) -> Value {
    json!({
        "id": account["id"],
        "username": account["username"],
        "acct": account["acct"],
        "url": account["url"],
    })
}

/// A thought's text as the HTML a status shows: a remote note's cleaned HTML, or a local
/// thought's plain text with its links.
pub fn content_html(urls: Urls<'_>, content: &str, remote_html: Option<&str>) -> String {
    match remote_html {
        Some(html) => html.to_owned(),
        None => vocab::thought_html(urls, content, &[]),
    }
}

/// A status, with its author and the accounts it mentions (as entities) and the author of
/// the status it replies to.
fn status(
    backend: &Backend,
    thought: &ThoughtView,
    author: &Value,
    mentioned: &[&Value],
    parent_author: Option<Uuid>,
) -> Value {
    let urls = Urls::new(&backend.public_url);
    // A remote note is known by its ActivityPub id and links to its page on its own server,
    // as Mastodon shows them (apps open the original and search resolves the uri).
    let (uri, url) = match &thought.ap_id {
        Some(ap_id) => (
            ap_id.clone(),
            thought.remote_url.clone().unwrap_or_else(|| ap_id.clone()),
        ),
        None => (
            urls.note(&thought.author_username, thought.id),
            urls.thought_page(&thought.author_username, thought.id),
        ),
    };
    let content = match thought.content_html.as_deref() {
        Some(html) => html.to_owned(),
        None => {
            // The people it mentions link to their profiles; an address elsewhere that
            // did not resolve stays text.
            let mentions: Vec<(String, String)> = mentioned
                .iter()
                .filter_map(|account| {
                    Some((
                        account["acct"].as_str()?.to_owned(),
                        account["url"].as_str()?.to_owned(),
                    ))
                })
                .collect();
            vocab::thought_html(urls, &thought.content, &mentions)
        }
    };
    let visibility = match thought.visibility.as_str() {
        "private" => "direct",
        "followers" => "private",
        other => other,
    };
    let tags: Vec<Value> = app::text::tags(&thought.content)
        .into_iter()
        .map(|tag| json!({ "name": tag, "url": urls.tag_page(&tag) }))
        .collect();
    json!({
        "id": thought.id.to_string(),
        "uri": uri,
        "url": url,
        "created_at": timestamp(thought.created_at),
        "account": author,
        "content": content,
        "text": thought.content,
        "visibility": visibility,
        "sensitive": thought.sensitive,
        "spoiler_text": thought.summary.clone().unwrap_or_default(),
        "media_attachments": [],
        "application": null,
        "mentions": mentioned.iter().map(|account| mention(account)).collect::<Vec<_>>(),
        "tags": tags,
        "emojis": [],
        "reblogs_count": thought.boost_count,
        "favourites_count": thought.like_count,
        "replies_count": thought.reply_count,
        "favourited": thought.liked,
        "reblogged": thought.boosted,
        "muted": false,
        "bookmarked": thought.bookmarked,
        "pinned": false,
        "reblog": null,
        "in_reply_to_id": thought.reply_to.map(|id| id.to_string()),
        "in_reply_to_account_id": parent_author.map(|id| id.to_string()),
        "language": null,
        "poll": null,
        "card": null,
        "edited_at": thought.edited_at.map(timestamp),
        "filtered": thought.filtered.iter().map(filter_result).collect::<Vec<_>>(),
    })
}

/// A boost as Mastodon shows it: a status of its own (the boost's id, the booster, the time
/// of the boost, no content) whose `reblog` is the status boosted. Apps show "X boosted"
/// from it and act on the `reblog`; the viewer's own state and filters are repeated on
/// the wrapper, as apps read either.
fn reblog(thought: &ThoughtView, boost: Uuid, booster: &Value, original: Value) -> Value {
    // A boost has no page of its own: its uri names it on the booster's actor.
    let uri = format!(
        "{}#boosts/{boost}",
        booster["uri"].as_str().unwrap_or_default()
    );
    json!({
        "id": boost.to_string(),
        "uri": uri,
        "url": original["url"],
        "created_at": timestamp(thought.listed_at),
        "account": booster,
        "content": "",
        "text": "",
        "visibility": original["visibility"],
        "sensitive": false,
        "spoiler_text": "",
        "media_attachments": [],
        "application": null,
        "mentions": [],
        "tags": [],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "favourited": original["favourited"],
        "reblogged": original["reblogged"],
        "muted": original["muted"],
        "bookmarked": original["bookmarked"],
        "pinned": false,
        "in_reply_to_id": null,
        "in_reply_to_account_id": null,
        "language": null,
        "poll": null,
        "card": null,
        "edited_at": null,
        "filtered": original["filtered"],
        "reblog": original,
    })
}

/// Mastodon's FilterResult for a `warn` filter a status matched.
fn filter_result(warning: &app::model::FilterWarning) -> Value {
    json!({
        "filter": {
            "id": warning.filter_id.to_string(),
            "title": warning.title,
            "context": warning.contexts,
            "expires_at": warning.expires_at.map(timestamp),
            "filter_action": "warn",
            "keywords": [],
            "statuses": [],
        },
        "keyword_matches": warning.keywords,
        "status_matches": null,
    })
}

/// A page of thoughts as statuses (their authors and the people they mention fetched at
/// once).
pub async fn statuses(backend: &Backend, thoughts: &[ThoughtView]) -> ApiResult<Vec<Value>> {
    let ids: Vec<Uuid> = thoughts.iter().map(|t| t.id).collect();
    let addressees = app::backend::thoughts::addressees(&backend.pool, &ids).await?;
    let people = accounts(
        backend,
        thoughts
            .iter()
            .map(|t| t.author_id)
            .chain(thoughts.iter().filter_map(|t| t.booster_id))
            .chain(addressees.mentioned.values().flatten().copied()),
    )
    .await?;
    // `pinned` is the owner's to know, as on Mastodon.
    let own: Vec<Uuid> = thoughts
        .iter()
        .filter(|t| t.by_viewer)
        .map(|t| t.id)
        .collect();
    let pinned = app::backend::pins::pinned_among(&backend.pool, &own).await?;
    Ok(thoughts
        .iter()
        .map(|thought| {
            let mentioned: Vec<&Value> = addressees
                .mentioned
                .get(&thought.id)
                .into_iter()
                .flatten()
                .filter_map(|id| people.get(id))
                .collect();
            let mut original = status(
                backend,
                thought,
                people.get(&thought.author_id).unwrap_or(&Value::Null),
                &mentioned,
                addressees.parent_author.get(&thought.id).copied(),
            );
            if pinned.contains(&thought.id) {
                original["pinned"] = json!(true);
            }
            match (thought.boost_id, thought.booster_id) {
                (Some(boost), Some(booster)) => reblog(
                    thought,
                    boost,
                    people.get(&booster).unwrap_or(&Value::Null),
                    original,
                ),
                _ => original,
            }
        })
        .collect())
}
