//! Hashtags a person follows (their public thoughts come to home: `timeline::Feed::Home`)
//! and features on their profile. Counts on a featured tag are of the person's public and
//! unlisted thoughts only, which anyone may see.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::{error::AppError, text};

/// How many tags one person may follow, and feature (Mastodon features at most 10).
pub const MAX_FOLLOWED: i64 = 1000;
pub const MAX_FEATURED: i64 = 10;

/// A tag name as typed (with or without `#`), lower-cased; refused unless it is a whole tag.
pub fn name(raw: &str, field: &str) -> Result<String, AppError> {
    let bare = raw.trim().trim_start_matches('#');
    // Lower-casing can change a name's length and letters (`İ` becomes `i` and a combining
    // dot): the result must be the whole name, lower-cased, and of word characters still.
    match text::tags(&format!("#{bare}")).as_slice() {
        [tag]
            if *tag == bare.to_lowercase()
                && tag.chars().all(|c| c.is_alphanumeric() || c == '_') =>
        {
            Ok(tag.clone())
        }
        _ => Err(AppError::invalid(
            field,
            "use letters, digits and underscores (at most 50)",
        )),
    }
}

/// A tag, and whether the person asking follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    pub name: String,
    pub following: bool,
}

/// The id of tag `name`, made if it does not exist yet.
async fn tag_id<'e>(db: impl PgExecutor<'e>, name: &str) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
    )
    .bind(name)
    .fetch_one(db)
    .await?)
}

/// Tag `name` as `viewer` sees it (a tag nobody used yet is still a tag).
pub async fn info(pool: &PgPool, viewer: Option<Uuid>, name: &str) -> Result<TagInfo, AppError> {
    let following: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM followed_tags f JOIN tags g ON g.id = f.tag_id
                         WHERE f.user_id = $1 AND g.name = $2)",
    )
    .bind(viewer)
    .bind(name)
    .fetch_one(pool)
    .await?;
    Ok(TagInfo {
        name: name.to_owned(),
        following,
    })
}

/// `user` follows tag `name` (`on`) or stops. Either twice changes nothing.
pub async fn follow(pool: &PgPool, user: Uuid, name: &str, on: bool) -> Result<TagInfo, AppError> {
    if on {
        let mut transaction = pool.begin().await?;
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
            .bind(user)
            .execute(&mut *transaction)
            .await?;
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM followed_tags WHERE user_id = $1")
                .bind(user)
                .fetch_one(&mut *transaction)
                .await?;
        if count >= MAX_FOLLOWED {
            return Err(AppError::invalid(
                "name",
                format!("you can follow at most {MAX_FOLLOWED} tags"),
            ));
        }
        let id = tag_id(&mut *transaction, name).await?;
        sqlx::query(
            "INSERT INTO followed_tags (user_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
    } else {
        sqlx::query(
            "DELETE FROM followed_tags f USING tags g WHERE f.tag_id = g.id AND f.user_id = $1 AND g.name = $2",
        )
        .bind(user)
        .bind(name)
        .execute(pool)
        .await?;
    }
    info(pool, Some(user), name).await
}

/// The tags `user` follows, the latest followed first: (name, when followed) for paging.
pub async fn followed(
    pool: &PgPool,
    user: Uuid,
    before: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<(String, DateTime<Utc>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT g.name, f.created_at FROM followed_tags f JOIN tags g ON g.id = f.tag_id
          WHERE f.user_id = $1 AND ($2::timestamptz IS NULL OR f.created_at < $2)
          ORDER BY f.created_at DESC, g.name LIMIT $3",
    )
    .bind(user)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// A tag featured on a profile, with the owner's public use of it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeaturedTag {
    pub id: Uuid,
    pub name: String,
    pub statuses_count: i64,
    pub last_status_at: Option<DateTime<Utc>>,
}

const FEATURED: &str = "SELECT ft.id, g.name,
        (SELECT count(*) FROM thought_tags tt JOIN thoughts t ON t.id = tt.thought_id
          WHERE tt.tag_id = g.id AND t.user_id = ft.user_id AND t.deleted_at IS NULL
            AND t.visibility IN ('public', 'unlisted')) AS statuses_count,
        (SELECT max(t.created_at) FROM thought_tags tt JOIN thoughts t ON t.id = tt.thought_id
          WHERE tt.tag_id = g.id AND t.user_id = ft.user_id AND t.deleted_at IS NULL
            AND t.visibility IN ('public', 'unlisted')) AS last_status_at
   FROM featured_tags ft JOIN tags g ON g.id = ft.tag_id";

/// The tags `user` features, oldest first.
pub async fn featured(pool: &PgPool, user: Uuid) -> Result<Vec<FeaturedTag>, AppError> {
    Ok(sqlx::query_as(&format!(
        "{FEATURED} WHERE ft.user_id = $1 ORDER BY ft.created_at, ft.id"
    ))
    .bind(user)
    .fetch_all(pool)
    .await?)
}

/// `user` features tag `name` (featuring it again returns the same one).
pub async fn feature(pool: &PgPool, user: Uuid, name: &str) -> Result<FeaturedTag, AppError> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(user)
        .execute(&mut *transaction)
        .await?;
    let id = tag_id(&mut *transaction, name).await?;
    let existing: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM featured_tags WHERE user_id = $1 AND tag_id = $2")
            .bind(user)
            .bind(id)
            .fetch_optional(&mut *transaction)
            .await?;
    let featured_id = match existing {
        Some(existing) => existing,
        None => {
            let count: i64 =
                sqlx::query_scalar("SELECT count(*) FROM featured_tags WHERE user_id = $1")
                    .bind(user)
                    .fetch_one(&mut *transaction)
                    .await?;
            if count >= MAX_FEATURED {
                return Err(AppError::invalid(
                    "name",
                    format!("you can feature at most {MAX_FEATURED} tags"),
                ));
            }
            sqlx::query_scalar(
                "INSERT INTO featured_tags (user_id, tag_id) VALUES ($1, $2) RETURNING id",
            )
            .bind(user)
            .bind(id)
            .fetch_one(&mut *transaction)
            .await?
        }
    };
    transaction.commit().await?;
    sqlx::query_as(&format!("{FEATURED} WHERE ft.id = $1"))
        .bind(featured_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// `user` stops featuring `id` (`NotFound` when it is not theirs).
pub async fn unfeature(pool: &PgPool, user: Uuid, id: Uuid) -> Result<(), AppError> {
    let deleted = sqlx::query("DELETE FROM featured_tags WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .execute(pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Tags `user` used in their latest thoughts and does not feature yet, most used first (at
/// most 10).
pub async fn suggestions(pool: &PgPool, user: Uuid) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT g.name
           FROM (SELECT id, created_at FROM thoughts WHERE user_id = $1 AND deleted_at IS NULL
                  ORDER BY created_at DESC LIMIT 500) t
           JOIN thought_tags tt ON tt.thought_id = t.id JOIN tags g ON g.id = tt.tag_id
          WHERE NOT EXISTS (SELECT 1 FROM featured_tags ft WHERE ft.user_id = $1 AND ft.tag_id = g.id)
          GROUP BY g.name ORDER BY count(*) DESC, max(t.created_at) DESC, g.name LIMIT 10",
    )
    .bind(user)
    .fetch_all(pool)
    .await?)
}
