//! Remote actors: fetched, checked, and cached in `remote_actors`, with the `users` row that
//! stands for them in follows, likes, thoughts and notifications. A cached actor is
//! refreshed after a day, or at once when its key no longer verifies (key rotation).

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{
    client::Signer,
    keys,
    reading::{
        self, address, authority, html_to_text, ids, lenient, one_or_many, truncate, Reference,
    },
    urls::Urls,
    FederationError,
};
use crate::{
    backend::{
        fields::{Bio, DisplayName, Username},
        Backend,
    },
    text::{self, strip_controls},
};

/// How long a fetched actor is trusted before it is fetched again.
const FRESH_FOR: Duration = Duration::days(1);
/// How much of a remote summary's HTML is read (it is cut to [`Bio::MAX_CHARS`] characters
/// of text anyway).
const MAX_SUMMARY_HTML_BYTES: usize = 16 * 1024;

/// A remote actor as the rest of the server needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RemoteActor {
    pub user_id: Uuid,
    pub ap_id: String,
    /// `name@host`.
    pub handle: String,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub public_key_id: Option<String>,
    pub public_key_pem: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

impl RemoteActor {
    /// Where deliveries for this actor go: the shared inbox when there is one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox_url.as_deref().unwrap_or(&self.inbox_url)
    }
}

const SELECT: &str = "SELECT u.id AS user_id, r.ap_url AS ap_id, u.username AS handle, r.inbox_url,
        r.shared_inbox_url, r.outbox_url, r.public_key_id, r.public_key_pem, r.fetched_at
   FROM remote_actors r JOIN users u ON u.id = r.user_id";

/// The instance actor's signer, for fetches no person asked for.
pub async fn instance_signer(backend: &Backend) -> Result<Signer, FederationError> {
    let pair = keys::instance(&backend.pool).await?;
    Signer::new(
        Urls::new(&backend.public_url).instance_key_id(),
        &pair.private_pem,
    )
}

/// The cached actor with this id, if any.
pub async fn cached(
    backend: &Backend,
    ap_id: &str,
) -> Result<Option<RemoteActor>, FederationError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE r.ap_url = $1"))
        .bind(ap_id)
        .fetch_optional(&backend.pool)
        .await?)
}

/// The actor with this id: from the cache while fresh, fetched otherwise.
pub async fn actor(backend: &Backend, ap_id: &str) -> Result<RemoteActor, FederationError> {
    if Urls::new(&backend.public_url).is_local(ap_id) {
        return Err(FederationError::BadRequest(format!(
            "{ap_id} is a local actor"
        )));
    }
    if let Some(actor) = cached(backend, ap_id).await? {
        if Utc::now() - actor.fetched_at < FRESH_FOR {
            return Ok(actor);
        }
        // Stale: refresh, but keep using the cached copy if its server is away.
        return match fetch_actor(backend, ap_id).await {
            Ok(fresh) => Ok(fresh),
            Err(error) => {
                tracing::warn!(%error, ap_id, "refreshing a remote actor failed; using the cached copy");
                Ok(actor)
            }
        };
    }
    fetch_actor(backend, ap_id).await
}

/// Fetches an actor document and stores it.
/// Our own people are not remote: a URL on this server is never fetched or stored as a
/// remote actor (a request whose key names one of ours would otherwise make a phantom copy).
fn refuse_our_own(backend: &Backend, url: &str) -> Result<(), FederationError> {
    let ours = super::urls::Urls::new(&backend.public_url).host();
    match authority(url) {
        Some(host) if host.eq_ignore_ascii_case(ours) => Err(FederationError::Unauthorized(
            format!("{url} is on this server, not a remote actor"),
        )),
        _ => Ok(()),
    }
}

pub async fn fetch_actor(backend: &Backend, ap_id: &str) -> Result<RemoteActor, FederationError> {
    refuse_our_own(backend, ap_id)?;
    let signer = instance_signer(backend).await?;
    let document = backend.federation.get(ap_id, &signer).await?;
    store_actor(backend, ap_id, &document).await
}

