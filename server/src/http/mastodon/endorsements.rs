//! Endorsements (Mastodon's featured profiles): the caller's Top Friends as accounts they
//! endorse. `GET /api/v1/endorsements`, `GET /api/v1/accounts/:id/endorsements`, and
//! `POST /api/v1/accounts/:id/endorse`/`unendorse` with Mastodon's older `pin`/`unpin`
//! aliases; the rules are in `app::backend::endorsements`.

use app::backend::{endorsements, profiles, Backend};
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
        .get("/api/v1/endorsements", User("read:accounts"), mine)
        .get(
            "/api/v1/accounts/{id}/endorsements",
            Open("read:accounts"),
            theirs,
        )
        .post(
            "/api/v1/accounts/{id}/endorse",
            User("write:accounts"),
            |s, a, p| endorse(s, a, p, true),
        )
        .post(
            "/api/v1/accounts/{id}/unendorse",
            User("write:accounts"),
            |s, a, p| endorse(s, a, p, false),
        )
        .post(
            "/api/v1/accounts/{id}/pin",
            User("write:accounts"),
            |s, a, p| endorse(s, a, p, true),
        )
        .post(
            "/api/v1/accounts/{id}/unpin",
            User("write:accounts"),
            |s, a, p| endorse(s, a, p, false),
        )
}

/// The accounts of `ids`, in order, at most `limit` (Top Friends are five: one page).
async fn in_order(backend: &Backend, ids: Vec<Uuid>, limit: i64) -> ApiResult<Json<Vec<Value>>> {
    let ids: Vec<Uuid> = ids
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    let entities = entities::accounts(backend, ids.iter().copied()).await?;
    Ok(Json(
        ids.iter()
            .filter_map(|id| entities.get(id).cloned())
            .collect(),
    ))
}

async fn mine(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let limit = params.limit(40, 80)?;
    in_order(
        &backend,
        endorsements::list(&backend.pool, me).await?,
        limit,
    )
    .await
}

async fn theirs(
    State(backend): State<Backend>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let owner = profiles::account(&backend.pool, path_id(&id)?).await?;
    let limit = params.limit(40, 80)?;
    in_order(
        &backend,
        endorsements::list(&backend.pool, owner.id).await?,
        limit,
    )
    .await
}

/// Endorses the account (`on`) or stops; answers with the Relationship (`endorsed`).
async fn endorse(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    on: bool,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let target = profiles::account(&backend.pool, path_id(&id)?).await?;
    endorsements::set(&backend.pool, me, target.id, on).await?;
    Ok(Json(relationship(&backend, me, target.id).await?))
}
