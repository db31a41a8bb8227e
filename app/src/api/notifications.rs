use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{NotificationGroup, SearchResults},
};

/// The logged-in person's notifications, grouped, newest first.
#[server(prefix = "/api", endpoint = "notifications/list", input = server_fn::codec::GetUrl)]
pub async fn list_notifications() -> Result<Vec<NotificationGroup>, AppError> {
    use crate::backend::{self, notifications, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            notifications::grouped(&backend.pool, viewer.id).await
        }
        .await,
    )
}

/// Marks notifications read: the comma-separated `ids`, or all of them when empty.
#[server(prefix = "/api", endpoint = "notifications/read")]
pub async fn mark_read(ids: Option<String>) -> Result<(), AppError> {
    use crate::backend::{self, notifications, request};
    backend::respond(
        async {
            let ids = ids
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(|id| {
                    uuid::Uuid::try_parse(id)
                        .map_err(|_| AppError::invalid("ids", "are not notification ids"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            notifications::mark_read(&backend.pool, viewer.id, &ids).await
        }
        .await,
    )
}

/// People, tags and thoughts matching `q`.
#[server(prefix = "/api", endpoint = "search", input = server_fn::codec::GetUrl)]
pub async fn search(q: String) -> Result<SearchResults, AppError> {
    use crate::backend::{self, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::viewer(&backend).await?.map(|viewer| viewer.id);
            backend::search::search(&backend, viewer, &q, true).await
        }
        .await,
    )
}
