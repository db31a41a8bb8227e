//! How apps log in, as Mastodon answers them: paths with a trailing slash, the password
//! grant (throttled like the web log-in), and the log-in form posted by a non-browser.

use crate::support::TestApp;
use serde_json::Value;

async fn register_app(app: &TestApp) -> (String, String) {
    let registered: Value = app
        .http
        .post(format!("{}/api/v1/apps", app.url))
        .form(&[
            ("client_name", "Login Client"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        registered["client_id"].as_str().unwrap().to_owned(),
        registered["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn password_grant(
    app: &TestApp,
    client: &(String, String),
    username: &str,
    password: &str,
) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/oauth/token", app.url))
        .form(&[
            ("grant_type", "password"),
            ("client_id", &client.0),
            ("client_secret", &client.1),
            ("username", username),
            ("password", password),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn paths_with_a_trailing_slash_answer_as_without_it() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    for path in ["/api/v1/instance", "/api/v2/instance"] {
        let plain: Value = app.get(path).await.json().await.unwrap();
        let slashed = app.get(&format!("{path}/")).await;
        assert_eq!(slashed.status(), 200, "{path}/");
        assert_eq!(slashed.json::<Value>().await.unwrap(), plain, "{path}/");
    }

    // The consent page, as toot opens it (`/oauth/authorize/?…`).
    let (client_id, _) = register_app(&app).await;
    let consent = app
        .get_as(
            &session,
            &format!("/oauth/authorize/?response_type=code&client_id={client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read"),
        )
        .await;
    assert_eq!(consent.status(), 200);
    assert!(consent
        .text()
        .await
        .unwrap()
        .contains("Authorize Login Client?"));

    // Writes and pages too; the site root stays itself; unknown paths stay unknown.
    let key = app
        .post_form("/api/api_keys/create", &[("name", "bot")], Some(&session))
        .await
        .json::<Value>()
        .await
        .unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let posted = app
        .http
        .post(format!("{}/api/v1/statuses/", app.url))
        .bearer_auth(&key)
        .form(&[("status", "through a slash")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    assert_eq!(app.get_as(&session, "/@ana/").await.status(), 200);
    assert_eq!(app.get("/").await.status(), 200);
    assert_eq!(app.get("/api/v1/nothing-here/").await.status(), 404);
}

#[tokio::test]
async fn the_password_grant_logs_in_and_is_throttled_with_the_web_log_in() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let client = register_app(&app).await;

    // By email (as Mastodon expects) and by username.
    for login in ["ana@example.test", "ana"] {
        let (status, token) = password_grant(&app, &client, login, "correct horse").await;
        assert_eq!(status, 200, "{token}");
        assert_eq!(token["scope"], "read write");
        let me: Value = app
            .http
            .get(format!("{}/api/v1/accounts/verify_credentials", app.url))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["username"], "ana");
    }

    let (status, refused) = password_grant(&app, &client, "ana", "wrong").await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, refused) = password_grant(&app, &client, "ana", "").await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // Scopes stay within the app's.
    let response = app
        .http
        .post(format!("{}/oauth/token", app.url))
        .form(&[
            ("grant_type", "password"),
            ("client_id", client.0.as_str()),
            ("client_secret", client.1.as_str()),
            ("username", "ana"),
            ("password", "correct horse"),
            ("scope", "read write follow admin:read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // The same count as the web log-in: four more failures make five, then both wait.
    for _ in 0..4 {
        let (status, _) = password_grant(&app, &client, "ana", "wrong").await;
        assert_eq!(status, 400);
    }
    let (status, throttled) = password_grant(&app, &client, "ana", "correct horse").await;
    assert_eq!(status, 429, "{throttled}");
    assert!(app.log_in("ana", "correct horse").await.is_err());
}

#[tokio::test]
async fn the_log_in_form_posted_by_a_non_browser_redirects() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    for accept in [Some("*/*"), None, Some("text/html")] {
        let mut request = app
            .http
            .post(format!("{}/api/accounts/log_in", app.url))
            .header("origin", &app.url)
            .form(&[
                ("login", "ana"),
                ("password", "correct horse"),
                ("next", "/settings"),
            ]);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 303, "{accept:?}");
        assert_eq!(response.headers()["location"], "/settings");
        assert!(crate::support::session_cookie(&response).is_some());
    }
    // The app's own server-function client still gets its JSON answer and redirect header.
    let response = app
        .http
        .post(format!("{}/api/accounts/log_in", app.url))
        .header("origin", &app.url)
        .header("accept", "application/json")
        .form(&[("login", "ana"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["location"], "/");
}
