use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    api::accounts::LogIn,
    components::form::{Fields, FormError, ServerForm, TextField},
};

/// `/login`: by username or email.
#[component]
pub fn LoginPage() -> impl IntoView {
    let next = use_query_map().with_untracked(|query| query.get("next").unwrap_or_default());

    view! {
        <Title text="Log in"/>
        <Meta name="robots" content="noindex"/>
        <section class="card narrow" aria-labelledby="login-heading">
            <h1 id="login-heading">"Log in"</h1>
            <LoginForm next/>
            <p>"New here? "<a href="/signup">"Create an account"</a></p>
        </section>
    }
}

/// In the browser, a refused login keeps what was typed and says why.
#[island]
fn LoginForm(next: String) -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <ServerForm action
                    input=|fields: &Fields| LogIn {
                        login: fields.text("login"),
                        password: fields.text("password"),
                        next: fields.optional("next"),
                    }>
            <FormError error/>
            <TextField label="Username or email" name="login" autocomplete="username" required=true error/>
            <TextField label="Password" name="password" kind="password" autocomplete="current-password" required=true error/>
            <input type="hidden" name="next" value=next/>
            <button type="submit" class="button" disabled=move || action.pending().get()>"Log in"</button>
        </ServerForm>
    }
}
