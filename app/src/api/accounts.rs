use leptos::prelude::*;

use crate::{error::AppError, model::Viewer};

/// Who is logged in, if anyone.
#[server(prefix = "/api", endpoint = "accounts/viewer", input = server_fn::codec::GetUrl)]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    use crate::backend;
    backend::respond(async {
        let backend = backend::from_context()?;
        backend::request::viewer(&backend).await
    }
    .await)
}

/// Creates an account, logs it in and goes to its profile.
#[server(prefix = "/api", endpoint = "accounts/sign_up")]
pub async fn sign_up(username: String, email: String, password: String) -> Result<(), AppError> {
    use crate::backend::{self, accounts};
    backend::respond(async {
        let backend = backend::from_context()?;
        // The account and its first session, together or not at all.
        let mut transaction = backend.pool.begin().await?;
        let account =
            accounts::create(&mut transaction, accounts::SignUp { username, email, password, is_admin: false }).await?;
        backend::request::start_session(&backend, &mut transaction, account.id).await?;
        transaction.commit().await?;
        leptos_axum::redirect(&format!("/@{}", account.username));
        Ok(())
    }
    .await)
}

/// Logs in by username or email, then goes to `next` (a local path) or home.
#[server(prefix = "/api", endpoint = "accounts/log_in")]
pub async fn log_in(login: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::backend::{self, accounts, request};
    backend::respond(async {
        let backend = backend::from_context()?;
        let account = accounts::authenticate(&backend.pool, &login, &password, request::client_address()).await?;
        request::end_session(&backend).await?;
        request::start_session(&backend, &mut *backend.pool.acquire().await?, account.id).await?;
        leptos_axum::redirect(&local_path(next.as_deref()));
        Ok(())
    }
    .await)
}

/// Ends this session.
#[server(prefix = "/api", endpoint = "accounts/log_out")]
pub async fn log_out() -> Result<(), AppError> {
    use crate::backend;
    backend::respond(async {
        let backend = backend::from_context()?;
        backend::request::end_session(&backend).await?;
        leptos_axum::redirect("/");
        Ok(())
    }
    .await)
}

/// Ends every session of the logged-in person, on every device.
#[server(prefix = "/api", endpoint = "accounts/log_out_everywhere")]
pub async fn log_out_everywhere() -> Result<(), AppError> {
    use crate::backend::{self, request, sessions};
    backend::respond(async {
        let backend = backend::from_context()?;
        let viewer = request::require_viewer(&backend).await?;
        sessions::end_all(&backend.pool, viewer.id).await?;
        request::end_session(&backend).await?;
        leptos_axum::redirect("/login");
        Ok(())
    }
    .await)
}

/// `next` when it is a path on this site, else `/` (no open redirects).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_after_log_in() {
        assert_eq!(super::local_path(Some("/settings")), "/settings");
        for outside in ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"] {
            assert_eq!(super::local_path(Some(outside)), "/", "{outside}");
        }
        assert_eq!(super::local_path(None), "/");
    }
}
