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
    let Some((id, mut source)) = local_user(backend, username).await? else {
        return Ok(None);
    };
    let mut connection = backend.pool.acquire().await?;
    source.fields = crate::backend::profiles::field_pairs(&mut connection, id).await?;
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

/// The Note of a local thought, if `fetcher` (the remote person whose signed request asks
/// for it, or None for a visitor) may see it: a visitor sees public and unlisted notes, a
/// fetcher also those the visibility gate shows them (followers-only ones when they follow
/// the author, ones that mention them).
pub async fn note(
    backend: &Backend,
    id: Uuid,
    fetcher: Option<Uuid>,
) -> Result<NoteLookup, FederationError> {
    let urls = Urls::new(&backend.public_url);
    let found: Option<(String, String, bool)> = sqlx::query_as(
        "SELECT u.username, t.visibility, t.deleted_at IS NOT NULL FROM thoughts t JOIN users u ON u.id = t.user_id
          WHERE t.id = $1 AND NOT u.is_remote AND t.ap_id IS NULL",
    )
    .bind(id)
    .fetch_optional(&backend.pool)
    .await?;
    let visible = match &found {
        None => return Ok(NoteLookup::NotFound),
        Some((author, _, true)) => {
            return Ok(NoteLookup::Gone(json!({
                "@context": vocab::context(), "id": urls.note(author, id), "type": "Tombstone",
            })))
        }
        Some((_, visibility, false)) if matches!(visibility.as_str(), "public" | "unlisted") => {
            true
        }
        Some(_) => match fetcher {
            None => false,
            Some(fetcher) => may_see_on_server(backend, fetcher, id).await?,
        },
    };
    if !visible {
        return Ok(NoteLookup::NotFound);
    }
    let mut connection = backend.pool.acquire().await?;
    Ok(NoteLookup::Found(
        outbox::note(&mut connection, urls, id).await?,
    ))
}

