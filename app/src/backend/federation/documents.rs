//! The documents other servers read from us: WebFinger, NodeInfo, actors, notes and
//! collections. Only what a visitor may see is served (public and unlisted notes).

use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    keys, outbox,
    urls::Urls,
    vocab::{self, PersonSource},
    FederationError,
};
use crate::backend::Backend;

/// Items on one page of a collection.
const PAGE: i64 = 20;

async fn local_user(
    backend: &Backend,
    username: &str,
) -> Result<Option<(Uuid, PersonSource)>, FederationError> {
    // No name holds a control character (and PostgreSQL refuses a NUL outright).
    if crate::text::has_forbidden_controls(username, false) {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        #[sqlx(flatten)]
        person: PersonSource,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, username, display_name, bio, avatar_url, header_url, created_at, locked
               FROM users WHERE lower(username) = lower($1) AND NOT is_remote",
    )
    .bind(username)
    .fetch_optional(&backend.pool)
    .await?;
    Ok(row.map(|row| (row.id, row.person)))
}

/// WebFinger for `acct:name@host` or an actor URL: the JRD, or None when nobody by that
/// name lives here.
pub async fn webfinger(
    backend: &Backend,
    resource: &str,
) -> Result<Option<Value>, FederationError> {
    let urls = Urls::new(&backend.public_url);
    let name = if let Some(acct) = resource.strip_prefix("acct:") {
        let acct = acct.trim_start_matches('@');
        match acct.rsplit_once('@') {
            Some((name, host)) if host.eq_ignore_ascii_case(urls.host()) => name.to_owned(),
            _ => return Ok(None),
        }
    } else if resource == urls.instance_actor() {
        urls.host().to_owned()
    } else if let Some(name) = urls.local_username(resource) {
        name
    } else if let Some(name) = resource.strip_prefix(&format!("{}/@", urls.base)) {
        name.to_owned()
    } else {
        return Ok(None);
    };
    if name == urls.host() {
        let actor = urls.instance_actor();
        return Ok(Some(json!({
            "subject": format!("acct:{name}@{}", urls.host()),
            "aliases": [actor],
            "links": [{ "rel": "self", "type": super::ACTIVITY_JSON, "href": actor }],
        })));
    }
    let Some((_, person)) = local_user(backend, &name).await? else {
        return Ok(None);
    };
    let name = person.username;
    Ok(Some(json!({
        "subject": format!("acct:{name}@{}", urls.host()),
        "aliases": [urls.actor(&name), urls.profile_page(&name)],
        "links": [
            { "rel": "self", "type": super::ACTIVITY_JSON, "href": urls.actor(&name) },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": urls.profile_page(&name) },
        ],
    })))
}

/// NodeInfo 2.1 with the real usage counts.
pub async fn nodeinfo(backend: &Backend) -> Result<Value, FederationError> {
    let (users, month, half_year, posts): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM users WHERE NOT is_remote),
                (SELECT count(DISTINCT user_id) FROM sessions WHERE last_seen_at > now() - interval '30 days'),
                (SELECT count(DISTINCT user_id) FROM sessions WHERE last_seen_at > now() - interval '180 days'),
                (SELECT count(*) FROM thoughts t JOIN users u ON u.id = t.user_id WHERE NOT u.is_remote AND t.deleted_at IS NULL)",
    )
    .fetch_one(&backend.pool)
    .await?;
    Ok(json!({
        "version": "2.1",
        "software": { "name": "thoughtspace", "version": env!("CARGO_PKG_VERSION") },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": true,
        "usage": { "users": { "total": users, "activeMonth": month, "activeHalfyear": half_year }, "localPosts": posts },
        "metadata": { "nodeName": "Thoughtspace" },
    }))
}

/// A local person's actor document.
pub async fn person(backend: &Backend, username: &str) -> Result<Option<Value>, FederationError> {
    let Some((id, source)) = local_user(backend, username).await? else {
        return Ok(None);
    };
    let pair = keys::for_user(&backend.pool, id).await?;
    Ok(Some(vocab::person(
        Urls::new(&backend.public_url),
        &source,
        &pair.public_pem,
    )))
}

pub async fn instance_actor(backend: &Backend) -> Result<Value, FederationError> {
    let pair = keys::instance(&backend.pool).await?;
    Ok(vocab::instance_actor(
        Urls::new(&backend.public_url),
        &pair.public_pem,
    ))
}

/// What a note id leads to.
#[derive(Debug)]
pub enum NoteLookup {
    Found(Value),
    /// Deleted: served as a Tombstone with 410.
    Gone(Value),
    NotFound,
}

