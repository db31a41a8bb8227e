use leptos::{form::ActionForm, prelude::*};

use crate::{
    api::{
        saved::SetBookmark,
        timeline::{DeleteThought, SetReaction},
    },
    components::form::{Fields, ServerForm},
    model::{shown_name, ThoughtView},
    text::{segments, Segment},
};

/// A thought's text with its #tags, @mentions and links made links. Everything else is
/// text (escaped), never HTML — except a remote note's HTML, which was cut down to a small
/// safe set of elements (ammonia, Mastodon's set) when it arrived.
#[component]
pub fn ThoughtText(content: String, #[prop(default = None)] html: Option<String>) -> impl IntoView {
    if let Some(html) = html {
        return view! { <div class="thought-content remote-content" inner_html=html></div> }
            .into_any();
    }
    let parts = segments(&content)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => text.to_owned().into_any(),
            Segment::Tag(tag) => {
                view! { <a class="tag" href=format!("/tags/{}", tag.to_lowercase())>"#"{tag.to_owned()}</a> }.into_any()
            }
            Segment::Mention(name) => {
                view! { <a class="mention" href=format!("/@{name}")>"@"{name.to_owned()}</a> }.into_any()
            }
            Segment::Link(url) => {
                view! { <a href=url.to_owned() rel="nofollow noopener noreferrer ugc" target="_blank">{url.to_owned()}</a> }
                    .into_any()
            }
        })
        .collect_view();
    view! { <p class="thought-content">{parts}</p> }.into_any()
}

/// The place of a thought up a thread that is not shown.
#[component]
pub fn AncestorPlaceholder(deleted: bool) -> impl IntoView {
    let note = if deleted {
        "This thought was deleted."
    } else {
        "This thought is not available."
    };
    view! { <article class="thought placeholder"><p>{note}</p></article> }
}

/// One thought in a list or thread.
#[component]
pub fn ThoughtCard(thought: ThoughtView, #[prop(optional)] focused: bool) -> impl IntoView {
    let name = shown_name(&thought.author_display_name, &thought.author_username).to_owned();
    // Absolute UTC time: the server and the browser must render the same text to hydrate.
    let when = thought.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let profile = format!("/@{}", thought.author_username);
    let href = thought.href();
    let (edit_href, history_href) = (format!("{href}/edit"), format!("{href}/history"));
    let visibility = match thought.visibility.as_str() {
        "followers" => Some("Followers only"),
        "private" => Some("Private"),
        _ => None,
    };
    let delete = ServerAction::<DeleteThought>::new();
    let bookmark = ServerAction::<SetBookmark>::new();
    let replies = match thought.reply_count {
        0 => "Reply".to_owned(),
        1 => "1 reply".to_owned(),
        n => format!("{n} replies"),
    };
    view! {
        <article class="thought" class:focused=focused>
            {thought.boosted_by.clone().map(|booster| view! {
                <p class="boosted-by">"↻ boosted by "<a href=format!("/@{booster}")>"@"{booster.clone()}</a></p>
            })}
            <header class="thought-meta">
                <a class="author-name" href=profile.clone()>{name}</a>
                " "
                <a class="author-handle" href=profile>"@"{thought.author_username.clone()}</a>
                " · "
                <a class="thought-time" href=href.clone()><time datetime=thought.created_at.to_rfc3339()>{when}</time></a>
                {thought.edited_at.map(|edited_at| view! {
                    " · "
                    <a class="edited" href=history_href title="See the edit history">
                        "edited "<time datetime=edited_at.to_rfc3339()>{edited_at.format("%Y-%m-%d %H:%M UTC").to_string()}</time>
                    </a>
                })}
                {visibility.map(|label| view! { " · " <span class="visibility">{label}</span> })}
            </header>
            {
                let text = view! { <ThoughtText content=thought.content.clone() html=thought.content_html.clone()/> };
                // A content warning (or a thought marked sensitive) is shown collapsed behind
                // it; `<details>` opens without JavaScript.
                let text = match (&thought.summary, thought.sensitive) {
                    (Some(warning), _) => view! {
                        <details class="content-warning">
                            <summary><span class="cw-label">"Content warning: "</span>{warning.clone()}</summary>
                            {text}
                        </details>
                    }.into_any(),
                    (None, true) => view! {
                        <details class="content-warning">
                            <summary>"Sensitive content"</summary>
                            {text}
                        </details>
                    }.into_any(),
                    (None, false) => text.into_any(),
                };
                if thought.filtered.is_empty() {
                    text
                } else {
                    // A `warn` filter matched: collapsed behind the filter's title, opened on demand.
                    let summary = format!("Filtered: {}", thought.filtered.iter().map(|warning| warning.title.as_str()).collect::<Vec<_>>().join(", "));
                    view! {
                        <details class="filtered">
                            <summary>{summary}</summary>
                            {text}
                        </details>
                    }.into_any()
                }
            }
            <footer class="thought-actions">
                <a href=href>{replies}</a>
                <ReactionButton id=thought.id reaction="like".into() active=thought.liked count=thought.like_count/>
                {(thought.visibility == "public").then(|| view! {
                    <ReactionButton id=thought.id reaction="boost".into() active=thought.boosted count=thought.boost_count/>
                })}
                // A plain form (no island): it posts and the page comes back with the change.
                <ActionForm action=bookmark attr:class="inline-form bookmark-form">
                    <input type="hidden" name="id" value=thought.id.to_string()/>
                    <input type="hidden" name="on" value=(!thought.bookmarked).to_string()/>
                    <button type="submit" class="link-button bookmark" class:active=thought.bookmarked
                            aria-pressed=thought.bookmarked.to_string()>
                        {if thought.bookmarked { "Bookmarked" } else { "Bookmark" }}
                    </button>
                </ActionForm>
                {thought.by_viewer.then(|| view! {
                    <a class="edit-link" href=edit_href>"Edit"</a>
                })}
                {thought.by_viewer.then(|| view! {
                    <ActionForm action=delete attr:class="inline-form">
                        <input type="hidden" name="id" value=thought.id.to_string()/>
                        <button type="submit" class="link-button danger">"Delete"</button>
                    </ActionForm>
                })}
            </footer>
        </article>
    }
    .into_any()
}

