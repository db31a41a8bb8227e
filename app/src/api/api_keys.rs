//! API keys in settings: list, create (the key is shown once), revoke.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{ApiKeyView, NewApiKey},
};

/// The cookie that carries a new key to the settings page after a form post without
/// JavaScript (the only way to show it once): HttpOnly, only for /settings, two minutes.
pub const NEW_KEY_COOKIE: &str = "ts_new_api_key";

/// The logged-in person's keys, and a key made by their last plain form post, if any
/// (shown once: the cookie that carried it is cleared).
#[server(prefix = "/api", endpoint = "api_keys/list", input = server_fn::codec::GetUrl)]
pub async fn list_api_keys() -> Result<(Vec<ApiKeyView>, Option<String>), AppError> {
    use crate::backend::{self, api_keys, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            let fresh =
                request::cookie(NEW_KEY_COOKIE).filter(|value| value.starts_with(api_keys::PREFIX));
            if fresh.is_some() {
                request::set_cookie(&format!(
                    "{NEW_KEY_COOKIE}=; Path=/settings; HttpOnly; SameSite=Strict; Max-Age=0"
                ));
            }
            Ok((api_keys::list(&backend.pool, viewer.id).await?, fresh))
        }
        .await,
    )
}

/// Makes a key with all scopes.
#[server(prefix = "/api", endpoint = "api_keys/create")]
pub async fn create_api_key(name: String) -> Result<NewApiKey, AppError> {
    use crate::backend::{self, api_keys, request};
    backend::respond(async {
        let backend = backend::from_context()?;
        let viewer = request::require_viewer(&backend).await?;
        let scopes = api_keys::Scopes::parse(api_keys::ALL_SCOPES)?;
        let (key, secret) = api_keys::create(&backend.pool, Some(viewer.id), &name, &scopes, None).await?;
        if request::is_plain_form_post() {
            let secure = if backend.secure_cookies() { "; Secure" } else { "" };
            request::set_cookie(&format!("{NEW_KEY_COOKIE}={secret}; Path=/settings; HttpOnly; SameSite=Strict; Max-Age=120{secure}"));
        }
        Ok(NewApiKey { key, secret })
    }
    .await)
}

#[server(prefix = "/api", endpoint = "api_keys/revoke")]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    use crate::backend::{self, api_keys, request};
    backend::respond(
        async {
            let id = uuid::Uuid::try_parse(&id).map_err(|_| AppError::NotFound)?;
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            api_keys::revoke(&backend.pool, viewer.id, id).await
        }
        .await,
    )
}
