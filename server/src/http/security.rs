//! Cross-site request forgery protection and the Content-Security-Policy.

use axum::{
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::prelude::use_context;

/// Refuses state-changing requests made by another site. Browsers send `Origin` with every
/// cross-site (and same-site) POST, so a request whose Origin is not this site is refused;
/// one without Origin is refused when it carries our session cookie (an old browser cannot
/// prove where it came from). Requests with neither (API clients, federation) pass: they
/// carry no ambient authority. The session cookie's SameSite=Lax is the second fence.
pub async fn refuse_cross_site_writes(
    public_url: String,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    // The client API authenticates with bearer keys only, never cookies: nothing ambient to forge.
    if is_client_api(request.uri().path()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let verdict = match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin)
            if origin == public_url || host.is_some_and(|host| same_authority(origin, host)) =>
        {
            Ok(())
        }
        Some(origin) => Err(format!(
            "a request from {origin} cannot change anything here"
        )),
        None if app::backend::sessions::token_from_headers(headers).is_some() => Err(
            "a request that does not say where it comes from cannot use your session".to_owned(),
        ),
        None => Ok(()),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            tracing::warn!(%reason, path = %request.uri().path(), "cross-site request refused");
            (
                StatusCode::FORBIDDEN,
                format!("Cross-site request refused: {reason}.\n"),
            )
                .into_response()
        }
    }
}

/// Response headers that depend on who asks and how the site is reached:
/// - `Cache-Control: no-store` on what is personal, so no shared cache or back-forward
///   store keeps it: any page or JSON answering a request with a session cookie or an
///   `Authorization` header (the settings page shows a new API key once), everything under
///   `/api/` and `/oauth/` (server functions and the client API answer per caller), and
///   every response that sets a cookie. Responses that chose their own caching (the
///   bundle, public profile style sheets) keep it.
/// - `Strict-Transport-Security` when the site is public over https (`hsts`): browsers
///   then never try plain http for it. Behind a TLS proxy the header passes through.
pub async fn response_policies(hsts: bool, request: Request, next: Next) -> Response {
    let credentialed = app::backend::sessions::token_from_headers(request.headers()).is_some()
        || request.headers().contains_key(header::AUTHORIZATION);
    let path = request.uri().path();
    let per_caller = path.starts_with("/api/") || path.starts_with("/oauth/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    // Redirects carry no body; pages and JSON are what differs per person. Files do not.
    let personal_kind = essence.is_empty() || essence == "text/html" || essence.ends_with("json");
    let sets_cookie = headers.contains_key(header::SET_COOKIE);
    let chose_own = headers.contains_key(header::CACHE_CONTROL);
    if sets_cookie || ((credentialed || per_caller) && personal_kind && !chose_own) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The Mastodon-compatible client API's paths.
pub fn is_client_api(path: &str) -> bool {
    path.starts_with("/api/v1/")
        || path.starts_with("/api/v2/")
        || matches!(path, "/oauth/token" | "/oauth/revoke")
}

/// Whether an `Origin` (scheme://host[:port]) names the same host and port as a `Host` header.
fn same_authority(origin: &str, host: &str) -> bool {
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let Some(origin_host) = origin.host_str() else {
        return false;
    };
    let origin_authority = match origin.port() {
        Some(port) => format!("{origin_host}:{port}"),
        None => origin_host.to_owned(),
    };
    origin_authority.eq_ignore_ascii_case(host)
}

/// Adds the Content-Security-Policy to a page being rendered: scripts only from this site
/// or with this response's nonce (Leptos puts it on its hydration script), WebAssembly,
/// no plugins, no framing, forms only to this site. Pages only: server functions get none.
pub fn add_page_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' https: http: data:; font-src 'self'; \
         connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::same_authority;

    #[test]
    fn origins_match_hosts_with_their_ports() {
        assert!(same_authority("http://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(same_authority("https://ts.example", "ts.example"));
        assert!(!same_authority("https://evil.example", "ts.example"));
        assert!(!same_authority("http://127.0.0.1:3001", "127.0.0.1:3000"));
        assert!(!same_authority("null", "ts.example"));
    }
}
