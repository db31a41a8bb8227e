//! `GET /api/v1/instance` and `/api/v2/instance`: what the server is, for apps to show.

use app::{
    backend::{federation::urls::Urls, Backend},
    text::MAX_THOUGHT_CHARS,
};
use axum::{extract::State, Json};
use serde_json::{json, Value};

use super::{
    entities,
    scopes::{Access::Anyone, Routes},
    ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/instance", Anyone, v1)
        .get("/api/v2/instance", Anyone, v2)
}

async fn counts(backend: &Backend) -> ApiResult<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT (SELECT count(*) FROM users WHERE NOT is_remote),
                (SELECT count(*) FROM thoughts t JOIN users u ON u.id = t.user_id WHERE NOT u.is_remote AND t.deleted_at IS NULL)",
    )
    .fetch_one(&backend.pool)
    .await
    .map_err(app::error::AppError::from)?)
}

/// The first admin, as the instance's contact (Mastodon's `contact_account`), if any.
async fn contact(backend: &Backend) -> ApiResult<Value> {
    let admin: Option<uuid::Uuid> = sqlx::query_scalar(
        "SELECT id FROM users WHERE is_admin AND NOT is_remote ORDER BY created_at, id LIMIT 1",
    )
    .fetch_optional(&backend.pool)
    .await
    .map_err(app::error::AppError::from)?;
    Ok(match admin {
        Some(id) => entities::accounts(backend, [id])
            .await?
            .remove(&id)
            .unwrap_or(Value::Null),
        None => Value::Null,
    })
}

/// What apps may send, from the limits the backend enforces (no media, no polls yet: zero).
fn configuration(backend: &Backend) -> Value {
    json!({
        "urls": { "streaming": super::streaming::streaming_url(&backend.public_url) },
        "statuses": { "max_characters": MAX_THOUGHT_CHARS, "max_media_attachments": 0, "characters_reserved_per_url": 23 },
        "accounts": { "max_featured_tags": app::backend::hashtags::MAX_FEATURED },
        "media_attachments": { "supported_mime_types": [], "image_size_limit": 0, "video_size_limit": 0 },
        "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
    })
}

async fn v1(State(backend): State<Backend>) -> ApiResult<Json<Value>> {
    let (users, statuses) = counts(&backend).await?;
    let host = Urls::new(&backend.public_url).host().to_owned();
    Ok(Json(json!({
        "uri": host,
        "title": "Thoughtspace",
        "short_description": "Short thoughts, Top Friends and your own profile CSS.",
        "description": "A MySpace-flavoured social network of the fediverse.",
        "email": "",
        "version": format!("4.2.0 (compatible; Thoughtspace {})", env!("CARGO_PKG_VERSION")),
        "urls": { "streaming_api": super::streaming::streaming_url(&backend.public_url) },
        "stats": { "user_count": users, "status_count": statuses, "domain_count": 0 },
        "thumbnail": null,
        "languages": ["en"],
        "registrations": true,
        "approval_required": false,
        "invites_enabled": false,
        "configuration": configuration(&backend),
        "contact_account": contact(&backend).await?,
        "rules": [],
    })))
}

async fn v2(State(backend): State<Backend>) -> ApiResult<Json<Value>> {
    let (users, _) = counts(&backend).await?;
    let host = Urls::new(&backend.public_url).host().to_owned();
    Ok(Json(json!({
        "domain": host,
        "title": "Thoughtspace",
        "version": format!("4.2.0 (compatible; Thoughtspace {})", env!("CARGO_PKG_VERSION")),
        "source_url": "",
        "description": "A MySpace-flavoured social network of the fediverse.",
        "usage": { "users": { "active_month": users } },
        "thumbnail": { "url": format!("{}/favicon.svg", backend.public_url) },
        "languages": ["en"],
        "configuration": configuration(&backend),
        "registrations": { "enabled": true, "approval_required": false, "message": null },
        "contact": { "email": "", "account": contact(&backend).await? },
        "rules": [],
    })))
}
