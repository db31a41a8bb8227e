//! Bookmarks: `POST /api/v1/statuses/:id/bookmark` and `unbookmark`, and the caller's own
//! list, newest bookmark first, paged with `Link` headers.

use app::backend::{bookmarks, timeline, Backend};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, Uri},
    Json,
};
use serde_json::Value;

use super::{
    accounts::path_id,
    auth::Authed,
    entities,
    params::Params,
    scopes::{Access::*, Routes},
    timelines, ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .post(
            "/api/v1/statuses/{id}/bookmark",
            User("write:bookmarks"),
            |s, a, p| set(s, a, p, true),
        )
        .post(
            "/api/v1/statuses/{id}/unbookmark",
            User("write:bookmarks"),
            |s, a, p| set(s, a, p, false),
        )
        .get("/api/v1/bookmarks", User("read:bookmarks"), list)
}

/// Answers with the status as the caller now sees it (`bookmarked` changed).
async fn set(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    on: bool,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let id = path_id(&id)?;
    bookmarks::set(&backend, me, id, on).await?;
    let thought = timeline::one(&backend.pool, Some(me), id).await?;
    entities::statuses(&backend, std::slice::from_ref(&thought))
        .await?
        .pop()
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

async fn list(
    State(backend): State<Backend>,
    authed: Authed,
    uri: Uri,
    params: Params,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let me = authed.person()?;
    timelines::feed(&backend, Some(me), timeline::Feed::Bookmarks, &params, &uri).await
}
