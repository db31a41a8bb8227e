//! Where a person stopped reading (Mastodon's markers), so that their apps agree: one
//! position per timeline (`home`, `notifications`), with a version that counts the moves.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{error::AppError, text};

/// The timelines that keep a marker.
pub const TIMELINES: [&str; 2] = ["home", "notifications"];
/// The longest id a marker holds (our ids are UUIDs; apps send back what we gave them).
const MAX_ID_CHARS: usize = 100;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Marker {
    pub timeline: String,
    pub last_read_id: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// `user`'s markers for `timelines` (unknown names are refused, naming `timeline`).
pub async fn get(pool: &PgPool, user: Uuid, timelines: &[String]) -> Result<Vec<Marker>, AppError> {
    for timeline in timelines {
        check_timeline(timeline)?;
    }
    Ok(sqlx::query_as(
        "SELECT timeline, last_read_id, version, updated_at FROM markers
          WHERE user_id = $1 AND timeline = ANY($2) ORDER BY timeline",
    )
    .bind(user)
    .bind(timelines)
    .fetch_all(pool)
    .await?)
}

/// Moves `user`'s markers: (timeline, last read id) pairs, all or none.
pub async fn set(
    pool: &PgPool,
    user: Uuid,
    positions: &[(String, String)],
) -> Result<Vec<Marker>, AppError> {
    for (timeline, id) in positions {
        check_timeline(timeline)?;
        let field = format!("{timeline}[last_read_id]");
        if id.trim().is_empty() {
            return Err(AppError::invalid(&field, "is missing"));
        }
        if text::has_forbidden_controls(id, false) || id.chars().count() > MAX_ID_CHARS {
            return Err(AppError::invalid(&field, "is not an id"));
        }
    }
    let mut transaction = pool.begin().await?;
    let mut moved = Vec::with_capacity(positions.len());
    for (timeline, id) in positions {
        moved.push(
            sqlx::query_as(
                "INSERT INTO markers (user_id, timeline, last_read_id) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, timeline) DO UPDATE
                    SET last_read_id = EXCLUDED.last_read_id, version = markers.version + 1, updated_at = now()
                 RETURNING timeline, last_read_id, version, updated_at",
            )
            .bind(user)
            .bind(timeline)
            .bind(id.trim())
            .fetch_one(&mut *transaction)
            .await?,
        );
    }
    transaction.commit().await?;
    Ok(moved)
}

fn check_timeline(timeline: &str) -> Result<(), AppError> {
    if TIMELINES.contains(&timeline) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "timeline",
            "must be home or notifications",
        ))
    }
}
