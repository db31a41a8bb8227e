//! Thoughtspace's user interface and its server-side rules.
//!
//! - `pages/`: one module per route (what a URL shows).
//! - `components/`: pieces the pages share.
//! - `api/`: server functions, the only door from the browser to the server.
//! - `backend/` (feature `ssr` only): the rules (visibility, blocks, validation,
//!   notifications) and their SQL. Server functions, the client API and the federation
//!   inbox in `server/` all call these; nothing else writes to the database.
//! - `model`: the plain data both sides exchange.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod text;

#[cfg(feature = "ssr")]
pub mod backend;

#[cfg(test)]
mod generators;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// Site name, used in titles and metadata.
pub const SITE_NAME: &str = "Thoughtspace";

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Islands: only the interactive parts of a page run in the browser.
                <HydrationScripts options islands=true/>
                // Moves between pages without reloading the document (links, forms, history).
                <script type="module" src="/pkg/navigation.js" nonce=leptos::nonce::use_nonce()></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: the same component tree renders on the server and hydrates in the browser.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="thoughtspace" href="/pkg/thoughtspace.css"/>
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Link rel="manifest" href="/manifest.webmanifest"/>
        <Link rel="apple-touch-icon" href="/icon-192.png"/>
        <Meta name="theme-color" content="#3b5998"/>
        // The unread count is put in front by the browser, as the live stream reports it.
        <Title formatter=page_title/>
        // Pages render in full before the first byte (SsrMode::Async): crawlers, link previews
        // and browsers without JavaScript get complete HTML, not streamed fragments.
        <Router>
            <components::layout::SiteHeader/>
            // Focusable from script (not by Tab): page changes move focus here.
            <main id="main" tabindex="-1">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=pages::home::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=pages::signup::SignUpPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=pages::settings::SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/mutes") view=pages::safety::MutesPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/filters") view=pages::safety::FiltersPage ssr=SsrMode::Async/>
                    <Route path=path!("/follow_requests") view=pages::safety::FollowRequestsPage ssr=SsrMode::Async/>
                    <Route path=path!("/public") view=pages::home::PublicPage ssr=SsrMode::Async/>
                    <Route path=path!("/notifications") view=pages::notifications::NotificationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/search") view=pages::search::SearchPage ssr=SsrMode::Async/>
                    <Route path=path!("/bookmarks") view=pages::bookmarks::BookmarksPage ssr=SsrMode::Async/>
                    <Route path=path!("/lists") view=pages::lists::ListsPage ssr=SsrMode::Async/>
                    <Route path=path!("/lists/:id") view=pages::lists::ListPage ssr=SsrMode::Async/>
                    <Route path=path!("/tags/:tag") view=pages::tag::TagPage ssr=SsrMode::Async/>
                    <Route path=path!("/:handle/followers") view=pages::follows::FollowsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:handle/following") view=pages::follows::FollowsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:handle/:id/edit") view=pages::edit::EditThoughtPage ssr=SsrMode::Async/>
                    <Route path=path!("/:handle/:id/history") view=pages::edit::ThoughtHistoryPage ssr=SsrMode::Async/>
                    <Route path=path!("/:handle/:id") view=pages::thread::ThreadPage ssr=SsrMode::Async/>
                    // `/@username`; other single segments fall through to NotFound inside.
                    <Route path=path!("/:handle") view=pages::profile::ProfilePage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// The document title for a page, after the number of unread notifications when there are
/// any ("(2) Home · Thoughtspace"). leptos_meta writes `<title>` text unescaped during SSR,
/// and user text (display names) goes into titles: `<` becomes `‹`, so no title can close
/// the element early.
fn page_title(page: String) -> String {
    let title = if page.is_empty() {
        SITE_NAME.to_string()
    } else {
        format!("{page} · {SITE_NAME}")
    };
    title.replace('<', "‹")
}

/// `title` led by the number of unread notifications when there are any; a count it
/// already had is replaced.
pub fn with_unread(title: &str, unread: i64) -> String {
    let page = match title
        .strip_prefix('(')
        .and_then(|rest| rest.split_once(") "))
    {
        Some((count, page)) if !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()) => {
            page
        }
        _ => title,
    };
    if unread > 0 {
        format!("({unread}) {page}")
    } else {
        page.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{page_title, with_unread};

    #[test]
    fn titles_name_the_page_and_the_site_and_cannot_close_the_element() {
        assert_eq!(page_title(String::new()), "Thoughtspace");
        assert_eq!(page_title("Public".into()), "Public · Thoughtspace");
        assert_eq!(
            page_title("</title><script>".into()),
            "‹/title>‹script> · Thoughtspace"
        );
    }

    #[test]
    fn the_unread_count_leads_the_title_once() {
        assert_eq!(
            with_unread("Public · Thoughtspace", 3),
            "(3) Public · Thoughtspace"
        );
        assert_eq!(
            with_unread("(3) Public · Thoughtspace", 4),
            "(4) Public · Thoughtspace"
        );
        assert_eq!(
            with_unread("(3) Public · Thoughtspace", 0),
            "Public · Thoughtspace"
        );
        assert_eq!(with_unread("(yes) Public", 1), "(1) (yes) Public");
        assert_eq!(with_unread("() Public", 0), "() Public");
    }
}
