use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{CssOutcome, Profile, ProfileSettings},
};

/// A profile page's data.
#[server(prefix = "/api", endpoint = "profiles/get", input = server_fn::codec::GetUrl)]
pub async fn get_profile(username: String) -> Result<Profile, AppError> {
    use crate::backend::{self, profiles, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::viewer(&backend).await?.map(|viewer| viewer.id);
            profiles::view(&backend, viewer, &username).await
        }
        .await,
    )
}

/// The logged-in person's settings.
#[server(prefix = "/api", endpoint = "profiles/settings", input = server_fn::codec::GetUrl)]
pub async fn get_profile_settings() -> Result<ProfileSettings, AppError> {
    use crate::backend::{self, profiles, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            profiles::settings(&backend.pool, viewer.id).await
        }
        .await,
    )
}

/// Saves display name, bio, avatar, header and the profile fields (four name/value pairs).
#[server(prefix = "/api", endpoint = "profiles/update")]
#[allow(clippy::too_many_arguments)]
pub async fn update_profile(
    display_name: String,
    bio: String,
    avatar_url: String,
    header_url: String,
    field_name_1: Option<String>,
    field_value_1: Option<String>,
    field_name_2: Option<String>,
    field_value_2: Option<String>,
    field_name_3: Option<String>,
    field_value_3: Option<String>,
    field_name_4: Option<String>,
    field_value_4: Option<String>,
) -> Result<(), AppError> {
    use crate::backend::{self, profiles, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            profiles::update(
                &backend,
                viewer.id,
                profiles::ProfileEdit {
                    display_name,
                    bio,
                    avatar_url,
                    header_url,
                    // The form always has the four pairs: blank ones are dropped.
                    fields: Some(
                        [
                            (field_name_1, field_value_1),
                            (field_name_2, field_value_2),
                            (field_name_3, field_value_3),
                            (field_name_4, field_value_4),
                        ]
                        .into_iter()
                        .map(|(name, value)| (name.unwrap_or_default(), value.unwrap_or_default()))
                        .collect(),
                    ),
                },
            )
            .await
        }
        .await,
    )
}

/// Sanitizes and saves the profile's CSS; says what was removed.
#[server(prefix = "/api", endpoint = "profiles/css")]
pub async fn update_custom_css(custom_css: String) -> Result<CssOutcome, AppError> {
    use crate::backend::{self, profiles, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            profiles::set_custom_css(&backend, viewer.id, &custom_css).await
        }
        .await,
    )
}

/// Sanitizes CSS without saving it, for the editor's live preview (its images are copied
/// as saving would, once).
#[server(prefix = "/api", endpoint = "profiles/css_preview")]
pub async fn preview_custom_css(custom_css: String) -> Result<CssOutcome, AppError> {
    use crate::backend::{self, profiles, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            profiles::preview_css(&backend, viewer.id, &custom_css).await
        }
        .await,
    )
}

/// Sets the Top Friends, in order: `friend_1` is position 1. Blank slots are skipped.
#[server(prefix = "/api", endpoint = "profiles/top_friends")]
pub async fn set_top_friends(
    friend_1: Option<String>,
    friend_2: Option<String>,
    friend_3: Option<String>,
    friend_4: Option<String>,
    friend_5: Option<String>,
) -> Result<(), AppError> {
    use crate::backend::{self, profiles, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let chosen: Vec<String> = [friend_1, friend_2, friend_3, friend_4, friend_5]
                .into_iter()
                .flatten()
                .collect();
            profiles::set_top_friends(&backend.pool, viewer.id, &chosen).await
        }
        .await,
    )
}

/// The logged-in person follows (`on`) or stops following `username`.
#[server(prefix = "/api", endpoint = "profiles/follow")]
pub async fn set_follow(username: String, on: bool) -> Result<(), AppError> {
    use crate::backend::{self, follows, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            if on {
                follows::follow(&backend, viewer.id, &username).await
            } else {
                follows::unfollow(&backend, viewer.id, &username).await
            }
        }
        .await,
    )
}

/// The logged-in person blocks (`on`) or unblocks `username`.
#[server(prefix = "/api", endpoint = "profiles/block")]
pub async fn set_block(username: String, on: bool) -> Result<(), AppError> {
    use crate::backend::{self, blocks, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            if on {
                blocks::block(&backend, viewer.id, &username).await
            } else {
                blocks::unblock(&backend, viewer.id, &username).await
            }
        }
        .await,
    )
}

/// Who follows `username` (`followers`), or whom they follow (`following`), newest first.
#[server(prefix = "/api", endpoint = "profiles/follows", input = server_fn::codec::GetUrl)]
pub async fn list_follows(
    username: String,
    direction: String,
) -> Result<Vec<crate::model::PersonCard>, AppError> {
    use crate::backend::{self, follows};
    backend::respond(
        async {
            let direction = match direction.as_str() {
                "followers" => follows::Direction::Followers,
                "following" => follows::Direction::Following,
                _ => return Err(AppError::NotFound),
            };
            let backend = backend::from_context()?;
            follows::list(&backend.pool, &username, direction).await
        }
        .await,
    )
}
