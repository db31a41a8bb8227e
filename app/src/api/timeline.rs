use leptos::prelude::*;

use crate::{error::AppError, model::TimelinePage};

/// A page of the public timeline, older than the `before` cursor token when given.
#[server(prefix = "/api", endpoint = "timeline/public", input = server_fn::codec::GetUrl)]
pub async fn public_timeline(before: Option<String>) -> Result<TimelinePage, AppError> {
    use crate::{backend, model::Cursor};

    backend::respond(async {
        let before = match before.as_deref() {
            None | Some("") => None,
            Some(token) => Some(
                Cursor::parse(token)
                    .ok_or_else(|| AppError::invalid("before", "is not a timeline position"))?,
            ),
        };
        let backend = backend::from_context()?;
        backend::timeline::public(&backend.pool, before, backend::timeline::PAGE_SIZE).await
    }
    .await)
}