/// Splits `@name@domain` (or `name@domain`) into its parts, if it is one.
pub fn parse_handle(text: &str) -> Option<(&str, &str)> {
    let (name, domain) = text.trim().trim_start_matches('@').split_once('@')?;
    let name_ok = Username::problem(name, true).is_none();
    let domain_ok = domain.contains('.') || domain.contains(':');
    let domain_ok = domain_ok
        && !domain.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    (name_ok && domain_ok).then_some((name, domain))
}

/// Finds `@name@domain`: the cached actor while fresh, else WebFinger on `domain` and then
/// the actor document it points to.
pub async fn resolve_handle(
    backend: &Backend,
    handle: &str,
) -> Result<RemoteActor, FederationError> {
    let (name, domain) = parse_handle(handle).ok_or_else(|| {
        FederationError::BadRequest(format!("{handle:?} is not an address like @name@server"))
    })?;
    if domain.eq_ignore_ascii_case(Urls::new(&backend.public_url).host()) {
        return Err(FederationError::BadRequest(format!(
            "@{name}@{domain} is on this server"
        )));
    }
    let cached: Option<RemoteActor> =
        sqlx::query_as(&format!("{SELECT} WHERE lower(u.username) = lower($1)"))
            .bind(format!("{name}@{domain}"))
            .fetch_optional(&backend.pool)
            .await?;
    if let Some(actor) = cached {
        return self::actor(backend, &actor.ap_id).await;
    }
    let webfinger = |scheme: &str| {
        format!("{scheme}://{domain}/.well-known/webfinger?resource=acct:{name}@{domain}")
    };
    // https, as the fediverse requires; plain http only where private addresses are allowed (tests).
    let jrd = match backend.federation.get_plain_json(&webfinger("https")).await {
        Ok(jrd) => jrd,
        // If plain http fails too, the https error is the one worth reporting.
        Err(error) if backend.federation.allows_private() => backend
            .federation
            .get_plain_json(&webfinger("http"))
            .await
            .map_err(|_| error)?,
        Err(error) => return Err(error),
    };
    let jrd: Jrd = reading::parse(&jrd, "WebFinger document")?;
    let actor_url = jrd
        .links
        .into_iter()
        .find(|link| {
            link.rel.as_deref() == Some("self")
                && link
                    .kind
                    .as_deref()
                    .is_some_and(|t| t.contains("activity+json") || t.contains("ld+json"))
        })
        .and_then(|link| link.href)
        .ok_or_else(|| FederationError::Remote(format!("{domain} does not know @{name}")))?;
    fetch_actor(backend, &actor_url).await
}

/// A WebFinger answer (JRD): its links, of which the `self` one names the actor.
#[derive(Debug, Deserialize)]
struct Jrd {
    #[serde(default, deserialize_with = "one_or_many")]
    links: Vec<JrdLink>,
}

#[derive(Debug, Deserialize)]
struct JrdLink {
    #[serde(default, deserialize_with = "lenient")]
    rel: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    href: Option<String>,
}

