//! Mastodon's streaming API: `GET /api/v1/streaming` over WebSocket (subscribe and
//! unsubscribe to several streams on one connection) and the server-sent event forms
//! (`/api/v1/streaming/user`, …), with the events `update`, `status.update`, `delete` and
//! `notification`, each payload the entity JSON-encoded as a string, as Mastodon sends them.
//!
//! Every server process hears every change (`live`'s LISTEN/NOTIFY fan-out), so a client
//! may be connected to any of them. What a connected person is sent is decided by
//! `app::backend::streaming::should_stream`, for them, per stream and per change.
//!
//! Every stream needs a token acting for a person (as Mastodon's streaming server), sent as
//! `Authorization: Bearer`, `?access_token=` or the `Sec-WebSocket-Protocol` header; the
//! public streams need no particular scope, the others `read` or `read:statuses`
//! (`read:notifications` for notifications). A connection that falls behind (its client
//! reads too slowly) is closed rather than queued for: clients reconnect and catch up
//! through the REST timelines. A revoked key's streams end.

use std::{convert::Infallible, time::Duration};

use app::backend::{
    api_keys::Caller,
    live::{Change, Received, Subscription},
    streaming::{self, Event, Stream},
    Backend,
};
use axum::{
    extract::{
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
        State,
    },
    http::{header, HeaderValue, StatusCode},
    response::{
        sse::{self, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use futures_util::{stream as futures_stream, StreamExt as _};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    auth::Authed,
    entities, notifications,
    params::Params,
    scopes::{Access::*, Routes},
    ApiError, ApiResult,
};

/// Mastodon's heartbeat on event streams (a `:thump` comment).
const THUMP_EVERY: Duration = Duration::from_secs(15);
/// Mastodon pings WebSocket clients this often and drops those that did not answer the last.
const PING_EVERY: Duration = Duration::from_secs(30);
/// How long a WebSocket client may take to accept one message before it is dropped.
const SEND_WAIT: Duration = Duration::from_secs(10);
/// The most streams one WebSocket connection may subscribe to.
const MAX_SUBSCRIPTIONS: usize = 32;

pub fn routes() -> Routes {
    Routes::default()
        .get("/api/v1/streaming/health", Anyone, health)
        .get("/api/v1/streaming", Token, websocket)
        .get("/api/v1/streaming/user", User("read:statuses"), user)
        .get(
            "/api/v1/streaming/user/notification",
            User("read:notifications"),
            user_notification,
        )
        .get("/api/v1/streaming/public", Token, public)
        .get("/api/v1/streaming/public/local", Token, public_local)
        .get("/api/v1/streaming/hashtag", Token, hashtag)
        .get("/api/v1/streaming/hashtag/local", Token, hashtag_local)
}

/// The paths that stay open for as long as the client listens (no request timeout applies).
pub fn is_streaming_path(path: &str) -> bool {
    path.starts_with("/api/v1/streaming")
        && path.trim_end_matches('/') != "/api/v1/streaming/health"
}

/// `wss://host` (or `ws://` for a server on plain HTTP), for the instance's
/// `urls.streaming_api` and `configuration.urls.streaming`.
pub fn streaming_url(public_url: &str) -> String {
    if let Some(rest) = public_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = public_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        public_url.to_owned()
    }
}

async fn health() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain")], "OK")
}

/// Who is listening: a person, through one key.
#[derive(Clone)]
struct Listener {
    person: Uuid,
    key: Uuid,
    caller: Caller,
}

