//! Each page `navigation.js` shows gets its own reactive owner, and its islands hydrate
//! under it: when the page is let go (it fell out of the pages kept for back and forward,
//! or a fresh copy replaced it), its islands' effects, signals and cleanups go with it.
//! Leptos itself hydrates islands under one owner that lives as long as the tab.

use std::{cell::RefCell, collections::HashMap};

use leptos::prelude::Owner;
use wasm_bindgen::prelude::wasm_bindgen;

#[derive(Default)]
struct Pages {
    /// The owner `hydrate_islands` made for the tab; every page's is a child of it.
    root: Option<Owner>,
    last_id: u32,
    live: HashMap<u32, Owner>,
}

thread_local!(static PAGES: RefCell<Pages> = RefCell::new(Pages::default()));

/// The first page's owner, made current for the islands the loader hydrates next.
pub fn start() -> u32 {
    PAGES.with_borrow_mut(|pages| pages.root = Owner::current());
    begin_page()
}

/// A new page's owner, made current: its islands hydrate next.
#[wasm_bindgen]
pub fn begin_page() -> u32 {
    PAGES.with_borrow_mut(|pages| {
        let Some(root) = &pages.root else { return 0 };
        let owner = root.child();
        owner.set();
        pages.last_id += 1;
        pages.live.insert(pages.last_id, owner);
        pages.last_id
    })
}

/// Makes page `id`'s owner current again (islands of a timeline page appended to it).
#[wasm_bindgen]
pub fn enter_page(id: u32) {
    PAGES.with_borrow(|pages| {
        if let Some(owner) = pages.live.get(&id) {
            owner.set();
        }
    });
}

/// Lets page `id` go, with everything its islands made.
#[wasm_bindgen]
pub fn end_page(id: u32) {
    // Out of the borrow first: cleanups may run island code.
    let owner = PAGES.with_borrow_mut(|pages| pages.live.remove(&id));
    if let Some(owner) = owner {
        owner.cleanup();
    }
}
