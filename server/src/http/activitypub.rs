//! The ActivityPub routes: discovery (WebFinger, host-meta, NodeInfo), actors, notes and
//! collections for other servers, and the inboxes, whose HTTP signatures are verified here
//! before `app::backend::federation::inbox` applies what they carry.

use app::backend::{
    federation::{
        documents::{self, Collection, NoteLookup},
        inbox, keys, remote, signatures, FederationError, ACTIVITY_JSON,
    },
    Backend,
};
use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, Request, State},
    http::{header, HeaderMap, Method, StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// The largest activity an inbox reads.
const MAX_ACTIVITY_BYTES: usize = 256 * 1024;

pub fn routes(backend: Backend) -> Router {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(|s| nodeinfo(s, "2.1")))
        .route("/nodeinfo/2.0", get(|s| nodeinfo(s, "2.0")))
        .route("/actor", get(instance_actor))
        .route("/users/{username}", get(person_or_page))
        .route("/users/{username}/thoughts/{id}", get(note))
        .route(
            "/users/{username}/outbox",
            get(|s, p, q| collection(s, p, q, Collection::Outbox)),
        )
        .route(
            "/users/{username}/followers",
            get(|s, p, q| collection(s, p, q, Collection::Followers)),
        )
        .route(
            "/users/{username}/following",
            get(|s, p, q| collection(s, p, q, Collection::Following)),
        )
        .route(
            "/users/{username}/featured",
            get(|s, p, q| collection(s, p, q, Collection::Featured)),
        )
        .route(
            "/users/{username}/collections",
            get(|s, p, q| collection(s, p, q, Collection::FeaturedCollections)),
        )
        .route(
            "/users/{username}/top_friends",
            get(|s, p, q| collection(s, p, q, Collection::TopFriends)),
        )
        .route("/users/{username}/inbox", post(inbox))
        .route("/inbox", post(inbox))
        .route("/actor/inbox", post(inbox))
        .layer(DefaultBodyLimit::max(MAX_ACTIVITY_BYTES))
        .with_state(backend)
}

/// Whether a request asks for ActivityPub JSON rather than a page.
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| {
            accept.contains("application/activity+json")
                || (accept.contains("application/ld+json") && accept.contains("activitystreams"))
                || accept
                    .split(',')
                    .any(|part| part.trim().starts_with("application/ld+json"))
        })
}

/// `/@name` and `/@name/{id}` are pages for browsers and the actor or note for servers: this
/// sends the latter to their ActivityPub routes.
pub async fn negotiate_profile_urls(backend: Backend, request: Request, next: Next) -> Response {
    if request.method() == Method::GET && wants_activity_json(request.headers()) {
        if let Some(rest) = request.uri().path().strip_prefix("/@") {
            let mut parts = rest.splitn(2, '/');
            let name = parts.next().unwrap_or_default().to_owned();
            return match parts.next() {
                None | Some("") => person(State(backend), Path(name)).await,
                Some(id) => match Uuid::try_parse(id) {
                    Ok(id) => {
                        note(
                            State(backend),
                            Path((name, id.to_string())),
                            request.method().clone(),
                            request.uri().clone(),
                            request.headers().clone(),
                        )
                        .await
                    }
                    Err(_) => next.run(request).await,
                },
            };
        }
    }
    next.run(request).await
}

fn activity_json(document: Value) -> Response {
    (
        [(header::CONTENT_TYPE, ACTIVITY_JSON)],
        document.to_string(),
    )
        .into_response()
}

