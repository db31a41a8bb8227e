//! Who is calling, what their key allows, and how often they may call.

use std::time::Duration;

use app::backend::{
    api_keys::{self, Caller},
    rate_limits::{self, RateLimit},
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

/// Mastodon's default: 300 requests per 5 minutes, per key (per address without one),
/// counted in the database so every server process shares one count.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    requests: 300,
    window: Duration::from_secs(300),
};

/// Finds the caller of every API request (a missing key is fine for public endpoints, a
/// wrong one is not), counts the request against their limit, and sets the X-RateLimit headers.
pub async fn authenticate(
    State((backend, limit)): State<(Backend, RateLimit)>,
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
        .map(|token| token.trim().to_owned())
        .or_else(|| streaming_token(&request));
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
    let counted = match rate_limits::count(&backend.pool, "api", &who, limit).await {
        Ok(counted) => counted,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let mut response = if counted.allowed {
        next.run(request).await
    } else {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests").into_response()
    };
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(counted.reset_in_secs as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", limit.requests.to_string()),
        ("x-ratelimit-remaining", counted.remaining.to_string()),
        ("x-ratelimit-reset", reset),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The token of a streaming request sent as Mastodon's streaming server also takes it (the
/// `Authorization` header aside): `?access_token=`, or the `Sec-WebSocket-Protocol` header
/// (browsers cannot set headers on a WebSocket).
fn streaming_token(request: &Request) -> Option<String> {
    if !super::is_streaming_path(request.uri().path()) {
        return None;
    }
    let from_query = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "access_token")
            .map(|(_, token)| token.into_owned())
    });
    let from_protocol = || {
        request
            .headers()
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(|token| token.trim().to_owned())
    };
    from_query
        .or_else(from_protocol)
        .filter(|token| !token.is_empty())
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