/// The Note of a local thought, if a visitor may see it.
pub async fn note(backend: &Backend, id: Uuid) -> Result<NoteLookup, FederationError> {
    let urls = Urls::new(&backend.public_url);
    let found: Option<(String, String, bool)> = sqlx::query_as(
        "SELECT u.username, t.visibility, t.deleted_at IS NOT NULL FROM thoughts t JOIN users u ON u.id = t.user_id
          WHERE t.id = $1 AND NOT u.is_remote AND t.ap_id IS NULL",
    )
    .bind(id)
    .fetch_optional(&backend.pool)
    .await?;
    match found {
        None => Ok(NoteLookup::NotFound),
        Some((author, _, true)) => Ok(NoteLookup::Gone(json!({
            "@context": vocab::context(), "id": urls.note(&author, id), "type": "Tombstone",
        }))),
        Some((_, visibility, false)) if !matches!(visibility.as_str(), "public" | "unlisted") => {
            Ok(NoteLookup::NotFound)
        }
        Some(_) => {
            let mut connection = backend.pool.acquire().await?;
            Ok(NoteLookup::Found(
                outbox::note(&mut connection, urls, id).await?,
            ))
        }
    }
}

/// Which of a person's collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Outbox,
    Followers,
    Following,
    /// The Top Friends, in their order.
    Featured,
}

/// One of a local person's collections: the newest items inline, with the total.
pub async fn collection(
    backend: &Backend,
    username: &str,
    which: Collection,
) -> Result<Option<Value>, FederationError> {
    let Some((user, person)) = local_user(backend, username).await? else {
        return Ok(None);
    };
    let urls = Urls::new(&backend.public_url);
    let name = person.username;
    let (id, total, items): (String, i64, Vec<Value>) = match which {
        Collection::Followers | Collection::Following => {
            let (mine, theirs, id) = match which {
                Collection::Followers => ("following_id", "follower_id", urls.followers(&name)),
                _ => ("follower_id", "following_id", urls.following(&name)),
            };
            let total: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM follows WHERE {mine} = $1 AND state = 'accepted'"
            ))
            .bind(user)
            .fetch_one(&backend.pool)
            .await?;
            let people: Vec<(String, bool, Option<String>)> = sqlx::query_as(&format!(
                "SELECT u.username, u.is_remote, u.ap_id FROM follows f JOIN users u ON u.id = f.{theirs}
                  WHERE f.{mine} = $1 AND f.state = 'accepted' ORDER BY f.created_at DESC LIMIT $2"
            ))
            .bind(user)
            .bind(PAGE)
            .fetch_all(&backend.pool)
            .await?;
            (
                id,
                total,
                people
                    .into_iter()
                    .map(|p| json!(actor_id(urls, p)))
                    .collect(),
            )
        }
        Collection::Featured => {
            let friends: Vec<(String, bool, Option<String>)> = sqlx::query_as(
                "SELECT u.username, u.is_remote, u.ap_id FROM top_friends f JOIN users u ON u.id = f.friend_id
                  WHERE f.user_id = $1 ORDER BY f.position",
            )
            .bind(user)
            .fetch_all(&backend.pool)
            .await?;
            let items: Vec<Value> = friends
                .into_iter()
                .map(|p| json!(actor_id(urls, p)))
                .collect();
            (urls.featured(&name), items.len() as i64, items)
        }
        Collection::Outbox => {
            let total: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM thoughts WHERE user_id = $1 AND deleted_at IS NULL AND visibility IN ('public', 'unlisted')",
            )
            .bind(user)
            .fetch_one(&backend.pool)
            .await?;
            let ids: Vec<Uuid> = sqlx::query_scalar(
                "SELECT id FROM thoughts WHERE user_id = $1 AND deleted_at IS NULL AND visibility IN ('public', 'unlisted')
                  ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(user)
            .bind(PAGE)
            .fetch_all(&backend.pool)
            .await?;
            let mut connection = backend.pool.acquire().await?;
            let mut items = Vec::with_capacity(ids.len());
            for id in ids {
                let mut note = outbox::note(&mut connection, urls, id).await?;
                if let Some(map) = note.as_object_mut() {
                    map.remove("@context");
                }
                items.push(vocab::create(&note));
            }
            let items = items
                .into_iter()
                .map(|mut activity| {
                    if let Some(map) = activity.as_object_mut() {
                        map.remove("@context");
                    }
                    activity
                })
                .collect();
            (urls.outbox(&name), total, items)
        }
    };
    Ok(Some(json!({
        "@context": vocab::context(),
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "orderedItems": items,
    })))
}

fn actor_id(urls: Urls<'_>, (username, remote, ap_id): (String, bool, Option<String>)) -> String {
    if remote {
        ap_id.unwrap_or_default()
    } else {
        urls.actor(&username)
    }
}