fn failure(error: FederationError) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::warn!(%error, "federation request failed");
    }
    // Internal causes stay in the log; the rest is a reason the other server's admin can read.
    let reason = match error {
        FederationError::Internal => "internal error; try again later".to_owned(),
        other => other.to_string(),
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        let retry_after = app::error::UNAVAILABLE_RETRY_AFTER;
        return (status, [(header::RETRY_AFTER, retry_after)], reason).into_response();
    }
    (status, reason).into_response()
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger(
    State(backend): State<Backend>,
    Query(query): Query<WebfingerQuery>,
) -> Response {
    let Some(resource) = query.resource.filter(|r| !r.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "the resource parameter is missing").into_response();
    };
    match documents::webfinger(&backend, &resource).await {
        Ok(Some(jrd)) => (
            [
                (header::CONTENT_TYPE, "application/jrd+json"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            jrd.to_string(),
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such account here").into_response(),
        Err(error) => failure(error),
    }
}

async fn host_meta(State(backend): State<Backend>) -> Response {
    let template = format!(
        "{}/.well-known/webfinger?resource={{uri}}",
        backend.public_url
    );
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        template.replace('&', "&amp;").replace('"', "&quot;")
    );
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

async fn nodeinfo_links(State(backend): State<Backend>) -> Response {
    let links: Vec<serde_json::Value> = ["2.1", "2.0"]
        .iter()
        .map(|version| {
            serde_json::json!({
                "rel": format!("http://nodeinfo.diaspora.software/ns/schema/{version}"),
                "href": format!("{}/nodeinfo/{version}", backend.public_url),
            })
        })
        .collect();
    let links = serde_json::json!({ "links": links });
    (
        [(header::CONTENT_TYPE, "application/json")],
        links.to_string(),
    )
        .into_response()
}

/// NodeInfo in schema 2.1 or 2.0 (older crawlers read only 2.0; what we say fits both).
async fn nodeinfo(State(backend): State<Backend>, version: &'static str) -> Response {
    match documents::nodeinfo(&backend).await {
        Ok(mut info) => {
            info["version"] = serde_json::Value::from(version);
            let profile = format!(
                "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
            );
            ([(header::CONTENT_TYPE, profile)], info.to_string()).into_response()
        }
        Err(error) => failure(error),
    }
}

async fn instance_actor(State(backend): State<Backend>) -> Response {
    match documents::instance_actor(&backend).await {
        Ok(actor) => activity_json(actor),
        Err(error) => failure(error),
    }
}

/// `/users/{name}` is the actor's id: servers get the actor, browsers its profile page.
async fn person_or_page(
    backend: State<Backend>,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !wants_activity_json(&headers) {
        return Redirect::to(&format!("/@{username}")).into_response();
    }
    person(backend, Path(username)).await
}

async fn person(State(backend): State<Backend>, Path(username): Path<String>) -> Response {
    match documents::person(&backend, &username).await {
        Ok(Some(actor)) => activity_json(actor),
        Ok(None) => (StatusCode::NOT_FOUND, "no such account here").into_response(),
        Err(error) => failure(error),
    }
}

/// A note for other servers. Public and unlisted ones are served to anyone; others only
/// to a signed GET from an actor who may see them (authorized fetch: an accepted
/// follower, a mentioned person), through the visibility gate; 404 to everyone else.
async fn note(
    State(backend): State<Backend>,
    Path((username, id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = Uuid::try_parse(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !wants_activity_json(&headers) {
        return Redirect::to(&format!("/@{username}/{id}")).into_response();
    }
    let fetcher = if headers.contains_key("signature") {
        match signer(&backend, &method, &uri, &headers, None).await {
            Ok(actor) => Some(actor.user_id),
            Err(Refused::Because(
                error @ (FederationError::Internal | FederationError::Unavailable),
            )) => return failure(error),
            // A signature that does not verify earns what an unsigned request gets.
            Err(_) => None,
        }
    } else {
        None
    };
    match documents::note(&backend, id, fetcher).await {
        Ok(NoteLookup::Found(note)) => activity_json(note),
        Ok(NoteLookup::Gone(tombstone)) => {
            (StatusCode::GONE, activity_json(tombstone)).into_response()
        }
        Ok(NoteLookup::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => failure(error),
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
}

async fn collection(
    State(backend): State<Backend>,
    Path(username): Path<String>,
    Query(query): Query<PageQuery>,
    which: Collection,
) -> Response {
    // Mastodon's first pages are `?page=true`: read as the first.
    let page = match query.page.as_deref() {
        None => None,
        Some("true") => Some(1),
        Some(page) => match page.parse::<i64>() {
            Ok(page) => Some(page),
            Err(_) => {
                return (StatusCode::BAD_REQUEST, "page must be a page number").into_response()
            }
        },
    };
    match documents::collection(&backend, &username, which, page).await {
        Ok(Some(collection)) => activity_json(collection),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => failure(error),
    }
}

/// `POST` to an inbox: verify the HTTP signature (Digest, Date, the key of the actor who
/// sent it, fetched and cached, fetched again once if it no longer verifies), then apply.
/// Answers 202 when done (or already done), 401 with the reason for a bad signature, and
/// 5xx when our side failed, so that the sender retries.
async fn inbox(
    State(backend): State<Backend>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let activity: Value = match serde_json::from_slice(&body) {
        Ok(value @ Value::Object(_)) => value,
        _ => return (StatusCode::BAD_REQUEST, "the body is not a JSON object").into_response(),
    };
    let actor = match verify(&backend, &method, &uri, &headers, &body).await {
        Ok(actor) => actor,
        // A deleted account's Delete cannot be verified (its key is gone with it): there is
        // nothing to apply, so it is acknowledged rather than retried for days.
        Err(Refused::KeyUnavailable(_))
            if activity.get("type").and_then(Value::as_str) == Some("Delete")
                && activity.get("actor") == activity.get("object") =>
        {
            return StatusCode::ACCEPTED.into_response();
        }
        Err(Refused::KeyUnavailable(key_id)) => {
            return failure(FederationError::Unauthorized(format!(
                "the key {key_id} could not be fetched or used"
            )));
        }
        Err(Refused::Because(error)) => {
            tracing::info!(%error, "inbox request refused");
            return failure(error);
        }
    };
    match inbox::receive(&backend, &actor, &activity).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(error) => failure(error),
    }
}

/// Why an inbox request was not verified.
enum Refused {
    /// The signer's key could not be fetched or read (the cause is logged, not told: the
    /// answer must not report on other servers, or on our network, to whoever asks).
    KeyUnavailable(String),
    Because(FederationError),
}

impl From<FederationError> for Refused {
    fn from(error: FederationError) -> Self {
        Refused::Because(error)
    }
}

async fn verify(
    backend: &Backend,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<remote::RemoteActor, Refused> {
    // The signer need not be the activity's actor: the inbox believes a forwarded activity
    // only as its origin serves it, and refuses the rest.
    signer(backend, method, uri, headers, Some(body)).await
}

/// The remote actor whose key signed this request (an inbox POST with its `body`, or a
/// GET), once the signature, its Date and Host, and the Digest of a body check out.
async fn signer(
    backend: &Backend,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> Result<remote::RemoteActor, Refused> {
    let unauthorized = FederationError::Unauthorized;
    let signature = signatures::parse_header(headers).map_err(unauthorized)?;
    signatures::check_request(&signature, headers, body, chrono::Utc::now())
        .map_err(unauthorized)?;
    // The signed Host must be ours: a request signed for another server cannot be replayed here.
    let ours = app::backend::federation::urls::Urls::new(&backend.public_url)
        .host()
        .to_owned();
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !host.eq_ignore_ascii_case(&ours) {
        return Err(FederationError::Unauthorized(format!(
            "the request was signed for {host:?}, not for this server"
        ))
        .into());
    }
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let signed =
        signatures::signing_string(&signature, method, &target, headers).map_err(unauthorized)?;
    let key_error = |error: FederationError| match error {
        // Our side failed: the sender should retry, not be told its key is bad.
        FederationError::Internal => Refused::Because(FederationError::Internal),
        FederationError::Unavailable => Refused::Because(FederationError::Unavailable),
        other => {
            tracing::info!(key_id = signature.key_id, error = %other, "an inbox request's key could not be used");
            Refused::KeyUnavailable(signature.key_id.clone())
        }
    };
    let (mut actor, pem) = remote::key(backend, &signature.key_id, false)
        .await
        .map_err(key_error)?;
    let verifies = |pem: &str| {
        keys::public_key(pem)
            .is_ok_and(|key| signatures::verify(&key, &signed, &signature.signature))
    };
    if !verifies(&pem) {
        // Perhaps the key was rotated: fetch it once more.
        let (fresh, pem) = remote::key(backend, &signature.key_id, true)
            .await
            .map_err(key_error)?;
        if !verifies(&pem) {
            return Err(
                FederationError::Unauthorized("the signature does not verify".into()).into(),
            );
        }
        actor = fresh;
    }
    Ok(actor)
}