impl Listener {
    /// The streams need a person (an app's own token reads no timeline).
    fn of(authed: Authed) -> ApiResult<Self> {
        let person = authed.0.user_id.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "This method requires an authenticated user",
            )
        })?;
        Ok(Listener {
            person,
            key: authed.0.key_id,
            caller: authed.0,
        })
    }

    /// Mastodon's stream names, checked against the key's scopes: `read` or
    /// `read:statuses` for the user stream (`read:notifications` for its notifications),
    /// `read:notifications` for `user:notification`, none for the public ones.
    fn stream(&self, name: &str, tag: Option<&str>) -> Result<Stream, StreamError> {
        let scopes = &self.caller.scopes;
        let tag = || {
            tag.map(Stream::tag_name)
                .filter(|tag| !tag.is_empty())
                .ok_or(StreamError::MissingTag)
        };
        Ok(match name {
            "user" if scopes.allow("read:statuses") => Stream::User {
                notifications: scopes.allow("read:notifications"),
            },
            "user:notification" if scopes.allow("read:notifications") => Stream::UserNotification,
            "user" | "user:notification" => return Err(StreamError::Scope),
            "public" => Stream::Public,
            "public:local" => Stream::PublicLocal,
            "hashtag" => Stream::Hashtag(tag()?),
            "hashtag:local" => Stream::HashtagLocal(tag()?),
            _ => return Err(StreamError::Unknown),
        })
    }

    /// Whether `change` ends this listener's streams.
    fn ends_with(&self, change: &Change) -> bool {
        matches!(change, Change::KeyRevoked { key } if *key == self.key)
    }

    /// What to send of `change` on `stream`: the event's name and its payload.
    async fn render(
        &self,
        backend: &Backend,
        stream: &Stream,
        change: &Change,
    ) -> Option<(&'static str, String)> {
        let event = match streaming::should_stream(&backend.pool, self.person, stream, change).await
        {
            Ok(Some(event)) => event,
            Ok(None) => return None,
            Err(error) => {
                tracing::error!(%error, "cannot decide what a stream is sent");
                return None;
            }
        };
        let rendered = match event {
            Event::Update(thought) => entities::statuses(backend, &[thought])
                .await
                .map(|mut statuses| ("update", statuses.pop())),
            Event::StatusUpdate(thought) => entities::statuses(backend, &[thought])
                .await
                .map(|mut statuses| ("status.update", statuses.pop())),
            Event::Notification(found) => {
                notifications::entities_of(backend, self.person, &[found])
                    .await
                    .map(|mut entities| ("notification", entities.pop()))
            }
            // Mastodon sends a deleted status's id as the payload itself.
            Event::Delete(id) => return Some(("delete", id.to_string())),
        };
        match rendered {
            Ok((name, Some(entity))) => Some((name, entity.to_string())),
            Ok((_, None)) => None,
            Err(error) => {
                tracing::error!(?error, "cannot render a streamed entity");
                None
            }
        }
    }
}

/// Why a stream cannot be subscribed to (Mastodon's messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamError {
    Unknown,
    MissingTag,
    Scope,
}

impl StreamError {
    fn status(self) -> StatusCode {
        match self {
            StreamError::Unknown | StreamError::MissingTag => StatusCode::BAD_REQUEST,
            StreamError::Scope => StatusCode::UNAUTHORIZED,
        }
    }

    fn message(self) -> &'static str {
        match self {
            StreamError::Unknown => "Unknown stream type",
            StreamError::MissingTag => "Missing tag name parameter",
            StreamError::Scope => "Access token does not have the required scopes",
        }
    }
}

impl From<StreamError> for ApiError {
    fn from(error: StreamError) -> Self {
        ApiError::new(error.status(), error.message())
    }
}

// --- Server-sent events ------------------------------------------------------------------

async fn user(State(backend): State<Backend>, authed: Authed) -> ApiResult<Response> {
    let listener = Listener::of(authed)?;
    let stream = listener.stream("user", None)?;
    Ok(event_stream(backend, listener, stream))
}

async fn user_notification(State(backend): State<Backend>, authed: Authed) -> ApiResult<Response> {
    let listener = Listener::of(authed)?;
    let stream = listener.stream("user:notification", None)?;
    Ok(event_stream(backend, listener, stream))
}

