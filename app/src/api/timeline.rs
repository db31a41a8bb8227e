use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{NewerCount, ThoughtHistory, Thread, TimelinePage, TimelineSource},
};

/// The timeline behind every timeline server function: the viewer from the session, the
/// cursor from `before`, and the rules in `backend::timeline`.
#[cfg(feature = "ssr")]
async fn page_for_viewer(
    feed: crate::backend::timeline::Feed<'_>,
    before: Option<String>,
) -> Result<TimelinePage, AppError> {
    use crate::backend::timeline;
    let before = match timeline::parse_before(before.as_deref()) {
        Ok(before) => before,
        Err(error) => return crate::backend::respond(Err(error)),
    };
    window_for_viewer(
        feed,
        timeline::Window {
            before,
            ..Default::default()
        },
    )
    .await
}

#[cfg(feature = "ssr")]
async fn window_for_viewer(
    feed: crate::backend::timeline::Feed<'_>,
    window: crate::backend::timeline::Window,
) -> Result<TimelinePage, AppError> {
    use crate::backend::{self, request, timeline};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::viewer(&backend).await?.map(|viewer| viewer.id);
            timeline::page_within(&backend.pool, viewer, feed, window, timeline::PAGE_SIZE).await
        }
        .await,
    )
}

/// A page of the public timeline, older than the `before` cursor token when given.
#[server(prefix = "/api", endpoint = "timeline/public", input = server_fn::codec::GetUrl)]
pub async fn public_timeline(before: Option<String>) -> Result<TimelinePage, AppError> {
    page_for_viewer(crate::backend::timeline::Feed::Public, before).await
}

/// A page of the logged-in person's home timeline: theirs and the people they follow.
#[server(prefix = "/api", endpoint = "timeline/home", input = server_fn::codec::GetUrl)]
pub async fn home_timeline(before: Option<String>) -> Result<TimelinePage, AppError> {
    page_for_viewer(crate::backend::timeline::Feed::Home, before).await
}

/// A page of `username`'s thoughts that the viewer may see.
#[server(prefix = "/api", endpoint = "timeline/profile", input = server_fn::codec::GetUrl)]
pub async fn profile_timeline(
    username: String,
    before: Option<String>,
) -> Result<TimelinePage, AppError> {
    page_for_viewer(crate::backend::timeline::Feed::Author(&username), before).await
}

/// A page of public thoughts tagged `tag`.
#[server(prefix = "/api", endpoint = "timeline/tag", input = server_fn::codec::GetUrl)]
pub async fn tag_timeline(tag: String, before: Option<String>) -> Result<TimelinePage, AppError> {
    page_for_viewer(crate::backend::timeline::Feed::Tag(&tag), before).await
}

/// How many thoughts of a timeline are newer than the `after` cursor token (counted up to a
/// page; without `after`, the whole timeline): what an open timeline offers as
/// "N new thoughts".
#[server(prefix = "/api", endpoint = "timeline/newer", input = server_fn::codec::Json)]
pub async fn newer_thoughts(
    source: TimelineSource,
    after: Option<String>,
) -> Result<NewerCount, AppError> {
    use crate::backend::timeline::{Feed, Window};
    let after = match after.as_deref().map(crate::model::Cursor::parse) {
        Some(None) => {
            return crate::backend::respond(Err(AppError::invalid(
                "after",
                "is not a timeline position",
            )))
        }
        Some(Some(after)) => Some(after),
        None => None,
    };
    let window = Window {
        after,
        ..Window::default()
    };
    let page = match &source {
        TimelineSource::Public => window_for_viewer(Feed::Public, window).await,
        TimelineSource::Home => window_for_viewer(Feed::Home, window).await,
        TimelineSource::Profile { username } => {
            window_for_viewer(Feed::Author(username), window).await
        }
        TimelineSource::Tag { tag } => window_for_viewer(Feed::Tag(tag), window).await,
        TimelineSource::Bookmarks => window_for_viewer(Feed::Bookmarks, window).await,
        TimelineSource::List { id } => match uuid::Uuid::try_parse(id) {
            Ok(id) => window_for_viewer(Feed::List(id), window).await,
            Err(_) => crate::backend::respond(Err(AppError::NotFound)),
        },
    }?;
    Ok(NewerCount {
        count: page.thoughts.len(),
        more: page.next.is_some(),
    })
}

