//! OAuth 2 for Mastodon apps: `POST /api/v1/apps`, the consent page at `/oauth/authorize`
//! (a plain server-rendered form: it must work in any app's web view, with or without
//! JavaScript), `POST /oauth/token` and `POST /oauth/revoke`.

use app::{
    backend::{
        api_keys,
        federation::vocab::escape,
        oauth::{self, OUT_OF_BAND},
        request::ClientAddress,
        sessions, Backend,
    },
    error::AppError,
};
use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    Extension, Json,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    auth::MaybeAuthed,
    params::Params,
    scopes::{Access::*, Routes},
    ApiError, ApiResult,
};

pub fn routes() -> Routes {
    Routes::default()
        .post("/api/v1/apps", Anyone, register)
        .get("/api/v1/apps/verify_credentials", Token, verify_app)
        .get("/oauth/authorize", Anyone, consent_page)
        .post("/oauth/authorize", Anyone, decide)
        .post("/oauth/token", Anyone, token)
        .post("/oauth/revoke", Anyone, revoke)
}

fn required(params: &Params, name: &str) -> ApiResult<String> {
    params
        .text(name)?
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::invalid(name, "is missing"))
}

async fn register(State(backend): State<Backend>, params: Params) -> ApiResult<Json<Value>> {
    let name = required(&params, "client_name")?;
    let redirect_uris = params
        .text("redirect_uris")?
        .unwrap_or_else(|| OUT_OF_BAND.to_owned());
    let scopes = params.text("scopes")?.unwrap_or_else(|| "read".to_owned());
    let website = params.text("website")?;
    let (app, secret) = oauth::register(
        &backend.pool,
        &name,
        &redirect_uris,
        &scopes,
        website.as_deref(),
    )
    .await?;
    Ok(Json(json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "redirect_uri": app.redirect_uris().collect::<Vec<_>>().join("\n"),
        "redirect_uris": app.redirect_uris().collect::<Vec<_>>(),
        "scopes": app.scopes().as_string().split(' ').collect::<Vec<_>>(),
        "client_id": app.client_id,
        "client_secret": secret,
        "vapid_key": "",
    })))
}

async fn verify_app(State(backend): State<Backend>, caller: MaybeAuthed) -> ApiResult<Json<Value>> {
    let caller = caller
        .0
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "The access token is invalid"))?;
    let app_id = caller.app_id.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This token belongs to no app",
        )
    })?;
    let app = oauth::app_by_id(&backend.pool, app_id).await?;
    Ok(Json(json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "redirect_uri": app.redirect_uris().collect::<Vec<_>>().join("\n"),
        "redirect_uris": app.redirect_uris().collect::<Vec<_>>(),
        "scopes": app.scopes().as_string().split(' ').collect::<Vec<_>>(),
        "vapid_key": "",
    })))
}

#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// A plain page in the site's look (no scripts: the policy allows none).
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{} · Thoughtspace</title><link rel=\"stylesheet\" href=\"/pkg/thoughtspace.css\"></head>\
         <body><main id=\"main\" class=\"oauth\"><section class=\"card\">{body}</section></main></body></html>",
        escape(title)
    );
    (
        status,
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        )],
        Html(html),
    )
        .into_response()
}

fn refusal(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Cannot authorize",
        &format!(
            "<h1>Cannot authorize</h1><p class=\"error\" role=\"alert\">{}</p>",
            escape(message)
        ),
    )
}

async fn viewer(
    backend: &Backend,
    headers: &HeaderMap,
) -> Result<Option<app::model::Viewer>, AppError> {
    match sessions::token_from_headers(headers) {
        Some(token) => sessions::viewer(&backend.pool, &token).await,
        None => Ok(None),
    }
}

