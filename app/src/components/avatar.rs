use leptos::prelude::*;

use crate::model::PersonCard;

/// A person's picture, or their initial when they have none. Remote images are loaded
/// without a referrer, so image hosts do not learn which profile was viewed.
#[component]
pub fn Avatar(
    url: Option<String>,
    #[prop(into)] name: String,
    #[prop(default = "avatar")] class: &'static str,
) -> impl IntoView {
    match url {
        Some(url) => view! {
            <img class=class src=url alt="" loading="lazy" decoding="async" referrerpolicy="no-referrer"/>
        }
        .into_any(),
        None => {
            let initial = name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
            view! { <span class=format!("{class} avatar-fallback") aria-hidden="true">{initial}</span> }.into_any()
        }
    }
}

/// People as a list of links to their profiles, with their avatars.
#[component]
pub fn PersonList(people: Vec<PersonCard>, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! {
        <ul class=format!("people-list {class}")>
            {people.into_iter().map(|person| {
                let name = person.name().to_owned();
                view! {
                    <li><a href=format!("/@{}", person.username)>
                        <Avatar url=person.avatar_url name=name.clone() class="friend-avatar"/>
                        <span>{name}" @"{person.username.clone()}</span>
                    </a></li>
                }
            }).collect_view()}
        </ul>
    }
}
