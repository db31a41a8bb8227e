//! OAuth 2 as Mastodon apps use it: apps register (getting a client id and secret), a
//! logged-in person approves an app (an authorization code, valid ten minutes, PKCE when
//! the app asks), and the app trades the code for a token — an API key named after the app,
//! listed and revocable in settings like any other. `client_credentials` gives an app a
//! token of its own, acting for no one.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    api_keys::{self, Scopes},
    secrets,
};
use crate::{error::AppError, text};

/// The redirect URI of apps that show the code for the person to copy (no web callback).
pub const OUT_OF_BAND: &str = "urn:ietf:wg:oauth:2.0:oob";
const CODE_LIFETIME_MINUTES: i32 = 10;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct App {
    pub id: Uuid,
    pub client_id: String,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: String,
    pub scopes: String,
}

impl App {
    pub fn redirect_uris(&self) -> impl Iterator<Item = &str> {
        self.redirect_uris
            .lines()
            .map(str::trim)
            .filter(|uri| !uri.is_empty())
    }

    pub fn scopes(&self) -> Scopes {
        Scopes::parse(&self.scopes).unwrap_or_else(|_| Scopes::read_only())
    }

    /// The app's redirect URI for `requested`: one it registered (the only one, if none asked).
    pub fn redirect_uri(&self, requested: Option<&str>) -> Result<String, AppError> {
        let mut registered = self.redirect_uris();
        match requested.filter(|uri| !uri.is_empty()) {
            Some(uri) if self.redirect_uris().any(|known| known == uri) => Ok(uri.to_owned()),
            Some(_) => Err(AppError::invalid(
                "redirect_uri",
                "is not one of the app's redirect URIs",
            )),
            None => registered
                .next()
                .map(str::to_owned)
                .ok_or_else(|| AppError::invalid("redirect_uri", "is missing")),
        }
    }

    /// The scopes a request may get: what it asked for, within what the app registered.
    pub fn grantable(&self, requested: Option<&str>) -> Result<Scopes, AppError> {
        let scopes = match requested.filter(|s| !s.trim().is_empty()) {
            Some(raw) => Scopes::parse(raw)?,
            None => self.scopes(),
        };
        if !self.scopes().cover(&scopes) {
            return Err(AppError::invalid(
                "scope",
                "asks for more than the app registered",
            ));
        }
        Ok(scopes)
    }
}

/// Registers an app; returns it and its client secret (shown once, stored hashed).
pub async fn register(
    pool: &PgPool,
    name: &str,
    redirect_uris: &str,
    scopes: &str,
    website: Option<&str>,
) -> Result<(App, String), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "client_name",
            "must be 1 to 100 characters",
        ));
    }
    if text::has_forbidden_controls(name, false) {
        return Err(AppError::invalid(
            "client_name",
            "must not contain control characters",
        ));
    }
    // Shown as a link on the consent page: only an http(s) address.
    let website = website.map(str::trim).filter(|w| !w.is_empty());
    if website.is_some_and(|w| !text::is_http_url(w) || w.len() > 2048) {
        return Err(AppError::invalid(
            "website",
            "must be an http:// or https:// address",
        ));
    }
    let uris: Vec<&str> = redirect_uris
        .split(['\n', ' '])
        .map(str::trim)
        .filter(|uri| !uri.is_empty())
        .collect();
    if uris.is_empty() {
        return Err(AppError::invalid("redirect_uris", "is missing"));
    }
    for uri in &uris {
        let valid = *uri == OUT_OF_BAND
            || (!text::has_forbidden_controls(uri, false)
                && url::Url::parse(uri).is_ok_and(|parsed| {
                    !matches!(parsed.scheme(), "javascript" | "data" | "file")
                }));
        if !valid {
            return Err(AppError::invalid(
                "redirect_uris",
                format!("{uri:?} is not a usable redirect URI"),
            ));
        }
    }
    let scopes = Scopes::parse(scopes)?;
    let client_id = secrets::random_token()?;
    let secret = secrets::random_token()?;
    let app = sqlx::query_as(
        "INSERT INTO oauth_apps (client_id, client_secret_hash, name, website, redirect_uris, scopes)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, client_id, name, website, redirect_uris, scopes",
    )
    .bind(&client_id)
    .bind(secrets::hash(&secret))
    .bind(name)
    .bind(website)
    .bind(uris.join("\n"))
    .bind(scopes.as_string())
    .fetch_one(pool)
    .await?;
    Ok((app, secret))
}

