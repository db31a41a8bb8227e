//! `GET /events`: the server-sent event stream an open page listens to. Plain HTTP that
//! ordinary proxies pass through (no WebSocket upgrade), reconnected by the browser itself.
//!
//! Events:
//! - `unread` (data: the count), at the start and whenever the viewer's notifications change;
//! - `thought` (data: `new`): a thought was stored that may belong on an open timeline; the page
//!   asks, under the timeline rules, what is new.

use std::{collections::VecDeque, convert::Infallible, time::Duration};

use app::backend::{
    live::{self, Change, Received, Subscription},
    sessions, Backend,
};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse,
    },
    routing::get,
    Router,
};
use futures_util::stream::{self, Stream};
use uuid::Uuid;

pub fn routes(backend: Backend) -> Router {
    Router::new()
        .route("/events", get(events))
        .with_state(backend)
}

async fn events(State(backend): State<Backend>, headers: HeaderMap) -> impl IntoResponse {
    // Subscribe before reading the first count, so no change falls between the two.
    let subscription = backend.live.subscribe();
    let viewer = match sessions::token_from_headers(&headers) {
        Some(token) => sessions::viewer(&backend.pool, &token)
            .await
            .unwrap_or_else(|error| {
                tracing::error!(%error, "cannot read the session of an event stream");
                None
            }),
        None => None,
    };
    let mut queued = VecDeque::new();
    if let Some(viewer) = &viewer {
        queued.push_back(unread_event(viewer.unread));
    }
    let stream = EventStream {
        backend,
        viewer: viewer.map(|viewer| viewer.id),
        subscription,
        queued,
    };
    let mut response = Sse::new(stream.into_stream())
        // A comment every 20 s keeps proxies and load balancers from closing an idle stream.
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response();
    // nginx buffers responses unless told not to.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

struct EventStream {
    backend: Backend,
    viewer: Option<Uuid>,
    subscription: Subscription,
    queued: VecDeque<Event>,
}

impl EventStream {
    fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> {
        stream::unfold(self, |mut this| async move {
            loop {
                if let Some(event) = this.queued.pop_front() {
                    return Some((Ok(event), this));
                }
                match this.subscription.next().await? {
                    Received::Change(change) if live::may_concern(&change, this.viewer) => {
                        match change {
                            Change::Unread { .. } => this.queue_unread().await,
                            Change::Thought { .. } => this.queued.push_back(thought_event()),
                            // Not shown live on pages (may_concern says so).
                            Change::ThoughtEdited { .. }
                            | Change::ThoughtDeleted { .. }
                            | Change::KeyRevoked { .. }
                            | Change::Boosted { .. }
                            | Change::Unboosted { .. } => {}
                        }
                    }
                    Received::Change(_) => {}
                    // Some changes were missed: anything may have changed.
                    Received::Missed => {
                        this.queue_unread().await;
                        this.queued.push_back(thought_event());
                    }
                }
            }
        })
    }

    async fn queue_unread(&mut self) {
        let Some(viewer) = self.viewer else { return };
        match app::backend::notifications::unread_count(&self.backend.pool, viewer).await {
            Ok(count) => self.queued.push_back(unread_event(count)),
            Err(error) => {
                tracing::error!(%error, "cannot count unread notifications for an event stream")
            }
        }
    }
}

fn unread_event(count: i64) -> Event {
    Event::default().event("unread").data(count.to_string())
}

/// Browsers drop an event whose data is empty, so it carries a word.
fn thought_event() -> Event {
    Event::default().event("thought").data("new")
}
