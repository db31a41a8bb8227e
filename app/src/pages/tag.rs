use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Link;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        saved::{following_tag, FollowTag},
        timeline::tag_timeline,
    },
    components::{
        loading::Loading,
        meta::PageMeta,
        timeline::{Timeline, TimelineSource},
    },
};

/// `/tags/{name}`: public thoughts with a tag.
#[component]
pub fn TagPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let tag = Memo::new(move |_| params.read().get("tag").unwrap_or_default().to_lowercase());
    let before = Memo::new(move |_| query.read().get("before"));
    // The tag travels with its page, so nothing reads a signal once the render has moved on.
    let page = Resource::new(
        move || (tag.get(), before.get()),
        |(tag, before)| async move {
            let page = tag_timeline(tag.clone(), before).await?;
            let following = following_tag(tag.clone()).await?;
            Ok::<_, crate::error::AppError>((tag, page, following))
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((tag, page, following)) => view! {
                        <PageMeta title=format!("#{tag}") path=format!("/tags/{tag}")
                                  description=format!("Public thoughts tagged #{tag} on Thoughtspace.")/>
                        <Link rel="alternate" type_="application/atom+xml" title=format!("#{tag} on Thoughtspace") href=format!("/tags/{tag}/feed.atom")/>
                        <section class="timeline" aria-labelledby="timeline-heading">
                            <h1 id="timeline-heading">"#"{tag.clone()}</h1>
                            {following.map(|following| view! { <FollowTagButton tag=tag.clone() following/> })}
                            <Timeline page source=TimelineSource::Tag { tag }/>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Follow or unfollow a tag (a plain form: the page comes back with the change).
#[component]
fn FollowTagButton(tag: String, following: bool) -> impl IntoView {
    let action = ServerAction::<FollowTag>::new();
    view! {
        <ActionForm action attr:class="inline-form follow-tag">
            <input type="hidden" name="tag" value=tag/>
            <input type="hidden" name="on" value=(!following).to_string()/>
            <button type="submit" class="button" class:secondary=following aria-pressed=following.to_string()>
                {if following { "Unfollow tag" } else { "Follow tag" }}
            </button>
        </ActionForm>
    }
}
