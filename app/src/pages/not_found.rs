use leptos::prelude::*;
use leptos_meta::{Meta, Title};

/// Any unknown URL: a real page, sent with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <Meta name="robots" content="noindex"/>
        <section class="not-found">
            <h1>"Nothing here"</h1>
            <p>"This page does not exist, or no longer does. "<a href="/">"Back home"</a></p>
        </section>
    }
}

/// A thought that was deleted: sent with status 410 (the server function that found it set it).
#[component]
pub fn Gone() -> impl IntoView {
    view! {
        <Title text="Deleted"/>
        <Meta name="robots" content="noindex"/>
        <section class="not-found">
            <h1>"This thought was deleted"</h1>
            <p>"Its author removed it. "<a href="/">"Back home"</a></p>
        </section>
    }
}
