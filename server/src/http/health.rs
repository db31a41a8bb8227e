//! `/health` (liveness: the process answers) and `/ready` (the database answers, its schema
//! is current, the delivery worker turns, DATA_DIR's disk has room) for load balancers and
//! service managers; and the 503 that database-backed routes answer while the database is away.
//! Both checks are cheap, need no authentication and sit outside every rate limit.

use std::{collections::HashSet, ffi::CString, path::Path, sync::Arc, time::Duration};

use app::{
    backend::{health::Health, Backend, MIGRATOR},
    error::UNAVAILABLE_RETRY_AFTER,
};
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::{json, Value};

/// A worker that has not turned for this long is stuck (it turns at least every few seconds
/// when idle, and a batch of sends is bounded by the federation client's timeouts).
const WORKER_STALE: Duration = Duration::from_secs(180);
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes(backend: Backend) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(backend)
}

async fn health() -> Response {
    Json(json!({ "status": "alive" })).into_response()
}

async fn ready(State(backend): State<Backend>) -> Response {
    let mut failed = Vec::new();
    let mut checks = serde_json::Map::new();
    let mut check = |name: &'static str, outcome: Result<Value, String>| {
        let entry = match outcome {
            Ok(Value::Object(mut details)) => {
                details.insert("ok".into(), true.into());
                Value::Object(details)
            }
            Ok(_) => json!({ "ok": true }),
            Err(error) => {
                failed.push(name);
                json!({ "ok": false, "error": error })
            }
        };
        checks.insert(name.into(), entry);
    };

    let applied = applied_migration(&backend).await;
    let expected = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    check("database", applied.clone().map(|_| json!({})));
    check(
        "migrations",
        match applied {
            Err(_) => Err("unknown: the database does not answer".into()),
            Ok(applied) if applied >= expected => Ok(json!({ "applied": applied })),
            Ok(applied) => Err(format!(
                "the schema is at {applied}, this server needs {expected}; run `server migrate`"
            )),
        },
    );
    check("delivery_worker", worker(&backend.health));
    check("disk", disk(&backend.health));

    let status = if failed.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if failed.is_empty() { "ready" } else { "unavailable" },
        "failed": failed,
        "checks": checks,
    });
    (status, Json(body)).into_response()
}

/// The newest applied migration, which also proves the database answers.
async fn applied_migration(backend: &Backend) -> Result<i64, String> {
    if !backend.health.database_available() {
        return Err("the database does not answer".into());
    }
    let query = sqlx::query_scalar::<_, Option<i64>>(
        "SELECT max(version) FROM _sqlx_migrations WHERE success",
    )
    .fetch_one(&backend.pool);
    match tokio::time::timeout(QUERY_TIMEOUT, query).await {
        Ok(Ok(applied)) => Ok(applied.unwrap_or(0)),
        Ok(Err(error)) => Err(format!("the database failed: {error}")),
        Err(_) => Err(format!(
            "the database did not answer within {} s",
            QUERY_TIMEOUT.as_secs()
        )),
    }
}

fn worker(health: &Health) -> Result<Value, String> {
    match health.worker_silent_for() {
        None => Err("the delivery worker has not started".into()),
        Some(silent) if silent > WORKER_STALE => Err(format!(
            "the delivery worker has not turned for {} s",
            silent.as_secs()
        )),
        Some(silent) => Ok(json!({ "last_turn_seconds_ago": silent.as_secs() })),
    }
}

fn disk(health: &Health) -> Result<Value, String> {
    let Some(requirement) = health.disk_requirement() else {
        return Ok(json!({ "checked": false }));
    };
    let free = free_bytes(&requirement.path)
        .map_err(|error| format!("cannot measure {}: {error}", requirement.path.display()))?;
    if free < requirement.min_free_bytes {
        return Err(format!(
            "{} MB free on {}, below the {} MB required (READY_MIN_FREE_DISK_MB)",
            free / (1024 * 1024),
            requirement.path.display(),
            requirement.min_free_bytes / (1024 * 1024)
        ));
    }
    Ok(json!({ "free_bytes": free, "min_free_bytes": requirement.min_free_bytes }))
}

/// The space available to unprivileged users on the file system holding `path` (or its
/// nearest existing parent: DATA_DIR need not exist with an external database).
fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let existing = path
        .ancestors()
        .find(|dir| dir.exists())
        .unwrap_or(Path::new("/"));
    let c_path = CString::new(existing.as_os_str().as_encoded_bytes())
        .map_err(|_| std::io::Error::other("the path holds a NUL byte"))?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: statvfs writes the struct it is given; c_path is a valid C string.
    if unsafe { libc::statvfs(c_path.as_ptr(), stats.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it filled the struct.
    let stats = unsafe { stats.assume_init() };
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// While the database is away, database-backed routes answer 503 with `Retry-After` at
/// once instead of waiting for a connection; a 500 that meets an outage becomes that 503.
/// `static_paths` (the built assets, files at the site root) are served as ever.
pub async fn while_database_down(
    health: Health,
    static_paths: Arc<HashSet<String>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_static = path.starts_with("/pkg/") || static_paths.contains(path);
    if is_static {
        return next.run(request).await;
    }
    let api = path.starts_with("/api/") || path.starts_with("/oauth/");
    if !health.database_available() {
        return unavailable(api);
    }
    let mut response = next.run(request).await;
    let status = response.status();
    if status == StatusCode::INTERNAL_SERVER_ERROR && !health.database_available() {
        return unavailable(api);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from(UNAVAILABLE_RETRY_AFTER));
    }
    response
}

fn unavailable(api: bool) -> Response {
    let message = "The site is briefly unavailable (its database does not answer); try again in a few seconds";
    let retry_after = [(header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER)];
    if api {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            retry_after,
            Json(json!({ "error": message })),
        )
            .into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, retry_after, message).into_response()
    }
}
