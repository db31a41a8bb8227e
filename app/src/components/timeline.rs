use leptos::prelude::*;
use leptos_router::hooks::use_location;

pub use crate::model::TimelineSource;
use crate::{
    api::timeline::{home_timeline, newer_thoughts, profile_timeline, public_timeline, tag_timeline},
    components::{live::LiveUpdates, thought::ThoughtCard},
    error::AppError,
    model::{Cursor, TimelinePage},
};

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
    // Coming back to a timeline brings back the pages appended before, so back returns to
    // the same place however far the reader had scrolled.
    let memory = TimelineMemory::get();
    let location = use_location();
    let address = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
    let page = match memory.and_then(|memory| memory.recall(&address)) {
        Some(kept) => page.continued_by(kept),
        None => page,
    };
    let thoughts = RwSignal::new(page.thoughts);
    let next = RwSignal::new(page.next);
    let error = RwSignal::new(None::<String>);
    if let Some(memory) = memory {
        Effect::new(move |_| {
            memory.remember(&address, TimelinePage { thoughts: thoughts.get(), next: next.get() });
        });
    }

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

    // Thoughts newer than the top of the list, waiting behind the "N new thoughts" button.
    let waiting = RwSignal::new(None::<TimelinePage>);
    let check_newer = Action::new({
        let source = source.clone();
        move |_: &()| {
            let source = source.clone();
            let top = thoughts.with_untracked(|list| list.first().map(Cursor::after));
            async move {
                let newer = match top {
                    Some(top) => newer_thoughts(source, top.token()).await,
                    None => source.fetch(None).await,
                };
                if let Ok(page) = newer {
                    waiting.set((!page.thoughts.is_empty()).then_some(page));
                }
            }
        }
    });
    if let Some(live) = LiveUpdates::get() {
        // Announced thoughts ask what is new, one question at a time: announcements that
        // arrive while a question is out are covered by one more question when it returns.
        let asked = StoredValue::new(live.thoughts.get_untracked());
        Effect::new(move |_| {
            let announced = live.thoughts.get();
            if !check_newer.pending().get() && asked.get_value() != announced {
                asked.set_value(announced);
                check_newer.dispatch(());
            }
        });
    }
    let show_waiting = move |_| {
        let Some(page) = waiting.get_untracked() else { return };
        waiting.set(None);
        if page.next.is_some() {
            // More arrived than one page holds: start again from the newest.
            thoughts.set(page.thoughts);
            next.set(page.next);
        } else {
            thoughts.update(|list| {
                let mut fresh = page.thoughts;
                fresh.retain(|thought| !list.iter().any(|shown| shown.id == thought.id));
                fresh.append(list);
                *list = fresh;
            });
        }
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            window.scroll_to_with_x_and_y(0.0, 0.0);
        }
    };

    let sentinel = NodeRef::<leptos::html::A>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |previous: Option<Option<InfiniteScroll>>| {
        // The previous watch (if any) stops as it is dropped.
        drop(previous);
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
        <div class="new-thoughts-slot" aria-live="polite">
            {move || waiting.with(|page| page.as_ref().map(|page| {
                let count = page.thoughts.len();
                let label = match (count, page.next.is_some()) {
                    (_, true) => format!("{count}+ new thoughts"),
                    (1, false) => "1 new thought".to_owned(),
                    (n, false) => format!("{n} new thoughts"),
                };
                view! { <button type="button" class="new-thoughts" on:click=show_waiting>{label}</button> }
            }))}
        </div>
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

/// The timelines shown in this tab, by address, with every page appended to them: a
/// timeline shown again continues as far as it went. Kept in memory only.
#[derive(Debug, Clone, Copy)]
pub struct TimelineMemory(StoredValue<Vec<(String, TimelinePage)>>);

/// How many timelines are remembered (the oldest is forgotten first).
const REMEMBERED_TIMELINES: usize = 16;

impl TimelineMemory {
    pub fn provide() {
        provide_context(TimelineMemory(StoredValue::new(Vec::new())));
    }

    fn get() -> Option<Self> {
        use_context::<Self>()
    }

    fn recall(self, address: &str) -> Option<TimelinePage> {
        self.0.with_value(|kept| kept.iter().find(|(kept, _)| kept == address).map(|(_, page)| page.clone()))
    }

    fn remember(self, address: &str, page: TimelinePage) {
        self.0.update_value(|kept| {
            kept.retain(|(kept, _)| kept != address);
            if kept.len() == REMEMBERED_TIMELINES {
                kept.remove(0);
            }
            kept.push((address.to_owned(), page));
        });
    }
}

/// Calls back when an element comes within 400px of the viewport.
#[cfg(feature = "hydrate")]
struct InfiniteScroll {
    observer: web_sys::IntersectionObserver,
    _callback: wasm_bindgen::closure::Closure<dyn Fn(js_sys::Array)>,
}

/// An observer must stop before its callback goes: it may still report on an element just
/// removed from the page (the timeline was left).
#[cfg(feature = "hydrate")]
impl Drop for InfiniteScroll {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
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
