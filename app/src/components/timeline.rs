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

/// A list of thoughts with "Load more": a plain link to the next page without JavaScript,
/// appended in place once hydrated.
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
                <a class="load-more" rel="next" href=href
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
