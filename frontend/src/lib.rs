//! The browser entry point: the JS glue calls `hydrate()` once the WASM is loaded, and the
//! server-rendered page becomes the live app.

#![recursion_limit = "256"]

mod scroll;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    scroll::keep_positions();
    register_service_worker();
}

/// The service worker (`/sw.js`) makes the app installable and shows the offline page when
/// the network is gone. Registered after hydration, so it never delays the first page.
fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
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
