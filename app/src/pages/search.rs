use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    api::notifications::search,
    components::{avatar::PersonList, loading::Loading, thought::ThoughtCard},
};

/// `/search?q=…`: people, tags and thoughts.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    // The query travels with its results, so nothing reads a signal once the render has moved on.
    let results = Resource::new(
        move || q.get(),
        |q| async move { search(q.clone()).await.map(|found| (q, found)) },
    );
    view! {
        <Meta name="robots" content="noindex"/>
        <h1>"Search"</h1>
        <Transition fallback=|| view! { <Loading label="Searching…"/> }>
            {move || Suspend::new(async move {
                let results = results.await.map(|(q, found)| {
                    (view! { <Title text=format!("Search: {q}")/> }, found)
                });
                let (title, results) = match results {
                    Ok((title, found)) => (Some(title), Ok(found)),
                    Err(error) => (None, Err(error)),
                };
                let body = match results {
                    Ok(found) if found.people.is_empty() && found.tags.is_empty() && found.thoughts.is_empty() => {
                        view! { <p class="empty">"Nothing found."</p> }.into_any()
                    }
                    Ok(found) => view! {
                        {(!found.people.is_empty()).then(|| view! {
                            <section aria-labelledby="people-heading" class="card">
                                <h2 id="people-heading">"People"</h2>
                                <PersonList people=found.people/>
                            </section>
                        })}
                        {(!found.tags.is_empty()).then(|| view! {
                            <section aria-labelledby="tags-heading" class="card">
                                <h2 id="tags-heading">"Tags"</h2>
                                <ul class="tag-list">
                                    {found.tags.into_iter().map(|tag| view! { <li><a href=format!("/tags/{tag}")>"#"{tag.clone()}</a></li> }).collect_view()}
                                </ul>
                            </section>
                        })}
                        {(!found.thoughts.is_empty()).then(|| view! {
                            <section aria-labelledby="thoughts-heading">
                                <h2 id="thoughts-heading">"Thoughts"</h2>
                                <ol class="thought-list">
                                    {found.thoughts.into_iter().map(|thought| view! { <li><ThoughtCard thought/></li> }).collect_view()}
                                </ol>
                            </section>
                        })}
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                };
                view! { {title}{body} }
            })}
        </Transition>
    }
}
