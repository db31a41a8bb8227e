//! One search box: people (username, display name), tags and thoughts, through the trigram
//! indexes. Queries of one or two characters match people and tags by prefix only (a
//! trigram needs three characters to mean anything). Visibility applies; of a block, only
//! its blocker finds the other (to be able to unblock them). With `resolve`, the address of
//! a status or account (ours, or another server's, fetched) finds that one.

use serde_json::Value;
use uuid::Uuid;

use super::{
    accounts,
    federation::{notes, remote, urls::Urls, vocab, FederationError},
    thoughts::{self, Visibility},
    timeline,
    visibility::{self, visible_to, Arg},
    Backend,
};
use crate::{error::AppError, model::SearchResults};

const LIMIT: i64 = 20;
const MAX_QUERY_CHARS: usize = 100;
/// How many of the newest thoughts a search reads before it falls back to the trigram index.
const RECENT_WINDOW: i64 = 5_000;

/// `LIKE` pattern matching `text` literally.
fn literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `person` has blocked `viewer` (SQL): then `viewer` does not find them. The other way
/// round they do, so that they can unblock.
fn blocks_viewer(person: &str, viewer: &str) -> String {
    format!("EXISTS (SELECT 1 FROM blocks vb WHERE vb.blocker_id = {person} AND vb.blocked_id = {viewer})")
}

