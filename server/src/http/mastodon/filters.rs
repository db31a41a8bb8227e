//! Keyword filters: Mastodon's filters v2 (`/api/v2/filters`, their keywords) and the
//! legacy v1 list (each keyword as a filter), read-only.

use app::backend::{filters, Backend};
use axum::{
    extract::{Path, State},
    Json,
};
use serde_json::{json, Map, Value};

use super::{
    accounts::path_id,
    auth::Authed,
    entities::timestamp,
    params::Params,
    scopes::{Access::*, Routes},
    ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v2/filters", User("read:filters"), list)
        .post("/api/v2/filters", User("write:filters"), create)
        .get("/api/v2/filters/{id}", User("read:filters"), show)
        .put("/api/v2/filters/{id}", User("write:filters"), update)
        .delete("/api/v2/filters/{id}", User("write:filters"), delete)
        .get(
            "/api/v2/filters/{id}/keywords",
            User("read:filters"),
            keywords,
        )
        .post(
            "/api/v2/filters/{id}/keywords",
            User("write:filters"),
            add_keyword,
        )
        .get(
            "/api/v2/filters/keywords/{id}",
            User("read:filters"),
            show_keyword,
        )
        .put(
            "/api/v2/filters/keywords/{id}",
            User("write:filters"),
            update_keyword,
        )
        .delete(
            "/api/v2/filters/keywords/{id}",
            User("write:filters"),
            delete_keyword,
        )
        // Filtering by status is not supported: no filter has statuses.
        .get(
            "/api/v2/filters/{id}/statuses",
            User("read:filters"),
            statuses,
        )
        .get("/api/v1/filters", User("read:filters"), list_v1)
}

/// Mastodon's Filter entity.
fn entity(filter: &filters::Filter) -> Value {
    json!({
        "id": filter.id.to_string(),
        "title": filter.title,
        "context": filter.contexts,
        "expires_at": filter.expires_at.map(timestamp),
        "filter_action": filter.action,
        "keywords": filter.keywords.iter().map(keyword_entity).collect::<Vec<_>>(),
        "statuses": [],
    })
}

fn keyword_entity(keyword: &filters::Keyword) -> Value {
    json!({
        "id": keyword.id.to_string(),
        "keyword": keyword.keyword,
        "whole_word": keyword.whole_word,
    })
}

/// A boolean as forms and JSON send it.
fn flag(value: &Value, field: &str) -> ApiResult<bool> {
    match value {
        Value::Bool(on) => Ok(*on),
        Value::Number(number) => Ok(number.as_i64() != Some(0)),
        Value::String(text) => match text.as_str() {
            "true" | "1" | "on" => Ok(true),
            "false" | "0" | "off" | "" => Ok(false),
            _ => Err(ApiError::invalid(field, "must be true or false")),
        },
        Value::Null => Ok(false),
        _ => Err(ApiError::invalid(field, "must be true or false")),
    }
}

fn keyword_input(object: &Map<String, Value>) -> ApiResult<filters::KeywordInput> {
    let field = "keywords_attributes";
    let id =
        match object.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) if raw.is_empty() => None,
            Some(Value::String(raw)) => Some(uuid::Uuid::try_parse(raw).map_err(|_| {
                ApiError::invalid(field, "names a keyword this filter does not have")
            })?),
            Some(_) => return Err(ApiError::invalid(field, "has an id that is not a string")),
        };
    let keyword = match object.get("keyword") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            return Err(ApiError::invalid(
                field,
                "has a keyword that is not a string",
            ))
        }
    };
    Ok(filters::KeywordInput {
        id,
        keyword,
        whole_word: object
            .get("whole_word")
            .map(|value| flag(value, "whole_word"))
            .transpose()?,
        destroy: object
            .get("_destroy")
            .map(|value| flag(value, "_destroy"))
            .transpose()?
            .unwrap_or(false),
    })
}

fn input(params: &Params) -> ApiResult<filters::FilterInput> {
    let keywords = params
        .objects("keywords_attributes")?
        .unwrap_or_default()
        .iter()
        .map(keyword_input)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(filters::FilterInput {
        title: params.text("title")?,
        contexts: params.list("context")?,
        action: params.text("filter_action")?,
        expires_in: if params.has("expires_in") {
            Some(params.integer("expires_in")?)
        } else {
            None
        },
        keywords,
    })
}

async fn list(State(backend): State<Backend>, authed: Authed) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let found = filters::list(&backend.pool, me).await?;
    Ok(Json(found.iter().map(entity).collect()))
}

async fn create(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let made = filters::create(&backend.pool, me, input(&params)?)
        .await
        .map_err(|error| super::accounts::rename(error, &[("keyword", "keywords_attributes")]))?;
    Ok(Json(entity(&made)))
}

async fn show(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    Ok(Json(entity(
        &filters::get(&backend.pool, me, path_id(&id)?).await?,
    )))
}

async fn update(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let changed = filters::update(&backend.pool, me, path_id(&id)?, input(&params)?)
        .await
        .map_err(|error| super::accounts::rename(error, &[("keyword", "keywords_attributes")]))?;
    Ok(Json(entity(&changed)))
}

async fn delete(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    filters::delete(&backend.pool, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn keywords(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let filter = filters::get(&backend.pool, me, path_id(&id)?).await?;
    Ok(Json(filter.keywords.iter().map(keyword_entity).collect()))
}

async fn add_keyword(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let keyword = params.text("keyword")?.unwrap_or_default();
    let added = filters::add_keyword(
        &backend.pool,
        me,
        path_id(&id)?,
        &keyword,
        params.boolean("whole_word")?.unwrap_or(true),
    )
    .await?;
    Ok(Json(keyword_entity(&added)))
}

async fn show_keyword(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    Ok(Json(keyword_entity(
        &filters::keyword(&backend.pool, me, path_id(&id)?).await?,
    )))
}

async fn update_keyword(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let changed = filters::update_keyword(
        &backend.pool,
        me,
        path_id(&id)?,
        params.text("keyword")?.as_deref(),
        params.boolean("whole_word")?,
    )
    .await?;
    Ok(Json(keyword_entity(&changed)))
}

async fn delete_keyword(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    filters::delete_keyword(&backend.pool, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

async fn statuses(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    filters::get(&backend.pool, me, path_id(&id)?).await?;
    Ok(Json(Vec::new()))
}

/// The v1 view: each keyword is a filter of its own (`irreversible` is v2's `hide`).
async fn list_v1(State(backend): State<Backend>, authed: Authed) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let found = filters::list(&backend.pool, me).await?;
    Ok(Json(
        found
            .iter()
            .flat_map(|filter| {
                filter.keywords.iter().map(|keyword| {
                    json!({
                        "id": keyword.id.to_string(),
                        "phrase": keyword.keyword,
                        "context": filter.contexts,
                        "whole_word": keyword.whole_word,
                        "expires_at": filter.expires_at.map(timestamp),
                        "irreversible": filter.action == "hide",
                    })
                })
            })
            .collect(),
    ))
}