/// Refreshes what a remote profile shows: the actor, its counts and the first page of its
/// followers and following (`remote_actor_connections`), and its recent public posts,
/// read from its outbox into the cache. Slow servers only delay this person's profile.
pub async fn refresh_profile(backend: &Backend, ap_id: &str) -> Result<(), FederationError> {
    let actor = fetch_actor(backend, ap_id).await?;
    let signer = instance_signer(backend).await?;
    let urls: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT followers_url, following_url FROM remote_actors WHERE ap_url = $1")
            .bind(ap_id)
            .fetch_optional(&backend.pool)
            .await?;
    let (followers, following) = urls.unwrap_or_default();
    for (direction, column, url) in [
        ("follower", "follower_count", followers),
        ("following", "following_count", following),
    ] {
        let Some(url) = url else { continue };
        let Ok((total, items)) = collection_page(backend, &url, &signer).await else {
            continue;
        };
        let mut transaction = backend.pool.begin().await?;
        sqlx::query(&format!(
            "UPDATE remote_actors SET {column} = $2 WHERE ap_url = $1"
        ))
        .bind(ap_id)
        .bind(total)
        .execute(&mut *transaction)
        .await?;
        sqlx::query(
            "DELETE FROM remote_actor_connections WHERE direction = $2
                AND remote_actor_id = (SELECT id FROM remote_actors WHERE ap_url = $1)",
        )
        .bind(ap_id)
        .bind(direction)
        .execute(&mut *transaction)
        .await?;
        let connected: Vec<String> = items
            .iter()
            .filter_map(|item| item.id().map(str::to_owned))
            .collect();
        sqlx::query(
            "INSERT INTO remote_actor_connections (remote_actor_id, direction, connected_ap_url)
             SELECT r.id, $2, other FROM remote_actors r, unnest($3::text[]) AS other WHERE r.ap_url = $1
             ON CONFLICT DO NOTHING",
        )
        .bind(ap_id)
        .bind(direction)
        .bind(&connected)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
    }
    if let Some(outbox) = &actor.outbox_url {
        if let Ok((total, items)) = collection_page(backend, outbox, &signer).await {
            sqlx::query("UPDATE remote_actors SET post_count = $2 WHERE ap_url = $1")
                .bind(ap_id)
                .bind(total)
                .execute(&backend.pool)
                .await?;
            for item in items.iter().take(20) {
                if item.kind() != Some("Create") {
                    continue;
                }
                let Some(note) = item
                    .embedded::<OutboxCreate>()
                    .and_then(|create| create.object)
                    .filter(|note| matches!(note, Reference::Embedded(_)))
                else {
                    continue;
                };
                match super::notes::note_from(backend, &actor, &note.to_value()).await {
                    Ok(Some(thought))
                        if thought.visibility == crate::backend::thoughts::Visibility::Public =>
                    {
                        if let Err(error) =
                            crate::backend::thoughts::store_remote(&backend.pool, thought).await
                        {
                            tracing::debug!(%error, "a post from an outbox was not stored");
                        }
                    }
                    Ok(_) => {}
                    Err(error) => tracing::debug!(%error, "a post from an outbox was not readable"),
                }
            }
        }
    }
    Ok(())
}

/// A Create in an outbox: its note is read if it is embedded.
#[derive(Debug, Deserialize)]
struct OutboxCreate {
    #[serde(default)]
    object: Option<Reference>,
}

/// A collection, or one of its pages, as far as a profile reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CollectionDocument {
    #[serde(default, deserialize_with = "lenient")]
    total_items: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    ordered_items: Option<Vec<Reference>>,
    #[serde(default, deserialize_with = "lenient")]
    items: Option<Vec<Reference>>,
    #[serde(default)]
    first: Option<Reference>,
}

impl CollectionDocument {
    fn read(document: &Value) -> Self {
        Self::deserialize(document).unwrap_or_default()
    }

    fn into_items(self) -> Vec<Reference> {
        self.ordered_items.or(self.items).unwrap_or_default()
    }
}

/// The total and the first items of a collection (its `first` page followed when needed).
async fn collection_page(
    backend: &Backend,
    url: &str,
    signer: &Signer,
) -> Result<(Option<i32>, Vec<Reference>), FederationError> {
    let mut collection = CollectionDocument::read(&backend.federation.get(url, signer).await?);
    let total = collection.total_items.and_then(|n| i32::try_from(n).ok());
    let first = collection.first.take();
    let mut items = collection.into_items();
    if items.is_empty() {
        match first {
            Some(Reference::Id(first)) if authority(&first) == authority(url) => {
                items = CollectionDocument::read(&backend.federation.get(&first, signer).await?)
                    .into_items();
            }
            Some(page @ Reference::Embedded(_)) => {
                items = CollectionDocument::read(&page.to_value()).into_items()
            }
            _ => {}
        }
    }
    Ok((total, items))
}

