use leptos::prelude::*;

use crate::model::{shown_name, ThoughtView};

/// One thought in a list. Text is rendered as text (escaped), never as HTML.
#[component]
pub fn ThoughtCard(thought: ThoughtView) -> impl IntoView {
    let name = shown_name(&thought.author_display_name, &thought.author_username).to_owned();
    // Absolute UTC time: the server and the browser must render the same text to hydrate.
    let when = thought.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let profile = format!("/@{}", thought.author_username);
    view! {
        <article class="thought">
            <header class="thought-meta">
                <a class="author-name" href=profile.clone()>{name}</a>
                " "
                <a class="author-handle" href=profile>"@"{thought.author_username}</a>
                " · "
                <time datetime=thought.created_at.to_rfc3339()>{when}</time>
            </header>
            <p class="thought-content">{thought.content}</p>
        </article>
    }
}
