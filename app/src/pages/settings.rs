use leptos::{form::ActionForm, prelude::*};
use leptos_meta::{Meta, Title};
use leptos_router::components::Redirect;

use crate::{
    api::{
        accounts::LogOutEverywhere,
        api_keys::{list_api_keys, CreateApiKey, RevokeApiKey},
        profiles::{
            get_profile, get_profile_settings, preview_custom_css, SetTopFriends, UpdateCustomCss,
            UpdateProfile,
        },
    },
    components::{
        form::{FieldError, Fields, FormError, ServerForm, TextArea, TextField},
        loading::Loading,
        profile::ProfileView,
    },
    error::AppError,
    model::ProfileSettings,
};

/// `/settings`: the profile fields, the profile's CSS with a live preview, Top Friends and
/// sessions. Each part is its own form, so saving one never touches the others.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_profile_settings());
    view! {
        <Title text="Settings"/>
        <Meta name="robots" content="noindex"/>
        <h1>"Settings"</h1>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! { <SettingsForms settings/> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login?next=/settings"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SettingsForms(settings: ProfileSettings) -> impl IntoView {
    view! {
        <div class="settings">
            <nav class="card" aria-label="More settings">
                <a href="/settings/mutes">"Muted people"</a>" · "<a href="/settings/filters">"Keyword filters"</a>
                " · "<a href="/follow_requests">"Follow requests and approving followers"</a>
            </nav>
            <ProfileForm settings=settings.clone()/>
            <CssSettings settings=settings.clone()/>
            <TopFriendsForm settings/>
            <ApiKeys/>
            <SessionsForm/>
        </div>
    }
}

/// "Saved." once the last submission succeeded.
fn saved_note(succeeded: impl Fn() -> bool + Send + Sync + 'static) -> impl IntoView {
    move || succeeded().then(|| view! { <p class="saved" role="status">"Saved."</p> })
}

// The forms are islands: in the browser a refused field keeps what was typed and says why,
// and a saved one says so, without leaving the page.

/// The four profile field rows: (label, name input, value label, value input).
const PROFILE_FIELD_INPUTS: [(&str, &str, &str, &str); 4] = [
    ("Label 1", "field_name_1", "Value 1", "field_value_1"),
    ("Label 2", "field_name_2", "Value 2", "field_value_2"),
    ("Label 3", "field_name_3", "Value 3", "field_value_3"),
    ("Label 4", "field_name_4", "Value 4", "field_value_4"),
];

#[island]
fn ProfileForm(settings: ProfileSettings) -> impl IntoView {
    let action = ServerAction::<UpdateProfile>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <section class="card" aria-labelledby="profile-settings-heading">
            <h2 id="profile-settings-heading">"Profile"</h2>
            <ServerForm action
                        input=|fields: &Fields| UpdateProfile {
                            display_name: fields.text("display_name"),
                            bio: fields.text("bio"),
                            avatar_url: fields.text("avatar_url"),
                            header_url: fields.text("header_url"),
                            field_name_1: Some(fields.text("field_name_1")),
                            field_value_1: Some(fields.text("field_value_1")),
                            field_name_2: Some(fields.text("field_name_2")),
                            field_value_2: Some(fields.text("field_value_2")),
                            field_name_3: Some(fields.text("field_name_3")),
                            field_value_3: Some(fields.text("field_value_3")),
                            field_name_4: Some(fields.text("field_name_4")),
                            field_value_4: Some(fields.text("field_value_4")),
                        }>
                <FormError error/>
                <TextField label="Display name" name="display_name" value=settings.display_name maxlength=50 error/>
                <TextArea label="Bio" name="bio" value=settings.bio maxlength=160 error hint="Up to 160 characters."/>
                <TextField label="Avatar image address" name="avatar_url" kind="url" value=settings.avatar_url
                           hint="An http:// or https:// link to an image." error/>
                <TextField label="Header image address" name="header_url" kind="url" value=settings.header_url error/>
                <fieldset class="profile-fields">
                    <legend>"Profile fields"</legend>
                    <p class="hint">"Up to four labels and values shown on your profile; a link is checked for a link back to your profile (rel=\"me\")."</p>
                    {PROFILE_FIELD_INPUTS.iter().enumerate().map(|(index, (label, name_input, value_label, value_input))| {
                        let (name, value) = settings.fields.get(index).cloned().unwrap_or_default();
                        view! {
                            <div class="profile-field-row">
                                <TextField label=*label name=*name_input value=name maxlength=255 error/>
                                <TextField label=*value_label name=*value_input value=value maxlength=2047 error/>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Save profile"</button>
                {saved_note(move || matches!(action.value().get(), Some(Ok(_))))}
            </ServerForm>
        </section>
    }
}

/// The profile's CSS, with a preview of the profile wearing it.
#[component]
fn CssSettings(settings: ProfileSettings) -> impl IntoView {
    let profile = Resource::new(move || settings.username.clone(), get_profile);
    view! {
        <CssForm custom_css=settings.custom_css.clone()>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    profile.await.ok().map(|profile| view! {
                        <ProfileView profile preview=true/>
                    })
                })}
            </Suspense>
        </CssForm>
    }
}

/// The CSS editor; what is typed is applied to the preview (`children`) as it would be saved.
#[island]
fn CssForm(custom_css: String, children: Children) -> impl IntoView {
    let action = ServerAction::<UpdateCustomCss>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let typed = RwSignal::new(custom_css.clone());
    let removed = move || {
        action.value().get().and_then(Result::ok).filter(|outcome| !outcome.removed.is_empty()).map(|outcome| {
            view! {
                <div class="notice" role="status">
                    <p>"Saved, without what is not allowed:"</p>
                    <ul>{outcome.removed.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                </div>
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="css-settings-heading">
            <h2 id="css-settings-heading">"Profile style"</h2>
            <ServerForm action input=|fields: &Fields| UpdateCustomCss { custom_css: fields.text("custom_css") }>
                <FormError error/>
                <TextArea label="Your CSS" name="custom_css" value=custom_css rows=14 monospace=true error
                          on_input=Callback::new(move |css: String| typed.set(css))
                          hint="It styles your profile page only: html, body and :root mean your whole profile; url() takes https images, copied here when you save (visitors never reach another site). Up to 64 KiB."/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Save style"</button>
                {saved_note(move || matches!(action.value().get(), Some(Ok(_))))}
                {removed}
            </ServerForm>
            <h3>"Preview"</h3>
            <CssPreview typed/>
            {children()}
        </section>
    }
}

/// Applies what is typed, sanitized by the server exactly as saving would, to the preview
/// (after hydration; a short pause after typing first).
#[component]
fn CssPreview(typed: RwSignal<String>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |pending: Option<Option<TimeoutHandle>>| {
        let css = typed.get();
        if let Some(Some(handle)) = pending {
            handle.clear();
        }
        set_timeout_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    match preview_custom_css(css).await {
                        Ok(outcome) => {
                            preview::apply(&outcome.css);
                            problem.set(None);
                        }
                        Err(error) => problem.set(Some(error.to_string())),
                    }
                })
            },
            std::time::Duration::from_millis(300),
        )
        .ok()
    });
    // Leaving the page removes the preview's sheet too (navigation.js clears adopted sheets).
    on_cleanup(preview::clear);
    move || {
        problem
            .get()
            .map(|message| view! { <p class="field-error" role="status">{message}</p> })
    }
}

