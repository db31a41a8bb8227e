//! Home and public timelines, paged as Mastodon pages: `max_id` and `limit`, with a `Link`
//! header to the next page (its `max_id` is the app's own keyset position).

use app::{
    backend::{timeline, Backend},
    model::{Cursor, TimelinePage},
};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, Uri},
    routing::get,
    Json, Router,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    auth::{Authed, MaybeAuthed},
    entities,
    params::Params,
    ApiError, ApiResult,
};

pub fn routes() -> Router<Backend> {
    Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
        .route("/api/v1/timelines/tag/{hashtag}", get(tag))
}

/// `max_id`: a position from a `Link` header, or a status id (its own time).
pub async fn before(backend: &Backend, params: &Params) -> ApiResult<Option<Cursor>> {
    let Some(raw) = params.text("max_id")?.filter(|raw| !raw.is_empty()) else { return Ok(None) };
    if let Some(cursor) = Cursor::parse(&raw) {
        return Ok(Some(cursor));
    }
    let id = Uuid::try_parse(&raw).map_err(|_| ApiError::invalid("max_id", "is not a status id"))?;
    let created_at: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar("SELECT created_at FROM thoughts WHERE id = $1")
        .bind(id)
        .fetch_optional(&backend.pool)
        .await
        .map_err(app::error::AppError::from)?;
    Ok(created_at.map(|created_at| Cursor { created_at, id }))
}

pub async fn respond(backend: &Backend, uri: &Uri, page: TimelinePage) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let statuses = entities::statuses(backend, &page.thoughts).await?;
    let mut headers = HeaderMap::new();
    if let Some(next) = page.next {
        let link = format!("<{}{}?max_id={}>; rel=\"next\"", backend.public_url, uri.path(), next.token());
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, value);
        }
    }
    Ok((headers, Json(statuses)))
}

async fn home(State(backend): State<Backend>, authed: Authed, uri: Uri, params: Params) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let me = authed.need("read:statuses")?;
    let limit = params.limit(20, 40)?;
    let page = timeline::page(&backend.pool, Some(me), timeline::Feed::Home, before(&backend, &params).await?, limit).await?;
    respond(&backend, &uri, page).await
}

async fn public(State(backend): State<Backend>, caller: MaybeAuthed, uri: Uri, params: Params) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let limit = params.limit(20, 40)?;
    let viewer = caller.viewer();
    let page = timeline::page(&backend.pool, viewer, timeline::Feed::Public, before(&backend, &params).await?, limit).await?;
    respond(&backend, &uri, page).await
}

async fn tag(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    axum::extract::Path(hashtag): axum::extract::Path<String>,
    uri: Uri,
    params: Params,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let limit = params.limit(20, 40)?;
    let page = timeline::page(&backend.pool, caller.viewer(), timeline::Feed::Tag(&hashtag), before(&backend, &params).await?, limit).await?;
    respond(&backend, &uri, page).await
}
