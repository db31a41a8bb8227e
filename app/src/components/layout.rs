use leptos::{form::ActionForm, prelude::*};
use leptos_router::hooks::use_location;

use crate::{
    api::accounts::{current_viewer, LogOut},
    components::live::LiveUpdates,
    SITE_NAME,
};

/// The header on every page: skip link, site name, navigation for visitors or members.
/// Rendered on the server; only the unread badge runs in the browser.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let path = use_location().pathname.get_untracked();
    let log_out = ServerAction::<LogOut>::new();
    let viewer = Resource::new(|| (), |_| current_viewer());

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="site-name" href="/">{SITE_NAME}</a>
            <form class="search-form" action="/search" method="get" role="search">
                <label for="site-search" class="visually-hidden">"Search"</label>
                <input id="site-search" type="search" name="q" placeholder="Search people, #tags, thoughts"/>
            </form>
            <nav aria-label="Main">
                {nav_link(&path, "/".into(), "Home")}
                {nav_link(&path, "/public".into(), "Public")}
                <Suspense fallback=|| ()>
                    {move || { let path = path.clone(); Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(viewer)) => view! {
                                <a href="/notifications" aria-current=current(&path, "/notifications")>
                                    "Notifications"
                                    <UnreadBadge unread=viewer.unread username=viewer.username.clone()/>
                                </a>
                                {nav_link(&path, "/lists".into(), "Lists")}
                                {nav_link(&path, "/bookmarks".into(), "Bookmarks")}
                                {nav_link(&path, format!("/@{}", viewer.username), "My profile")}
                                {nav_link(&path, "/settings".into(), "Settings")}
                                <ActionForm action=log_out attr:class="inline-form">
                                    <button type="submit" class="link-button">"Log out"</button>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <a href="/login">"Log in"</a>
                                <a href="/signup" class="nav-button">"Sign up"</a>
                            }.into_any(),
                        }
                    })}}
                </Suspense>
            </nav>
        </header>
        // Filled by navigation.js after a page change (with the new page's title), so
        // screen readers hear where they landed.
        <p id="page-announcer" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true"></p>
    }
}

/// A link in the main navigation; the current page's says so.
fn nav_link(path: &str, href: String, label: &'static str) -> impl IntoView {
    view! { <a aria-current=current(path, &href) href=href>{label}</a> }
}

fn current(path: &str, href: &str) -> Option<&'static str> {
    (path == href).then_some("page")
}

/// The unread count on the Notifications link, kept current by the tab's event stream,
/// which also puts it at the front of the document title ("(2) Home · Thoughtspace").
#[island]
fn UnreadBadge(unread: i64, username: String) -> impl IntoView {
    let live = LiveUpdates::connect(Some(username));
    let unread = move || live.and_then(|live| live.unread.get()).unwrap_or(unread);
    view! {
        <span class="unread-slot">
            {move || (unread() > 0).then(|| view! {
                <span class="unread-badge" aria-label=format!("{} unread", unread())>{unread()}</span>
            })}
        </span>
    }
}
