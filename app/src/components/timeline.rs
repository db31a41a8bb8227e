use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

pub use crate::model::TimelineSource;
use crate::{
    api::timeline::newer_thoughts,
    components::{live::LiveUpdates, navigation, thought::ThoughtCard},
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
            TimelineSource::Bookmarks => format!("/bookmarks?before={token}"),
            TimelineSource::List { id } => format!("/lists/{id}?before={token}"),
        }
    }
}

/// A list of thoughts with "Load more", a plain link to the next page. In the browser,
/// navigation.js appends the next page in place instead, on a click or as soon as the link
/// scrolls near the viewport (infinite scroll); the first page also offers thoughts posted
/// since it was shown ("N new thoughts").
#[component]
pub fn Timeline(
    page: TimelinePage,
    source: TimelineSource,
    #[prop(default = "No thoughts yet.")] empty: &'static str,
) -> impl IntoView {
    let first_page = use_query_map().with_untracked(|query| query.get("before").is_none());
    let top = page
        .thoughts
        .first()
        .map(|thought| Cursor::after(thought).token());
    let newer = first_page.then(|| view! { <NewThoughts source=source.clone() top/> });
    let more = page.next.map(|cursor| {
        view! { <a class="load-more" rel="next" href=source.next_href(&cursor)>"Load more"</a> }
    });
    view! {
        <div class="timeline-pages">
            {newer}
            {page.thoughts.is_empty().then(|| view! { <p class="empty">{empty}</p> })}
            <ol class="thought-list">
                {page.thoughts.into_iter().map(|thought| {
                    let id = thought.id.to_string();
                    view! { <li data-id=id><ThoughtCard thought/></li> }
                }).collect_view()}
            </ol>
            {more}
        </div>
    }
    .into_any()
}

/// "N new thoughts": asks what is newer than the top of the list whenever the event
/// stream announces a thought, and on a click shows the timeline again from its newest.
#[island]
fn NewThoughts(source: TimelineSource, top: Option<String>) -> impl IntoView {
    let waiting = RwSignal::new(None::<(usize, bool)>);
    let slot = NodeRef::<leptos::html::Div>::new();
    let check_newer = Action::new(move |_: &()| {
        let (source, top) = (source.clone(), top.clone());
        async move {
            if let Ok(newer) = newer_thoughts(source, top).await {
                waiting.set((newer.count > 0).then_some((newer.count, newer.more)));
            }
        }
    });
    if let Some(live) = LiveUpdates::join() {
        // Announced thoughts ask what is new, one question at a time: announcements that
        // arrive while a question is out are covered by one more question when it returns.
        // A list no longer on the page (another page replaced it) asks nothing.
        let asked = StoredValue::new(live.thoughts.get_untracked());
        Effect::new(move |_| {
            let announced = live.thoughts.get();
            let shown = slot.get().is_some_and(|slot| slot.is_connected());
            if shown && !check_newer.pending().get() && asked.get_value() != announced {
                asked.set_value(announced);
                check_newer.dispatch(());
            }
        });
    }
    let show = move |_| {
        waiting.set(None);
        #[cfg(feature = "hydrate")]
        window().scroll_to_with_x_and_y(0.0, 0.0);
        navigation::refresh();
    };
    view! {
        <div class="new-thoughts-slot" aria-live="polite" node_ref=slot>
            {move || waiting.get().map(|(count, more)| {
                let label = match (count, more) {
                    (_, true) => format!("{count}+ new thoughts"),
                    (1, false) => "1 new thought".to_owned(),
                    (n, false) => format!("{n} new thoughts"),
                };
                view! { <button type="button" class="new-thoughts" on:click=show>{label}</button> }
            })}
        </div>
    }
}
