use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        accounts::current_viewer,
        timeline::{home_timeline, public_timeline},
    },
    components::{
        composer::Composer,
        loading::Loading,
        meta::PageMeta,
        timeline::{Timeline, TimelineSource},
    },
};

/// `/`: for members, the composer and their home timeline; for visitors, the newest public
/// thoughts.
#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let before = Memo::new(move |_| query.read().get("before"));
    let feed = Resource::new(
        move || before.get(),
        |before| async move {
            match current_viewer().await? {
                Some(_) => home_timeline(before)
                    .await
                    .map(|page| (TimelineSource::Home, page)),
                None => public_timeline(before)
                    .await
                    .map(|page| (TimelineSource::Public, page)),
            }
        },
    );

    view! {
        <PageMeta title="" path="/"
                  description="Thoughtspace: short thoughts, Top Friends and your own profile style, on the fediverse."/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match feed.await {
                    Ok((TimelineSource::Home, page)) => view! {
                        <Composer token=uuid::Uuid::new_v4()/>
                        <section class="timeline" aria-labelledby="timeline-heading">
                            <h1 id="timeline-heading">"Home"</h1>
                            <Timeline page source=TimelineSource::Home
                                      empty="Nothing here yet: post a thought, or follow people to see theirs."/>
                        </section>
                    }.into_any(),
                    Ok((source, page)) => view! {
                        <section class="timeline" aria-labelledby="timeline-heading">
                            <h1 id="timeline-heading">"Latest thoughts"</h1>
                            <Timeline page source/>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/public`: everyone's public thoughts.
#[component]
pub fn PublicPage() -> impl IntoView {
    let query = use_query_map();
    let before = Memo::new(move |_| query.read().get("before"));
    let page = Resource::new(move || before.get(), public_timeline);
    view! {
        <PageMeta title="Public" path="/public" description="The newest public thoughts on Thoughtspace."/>
        <section class="timeline" aria-labelledby="timeline-heading">
            <h1 id="timeline-heading">"Public thoughts"</h1>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <Timeline page source=TimelineSource::Public/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
