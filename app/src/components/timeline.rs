use leptos::prelude::*;

use crate::{
    api::timeline::{home_timeline, profile_timeline, public_timeline, tag_timeline},
    components::thought::ThoughtCard,
    error::AppError,
    model::{Cursor, TimelinePage},
};

/// Which timeline a list shows, so "Load more" fetches the next page of the same one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimelineSource {
    Public,
    Home,
    Profile { username: String },
    Tag { tag: String },
}

impl TimelineSource {
    /// The page of this timeline older than `cursor`, as a link (works without JavaScript).
    fn next_href(&self, cursor: &Cursor) -> String {
        let token = cursor.token();
        match self {
            TimelineSource::Public => format!("/public?before={token}"),
            TimelineSource::Home => format!("/?before={token}"),
            TimelineSource::Profile { username } => format!("/@{username}?before={token}"),
            TimelineSource::Tag { tag } => format!("/tags/{tag}?before={token}"),
        }
    }

    async fn fetch(self, before: Option<String>) -> Result<TimelinePage, AppError> {
        match self {
            TimelineSource::Public => public_timeline(before).await,
            TimelineSource::Home => home_timeline(before).await,
            TimelineSource::Profile { username } => profile_timeline(username, before).await,
            TimelineSource::Tag { tag } => tag_timeline(tag, before).await,
        }
    }
}

/// A list of thoughts with "Load more": a plain link to the next page without JavaScript;
/// once hydrated, the next page is appended in place, on a click or as soon as the link
/// scrolls near the viewport (infinite scroll).
#[component]
pub fn Timeline(page: TimelinePage, source: TimelineSource, #[prop(default = "No thoughts yet.")] empty: &'static str) -> impl IntoView {
    let thoughts = RwSignal::new(page.thoughts);
    let next = RwSignal::new(page.next);
    let error = RwSignal::new(None::<String>);

    let load_more = Action::new({
        let source = source.clone();
        move |cursor: &Cursor| {
            let (source, token) = (source.clone(), cursor.token());
            async move {
                match source.fetch(Some(token)).await {
                    Ok(page) => {
                        thoughts.update(|list| list.extend(page.thoughts));
                        next.set(page.next);
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            }
        }
    });

    let sentinel = NodeRef::<leptos::html::A>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |previous: Option<Option<InfiniteScroll>>| {
        if let Some(Some(previous)) = previous {
            previous.observer.disconnect();
        }
        let link = sentinel.get()?;
        InfiniteScroll::watch(&link, move || {
            if !load_more.pending().get_untracked() {
                if let Some(cursor) = next.get_untracked() {
                    load_more.dispatch(cursor);
                }
            }
        })
    });

    view! {
        <Show when=move || thoughts.with(|list| !list.is_empty()) fallback=move || view! { <p class="empty">{empty}</p> }>
            <ol class="thought-list">
                <For each=move || thoughts.get() key=|thought| thought.id
                     children=|thought| view! { <li><ThoughtCard thought/></li> }/>
            </ol>
        </Show>
        {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        {move || next.get().map(|cursor| {
            let href = source.next_href(&cursor);
            view! {
                <a class="load-more" rel="next" href=href node_ref=sentinel
                   aria-busy=move || load_more.pending().get().to_string()
                   on:click=move |ev| {
                       ev.prevent_default();
                       if !load_more.pending().get_untracked() {
                           load_more.dispatch(cursor);
                       }
                   }>
                    "Load more"
                </a>
            }
        })}
    }.into_any()
}

/// Calls back when an element comes within 400px of the viewport.
#[cfg(feature = "hydrate")]
struct InfiniteScroll {
    observer: web_sys::IntersectionObserver,
    _callback: wasm_bindgen::closure::Closure<dyn Fn(js_sys::Array)>,
}

#[cfg(feature = "hydrate")]
impl InfiniteScroll {
    fn watch(element: &web_sys::Element, near: impl Fn() + 'static) -> Option<Self> {
        use wasm_bindgen::JsCast;
        let callback = wasm_bindgen::closure::Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if entries.iter().any(|entry| entry.unchecked_into::<web_sys::IntersectionObserverEntry>().is_intersecting()) {
                near();
            }
        });
        let options = web_sys::IntersectionObserverInit::new();
        options.set_root_margin("400px");
        let observer = web_sys::IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options).ok()?;
        observer.observe(element);
        Some(InfiniteScroll { observer, _callback: callback })
    }
}