async fn public(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Response> {
    public_stream(backend, authed, params, "public").await
}

async fn public_local(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Response> {
    public_stream(backend, authed, params, "public:local").await
}

async fn hashtag(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Response> {
    public_stream(backend, authed, params, "hashtag").await
}

async fn hashtag_local(
    State(backend): State<Backend>,
    authed: Authed,
    params: Params,
) -> ApiResult<Response> {
    public_stream(backend, authed, params, "hashtag:local").await
}

async fn public_stream(
    backend: Backend,
    authed: Authed,
    params: Params,
    name: &str,
) -> ApiResult<Response> {
    let listener = Listener::of(authed)?;
    refuse_media_only(&params)?;
    let tag = params.text("tag")?;
    let stream = listener.stream(name, tag.as_deref())?;
    Ok(event_stream(backend, listener, stream))
}

/// There are no media here, so a media-only stream would silently be the whole stream.
fn refuse_media_only(params: &Params) -> ApiResult<()> {
    if params.boolean("only_media")?.unwrap_or(false) {
        return Err(ApiError::invalid(
            "only_media",
            "is not supported: this server has no media attachments",
        ));
    }
    Ok(())
}

/// One stream as server-sent events, until the client leaves, falls behind or its key is
/// revoked, or the server shuts down.
fn event_stream(backend: Backend, listener: Listener, stream: Stream) -> Response {
    // Subscribed now, before the response starts: nothing from here on is missed.
    let subscription = backend.live.subscribe();
    // Mastodon opens its event streams with a comment, so clients see the stream start.
    let opening = futures_stream::once(async { Ok(sse::Event::default().comment(")")) });
    let events = opening.chain(futures_stream::unfold(
        (backend, listener, stream, subscription),
        |(backend, listener, stream, mut subscription)| async move {
            loop {
                let change = next_change(&mut subscription, &listener).await?;
                if let Some((name, payload)) = listener.render(&backend, &stream, &change).await {
                    let event = sse::Event::default().event(name).data(payload);
                    return Some((
                        Ok::<_, Infallible>(event),
                        (backend, listener, stream, subscription),
                    ));
                }
            }
        },
    ));
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(THUMP_EVERY).text("thump"))
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx buffers responses unless told not to.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// The next change for `listener`; `None` when their stream must end: the server is
/// closing, their key was revoked, or they fell behind (changes were missed, and a stream
/// that silently skips events would be wrong, so it ends and the client reconnects).
async fn next_change(subscription: &mut Subscription, listener: &Listener) -> Option<Change> {
    match subscription.next().await? {
        Received::Change(change) if listener.ends_with(&change) => None,
        Received::Change(change) => Some(change),
        Received::Missed => None,
    }
}

// --- WebSocket ---------------------------------------------------------------------------

async fn websocket(
    State(backend): State<Backend>,
    authed: Authed,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    params: Params,
) -> ApiResult<Response> {
    let listener = Listener::of(authed)?;
    let Ok(mut upgrade) = upgrade else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "This endpoint is a WebSocket (the event-stream forms are /api/v1/streaming/user, …)",
        ));
    };
    // A client that sent its token as the protocol expects it back, as Mastodon's server
    // (the `ws` library) answers.
    let protocol = upgrade
        .requested_protocols()
        .next()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .and_then(|value| HeaderValue::from_str(value.trim()).ok());
    if let Some(protocol) = protocol {
        upgrade.set_selected_protocol(protocol);
    }
    // `?stream=…` (with `tag`) subscribes at once.
    let initial = match params.text("stream")? {
        Some(name) => Some((name, params.text("tag")?)),
        None => None,
    };
    Ok(upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| async move {
            Session {
                backend,
                listener,
                socket,
                subscribed: Vec::new(),
            }
            .run(initial)
            .await
        }))
}

/// One WebSocket connection and the streams it subscribed to.
struct Session {
    backend: Backend,
    listener: Listener,
    socket: WebSocket,
    /// Each stream with the name its events carry (`["hashtag", "Rust"]`).
    subscribed: Vec<(Stream, Value)>,
}

/// What the session does next.
enum Step {
    Continue,
    Close,
}