/// The owner and public key of `key_id`, for verifying a signature. `refresh` fetches it
/// again even if cached (after a verification failure: the key may have been rotated).
pub async fn key(
    backend: &Backend,
    key_id: &str,
    refresh: bool,
) -> Result<(RemoteActor, String), FederationError> {
    refuse_our_own(backend, key_id)?;
    if !refresh {
        let found: Option<RemoteActor> =
            sqlx::query_as(&format!("{SELECT} WHERE r.public_key_id = $1"))
                .bind(key_id)
                .fetch_optional(&backend.pool)
                .await?;
        if let Some(actor) = found {
            if let Some(pem) = actor.public_key_pem.clone() {
                return Ok((actor, pem));
            }
        }
    }
    let without_fragment = key_id.split('#').next().unwrap_or(key_id);
    let signer = instance_signer(backend).await?;
    let document = backend.federation.get(without_fragment, &signer).await?;
    // The key id names either the actor (with a fragment) or a key document with an owner.
    let key_document = KeyDocument::deserialize(&document).unwrap_or_default();
    let actor = if key_document.inbox.is_some() {
        store_actor(backend, without_fragment, &document).await?
    } else {
        let owner = key_document.owner.ok_or_else(|| {
            FederationError::Unauthorized(format!("the key {key_id} names no owner"))
        })?;
        fetch_actor(backend, &owner).await?
    };
    match (&actor.public_key_id, &actor.public_key_pem) {
        (Some(id), Some(pem)) if id == key_id => Ok((actor.clone(), pem.clone())),
        _ => Err(FederationError::Unauthorized(format!(
            "the actor {} does not publish the key {key_id}",
            actor.ap_id
        ))),
    }
}

/// What a key id's document is: an actor (it has an inbox), or a key naming its owner.
#[derive(Debug, Default, Deserialize)]
struct KeyDocument {
    #[serde(default)]
    inbox: Option<Value>,
    #[serde(default, deserialize_with = "lenient")]
    owner: Option<String>,
}

