//! Timelines, newest first, paged by keyset on (created_at, id): never OFFSET, so a page
//! costs the same however deep it is and nothing is skipped or repeated when thoughts arrive.

use sqlx::PgPool;

use crate::{
    error::AppError,
    model::{Cursor, ThoughtView, TimelinePage},
};

pub const PAGE_SIZE: i64 = 20;

/// The `before` parameter of a timeline request: empty means the newest page.
pub fn parse_before(before: Option<&str>) -> Result<Option<Cursor>, AppError> {
    match before {
        None | Some("") => Ok(None),
        Some(token) => Cursor::parse(token)
            .map(Some)
            .ok_or_else(|| AppError::invalid("before", "is not a timeline position")),
    }
}

/// Public thoughts by everyone.
pub async fn public(pool: &PgPool, before: Option<Cursor>, limit: i64) -> Result<TimelinePage, AppError> {
    page(pool, None, before, limit).await
}

/// Public thoughts by the local user `username`.
pub async fn by_author(
    pool: &PgPool,
    username: &str,
    before: Option<Cursor>,
    limit: i64,
) -> Result<TimelinePage, AppError> {
    page(pool, Some(username), before, limit).await
}

async fn page(
    pool: &PgPool,
    author: Option<&str>,
    before: Option<Cursor>,
    limit: i64,
) -> Result<TimelinePage, AppError> {
    // One row more than asked tells whether another page exists.
    let mut thoughts: Vec<ThoughtView> = sqlx::query_as(
        "SELECT t.id, t.content, t.created_at,
                u.username AS author_username, u.display_name AS author_display_name
           FROM thoughts t
           JOIN users u ON u.id = t.user_id
          WHERE t.visibility = 'public'
            AND ($1::text IS NULL OR lower(u.username) = lower($1))
            AND ($2::timestamptz IS NULL OR (t.created_at, t.id) < ($2, $3))
          ORDER BY t.created_at DESC, t.id DESC
          LIMIT $4",
    )
    .bind(author)
    .bind(before.map(|c| c.created_at))
    .bind(before.map(|c| c.id))
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;

    let next = if thoughts.len() as i64 > limit {
        thoughts.truncate(limit as usize);
        thoughts.last().map(Cursor::after)
    } else {
        None
    };
    Ok(TimelinePage { thoughts, next })
}
