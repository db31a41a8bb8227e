use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::{
    api::accounts::SignUp,
    components::form::{Fields, FormError, ServerForm, TextField},
};

/// `/signup`: username, email, password; then straight to the new profile.
#[component]
pub fn SignUpPage() -> impl IntoView {
    view! {
        <Title text="Sign up"/>
        <Meta name="description" content="Join Thoughtspace: short thoughts, Top Friends and a profile styled your way."/>
        <section class="card narrow" aria-labelledby="signup-heading">
            <h1 id="signup-heading">"Create your space"</h1>
            <SignUpForm/>
            <p>"Already a member? "<a href="/login">"Log in"</a></p>
        </section>
    }
}

/// In the browser, a refused field keeps what was typed and says why next to it.
#[island]
fn SignUpForm() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <ServerForm action
                    input=|fields: &Fields| SignUp {
                        username: fields.text("username"),
                        email: fields.text("email"),
                        password: fields.text("password"),
                    }>
            <FormError error/>
            <TextField label="Username" name="username" autocomplete="username" required=true maxlength=32
                       hint="1–32 letters, digits or _; your address will be /@username" error/>
            <TextField label="Email" name="email" kind="email" autocomplete="email" required=true error/>
            <TextField label="Password" name="password" kind="password" autocomplete="new-password" required=true
                       minlength=8 hint="At least 8 characters" error/>
            <button type="submit" class="button" disabled=move || action.pending().get()>"Sign up"</button>
        </ServerForm>
    }
}
