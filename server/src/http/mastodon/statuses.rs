//! Statuses: post, read, delete.

use app::{
    backend::{idempotency, thoughts, timeline, Backend},
    error::AppError,
};
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    Json,
};
use serde_json::Value;

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
        .post("/api/v1/statuses", User("write:statuses"), create)
        .get("/api/v1/statuses/{id}", Open("read:statuses"), show)
        .delete("/api/v1/statuses/{id}", User("write:statuses"), delete)
}

/// Mastodon's visibilities in Thoughtspace's terms (`private` is followers-only there).
fn visibility(raw: Option<String>) -> String {
    match raw.as_deref() {
        Some("private") => "followers".into(),
        Some("direct") => "private".into(),
        Some(other) => other.into(),
        None => "public".into(),
    }
}

pub(super) async fn one(
    backend: &Backend,
    viewer: Option<uuid::Uuid>,
    id: uuid::Uuid,
) -> ApiResult<Value> {
    let thought = timeline::one(&backend.pool, viewer, id).await?;
    let mut statuses = entities::statuses(backend, std::slice::from_ref(&thought)).await?;
    statuses.pop().ok_or_else(|| AppError::NotFound.into())
}

/// The boost `boost` as a status (a reblog wrapping the thought), if `viewer` may see it.
async fn boost_status(
    backend: &Backend,
    viewer: Option<uuid::Uuid>,
    boost: uuid::Uuid,
) -> ApiResult<Value> {
    let thought = timeline::boost(&backend.pool, viewer, boost).await?;
    let mut statuses = entities::statuses(backend, std::slice::from_ref(&thought)).await?;
    statuses.pop().ok_or_else(|| AppError::NotFound.into())
}

/// The thought a status id names: itself, or the thought a boost's id (a reblog) wraps,
/// as Mastodon acts on the original when asked about a reblog.
async fn original(backend: &Backend, id: uuid::Uuid) -> ApiResult<uuid::Uuid> {
    Ok(reactions::boost_by_id(&backend.pool, id)
        .await?
        .map_or(id, |(thought, _)| thought))
}

async fn create(
    State(backend): State<Backend>,
    authed: Authed,
    headers: HeaderMap,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    // A client that retries after a lost answer sends the same key and gets the status its
    // first request stored, not a second one (Mastodon keeps keys an hour; we keep a day).
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(raw) => {
            let raw = raw
                .to_str()
                .map_err(|_| AppError::invalid("Idempotency-Key", "must be printable text"))?;
            idempotency::Key::parse(idempotency::Scope::Api, "Idempotency-Key", raw)?
        }
    };
    refuse_unsupported(&params)?;
    let input = thoughts::NewThought {
        content: params.text("status")?.unwrap_or_default(),
        visibility: visibility(params.text("visibility")?),
        reply_to: params.text("in_reply_to_id")?,
        idempotency_key,
        summary: params.text("spoiler_text")?,
        sensitive: params.boolean("sensitive")?.unwrap_or(false),
    };
    // For later: a ScheduledStatus instead of a status.
    if let Some(at) = super::scheduled::time_param(&params)? {
        let scheduled = app::backend::scheduled::schedule(&backend, me, input, at)
            .await
            .map_err(|error| {
                super::accounts::rename(
                    error,
                    &[
                        ("content", "status"),
                        ("reply_to", "in_reply_to_id"),
                        ("summary", "spoiler_text"),
                    ],
                )
            })?;
        return Ok(Json(super::scheduled::entity(&scheduled)));
    }
    let id = thoughts::post(&backend, me, input).await.map_err(|error| {
        super::accounts::rename(
            error,
            &[
                ("content", "status"),
                ("reply_to", "in_reply_to_id"),
                ("summary", "spoiler_text"),
            ],
        )
    })?;
    Ok(Json(one(&backend, Some(me), id).await?))
}

/// Parameters whose meaning we cannot honour are refused rather than ignored: a poll
/// posted as plain text, or a status meant for later published now, would not be what the
/// person asked for.
fn refuse_unsupported(params: &Params) -> ApiResult<()> {
    if params.present("poll") {
        return Err(ApiError::invalid(
            "poll",
            "is not supported: this server has no polls yet",
        ));
    }
    Ok(())
}

async fn show(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_id(&id)?;
    let mut status = match reactions::boost_by_id(&backend.pool, id).await? {
        Some(_) => boost_status(&backend, caller.viewer(), id).await?,
        None => one(&backend, caller.viewer(), id).await?,
    };
    if let Some(viewer) = caller.viewer() {
        super::mutes::mark_muted(&backend, viewer, std::slice::from_mut(&mut status)).await?;
    }
    Ok(Json(status))
}

