//! The HTTP surface: the Leptos app (pages and server functions), the built assets, the
//! profile stylesheets, the ActivityPub routes and the Mastodon-compatible client API.

pub mod activitypub;
pub mod client_address;
mod crawlers;
pub mod guards;
pub mod health;
mod live;
pub mod mastodon;
mod profiles;
pub mod security;
pub mod timeouts;

use std::{path::Path, sync::OnceLock};

use app::backend::rate_limits::RateLimit;

use app::{backend::Backend, shell, App};
use axum::{http::HeaderValue, middleware, routing::get, Router};
use client_address::TrustedProxies;
use http::header;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{
    classify::ServerErrorsFailureClass,
    compression::{CompressionLayer, CompressionLevel},
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

/// Everything a running server answers, trusting proxies on loopback only (the default of
/// `TRUSTED_PROXIES`).
pub fn router(backend: Backend, options: LeptosOptions) -> Router {
    router_behind(
        backend,
        options,
        TrustedProxies::default(),
        mastodon::DEFAULT_RATE_LIMIT,
    )
}

/// Everything a running server answers, believing what `trusted_proxies` say of the client.
pub fn router_behind(
    backend: Backend,
    options: LeptosOptions,
    trusted_proxies: TrustedProxies,
    api_rate_limit: RateLimit,
) -> Router {
    let routes = route_list();
    let site_root = Path::new(&*options.site_root).to_owned();
    let pkg_dir = site_root.join(&*options.site_pkg_dir);

    // What every page render and server function finds in its context.
    let context = {
        let backend = backend.clone();
        move || {
            provide_context(backend.clone());
            security::add_page_policy();
        }
    };

    // The built bundle keeps its name across releases: browsers must revalidate it.
    let assets = Router::new()
        .fallback_service(ServeDir::new(pkg_dir).precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ));

    let mut router = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .nest_service("/pkg", assets)
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options);

    // Files at the site root (favicon, robots.txt, …) win over `/{handle}` profile routes;
    // usernames cannot contain a dot, so they never collide.
    let mut static_paths = std::collections::HashSet::new();
    for file in root_files(&site_root) {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        // Generated per request (an older build may have left a static copy behind).
        if matches!(name.as_str(), "robots.txt" | "sitemap.xml") {
            continue;
        }
        let route = format!("/{name}");
        router = router.route_service(&route, ServeFile::new(&file).precompressed_gzip());
        static_paths.insert(route);
    }

    let public_url = backend.public_url.clone();
    let hsts = backend.public_url.starts_with("https://");
    let negotiating = backend.clone();
    let health = backend.health.clone();
    let static_paths = std::sync::Arc::new(static_paths);
    let checks = health::routes(backend.clone());
    let routed = router
        .merge(activitypub::routes(backend.clone()))
        .merge(mastodon::routes(backend.clone(), api_rate_limit))
        .merge(live::routes(backend.clone()))
        .route(
            "/robots.txt",
            get(crawlers::robots).with_state(backend.clone()),
        )
        .route(
            "/sitemap.xml",
            get(crawlers::sitemap).with_state(backend.clone()),
        )
        .route(
            "/{handle}/feed.atom",
            get(crawlers::profile_feed).with_state(backend.clone()),
        )
        .route(
            "/tags/{tag}/feed.atom",
            get(crawlers::tag_feed).with_state(backend.clone()),
        )
        .route(
            "/{handle}/style.css",
            get(profiles::stylesheet).with_state(backend.clone()),
        )
        .route(
            "/media/css/{name}",
            get(profiles::css_image).with_state(backend),
        )
        .layer(middleware::from_fn(move |request, next| {
            activitypub::negotiate_profile_urls(negotiating.clone(), request, next)
        }))
        .layer(middleware::from_fn(guards::refuse_control_paths))
        .layer(middleware::from_fn(move |request, next| {
            health::while_database_down(health.clone(), static_paths.clone(), request, next)
        }))
        .layer(middleware::from_fn(move |request, next| {
            security::refuse_cross_site_writes(public_url.clone(), request, next)
        }))
        .layer(middleware::from_fn(move |request, next| {
            security::response_policies(hsts, request, next)
        }))
        // Before anything that counts requests per client.
        .layer(middleware::from_fn(move |request, next| {
            client_address::establish(trusted_proxies.clone(), request, next)
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Pages, server functions and JSON compressed on the fly (the bundle is served from its
        // precompressed twins, the event stream never: tower-http's default predicate). The
        // fastest level: a page shrinks about fivefold for a fraction of its render time.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        // Inside the trace layer, so that a panic's 500 is traced like any answer.
        .layer(guards::catch_panics())
        .layer(TraceLayer::new_for_http().on_failure(
            |failure: ServerErrorsFailureClass, latency: std::time::Duration, _: &tracing::Span| {
                match failure {
                    // The database is away: its monitor says so once, not once per request.
                    ServerErrorsFailureClass::StatusCode(http::StatusCode::SERVICE_UNAVAILABLE) => {
                        tracing::debug!(classification = %failure, ?latency, "response failed")
                    }
                    _ => tracing::error!(classification = %failure, ?latency, "response failed"),
                }
            },
        ))
        // After every layer: the checks stay cheap and outside any limit.
        .merge(checks);
    // The path is trimmed before the routed router sees it (a layer on it would run after
    // the route was chosen).
    Router::new()
        .fallback_service(routed)
        .layer(middleware::from_fn(guards::trim_trailing_slash))
}

/// The app's routes, listed once per process. Listing renders the app with resource loading
/// suppressed process-wide, which stalls forever any page rendered meanwhile (leptos issue
/// #4773); once listed, no render can meet that window again (tests build many routers).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The paths of the app's pages, as the router matches them.
pub fn page_paths() -> Vec<String> {
    route_list()
        .iter()
        .map(|route| route.path().to_owned())
        .collect()
}

/// The plain files directly in the site root (not the gzip twins, not directories).
fn root_files(site_root: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(site_root) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_none_or(|ext| ext != "gz"))
        .collect()
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
