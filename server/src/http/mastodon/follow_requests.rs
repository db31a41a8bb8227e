//! Follow requests: who asks to follow a locked account, and the answer.

use app::backend::{follows, profiles, Backend};
use axum::{
    extract::{Path, State},
    Json,
};
use serde_json::Value;

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
        .get("/api/v1/follow_requests", User("read:follows"), list)
        .post(
            "/api/v1/follow_requests/{id}/authorize",
            User("write:follows"),
            |s, a, p| answer(s, a, p, true),
        )
        .post(
            "/api/v1/follow_requests/{id}/reject",
            User("write:follows"),
            |s, a, p| answer(s, a, p, false),
        )
}

async fn list(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let ids = follows::requests(&backend.pool, me, params.limit(40, 80)?).await?;
    let accounts = entities::accounts(&backend, ids.iter().copied()).await?;
    Ok(Json(
        ids.iter()
            .filter_map(|id| accounts.get(id).cloned())
            .collect(),
    ))
}

/// Mastodon answers with the Relationship to the requester.
async fn answer(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    accept: bool,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let requester = profiles::account(&backend.pool, path_id(&id)?).await?;
    follows::answer_request(&backend, me, requester.id, accept).await?;
    Ok(Json(relationship(&backend, me, requester.id).await?))
}
