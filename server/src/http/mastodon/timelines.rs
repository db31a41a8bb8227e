//! Home, public and tag timelines, paged as Mastodon pages (`max_id`, `since_id`, `min_id`,
//! `limit`), with `Link` headers whose positions are the app's own keyset tokens.

use app::{
    backend::{timeline, Backend},
    model::{Cursor, TimelinePage},
};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, Uri},
    Json,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    auth::{Authed, MaybeAuthed},
    entities,
    params::Params,
    scopes::{Access::*, Routes},
    ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/timelines/home", User("read:statuses"), home)
        .get("/api/v1/timelines/public", Open("read:statuses"), public)
        .get(
            "/api/v1/timelines/tag/{hashtag}",
            Open("read:statuses"),
            tag,
        )
}

/// A position from a `Link` header, or a status id (a thought's or a boost's).
async fn position(backend: &Backend, params: &Params, name: &str) -> ApiResult<Option<Cursor>> {
    let Some(raw) = params.text(name)?.filter(|raw| !raw.is_empty()) else {
        return Ok(None);
    };
    if let Some(cursor) = Cursor::parse(&raw) {
        return Ok(Some(cursor));
    }
    let id = Uuid::try_parse(&raw).map_err(|_| ApiError::invalid(name, "is not a status id"))?;
    // A thought is placed at its own time; a boost (a reblog's id) where timelines list
    // it: at the boost's time, with the boosted thought's id.
    let placed: Option<(chrono::DateTime<chrono::Utc>, Uuid)> = sqlx::query_as(
        "SELECT created_at, id FROM thoughts WHERE id = $1
         UNION ALL SELECT created_at, thought_id FROM boosts WHERE id = $1
         LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&backend.pool)
    .await
    .map_err(app::error::AppError::from)?;
    Ok(placed.map(|(created_at, id)| Cursor { created_at, id }))
}

/// Mastodon's paging: `max_id` (older than), `since_id` (newer than, newest first) and
/// `min_id` (newer than, the oldest of those first).
pub async fn window(backend: &Backend, params: &Params) -> ApiResult<timeline::Window> {
    let before = position(backend, params, "max_id").await?;
    let min = position(backend, params, "min_id").await?;
    let since = position(backend, params, "since_id").await?;
    Ok(timeline::Window {
        before,
        after: min.or(since),
        oldest_first: min.is_some(),
    })
}

/// The statuses, with a `Link` header to older (`next`) and newer (`prev`) pages.
pub async fn respond(
    backend: &Backend,
    uri: &Uri,
    page: TimelinePage,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    respond_keeping(backend, uri, page, &[]).await
}

/// [`respond`], the linked pages keeping the query parameters `kept` as asked (a
/// timeline's filters) besides the page size.
pub async fn respond_keeping(
    backend: &Backend,
    uri: &Uri,
    page: TimelinePage,
    kept: &[&str],
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let statuses = entities::statuses(backend, &page.thoughts).await?;
    // The next pages keep the page size asked for (Mastodon's links carry `limit`) and the
    // filters; each once, its first value.
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        let wanted = if key == "limit" {
            value.parse::<u32>().is_ok()
        } else {
            kept.contains(&key.as_ref())
        };
        if wanted && !seen.iter().any(|name| *name == key) {
            query.append_pair(&key, &value);
            seen.push(key.into_owned());
        }
    }
    let mut query = query.finish();
    if !query.is_empty() {
        query.push('&');
    }
    let base = format!("{}{}?{query}", backend.public_url, uri.path());
    let mut links = Vec::new();
    if let Some(next) = page.next {
        links.push(format!("<{base}max_id={}>; rel=\"next\"", next.token()));
    }
    if let Some(newest) = page.thoughts.first() {
        links.push(format!(
            "<{base}min_id={}>; rel=\"prev\"",
            Cursor::after(newest).token()
        ));
    }
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
        if !links.is_empty() {
            headers.insert(header::LINK, value);
        }
    }
    Ok((headers, Json(statuses)))
}

/// One page of `feed` as `viewer` may see it, paged by the request's parameters.
pub async fn feed(
    backend: &Backend,
    viewer: Option<Uuid>,
    feed: timeline::Feed<'_>,
    params: &Params,
    uri: &Uri,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let limit = params.limit(20, 40)?;
    let window = window(backend, params).await?;
    let page = timeline::page_within(&backend.pool, viewer, feed, window, limit).await?;
    respond(backend, uri, page).await
}

async fn home(
    State(backend): State<Backend>,
    authed: Authed,
    uri: Uri,
    params: Params,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let me = authed.person()?;
    feed(&backend, Some(me), timeline::Feed::Home, &params, &uri).await
}

async fn public(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    uri: Uri,
    params: Params,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let viewer = caller.viewer();
    feed(&backend, viewer, timeline::Feed::Public, &params, &uri).await
}

async fn tag(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    axum::extract::Path(hashtag): axum::extract::Path<String>,
    uri: Uri,
    params: Params,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let viewer = caller.viewer();
    feed(
        &backend,
        viewer,
        timeline::Feed::Tag(&hashtag),
        &params,
        &uri,
    )
    .await
}
