use leptos::{form::ActionForm, prelude::*};
use leptos_router::{components::A, hooks::use_location};

use crate::{
    api::accounts::{current_viewer, LogOut},
    components::live::LiveUpdates,
    SITE_NAME,
};

/// The header on every page: skip link, site name, navigation for visitors or members.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let location = use_location();
    let log_out = ServerAction::<LogOut>::new();
    // Asked again after every navigation (logging in or out ends in one) and every log-out.
    let viewer = Resource::new(move || (location.pathname.get(), log_out.version().get()), |_| current_viewer());
    let live = LiveUpdates::get();
    // Who the page is for, once known (`None` while still asking): the live stream follows it.
    let identity = RwSignal::new(None::<Option<String>>);
    Effect::new(move |_| {
        if let Some(Ok(viewer)) = viewer.get() {
            let known = Some(viewer.map(|viewer| viewer.username));
            if identity.with_untracked(|current| *current != known) {
                identity.set(known);
            }
        }
    });
    if let Some(live) = live {
        live.follow(identity.into());
    }

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="site-name" href="/">{SITE_NAME}</a>
            <form class="search-form" action="/search" method="get" role="search">
                <label for="site-search" class="visually-hidden">"Search"</label>
                <input id="site-search" type="search" name="q" placeholder="Search people, #tags, thoughts"/>
            </form>
            <nav aria-label="Main">
                // `A` marks the current page's link (aria-current="page").
                <A href="/" exact=true>"Home"</A>
                <A href="/public" exact=true>"Public"</A>
                // Asked again on every navigation: the old links stay meanwhile.
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(viewer)) => {
                                // The stream's count once it speaks; the rendered one until then.
                                let unread = move || live.and_then(|live| live.unread.get()).unwrap_or(viewer.unread);
                                view! {
                                <A href="/notifications">
                                    "Notifications"
                                    {move || (unread() > 0).then(|| view! {
                                        <span class="unread-badge" aria-label=format!("{} unread", unread())>{unread()}</span>
                                    })}
                                </A>
                                <A href=format!("/@{}", viewer.username) exact=true>"My profile"</A>
                                <A href="/settings">"Settings"</A>
                                <ActionForm action=log_out attr:class="inline-form">
                                    <button type="submit" class="link-button">"Log out"</button>
                                </ActionForm>
                            }.into_any()},
                            _ => view! {
                                <a href="/login">"Log in"</a>
                                <a href="/signup" class="nav-button">"Sign up"</a>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}

/// After moving to another page in the app, keyboard and screen-reader users land where a
/// full page load would put them: focus goes to the page's content (`<main>`, without
/// scrolling: back and forward restore positions), and a polite live region reads the new
/// page's title once its content has loaded.
#[component]
pub fn PageChangeAnnouncer() -> impl IntoView {
    let location = use_location();
    let announcement = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |previous: Option<String>| {
        let page = format!("{}{}", location.pathname.get(), location.search.get());
        if previous.is_some_and(|previous| previous != page) {
            announce::after_load(announcement);
        }
        page
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = location;
    view! { <p class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">{announcement}</p> }
}

#[cfg(feature = "hydrate")]
mod announce {
    use leptos::prelude::{document, request_animation_frame, RwSignal, Set};
    use wasm_bindgen::JsCast;

    /// How many frames (about 5 s) a page may take to load before it is announced anyway.
    const FRAMES: u32 = 300;

    pub fn after_load(announcement: RwSignal<String>) {
        if let Some(main) = document().get_element_by_id("main").and_then(|main| main.dyn_into::<web_sys::HtmlElement>().ok()) {
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = main.focus_with_options(&options);
        }
        wait(announcement, FRAMES);
    }

    fn wait(announcement: RwSignal<String>, frames_left: u32) {
        if crate::components::loading::page_is_loading() && frames_left > 0 {
            request_animation_frame(move || wait(announcement, frames_left - 1));
        } else {
            // The title is set by the page once loaded.
            request_animation_frame(move || announcement.set(document().title()));
        }
    }
}
