//! The browser entry point. Pages are rendered on the server; only their islands (the
//! `#[island]` components of `app`: buttons, forms, live counts) run here. Leptos' loader
//! calls `hydrate()` once the WASM is in, then hydrates each island on the page;
//! `navigation.js` (beside this bundle) hydrates those of every page it brings in.

#![recursion_limit = "256"]

mod pages;

use wasm_bindgen::JsCast;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    let first_page = pages::start();
    // navigation.js hydrates the islands of the pages it brings in from now on (before,
    // the loader hydrates whatever page is shown), under the first page's owner until then.
    let _ = js_sys::Reflect::set(
        &leptos::prelude::window(),
        &"thoughtspaceFirstPage".into(),
        &first_page.into(),
    );
    app::components::navigation::follow_server_redirects();
    register_service_worker();
    mark_hydrated();
}

/// Sets `data-hydrated` on `<html>` once the page's islands are live, so browser tests (and
/// styles) can tell a live page from its server-rendered HTML. The islands hydrate right
/// after this function returns, so the mark waits for the next task.
fn mark_hydrated() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let mark = wasm_bindgen::closure::Closure::once_into_js(|| {
        if let Some(root) = web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.document_element())
        {
            let _ = root.set_attribute("data-hydrated", "");
        }
    });
    let _ = window.set_timeout_with_callback(mark.unchecked_ref());
}

/// The service worker (`/sw.js`) makes the app installable and shows the offline page when
/// the network is gone. Registered after hydration, so it never delays the first page.
fn register_service_worker() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    // Only secure contexts (https, localhost) have service workers.
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    // A failed registration leaves the site working as before; it is not an error to report.
    let ignore = wasm_bindgen::closure::Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(|_| {});
    let _ = navigator.service_worker().register("/sw.js").catch(&ignore);
    ignore.forget();
}
