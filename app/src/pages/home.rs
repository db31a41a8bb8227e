use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    api::timeline::public_timeline,
    components::thought::ThoughtCard,
    model::{Cursor, TimelinePage},
};

/// `/`: the newest public thoughts.
#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let before = Memo::new(move |_| query.read().get("before"));
    let first_page = Resource::new(move || before.get(), public_timeline);

    view! {
        <Title text=""/>
        <Meta name="description" content="Thoughtspace: short thoughts, Top Friends and your own profile style, on the fediverse."/>
        <section class="timeline" aria-labelledby="timeline-heading">
            <h1 id="timeline-heading">"Latest thoughts"</h1>
            <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match first_page.await {
                        Ok(page) => view! { <Timeline page/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A list of thoughts with "Load more": a plain link to the next page without JavaScript,
/// appended in place once hydrated.
#[component]
fn Timeline(page: TimelinePage) -> impl IntoView {
    let thoughts = RwSignal::new(page.thoughts);
    let next = RwSignal::new(page.next);
    let error = RwSignal::new(None::<String>);

    let load_more = Action::new(move |cursor: &Cursor| {
        let token = cursor.token();
        async move {
            match public_timeline(Some(token)).await {
                Ok(page) => {
                    thoughts.update(|list| list.extend(page.thoughts));
                    next.set(page.next);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });

    view! {
        <Show when=move || thoughts.with(|list| !list.is_empty())
              fallback=|| view! { <p class="empty">"No thoughts yet."</p> }>
            <ol class="thought-list">
                <For each=move || thoughts.get() key=|thought| thought.id
                     children=|thought| view! { <li><ThoughtCard thought/></li> }/>
            </ol>
        </Show>
        {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        {move || next.get().map(|cursor| view! {
            <a class="load-more" rel="next" href=format!("/?before={}", cursor.token())
               aria-busy=move || load_more.pending().get().to_string()
               on:click=move |ev| {
                   ev.prevent_default();
                   if !load_more.pending().get_untracked() {
                       load_more.dispatch(cursor);
                   }
               }>
                "Load more"
            </a>
        })}
    }
}
