//! Hashtags: `GET /api/v1/tags/:name` (with `following`), follow and unfollow,
//! `GET /api/v1/followed_tags`, and featured tags (`/api/v1/featured_tags`, its
//! suggestions, and `GET /api/v1/accounts/:id/featured_tags`).

use app::backend::{
    federation::urls::Urls,
    hashtags::{self, FeaturedTag, TagInfo},
    profiles, Backend,
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, Uri},
    Json,
};
use serde_json::{json, Value};

use super::{
    accounts::path_id,
    auth::{Authed, MaybeAuthed},
    params::Params,
    scopes::{Access::*, Routes},
    ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/tags/{hashtag}", Open("read"), show)
        .post(
            "/api/v1/tags/{hashtag}/follow",
            User("write:follows"),
            |s, a, p| follow(s, a, p, true),
        )
        .post(
            "/api/v1/tags/{hashtag}/unfollow",
            User("write:follows"),
            |s, a, p| follow(s, a, p, false),
        )
        .get("/api/v1/followed_tags", User("read:follows"), followed)
        .get("/api/v1/featured_tags", User("read:accounts"), featured)
        .post("/api/v1/featured_tags", User("write:accounts"), feature)
        .delete(
            "/api/v1/featured_tags/{id}",
            User("write:accounts"),
            unfeature,
        )
        .get(
            "/api/v1/featured_tags/suggestions",
            User("read:accounts"),
            suggestions,
        )
        .get(
            "/api/v1/accounts/{id}/featured_tags",
            Open("read:accounts"),
            featured_by,
        )
}

/// Mastodon's Tag entity (`following` only for a caller who is a person).
fn tag_entity(backend: &Backend, tag: &TagInfo, person: bool) -> Value {
    let mut entity = json!({
        "name": tag.name,
        "url": Urls::new(&backend.public_url).tag_page(&tag.name),
        "history": [],
    });
    if person {
        entity["following"] = json!(tag.following);
    }
    entity
}

/// Mastodon's FeaturedTag entity (its count is a string there, and its date a day).
fn featured_entity(backend: &Backend, tag: &FeaturedTag) -> Value {
    json!({
        "id": tag.id.to_string(),
        "name": tag.name,
        // Thoughtspace has no per-person tag page: the tag's own page.
        "url": Urls::new(&backend.public_url).tag_page(&tag.name),
        "statuses_count": tag.statuses_count.to_string(),
        "last_status_at": tag.last_status_at.map(|at| at.date_naive().to_string()),
    })
}

async fn show(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let name = hashtags::name(&name, "name").map_err(|_| ApiError::not_found())?;
    let viewer = caller.viewer();
    let tag = hashtags::info(&backend.pool, viewer, &name).await?;
    Ok(Json(tag_entity(&backend, &tag, viewer.is_some())))
}

async fn follow(
    State(backend): State<Backend>,
    authed: Authed,
    Path(name): Path<String>,
    on: bool,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let name = hashtags::name(&name, "name").map_err(|_| ApiError::not_found())?;
    let tag = hashtags::follow(&backend.pool, me, &name, on).await?;
    Ok(Json(tag_entity(&backend, &tag, true)))
}

/// The followed tags, the latest followed first, with a `Link` to older ones (`max_id` is
/// a time in microseconds: Thoughtspace's own position, opaque to clients).
async fn followed(
    State(backend): State<Backend>,
    authed: Authed,
    uri: Uri,
    params: Params,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let me = authed.person()?;
    let limit = params.limit(100, 200)?;
    let before = match params.text("max_id")?.filter(|raw| !raw.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .and_then(chrono::DateTime::from_timestamp_micros)
                .ok_or_else(|| ApiError::invalid("max_id", "is not a position in this list"))?,
        ),
    };
    let tags = hashtags::followed(&backend.pool, me, before, limit + 1).await?;
    let more = tags.len() as i64 > limit;
    let shown = &tags[..tags.len().min(limit as usize)];
    let mut headers = HeaderMap::new();
    if let (true, Some((_, last))) = (more, shown.last()) {
        let link = format!(
            "<{}{}?max_id={}>; rel=\"next\"",
            backend.public_url,
            uri.path(),
            last.timestamp_micros()
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, value);
        }
    }
    let entities = shown
        .iter()
        .map(|(name, _)| {
            tag_entity(
                &backend,
                &TagInfo {
                    name: name.clone(),
                    following: true,
                },
                true,
            )
        })
        .collect();
    Ok((headers, Json(entities)))
}

async fn featured(State(backend): State<Backend>, authed: Authed) -> ApiResult<Json<Vec<Value>>> {
    let tags = hashtags::featured(&backend.pool, authed.person()?).await?;
    Ok(Json(
        tags.iter()
            .map(|tag| featured_entity(&backend, tag))
            .collect(),
    ))
}

async fn feature(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let raw = params
        .text("name")?
        .ok_or_else(|| ApiError::invalid("name", "is missing"))?;
    let name = hashtags::name(&raw, "name")?;
    let tag = hashtags::feature(&backend.pool, me, &name).await?;
    Ok(Json(featured_entity(&backend, &tag)))
}

async fn unfeature(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    hashtags::unfeature(&backend.pool, authed.person()?, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn suggestions(
    State(backend): State<Backend>,
    authed: Authed,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let names = hashtags::suggestions(&backend.pool, me).await?;
    let followed = hashtags::followed(&backend.pool, me, None, hashtags::MAX_FOLLOWED).await?;
    Ok(Json(
        names
            .into_iter()
            .map(|name| {
                let following = followed.iter().any(|(followed, _)| *followed == name);
                tag_entity(&backend, &TagInfo { name, following }, true)
            })
            .collect(),
    ))
}

async fn featured_by(
    State(backend): State<Backend>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Value>>> {
    let account = profiles::account(&backend.pool, path_id(&id)?).await?;
    let tags = hashtags::featured(&backend.pool, account.id).await?;
    Ok(Json(
        tags.iter()
            .map(|tag| featured_entity(&backend, tag))
            .collect(),
    ))
}
