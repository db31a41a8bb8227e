//! Who is calling, what their key allows, and how often they may call.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::backend::{
    api_keys::{self, Caller},
    request::ClientAddress,
    Backend,
};
use axum::{
    extract::{FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::ApiError;

/// Mastodon's default: 300 requests per 5 minutes, per key (per address without one).
const LIMIT: u32 = 300;
const WINDOW: Duration = Duration::from_secs(300);

/// Fixed-window counters, per key or address, in this process (each server process counts
/// its own share, as Mastodon's per-process throttles do without a shared store).
#[derive(Clone, Default)]
pub struct RateLimits(Arc<Mutex<HashMap<String, (Instant, u32)>>>);

impl RateLimits {
    /// Counts a request by `who`: (allowed, remaining, seconds until the window resets).
    fn count(&self, who: &str) -> (bool, u32, u64) {
        let now = Instant::now();
        let mut windows = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let entry = windows.entry(who.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        let reset = WINDOW.saturating_sub(now.duration_since(entry.0)).as_secs();
        (entry.1 <= LIMIT, LIMIT.saturating_sub(entry.1), reset)
    }
}

/// Finds the caller of every API request (a missing key is fine for public endpoints, a
/// wrong one is not), counts the request against their limit, and sets the X-RateLimit headers.
pub async fn authenticate(
    State((backend, limits)): State<(Backend, RateLimits)>,
    mut request: Request,
    next: Next,
) -> Response {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(|token| token.trim().to_owned());
    let who = match bearer {
        Some(secret) => match api_keys::authenticate(&backend.pool, &secret).await {
            Ok(Some(caller)) => {
                let who = format!("key:{}", caller.key_id);
                request.extensions_mut().insert(caller);
                who
            }
            Ok(None) => {
                return ApiError::new(StatusCode::UNAUTHORIZED, "The access token is invalid")
                    .into_response()
            }
            Err(error) => return ApiError::from(error).into_response(),
        },
        None => {
            // The client as the edge established it (behind a proxy, not the proxy itself).
            let address = request
                .extensions()
                .get::<ClientAddress>()
                .map(|address| address.0.to_string());
            format!("address:{}", address.unwrap_or_default())
        }
    };
    let (allowed, remaining, reset_in) = limits.count(&who);
    let mut response = if allowed {
        next.run(request).await
    } else {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests").into_response()
    };
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(reset_in as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", LIMIT.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The authenticated caller (401 without a valid key).
pub struct Authed(pub Caller);

impl Authed {
    /// The person acting (422 for an app's own token, which acts for no one). The route's
    /// declared scope was checked before the handler ran (`scopes`).
    pub fn person(&self) -> Result<uuid::Uuid, ApiError> {
        self.0.user_id.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This method requires an authenticated user",
            )
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(Authed)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "The access token is invalid"))
    }
}

/// The caller if there is one (public endpoints answer visitors too).
pub struct MaybeAuthed(pub Option<Caller>);

impl MaybeAuthed {
    /// The person looking, if any.
    pub fn viewer(&self) -> Option<uuid::Uuid> {
        self.0.as_ref().and_then(|caller| caller.user_id)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuthed(parts.extensions.get::<Caller>().cloned()))
    }
}
