//! `/settings/mutes`, `/settings/filters` and `/follow_requests`: whom the viewer mutes,
//! their keyword filters, and who asks to follow them (with "manually approve followers").
//! Plain forms, so everything works without JavaScript.

use leptos::{form::ActionForm, prelude::*};
use leptos_meta::{Meta, Title};
use leptos_router::components::Redirect;

use crate::{
    api::safety::{
        list_filters, list_follow_requests, list_mutes, AnswerFollowRequest, CreateFilter,
        DeleteFilter, SetLocked, SetMute,
    },
    components::loading::Loading,
    error::AppError,
    model::{shown_name, FilterSummary, MutedPerson, PersonCard},
};

fn until(expires_at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match expires_at {
        Some(at) => format!("until {}", at.format("%Y-%m-%d %H:%M UTC")),
        None => "until you lift it".to_owned(),
    }
}

#[component]
pub fn MutesPage() -> impl IntoView {
    let mutes = Resource::new(|| (), |_| list_mutes());
    view! {
        <Title text="Muted people"/>
        <Meta name="robots" content="noindex"/>
        <h1>"Muted people"</h1>
        <p class="hint">"Their thoughts and boosts stay out of your timelines; their profile and links still show them. Mute someone from their profile."</p>
        <p><a href="/settings">"Back to settings"</a>" · "<a href="/settings/filters">"Keyword filters"</a></p>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match mutes.await {
                    Ok(mutes) if mutes.is_empty() => view! { <p class="empty">"You mute nobody."</p> }.into_any(),
                    Ok(mutes) => view! {
                        <ul class="card people-list mutes">
                            {mutes.into_iter().map(|mute| view! { <MuteRow mute/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login?next=/settings/mutes"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MuteRow(mute: MutedPerson) -> impl IntoView {
    let unmute = ServerAction::<SetMute>::new();
    let name = shown_name(&mute.display_name, &mute.username).to_owned();
    let notifications = if mute.hide_notifications {
        "notifications hidden"
    } else {
        "notifications shown"
    };
    view! {
        <li>
            <a href=format!("/@{}", mute.username)>{name}" @"{mute.username.clone()}</a>
            " · "{notifications}" · "{until(mute.expires_at)}
            <ActionForm action=unmute attr:class="inline-form">
                <input type="hidden" name="username" value=mute.username.clone()/>
                <input type="hidden" name="on" value="false"/>
                <button type="submit" class="link-button">"Unmute"</button>
            </ActionForm>
        </li>
    }
}

const CONTEXTS: [(&str, &str); 5] = [
    ("home", "Home timeline"),
    ("notifications", "Notifications"),
    ("public", "Public and tag timelines"),
    ("thread", "Conversations"),
    ("account", "Profiles"),
];

#[component]
pub fn FiltersPage() -> impl IntoView {
    let filters = Resource::new(|| (), |_| list_filters());
    let create = ServerAction::<CreateFilter>::new();
    let error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="error" role="alert">{error.to_string()}</p> })
    };
    view! {
        <Title text="Keyword filters"/>
        <Meta name="robots" content="noindex"/>
        <h1>"Keyword filters"</h1>
        <p><a href="/settings">"Back to settings"</a>" · "<a href="/settings/mutes">"Muted people"</a></p>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match filters.await {
                    Ok(filters) if filters.is_empty() => view! { <p class="empty">"No filters yet."</p> }.into_any(),
                    Ok(filters) => view! {
                        <ul class="card filters">
                            {filters.into_iter().map(|filter| view! { <FilterRow filter/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login?next=/settings/filters"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <section class="card" aria-labelledby="new-filter-heading">
            <h2 id="new-filter-heading">"New filter"</h2>
            <ActionForm action=create>
                {error}
                <label for="filter-title">"Title (shown on what it collapses)"</label>
                <input id="filter-title" name="title" required maxlength="200"/>
                <label for="filter-keywords">"Keywords, one per line"</label>
                <textarea id="filter-keywords" name="keywords" rows="4" required></textarea>
                <label><input type="checkbox" name="whole_word" value="on" checked/>" Whole words only"</label>
                <fieldset>
                    <legend>"Where"</legend>
                    {CONTEXTS.into_iter().map(|(name, label)| view! {
                        <label><input type="checkbox" name=name value="on" checked=name != "thread" && name != "account"/>" "{label}</label>
                    }).collect_view()}
                </fieldset>
                <label for="filter-action">"What to do"</label>
                <select id="filter-action" name="action">
                    <option value="warn" selected>"Collapse behind the title"</option>
                    <option value="hide">"Hide completely"</option>
                </select>
                <label for="filter-expires">"For"</label>
                <select id="filter-expires" name="expires_in">
                    <option value="" selected>"Until I delete it"</option>
                    <option value="3600">"An hour"</option>
                    <option value="86400">"A day"</option>
                    <option value="604800">"A week"</option>
                </select>
                <button type="submit" class="button">"Add filter"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn FilterRow(filter: FilterSummary) -> impl IntoView {
    let delete = ServerAction::<DeleteFilter>::new();
    let keywords = filter
        .keywords
        .iter()
        .map(|(keyword, whole)| {
            if *whole {
                format!("“{keyword}”")
            } else {
                format!("“{keyword}” (anywhere in a word)")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let action = if filter.action == "hide" {
        "hides"
    } else {
        "collapses"
    };
    let expired = filter.expires_at.is_some_and(|at| at <= chrono::Utc::now());
    view! {
        <li>
            <strong>{filter.title.clone()}</strong>" "{action}" "{keywords}" in "{filter.contexts.join(", ")}
            " · "{if expired { "expired".to_owned() } else { until(filter.expires_at) }}
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=filter.id.to_string()/>
                <button type="submit" class="link-button danger">"Delete"</button>
            </ActionForm>
        </li>
    }
}

#[component]
pub fn FollowRequestsPage() -> impl IntoView {
    let requests = Resource::new(|| (), |_| list_follow_requests());
    view! {
        <Title text="Follow requests"/>
        <Meta name="robots" content="noindex"/>
        <h1>"Follow requests"</h1>
        <p><a href="/settings">"Back to settings"</a></p>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match requests.await {
                    Ok(requests) => view! {
                        <LockedForm locked=requests.locked/>
                        {if requests.people.is_empty() {
                            view! { <p class="empty">"Nobody is waiting."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="card people-list follow-requests">
                                    {requests.people.into_iter().map(|person| view! { <RequestRow person/> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login?next=/follow_requests"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LockedForm(locked: bool) -> impl IntoView {
    let action = ServerAction::<SetLocked>::new();
    view! {
        <section class="card" aria-labelledby="locked-heading">
            <h2 id="locked-heading">"Who may follow you"</h2>
            <ActionForm action>
                <label><input type="checkbox" name="locked" value="on" checked=locked/>" Manually approve followers"</label>
                <p class="hint">"Your followers-only thoughts reach only the people you accept. Turning this off accepts everyone waiting."</p>
                <button type="submit" class="button">"Save"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn RequestRow(person: PersonCard) -> impl IntoView {
    let answer = ServerAction::<AnswerFollowRequest>::new();
    let reject = ServerAction::<AnswerFollowRequest>::new();
    let name = person.name().to_owned();
    let username = person.username;
    let (accept_username, reject_username) = (username.clone(), username.clone());
    view! {
        <li>
            <a href=format!("/@{username}")>{name}" @"{username.clone()}</a>
            <ActionForm action=answer attr:class="inline-form">
                <input type="hidden" name="username" value=accept_username/>
                <input type="hidden" name="accept" value="true"/>
                <button type="submit" class="button">"Accept"</button>
            </ActionForm>
            <ActionForm action=reject attr:class="inline-form">
                <input type="hidden" name="username" value=reject_username/>
                <input type="hidden" name="accept" value="false"/>
                <button type="submit" class="link-button danger">"Reject"</button>
            </ActionForm>
        </li>
    }
}
