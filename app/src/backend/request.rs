//! What a server function or page render knows of its HTTP request, from the Leptos context:
//! the session (who is asking), the client's address, and cookies to set in the answer.

use std::net::IpAddr;

use leptos::prelude::use_context;

use super::{sessions, Backend};
use crate::{error::AppError, model::Viewer};

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// Whether this is a browser's own form submission (JavaScript did not take it over): a
/// POST that accepts HTML.
pub fn is_plain_form_post() -> bool {
    parts().is_some_and(|parts| {
        parts.method == http::Method::POST
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// The session token the request carries, if any.
pub fn session_token() -> Option<String> {
    parts().and_then(|parts| sessions::token_from_headers(&parts.headers))
}

/// The logged-in person, if the request carries an open session.
pub async fn viewer(backend: &Backend) -> Result<Option<Viewer>, AppError> {
    match session_token() {
        Some(token) => sessions::viewer(&backend.pool, &token).await,
        None => Ok(None),
    }
}

/// The logged-in person, or `Unauthorized`.
pub async fn require_viewer(backend: &Backend) -> Result<Viewer, AppError> {
    viewer(backend).await?.ok_or(AppError::Unauthorized)
}

/// The client's address as the HTTP edge established it (the socket peer, or what trusted
/// reverse proxies say it is: `server/src/http/client_address.rs` puts it in every request's
/// extensions). Throttles and rate limits key on this, never on proxy headers themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(pub IpAddr);

/// The address of the client making this request, if the edge established one.
pub fn client_address() -> Option<IpAddr> {
    parts()?
        .extensions
        .get::<ClientAddress>()
        .map(|address| address.0)
}

/// Answers with a redirect to `path`, a path on this site. A value that cannot be a header
/// goes home instead: leptos_axum's `redirect` would panic on it.
pub fn redirect(path: &str) {
    let path = if http::HeaderValue::from_str(path).is_ok() {
        path
    } else {
        "/"
    };
    leptos_axum::redirect(path);
    // leptos answers 302 only to requests that accept HTML; any other post that is not the
    // server-function client (which asks for JSON and follows the redirect header itself) —
    // `curl`, an app's web view sending `Accept: */*` — gets a real redirect too, not
    // `200 null`. 303: the destination is fetched with GET.
    if is_post_from_outside_the_app() {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::SEE_OTHER);
        }
    }
}

/// A POST that did not come from the app's own server-function client (which always asks
/// for `application/json`, the encoding of every server function's answer).
fn is_post_from_outside_the_app() -> bool {
    parts().is_some_and(|parts| {
        parts.method == http::Method::POST
            && !parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("application/json"))
    })
}

/// Adds a `Set-Cookie` header to the response being built.
/// The value of cookie `name` in the request, if any.
pub fn cookie(name: &str) -> Option<String> {
    let parts = parts()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

pub fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

/// Opens a session for `user_id` (on `db`, possibly inside the caller's transaction) and
/// hands its cookie to the browser: a new id at every log-in.
pub async fn start_session(
    backend: &Backend,
    db: &mut sqlx::PgConnection,
    user_id: uuid::Uuid,
) -> Result<(), AppError> {
    let token = sessions::start(db, user_id).await?;
    set_cookie(&sessions::cookie(&token, backend.secure_cookies()));
    Ok(())
}

/// Ends the request's session, if any, and removes the cookie.
pub async fn end_session(backend: &Backend) -> Result<(), AppError> {
    if let Some(token) = session_token() {
        sessions::end(&backend.pool, &token).await?;
    }
    set_cookie(&sessions::removal_cookie(backend.secure_cookies()));
    Ok(())
}
