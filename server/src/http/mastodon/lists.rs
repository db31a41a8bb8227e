//! Lists: `GET/POST /api/v1/lists`, `GET/PUT/DELETE /api/v1/lists/:id`, members
//! (`/api/v1/lists/:id/accounts`), the list's timeline (`/api/v1/timelines/list/:id`) and
//! `GET /api/v1/accounts/:id/lists`. Another person's list is 404, as if it did not exist.

use app::{
    backend::{
        lists::{self, ListEdit},
        profiles, timeline, Backend,
    },
    model::ListInfo,
};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, Uri},
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
    timelines, ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/lists", User("read:lists"), all)
        .post("/api/v1/lists", User("write:lists"), create)
        .get("/api/v1/lists/{id}", User("read:lists"), show)
        .put("/api/v1/lists/{id}", User("write:lists"), update)
        .delete("/api/v1/lists/{id}", User("write:lists"), delete)
        .get("/api/v1/lists/{id}/accounts", User("read:lists"), members)
        .post(
            "/api/v1/lists/{id}/accounts",
            User("write:lists"),
            |s, a, p, q| change_members(s, a, p, q, true),
        )
        .delete(
            "/api/v1/lists/{id}/accounts",
            User("write:lists"),
            |s, a, p, q| change_members(s, a, p, q, false),
        )
        .get("/api/v1/timelines/list/{id}", User("read:lists"), timeline)
        .get("/api/v1/accounts/{id}/lists", User("read:lists"), holding)
}

/// Mastodon's List entity.
fn entity(list: &ListInfo) -> Value {
    json!({
        "id": list.id.to_string(),
        "title": list.title,
        "replies_policy": list.replies_policy,
        "exclusive": list.exclusive,
    })
}

fn edit(params: &Params) -> ApiResult<ListEdit> {
    Ok(ListEdit {
        title: params.text("title")?,
        replies_policy: params.text("replies_policy")?,
        exclusive: params.boolean("exclusive")?,
    })
}

async fn all(State(backend): State<Backend>, authed: Authed) -> ApiResult<Json<Vec<Value>>> {
    let lists = lists::all(&backend.pool, authed.person()?).await?;
    Ok(Json(lists.iter().map(entity).collect()))
}

async fn create(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Value>> {
    let list = lists::create(&backend.pool, authed.person()?, edit(&params)?).await?;
    Ok(Json(entity(&list)))
}

async fn show(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let list = lists::get(&backend.pool, authed.person()?, path_id(&id)?).await?;
    Ok(Json(entity(&list)))
}

async fn update(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let list = lists::update(
        &backend.pool,
        authed.person()?,
        path_id(&id)?,
        edit(&params)?,
    )
    .await?;
    Ok(Json(entity(&list)))
}

async fn delete(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    lists::delete(&backend.pool, authed.person()?, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// The members, the latest added first; `limit=0` is all of them (Mastodon's).
async fn members(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let limit = match params.integer("limit")? {
        Some(0) => lists::MAX_MEMBERS,
        _ => params.limit(40, 80)?,
    };
    let ids = lists::member_ids(&backend.pool, authed.person()?, path_id(&id)?, limit).await?;
    let accounts = entities::accounts(&backend, ids.iter().copied()).await?;
    Ok(Json(
        ids.iter()
            .filter_map(|id| accounts.get(id).cloned())
            .collect(),
    ))
}

async fn change_members(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
    add: bool,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let list = path_id(&id)?;
    let people = params
        .list("account_ids")?
        .ok_or_else(|| ApiError::invalid("account_ids", "is missing"))?
        .iter()
        .map(|raw| Uuid::try_parse(raw))
        .collect::<Result<Vec<Uuid>, _>>()
        .map_err(|_| {
            ApiError::invalid("account_ids", "holds something that is not an account id")
        })?;
    if add {
        lists::add(&backend.pool, me, list, &people).await?;
    } else {
        lists::remove(&backend.pool, me, list, &people).await?;
    }
    Ok(Json(json!({})))
}

async fn timeline(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    uri: Uri,
    params: Params,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let me = authed.person()?;
    let list = timeline::Feed::List(path_id(&id)?);
    timelines::feed(&backend, Some(me), list, &params, &uri).await
}

async fn holding(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let person = profiles::account(&backend.pool, path_id(&id)?).await?;
    let lists = lists::holding(&backend.pool, me, person.id).await?;
    Ok(Json(lists.iter().map(entity).collect()))
}
