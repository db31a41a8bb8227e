//! Statuses: post, read, delete.

use app::{
    backend::{thoughts, timeline, Backend},
    error::AppError,
};
use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use serde_json::Value;

use super::{
    accounts::path_id,
    auth::{Authed, MaybeAuthed},
    entities,
    params::Params,
    ApiResult,
};

pub fn routes() -> Router<Backend> {
    Router::new().route("/api/v1/statuses", post(create)).route("/api/v1/statuses/{id}", get(show).delete(delete))
}

/// Mastodon's visibilities in Thoughtspace's terms (`private` is followers-only there).
fn visibility(raw: Option<String>) -> String {
    match raw.as_deref() {
        Some("private") => "followers".into(),
        Some("direct") => "private".into(),
        Some(other) => other.into(),
        None => "public".into(),
    }
}

async fn one(backend: &Backend, viewer: Option<uuid::Uuid>, id: uuid::Uuid) -> ApiResult<Value> {
    let thought = timeline::one(&backend.pool, viewer, id).await?;
    let mut statuses = entities::statuses(backend, std::slice::from_ref(&thought)).await?;
    statuses.pop().ok_or_else(|| AppError::NotFound.into())
}

async fn create(State(backend): State<Backend>, authed: Authed, params: Params) -> ApiResult<Json<Value>> {
    let me = authed.need("write:statuses")?;
    // Content warnings are not supported yet: the flag is read (and checked), not applied.
    params.boolean("sensitive")?;
    let input = thoughts::NewThought {
        content: params.text("status")?.unwrap_or_default(),
        visibility: visibility(params.text("visibility")?),
        reply_to: params.text("in_reply_to_id")?,
    };
    let id = thoughts::post(&backend, me, input)
        .await
        .map_err(|error| super::accounts::rename(error, &[("content", "status"), ("reply_to", "in_reply_to_id")]))?;
    Ok(Json(one(&backend, Some(me), id).await?))
}

async fn show(State(backend): State<Backend>, caller: MaybeAuthed, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(one(&backend, caller.viewer(), path_id(&id)?).await?))
}

async fn delete(State(backend): State<Backend>, authed: Authed, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let me = authed.need("write:statuses")?;
    let id = path_id(&id)?;
    // Mastodon answers with the deleted status (its text, for "delete and redraft").
    let status = one(&backend, Some(me), id).await?;
    thoughts::delete(&backend, me, id).await?;
    Ok(Json(status))
}

pub fn more_routes() -> Router<Backend> {
    Router::new()
        .route("/api/v1/statuses/{id}/context", get(context))
        .route("/api/v1/statuses/{id}/favourite", post(|s, a, p| react(s, a, p, Reaction::Like, true)))
        .route("/api/v1/statuses/{id}/unfavourite", post(|s, a, p| react(s, a, p, Reaction::Like, false)))
        .route("/api/v1/statuses/{id}/reblog", post(|s, a, p| react(s, a, p, Reaction::Boost, true)))
        .route("/api/v1/statuses/{id}/unreblog", post(|s, a, p| react(s, a, p, Reaction::Boost, false)))
        .route("/api/v1/statuses/{id}/favourited_by", get(|s, c, p, q| who(s, c, p, q, Reaction::Like)))
        .route("/api/v1/statuses/{id}/reblogged_by", get(|s, c, p, q| who(s, c, p, q, Reaction::Boost)))
        .route("/api/v1/favourites", get(favourites))
}

use app::backend::reactions::{self, Reaction};

async fn context(State(backend): State<Backend>, caller: MaybeAuthed, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let viewer = caller.viewer();
    let thought = timeline::one(&backend.pool, viewer, path_id(&id)?).await?;
    let thread = timeline::thread(&backend.pool, &backend.public_url, viewer, &thought.author_username, thought.id).await?;
    Ok(Json(serde_json::json!({
        "ancestors": entities::statuses(&backend, &thread.ancestors).await?,
        "descendants": entities::statuses(&backend, &thread.replies).await?,
    })))
}

async fn react(State(backend): State<Backend>, authed: Authed, Path(id): Path<String>, reaction: Reaction, on: bool) -> ApiResult<Json<Value>> {
    let scope = match reaction {
        Reaction::Like => "write:favourites",
        Reaction::Boost => "write:statuses",
    };
    let me = authed.need(scope)?;
    let id = path_id(&id)?;
    match reactions::set(&backend, me, id, reaction, on).await {
        // Doing it twice is not an error for Mastodon clients: the answer is the status.
        Err(AppError::Invalid(errors)) if errors.iter().any(|e| e.message.starts_with("you already")) => {}
        other => other?,
    }
    Ok(Json(one(&backend, Some(me), id).await?))
}

async fn who(State(backend): State<Backend>, caller: MaybeAuthed, Path(id): Path<String>, params: Params, reaction: Reaction) -> ApiResult<Json<Vec<Value>>> {
    let ids = reactions::who(&backend.pool, caller.viewer(), path_id(&id)?, reaction, params.limit(40, 80)?).await?;
    let accounts = entities::accounts(&backend, ids.iter().copied()).await?;
    Ok(Json(ids.iter().filter_map(|id| accounts.get(id).cloned()).collect()))
}

async fn favourites(State(backend): State<Backend>, authed: Authed, params: Params) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.need("read:favourites")?;
    let liked = reactions::liked(&backend.pool, me, params.limit(20, 40)?).await?;
    Ok(Json(entities::statuses(&backend, &liked).await?))
}
