//! Form pieces: labelled fields that show their own validation message.

use leptos::prelude::*;

use crate::error::AppError;

/// The error of the last submission of a form, for its fields to pick their message from.
pub type FormErrors = Signal<Option<AppError>>;

/// The message for the form as a whole (anything that is not about one field).
#[component]
pub fn FormError(error: FormErrors) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| e.form_message())
            .map(|message| view! { <p class="form-error" role="alert">{message}</p> })
    }
}

/// The message for one field, if the last submission refused it.
#[component]
pub fn FieldError(error: FormErrors, name: &'static str) -> impl IntoView {
    move || {
        error.get().and_then(|e| e.field_message(name)).map(|message| {
            view! { <p class="field-error" id=format!("{name}-error") role="alert">{message}</p> }
        })
    }
}

/// A labelled `<input>` with its hint and validation message.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    error: FormErrors,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] minlength: Option<usize>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let invalid = move || error.get().is_some_and(|e| e.field_message(name).is_some());
    let described_by = move || {
        let mut ids = Vec::new();
        if hint.is_some() {
            ids.push(format!("{name}-hint"));
        }
        if invalid() {
            ids.push(format!("{name}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <input id=name name=name type=kind value=value autocomplete=autocomplete required=required
                   maxlength=maxlength minlength=minlength
                   aria-invalid=move || invalid().then_some("true") aria-describedby=described_by/>
            {hint.map(|hint| view! { <p class="hint" id=format!("{name}-hint")>{hint}</p> })}
            <FieldError error name/>
        </div>
    }
}

/// A labelled `<textarea>` with its hint and validation message.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    error: FormErrors,
    #[prop(optional, into)] value: String,
    #[prop(default = 3)] rows: u32,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] on_input: Option<Callback<String>>,
    #[prop(optional)] monospace: bool,
) -> impl IntoView {
    let invalid = move || error.get().is_some_and(|e| e.field_message(name).is_some());
    // Leptos writes a textarea's text unescaped during SSR, so the server escapes it itself
    // (the browser decodes the entities back); in the browser the text is set as text.
    let value = if cfg!(feature = "ssr") {
        escape_text(&value)
    } else {
        value
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <textarea id=name name=name rows=rows maxlength=maxlength class:monospace=monospace spellcheck=(!monospace).to_string()
                      aria-invalid=move || invalid().then_some("true")
                      aria-describedby=hint.map(|_| format!("{name}-hint"))
                      on:input=move |ev| if let Some(on_input) = on_input { on_input.run(event_target_value(&ev)) }>
                {value}
            </textarea>
            {hint.map(|hint| view! { <p class="hint" id=format!("{name}-hint")>{hint}</p> })}
            <FieldError error name/>
        </div>
    }
}

/// Text escaped for HTML, for the raw-text places Leptos leaves alone.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A form that calls server function `S`. Without JavaScript it posts to the function,
/// which answers with a redirect (back, or where it leads). In an island it sends the
/// arguments `input` reads from the fields through `action` instead: each island names its
/// own fields, so the browser bundle carries no generic form decoder (`ActionForm`'s cost
/// 30 KiB gzip, a tenth of the first-visit budget). Use `attr:class` for a class.
#[component]
pub fn ServerForm<S, F>(action: ServerAction<S>, input: F, children: Children) -> impl IntoView
where
    S: server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
    F: Fn(&Fields) -> S + 'static,
{
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(form) = ev
                .target()
                .and_then(|target| target.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            let Ok(data) = web_sys::FormData::new_with_form(&form) else {
                return;
            };
            action.dispatch(input(&Fields(data)));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&action, &input);
    };
    view! { <form method="post" action=S::url() on:submit=submit>{children()}</form> }
}

/// The fields of a submitted form, by name.
pub struct Fields(#[cfg(feature = "hydrate")] web_sys::FormData);

impl Fields {
    /// The field's text ("" if there is no such field).
    pub fn text(&self, name: &str) -> String {
        #[cfg(feature = "hydrate")]
        return self.0.get(name).as_string().unwrap_or_default();
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = name;
            String::new()
        }
    }

    /// The field's text, if there is any.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|text| !text.is_empty())
    }
}
