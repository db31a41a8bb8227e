//! The server-side rules and their SQL (feature `ssr` only). Server functions, the client
//! API and the federation inbox all call these; none of them writes SQL of its own.

pub mod account_notes;
pub mod accounts;
pub mod api_keys;
pub mod blocks;
pub mod bookmarks;
pub mod conversations;
pub mod css_images;
pub mod custom_css;
pub mod db;
pub mod directory;
pub mod endorsements;
pub mod federation;
pub mod fields;
pub mod filters;
pub mod follows;
pub mod hashtags;
pub mod health;
pub mod idempotency;
pub mod lists;
pub mod live;
pub mod login_throttle;
pub mod maintenance;
pub mod markers;
pub mod mutes;
pub mod notifications;
pub mod oauth;
pub mod passwords;
pub mod pins;
pub mod profile_fields;
pub mod profiles;
pub mod rate_limits;
pub mod reactions;
pub mod request;
pub mod retry;
pub mod scheduled;
pub mod search;
pub mod secrets;
pub mod sessions;
pub mod streaming;
pub mod thoughts;
pub mod timeline;
pub mod visibility;

pub use db::{Backend, MIGRATOR};

use crate::error::AppError;

/// The backend handle the server provides to every server function and page render.
pub fn from_context() -> Result<Backend, AppError> {
    leptos::prelude::use_context::<Backend>().ok_or_else(|| {
        tracing::error!("the Backend handle is missing from the request context");
        AppError::Internal
    })
}

/// Sets the status of the response being built (a server function's answer, or the page
/// whose render called it) from the outcome, then passes the outcome on. A plain HTML form
/// post (no JavaScript) is left alone: it is answered with a redirect back to the form,
/// which carries the error to show.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        if request::is_plain_form_post() {
            return result;
        }
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
            let retry_after = match error {
                AppError::RateLimited { retry_after } => Some(*retry_after),
                AppError::Unavailable => Some(crate::error::UNAVAILABLE_RETRY_AFTER),
                _ => None,
            };
            if let Some(retry_after) = retry_after {
                response.insert_header(http::header::RETRY_AFTER, retry_after.into());
            }
        }
    }
    result
}
