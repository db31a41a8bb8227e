//! Notifications, one by one as Mastodon lists them, and search.

use std::collections::HashMap;

use app::backend::{notifications, search, timeline, Backend};
use axum::{
    extract::{Path, State},
    Json,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    accounts::path_id,
    auth::{Authed, MaybeAuthed},
    entities,
    params::Params,
    scopes::{Access::*, Routes},
    ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/notifications", User("read:notifications"), list)
        .post(
            "/api/v1/notifications/clear",
            User("write:notifications"),
            clear,
        )
        .get(
            "/api/v1/notifications/{id}",
            User("read:notifications"),
            show,
        )
        .post(
            "/api/v1/notifications/{id}/dismiss",
            User("write:notifications"),
            dismiss,
        )
        .get("/api/v2/search", Open("read:search"), search_all)
}

/// Mastodon's names for the kinds of notification.
fn kind(ours: &str) -> &str {
    match ours {
        "like" => "favourite",
        "boost" => "reblog",
        "reply" | "mention" => "mention",
        other => other,
    }
}

/// Notifications as entities (their statuses as `me` may see them).
pub(super) async fn entities_of(
    backend: &Backend,
    me: Uuid,
    found: &[notifications::Single],
) -> ApiResult<Vec<Value>> {
    let accounts = entities::accounts(backend, found.iter().filter_map(|n| n.actor_id)).await?;
    let mut statuses = HashMap::new();
    for id in found.iter().filter_map(|n| n.thought_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = statuses.entry(id) {
            if let Ok(thought) = timeline::one(&backend.pool, Some(me), id).await {
                slot.insert(
                    entities::statuses(backend, std::slice::from_ref(&thought))
                        .await?
                        .pop(),
                );
            }
        }
    }
    Ok(found
        .iter()
        .filter_map(|n| {
            let account = accounts.get(&n.actor_id?)?.clone();
            let status = n.thought_id.and_then(|id| statuses.get(&id).cloned().flatten());
            Some(json!({
                "id": n.id.to_string(), "type": kind(&n.kind), "created_at": n.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "account": account, "status": status,
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
        .map(|raw| {
            Uuid::try_parse(&raw)
                .map_err(|_| ApiError::invalid("max_id", "is not a notification id"))
        })
        .transpose()?;
    let found = notifications::list(&backend.pool, me, before, params.limit(15, 30)?).await?;
    Ok(Json(entities_of(&backend, me, &found).await?))
}

async fn show(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let found = notifications::one(&backend.pool, me, path_id(&id)?).await?;
    entities_of(&backend, me, &[found])
        .await?
        .pop()
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

async fn clear(State(backend): State<Backend>, authed: Authed) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    notifications::dismiss(&backend.pool, me, None).await?;
    Ok(Json(json!({})))
}

async fn dismiss(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    notifications::dismiss(&backend.pool, me, Some(path_id(&id)?)).await?;
    Ok(Json(json!({})))
}

async fn search_all(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    params: Params,
) -> ApiResult<Json<Value>> {
    let q = params.text("q")?.unwrap_or_default();
    let viewer = caller.viewer();
    let results = search::search(&backend, viewer, &q).await?;
    let mut ids = Vec::new();
    for person in &results.people {
        if let Ok((id, _)) =
            app::backend::accounts::person_id(&backend.pool, &person.username).await
        {
            ids.push(id);
        }
    }
    let accounts = entities::accounts(&backend, ids.iter().copied()).await?;
    let urls = app::backend::federation::urls::Urls::new(&backend.public_url);
    Ok(Json(json!({
        "accounts": ids.iter().filter_map(|id| accounts.get(id).cloned()).collect::<Vec<_>>(),
        "statuses": entities::statuses(&backend, &results.thoughts).await?,
        "hashtags": results.tags.iter().map(|tag| json!({ "name": tag, "url": urls.tag_page(tag), "history": [] })).collect::<Vec<_>>(),
    })))
}
