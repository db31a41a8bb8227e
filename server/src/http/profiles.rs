//! Profile assets served outside the app: the owner's sanitized CSS as a stylesheet, and
//! the local copies of the images it names.

use app::backend::{css_images, profiles, Backend};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};

/// `GET /@username/style.css`: the profile's CSS (stored only after sanitizing) as its own
/// `text/css` response, so no HTML parser ever sees it.
pub async fn stylesheet(State(backend): State<Backend>, Path(handle): Path<String>) -> Response {
    let Some(username) = handle.strip_prefix('@') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match profiles::stylesheet(&backend.pool, username).await {
        Ok(Some(css)) => (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            css,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /media/css/{sha256}.{ext}`: a local copy of an image profile CSS names. Named by
/// its content, it never changes: browsers and proxies may keep it for a year.
pub async fn css_image(State(backend): State<Backend>, Path(name): Path<String>) -> Response {
    match css_images::load(&backend.pool, &name).await {
        Ok(Some((content_type, bytes))) => (
            [
                (header::CONTENT_TYPE, content_type),
                (
                    header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable".to_owned(),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
