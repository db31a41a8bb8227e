//! Editing statuses (Mastodon's `PUT /api/v1/statuses/:id`), their edit history and source.

use app::{
    backend::{thoughts, Backend},
    error::AppError,
};
use axum::{
    extract::{Path, State},
    Json,
};
use serde_json::{json, Value};

use super::{
    accounts::{path_id, rename},
    auth::{Authed, MaybeAuthed},
    entities::{self, timestamp},
    params::Params,
    scopes::{Access::*, Routes},
    statuses, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .put("/api/v1/statuses/{id}", User("write:statuses"), update)
        .get(
            "/api/v1/statuses/{id}/history",
            Open("read:statuses"),
            history,
        )
        .get(
            "/api/v1/statuses/{id}/source",
            User("read:statuses"),
            source,
        )
}

/// Edits the caller's own status: its text, content warning and sensitivity. Someone
/// else's status is 404, as in Mastodon.
async fn update(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let id = path_id(&id)?;
    // Not supported yet: refused rather than silently dropped (the edit would lose them).
    // (An empty list of media is what apps send for "no media": that is what we have.)
    if params.list("media_ids")?.is_some_and(|ids| !ids.is_empty()) {
        return Err(AppError::invalid(
            "media_ids",
            "is not supported: this server has no media yet",
        )
        .into());
    }
    if params.present("poll") {
        return Err(
            AppError::invalid("poll", "is not supported: this server has no polls yet").into(),
        );
    }
    let input = thoughts::ThoughtEdit {
        content: params.text("status")?.unwrap_or_default(),
        // Mastodon: a spoiler_text sent replaces the warning (empty removes it); one not
        // sent keeps it; likewise `sensitive`.
        summary: params.text("spoiler_text")?,
        sensitive: params.boolean("sensitive")?,
        idempotency_key: None,
    };
    thoughts::edit(&backend, me, id, input)
        .await
        .map_err(|error| rename(error, &[("content", "status"), ("summary", "spoiler_text")]))?;
    Ok(Json(statuses::one(&backend, Some(me), id).await?))
}

/// Every version of a status, oldest first, the current one last (Mastodon's StatusEdit
/// list: a status never edited has one). 404 to whoever may not see the status.
async fn history(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Value>>> {
    let found = thoughts::history(&backend.pool, caller.viewer(), path_id(&id)?).await?;
    let account = entities::accounts(&backend, [found.thought.author_id])
        .await?
        .remove(&found.thought.author_id)
        .unwrap_or(Value::Null);
    let urls = app::backend::federation::urls::Urls::new(&backend.public_url);
    Ok(Json(
        found
            .versions
            .iter()
            .map(|version| {
                json!({
                    "content": entities::content_html(urls, &version.content, version.content_html.as_deref()),
                    "spoiler_text": version.summary.clone().unwrap_or_default(),
                    "sensitive": version.sensitive,
                    "created_at": timestamp(version.created_at),
                    "account": account,
                    "poll": null,
                    "media_attachments": [],
                    "emojis": [],
                })
            })
            .collect(),
    ))
}

/// The status as its author wrote it (plain text), for an app's edit box.
async fn source(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let found = thoughts::history(&backend.pool, Some(me), path_id(&id)?).await?;
    Ok(Json(json!({
        "id": found.thought.id.to_string(),
        "text": found.thought.content,
        "spoiler_text": found.thought.summary.unwrap_or_default(),
    })))
}
