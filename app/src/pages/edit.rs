//! `/@username/{id}/edit` and `/@username/{id}/history`: editing one's own thought (a plain
//! form, so it works without JavaScript) and the versions a thought had.

use leptos::{form::ActionForm, prelude::*};
use leptos_meta::{Meta, Title};
use leptos_router::{components::Redirect, hooks::use_params_map};

use crate::{
    api::timeline::{get_thought_history, EditThought},
    components::{
        form::{TextArea, TextField},
        loading::Loading,
        thought::ThoughtText,
    },
    error::AppError,
    model::ThoughtHistory,
    pages::not_found::{Gone, NotFound},
    text::{MAX_SUMMARY_CHARS, MAX_THOUGHT_CHARS},
};

/// The thought the route names, with its history, as the viewer may see it.
fn history_resource() -> Resource<Result<ThoughtHistory, AppError>> {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let params = params.read();
        (
            params.get("handle").unwrap_or_default(),
            params.get("id").unwrap_or_default(),
        )
    });
    Resource::new(
        move || key.get(),
        |(handle, id)| async move {
            match handle.strip_prefix('@') {
                Some(username) => get_thought_history(username.to_owned(), id).await,
                None => Err(AppError::NotFound),
            }
        },
    )
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[component]
pub fn EditThoughtPage() -> impl IntoView {
    let history = history_resource();
    let edit = ServerAction::<EditThought>::new();
    view! {
        <Title text="Edit thought"/>
        <Meta name="robots" content="noindex"/>
        <h1>"Edit thought"</h1>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(history) if history.thought.by_viewer => {
                        let thought = history.thought;
                        let error = Signal::derive(move || edit.value().get().and_then(Result::err));
                        view! {
                            <section class="card" aria-labelledby="edit-heading">
                                <h2 id="edit-heading" class="visually-hidden">"The new text"</h2>
                                <ActionForm action=edit attr:class="edit-form">
                                    {move || error.get().and_then(|e| e.form_message()).map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
                                    <input type="hidden" name="id" value=thought.id.to_string()/>
                                    // A new token with every render: a resubmission of this one changes nothing more.
                                    <input type="hidden" name="idempotency_token" value=uuid::Uuid::new_v4().to_string()/>
                                    <TextArea label="Text" name="content" error value=thought.content.clone()
                                              hint="Who can see it and what it replies to stay as they are. The earlier text stays in its history."/>
                                    <TextField label="Content warning (optional)" name="summary" error
                                               value=thought.summary.clone().unwrap_or_default() maxlength=MAX_SUMMARY_CHARS/>
                                    <p class="hint">{format!("At most {MAX_THOUGHT_CHARS} characters.")}</p>
                                    <button type="submit" class="button">"Save"</button>
                                    " "
                                    <a href=thought.href()>"Cancel"</a>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                    // Someone else's thought is not theirs to edit: as if there were none.
                    Ok(_) | Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(AppError::Gone) => view! { <Gone/> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn ThoughtHistoryPage() -> impl IntoView {
    let history = history_resource();
    view! {
        <Title text="Edit history"/>
        <Meta name="robots" content="noindex"/>
        <h1>"Edit history"</h1>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(history) => {
                        let href = history.thought.href();
                        let count = history.versions.len();
                        view! {
                            <p><a href=href>"Back to the thought"</a></p>
                            // Newest first, as Mastodon shows it.
                            <ol class="card edit-history" reversed>
                                {history.versions.into_iter().enumerate().rev().map(|(index, version)| {
                                    let label = if index == 0 {
                                        "Posted"
                                    } else if index + 1 == count {
                                        "Current version, edited"
                                    } else {
                                        "Edited"
                                    };
                                    view! {
                                        <li class="edit-version">
                                            <p class="thought-meta">{label}" "<time datetime=version.created_at.to_rfc3339()>{when(version.created_at)}</time></p>
                                            {version.summary.map(|warning| view! { <p class="cw-label">"Content warning: "{warning}</p> })}
                                            <ThoughtText content=version.content html=version.content_html/>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(AppError::Gone) => view! { <Gone/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
