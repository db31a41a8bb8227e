//! What apps ask for at start-up and from their menus: the caller's preferences, private
//! notes on accounts, familiar followers, and empty lists for what Thoughtspace does not
//! have yet (custom emoji, trends, announcements, suggestions, the directory), so apps that
//! call them work.

use app::backend::{account_notes, follows, profiles, Backend};
use axum::{
    extract::{Path, State},
    http::Uri,
    Json,
};
use serde_json::{json, Value};
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
    let mut routes = Routes::default()
        .get("/api/v1/preferences", User("read:accounts"), preferences)
        .post("/api/v1/accounts/{id}/note", User("write:accounts"), note)
        .get(
            "/api/v1/accounts/familiar_followers",
            User("read:follows"),
            familiar_followers,
        );
    // Not implemented yet: listed in the README.
    for path in [
        "/api/v1/custom_emojis",
        "/api/v1/trends",
        "/api/v1/trends/tags",
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
        "/api/v1/directory",
    ] {
        routes = routes.get(path, Open("read"), nothing);
    }
    for path in [
        "/api/v1/announcements",
        "/api/v1/suggestions",
        "/api/v2/suggestions",
    ] {
        routes = routes.get(path, User("read"), nothing);
    }
    routes
}

async fn nothing() -> Json<Vec<Value>> {
    Json(Vec::new())
}

/// Mastodon's Preferences. Thoughtspace has no setting for a default visibility: the
/// composer starts at public, so that is the default here too.
async fn preferences(authed: Authed) -> ApiResult<Json<Value>> {
    authed.person()?;
    Ok(Json(json!({
        "posting:default:visibility": "public",
        "posting:default:sensitive": false,
        "posting:default:language": null,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}

/// Sets the caller's private note on an account (`comment`; empty removes it).
async fn note(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let target = profiles::account(&backend.pool, path_id(&id)?).await?;
    let comment = params.text("comment")?.unwrap_or_default();
    account_notes::set(&backend.pool, me, target.id, &comment).await?;
    Ok(Json(relationship(&backend, me, target.id).await?))
}

/// For each `id[]`, the people the caller follows who follow that account.
async fn familiar_followers(
    State(backend): State<Backend>,
    authed: Authed,
    uri: Uri,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let ids: Vec<Uuid> = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == "id[]" || key == "id")
        .filter_map(|(_, value)| Uuid::try_parse(&value).ok())
        .take(40)
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let familiar = follows::familiar_followers(&backend.pool, me, id, 40).await?;
        let accounts = entities::accounts(&backend, familiar.iter().copied()).await?;
        out.push(json!({
            "id": id.to_string(),
            "accounts": familiar.iter().filter_map(|id| accounts.get(id).cloned()).collect::<Vec<_>>(),
        }));
    }
    Ok(Json(out))
}
