//! What a person keeps for themselves: bookmarks, lists (with their timelines) and the
//! hashtags they follow. Only the logged-in person reads or changes their own.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{ListDetail, ListInfo, TimelinePage},
};

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::try_parse(id).map_err(|_| AppError::NotFound)
}

/// Bookmarks thought `id` when `on`, takes the bookmark away otherwise.
#[server(prefix = "/api", endpoint = "thoughts/bookmark")]
pub async fn set_bookmark(id: String, on: bool) -> Result<(), AppError> {
    use crate::backend::{self, bookmarks, request};
    backend::respond(
        async {
            let id = parse_id(&id)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            bookmarks::set(&backend, viewer.id, id, on).await
        }
        .await,
    )
}

/// A page of the logged-in person's bookmarks, newest bookmark first.
#[server(prefix = "/api", endpoint = "timeline/bookmarks", input = server_fn::codec::GetUrl)]
pub async fn bookmarks_timeline(before: Option<String>) -> Result<TimelinePage, AppError> {
    own_timeline(crate::backend::timeline::Feed::Bookmarks, before).await
}

/// A page of one of the logged-in person's lists.
#[server(prefix = "/api", endpoint = "timeline/list", input = server_fn::codec::GetUrl)]
pub async fn list_timeline(id: String, before: Option<String>) -> Result<TimelinePage, AppError> {
    match parse_id(&id) {
        Ok(id) => own_timeline(crate::backend::timeline::Feed::List(id), before).await,
        Err(error) => crate::backend::respond(Err(error)),
    }
}

#[cfg(feature = "ssr")]
async fn own_timeline(
    feed: crate::backend::timeline::Feed<'_>,
    before: Option<String>,
) -> Result<TimelinePage, AppError> {
    use crate::backend::{self, request, timeline};
    backend::respond(
        async {
            let before = timeline::parse_before(before.as_deref())?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            timeline::page(
                &backend.pool,
                Some(viewer.id),
                feed,
                before,
                timeline::PAGE_SIZE,
            )
            .await
        }
        .await,
    )
}

/// The logged-in person's lists.
#[server(prefix = "/api", endpoint = "lists/mine", input = server_fn::codec::GetUrl)]
pub async fn my_lists() -> Result<Vec<ListInfo>, AppError> {
    use crate::backend::{self, lists, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            lists::all(&backend.pool, viewer.id).await
        }
        .await,
    )
}

/// One of the logged-in person's lists, with its members.
#[server(prefix = "/api", endpoint = "lists/get", input = server_fn::codec::GetUrl)]
pub async fn get_list(id: String) -> Result<ListDetail, AppError> {
    use crate::backend::{self, lists, request};
    backend::respond(
        async {
            let id = parse_id(&id)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            lists::detail(&backend.pool, viewer.id, id).await
        }
        .await,
    )
}

/// Makes a list; a form post without JavaScript goes on to its page.
#[server(prefix = "/api", endpoint = "lists/create")]
pub async fn create_list(title: String) -> Result<ListInfo, AppError> {
    use crate::backend::{self, lists, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let list = lists::create(
                &backend.pool,
                viewer.id,
                lists::ListEdit {
                    title: Some(title),
                    ..Default::default()
                },
            )
            .await?;
            if request::is_plain_form_post() {
                request::redirect(&format!("/lists/{}", list.id));
            }
            Ok(list)
        }
        .await,
    )
}

/// Renames a list and sets which replies it shows and whether it is exclusive.
#[server(prefix = "/api", endpoint = "lists/update")]
pub async fn update_list(
    id: String,
    title: String,
    replies_policy: String,
    exclusive: Option<String>,
) -> Result<ListInfo, AppError> {
    use crate::backend::{self, lists, request};
    backend::respond(
        async {
            let id = parse_id(&id)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            lists::update(
                &backend.pool,
                viewer.id,
                id,
                lists::ListEdit {
                    title: Some(title),
                    replies_policy: Some(replies_policy),
                    // A checkbox: sent ("on") when ticked, absent when not.
                    exclusive: Some(exclusive.is_some_and(|value| value != "false")),
                },
            )
            .await
        }
        .await,
    )
}

/// Deletes a list; a form post without JavaScript goes back to the lists.
#[server(prefix = "/api", endpoint = "lists/delete")]
pub async fn delete_list(id: String) -> Result<(), AppError> {
    use crate::backend::{self, lists, request};
    backend::respond(
        async {
            let id = parse_id(&id)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            lists::delete(&backend.pool, viewer.id, id).await?;
            if request::is_plain_form_post() {
                request::redirect("/lists");
            }
            Ok(())
        }
        .await,
    )
}

/// Adds `username` to list `id` (`on`) or takes them off.
#[server(prefix = "/api", endpoint = "lists/member")]
pub async fn set_list_member(id: String, username: String, on: bool) -> Result<(), AppError> {
    use crate::backend::{self, lists, request};
    backend::respond(
        async {
            let id = parse_id(&id)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            lists::set_member(&backend.pool, viewer.id, id, &username, on).await
        }
        .await,
    )
}

/// Whether the logged-in person follows `tag` (`None` for visitors).
#[server(prefix = "/api", endpoint = "tags/following", input = server_fn::codec::GetUrl)]
pub async fn following_tag(tag: String) -> Result<Option<bool>, AppError> {
    use crate::backend::{self, hashtags, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let Some(viewer) = request::viewer(&backend).await? else {
                return Ok(None);
            };
            let name = hashtags::name(&tag, "tag")?;
            Ok(Some(
                hashtags::info(&backend.pool, Some(viewer.id), &name)
                    .await?
                    .following,
            ))
        }
        .await,
    )
}

/// Follows `tag` (`on`) or stops: its public thoughts come to home.
#[server(prefix = "/api", endpoint = "tags/follow")]
pub async fn follow_tag(tag: String, on: bool) -> Result<(), AppError> {
    use crate::backend::{self, hashtags, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let name = hashtags::name(&tag, "tag")?;
            hashtags::follow(&backend.pool, viewer.id, &name, on).await?;
            Ok(())
        }
        .await,
    )
}
