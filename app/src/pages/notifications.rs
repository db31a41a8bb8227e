use leptos::{form::ActionForm, prelude::*};
use leptos_meta::{Meta, Title};
use leptos_router::components::Redirect;

use crate::{
    api::notifications::{list_notifications, MarkRead},
    components::{live::LiveUpdates, loading::Loading, navigation, thought::ThoughtCard},
    error::AppError,
    model::NotificationGroup,
};

/// `/notifications`: likes, boosts, follows, replies and mentions, grouped.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let mark = ServerAction::<MarkRead>::new();
    let groups = Resource::new(|| (), |_| list_notifications());
    view! {
        <Title text="Notifications"/>
        <Meta name="robots" content="noindex"/>
        <h1>"Notifications"</h1>
        <LiveNotifications/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(groups) if groups.is_empty() => view! { <p class="empty">"Nothing yet."</p> }.into_any(),
                    Ok(groups) => view! {
                        <ActionForm action=mark attr:class="mark-all">
                            <input type="hidden" name="ids" value=""/>
                            <button type="submit" class="button secondary">"Mark all read"</button>
                        </ActionForm>
                        <ol class="notifications">
                            {groups.into_iter().map(|group| view! { <Notification group mark/> }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login?next=/notifications"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Notification(group: NotificationGroup, mark: ServerAction<MarkRead>) -> impl IntoView {
    let others = group.actor_count - group.actors.len() as i64;
    let names = group
        .actors
        .iter()
        .enumerate()
        .map(|(index, actor)| {
            let separator = if index == 0 {
                ""
            } else if index + 1 == group.actors.len() && others == 0 {
                " and "
            } else {
                ", "
            };
            view! { {separator}<a href=format!("/@{}", actor.username)>{actor.name().to_owned()}</a> }
        })
        .collect_view();
    let others = match others {
        0 => String::new(),
        1 => " and 1 other".to_owned(),
        n => format!(" and {n} others"),
    };
    let what = match group.kind.as_str() {
        "like" => " liked your thought",
        "boost" => " boosted your thought",
        "follow" => " followed you",
        "follow_request" => " asked to follow you (see your follow requests)",
        "reply" => " replied",
        "mention" => " mentioned you",
        "update" => " edited a thought you boosted",
        _ => "",
    };
    let ids = group
        .ids
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    view! {
        <li class="notification card" class:unread=group.unread>
            <p class="notification-text">{names}{others}{what}</p>
            {group.thought.map(|thought| view! { <ThoughtCard thought/> })}
            {group.unread.then(|| view! {
                <ActionForm action=mark attr:class="inline-form">
                    <input type="hidden" name="ids" value=ids/>
                    <button type="submit" class="link-button">"Mark read"</button>
                </ActionForm>
            })}
        </li>
    }
}

/// Shows the page again whenever the event stream says the notifications changed.
#[island]
fn LiveNotifications() -> impl IntoView {
    let anchor = NodeRef::<leptos::html::Span>::new();
    if let Some(live) = LiveUpdates::current() {
        let seen = StoredValue::new(live.notifications.get_untracked());
        Effect::new(move |_| {
            let changes = live.notifications.get();
            // Only while this page is the one shown.
            if seen.get_value() != changes
                && anchor.get().is_some_and(|anchor| anchor.is_connected())
            {
                seen.set_value(changes);
                navigation::refresh();
            }
        });
    }
    view! { <span hidden node_ref=anchor></span> }
}
