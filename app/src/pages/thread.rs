use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::{
    api::{accounts::current_viewer, timeline::get_thread},
    components::{
        composer::Composer,
        loading::Loading,
        thought::{AncestorPlaceholder, ThoughtCard},
    },
    error::AppError,
    model::{shown_name, Ancestor},
    pages::not_found::{Gone, NotFound},
};

/// `/@username/{id}`: a thought with the thread around it, and a reply box for members.
#[component]
pub fn ThreadPage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let params = params.read();
        (
            params.get("handle").unwrap_or_default(),
            params.get("id").unwrap_or_default(),
        )
    });
    let thread = Resource::new(
        move || key.get(),
        |(handle, id)| async move {
            let viewer = current_viewer().await?;
            match handle.strip_prefix('@') {
                Some(username) => get_thread(username.to_owned(), id)
                    .await
                    .map(|thread| (viewer, thread)),
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match thread.await {
                    Ok((viewer, thread)) => {
                        let name = shown_name(&thread.thought.author_display_name, &thread.thought.author_username).to_owned();
                        let title = format!("{name}: “{}”", thread.thought.content);
                        let parent = thread.thought.id;
                        view! {
                            <Title text=title.clone()/>
                            <Meta name="description" content=thread.thought.content.clone()/>
                            <Link rel="canonical" href=thread.canonical_url.clone()/>
                            <Meta property="og:type" content="article"/>
                            <Meta property="og:title" content=title/>
                            <Meta property="og:description" content=thread.thought.content.clone()/>
                            <Meta property="og:url" content=thread.canonical_url.clone()/>
                            <Meta name="twitter:card" content="summary"/>
                            {(thread.thought.visibility != "public").then(|| view! { <Meta name="robots" content="noindex"/> })}
                            <section class="thread" aria-labelledby="thread-heading">
                                <h1 id="thread-heading" class="visually-hidden">{format!("Thought by {name}")}</h1>
                                <ol class="thought-list ancestors">
                                    {thread.ancestors.into_iter().map(|ancestor| match ancestor {
                                        Ancestor::Shown(thought) => view! { <li><ThoughtCard thought=*thought/></li> }.into_any(),
                                        Ancestor::Deleted => view! { <li><AncestorPlaceholder deleted=true/></li> }.into_any(),
                                        Ancestor::Unavailable => view! { <li><AncestorPlaceholder deleted=false/></li> }.into_any(),
                                    }).collect_view()}
                                </ol>
                                <ThoughtCard thought=thread.thought focused=true/>
                                {viewer.is_some().then(|| view! { <Composer reply_to=parent token=uuid::Uuid::new_v4()/> })}
                                <h2 class="replies-heading">"Replies"</h2>
                                {if thread.replies.is_empty() {
                                    view! { <p class="empty">"No replies yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <ol class="thought-list replies">
                                            {thread.replies.into_iter().map(|thought| view! { <li><ThoughtCard thought/></li> }).collect_view()}
                                        </ol>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(AppError::Gone) => view! { <Gone/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
