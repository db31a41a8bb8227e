//! Guards around every request: a panic in a handler is answered (500) and logged rather
//! than dropping the connection, and a path holding a control character is answered 404
//! before any handler puts it into SQL (PostgreSQL refuses a NUL) or a redirect header.

use std::any::Any;

use axum::{
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::catch_panic::CatchPanicLayer;

/// What answers a panic: see [`answer_panic`].
pub type PanicAnswer = fn(Box<dyn Any + Send + 'static>) -> Response;

/// The layer that turns a handler's panic into a 500 (the router's outermost but tracing).
pub fn catch_panics() -> CatchPanicLayer<PanicAnswer> {
    CatchPanicLayer::custom(answer_panic as PanicAnswer)
}

/// Logs the panic's message and answers 500 with the site's generic words.
fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    tracing::error!(panic = %message, "a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "something went wrong on our side; please try again",
    )
        .into_response()
}

/// 404 for a path that holds a control character once percent-decoded: no name, tag or id
/// can hold one, so nothing is there.
pub async fn refuse_control_paths(request: Request, next: Next) -> Response {
    if decodes_to_control(request.uri().path()) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    next.run(request).await
}

/// Whether `path`, percent-decoded, holds a control character (C0, DEL or C1).
fn decodes_to_control(path: &str) -> bool {
    let raw = path.as_bytes();
    let mut decoded = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        let hex = |at: usize| raw.get(at).and_then(|&byte| (byte as char).to_digit(16));
        match (raw[index], hex(index + 1), hex(index + 2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                index += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded)
        .chars()
        .any(char::is_control)
}

/// A path with trailing slashes answers as the path without them, as Mastodon's do: apps
/// ask for `/api/v1/instance/` and `/oauth/authorize/?…`. Runs before routing (the router
/// is wrapped, not layered), so every route, page and API alike, is found either way.
pub async fn trim_trailing_slash(mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_owned(),
        };
        let mut parts = request.uri().clone().into_parts();
        if let Ok(path_and_query) = path_and_query.parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::decodes_to_control;

    #[test]
    fn control_characters_are_found_however_they_are_written() {
        for bad in [
            "/users/%0aX",
            "/@a%00b",
            "/tags/%7F",
            "/@%C2%85x",
            "/x/%1b",
            "/%0D%0A",
        ] {
            assert!(decodes_to_control(bad), "{bad}");
        }
        for fine in [
            "/",
            "/@ana",
            "/tags/%C3%A9t%C3%A9",
            "/@ana/feed.atom",
            "/search%3Fq",
            "/100%",
            "/%zz",
            "/%e2%80%ae",
        ] {
            assert!(!decodes_to_control(fine), "{fine}");
        }
    }
}
