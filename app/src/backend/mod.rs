//! The server-side rules and their SQL (feature `ssr` only).

pub mod db;
pub mod timeline;

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
/// whose render called it) from the outcome, then passes the outcome on.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
        }
    }
    result
}