/// Like or boost as a form (works without JavaScript). In the browser the change shows at
/// once and is rolled back, with the reason, if the server refuses it.
#[island]
fn ReactionButton(id: uuid::Uuid, reaction: String, active: bool, count: i64) -> impl IntoView {
    let action = ServerAction::<SetReaction>::new();
    let active = RwSignal::new(active);
    let count = RwSignal::new(count);
    let problem = RwSignal::new(None::<String>);
    let flip = move |on: bool| {
        active.set(on);
        count.update(|count| *count += if on { 1 } else { -1 });
    };
    Effect::new(move |_| {
        if let Some(input) = action.input().get() {
            if input.on != active.get_untracked() {
                flip(input.on);
                problem.set(None);
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Err(error)) = action.value().get() {
            flip(!active.get_untracked());
            problem.set(Some(error.to_string()));
        }
    });
    let input = {
        let reaction = reaction.clone();
        move |_: &Fields| SetReaction {
            id: id.to_string(),
            reaction: reaction.clone(),
            on: !active.get_untracked(),
        }
    };
    let (label, done) = match reaction.as_str() {
        "boost" => ("Boost", "Boosted"),
        _ => ("Like", "Liked"),
    };
    view! {
        <ServerForm action input attr:class="inline-form reaction-form">
            <input type="hidden" name="id" value=id.to_string()/>
            <input type="hidden" name="reaction" value=reaction.clone()/>
            <input type="hidden" name="on" value=move || (!active.get()).to_string()/>
            <button type="submit" class=format!("reaction {reaction}") class:active=active
                    aria-pressed=move || active.get().to_string()>
                {move || if active.get() { done } else { label }}
                " "
                <span class="reaction-count">{count}</span>
            </button>
            {move || problem.get().map(|message| view! { <span class="field-error" role="alert">{message}</span> })}
        </ServerForm>
    }
}