/// What a consent request is, checked: the app, where to send the answer, the scopes.
async fn check(
    backend: &Backend,
    query: &AuthorizeQuery,
) -> Result<(oauth::App, String, api_keys::Scopes), String> {
    if query
        .response_type
        .as_deref()
        .is_some_and(|kind| kind != "code")
    {
        return Err("Only response_type=code is supported.".into());
    }
    let app = oauth::app(
        &backend.pool,
        query.client_id.as_deref().unwrap_or_default(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let redirect_uri = app
        .redirect_uri(query.redirect_uri.as_deref())
        .map_err(|e| e.to_string())?;
    let scopes = app
        .grantable(query.scope.as_deref())
        .map_err(|e| e.to_string())?;
    if query.code_challenge.is_some()
        && query.code_challenge_method.as_deref().unwrap_or("S256") != "S256"
    {
        return Err("Only the S256 code challenge method is supported.".into());
    }
    Ok((app, redirect_uri, scopes))
}

async fn consent_page(
    State(backend): State<Backend>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    let (app, redirect_uri, scopes) = match check(&backend, &query).await {
        Ok(checked) => checked,
        Err(message) => return refusal(&message),
    };
    let viewer = match viewer(&backend, &headers).await {
        Ok(Some(viewer)) => viewer,
        Ok(None) => {
            let next: String =
                url::form_urlencoded::byte_serialize(uri.to_string().as_bytes()).collect();
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
        Err(_) => return refusal("Something went wrong on our side; please try again."),
    };
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        )
    };
    let scope_list: String = scopes
        .as_string()
        .split(' ')
        .map(|scope| format!("<li><code>{}</code></li>", escape(scope)))
        .collect();
    let body = format!(
        "<h1>Authorize {app}?</h1>\
         <p>{app}{website} asks to use your account <strong>@{user}</strong> with these permissions:</p><ul>{scope_list}</ul>\
         <p>You can revoke its access at any time in <a href=\"/settings\">Settings</a>, under API keys.</p>\
         <form method=\"post\" action=\"/oauth/authorize\">{fields}\
         <button type=\"submit\" name=\"decision\" value=\"approve\" class=\"button\">Authorize</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\" class=\"button secondary\">Deny</button></form>",
        app = escape(&app.name),
        website = app.website.as_deref().map(|w| format!(" (<a href=\"{0}\" rel=\"nofollow noopener noreferrer\">{0}</a>)", escape(w))).unwrap_or_default(),
        user = escape(&viewer.username),
        fields = [
            hidden("client_id", &app.client_id),
            hidden("redirect_uri", &redirect_uri),
            hidden("scope", &scopes.as_string()),
            hidden("state", query.state.as_deref().unwrap_or_default()),
            hidden("code_challenge", query.code_challenge.as_deref().unwrap_or_default()),
            hidden("code_challenge_method", query.code_challenge_method.as_deref().unwrap_or_default()),
        ]
        .concat(),
    );
    page(StatusCode::OK, &format!("Authorize {}", app.name), &body)
}

/// The person's answer (a form post from the consent page; the cross-site check applies).
async fn decide(State(backend): State<Backend>, headers: HeaderMap, params: Params) -> Response {
    let field = |name: &str| params.text(name).ok().flatten().filter(|v| !v.is_empty());
    let query = AuthorizeQuery {
        client_id: field("client_id"),
        redirect_uri: field("redirect_uri"),
        response_type: None,
        scope: field("scope"),
        state: field("state"),
        code_challenge: field("code_challenge"),
        code_challenge_method: field("code_challenge_method"),
    };
    let (app, redirect_uri, scopes) = match check(&backend, &query).await {
        Ok(checked) => checked,
        Err(message) => return refusal(&message),
    };
    let viewer = match viewer(&backend, &headers).await {
        Ok(Some(viewer)) => viewer,
        _ => return refusal("Please log in first."),
    };
    let mut answer = url::Url::parse(&redirect_uri)
        .ok()
        .filter(|_| redirect_uri != OUT_OF_BAND);
    if field("decision").as_deref() != Some("approve") {
        return match answer.as_mut() {
            Some(url) => {
                url.query_pairs_mut().append_pair("error", "access_denied");
                if let Some(state) = &query.state {
                    url.query_pairs_mut().append_pair("state", state);
                }
                Redirect::to(url.as_str()).into_response()
            }
            None => page(
                StatusCode::OK,
                "Denied",
                "<h1>Denied</h1><p>The app was not given access.</p>",
            ),
        };
    }
    let code = match oauth::issue_code(
        &backend.pool,
        &app,
        viewer.id,
        &redirect_uri,
        &scopes,
        query.code_challenge.as_deref(),
    )
    .await
    {
        Ok(code) => code,
        Err(_) => return refusal("Something went wrong on our side; please try again."),
    };
    match answer {
        Some(mut url) => {
            url.query_pairs_mut().append_pair("code", &code);
            if let Some(state) = &query.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            Redirect::to(url.as_str()).into_response()
        }
        None => page(
            StatusCode::OK,
            "Authorization code",
            &format!("<h1>Authorized</h1><p>Copy this code into {}:</p><p><code class=\"secret\">{}</code></p>", escape(&app.name), escape(&code)),
        ),
    }
}

/// OAuth errors have their own shape (RFC 6749): `{"error": code, "error_description": …}`.
fn oauth_error(status: StatusCode, code: &str, description: impl std::fmt::Display) -> Response {
    (
        status,
        Json(json!({ "error": code, "error_description": description.to_string() })),
    )
        .into_response()
}

async fn token(
    State(backend): State<Backend>,
    client: Option<Extension<ClientAddress>>,
    params: Params,
) -> Response {
    let text = |name: &str| params.text(name).ok().flatten().filter(|v| !v.is_empty());
    let (Some(client_id), Some(client_secret)) = (text("client_id"), text("client_secret")) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id and client_secret are required",
        );
    };
    let app = match oauth::authenticate_client(&backend.pool, &client_id, &client_secret).await {
        Ok(app) => app,
        Err(_) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "unknown client or wrong secret",
            )
        }
    };
    let issued = match text("grant_type").as_deref() {
        Some("authorization_code") => {
            let Some(code) = text("code") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "code is required",
                );
            };
            oauth::exchange_code(
                &backend.pool,
                &app,
                &code,
                text("redirect_uri").as_deref(),
                text("code_verifier").as_deref(),
            )
            .await
        }
        Some("client_credentials") => match app.grantable(text("scope").as_deref()) {
            Ok(scopes) => oauth::app_token(&backend.pool, &app, &scopes)
                .await
                .map(|secret| (secret, scopes)),
            Err(error) => Err(error),
        },
        Some("password") => {
            let (Some(login), Some(password)) = (text("username"), text("password")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "username and password are required",
                );
            };
            oauth::password_token(
                &backend.pool,
                &app,
                &login,
                &password,
                text("scope").as_deref(),
                client.map(|Extension(address)| address.0),
            )
            .await
        }
        other => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("{} is not supported", other.unwrap_or("(none)")),
            );
        }
    };
    match issued {
        Ok((secret, scopes)) => Json(json!({
            "access_token": secret,
            "token_type": "Bearer",
            "scope": scopes.as_string(),
            "created_at": chrono::Utc::now().timestamp(),
        }))
        .into_response(),
        Err(AppError::RateLimited { retry_after }) => {
            let mut response = oauth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_grant",
                format!("Too many failed log-ins; try again in {retry_after} seconds"),
            );
            if let Ok(value) = header::HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(AppError::Invalid(errors)) => {
            let description = errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            let code = if errors.iter().any(|e| e.field == "scope") {
                "invalid_scope"
            } else if errors
                .iter()
                .any(|e| e.field == "redirect_uri" && e.message == "is missing")
            {
                "invalid_request"
            } else {
                "invalid_grant"
            };
            oauth_error(StatusCode::BAD_REQUEST, code, description)
        }
        Err(_) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "try again later",
        ),
    }
}

async fn revoke(State(backend): State<Backend>, params: Params) -> Response {
    let text = |name: &str| params.text(name).ok().flatten().filter(|v| !v.is_empty());
    let (Some(client_id), Some(client_secret)) = (text("client_id"), text("client_secret")) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id and client_secret are required",
        );
    };
    let Ok(app) = oauth::authenticate_client(&backend.pool, &client_id, &client_secret).await
    else {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "unknown client or wrong secret",
        );
    };
    if let Some(token) = text("token") {
        if api_keys::revoke_app_token(&backend.pool, app.id, &token)
            .await
            .is_err()
        {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "try again later",
            );
        }
    }
    Json(json!({})).into_response()
}
