//! Conversations: direct-message threads with their participants, last status and read state.

use app::backend::{conversations, timeline, Backend};
use axum::{
    extract::{Path, State},
    Json,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    accounts::path_id,
    auth::Authed,
    entities,
    params::Params,
    scopes::{Access::*, Routes},
    ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/conversations", User("read:statuses"), list)
        .post(
            "/api/v1/conversations/{id}/read",
            User("write:conversations"),
            read,
        )
        .delete(
            "/api/v1/conversations/{id}",
            User("write:conversations"),
            hide,
        )
}

/// Mastodon's Conversation entities; the last status is read through the visibility gate
/// (one the person may no longer see leaves the conversation out).
async fn entities_of(
    backend: &Backend,
    me: Uuid,
    found: &[conversations::Conversation],
) -> ApiResult<Vec<Value>> {
    let ids: Vec<Uuid> = found.iter().map(|c| c.last_thought).collect();
    let thoughts = timeline::some(&backend.pool, Some(me), &ids).await?;
    let statuses = entities::statuses(backend, &thoughts).await?;
    let accounts =
        entities::accounts(backend, found.iter().flat_map(|c| c.participants.clone())).await?;
    Ok(found
        .iter()
        .filter_map(|conversation| {
            let index = thoughts
                .iter()
                .position(|t| t.id == conversation.last_thought)?;
            Some(json!({
                "id": conversation.root.to_string(),
                "unread": conversation.unread,
                "accounts": conversation.participants.iter().filter_map(|id| accounts.get(id).cloned()).collect::<Vec<_>>(),
                "last_status": statuses.get(index).cloned(),
            }))
        })
        .collect())
}

async fn list(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let before = params
        .text("max_id")?
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            Uuid::try_parse(&raw).map_err(|_| ApiError::invalid("max_id", "is not a status id"))
        })
        .transpose()?;
    let found = conversations::list(&backend.pool, me, before, params.limit(20, 40)?).await?;
    Ok(Json(entities_of(&backend, me, &found).await?))
}

async fn read(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let conversation = conversations::mark_read(&backend.pool, me, path_id(&id)?).await?;
    entities_of(&backend, me, &[conversation])
        .await?
        .pop()
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

async fn hide(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    conversations::hide(&backend.pool, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
