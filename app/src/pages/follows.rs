use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_location, use_params_map};

use crate::{
    api::profiles::list_follows,
    components::{avatar::PersonList, loading::Loading},
    error::AppError,
    pages::not_found::NotFound,
};

/// `/@username/followers` and `/@username/following`.
#[component]
pub fn FollowsPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let key = Memo::new(move |_| {
        let handle = params.read().get("handle").unwrap_or_default();
        let direction = location
            .pathname
            .read()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        (handle, direction)
    });
    // The address travels with the list, so nothing reads a signal once the render has moved on.
    let people = Resource::new(
        move || key.get(),
        |(handle, direction)| async move {
            match handle.strip_prefix('@') {
                Some(username) => list_follows(username.to_owned(), direction.clone())
                    .await
                    .map(|people| (handle, direction, people)),
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match people.await {
                    Ok((handle, direction, people)) => {
                        let heading = if direction == "followers" { format!("Followers of {handle}") } else { format!("Followed by {handle}") };
                        view! {
                        <Title text=heading.clone()/>
                        <Meta name="robots" content="noindex"/>
                        <h1>{heading}</h1>
                        <p><a href=format!("/{handle}")>"Back to the profile"</a></p>
                        {if people.is_empty() {
                            view! { <p class="empty">"Nobody yet."</p> }.into_any()
                        } else {
                            view! { <PersonList people class="card"/> }.into_any()
                        }}
                    }.into_any()
                    }
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
