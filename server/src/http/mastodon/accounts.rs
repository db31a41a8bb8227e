//! Accounts: the caller's own, and others by id or address.

use app::backend::{accounts as local_accounts, profiles, Backend};
use axum::{
    extract::{Path, State},
    Json,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    auth::Authed,
    entities,
    params::Params,
    scopes::{Access::*, Routes},
    ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .get(
            "/api/v1/accounts/verify_credentials",
            User("read:accounts"),
            verify_credentials,
        )
        .get("/api/v1/accounts/lookup", Open("read:accounts"), lookup)
        .get("/api/v1/accounts/{id}", Open("read:accounts"), by_id)
}

/// An id from the path: malformed ids are 404, like unknown ones.
pub fn path_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::try_parse(raw).map_err(|_| ApiError::not_found())
}

async fn verify_credentials(
    State(backend): State<Backend>,
    authed: Authed,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let summary = profiles::account(&backend.pool, me).await?;
    let mut account = entities::account(&backend, &summary);
    // Thoughtspace's own: the profile CSS as the owner typed it.
    let custom_css = profiles::custom_css_source(&backend.pool, me).await?;
    account["source"] = serde_json::json!({
        "note": summary.bio.clone().unwrap_or_default(), "privacy": "public", "sensitive": false, "language": null,
        "fields": summary.fields.0.iter().map(|field| serde_json::json!({ "name": field.name, "value": field.value, "verified_at": field.verified_at })).collect::<Vec<_>>(),
        "custom_css": custom_css.unwrap_or_default(),
        "follow_requests_count": app::backend::follows::request_count(&backend.pool, me).await?,
    });
    Ok(Json(account))
}

async fn by_id(State(backend): State<Backend>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let summary = profiles::account(&backend.pool, path_id(&id)?).await?;
    Ok(Json(entities::account(&backend, &summary)))
}

async fn lookup(State(backend): State<Backend>, params: Params) -> ApiResult<Json<Value>> {
    let acct = params
        .text("acct")?
        .ok_or_else(|| ApiError::invalid("acct", "is missing"))?;
    let acct = acct.trim_start_matches('@');
    // `name@this-host` is a local account too.
    let host = app::backend::federation::urls::Urls::new(&backend.public_url)
        .host()
        .to_owned();
    let handle = acct.strip_suffix(&format!("@{host}")).unwrap_or(acct);
    let (id, _) = local_accounts::person_id(&backend.pool, handle).await?;
    Ok(Json(entities::account(
        &backend,
        &profiles::account(&backend.pool, id).await?,
    )))
}

pub fn more_routes() -> Routes {
    Routes::default()
        .patch(
            "/api/v1/accounts/update_credentials",
            User("write:accounts"),
            update_credentials,
        )
        .get(
            "/api/v1/accounts/relationships",
            User("read:follows"),
            relationships,
        )
        .get(
            "/api/v1/accounts/{id}/statuses",
            Open("read:statuses"),
            statuses_of,
        )
        .get(
            "/api/v1/accounts/{id}/followers",
            Open("read:accounts"),
            |s, p, q| people(s, p, q, follows::Direction::Followers),
        )
        .get(
            "/api/v1/accounts/{id}/following",
            Open("read:accounts"),
            |s, p, q| people(s, p, q, follows::Direction::Following),
        )
        .post(
            "/api/v1/accounts/{id}/follow",
            User("write:follows"),
            |s, a, p| act(s, a, p, Action::Follow),
        )
        .post(
            "/api/v1/accounts/{id}/unfollow",
            User("write:follows"),
            |s, a, p| act(s, a, p, Action::Unfollow),
        )
        .post(
            "/api/v1/accounts/{id}/block",
            User("write:blocks"),
            |s, a, p| act(s, a, p, Action::Block),
        )
        .post(
            "/api/v1/accounts/{id}/unblock",
            User("write:blocks"),
            |s, a, p| act(s, a, p, Action::Unblock),
        )
        .get("/api/v1/blocks", User("read:blocks"), blocks_list)
}

use app::backend::{blocks, follows, timeline};
use axum::http::Uri;

use super::auth::MaybeAuthed;

/// Mastodon's Relationship between the caller and `target`.
pub async fn relationship(backend: &Backend, me: Uuid, target: Uuid) -> ApiResult<Value> {
    let mine = follows::relationship(&backend.pool, me, target).await?;
    let theirs = follows::relationship(&backend.pool, target, me).await?;
    let note = app::backend::account_notes::get(&backend.pool, me, target).await?;
    let endorsed = app::backend::endorsements::endorses(&backend.pool, me, target).await?;
    Ok(serde_json::json!({
        "id": target.to_string(), "following": mine.following, "showing_reblogs": mine.following, "notifying": false,
        "followed_by": mine.followed_by, "blocking": mine.blocking, "blocked_by": theirs.blocking, "muting": mine.muting,
        "muting_notifications": mine.muting_notifications, "requested": mine.requested, "requested_by": theirs.requested, "domain_blocking": false, "endorsed": endorsed, "note": note,
    }))
}

enum Action {
    Follow,
    Unfollow,
    Block,
    Unblock,
}

async fn act(
    State(backend): State<Backend>,
    authed: Authed,
    Path(id): Path<String>,
    action: Action,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let target = profiles::account(&backend.pool, path_id(&id)?).await?;
    match action {
        Action::Follow => follows::follow(&backend, me, &target.username).await?,
        Action::Unfollow => follows::unfollow(&backend, me, &target.username).await?,
        Action::Block => blocks::block(&backend, me, &target.username).await?,
        Action::Unblock => blocks::unblock(&backend, me, &target.username).await?,
    }
    Ok(Json(relationship(&backend, me, target.id).await?))
}