/// Searches for `query`; with `resolve`, an http(s) address finds what it names (see
/// [`resolve_url`]) and nothing else.
pub async fn search(
    backend: &Backend,
    viewer: Option<Uuid>,
    query: &str,
    resolve: bool,
) -> Result<SearchResults, AppError> {
    if crate::text::has_forbidden_controls(query, false) {
        return Err(AppError::invalid("q", "remove the control characters"));
    }
    let pool = &backend.pool;
    if resolve && crate::text::is_http_url(query.trim()) {
        return resolved(backend, viewer, query.trim()).await;
    }
    // `@name@server`: someone elsewhere in the fediverse, looked up for logged-in people (a
    // visitor cannot make this server fetch from others).
    let remote_person: Option<crate::model::PersonCard> = match (
        viewer,
        remote::parse_handle(query),
    ) {
        (Some(_), Some(_)) => match remote::resolve_handle(backend, query).await {
            Ok(actor) => person_card(backend, viewer, actor.user_id).await?,
            Err(error) => {
                tracing::info!(%error, query, "a remote address in search could not be resolved");
                None
            }
        },
        _ => None,
    };
    let query = query.trim().trim_start_matches(['@', '#']);
    if query.is_empty() {
        return Ok(SearchResults::default());
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::invalid(
            "q",
            format!("search for at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let short = query.chars().count() < 3;
    let prefix = format!("{}%", literal(&query.to_lowercase()));
    let contains = format!("%{}%", literal(query));

    // Candidates: the shortest names starting with the query (the exact name first), and
    // for three characters or more the nearest names by trigram distance (GiST KNN); only
    // these are ranked, however many accounts look alike.
    let people = sqlx::query_as(&format!(
        "WITH candidates AS (
             (SELECT id FROM users WHERE username ILIKE $2 ORDER BY length(username), username LIMIT $6)
             UNION
             (SELECT id FROM users WHERE $4 ORDER BY username <-> $3 LIMIT $6)
             UNION
             (SELECT id FROM users WHERE $4 AND display_name IS NOT NULL ORDER BY display_name <-> $3 LIMIT $6)
         )
         SELECT u.username, u.display_name, u.avatar_url
           FROM candidates c JOIN users u ON u.id = c.id
          WHERE NOT u.is_remote AND NOT {blocked}
            AND (u.username ILIKE $2
                 OR ($4 AND (u.username % $3 OR u.display_name % $3 OR u.display_name ILIKE $5)))
          ORDER BY (lower(u.username) = lower($3)) DESC,
                   greatest(similarity(u.username, $3), similarity(coalesce(u.display_name, ''), $3)) DESC,
                   u.username
          LIMIT $6",
        blocked = blocks_viewer("u.id", "$1::uuid"),
    ))
    .bind(viewer)
    .bind(&prefix)
    .bind(query)
    .bind(!short)
    .bind(&contains)
    .bind(LIMIT)
    .fetch_all(pool)
    .await?;

    // A tag is found only through a thought the viewer may see (a private thought's tags
    // are as private as its text).
    let tags = sqlx::query_scalar(&format!(
        "SELECT g.name FROM tags g
          WHERE (g.name LIKE $1 OR ($3 AND g.name % $2))
            AND EXISTS (SELECT 1 FROM thought_tags tt JOIN thoughts t ON t.id = tt.thought_id
                         WHERE tt.tag_id = g.id AND {})
          ORDER BY (g.name = lower($2)) DESC, similarity(g.name, $2) DESC, g.name
          LIMIT $4",
        visible_to("t", "$5::uuid")
    ))
    .bind(&prefix)
    .bind(query)
    .bind(!short)
    .bind(LIMIT)
    .bind(viewer)
    .fetch_all(pool)
    .await?;

    let thoughts = if short {
        Vec::new()
    } else {
        // Common words match a good part of all thoughts, so ranking every match costs time in
        // proportion to the table. The newest RECENT_WINDOW thoughts are read first (in time
        // order, cheap); only when they hold fewer than a page of matches is the word rare
        // enough that ranking all its matches through the trigram index is cheap too. The
        // InitPlan `count(*) < $4` gates that second scan, so it does not run otherwise.
        let candidates = format!(
            "WITH recent AS MATERIALIZED (
                 SELECT t.id FROM (SELECT * FROM thoughts ORDER BY created_at DESC, id DESC LIMIT $5) t
                  WHERE t.content ILIKE $2 AND {visible}
             ),
             candidates AS (
                 SELECT id FROM recent
                  UNION
                 (SELECT t.id FROM thoughts t
                   WHERE (SELECT count(*) FROM recent) < $4 AND t.content ILIKE $2 AND {visible}
                   ORDER BY similarity(t.content, $3) DESC, t.created_at DESC
                   LIMIT $4)
             )
             {by_id} JOIN candidates c ON c.id = t.id
              ORDER BY similarity(t.content, $3) DESC, t.created_at DESC
              LIMIT $4",
            visible = visible_to("t", "$1::uuid"),
            by_id = visibility::BY_ID,
        );
        let args = vec![
            Arg::Text(Some(contains.clone())),
            Arg::Text(Some(query.to_owned())),
            Arg::Int(LIMIT),
            Arg::Int(RECENT_WINDOW),
        ];
        visibility::thoughts(
            pool,
            viewer,
            &candidates,
            "similarity(t.content, $3) DESC, t.created_at DESC",
            args,
        )
        .await?
    };
    let mut people: Vec<crate::model::PersonCard> = people;
    if let Some(person) = remote_person {
        people.retain(|p| p.username != person.username);
        people.insert(0, person);
    }
    Ok(SearchResults {
        people,
        tags,
        thoughts,
    })
}

/// The person `id` as search lists them, unless they block `viewer`.
async fn person_card(
    backend: &Backend,
    viewer: Option<Uuid>,
    id: Uuid,
) -> Result<Option<crate::model::PersonCard>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT u.username, u.display_name, u.avatar_url FROM users u
          WHERE u.id = $1 AND NOT {}",
        blocks_viewer("u.id", "$2::uuid")
    ))
    .bind(id)
    .bind(viewer)
    .fetch_optional(&backend.pool)
    .await?)
}

/// The results for an address: the one person or thought it names, if `viewer` may see it.
async fn resolved(
    backend: &Backend,
    viewer: Option<Uuid>,
    url: &str,
) -> Result<SearchResults, AppError> {
    let mut results = SearchResults::default();
    match resolve_url(backend, viewer, url).await? {
        Some(Resolved::Person(id)) => {
            results
                .people
                .extend(person_card(backend, viewer, id).await?);
        }
        Some(Resolved::Thought(id)) => {
            results.thoughts = timeline::some(&backend.pool, viewer, &[id]).await?;
        }
        None => {}
    }
    Ok(results)
}
/// What a URL given to search names, once found (or fetched).
enum Resolved {
    Person(Uuid),
    Thought(Uuid),
}

