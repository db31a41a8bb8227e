use leptos::{html, prelude::*};

use crate::{
    api::timeline::PostThought,
    components::{
        form::{FieldError, Fields, ServerForm},
        navigation,
    },
    text::{char_count, MAX_THOUGHT_CHARS},
};

/// The box to write a thought (or a reply), with a live count of what is left. Posted, it
/// shows the page again with the new thought in place.
///
/// The form carries a one-time token (made with the page, so server and browser agree on
/// it): a submission sent again — a retry after an error that came after the thought was
/// stored — gets the first one's thought instead of a duplicate. Each success takes a new one.
#[island]
pub fn Composer(
    #[prop(optional)] reply_to: Option<uuid::Uuid>,
    token: uuid::Uuid,
) -> impl IntoView {
    let action = ServerAction::<PostThought>::new();
    let token = RwSignal::new(token);
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let text = RwSignal::new(String::new());
    let remaining = move || MAX_THOUGHT_CHARS as i64 - char_count(&text.get()) as i64;
    let input = NodeRef::<html::Textarea>::new();
    let draft = draft::key(reply_to);
    // A draft left in this box earlier (in this tab) comes back once hydrated.
    Effect::new({
        let draft = draft.clone();
        move |_| {
            if let Some(input) = input.get() {
                if input.value().is_empty() {
                    if let Some(saved) = draft::load(&draft) {
                        input.set_value(&saved);
                        text.set(saved);
                    }
                }
            }
        }
    });
    // A posted thought empties the box and forgets the draft.
    Effect::new({
        let draft = draft.clone();
        move |_| {
            if matches!(action.value().get(), Some(Ok(_))) {
                token.set(uuid::Uuid::new_v4());
                text.set(String::new());
                draft::save(&draft, "");
                if let Some(input) = input.get_untracked() {
                    input.set_value("");
                }
                navigation::refresh();
            }
        }
    });
    let (id, label, placeholder) = match reply_to {
        Some(_) => ("reply-content", "Your reply", "Write a reply…"),
        None => ("content", "New thought", "What’s on your mind?"),
    };
    view! {
        <ServerForm action attr:class="composer card"
                    input=|fields: &Fields| PostThought {
                        content: fields.text("content"),
                        visibility: fields.text("visibility"),
                        reply_to: fields.optional("reply_to"),
                        idempotency_token: fields.optional("idempotency_token"),
                        summary: fields.optional("summary"),
                    }>
            <label for=id class="visually-hidden">{label}</label>
            <textarea id=id name="content" rows="3" placeholder=placeholder node_ref=input required=true
                      aria-describedby=format!("{id}-count")
                      on:input=move |ev| {
                          let value = event_target_value(&ev);
                          draft::save(&draft, &value);
                          text.set(value);
                      }></textarea>
            <FieldError error name="content"/>
            <FieldError error name="reply_to"/>
            // Optional: the thought is then shown collapsed behind it.
            <label for=format!("{id}-summary") class="visually-hidden">"Content warning (optional)"</label>
            <input type="text" id=format!("{id}-summary") name="summary" class="composer-cw"
                   placeholder="Content warning (optional)"/>
            <FieldError error name="summary"/>
            {reply_to.map(|parent| view! { <input type="hidden" name="reply_to" value=parent.to_string()/> })}
            <input type="hidden" name="idempotency_token" value=move || token.get().to_string()/>
            <div class="composer-bar">
                <label class="visually-hidden" for=format!("{id}-visibility")>"Who can see it"</label>
                <select id=format!("{id}-visibility") name="visibility">
                    <option value="public">"Public"</option>
                    <option value="followers">"Followers only"</option>
                    <option value="private">"Only people mentioned"</option>
                </select>
                // Read out only near the limit: a count announced at every keystroke is noise.
                <span id=format!("{id}-count") class="char-count" class:over=move || remaining() < 0
                      aria-live=move || if remaining() <= 10 { "polite" } else { "off" }>
                    {remaining}
                </span>
                <button type="submit" class="button" disabled=move || action.pending().get() || remaining() < 0>
                    {if reply_to.is_some() { "Reply" } else { "Post" }}
                </button>
            </div>
        </ServerForm>
    }
}

/// Unposted text, kept per box in the tab's session storage: it survives moving between
/// pages and reloads, and goes when the tab closes (a shared computer keeps nothing).
mod draft {
    pub fn key(reply_to: Option<uuid::Uuid>) -> String {
        match reply_to {
            Some(parent) => format!("thoughtspace.draft.reply.{parent}"),
            None => "thoughtspace.draft".to_owned(),
        }
    }

    #[cfg(feature = "hydrate")]
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok().flatten()
    }

    pub fn load(key: &str) -> Option<String> {
        #[cfg(feature = "hydrate")]
        return storage()?
            .get_item(key)
            .ok()
            .flatten()
            .filter(|text| !text.is_empty());
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = key;
            None
        }
    }

    /// Saves `text`; empty text removes the draft.
    pub fn save(key: &str, text: &str) {
        #[cfg(feature = "hydrate")]
        if let Some(storage) = storage() {
            // A full or disabled storage only means the draft is not kept.
            let _ = if text.is_empty() {
                storage.remove_item(key)
            } else {
                storage.set_item(key, text)
            };
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (key, text);
    }
}
