//! The head tags of a public page for crawlers and link previews: title, description,
//! canonical link, OpenGraph and Twitter card tags.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};

use crate::SITE_NAME;

/// The absolute address of `path` on this site: the configured public URL on the server, the
/// page's own origin in the browser (the same site behind its proxy).
pub fn absolute(path: &str) -> String {
    #[cfg(feature = "ssr")]
    let origin = use_context::<crate::backend::Backend>()
        .map(|backend| backend.public_url)
        .unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let origin = web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}{path}")
}

/// `title` (empty: the site name alone), `description`, and the page's `path`.
#[component]
pub fn PageMeta(
    #[prop(into)] title: String,
    #[prop(into)] description: String,
    #[prop(into)] path: String,
) -> impl IntoView {
    let url = absolute(&path);
    let shown = if title.is_empty() {
        SITE_NAME.to_owned()
    } else {
        format!("{title} · {SITE_NAME}")
    };
    view! {
        <Title text=title/>
        <Meta name="description" content=description.clone()/>
        <Link rel="canonical" href=url.clone()/>
        <Meta property="og:type" content="website"/>
        <Meta property="og:site_name" content=SITE_NAME/>
        <Meta property="og:title" content=shown.clone()/>
        <Meta property="og:description" content=description.clone()/>
        <Meta property="og:url" content=url/>
        <Meta name="twitter:card" content="summary"/>
        <Meta name="twitter:title" content=shown/>
        <Meta name="twitter:description" content=description/>
    }
}
