//! Mutes: accounts (with a duration and "hide notifications") and conversations.

use app::backend::{mutes, profiles, timeline, Backend};
use axum::{
    extract::{Path, State},
    Json,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    accounts::{path_id, relationship},
    auth::Authed,
    entities,
    params::Params,
    scopes::{Access::*, Routes},
    ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .post("/api/v1/accounts/{id}/mute", User("write:mutes"), mute)
        .post("/api/v1/accounts/{id}/unmute", User("write:mutes"), unmute)
        .get("/api/v1/mutes", User("read:mutes"), list)
        .post(
            "/api/v1/statuses/{id}/mute",
            User("write:mutes"),
            |s, a, p| thread(s, a, p, true),
        )
        .post(
            "/api/v1/statuses/{id}/unmute",
            User("write:mutes"),
            |s, a, p| thread(s, a, p, false),
        )
}

async fn mute(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let target = profiles::account(&backend.pool, path_id(&id)?).await?;
    let options = mutes::MuteOptions {
        hide_notifications: params.boolean("notifications")?.unwrap_or(true),
        duration: params.integer("duration")?,
    };
    mutes::mute(&backend.pool, me, &target.username, options)
        .await
        .map_err(|error| super::accounts::rename(error, &[("username", "id")]))?;
    Ok(Json(relationship(&backend, me, target.id).await?))
}

async fn unmute(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let target = profiles::account(&backend.pool, path_id(&id)?).await?;
    mutes::unmute(&backend.pool, me, &target.username).await?;
    Ok(Json(relationship(&backend, me, target.id).await?))
}

/// The muted accounts, each with `mute_expires_at` (Mastodon 4's addition).
async fn list(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let found = mutes::list(&backend.pool, me, params.limit(40, 80)?).await?;
    let accounts = entities::accounts(&backend, found.iter().map(|m| m.muted_id)).await?;
    Ok(Json(
        found
            .iter()
            .filter_map(|mute| {
                let mut account = accounts.get(&mute.muted_id)?.clone();
                account["mute_expires_at"] = mute
                    .expires_at
                    .map(|at| Value::String(entities::timestamp(at)))
                    .unwrap_or(Value::Null);
                Some(account)
            })
            .collect(),
    ))
}

async fn thread(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    on: bool,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let id = path_id(&id)?;
    mutes::set_thread_mute(&backend.pool, me, id, on).await?;
    let thought = timeline::one(&backend.pool, Some(me), id).await?;
    let mut statuses = entities::statuses(&backend, std::slice::from_ref(&thought)).await?;
    mark_muted(&backend, me, &mut statuses).await?;
    statuses
        .pop()
        .map(Json)
        .ok_or_else(super::ApiError::not_found)
}

/// Sets each status's `muted` (its conversation is muted by `viewer`).
pub async fn mark_muted(backend: &Backend, viewer: Uuid, statuses: &mut [Value]) -> ApiResult<()> {
    let ids: Vec<Uuid> = statuses
        .iter()
        .filter_map(|status| {
            status["id"]
                .as_str()
                .and_then(|id| Uuid::try_parse(id).ok())
        })
        .collect();
    let muted = mutes::muted_threads(&backend.pool, viewer, &ids).await?;
    for status in statuses {
        let id = status["id"]
            .as_str()
            .and_then(|id| Uuid::try_parse(id).ok());
        status["muted"] = Value::Bool(id.is_some_and(|id| muted.contains(&id)));
    }
    Ok(())
}
