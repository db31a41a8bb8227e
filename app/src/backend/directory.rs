//! What crawlers may list: local profiles and the tags of public thoughts (the sitemap).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::error::AppError;

/// The most a sitemap file may hold.
pub const SITEMAP_LIMIT: i64 = 50_000;

/// Local people, with when their profile last changed, newest first.
pub async fn profiles(pool: &PgPool) -> Result<Vec<(String, DateTime<Utc>)>, AppError> {
    Ok(sqlx::query_as("SELECT username, updated_at FROM users WHERE NOT is_remote ORDER BY updated_at DESC LIMIT $1")
        .bind(SITEMAP_LIMIT)
        .fetch_all(pool)
        .await?)
}

/// Tags that public, live thoughts carry, with their newest use.
pub async fn tags(pool: &PgPool) -> Result<Vec<(String, DateTime<Utc>)>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT g.name, max(tt.created_at) FROM tags g JOIN thought_tags tt ON tt.tag_id = g.id
           JOIN thoughts t ON t.id = tt.thought_id
          WHERE t.visibility = 'public' AND {}
          GROUP BY g.name ORDER BY max(tt.created_at) DESC LIMIT $1",
        super::visibility::visible_to("t", "NULL::uuid")
    ))
    .bind(SITEMAP_LIMIT)
    .fetch_all(pool)
    .await?)
}
