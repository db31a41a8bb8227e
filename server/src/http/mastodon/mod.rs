//! The Mastodon-compatible client API (`/api/v1`, `/api/v2`): a second door into the same
//! rules as the web app (`app::backend`), speaking Mastodon's JSON shapes, status codes and
//! `{"error": "…"}` bodies, for existing apps, bots and scripts. Callers authenticate with
//! an API key as `Authorization: Bearer …`.
//!
//! - [`auth`]: the caller behind a key, scopes, and per-key rate limits.
//! - [`params`]: request parameters from the query, a form or JSON, with errors naming the field.
//! - [`entities`]: Account, Status, … as Mastodon writes them.
//! - [`oauth`]: app registration, the consent page, tokens.
//! - [`instance`], [`accounts`], [`statuses`], [`timelines`], [`notifications`] (and search),
//!   [`bookmarks`], [`lists`], [`tags`], [`menus`]: the endpoints; [`streaming`]: the WebSocket
//!   and event streams.

mod accounts;
mod auth;
mod bookmarks;
mod conversations;
mod edits;
mod endorsements;
mod entities;
mod filters;
mod follow_requests;
mod instance;
mod lists;
mod markers;
mod menus;
mod mutes;
mod notifications;
mod oauth;
mod params;
mod scheduled;
mod scopes;
mod statuses;
mod streaming;
mod tags;
mod timelines;

use app::{backend::Backend, error::AppError};
use axum::{
    extract::DefaultBodyLimit,
    http::{header, StatusCode},
    middleware,
    response::{IntoResponse, Response},
    Json, Router,
};

pub use auth::DEFAULT_RATE_LIMIT;
use scopes::Routes;
pub use scopes::{Access, Route};
pub use streaming::is_streaming_path;

/// The largest request body the API reads.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every route of the API with what it asks of the caller.
fn all_routes() -> Routes {
    Routes::default()
        .merge(instance::routes())
        .merge(oauth::routes())
        .merge(accounts::routes())
        .merge(accounts::more_routes())
        .merge(statuses::routes())
        .merge(statuses::more_routes())
        .merge(edits::routes())
        .merge(scheduled::routes())
        .merge(notifications::routes())
        .merge(markers::routes())
        .merge(timelines::routes())
        .merge(mutes::routes())
        .merge(filters::routes())
        .merge(follow_requests::routes())
        .merge(conversations::routes())
        .merge(streaming::routes())
        .merge(bookmarks::routes())
        .merge(lists::routes())
        .merge(tags::routes())
        .merge(menus::routes())
        .merge(endorsements::routes())
        // Anything else under the API is Mastodon's JSON 404, not the site's page.
        .any("/api/v1/{*rest}", Access::Anyone, || async {
            ApiError::not_found()
        })
        .any("/api/v2/{*rest}", Access::Anyone, || async {
            ApiError::not_found()
        })
}

/// The route table: every API route, its method and its access rule.
pub fn table() -> Vec<Route> {
    all_routes().into_parts().1
}

pub fn routes(backend: Backend, rate_limit: app::backend::rate_limits::RateLimit) -> Router {
    let (api, _) = all_routes().into_parts();
    api.layer(middleware::from_fn_with_state(
        (backend.clone(), rate_limit),
        auth::authenticate,
    ))
    .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
    .layer(middleware::from_fn(cors))
    .with_state(backend)
}

/// Web apps on other sites (Elk, Phanpy, …) call the API from the browser: it answers them
/// (with keys, never cookies, so any origin may).
async fn cors(request: axum::extract::Request, next: middleware::Next) -> Response {
    use axum::http::{header, HeaderValue, Method};
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type, idempotency-key"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "link, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset",
        ),
    );
    response
}

/// An error as Mastodon answers it: a status and `{"error": "…"}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "Record not found")
    }

    /// A refused value, naming the field (422, as Mastodon's validation errors).
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Validation failed: {field} {message}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                app::error::UNAVAILABLE_RETRY_AFTER.into(),
            );
        }
        response
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Invalid(errors) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "Validation failed: {}",
                    errors
                        .iter()
                        .map(|e| format!("{} {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            AppError::Unauthorized => {
                ApiError::new(StatusCode::UNAUTHORIZED, "The access token is invalid")
            }
            AppError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "This action is not allowed")
            }
            // Deleted or never there, alike: existence is not revealed.
            AppError::NotFound | AppError::Gone => ApiError::not_found(),
            AppError::RateLimited { retry_after } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many requests; try again in {retry_after} seconds"),
            ),
            AppError::BadRequest(message) => ApiError::new(StatusCode::BAD_REQUEST, message),
            // The cause was logged where it happened.
            AppError::Internal | AppError::Transport(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side; try again later",
            ),
            AppError::Unavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is briefly unavailable; try again in a few seconds",
            ),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
