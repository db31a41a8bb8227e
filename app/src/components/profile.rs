use leptos::prelude::*;

use crate::{components::avatar::Avatar, model::Profile};

/// A profile's own box: the `.ts-profile` container the owner's CSS is scoped to, inside a
/// frame of the site's that no owner selector can reach. The frame clips everything the box
/// paints to the frame's own area and stacks it apart, so no offset, transform, shadow,
/// overlay or `display: contents` in the owner's CSS can move over, cover or paint onto the
/// site's header or anything else on the page. The box shows the same to every visitor:
/// the site's controls (follow, block) and the thoughts are rendered outside the frame by
/// the page, where the owner's CSS cannot hide or cover them.
#[component]
pub fn ProfileView(profile: Profile, #[prop(optional)] preview: bool) -> impl IntoView {
    let name = profile.name().to_owned();
    let joined = profile.joined_at.format("%B %Y").to_string();
    let friends_heading = format!("{name}’s Top Friends");
    let heading_id = if preview {
        "preview-top-friends-heading"
    } else {
        "top-friends-heading"
    };
    view! {
        <div class="profile-frame" class:profile-frame-preview=preview>
        <div class="ts-profile">
            {profile.header_url.clone().map(|url| view! {
                <img class="profile-header-image" src=url alt="" referrerpolicy="no-referrer"/>
            })}
            <div class="profile-layout">
                <section class="profile-card">
                    <Avatar url=profile.avatar_url.clone() name=name.clone() class="profile-avatar"/>
                    {if preview {
                        view! { <p class="profile-name">{name.clone()}</p> }.into_any()
                    } else {
                        view! { <h1 class="profile-name">{name.clone()}</h1> }.into_any()
                    }}
                    <p class="profile-handle">"@"{profile.username.clone()}</p>
                    {profile.remote_url.clone().map(|url| view! {
                        <p class="profile-remote">
                            "On another server of the fediverse. "
                            <a href=url rel="nofollow noopener noreferrer" target="_blank">"See the original profile"</a>
                        </p>
                    })}
                    {profile.bio.clone().map(|bio| view! { <p class="profile-bio">{bio}</p> })}
                    {(!profile.fields.is_empty()).then(|| view! {
                        <dl class="profile-fields">
                            {profile.fields.clone().into_iter().map(|(name, value)| view! {
                                // The value is HTML made safe on the server (escaped, or cleaned on arrival).
                                <div class="profile-field"><dt>{name}</dt><dd inner_html=value></dd></div>
                            }).collect_view()}
                        </dl>
                    })}
                    <p class="profile-joined">"Joined "{joined}</p>
                    <dl class="profile-counts">
                        <div><dt>"Thoughts"</dt><dd>{profile.thought_count}</dd></div>
                        <div><dt><a href=format!("/@{}/followers", profile.username)>"Followers"</a></dt><dd>{profile.follower_count}</dd></div>
                        <div><dt><a href=format!("/@{}/following", profile.username)>"Following"</a></dt><dd>{profile.following_count}</dd></div>
                    </dl>
                </section>
                <section class="top-friends" aria-labelledby=heading_id>
                    <h2 id=heading_id>{friends_heading}</h2>
                    {if profile.top_friends.is_empty() {
                        view! { <p class="empty">"No Top Friends yet."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="top-friends-list">
                                {profile.top_friends.into_iter().map(|friend| {
                                    let href = format!("/@{}", friend.username);
                                    let friend_name = friend.name().to_owned();
                                    view! {
                                        <li class="top-friend">
                                            <a href=href>
                                                <Avatar url=friend.avatar_url name=friend_name.clone() class="friend-avatar"/>
                                                <span class="friend-name">{friend_name}</span>
                                            </a>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }}
                </section>
            </div>
        </div>
        </div>
    }
    // Type-erased: the page around it would otherwise nest deeper than the compiler allows.
    .into_any()
}