async fn delete(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let id = path_id(&id)?;
    // Deleting a reblog takes the boost back (apps undo a boost from its own status too).
    if let Some((thought, booster)) = reactions::boost_by_id(&backend.pool, id).await? {
        if booster != me {
            return Err(AppError::NotFound.into());
        }
        let status = boost_status(&backend, Some(me), id).await?;
        reactions::set(&backend, me, thought, Reaction::Boost, false).await?;
        return Ok(Json(status));
    }
    // Mastodon answers with the deleted status (its text, for "delete and redraft").
    let status = one(&backend, Some(me), id).await?;
    thoughts::delete(&backend, me, id).await?;
    Ok(Json(status))
}

pub fn more_routes() -> Routes {
    Routes::default()
        .get(
            "/api/v1/statuses/{id}/context",
            Open("read:statuses"),
            context,
        )
        .post(
            "/api/v1/statuses/{id}/favourite",
            User("write:favourites"),
            |s, a, p| react(s, a, p, Reaction::Like, true),
        )
        .post(
            "/api/v1/statuses/{id}/unfavourite",
            User("write:favourites"),
            |s, a, p| react(s, a, p, Reaction::Like, false),
        )
        .post(
            "/api/v1/statuses/{id}/reblog",
            User("write:statuses"),
            |s, a, p| react(s, a, p, Reaction::Boost, true),
        )
        .post(
            "/api/v1/statuses/{id}/unreblog",
            User("write:statuses"),
            |s, a, p| react(s, a, p, Reaction::Boost, false),
        )
        .get(
            "/api/v1/statuses/{id}/favourited_by",
            Open("read:accounts"),
            |s, c, p, q| who(s, c, p, q, Reaction::Like),
        )
        .get(
            "/api/v1/statuses/{id}/reblogged_by",
            Open("read:accounts"),
            |s, c, p, q| who(s, c, p, q, Reaction::Boost),
        )
        .get("/api/v1/favourites", User("read:favourites"), favourites)
        .post(
            "/api/v1/statuses/{id}/pin",
            User("write:accounts"),
            |s, a, p| pin(s, a, p, true),
        )
        .post(
            "/api/v1/statuses/{id}/unpin",
            User("write:accounts"),
            |s, a, p| pin(s, a, p, false),
        )
}

/// Pins the caller's own thought to their profile, or unpins it; answers with the status
/// (`pinned` changed).
async fn pin(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    on: bool,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let id = original(&backend, path_id(&id)?).await?;
    app::backend::pins::set(&backend, me, id, on).await?;
    Ok(Json(one(&backend, Some(me), id).await?))
}

use app::backend::reactions::{self, Reaction};

async fn context(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let viewer = caller.viewer();
    let id = original(&backend, path_id(&id)?).await?;
    let thought = timeline::one(&backend.pool, viewer, id).await?;
    let thread = timeline::thread(
        &backend.pool,
        &backend.public_url,
        viewer,
        &thought.author_username,
        thought.id,
    )
    .await?;
    // Mastodon leaves out the ancestors a viewer may not see.
    let shown: Vec<_> = thread
        .ancestors
        .into_iter()
        .filter_map(|ancestor| match ancestor {
            app::model::Ancestor::Shown(thought) => Some(*thought),
            _ => None,
        })
        .collect();
    Ok(Json(serde_json::json!({
        "ancestors": entities::statuses(&backend, &shown).await?,
        "descendants": entities::statuses(&backend, &thread.replies).await?,
    })))
}

async fn react(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    reaction: Reaction,
    on: bool,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let id = original(&backend, path_id(&id)?).await?;
    match reactions::set(&backend, me, id, reaction, on).await {
        // Doing it twice is not an error for Mastodon clients: the answer is the status.
        Err(AppError::Invalid(errors))
            if errors.iter().any(|e| e.message.starts_with("you already")) => {}
        other => other?,
    }
    // A reblog answers with the boost's own status (the same one when repeated); the rest,
    // unreblog included, with the original.
    if reaction == Reaction::Boost && on {
        if let Some(boost) = reactions::boost_of(&backend.pool, me, id).await? {
            return Ok(Json(boost_status(&backend, Some(me), boost).await?));
        }
    }
    Ok(Json(one(&backend, Some(me), id).await?))
}

async fn who(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    Path(id): Path<String>,
    params: Params,
    reaction: Reaction,
) -> ApiResult<Json<Vec<Value>>> {
    let ids = reactions::who(
        &backend.pool,
        caller.viewer(),
        original(&backend, path_id(&id)?).await?,
        reaction,
        params.limit(40, 80)?,
    )
    .await?;
    let accounts = entities::accounts(&backend, ids.iter().copied()).await?;
    Ok(Json(
        ids.iter()
            .filter_map(|id| accounts.get(id).cloned())
            .collect(),
    ))
}

async fn favourites(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let liked = reactions::liked(&backend.pool, me, params.limit(20, 40)?).await?;
    Ok(Json(entities::statuses(&backend, &liked).await?))
}
