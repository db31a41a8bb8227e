use leptos::{form::ActionForm, prelude::*};
use leptos_meta::{Link, Meta, Stylesheet, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        profiles::{get_profile, SetBlock, SetFollow},
        safety::SetMute,
        timeline::profile_timeline,
    },
    components::{
        form::{Fields, ServerForm},
        loading::Loading,
        navigation,
        profile::ProfileView,
        timeline::{Timeline, TimelineSource},
    },
    error::AppError,
    model::{Profile, Relationship},
    pages::not_found::NotFound,
};

/// `/@username`: the profile's box, dressed in its owner's CSS; then, in the site's own
/// style and out of that CSS's reach, the viewer's controls and the owner's thoughts.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let username = Memo::new(move |_| {
        params
            .read()
            .get("handle")
            .and_then(|handle| handle.strip_prefix('@').map(str::to_owned))
    });
    let before = Memo::new(move |_| query.read().get("before"));
    let profile = Resource::new(
        move || username.get(),
        |username| async move {
            match username {
                Some(username) => get_profile(username).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let thoughts = Resource::new(
        move || (username.get(), before.get()),
        move |(username, before)| async move {
            match username {
                Some(username) => {
                    // Someone on another server: loading their profile first refreshes the
                    // posts read from their outbox.
                    if username.contains('@') {
                        let _ = profile.await;
                    }
                    profile_timeline(username, before).await
                }
                None => Err(AppError::NotFound),
            }
        },
    );

    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(profile) => {
                        let first_page = thoughts.await;
                        let source = TimelineSource::Profile { username: profile.username.clone() };
                        let controls = profile
                            .relationship
                            .filter(|relationship| !relationship.is_self)
                            .map(|relationship| profile_controls(&profile.username, profile.locked, relationship));
                        view! {
                            <ProfileMeta profile=profile.clone()/>
                            <div class="profile-page">
                                <ProfileView profile/>
                                {controls}
                                <section class="profile-thoughts" aria-labelledby="thoughts-heading">
                                    <h2 id="thoughts-heading">"Thoughts"</h2>
                                    {match first_page {
                                        Ok(page) => view! { <Timeline page source/> }.into_any(),
                                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                                    }}
                                </section>
                            </div>
                        }.into_any()
                    }
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Title, description, canonical link, OpenGraph and Twitter card tags, and the owner's CSS.
#[component]
fn ProfileMeta(profile: Profile) -> impl IntoView {
    let name = profile.name().to_owned();
    let title = format!("{name} (@{})", profile.username);
    let description = profile.bio.clone().unwrap_or_else(|| {
        format!("{name}’s space on Thoughtspace: thoughts, Top Friends and more.")
    });
    let image = profile.avatar_url.clone();
    view! {
        <Title text=title.clone()/>
        <Meta name="description" content=description.clone()/>
        <Link rel="canonical" href=profile.canonical_url.clone()/>
        {(!profile.is_remote).then(|| view! {
            <Link rel="alternate" type_="application/atom+xml" title=format!("{name}’s thoughts") href=format!("/@{}/feed.atom", profile.username)/>
        })}
        <Meta property="og:type" content="profile"/>
        <Meta property="og:title" content=title.clone()/>
        <Meta property="og:description" content=description.clone()/>
        <Meta property="og:url" content=profile.canonical_url.clone()/>
        <Meta property="profile:username" content=profile.username.clone()/>
        <Meta name="twitter:card" content="summary"/>
        <Meta name="twitter:title" content=title/>
        <Meta name="twitter:description" content=description/>
        {image.map(|image| view! {
            <Meta property="og:image" content=image.clone()/>
            <Meta name="twitter:image" content=image/>
        })}
        {profile.stylesheet_url.map(|href| view! { <Stylesheet id="profile-css" href/> })}
    }
}

/// Follow or unfollow, block or unblock, as forms (they work without JavaScript).
fn profile_controls(username: &str, locked: bool, relationship: Relationship) -> AnyView {
    let block = ServerAction::<SetBlock>::new();
    let username = username.to_owned();
    let block_username = username.clone();
    let block_form = view! {
        <ActionForm action=block attr:class="block-form">
            <input type="hidden" name="username" value=block_username/>
            <input type="hidden" name="on" value=(!relationship.blocking).to_string()/>
            <button type="submit" class="link-button danger">{if relationship.blocking { "Unblock" } else { "Block" }}</button>
        </ActionForm>
    };
    if relationship.blocking {
        return view! { <aside class="profile-controls" aria-label="You and this person"><span class="badge">"Blocked"</span>{block_form}</aside> }
            .into_any();
    }
    let follows_you = relationship
        .followed_by
        .then(|| view! { <span class="badge">"Follows you"</span> });
    let mute_form = mute_form(&username, &relationship);
    view! {
        <aside class="profile-controls" aria-label="You and this person">
            <FollowButton username locked relationship/>
            {follows_you}
            {mute_form}
            {block_form}
        </aside>
    }
    .into_any()
}

/// Mute (for a while, with or without notifications) or unmute, as a form.
fn mute_form(username: &str, relationship: &Relationship) -> AnyView {
    let mute = ServerAction::<SetMute>::new();
    let username = username.to_owned();
    if relationship.muting {
        return view! {
            <span class="badge">"Muted"</span>
            <ActionForm action=mute attr:class="mute-form">
                <input type="hidden" name="username" value=username/>
                <input type="hidden" name="on" value="false"/>
                <button type="submit" class="link-button">"Unmute"</button>
            </ActionForm>
        }
        .into_any();
    }
    view! {
        <ActionForm action=mute attr:class="mute-form">
            <input type="hidden" name="username" value=username/>
            <input type="hidden" name="on" value="true"/>
            <label><input type="checkbox" name="hide_notifications" value="on" checked/>" Hide notifications"</label>
            " "
            <select name="duration" aria-label="For how long">
                <option value="" selected>"Until I unmute"</option>
                <option value="3600">"1 hour"</option>
                <option value="86400">"1 day"</option>
                <option value="604800">"1 week"</option>
            </select>
            " "
            <button type="submit" class="link-button">"Mute"</button>
        </ActionForm>
    }
    .into_any()
}

/// Follow or unfollow as a form (works without JavaScript). In the browser the button
/// changes at once, and changes back with the reason if the server refuses; once the
/// server agrees, the profile is shown again (its counts changed).
#[island]
fn FollowButton(username: String, locked: bool, relationship: Relationship) -> impl IntoView {
    let follow = ServerAction::<SetFollow>::new();
    // A request to someone on another server waits for their server's answer; one to a
    // locked account, for its owner's.
    let needs_approval = locked || username.contains('@');
    let following = RwSignal::new(relationship.following || relationship.requested);
    let requested = RwSignal::new(relationship.requested);
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(input) = follow.input().get() {
            following.set(input.on);
            requested.set(input.on && needs_approval);
            problem.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Err(error)) = follow.value().get() {
            following.set(relationship.following || relationship.requested);
            requested.set(relationship.requested);
            problem.set(Some(error.to_string()));
        }
    });
    Effect::new(move |_| {
        if matches!(follow.value().get(), Some(Ok(()))) {
            navigation::refresh();
        }
    });
    let label = move || match (following.get(), requested.get()) {
        (true, false) => "Unfollow",
        (true, true) => "Requested (cancel)",
        (false, _) => "Follow",
    };
    let input = {
        let username = username.clone();
        move |_: &Fields| SetFollow {
            username: username.clone(),
            on: !following.get_untracked(),
        }
    };
    view! {
        <ServerForm action=follow input attr:class="follow-form">
            <input type="hidden" name="username" value=username/>
            <input type="hidden" name="on" value=move || (!following.get()).to_string()/>
            <button type="submit" class=move || if following.get() { "button secondary" } else { "button" }>{label}</button>
            {move || problem.get().map(|message| view! { <span class="field-error" role="alert">{message}</span> })}
        </ServerForm>
    }
}
