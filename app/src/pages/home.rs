use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    api::timeline::public_timeline,
    components::timeline::{Timeline, TimelineSource},
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
                        Ok(page) => view! { <Timeline page source=TimelineSource::Public/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
