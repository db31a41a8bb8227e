//! A bound on how long the server works on one request: from its headers to its response's
//! headers. A streamed body (the live events) goes on after that, so it is not cut.

use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};

/// Wraps `router` so a request whose response has not begun within `limit` is answered 503
/// (with Retry-After) and its work dropped (an open transaction rolls back).
pub fn limit_requests(router: Router, limit: Duration) -> Router {
    router.layer(middleware::from_fn_with_state(limit, within))
}

async fn within(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, %path, limit_secs = limit.as_secs_f64(), "request timed out");
            let mut response = if path.starts_with("/api/v1/") || path.starts_with("/api/v2/") {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(serde_json::json!({ "error": "The request took too long; try again later" })),
                )
                    .into_response()
            } else {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the request took too long; try again later",
                )
                    .into_response()
            };
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::{body::Body, http::Request, routing::get, Router};
    use tower::ServiceExt;

    use super::limit_requests;

    fn slow_router() -> Router {
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "never"
                }),
            )
            .route("/quick", get(|| async { "done" }))
            .route(
                "/stream",
                get(|| async {
                    // The head at once, then a body that takes longer than the limit.
                    let body = futures_util::stream::unfold(0, |n| async move {
                        if n == 3 {
                            return None;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        Some((Ok::<_, std::convert::Infallible>(format!("{n}")), n + 1))
                    });
                    Body::from_stream(body)
                }),
            )
    }

    async fn call(router: Router, path: &str) -> (u16, Option<String>, String) {
        let response = router
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, retry, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn a_slow_handler_is_answered_503_at_the_limit_and_streams_go_on() {
        let limit = Duration::from_millis(300);
        let router = limit_requests(slow_router(), limit);
        let started = std::time::Instant::now();
        let (status, retry, body) = call(router.clone(), "/slow").await;
        assert_eq!((status, retry.as_deref()), (503, Some("5")), "{body}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(call(router.clone(), "/quick").await.0, 200);
        // 600 ms of body under a 300 ms limit: only the wait for the head is bounded.
        let (status, _, body) = call(router, "/stream").await;
        assert_eq!((status, body.as_str()), (200, "012"));
    }
}
