//! `GET/POST /api/v1/markers`: where the person stopped reading home and notifications.

use app::backend::{markers, Backend};
use axum::{extract::State, Json};
use serde_json::{Map, Value};

use super::{
    auth::Authed,
    params::Params,
    scopes::{Access::*, Routes},
    ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/markers", User("read:statuses"), show)
        .post("/api/v1/markers", User("write:statuses"), save)
}

/// Mastodon's answer: an object keyed by timeline.
fn answer(found: Vec<markers::Marker>) -> Value {
    let mut by_timeline = Map::new();
    for marker in found {
        by_timeline.insert(
            marker.timeline,
            serde_json::json!({
                "last_read_id": marker.last_read_id,
                "version": marker.version,
                "updated_at": marker.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            }),
        );
    }
    Value::Object(by_timeline)
}

async fn show(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let timelines = params.list("timeline")?.unwrap_or_else(|| {
        markers::TIMELINES
            .iter()
            .map(|timeline| (*timeline).to_owned())
            .collect()
    });
    Ok(Json(answer(
        markers::get(&backend.pool, me, &timelines).await?,
    )))
}

async fn save(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let mut positions = Vec::new();
    for timeline in markers::TIMELINES {
        // `home[last_read_id]=…` in a form, `{"home": {"last_read_id": …}}` in JSON.
        if let Some(id) = params.field(timeline, "last_read_id")? {
            positions.push((timeline.to_owned(), id));
        }
    }
    if positions.is_empty() {
        return Err(super::ApiError::invalid(
            "home[last_read_id]",
            "or notifications[last_read_id] is required",
        ));
    }
    Ok(Json(answer(
        markers::set(&backend.pool, me, &positions).await?,
    )))
}
