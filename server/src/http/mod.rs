//! The HTTP surface: the Leptos app (pages and server functions), the built assets, and
//! (later) the ActivityPub and client-API routes beside them.

use std::path::Path;

use app::{backend::Backend, shell, App};
use axum::{http::HeaderValue, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{
    services::ServeDir,
    set_header::{SetResponseHeaderLayer},
    trace::TraceLayer,
};
use http::header;

/// Everything a running server answers.
pub fn router(backend: Backend, options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let pkg_dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);

    // The built bundle keeps its name across releases: browsers must revalidate it.
    let assets = Router::new()
        .fallback_service(ServeDir::new(pkg_dir).precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));

    Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            {
                let backend = backend.clone();
                move || provide_context(backend.clone())
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .nest_service("/pkg", assets)
        .fallback(leptos_axum::file_and_error_handler_with_context(
            move || provide_context(backend.clone()),
            shell,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(TraceLayer::new_for_http())
        .with_state(options)
}

/// Leptos's settings for this server: where the built assets are and what they are called.
pub fn leptos_options(site_root: &Path, site_addr: std::net::SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("thoughtspace")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(site_addr)
        .env(leptos::config::Env::PROD)
        .build()
}
