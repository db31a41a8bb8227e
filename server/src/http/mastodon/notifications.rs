//! Notifications, one by one as Mastodon lists them, and search.

use std::collections::HashMap;

use app::backend::{notifications, search, timeline, Backend};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, Uri},
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
            "/api/v1/notifications/unread_count",
            User("read:notifications"),
            unread_count,
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

/// Our kinds for Mastodon's notification types (a mention is also how replies arrive).
fn our_kinds(types: &[String], field: &str) -> ApiResult<Vec<String>> {
    let mut kinds = Vec::new();
    for mastodon in types {
        let ours: &[&str] = match mastodon.as_str() {
            "mention" => &["mention", "reply"],
            "favourite" => &["like"],
            "reblog" => &["boost"],
            "follow" => &["follow"],
            "follow_request" => &["follow_request"],
            "update" => &["update"],
            // Kinds that exist in Mastodon but never happen here.
            "status"
            | "poll"
            | "admin.sign_up"
            | "admin.report"
            | "severed_relationships"
            | "moderation_warning"
            | "quote"
            | "quoted_update"
            | "annual_report" => &[],
            _ => {
                return Err(ApiError::invalid(
                    field,
                    format!("{mastodon:?} is not a notification type"),
                ))
            }
        };
        kinds.extend(ours.iter().map(|kind| (*kind).to_owned()));
    }
    Ok(kinds)
}

fn notification_id(params: &Params, name: &str) -> ApiResult<Option<Uuid>> {
    params
        .text(name)?
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            Uuid::try_parse(&raw).map_err(|_| ApiError::invalid(name, "is not a notification id"))
        })
        .transpose()
}

async fn list(
    State(backend): State<Backend>,
    authed: Authed,
    uri: Uri,
    params: Params,
) -> ApiResult<(HeaderMap, Json<Vec<Value>>)> {
    let me = authed.person()?;
    let types = params.list("types")?;
    let kinds = match &types {
        // Asked only for kinds that never happen here: nothing matches.
        Some(types) if !types.is_empty() => {
            let kinds = our_kinds(types, "types[]")?;
            if kinds.is_empty() {
                return Ok((HeaderMap::new(), Json(Vec::new())));
            }
            kinds
        }
        _ => Vec::new(),
    };
    let min = notification_id(&params, "min_id")?;
    let query = notifications::Query {
        older_than: notification_id(&params, "max_id")?,
        newer_than: min.or(notification_id(&params, "since_id")?),
        right_after: min.is_some(),
        kinds,
        excluded_kinds: our_kinds(
            &params.list("exclude_types")?.unwrap_or_default(),
            "exclude_types[]",
        )?,
        actor: params
            .text("account_id")?
            .map(|raw| {
                path_id(&raw).map_err(|_| ApiError::invalid("account_id", "is not an account id"))
            })
            .transpose()?,
        limit: params.limit(15, 30)?,
    };
    let found = notifications::page(&backend.pool, me, &query).await?;
    let headers = page_links(
        &backend,
        &uri,
        found.first().map(|n| n.id),
        found.last().map(|n| n.id),
    );
    Ok((headers, Json(entities_of(&backend, me, &found).await?)))
}

/// `Link` to the older (`next`) and newer (`prev`) pages, keeping the request's filters.
fn page_links(
    backend: &Backend,
    uri: &Uri,
    newest: Option<Uuid>,
    oldest: Option<Uuid>,
) -> HeaderMap {
    let kept: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .filter(|(key, _)| !matches!(key.as_ref(), "max_id" | "min_id" | "since_id"))
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
    let link = |cursor: &str, id: Uuid| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&kept);
        query.append_pair(cursor, &id.to_string());
        format!("{}{}?{}", backend.public_url, uri.path(), query.finish())
    };
    let mut links = Vec::new();
    if let Some(oldest) = oldest {
        links.push(format!("<{}>; rel=\"next\"", link("max_id", oldest)));
    }
    if let Some(newest) = newest {
        links.push(format!("<{}>; rel=\"prev\"", link("min_id", newest)));
    }
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
        if !links.is_empty() {
            headers.insert(header::LINK, value);
        }
    }
    headers
}

/// Mastodon 4.3's count for badges: notifications newer than the app's notifications
/// marker (or, without one, those unread on the web).
async fn unread_count(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let marker = app::backend::markers::get(&backend.pool, me, &["notifications".to_owned()])
        .await?
        .pop()
        .and_then(|marker| Uuid::try_parse(&marker.last_read_id).ok());
    let limit = params.limit(100, 1000)?;
    let count = notifications::unread_since(&backend.pool, me, marker, limit).await?;
    Ok(Json(json!({ "count": count })))
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
    // As on Mastodon, an address is looked up (and fetched) only when asked to.
    let resolve = params.boolean("resolve")?.unwrap_or(false);
    let results = search::search(&backend, viewer, &q, resolve).await?;
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
