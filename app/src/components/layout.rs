use leptos::prelude::*;

use crate::SITE_NAME;

/// The header on every page: skip link, site name, navigation.
#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="site-name" href="/">{SITE_NAME}</a>
            <nav aria-label="Main">
                <a href="/">"Home"</a>
            </nav>
        </header>
    }
}
