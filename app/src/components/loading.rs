use leptos::prelude::*;

/// What a page shows while its data loads for the first time: a placeholder as tall as a
/// typical page's first screen (style/), so the content arriving does not push things
/// around. Later reloads of the same page keep the old content instead (`Transition`).
#[component]
pub fn Loading(#[prop(default = "Loading…")] label: &'static str) -> impl IntoView {
    view! { <p class="loading" aria-busy="true" role="status">{label}</p> }
}