/// Checks an actor document fetched from `fetched_from` and stores it.
pub async fn store_actor(
    backend: &Backend,
    fetched_from: &str,
    document: &Value,
) -> Result<RemoteActor, FederationError> {
    refuse_our_own(backend, fetched_from)?;
    let parsed = parse_actor(fetched_from, document)?;
    let mut transaction = backend.pool.begin().await?;
    let user_id: Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, bio, avatar_url, header_url, is_remote, ap_id, inbox_url, locked)
         VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8)
         ON CONFLICT (ap_id) DO UPDATE SET
             username = EXCLUDED.username, display_name = EXCLUDED.display_name, bio = EXCLUDED.bio,
             avatar_url = EXCLUDED.avatar_url, header_url = EXCLUDED.header_url,
             inbox_url = EXCLUDED.inbox_url, locked = EXCLUDED.locked, updated_at = now()
         RETURNING id",
    )
    .bind(&parsed.handle)
    .bind(&parsed.display_name)
    .bind(&parsed.bio)
    .bind(&parsed.avatar_url)
    .bind(&parsed.header_url)
    .bind(&parsed.ap_id)
    .bind(&parsed.inbox_url)
    .bind(parsed.locked)
    .fetch_one(&mut *transaction)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            FederationError::BadRequest(format!("another actor already goes by {}", parsed.handle))
        }
        _ => FederationError::from(error),
    })?;
    sqlx::query(
        "INSERT INTO remote_actors (ap_url, username, display_name, avatar_url, inbox_url, user_id, shared_inbox_url,
                                    outbox_url, followers_url, following_url, profile_url, public_key_id, public_key_pem,
                                    fetched_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())
         ON CONFLICT (ap_url) DO UPDATE SET
             username = EXCLUDED.username, display_name = EXCLUDED.display_name, avatar_url = EXCLUDED.avatar_url,
             inbox_url = EXCLUDED.inbox_url, user_id = EXCLUDED.user_id, shared_inbox_url = EXCLUDED.shared_inbox_url,
             outbox_url = EXCLUDED.outbox_url, followers_url = EXCLUDED.followers_url,
             following_url = EXCLUDED.following_url, profile_url = EXCLUDED.profile_url,
             public_key_id = EXCLUDED.public_key_id, public_key_pem = EXCLUDED.public_key_pem, fetched_at = now()",
    )
    .bind(&parsed.ap_id)
    .bind(&parsed.preferred_username)
    .bind(&parsed.display_name)
    .bind(&parsed.avatar_url)
    .bind(&parsed.inbox_url)
    .bind(user_id)
    .bind(&parsed.shared_inbox_url)
    .bind(&parsed.outbox_url)
    .bind(&parsed.followers_url)
    .bind(&parsed.following_url)
    .bind(&parsed.profile_url)
    .bind(&parsed.public_key_id)
    .bind(&parsed.public_key_pem)
    .execute(&mut *transaction)
    .await?;
    crate::backend::profile_fields::store_remote(&mut transaction, user_id, document).await?;
    transaction.commit().await?;
    cached(backend, &parsed.ap_id)
        .await?
        .ok_or(FederationError::Internal)
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedActor {
    pub ap_id: String,
    pub preferred_username: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub profile_url: Option<String>,
    pub public_key_id: Option<String>,
    pub public_key_pem: Option<String>,
    /// `manuallyApprovesFollowers`: our follows wait for their Accept (they always do) and
    /// the account shows as locked.
    pub locked: bool,
}

