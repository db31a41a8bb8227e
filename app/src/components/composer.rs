use leptos::{form::ActionForm, html, prelude::*};

use crate::{
    api::timeline::PostThought,
    components::form::FieldError,
    text::{char_count, MAX_THOUGHT_CHARS},
};

/// The box to write a thought (or a reply), with a live count of what is left.
#[component]
pub fn Composer(
    action: ServerAction<PostThought>,
    #[prop(optional)] reply_to: Option<uuid::Uuid>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let text = RwSignal::new(String::new());
    let remaining = move || MAX_THOUGHT_CHARS as i64 - char_count(&text.get()) as i64;
    let input = NodeRef::<html::Textarea>::new();
    // A posted thought empties the box.
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            text.set(String::new());
            if let Some(input) = input.get_untracked() {
                input.set_value("");
            }
        }
    });
    let (id, label, placeholder) = match reply_to {
        Some(_) => ("reply-content", "Your reply", "Write a reply…"),
        None => ("content", "New thought", "What’s on your mind?"),
    };
    view! {
        <ActionForm action attr:class="composer card">
            <label for=id class="visually-hidden">{label}</label>
            <textarea id=id name="content" rows="3" placeholder=placeholder node_ref=input required=true
                      aria-describedby=format!("{id}-count")
                      on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <FieldError error name="content"/>
            <FieldError error name="reply_to"/>
            {reply_to.map(|parent| view! { <input type="hidden" name="reply_to" value=parent.to_string()/> })}
            <div class="composer-bar">
                <label class="visually-hidden" for=format!("{id}-visibility")>"Who can see it"</label>
                <select id=format!("{id}-visibility") name="visibility">
                    <option value="public">"Public"</option>
                    <option value="followers">"Followers only"</option>
                    <option value="private">"Only people mentioned"</option>
                </select>
                <span id=format!("{id}-count") class="char-count" class:over=move || remaining() < 0 aria-live="polite">
                    {remaining}
                </span>
                <button type="submit" class="button" disabled=move || action.pending().get() || remaining() < 0>
                    {if reply_to.is_some() { "Reply" } else { "Post" }}
                </button>
            </div>
        </ActionForm>
    }
}