/// The preview's style sheet, adopted by the document through the CSSOM (which the
/// Content-Security-Policy allows, unlike an inline `<style>`).
mod preview {
    #[cfg(feature = "hydrate")]
    pub fn apply(css: &str) {
        let Ok(sheet) = web_sys::CssStyleSheet::new() else {
            return;
        };
        if sheet.replace_sync(css).is_ok() {
            leptos::prelude::document().set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
        }
    }

    #[cfg(feature = "hydrate")]
    pub fn clear() {
        leptos::prelude::document().set_adopted_style_sheets(&js_sys::Array::new());
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn apply(_css: &str) {}

    #[cfg(not(feature = "hydrate"))]
    pub fn clear() {}
}

#[island]
fn TopFriendsForm(settings: ProfileSettings) -> impl IntoView {
    let action = ServerAction::<SetTopFriends>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let choices = settings.friend_choices;
    let slots = (1..=5usize)
        .map(|position| {
            let current = settings.top_friends.get(position - 1).cloned().unwrap_or_default();
            let id = format!("friend_{position}");
            let options = choices
                .iter()
                .map(|choice| {
                    let selected = choice.username.eq_ignore_ascii_case(&current);
                    let label = format!("{} (@{})", choice.name(), choice.username);
                    view! { <option value=choice.username.clone() selected=selected>{label}</option> }
                })
                .collect_view();
            view! {
                <li>
                    <label for=id.clone()>{format!("Top Friend #{position}")}</label>
                    <select id=id.clone() name=id>
                        <option value="" selected=current.is_empty()>"— nobody —"</option>
                        {options}
                    </select>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="friends-settings-heading">
            <h2 id="friends-settings-heading">"Top Friends"</h2>
            <p class="hint">"Up to five, in the order your profile shows them."</p>
            <ServerForm action
                        input=|fields: &Fields| SetTopFriends {
                            friend_1: fields.optional("friend_1"),
                            friend_2: fields.optional("friend_2"),
                            friend_3: fields.optional("friend_3"),
                            friend_4: fields.optional("friend_4"),
                            friend_5: fields.optional("friend_5"),
                        }>
                <FormError error/>
                <ol class="friend-slots">{slots}</ol>
                <FieldError error name="top_friends"/>
                <button type="submit" class="button" disabled=move || action.pending().get()>"Save Top Friends"</button>
                {saved_note(move || matches!(action.value().get(), Some(Ok(_))))}
            </ServerForm>
        </section>
    }
}

/// API keys for apps, bots and scripts (the Mastodon client API): make one (shown once),
/// see when each was last used, revoke.
#[component]
fn ApiKeys() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let when = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    view! {
        <section class="card" aria-labelledby="api-keys-heading">
            <h2 id="api-keys-heading">"API keys"</h2>
            <p>"Use Thoughtspace from a Mastodon app, a bot or a script: send a key as "
               <code>"Authorization: Bearer …"</code>" to "<code>"/api/v1/"</code>"."</p>
            <ActionForm action=create>
                <FormError error/>
                <TextField name="name" label="Name" error maxlength=50 hint="What will use it, e.g. “my bot”."/>
                <button type="submit" class="button">"Create key"</button>
            </ActionForm>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    let (list, from_form) = keys.await.unwrap_or_default();
                    let fresh = create.value().get().and_then(Result::ok).map(|made| made.secret).or(from_form);
                    view! {
                        {fresh.map(|secret| view! {
                            <div class="new-key" role="status">
                                <p>"Your new key. Copy it now: it is not shown again."</p>
                                <code class="secret">{secret}</code>
                            </div>
                        })}
                        {if list.is_empty() {
                            view! { <p class="empty">"No keys yet."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="api-keys">
                                    {list.into_iter().map(|key| {
                                        let used = key.last_used_at.map_or_else(|| "never used".to_owned(), |at| format!("last used {}", when(at)));
                                        let label = key.app_name.clone().map_or(key.name.clone(), |app| format!("{} (app: {app})", key.name));
                                        view! {
                                            <li>
                                                <strong>{label}</strong>
                                                <span class="meta">{format!(" · {} · made {} · {used}", key.scopes, when(key.created_at))}</span>
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="id" value=key.id.to_string()/>
                                                    <button type="submit" class="link-button danger">"Revoke"</button>
                                                </ActionForm>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SessionsForm() -> impl IntoView {
    let action = ServerAction::<LogOutEverywhere>::new();
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <p>"Logged in somewhere you no longer use? End every session, this one included."</p>
            <ActionForm action>
                <button type="submit" class="button danger">"Log out everywhere"</button>
            </ActionForm>
        </section>
    }
}
