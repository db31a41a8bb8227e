use leptos::{form::ActionForm, prelude::*};
use leptos_meta::{Meta, Title};
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};

use crate::{
    api::saved::{
        get_list, list_timeline, my_lists, CreateList, DeleteList, SetListMember, UpdateList,
    },
    components::{
        loading::Loading,
        timeline::{Timeline, TimelineSource},
    },
    error::AppError,
    model::ListDetail,
};

/// The message of a form's last refused submission, if any.
fn refusal<S>(action: ServerAction<S>) -> impl IntoView
where
    S: server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || {
        action
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })
    }
}

/// `/lists`: the logged-in person's lists, and a form to make one.
#[component]
pub fn ListsPage() -> impl IntoView {
    let create = ServerAction::<CreateList>::new();
    let lists = Resource::new(|| (), |_| my_lists());
    view! {
        <Title text="Lists"/>
        <Meta name="robots" content="noindex"/>
        <h1>"Lists"</h1>
        <p class="hint">"A list gathers people you follow, with a timeline of their thoughts."</p>
        <ActionForm action=create attr:class="list-create">
            <label for="list-title">"New list"</label>
            <input id="list-title" name="title" required=true maxlength="100" placeholder="Title"/>
            <button type="submit" class="button">"Make list"</button>
            {refusal(create)}
        </ActionForm>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match lists.await {
                    Ok(lists) if lists.is_empty() => view! { <p class="empty">"No lists yet."</p> }.into_any(),
                    Ok(lists) => view! {
                        <ul class="lists">
                            {lists.into_iter().map(|list| view! {
                                <li><a href=format!("/lists/{}", list.id)>{list.title}</a></li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login?next=/lists"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/lists/{id}`: one of the logged-in person's lists: its settings, members and timeline.
#[component]
pub fn ListPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let before = Memo::new(move |_| query.read().get("before"));
    let page = Resource::new(
        move || (id.get(), before.get()),
        |(id, before)| async move {
            let detail = get_list(id.clone()).await?;
            let page = list_timeline(id, before).await?;
            Ok::<_, AppError>((detail, page))
        },
    );
    view! {
        <Meta name="robots" content="noindex"/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((detail, page)) => {
                        let source = TimelineSource::List { id: detail.list.id.to_string() };
                        view! {
                            <Title text=detail.list.title.clone()/>
                            <ListSettings detail/>
                            <section class="timeline" aria-labelledby="timeline-heading">
                                <h2 id="timeline-heading">"Thoughts"</h2>
                                <Timeline page source empty="No thoughts from this list's people yet."/>
                            </section>
                        }.into_any()
                    }
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login?next=/lists"/> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1>"List not found"</h1>
                        <p><a href="/lists">"Your lists"</a></p>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A list's title, policy and members, each with its form.
#[component]
fn ListSettings(detail: ListDetail) -> impl IntoView {
    let update = ServerAction::<UpdateList>::new();
    let delete = ServerAction::<DeleteList>::new();
    let member = ServerAction::<SetListMember>::new();
    let list = detail.list;
    let id = list.id;
    let policy = list.replies_policy.clone();
    let option = move |value: &'static str, label: &'static str| {
        view! { <option value=value selected=policy == value>{label}</option> }
    };
    view! {
        <h1>{list.title.clone()}</h1>
        <p><a href="/lists">"All lists"</a></p>
        <ActionForm action=update attr:class="list-settings">
            <input type="hidden" name="id" value=id.to_string()/>
            <div class="field">
                <label for="list-title">"Title"</label>
                <input id="list-title" name="title" required=true maxlength="100" value=list.title.clone()/>
            </div>
            <div class="field">
                <label for="list-replies">"Show replies"</label>
                <select id="list-replies" name="replies_policy">
                    {option("list", "to people on this list")}
                    {option("followed", "to anyone I follow")}
                    {option("none", "to nobody but me")}
                </select>
            </div>
            <div class="field">
                <input id="list-exclusive" type="checkbox" name="exclusive" value="on" checked=list.exclusive/>
                <label for="list-exclusive">"Leave these people out of Home"</label>
            </div>
            <button type="submit" class="button">"Save"</button>
            {refusal(update)}
        </ActionForm>
        <ActionForm action=delete attr:class="inline-form">
            <input type="hidden" name="id" value=id.to_string()/>
            <button type="submit" class="link-button danger">"Delete list"</button>
        </ActionForm>
        <section aria-labelledby="members-heading">
            <h2 id="members-heading">"People"</h2>
            <ActionForm action=member attr:class="list-add">
                <input type="hidden" name="id" value=id.to_string()/>
                <input type="hidden" name="on" value="true"/>
                <label for="list-member">"Add someone you follow"</label>
                <input id="list-member" name="username" required=true placeholder="username"/>
                <button type="submit" class="button secondary">"Add"</button>
                {refusal(member)}
            </ActionForm>
            {detail.members.is_empty().then(|| view! { <p class="empty">"Nobody on this list yet."</p> })}
            <ul class="list-members">
                {detail.members.into_iter().map(|person| {
                    let name = person.name().to_owned();
                    view! {
                        <li>
                            <a href=format!("/@{}", person.username)>{name}</a>
                            " @"{person.username.clone()}
                            <ActionForm action=member attr:class="inline-form">
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="username" value=person.username.clone()/>
                                <input type="hidden" name="on" value="false"/>
                                <button type="submit" class="link-button">"Remove"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
