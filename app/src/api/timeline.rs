use leptos::prelude::*;

use crate::{error::AppError, model::TimelinePage};

/// A page of the public timeline, older than the `before` cursor token when given.
#[server(prefix = "/api", endpoint = "timeline/public", input = server_fn::codec::GetUrl)]
pub async fn public_timeline(before: Option<String>) -> Result<TimelinePage, AppError> {
    use crate::backend::{self, timeline};
    backend::respond(async {
        let before = timeline::parse_before(before.as_deref())?;
        let backend = backend::from_context()?;
        timeline::public(&backend.pool, before, timeline::PAGE_SIZE).await
    }
    .await)
}

/// A page of `username`'s public thoughts, older than the `before` cursor token when given.
#[server(prefix = "/api", endpoint = "timeline/profile", input = server_fn::codec::GetUrl)]
pub async fn profile_timeline(username: String, before: Option<String>) -> Result<TimelinePage, AppError> {
    use crate::backend::{self, timeline};
    backend::respond(async {
        let before = timeline::parse_before(before.as_deref())?;
        let backend = backend::from_context()?;
        timeline::by_author(&backend.pool, &username, before, timeline::PAGE_SIZE).await
    }
    .await)
}