/// What a remote document turned out to be.
enum Fetched {
    Person(Uuid),
    Note(Box<thoughts::RemoteThought>),
}

/// The person or thought `url` names: ours by their address; someone else's (for a
/// logged-in viewer only: a visitor cannot make this server fetch) from the cache, or
/// fetched through the federation client, whose address checks apply, and stored. `None`
/// when it names nothing we can show.
async fn resolve_url(
    backend: &Backend,
    viewer: Option<Uuid>,
    url: &str,
) -> Result<Option<Resolved>, AppError> {
    let urls = Urls::new(&backend.public_url);
    if urls.is_local(url) {
        if let Some(id) = urls.local_thought(url) {
            return Ok(Some(Resolved::Thought(id)));
        }
        let name = urls.local_username(url).or_else(|| {
            let rest = url.strip_prefix(urls.base)?.strip_prefix("/@")?;
            (!rest.contains(['/', '?', '#'])).then(|| rest.to_owned())
        });
        return match name {
            Some(name) => match accounts::local_user_id(&backend.pool, &name).await {
                Ok(id) => Ok(Some(Resolved::Person(id))),
                Err(AppError::NotFound) => Ok(None),
                Err(error) => Err(error),
            },
            None => Ok(None),
        };
    }
    if viewer.is_none() {
        return Ok(None);
    }
    let known: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM thoughts WHERE ap_id = $1 OR url = $1 LIMIT 1")
            .bind(url)
            .fetch_optional(&backend.pool)
            .await?;
    if let Some(id) = known {
        return Ok(Some(Resolved::Thought(id)));
    }
    match fetch(backend, url).await {
        Ok(Fetched::Person(id)) => Ok(Some(Resolved::Person(id))),
        Ok(Fetched::Note(note)) => Ok(Some(Resolved::Thought(
            thoughts::store_remote(&backend.pool, *note).await?,
        ))),
        Err(error) => {
            tracing::info!(%error, url, "a URL in search could not be resolved");
            Ok(None)
        }
    }
}

/// Fetches the ActivityPub document at `url`: an actor is stored (as following it would),
/// a public or unlisted note with its author. A document is believed only as served from
/// its own id: one naming another id is fetched again from there.
async fn fetch(backend: &Backend, url: &str) -> Result<Fetched, FederationError> {
    let signer = remote::instance_signer(backend).await?;
    let mut document = backend.federation.get(url, &signer).await?;
    let id = vocab::id_of(&document)
        .ok_or_else(|| FederationError::Remote(format!("{url} has no id")))?
        .to_owned();
    if id != url {
        document = backend.federation.get(&id, &signer).await?;
        if vocab::id_of(&document) != Some(id.as_str()) {
            return Err(FederationError::Remote(format!(
                "{url} names {id}, which names another id"
            )));
        }
    }
    let kind = document.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "Person" | "Service" | "Application" | "Group" | "Organization" => {
            Ok(Fetched::Person(remote::actor(backend, &id).await?.user_id))
        }
        "Note" | "Article" | "Page" | "Question" => {
            let author = vocab::ids_in(document.get("attributedTo").unwrap_or(&Value::Null))
                .into_iter()
                .next()
                .ok_or_else(|| FederationError::Remote(format!("{id} has no author")))?;
            let actor = remote::actor(backend, &author).await?;
            let note = notes::note_from(backend, &actor, &document)
                .await?
                .ok_or_else(|| FederationError::Remote(format!("{id} is not a post we keep")))?;
            match note.visibility {
                Visibility::Public | Visibility::Unlisted => Ok(Fetched::Note(Box::new(note))),
                _ => Err(FederationError::Forbidden(format!(
                    "{id} is not public: only public posts are fetched by address"
                ))),
            }
        }
        other => Err(FederationError::Remote(format!(
            "{id} is a {other:?}, not a person or a post"
        ))),
    }
}
