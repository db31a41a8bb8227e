//! What the server's event stream (`GET /events`, server-sent events) tells an open page:
//! the unread-notifications count and that new thoughts may be waiting.
//!
//! Pages are server-rendered and only their islands run in the browser, so the stream is
//! one per tab, kept here rather than in any island: islands come and go as pages change
//! (`navigation.js`), the connection and its counts stay. A page without JavaScript shows
//! the counts it was rendered with.

use leptos::prelude::*;

/// What an island watches: the tab's counts, seen through memos the island owns, so an
/// island let go (its page with it) stops following them.
#[derive(Debug, Clone, Copy)]
pub struct LiveUpdates {
    /// The viewer's unread notifications, once the stream has said.
    pub unread: Memo<Option<i64>>,
    /// Goes up by one with every announced thought; timelines watch it.
    pub thoughts: Memo<u64>,
    /// Goes up by one whenever the viewer's notifications change while the tab is open;
    /// the notifications page watches it.
    pub notifications: Memo<u64>,
}

/// The tab's counts, as the stream sets them.
#[cfg(feature = "hydrate")]
#[derive(Debug, Clone)]
struct Counts {
    unread: ArcRwSignal<Option<i64>>,
    thoughts: ArcRwSignal<u64>,
    notifications: ArcRwSignal<u64>,
}

impl LiveUpdates {
    #[cfg(feature = "hydrate")]
    fn watch(counts: Counts) -> Self {
        let Counts {
            unread,
            thoughts,
            notifications,
        } = counts;
        LiveUpdates {
            unread: Memo::new(move |_| unread.get()),
            thoughts: Memo::new(move |_| thoughts.get()),
            notifications: Memo::new(move |_| notifications.get()),
        }
    }
}

/// Who a stream answers for: `None` for a visitor, else the member's username.
pub type Identity = Option<String>;

#[cfg(feature = "hydrate")]
thread_local! {
    static LIVE: Counts = Counts {
        unread: ArcRwSignal::new(None),
        thoughts: ArcRwSignal::new(0),
        notifications: ArcRwSignal::new(0),
    };
    static STREAM: std::cell::RefCell<Option<(Identity, stream::Stream)>> = const { std::cell::RefCell::new(None) };
}

impl LiveUpdates {
    /// The tab's live signals, however the stream is connected (the header's badge connects
    /// it for members). `None` on the server.
    pub fn current() -> Option<Self> {
        #[cfg(feature = "hydrate")]
        return Some(Self::watch(LIVE.with(Clone::clone)));
        #[cfg(not(feature = "hydrate"))]
        None
    }

    /// The tab's live signals, connected: the stream already open (a member's, if the page
    /// is a member's: the header's badge connects first), else a visitor's. `None` on the
    /// server.
    pub fn join() -> Option<Self> {
        #[cfg(feature = "hydrate")]
        {
            let open = STREAM.with_borrow(Option::is_some);
            if open {
                stream::follow_page_changes();
                return Self::current();
            }
        }
        Self::connect(None)
    }

    /// The tab's live signals, connected for `identity` (who the page was rendered for).
    /// A different identity than the open stream's (someone logged in or out) reconnects:
    /// the stream answers for the session it was opened with. `None` on the server.
    pub fn connect(identity: Identity) -> Option<Self> {
        #[cfg(feature = "hydrate")]
        {
            let live = LIVE.with(Clone::clone);
            stream::follow_page_changes();
            STREAM.with_borrow_mut(|open| {
                if open
                    .as_ref()
                    .is_none_or(|(current, _)| *current != identity)
                {
                    // The old stream closes as it is dropped.
                    *open = None;
                    live.unread.set(None);
                    *open = stream::Stream::open(live.clone()).map(|stream| (identity, stream));
                }
            });
            Some(Self::watch(live))
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = identity;
            None
        }
    }
}

#[cfg(feature = "hydrate")]
mod stream {
    use leptos::prelude::{document, window, GetUntracked, Set, Update};
    use wasm_bindgen::{closure::Closure, JsCast};

    use super::Counts;

    /// A listener for one event type of the stream.
    type Listener = (&'static str, Closure<dyn Fn(web_sys::MessageEvent)>);

    /// An open `EventSource` and the listeners it calls.
    pub struct Stream {
        source: web_sys::EventSource,
        listeners: Vec<Listener>,
    }

    /// Once per tab: after each page change (navigation.js), the count goes back in front
    /// of the new title, and a member's stream is replaced by a visitor's when the page is no
    /// longer a member's (they logged out: it has no unread badge).
    pub fn follow_page_changes() {
        thread_local!(static FOLLOWING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
        if FOLLOWING.replace(true) {
            return;
        }
        let changed = Closure::<dyn Fn()>::new(|| {
            let member_page = document()
                .query_selector(".unread-slot")
                .ok()
                .flatten()
                .is_some();
            super::STREAM.with_borrow_mut(|open| {
                if !member_page
                    && open
                        .as_ref()
                        .is_some_and(|(identity, _)| identity.is_some())
                {
                    // The old stream closes as it is dropped.
                    *open = None;
                    super::LIVE.with(|live| {
                        live.unread.set(None);
                        *open = Stream::open(live.clone()).map(|stream| (None, stream));
                    });
                }
            });
            retitle(super::LIVE.with(|live| live.unread.get_untracked()));
        });
        let _ = window().add_event_listener_with_callback(
            "thoughtspace:navigated",
            changed.as_ref().unchecked_ref(),
        );
        // Lives as long as the tab.
        changed.forget();
    }

    /// The document's title, led by the unread count when there is one.
    fn retitle(unread: Option<i64>) {
        let document = document();
        let title = crate::with_unread(&document.title(), unread.unwrap_or(0));
        if title != document.title() {
            document.set_title(&title);
        }
    }

    impl Stream {
        pub fn open(live: Counts) -> Option<Self> {
            let source = web_sys::EventSource::new("/events").ok()?;
            let unread = Closure::<dyn Fn(web_sys::MessageEvent)>::new({
                let live = live.clone();
                move |event: web_sys::MessageEvent| {
                    if let Some(count) = event.data().as_string().and_then(|data| data.parse().ok())
                    {
                        // The stream's first word is the count the page was rendered with.
                        if live.unread.get_untracked().is_some() {
                            live.notifications.update(|n| *n += 1);
                        }
                        live.unread.set(Some(count));
                        retitle(Some(count));
                    }
                }
            });
            let thought = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| {
                live.thoughts.update(|n| *n += 1)
            });
            let listeners = vec![("unread", unread), ("thought", thought)];
            for (event, listener) in &listeners {
                source
                    .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref())
                    .ok()?;
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
                let _ = self
                    .source
                    .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
            }
        }
    }
}