/// Whether the remote actor `fetcher`, or one of the people on its server who are in the
/// thought's audience (the author's followers, the people it mentions), may see thought
/// `id` through the visibility gate.
async fn may_see_on_server(
    backend: &Backend,
    fetcher: Uuid,
    id: Uuid,
) -> Result<bool, FederationError> {
    let candidates: Vec<Uuid> = sqlx::query_scalar(
        "SELECT u.id FROM users u, users f, thoughts t
          WHERE f.id = $1 AND t.id = $2 AND u.is_remote
            AND (u.id = f.id OR split_part(u.ap_id, '/', 3) = split_part(f.ap_id, '/', 3))
            AND (u.id = f.id
                 OR EXISTS (SELECT 1 FROM follows fo WHERE fo.follower_id = u.id AND fo.following_id = t.user_id AND fo.state = 'accepted')
                 OR EXISTS (SELECT 1 FROM thought_mentions m WHERE m.thought_id = t.id AND m.user_id = u.id))
          ORDER BY u.id = f.id DESC LIMIT 20",
    )
    .bind(fetcher)
    .bind(id)
    .fetch_all(&backend.pool)
    .await?;
    for candidate in candidates {
        match crate::backend::timeline::one(&backend.pool, Some(candidate), id).await {
            Ok(_) => return Ok(true),
            Err(crate::error::AppError::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(false)
}

/// Which of a person's collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// Their public and unlisted thoughts (as Creates), paged.
    Outbox,
    Followers,
    Following,
    /// Their pinned thoughts (Mastodon's `featured`), newest pin first.
    Featured,
    /// Their featured collections (FEP-7aa9): the Top Friends.
    FeaturedCollections,
    /// The Top Friends, in their order, as a FEP-7aa9 `FeaturedCollection`.
    TopFriends,
}

/// One of a local person's collections. The outbox, followers and following are paged:
/// without `page` the collection (its exact size and its first and last pages), with
/// `page` (from 1, newest first) that page. A person who hides their follows shows only
/// the sizes of those two. None: no such person, or no such page.
pub async fn collection(
    backend: &Backend,
    username: &str,
    which: Collection,
    page: Option<i64>,
) -> Result<Option<Value>, FederationError> {
    let Some((user, person, hidden)) = local_user_and_privacy(backend, username).await? else {
        return Ok(None);
    };
    let urls = Urls::new(&backend.public_url);
    let name = person.username;
    let paged = match which {
        Collection::Outbox => Paged::Outbox,
        Collection::Followers => Paged::People {
            mine: "following_id",
            theirs: "follower_id",
        },
        Collection::Following => Paged::People {
            mine: "follower_id",
            theirs: "following_id",
        },
        Collection::Featured => return Ok(Some(featured(backend, urls, user, &name).await?)),
        Collection::TopFriends => {
            let mut document = top_friends(backend, urls, user, &name).await?;
            document["@context"] = vocab::actor_context();
            return Ok(Some(document));
        }
        Collection::FeaturedCollections => {
            let top_friends = top_friends(backend, urls, user, &name).await?;
            let items: Vec<Value> = if top_friends["totalItems"] == json!(0) {
                vec![]
            } else {
                vec![top_friends]
            };
            return Ok(Some(json!({
                "@context": vocab::actor_context(),
                "id": urls.featured_collections(&name),
                "type": "OrderedCollection",
                "totalItems": items.len(),
                "orderedItems": items,
            })));
        }
    };
    let id = match which {
        Collection::Outbox => urls.outbox(&name),
        Collection::Followers => urls.followers(&name),
        _ => urls.following(&name),
    };
    let hidden = hidden && matches!(paged, Paged::People { .. });
    let total = paged.total(backend, user).await?;
    let last = ((total + PAGE - 1) / PAGE).max(1);
    let page_id = |n: i64| format!("{id}?page={n}");
    let Some(page) = page else {
        let mut document = json!({
            "@context": vocab::context(),
            "id": id,
            "type": "OrderedCollection",
            "totalItems": total,
        });
        if !hidden {
            document["first"] = json!(page_id(1));
            document["last"] = json!(page_id(last));
        }
        return Ok(Some(document));
    };
    if hidden || page < 1 || page > last {
        return Ok(None);
    }
    let items = paged
        .items(backend, urls, user, PAGE, (page - 1) * PAGE)
        .await?;
    let mut document = json!({
        "@context": vocab::context(),
        "id": page_id(page),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": items,
    });
    if page < last {
        document["next"] = json!(page_id(page + 1));
    }
    if page > 1 {
        document["prev"] = json!(page_id(page - 1));
    }
    Ok(Some(document))
}

/// A local person, and whether they hide their follows.
async fn local_user_and_privacy(
    backend: &Backend,
    username: &str,
) -> Result<Option<(Uuid, PersonSource, bool)>, FederationError> {
    let Some((user, person)) = local_user(backend, username).await? else {
        return Ok(None);
    };
    let hidden: bool = sqlx::query_scalar("SELECT hide_collections FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&backend.pool)
        .await?;
    Ok(Some((user, person, hidden)))
}

/// The paged collections and how to count and read them.
enum Paged {
    Outbox,
    /// Accepted follows where the person is `mine`, listing the `theirs` side.
    People {
        mine: &'static str,
        theirs: &'static str,
    },
}

/// Thoughts an outbox lists: live, public or unlisted.
const OUTBOX_THOUGHTS: &str =
    "user_id = $1 AND deleted_at IS NULL AND visibility IN ('public', 'unlisted')";

impl Paged {
    async fn total(&self, backend: &Backend, user: Uuid) -> Result<i64, FederationError> {
        let sql = match self {
            Paged::Outbox => format!("SELECT count(*) FROM thoughts WHERE {OUTBOX_THOUGHTS}"),
            Paged::People { mine, .. } => {
                format!("SELECT count(*) FROM follows WHERE {mine} = $1 AND state = 'accepted'")
            }
        };
        Ok(sqlx::query_scalar(&sql)
            .bind(user)
            .fetch_one(&backend.pool)
            .await?)
    }

    async fn items(
        &self,
        backend: &Backend,
        urls: Urls<'_>,
        user: Uuid,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Value>, FederationError> {
        match self {
            Paged::People { mine, theirs } => {
                let people: Vec<(String, bool, Option<String>)> = sqlx::query_as(&format!(
                    "SELECT u.username, u.is_remote, u.ap_id FROM follows f JOIN users u ON u.id = f.{theirs}
                      WHERE f.{mine} = $1 AND f.state = 'accepted'
                      ORDER BY f.created_at DESC, f.{theirs} DESC LIMIT $2 OFFSET $3"
                ))
                .bind(user)
                .bind(limit)
                .bind(offset)
                .fetch_all(&backend.pool)
                .await?;
                Ok(people
                    .into_iter()
                    .map(|p| json!(actor_id(urls, p)))
                    .collect())
            }
            Paged::Outbox => {
                let ids: Vec<Uuid> = sqlx::query_scalar(&format!(
                    "SELECT id FROM thoughts WHERE {OUTBOX_THOUGHTS}
                      ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(user)
                .bind(limit)
                .bind(offset)
                .fetch_all(&backend.pool)
                .await?;
                let mut connection = backend.pool.acquire().await?;
                let mut items = Vec::with_capacity(ids.len());
                for id in ids {
                    let note = embedded(outbox::note(&mut connection, urls, id).await?);
                    items.push(embedded(vocab::create(&note)));
                }
                Ok(items)
            }
        }
    }
}

/// A document as embedded in another: without its own `@context`.
fn embedded(mut document: Value) -> Value {
    if let Some(map) = document.as_object_mut() {
        map.remove("@context");
    }
    document
}

/// The pinned thoughts as Mastodon's `featured`: their Notes, the latest pin first. Only
/// public and unlisted ones can be pinned, and a deleted one leaves the list.
async fn featured(
    backend: &Backend,
    urls: Urls<'_>,
    user: Uuid,
    name: &str,
) -> Result<Value, FederationError> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT t.id FROM pins p JOIN thoughts t ON t.id = p.thought_id
          WHERE p.user_id = $1 AND t.user_id = $1 AND t.deleted_at IS NULL
            AND t.visibility IN ('public', 'unlisted')
          ORDER BY p.created_at DESC, t.id DESC",
    )
    .bind(user)
    .fetch_all(&backend.pool)
    .await?;
    let mut connection = backend.pool.acquire().await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(embedded(outbox::note(&mut connection, urls, id).await?));
    }
    Ok(json!({
        "@context": vocab::context(),
        "id": urls.featured(name),
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    }))
}

/// The Top Friends as a FEP-7aa9 `FeaturedCollection` (without `@context`): each friend a
/// `FeaturedItem` naming the actor, in the owner's order.
async fn top_friends(
    backend: &Backend,
    urls: Urls<'_>,
    user: Uuid,
    name: &str,
) -> Result<Value, FederationError> {
    let friends: Vec<(String, bool, Option<String>, i16)> = sqlx::query_as(
        "SELECT u.username, u.is_remote, u.ap_id, f.position FROM top_friends f JOIN users u ON u.id = f.friend_id
          WHERE f.user_id = $1 ORDER BY f.position",
    )
    .bind(user)
    .fetch_all(&backend.pool)
    .await?;
    let id = urls.top_friends(name);
    let items: Vec<Value> = friends
        .into_iter()
        .map(|(username, remote, ap_id, position)| {
            json!({
                "id": format!("{id}#{position}"),
                "type": "FeaturedItem",
                "featuredObject": actor_id(urls, (username, remote, ap_id)),
                "featuredObjectType": "Person",
            })
        })
        .collect();
    Ok(json!({
        "id": id,
        "type": "FeaturedCollection",
        "name": "Top Friends",
        "attributedTo": urls.actor(name),
        "totalItems": items.len(),
        "orderedItems": items,
    }))
}

fn actor_id(urls: Urls<'_>, (username, remote, ap_id): (String, bool, Option<String>)) -> String {
    if remote {
        ap_id.unwrap_or_default()
    } else {
        urls.actor(&username)
    }
}
