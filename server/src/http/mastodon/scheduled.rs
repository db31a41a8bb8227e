//! Scheduled statuses (`/api/v1/scheduled_statuses`): statuses posted later by a job
//! (`app::backend::scheduled`).

use app::{
    backend::{scheduled, Backend},
    error::AppError,
};
use axum::{
    extract::{Path, State},
    Json,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{
    accounts::path_id,
    auth::Authed,
    entities::timestamp,
    params::Params,
    scopes::{Access::*, Routes},
    ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/scheduled_statuses", User("read:statuses"), list)
        .get(
            "/api/v1/scheduled_statuses/{id}",
            User("read:statuses"),
            show,
        )
        .put(
            "/api/v1/scheduled_statuses/{id}",
            User("write:statuses"),
            update,
        )
        .delete(
            "/api/v1/scheduled_statuses/{id}",
            User("write:statuses"),
            cancel,
        )
}

/// `scheduled_at` as sent (ISO 8601 with a zone), if it was.
pub fn time_param(params: &Params) -> ApiResult<Option<DateTime<Utc>>> {
    match params
        .text("scheduled_at")?
        .filter(|at| !at.trim().is_empty())
    {
        None => Ok(None),
        Some(at) => DateTime::parse_from_rfc3339(at.trim())
            .map(|at| Some(at.with_timezone(&Utc)))
            .map_err(|_| {
                AppError::invalid("scheduled_at", "must be a time like 2026-12-02T10:00:00Z").into()
            }),
    }
}

/// Mastodon's ScheduledStatus.
pub fn entity(scheduled: &scheduled::Scheduled) -> Value {
    // Mastodon's visibilities (ours: `followers` is its `private`, `private` its `direct`).
    let visibility = match scheduled.visibility.as_str() {
        "private" => "direct",
        "followers" => "private",
        "" => "public",
        other => other,
    };
    json!({
        "id": scheduled.id.to_string(),
        "scheduled_at": timestamp(scheduled.scheduled_at),
        "params": {
            "text": scheduled.content,
            "visibility": visibility,
            "in_reply_to_id": scheduled.reply_to,
            "spoiler_text": scheduled.summary,
            "sensitive": scheduled.sensitive,
            "media_ids": null,
            "poll": null,
            "language": null,
            "idempotency": null,
            "scheduled_at": null,
            "application_id": null,
            "with_rate_limit": false,
        },
        "media_attachments": [],
    })
}

async fn list(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let found = scheduled::list(&backend, me, params.limit(20, 40)?).await?;
    Ok(Json(found.iter().map(entity).collect()))
}

async fn show(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    Ok(Json(entity(
        &scheduled::get(&backend, me, path_id(&id)?).await?,
    )))
}

async fn update(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let id = path_id(&id)?;
    let Some(at) = time_param(&params)? else {
        return Err(AppError::invalid("scheduled_at", "can't be blank").into());
    };
    Ok(Json(entity(
        &scheduled::reschedule(&backend, me, id, at).await?,
    )))
}

async fn cancel(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    scheduled::cancel(&backend, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
