use leptos::prelude::*;

use crate::{error::AppError, model::Viewer};

/// Who is logged in, if anyone.
#[server(prefix = "/api", endpoint = "accounts/viewer", input = server_fn::codec::GetUrl)]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    use crate::backend;
    backend::respond(
        async {
            let backend = backend::from_context()?;
            backend::request::viewer(&backend).await
        }
        .await,
    )
}

/// Creates an account, logs it in and goes to its profile.
#[server(prefix = "/api", endpoint = "accounts/sign_up")]
pub async fn sign_up(username: String, email: String, password: String) -> Result<(), AppError> {
    use crate::backend::{self, accounts, login_throttle, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            // Refused sign-ups are counted per client address: each one could be probing
            // which emails have accounts.
            let attempt =
                login_throttle::reserve_sign_up(&backend.pool, request::client_address()).await?;
            let created = async {
                // The account and its first session, together or not at all.
                let mut transaction = backend.pool.begin().await?;
                let account = accounts::create(
                    &mut transaction,
                    accounts::SignUp {
                        username,
                        email,
                        password,
                        is_admin: false,
                    },
                )
                .await?;
                request::start_session(&backend, &mut transaction, account.id).await?;
                transaction.commit().await?;
                Ok::<_, AppError>(account)
            }
            .await?;
            attempt.release(&backend.pool).await?;
            request::redirect(&format!("/@{}", created.username));
            Ok(())
        }
        .await,
    )
}

/// Logs in by username or email, then goes to `next` (a local path) or home.
#[server(prefix = "/api", endpoint = "accounts/log_in")]
pub async fn log_in(login: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::backend::{self, accounts, request};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            // Settled before anything happens, so no value of `next` can interrupt a log-in.
            let destination = local_path(next.as_deref());
            let account =
                accounts::authenticate(&backend.pool, &login, &password, request::client_address())
                    .await?;
            request::end_session(&backend).await?;
            request::start_session(&backend, &mut *backend.pool.acquire().await?, account.id)
                .await?;
            request::redirect(&destination);
            Ok(())
        }
        .await,
    )
}

/// Ends this session.
#[server(prefix = "/api", endpoint = "accounts/log_out")]
pub async fn log_out() -> Result<(), AppError> {
    use crate::backend;
    backend::respond(
        async {
            let backend = backend::from_context()?;
            backend::request::end_session(&backend).await?;
            backend::request::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Ends every session of the logged-in person, on every device.
#[server(prefix = "/api", endpoint = "accounts/log_out_everywhere")]
pub async fn log_out_everywhere() -> Result<(), AppError> {
    use crate::backend::{self, request, sessions};
    backend::respond(
        async {
            let backend = backend::from_context()?;
            let viewer = request::require_viewer(&backend).await?;
            sessions::end_all(&backend.pool, viewer.id).await?;
            request::end_session(&backend).await?;
            request::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// `next` when it is a safe path on this site, else `/` (no open redirects).
///
/// Only a path-absolute reference made of printable ASCII passes, which a browser resolves
/// against this origin whatever follows. Refused: schemes and `//host`; backslashes (`/\host`
/// reads as `//host`); control characters and whitespace (browsers drop tabs and newlines
/// from URLs, so `/<TAB>/host` would become `//host`, and a newline cannot go in a header);
/// and in the path, raw or once percent-decoded, `//`, backslashes, control characters and
/// `.`/`..` segments, so that whatever decodes or normalizes it later still finds a plain
/// local path. Legitimate destinations (pages, the OAuth consent URL with its query) pass.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if is_safe_local_path(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_safe_local_path(candidate: &str) -> bool {
    if !candidate
        .bytes()
        .all(|byte| byte.is_ascii_graphic() && byte != b'\\')
    {
        return false;
    }
    let path = candidate
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .as_bytes();
    is_plain_path(path) && percent_decoded(path).is_some_and(|decoded| is_plain_path(&decoded))
}

/// Starts with one `/`; no `//`, no `.` or `..` segment; no backslash, control or space.
fn is_plain_path(path: &[u8]) -> bool {
    path.first() == Some(&b'/')
        && !path.windows(2).any(|pair| pair == b"//")
        && !path
            .iter()
            .any(|&byte| byte == b'\\' || byte.is_ascii_control() || byte.is_ascii_whitespace())
        && !path
            .split(|&byte| byte == b'/')
            .any(|segment| segment == b"." || segment == b"..")
}

/// `%XX` escapes decoded once; `None` for a malformed escape.
fn percent_decoded(raw: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&byte) = bytes.next() {
        if byte == b'%' {
            let high = (*bytes.next()? as char).to_digit(16)?;
            let low = (*bytes.next()? as char).to_digit(16)?;
            decoded.push((high * 16 + low) as u8);
        } else {
            decoded.push(byte);
        }
    }
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_log_in() {
        assert_eq!(local_path(Some("/settings")), "/settings");
        for outside in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(Some(outside)), "/", "{outside}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn pages_and_the_consent_page_with_its_query_are_followed() {
        for local in [
            "/",
            "/@ana",
            "/@ana/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "/tags/%C3%A9t%C3%A9",
            "/search?q=a%20b#results",
            "/oauth/authorize?response_type=code&client_id=abc&redirect_uri=https://client.example/cb&scope=read+write&state=x",
        ] {
            assert_eq!(local_path(Some(local)), local);
        }
    }

    /// Browsers drop tabs and newlines inside URLs and read `\` as `/`: each of these would
    /// lead to another site, or (a newline) break the redirect's header.
    #[test]
    fn whitespace_controls_and_encoded_tricks_go_home() {
        for trick in [
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\r\n/evil.example",
            "/\t\\evil.example",
            "\t//evil.example",
            " //evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "/\u{3000}/evil.example",
            "/settings\nSet-Cookie: x=y",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/%0A",
            "/.//evil.example",
            "/a/..//evil.example",
            "/%2e%2e/%2e%2e/evil",
            "/a//b",
            "/%zz",
            "/%4",
            "",
            "evil.example",
            "http:evil.example",
        ] {
            assert_eq!(local_path(Some(trick)), "/", "{trick:?}");
        }
    }
}