async fn relationships(
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
        if profiles::account(&backend.pool, id).await.is_ok() {
            out.push(relationship(&backend, me, id).await?);
        }
    }
    Ok(Json(out))
}

async fn statuses_of(
    State(backend): State<Backend>,
    caller: MaybeAuthed,
    Path(id): Path<String>,
    uri: Uri,
    params: Params,
) -> ApiResult<(axum::http::HeaderMap, Json<Vec<Value>>)> {
    let target = profiles::account(&backend.pool, path_id(&id)?).await?;
    let limit = params.limit(20, 40)?;
    let window = super::timelines::window(&backend, &params).await?;
    let flag = |name: &str| params.boolean(name).map(Option::unwrap_or_default);
    // An empty `tagged` is no tag, as Mastodon takes it.
    let tagged = params.text("tagged")?.filter(|tag| !tag.trim().is_empty());
    let filter = timeline::ProfileFilter {
        exclude_replies: flag("exclude_replies")?,
        exclude_boosts: flag("exclude_reblogs")?,
        tagged: tagged.as_deref(),
        only_media: flag("only_media")?,
        pinned: flag("pinned")?,
    };
    let page = timeline::page_within(
        &backend.pool,
        caller.viewer(),
        // With boosts, as Mastodon's profiles list them (reblog wrappers).
        timeline::Feed::AuthorAndBoosts(&target.username, filter),
        window,
        limit,
    )
    .await?;
    super::timelines::respond_keeping(&backend, &uri, page, PROFILE_FILTERS).await
}

/// The profile statuses' filters, kept by the `Link` header's pages.
const PROFILE_FILTERS: &[&str] = &[
    "exclude_replies",
    "exclude_reblogs",
    "tagged",
    "only_media",
    "pinned",
];

async fn people(
    State(backend): State<Backend>,
    Path(id): Path<String>,
    params: Params,
    direction: follows::Direction,
) -> ApiResult<Json<Vec<Value>>> {
    let target = profiles::account(&backend.pool, path_id(&id)?).await?;
    let ids = follows::list_ids(&backend.pool, target.id, direction, params.limit(40, 80)?).await?;
    let entities = entities::accounts(&backend, ids.iter().copied()).await?;
    Ok(Json(
        ids.iter()
            .filter_map(|id| entities.get(id).cloned())
            .collect(),
    ))
}

async fn blocks_list(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Vec<Value>>> {
    let me = authed.person()?;
    let ids = blocks::blocked_by(&backend.pool, me, params.limit(40, 80)?).await?;
    let entities = entities::accounts(&backend, ids.iter().copied()).await?;
    Ok(Json(
        ids.iter()
            .filter_map(|id| entities.get(id).cloned())
            .collect(),
    ))
}

/// Partial profile edits (fields not sent keep their value), plus Thoughtspace's own:
/// `custom_css` (sanitized as in settings) and `top_friends[]` (usernames, in order).
async fn update_credentials(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Json<Value>> {
    let me = authed.person()?;
    let current = profiles::settings(&backend.pool, me).await?;
    let edit = profiles::ProfileEdit {
        display_name: params.text("display_name")?.unwrap_or(current.display_name),
        bio: params.text("note")?.unwrap_or(current.bio),
        avatar_url: params.text("avatar_url")?.unwrap_or(current.avatar_url),
        header_url: params.text("header_url")?.unwrap_or(current.header_url),
        fields: fields_attributes(&params)?,
    };
    // Everything is checked before anything is written.
    profiles::check_edit(&edit)
        .map_err(|error| rename(error, &[("bio", "note"), ("fields", "fields_attributes")]))?;
    let css = params.text("custom_css")?;
    if let Some(css) = &css {
        profiles::sanitize_css(css)?;
    }
    let locked = params.boolean("locked")?;
    if let Some(friends) = params.list("top_friends")? {
        profiles::set_top_friends(&backend.pool, me, &friends).await?;
    }
    profiles::update(&backend, me, edit).await?;
    if let Some(css) = css {
        profiles::set_custom_css(&backend, me, &css).await?;
    }
    if let Some(locked) = locked {
        follows::set_locked(&backend, me, locked).await?;
    }
    let summary = profiles::account(&backend.pool, me).await?;
    Ok(Json(entities::account(&backend, &summary)))
}

/// Mastodon's `fields_attributes` (a list of `{name, value}`, or form fields
/// `fields_attributes[N][name]`): the profile fields, replacing all of them; None when not sent.
fn fields_attributes(params: &Params) -> ApiResult<Option<Vec<(String, String)>>> {
    let Some(objects) = params.objects("fields_attributes")? else {
        return Ok(None);
    };
    let text = |object: &serde_json::Map<String, Value>, key: &str| -> ApiResult<String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(_) => Err(ApiError::invalid(
                "fields_attributes",
                format!("{key} must be a string"),
            )),
        }
    };
    objects
        .iter()
        .map(|object| Ok((text(object, "name")?, text(object, "value")?)))
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

/// Field names as the client API calls them.
pub fn rename(error: app::error::AppError, names: &[(&str, &str)]) -> app::error::AppError {
    match error {
        app::error::AppError::Invalid(mut errors) => {
            for error in &mut errors {
                if let Some((_, api)) = names.iter().find(|(ours, _)| *ours == error.field) {
                    error.field = (*api).to_owned();
                }
            }
            app::error::AppError::Invalid(errors)
        }
        other => other,
    }
}
