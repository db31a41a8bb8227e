//! Back and forward return to where the reader was. The browser's own restoration runs the
//! moment the history entry changes, while the page it returns to is still loading its
//! data, so it lands short; this remembers each page's position and restores it once the
//! page is tall enough again.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use wasm_bindgen::{closure::Closure, JsCast};

/// How long a returning page may take to grow tall enough before we settle for less.
const RESTORE_WITHIN_MS: f64 = 3000.0;

#[derive(Default)]
struct Positions {
    /// The last scroll position of each page (path and query) seen in this tab.
    by_page: HashMap<String, f64>,
    /// Set while a position is being restored: the scroll events that restoring (and the
    /// page growing) cause must not overwrite what is being restored.
    restoring: Option<f64>,
}

pub fn keep_positions() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let positions = Rc::new(RefCell::new(Positions::default()));

    let on_scroll = {
        let positions = Rc::clone(&positions);
        Closure::<dyn Fn()>::new(move || {
            let Some(window) = web_sys::window() else {
                return;
            };
            let mut positions = positions.borrow_mut();
            if positions.restoring.is_none() {
                let y = window.scroll_y().unwrap_or(0.0);
                positions.by_page.insert(current_page(&window), y);
            }
        })
    };
    let on_popstate = {
        let positions = Rc::clone(&positions);
        Closure::<dyn Fn()>::new(move || {
            let Some(window) = web_sys::window() else {
                return;
            };
            let target = positions.borrow().by_page.get(&current_page(&window)).copied();
            if let Some(target) = target {
                positions.borrow_mut().restoring = Some(target);
                let started = now(&window);
                // From the next frame: the page being left may still be on screen now.
                let positions = Rc::clone(&positions);
                let first = Closure::once_into_js(move || restore(positions, target, started));
                let _ = window.request_animation_frame(first.unchecked_ref());
            }
        })
    };
    let options = web_sys::AddEventListenerOptions::new();
    options.set_passive(true);
    let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
        "scroll",
        on_scroll.as_ref().unchecked_ref(),
        &options,
    );
    let _ = window.add_event_listener_with_callback("popstate", on_popstate.as_ref().unchecked_ref());
    // Both listeners live as long as the page.
    on_scroll.forget();
    on_popstate.forget();
}

/// Scrolls to `target` once the page can show it; tries again every frame until then.
fn restore(positions: Rc<RefCell<Positions>>, target: f64, started: f64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let reachable = if app::components::loading::page_is_loading() { 0.0 } else { max_scroll(&window) };
    let expired = now(&window) - started > RESTORE_WITHIN_MS;
    // A newer back/forward took over.
    if positions.borrow().restoring != Some(target) {
        return;
    }
    if reachable >= target || expired {
        window.scroll_to_with_x_and_y(0.0, target.min(reachable));
        // The scroll event of that jump comes at the next frame; record from then on.
        let next = Closure::once_into_js(move || positions.borrow_mut().restoring = None);
        let _ = window.request_animation_frame(next.unchecked_ref());
        return;
    }
    let again = Closure::once_into_js(move || restore(positions, target, started));
    let _ = window.request_animation_frame(again.unchecked_ref());
}

fn current_page(window: &web_sys::Window) -> String {
    let location = window.location();
    format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default())
}

fn max_scroll(window: &web_sys::Window) -> f64 {
    let height = window
        .document()
        .and_then(|document| document.document_element())
        .map(|root| f64::from(root.scroll_height()))
        .unwrap_or(0.0);
    let viewport = window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0);
    (height - viewport).max(0.0)
}

fn now(window: &web_sys::Window) -> f64 {
    window.performance().map(|performance| performance.now()).unwrap_or(0.0)
}
