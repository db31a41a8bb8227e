//! Mutes and keyword filters from the web pages (plain forms: they work without JavaScript).

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{FilterSummary, FollowRequests, MutedPerson},
};

/// The logged-in person mutes (`on`) or unmutes `username`. A checked `hide_notifications`
/// hides their notifications too; `duration` is in seconds (empty or 0: until unmuted).
#[server(prefix = "/api", endpoint = "profiles/mute")]
pub async fn set_mute(
    username: String,
    on: bool,
    hide_notifications: Option<String>,
    duration: Option<String>,
) -> Result<(), AppError> {
    use crate::backend::{self, mutes, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            if !on {
                return mutes::unmute(&backend.pool, viewer.id, &username).await;
            }
            let duration =
                match duration.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
                        AppError::invalid("duration", "must be a number of seconds")
                    })?),
                };
            let options = mutes::MuteOptions {
                hide_notifications: hide_notifications.is_some_and(|value| value != "false"),
                duration,
            };
            mutes::mute(&backend.pool, viewer.id, &username, options).await
        }
        .await,
    )
}

/// Whom the logged-in person mutes, newest first.
#[server(prefix = "/api", endpoint = "safety/mutes", input = server_fn::codec::GetUrl)]
pub async fn list_mutes() -> Result<Vec<MutedPerson>, AppError> {
    use crate::backend::{self, mutes, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            Ok(mutes::list(&backend.pool, viewer.id, 500)
                .await?
                .into_iter()
                .map(|mute| MutedPerson {
                    username: mute.username,
                    display_name: mute.display_name,
                    hide_notifications: mute.hide_notifications,
                    expires_at: mute.expires_at,
                })
                .collect())
        }
        .await,
    )
}

/// The logged-in person's keyword filters.
#[server(prefix = "/api", endpoint = "safety/filters", input = server_fn::codec::GetUrl)]
pub async fn list_filters() -> Result<Vec<FilterSummary>, AppError> {
    use crate::backend::{self, filters, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            Ok(filters::list(&backend.pool, viewer.id)
                .await?
                .into_iter()
                .map(|filter| FilterSummary {
                    id: filter.id,
                    title: filter.title,
                    contexts: filter.contexts,
                    action: filter.action,
                    expires_at: filter.expires_at,
                    keywords: filter
                        .keywords
                        .into_iter()
                        .map(|k| (k.keyword, k.whole_word))
                        .collect(),
                })
                .collect())
        }
        .await,
    )
}

/// Makes a keyword filter: `keywords` one per line (or comma-separated), each matching a
/// whole word when `whole_word` is checked; a checkbox per context; `action` warn or hide;
/// `expires_in` seconds (empty: never).
#[server(prefix = "/api", endpoint = "safety/filters/create")]
#[allow(clippy::too_many_arguments)]
pub async fn create_filter(
    title: String,
    keywords: String,
    whole_word: Option<String>,
    home: Option<String>,
    notifications: Option<String>,
    public: Option<String>,
    thread: Option<String>,
    account: Option<String>,
    action: String,
    expires_in: Option<String>,
) -> Result<(), AppError> {
    use crate::backend::{self, filters, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let contexts: Vec<String> = [
                ("home", home),
                ("notifications", notifications),
                ("public", public),
                ("thread", thread),
                ("account", account),
            ]
            .into_iter()
            .filter(|(_, checked)| checked.is_some())
            .map(|(name, _)| name.to_owned())
            .collect();
            let whole_word = whole_word.is_some();
            let keywords: Vec<filters::KeywordInput> = keywords
                .split(['\n', ','])
                .map(str::trim)
                .filter(|keyword| !keyword.is_empty())
                .map(|keyword| filters::KeywordInput {
                    keyword: Some(keyword.to_owned()),
                    whole_word: Some(whole_word),
                    ..Default::default()
                })
                .collect();
            if keywords.is_empty() {
                return Err(AppError::invalid("keywords", "can't be blank"));
            }
            let expires_in =
                match expires_in.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
                        AppError::invalid("expires_in", "must be a number of seconds")
                    })?),
                };
            filters::create(
                &backend.pool,
                viewer.id,
                filters::FilterInput {
                    title: Some(title),
                    contexts: Some(contexts),
                    action: Some(action),
                    expires_in: Some(expires_in),
                    keywords,
                },
            )
            .await
            .map(|_| ())
        }
        .await,
    )
}

/// Deletes one of the logged-in person's filters.
#[server(prefix = "/api", endpoint = "safety/filters/delete")]
pub async fn delete_filter(id: String) -> Result<(), AppError> {
    use crate::backend::{self, filters, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let id = uuid::Uuid::try_parse(&id).map_err(|_| AppError::NotFound)?;
            filters::delete(&backend.pool, viewer.id, id).await
        }
        .await,
    )
}

/// Who asks to follow the logged-in person, and whether they approve followers by hand.
#[server(prefix = "/api", endpoint = "safety/follow_requests", input = server_fn::codec::GetUrl)]
pub async fn list_follow_requests() -> Result<FollowRequests, AppError> {
    use crate::backend::{self, follows, profiles, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let ids = follows::requests(&backend.pool, viewer.id, 500).await?;
            let mut people = profiles::accounts(&backend.pool, &ids).await?;
            people.sort_by_key(|person| ids.iter().position(|id| *id == person.id));
            Ok(FollowRequests {
                locked: follows::locked(&backend.pool, viewer.id).await?,
                people: people
                    .into_iter()
                    .map(|person| crate::model::PersonCard {
                        username: person.username,
                        display_name: person.display_name,
                        avatar_url: person.avatar_url,
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// Accepts (`accept`) or rejects `username`'s request to follow the logged-in person.
#[server(prefix = "/api", endpoint = "safety/follow_requests/answer")]
pub async fn answer_follow_request(username: String, accept: bool) -> Result<(), AppError> {
    use crate::backend::{self, accounts, follows, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let (requester, _) = accounts::person_id(&backend.pool, &username).await?;
            follows::answer_request(&backend, viewer.id, requester, accept).await
        }
        .await,
    )
}

/// "Manually approve followers": a checked `locked` turns it on.
#[server(prefix = "/api", endpoint = "safety/locked")]
pub async fn set_locked(locked: Option<String>) -> Result<(), AppError> {
    use crate::backend::{self, follows, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            follows::set_locked(
                &backend,
                viewer.id,
                locked.is_some_and(|value| value != "false"),
            )
            .await
        }
        .await,
    )
}
