//! What islands ask of `navigation.js`, the script that moves between pages without
//! reloading the document: to show the current page again with fresh content (after a
//! change it shows, e.g. a posted thought or an accepted follow), or to go to another page
//! (where a server function redirects). Both are window events, so an island never depends
//! on the script having loaded first; without it, the browser loads the page itself.

/// Shows the current page again, fresh from the server, keeping the scroll position.
pub fn refresh() {
    #[cfg(feature = "hydrate")]
    if !ask("thoughtspace:refresh", None) {
        let _ = leptos::prelude::window().location().reload();
    }
}

/// Goes to `url` (a path on this site), as following a link would. Anything that is not a
/// safe local path (a server function's redirect is one) is not followed.
pub fn visit(url: &str) {
    #[cfg(feature = "hydrate")]
    if crate::api::accounts::local_path(Some(url)) == url && !ask("thoughtspace:visit", Some(url)) {
        let _ = leptos::prelude::window().location().assign(url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// Sends `event` (with `url` as its detail); false if navigation.js is not there to hear it.
#[cfg(feature = "hydrate")]
fn ask(event: &str, url: Option<&str>) -> bool {
    use leptos::prelude::window;
    let window = window();
    if !js_sys::Reflect::has(&window, &"thoughtspaceNavigation".into()).unwrap_or(false) {
        return false;
    }
    let init = web_sys::CustomEventInit::new();
    if let Some(url) = url {
        init.set_detail(&url.into());
    }
    web_sys::CustomEvent::new_with_event_init_dict(event, &init)
        .and_then(|event| window.dispatch_event(&event))
        .is_ok()
}

/// Server functions that answer with a redirect (logging in, signing up) lead there
/// through the same navigation as links.
#[cfg(feature = "hydrate")]
pub fn follow_server_redirects() {
    let _ = server_fn::redirect::set_redirect_hook(visit);
}
