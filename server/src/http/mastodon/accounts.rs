//! Accounts: the caller's own, and others by id or address.

use app::backend::{accounts as local_accounts, profiles, Backend};
use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use serde_json::Value;
use uuid::Uuid;

use super::{auth::Authed, entities, params::Params, ApiError, ApiResult};

pub fn routes() -> Router<Backend> {
    Router::new()
        .route("/api/v1/accounts/verify_credentials", get(verify_credentials))
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/{id}", get(by_id))
}

/// An id from the path: malformed ids are 404, like unknown ones.
pub fn path_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::try_parse(raw).map_err(|_| ApiError::not_found())
}

async fn verify_credentials(State(backend): State<Backend>, authed: Authed) -> ApiResult<Json<Value>> {
    let me = authed.need("read:accounts")?;
    let summary = profiles::account(&backend.pool, me).await?;
    let mut account = entities::account(&backend, &summary);
    account["source"] = serde_json::json!({
        "note": summary.bio.clone().unwrap_or_default(), "privacy": "public", "sensitive": false, "language": null, "fields": [],
    });
    Ok(Json(account))
}

async fn by_id(State(backend): State<Backend>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let summary = profiles::account(&backend.pool, path_id(&id)?).await?;
    Ok(Json(entities::account(&backend, &summary)))
}

async fn lookup(State(backend): State<Backend>, params: Params) -> ApiResult<Json<Value>> {
    let acct = params.text("acct")?.ok_or_else(|| ApiError::invalid("acct", "is missing"))?;
    let acct = acct.trim_start_matches('@');
    // `name@this-host` is a local account too.
    let host = app::backend::federation::urls::Urls::new(&backend.public_url).host().to_owned();
    let handle = acct.strip_suffix(&format!("@{host}")).unwrap_or(acct);
    let (id, _) = local_accounts::person_id(&backend.pool, handle).await?;
    Ok(Json(entities::account(&backend, &profiles::account(&backend.pool, id).await?)))
}
