use leptos::{form::ActionForm, prelude::*};
use leptos_router::hooks::use_location;

use crate::{
    api::accounts::{current_viewer, LogOut},
    SITE_NAME,
};

/// The header on every page: skip link, site name, navigation for visitors or members.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let location = use_location();
    let log_out = ServerAction::<LogOut>::new();
    // Asked again after every navigation (logging in or out ends in one) and every log-out.
    let viewer = Resource::new(move || (location.pathname.get(), log_out.version().get()), |_| current_viewer());

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="site-name" href="/">{SITE_NAME}</a>
            <form class="search-form" action="/search" method="get" role="search">
                <label for="site-search" class="visually-hidden">"Search"</label>
                <input id="site-search" type="search" name="q" placeholder="Search people, #tags, thoughts"/>
            </form>
            <nav aria-label="Main">
                <a href="/">"Home"</a>
                <a href="/public">"Public"</a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(viewer)) => view! {
                                <a href="/notifications">
                                    "Notifications"
                                    {(viewer.unread > 0).then(|| view! {
                                        <span class="unread-badge" aria-label=format!("{} unread", viewer.unread)>{viewer.unread}</span>
                                    })}
                                </a>
                                <a href=format!("/@{}", viewer.username)>"My profile"</a>
                                <a href="/settings">"Settings"</a>
                                <ActionForm action=log_out attr:class="inline-form">
                                    <button type="submit" class="link-button">"Log out"</button>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <a href="/login">"Log in"</a>
                                <a href="/signup" class="nav-button">"Sign up"</a>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}
