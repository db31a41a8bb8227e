use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::{components::Redirect, hooks::use_query_map};

use crate::{
    api::saved::bookmarks_timeline,
    components::{
        loading::Loading,
        timeline::{Timeline, TimelineSource},
    },
    error::AppError,
};

/// `/bookmarks`: the thoughts the logged-in person bookmarked, newest bookmark first.
#[component]
pub fn BookmarksPage() -> impl IntoView {
    let query = use_query_map();
    let before = Memo::new(move |_| query.read().get("before"));
    let page = Resource::new(move || before.get(), bookmarks_timeline);
    view! {
        <Title text="Bookmarks"/>
        <Meta name="robots" content="noindex"/>
        <section class="timeline" aria-labelledby="timeline-heading">
            <h1 id="timeline-heading">"Bookmarks"</h1>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! {
                            <Timeline page source=TimelineSource::Bookmarks empty="No bookmarks yet: bookmark a thought to keep it here."/>
                        }.into_any(),
                        Err(AppError::Unauthorized) => view! { <Redirect path="/login?next=/bookmarks"/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