/// A thought with its ancestors and replies.
#[server(prefix = "/api", endpoint = "thoughts/thread", input = server_fn::codec::GetUrl)]
pub async fn get_thread(username: String, id: String) -> Result<Thread, AppError> {
    use crate::backend::{self, request, timeline};
    backend::respond(
        async {
            let id = uuid::Uuid::try_parse(&id).map_err(|_| AppError::NotFound)?;
            let backend = backend::from_context()?;
            let viewer = request::viewer(&backend).await?.map(|viewer| viewer.id);
            timeline::thread(&backend.pool, &backend.public_url, viewer, &username, id).await
        }
        .await,
    )
}

/// Posts a thought (optionally as a reply) as the logged-in person. The form's one-time
/// `idempotency_token` makes a resubmission answer with the thought the first one posted.
#[server(prefix = "/api", endpoint = "thoughts/post")]
pub async fn post_thought(
    content: String,
    visibility: String,
    reply_to: Option<String>,
    idempotency_token: Option<String>,
    summary: Option<String>,
) -> Result<uuid::Uuid, AppError> {
    use crate::backend::{self, idempotency, request, thoughts};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let idempotency_key = match idempotency_token.as_deref() {
                Some(raw) => {
                    idempotency::Key::parse(idempotency::Scope::Web, "idempotency_token", raw)?
                }
                None => None,
            };
            thoughts::post(
                &backend,
                viewer.id,
                thoughts::NewThought {
                    content,
                    visibility,
                    reply_to,
                    idempotency_key,
                    summary,
                    sensitive: false,
                },
            )
            .await
        }
        .await,
    )
}

/// Deletes one of the logged-in person's thoughts.
#[server(prefix = "/api", endpoint = "thoughts/delete")]
pub async fn delete_thought(id: String) -> Result<(), AppError> {
    use crate::backend::{self, request, thoughts};
    backend::respond(
        async {
            let id = uuid::Uuid::try_parse(&id).map_err(|_| AppError::NotFound)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            thoughts::delete(&backend, viewer.id, id).await
        }
        .await,
    )
}

/// Edits one of the logged-in person's thoughts (its text), then shows it. The form's
/// one-time `idempotency_token` makes a resubmission change nothing more.
#[server(prefix = "/api", endpoint = "thoughts/edit")]
pub async fn edit_thought(
    id: String,
    content: String,
    summary: Option<String>,
    idempotency_token: Option<String>,
) -> Result<(), AppError> {
    use crate::backend::{self, idempotency, request, thoughts};
    backend::respond(
        async {
            let id = uuid::Uuid::try_parse(&id).map_err(|_| AppError::NotFound)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let idempotency_key = match idempotency_token.as_deref() {
                Some(raw) => {
                    idempotency::Key::parse(idempotency::Scope::Web, "idempotency_token", raw)?
                }
                None => None,
            };
            thoughts::edit(
                &backend,
                viewer.id,
                id,
                thoughts::ThoughtEdit {
                    content,
                    // The form always shows the warning: an empty field removes it.
                    summary: Some(summary.unwrap_or_default()),
                    sensitive: None,
                    idempotency_key,
                },
            )
            .await?;
            request::redirect(&format!("/@{}/{id}", viewer.username));
            Ok(())
        }
        .await,
    )
}

/// Thought `id` by `username` with its edit history, if the viewer may see it.
#[server(prefix = "/api", endpoint = "thoughts/history")]
pub async fn get_thought_history(username: String, id: String) -> Result<ThoughtHistory, AppError> {
    use crate::backend::{self, request, thoughts};
    backend::respond(
        async {
            let id = uuid::Uuid::try_parse(&id).map_err(|_| AppError::NotFound)?;
            let backend = backend::from_context()?;
            let viewer = request::viewer(&backend).await?.map(|viewer| viewer.id);
            let history = thoughts::history(&backend.pool, viewer, id).await?;
            if !history
                .thought
                .author_username
                .eq_ignore_ascii_case(&username)
            {
                return Err(AppError::NotFound);
            }
            Ok(history)
        }
        .await,
    )
}

/// Likes or boosts (`reaction`: `like` or `boost`) thought `id` when `on`, takes it back otherwise.
#[server(prefix = "/api", endpoint = "thoughts/react")]
pub async fn set_reaction(id: String, reaction: String, on: bool) -> Result<(), AppError> {
    use crate::backend::{self, reactions, request};
    backend::respond(
        async {
            let reaction = match reaction.as_str() {
                "like" => reactions::Reaction::Like,
                "boost" => reactions::Reaction::Boost,
                _ => return Err(AppError::invalid("reaction", "choose like or boost")),
            };
            let id = uuid::Uuid::try_parse(&id).map_err(|_| AppError::NotFound)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            reactions::set(&backend, viewer.id, id, reaction, on).await
        }
        .await,
    )
}