pub async fn app(pool: &PgPool, client_id: &str) -> Result<App, AppError> {
    let unknown = || AppError::invalid("client_id", "is not a registered app");
    if text::has_forbidden_controls(client_id, false) {
        return Err(unknown());
    }
    sqlx::query_as("SELECT id, client_id, name, website, redirect_uris, scopes FROM oauth_apps WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(pool)
        .await?
        .map(shown)
        .ok_or_else(unknown)
}

pub async fn app_by_id(pool: &PgPool, id: Uuid) -> Result<App, AppError> {
    sqlx::query_as(
        "SELECT id, client_id, name, website, redirect_uris, scopes FROM oauth_apps WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .map(shown)
    .ok_or(AppError::NotFound)
}

/// An app as it may be shown: a website registered before addresses were checked is dropped
/// unless it is http(s).
fn shown(app: App) -> App {
    App {
        website: app.website.filter(|website| text::is_http_url(website)),
        ..app
    }
}

/// The app whose id and secret these are (`Unauthorized` otherwise).
pub async fn authenticate_client(
    pool: &PgPool,
    client_id: &str,
    client_secret: &str,
) -> Result<App, AppError> {
    let found: Option<(Uuid, String)> =
        sqlx::query_as("SELECT id, client_secret_hash FROM oauth_apps WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(pool)
            .await?;
    match found {
        Some((id, hash)) if hash == secrets::hash(client_secret) => app_by_id(pool, id).await,
        _ => Err(AppError::Unauthorized),
    }
}

/// `user` approved `app`: a code for the app to trade for a token.
pub async fn issue_code(
    pool: &PgPool,
    app: &App,
    user: Uuid,
    redirect_uri: &str,
    scopes: &Scopes,
    code_challenge: Option<&str>,
) -> Result<String, AppError> {
    let code = secrets::random_token()?;
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, app_id, user_id, redirect_uri, scopes, code_challenge, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(mins => $7))",
    )
    .bind(secrets::hash(&code))
    .bind(app.id)
    .bind(user)
    .bind(redirect_uri)
    .bind(scopes.as_string())
    .bind(code_challenge.filter(|c| !c.is_empty()))
    .bind(CODE_LIFETIME_MINUTES)
    .execute(pool)
    .await?;
    Ok(code)
}

/// Trades a code (once) for a token: (secret, scopes). The app must name the redirect URI
/// the code was issued for (RFC 6749 4.1.3): a code that leaked from one callback cannot
/// be redeemed by claiming another.
pub async fn exchange_code(
    pool: &PgPool,
    app: &App,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<(String, Scopes), AppError> {
    // Checked before the code is used up, so a request that forgot it can be repeated.
    let redirect_uri = redirect_uri
        .filter(|uri| !uri.is_empty())
        .ok_or_else(|| AppError::invalid("redirect_uri", "is missing"))?;
    let invalid = || AppError::invalid("code", "is invalid, used or expired");
    let found: Option<(Uuid, String, String, Option<String>)> = sqlx::query_as(
        "DELETE FROM oauth_codes WHERE code_hash = $1 AND app_id = $2 AND expires_at > now()
         RETURNING user_id, redirect_uri, scopes, code_challenge",
    )
    .bind(secrets::hash(code))
    .bind(app.id)
    .fetch_optional(pool)
    .await?;
    let (user, expected_uri, scopes, challenge) = found.ok_or_else(invalid)?;
    if redirect_uri != expected_uri {
        return Err(AppError::invalid(
            "redirect_uri",
            "is not the one the code was issued for",
        ));
    }
    if let Some(challenge) = challenge {
        let verifier =
            code_verifier.ok_or_else(|| AppError::invalid("code_verifier", "is missing"))?;
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
            return Err(AppError::invalid(
                "code_verifier",
                "does not match the code challenge",
            ));
        }
    }
    let scopes = Scopes::parse(&scopes)?;
    let (_, secret) =
        api_keys::create(pool, Some(user), &key_name(app), &scopes, Some(app.id)).await?;
    Ok((secret, scopes))
}

/// A token for the app itself (client_credentials).
pub async fn app_token(pool: &PgPool, app: &App, scopes: &Scopes) -> Result<String, AppError> {
    let (_, secret) = api_keys::create(pool, None, &key_name(app), scopes, Some(app.id)).await?;
    Ok(secret)
}

/// Keys that apps obtain are named after the app (within the name limit).
fn key_name(app: &App) -> String {
    app.name.chars().take(api_keys::MAX_NAME_CHARS).collect()
}

/// The password grant (Mastodon's, for apps that log in from their own form, such as
/// `toot login_cli`): the person's username or email and password, checked and throttled
/// exactly as the web log-in is, for a token with the scopes asked for (within the app's).
pub async fn password_token(
    pool: &PgPool,
    app: &App,
    login: &str,
    password: &str,
    requested_scopes: Option<&str>,
    client: Option<std::net::IpAddr>,
) -> Result<(String, Scopes), AppError> {
    let scopes = app.grantable(requested_scopes)?;
    let account = super::accounts::authenticate(pool, login, password, client).await?;
    let (_, secret) = api_keys::create(
        pool,
        Some(account.id),
        &key_name(app),
        &scopes,
        Some(app.id),
    )
    .await?;
    Ok((secret, scopes))
}
