//! One search box: people (username, display name), tags and thoughts, through the trigram
//! indexes. Queries of one or two characters match people and tags by prefix only (a
//! trigram needs three characters to mean anything). Blocks and visibility apply.

use uuid::Uuid;

use super::{
    federation::remote,
    visibility::{self, blocked_between, visible_to, Arg},
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

pub async fn search(
    backend: &Backend,
    viewer: Option<Uuid>,
    query: &str,
) -> Result<SearchResults, AppError> {
    if crate::text::has_forbidden_controls(query, false) {
        return Err(AppError::invalid("q", "remove the control characters"));
    }
    let pool = &backend.pool;
    // `@name@server`: someone elsewhere in the fediverse, looked up for logged-in people (a
    // visitor cannot make this server fetch from others).
    let remote_person: Option<crate::model::PersonCard> = match (
        viewer,
        remote::parse_handle(query),
    ) {
        (Some(_), Some(_)) => match remote::resolve_handle(backend, query).await {
            Ok(actor) => {
                sqlx::query_as("SELECT username, display_name, avatar_url FROM users WHERE id = $1")
                    .bind(actor.user_id)
                    .fetch_optional(pool)
                    .await?
            }
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
        blocked = blocked_between("u.id", "$1::uuid"),
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
