//! What the server's event stream (`GET /events`, server-sent events) tells an open page:
//! the unread-notifications count and that new thoughts may be waiting. Connected only
//! once hydrated; a page rendered on the server (or without JavaScript) shows the counts it
//! was rendered with.

use leptos::prelude::*;

/// The live signals, provided to the whole app.
#[derive(Debug, Clone, Copy)]
pub struct LiveUpdates {
    /// The viewer's unread notifications, once the stream has said.
    pub unread: RwSignal<Option<i64>>,
    /// Goes up by one with every announced thought; timelines watch it.
    pub thoughts: RwSignal<u64>,
    /// Goes up by one whenever the viewer's notifications change while the page is open;
    /// the notifications page watches it.
    pub notifications: RwSignal<u64>,
}

impl LiveUpdates {
    pub fn provide() -> Self {
        let live =
            LiveUpdates { unread: RwSignal::new(None), thoughts: RwSignal::new(0), notifications: RwSignal::new(0) };
        provide_context(live);
        live
    }

    pub fn get() -> Option<Self> {
        use_context::<Self>()
    }

    /// Connects once `identity` (who the page is for: `Some(None)` for a visitor) is known,
    /// and reconnects whenever it changes (log in, log out): the stream answers for the
    /// session it was opened with.
    pub fn follow(self, identity: Signal<Option<Option<String>>>) {
        #[cfg(feature = "hydrate")]
        Effect::new(move |previous: Option<(Option<Option<String>>, Option<stream::Stream>)>| {
            let identity = identity.get();
            if let Some((previous_identity, stream)) = previous {
                if previous_identity == identity {
                    return (previous_identity, stream);
                }
                // The old stream closes as it is dropped.
                drop(stream);
            }
            self.unread.set(None);
            let stream = identity.is_some().then(|| stream::Stream::open(self)).flatten();
            (identity, stream)
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = identity;
    }
}

#[cfg(feature = "hydrate")]
mod stream {
    use leptos::prelude::{GetUntracked, Set, Update};
    use wasm_bindgen::{closure::Closure, JsCast};

    use super::LiveUpdates;

    /// An open `EventSource` and the listeners it calls.
    pub struct Stream {
        source: web_sys::EventSource,
        listeners: Vec<(&'static str, Closure<dyn Fn(web_sys::MessageEvent)>)>,
    }

    impl Stream {
        pub fn open(live: LiveUpdates) -> Option<Self> {
            let source = web_sys::EventSource::new("/events").ok()?;
            let unread = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if let Some(count) = event.data().as_string().and_then(|data| data.parse().ok()) {
                    // The stream's first word is the count the page was rendered with.
                    if live.unread.get_untracked().is_some() {
                        live.notifications.update(|n| *n += 1);
                    }
                    live.unread.set(Some(count));
                }
            });
            let thought = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| {
                live.thoughts.update(|n| *n += 1);
            });
            let listeners = vec![("unread", unread), ("thought", thought)];
            for (event, listener) in &listeners {
                source.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref()).ok()?;
            }
            // The browser reconnects a dropped stream by itself.
            Some(Stream { source, listeners })
        }
    }

    /// Closed and unhooked before its listeners go, so none is called after.
    impl Drop for Stream {
        fn drop(&mut self) {
            self.source.close();
            for (event, listener) in &self.listeners {
                let _ = self.source.remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
            }
        }
    }
}