/// An actor document as we read it (Person, Service, Application, Group, Organization).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActorDocument {
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    preferred_username: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    summary: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    inbox: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    outbox: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    followers: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    following: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    endpoints: Option<Endpoints>,
    #[serde(default, deserialize_with = "one_or_many")]
    public_key: Vec<PublicKey>,
    #[serde(default, deserialize_with = "one_or_many")]
    icon: Vec<Image>,
    #[serde(default, deserialize_with = "one_or_many")]
    image: Vec<Image>,
    /// May list several links.
    #[serde(default, deserialize_with = "ids")]
    url: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    manually_approves_followers: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Endpoints {
    #[serde(default, deserialize_with = "lenient")]
    shared_inbox: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKey {
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    public_key_pem: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Image {
    #[serde(default)]
    url: Option<Reference>,
}

impl Image {
    fn address(images: &[Image]) -> Option<String> {
        let url = images.first()?.url.as_ref()?.id()?;
        address(Some(url.to_owned()))
    }
}

/// Reads an actor document fetched from `fetched_from`: pure, so every check is testable
/// without a network or a database. Its names and summary lose their control characters
/// and are cut to the limits of our own ([`DisplayName`], [`Bio`]), never refused for their
/// length; its addresses must be http(s); its `preferredUsername` must be a name as ours
/// are ([`Username::problem`]), or the actor is refused.
pub(crate) fn parse_actor(
    fetched_from: &str,
    document: &Value,
) -> Result<ParsedActor, FederationError> {
    let bad =
        |why: &str| FederationError::BadRequest(format!("the actor at {fetched_from:?} {why}"));
    let document = ActorDocument::deserialize(document).map_err(|_| bad("is not a JSON object"))?;
    let ap_id = document.id.ok_or_else(|| bad("has no id"))?;
    let ap_id = address(Some(ap_id)).ok_or_else(|| bad("has an id that is not an http(s) URL"))?;
    // A document speaks only for its own server.
    let host = authority(&ap_id).ok_or_else(|| bad("has an id that is not a URL"))?;
    if authority(fetched_from).as_deref() != Some(host.as_str()) {
        return Err(bad("claims an id on another server"));
    }
    if !matches!(
        document.kind.as_deref(),
        Some("Person" | "Service" | "Application" | "Group" | "Organization")
    ) {
        return Err(bad("is not an actor"));
    }
    let preferred_username = document
        .preferred_username
        .filter(|name| !name.is_empty())
        .ok_or_else(|| bad("has no preferredUsername"))?;
    if let Some(problem) = Username::problem(&preferred_username, true) {
        return Err(bad(&format!(
            "has an unusable preferredUsername {preferred_username:?} ({problem})"
        )));
    }
    let inbox_url = document.inbox.ok_or_else(|| bad("has no inbox"))?;
    let same_server = |url: Option<String>| {
        address(url).filter(|url| authority(url).as_deref() == Some(host.as_str()))
    };
    let inbox_url =
        same_server(Some(inbox_url)).ok_or_else(|| bad("has an inbox on another server"))?;
    let (public_key_id, public_key_pem) = match document.public_key.into_iter().next() {
        Some(key) => {
            if key.owner.as_ref().is_some_and(|owner| *owner != ap_id) {
                return Err(bad("publishes a key owned by someone else"));
            }
            (address(key.id), key.public_key_pem)
        }
        None => (None, None),
    };
    if let Some(pem) = &public_key_pem {
        keys::public_key(pem).map_err(|why| bad(&why))?;
    }
    // The first http(s) one: `url` may list several links.
    let profile_url = document.url.into_iter().find_map(|url| address(Some(url)));
    // Bounded before the HTML is parsed: the summary is cut to a few characters anyway.
    let summary = document
        .summary
        .map(|html| text::truncate_bytes(&html, MAX_SUMMARY_HTML_BYTES).to_owned());
    Ok(ParsedActor {
        handle: format!("{preferred_username}@{host}"),
        display_name: document
            .name
            .map(|name| truncate(strip_controls(&name, false).trim(), DisplayName::MAX_CHARS))
            .filter(|name| !name.is_empty()),
        bio: summary
            .map(|html| {
                truncate(
                    strip_controls(&html_to_text(&html), true).trim(),
                    Bio::MAX_CHARS,
                )
            })
            .filter(|bio| !bio.is_empty()),
        avatar_url: Image::address(&document.icon),
        header_url: Image::address(&document.image),
        locked: document.manually_approves_followers.unwrap_or(false),
        shared_inbox_url: same_server(document.endpoints.and_then(|e| e.shared_inbox)),
        outbox_url: same_server(document.outbox),
        followers_url: same_server(document.followers),
        following_url: same_server(document.following),
        profile_url,
        public_key_id,
        public_key_pem,
        inbox_url,
        preferred_username,
        ap_id,
    })
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mastodon_actor() -> Value {
        // A real key: documents with unreadable keys are refused.
        static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let pem = PEM.get_or_init(|| {
            use rsa::pkcs8::{EncodePublicKey, LineEnding};
            let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
            private
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap()
        });
        json!({
            "id": "https://m.example/users/bo", "type": "Person", "preferredUsername": "bo",
            "name": "Bo <3", "summary": "<p>Hi &amp; welcome</p><p>line</p>",
            "inbox": "https://m.example/users/bo/inbox", "outbox": "https://m.example/users/bo/outbox",
            "endpoints": { "sharedInbox": "https://m.example/inbox" },
            "icon": { "type": "Image", "url": "https://m.example/bo.png" },
            "url": "https://m.example/@bo",
            "publicKey": { "id": "https://m.example/users/bo#main-key", "owner": "https://m.example/users/bo",
                           "publicKeyPem": pem }
        })
    }

    #[test]
    fn a_mastodon_actor_parses() {
        let parsed = parse_actor("https://m.example/users/bo", &mastodon_actor()).unwrap();
        assert_eq!(parsed.handle, "bo@m.example");
        assert_eq!(parsed.bio.as_deref(), Some("Hi & welcome\n\nline"));
        assert_eq!(
            parsed.shared_inbox_url.as_deref(),
            Some("https://m.example/inbox")
        );
        assert_eq!(
            parsed.avatar_url.as_deref(),
            Some("https://m.example/bo.png")
        );
        assert_eq!(
            parsed.public_key_id.as_deref(),
            Some("https://m.example/users/bo#main-key")
        );
    }

    #[test]
    fn an_actor_cannot_speak_for_another_server() {
        let error = parse_actor("https://evil.example/bo", &mastodon_actor())
            .unwrap_err()
            .to_string();
        assert!(error.contains("another server"), "{error}");
        let mut foreign_inbox = mastodon_actor();
        foreign_inbox["inbox"] = json!("https://victim.example/inbox");
        assert!(parse_actor("https://m.example/users/bo", &foreign_inbox).is_err());
        let mut foreign_key = mastodon_actor();
        foreign_key["publicKey"]["owner"] = json!("https://m.example/users/al");
        assert!(parse_actor("https://m.example/users/bo", &foreign_key).is_err());
    }

    #[test]
    fn only_http_addresses_are_kept_from_an_actor() {
        let mut actor = mastodon_actor();
        actor["url"] = json!("javascript:alert(document.cookie)");
        actor["icon"] = json!({ "url": "javascript:alert(1)" });
        actor["image"] = json!({ "url": "data:image/svg+xml,<svg onload=alert(1)>" });
        let parsed = parse_actor("https://m.example/users/bo", &actor).unwrap();
        assert_eq!(
            (parsed.profile_url, parsed.avatar_url, parsed.header_url),
            (None, None, None)
        );
        actor["url"] = json!(["JavaScript:alert(1)", "https://m.example/@bo"]);
        assert_eq!(
            parse_actor("https://m.example/users/bo", &actor)
                .unwrap()
                .profile_url
                .as_deref(),
            Some("https://m.example/@bo")
        );
        let mut bad_inbox = mastodon_actor();
        bad_inbox["inbox"] = json!("https://m.example/users/bo/inbox\u{0}");
        assert!(parse_actor("https://m.example/users/bo", &bad_inbox)
            .unwrap_err()
            .to_string()
            .contains("inbox"));
    }

    #[test]
    fn a_preferred_username_must_be_a_name_as_ours_are() {
        for bad in [
            "bo#",
            "bo?x=1",
            "bo\nmallory",
            "bo\u{202e}gnp",
            "<b>bo",
            "b\u{0}o",
            "bo/x",
            "bö",
            "bo x",
        ] {
            let mut actor = mastodon_actor();
            actor["preferredUsername"] = json!(bad);
            let error = parse_actor("https://m.example/users/bo", &actor).unwrap_err();
            assert!(
                matches!(error, FederationError::BadRequest(_)),
                "{bad:?}: {error}"
            );
            assert!(
                error.to_string().contains("unusable preferredUsername"),
                "{error}"
            );
        }
        let mut dotted = mastodon_actor();
        dotted["preferredUsername"] = json!("jo.doe");
        assert_eq!(
            parse_actor("https://m.example/users/bo", &dotted)
                .unwrap()
                .handle,
            "jo.doe@m.example"
        );
    }

    #[test]
    fn remote_names_and_summaries_lose_their_control_characters() {
        let mut actor = mastodon_actor();
        actor["name"] = json!("Bo\u{0}\u{1b}[31m Red\nline");
        actor["summary"] = json!("<p>one\u{7}</p><p>two &#x1b;three</p>");
        let parsed = parse_actor("https://m.example/users/bo", &actor).unwrap();
        assert_eq!(parsed.display_name.as_deref(), Some("Bo[31m Redline"));
        assert_eq!(parsed.bio.as_deref(), Some("one\n\ntwo three"));
    }
}
