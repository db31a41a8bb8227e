//! One search box: people (username, display name), tags and thoughts, through the trigram
//! indexes. Queries of one or two characters match people and tags by prefix only (a
//! trigram needs three characters to mean anything). Blocks and visibility apply.

use sqlx::PgPool;
use uuid::Uuid;

use super::{
    timeline::{LISTED_AS_ITSELF, THOUGHT_COLUMNS},
    visibility::{blocked_between, visible_to},
};
use crate::{error::AppError, model::SearchResults};

const LIMIT: i64 = 20;
const MAX_QUERY_CHARS: usize = 100;

/// `LIKE` pattern matching `text` literally.
fn literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub async fn search(pool: &PgPool, viewer: Option<Uuid>, query: &str) -> Result<SearchResults, AppError> {
    let query = query.trim().trim_start_matches(['@', '#']);
    if query.is_empty() {
        return Ok(SearchResults::default());
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::invalid("q", format!("search for at most {MAX_QUERY_CHARS} characters")));
    }
    let short = query.chars().count() < 3;
    let prefix = format!("{}%", literal(&query.to_lowercase()));
    let contains = format!("%{}%", literal(query));

    let people = sqlx::query_as(&format!(
        "SELECT u.username, u.display_name, u.avatar_url FROM users u
          WHERE NOT u.is_remote AND NOT {blocked}
            AND (lower(u.username) LIKE $2
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

    let tags = sqlx::query_scalar(
        "SELECT g.name FROM tags g
          WHERE g.name LIKE $1 OR ($3 AND g.name % $2)
          ORDER BY (g.name = lower($2)) DESC, similarity(g.name, $2) DESC, g.name
          LIMIT $4",
    )
    .bind(&prefix)
    .bind(query)
    .bind(!short)
    .bind(LIMIT)
    .fetch_all(pool)
    .await?;

    let thoughts = if short {
        Vec::new()
    } else {
        sqlx::query_as(&format!(
            "SELECT {THOUGHT_COLUMNS}, {LISTED_AS_ITSELF}
               FROM thoughts t JOIN users u ON u.id = t.user_id
              WHERE t.content ILIKE $2 AND {visible}
              ORDER BY similarity(t.content, $3) DESC, t.created_at DESC
              LIMIT $4",
            visible = visible_to("t", "$1::uuid"),
        ))
        .bind(viewer)
        .bind(&contains)
        .bind(query)
        .bind(LIMIT)
        .fetch_all(pool)
        .await?
    };
    Ok(SearchResults { people, tags, thoughts })
}