impl Session {
    async fn run(mut self, initial: Option<(String, Option<String>)>) {
        let mut subscription = self.backend.live.subscribe();
        if let Some((name, tag)) = initial {
            if let Step::Close = self.subscribe(&name, tag.as_deref()).await {
                return;
            }
        }
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let mut answered = true;
        loop {
            let step = tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => self.on_message(text.as_str()).await,
                    Some(Ok(Message::Pong(_))) => {
                        answered = true;
                        Step::Continue
                    }
                    // Pings are answered by the WebSocket layer itself.
                    Some(Ok(Message::Ping(_))) => Step::Continue,
                    Some(Ok(Message::Binary(_))) => {
                        self.close(1003, "Binary messages are not supported").await;
                        Step::Close
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Step::Close,
                },
                change = next_change(&mut subscription, &self.listener) => match change {
                    Some(change) => self.on_change(&change).await,
                    None => {
                        self.close(1000, "The stream ended; reconnect to resume").await;
                        Step::Close
                    }
                },
                _ = ping.tick() => {
                    if answered {
                        answered = false;
                        self.send(Message::Ping(Default::default())).await
                    } else {
                        // No answer to the last ping: the client is gone.
                        Step::Close
                    }
                }
            };
            if let Step::Close = step {
                return;
            }
        }
    }

    /// A client's `{"type": "subscribe" | "unsubscribe", "stream": …, "tag": …}`.
    async fn on_message(&mut self, text: &str) -> Step {
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
            return self
                .error(StatusCode::BAD_REQUEST, "Not a JSON object")
                .await;
        };
        // Mastodon takes the first of a list.
        let first = |name: &str| match message.get(name) {
            Some(Value::String(value)) => Some(value.clone()),
            Some(Value::Array(values)) => values.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        let (Some(kind), Some(stream)) = (first("type"), first("stream")) else {
            return self
                .error(StatusCode::BAD_REQUEST, "Expected a type and a stream")
                .await;
        };
        let tag = first("tag");
        match kind.as_str() {
            "subscribe" => self.subscribe(&stream, tag.as_deref()).await,
            "unsubscribe" => match self.listener.stream(&stream, tag.as_deref()) {
                Ok(stream) => {
                    self.subscribed
                        .retain(|(subscribed, _)| *subscribed != stream);
                    Step::Continue
                }
                Err(error) => self.error(error.status(), error.message()).await,
            },
            // Mastodon ignores other types.
            _ => Step::Continue,
        }
    }

    async fn subscribe(&mut self, name: &str, tag: Option<&str>) -> Step {
        let stream = match self.listener.stream(name, tag) {
            Ok(stream) => stream,
            Err(error) => return self.error(error.status(), error.message()).await,
        };
        if self
            .subscribed
            .iter()
            .any(|(subscribed, _)| *subscribed == stream)
        {
            return Step::Continue;
        }
        if self.subscribed.len() >= MAX_SUBSCRIPTIONS {
            return self
                .error(
                    StatusCode::BAD_REQUEST,
                    "Too many streams on one connection",
                )
                .await;
        }
        let label = match (&stream, tag) {
            (Stream::Hashtag(_) | Stream::HashtagLocal(_), Some(tag)) => json!([name, tag]),
            _ => json!([name]),
        };
        self.subscribed.push((stream, label));
        Step::Continue
    }

    async fn on_change(&mut self, change: &Change) -> Step {
        let mut outgoing = Vec::new();
        for (stream, label) in &self.subscribed {
            if let Some((event, payload)) =
                self.listener.render(&self.backend, stream, change).await
            {
                outgoing.push(json!({ "stream": label, "event": event, "payload": payload }));
            }
        }
        for message in outgoing {
            if let Step::Close = self.send(Message::Text(message.to_string().into())).await {
                return Step::Close;
            }
        }
        Step::Continue
    }

    async fn error(&mut self, status: StatusCode, message: &str) -> Step {
        let error = json!({ "error": message, "status": status.as_u16() });
        self.send(Message::Text(error.to_string().into())).await
    }

    /// Sends `message`; a client that does not take it in time is dropped (nothing queues
    /// up for it).
    async fn send(&mut self, message: Message) -> Step {
        match tokio::time::timeout(SEND_WAIT, self.socket.send(message)).await {
            Ok(Ok(())) => Step::Continue,
            Ok(Err(_)) | Err(_) => Step::Close,
        }
    }

    async fn close(&mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = self.send(Message::Close(Some(frame))).await;
    }
}
