use leptos::prelude::*;

use crate::model::ThoughtView;

/// One thought in a list. Text is rendered as text (escaped), never as HTML.
#[component]
pub fn ThoughtCard(thought: ThoughtView) -> impl IntoView {
    let name = thought
        .author_display_name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| thought.author_username.clone());
    // Absolute UTC time: the server and the browser must render the same text to hydrate.
    let when = thought.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
    view! {
        <article class="thought">
            <header class="thought-meta">
                <span class="author-name">{name}</span>
                " "
                <span class="author-handle">"@"{thought.author_username}</span>
                " · "
                <time datetime=thought.created_at.to_rfc3339()>{when}</time>
            </header>
            <p class="thought-content">{thought.content}</p>
        </article>
    }
}
