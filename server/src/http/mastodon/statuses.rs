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
    let id = thoughts::post(&backend, me, input).await.map_err(|error| match error {
        // Mastodon's field names.
        AppError::Invalid(mut errors) => {
            for error in &mut errors {
                error.field = match error.field.as_str() {
                    "content" => "status".into(),
                    "reply_to" => "in_reply_to_id".into(),
                    other => other.into(),
                };
            }
            AppError::Invalid(errors)
        }
        other => other,
    })?;
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
