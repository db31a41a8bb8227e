//! The Mastodon-compatible client API against real PostgreSQL: API keys (settings and CLI),
//! bearer authentication and scopes, statuses, timelines with Link paging, errors and limits.

use crate::support::TestApp;
use app::backend::api_keys::{self, Scopes};
use serde_json::{json, Value};

/// Makes a key through the settings' server function; returns the secret.
async fn key_for(app: &TestApp, session: &str, name: &str) -> String {
    let response = app
        .post_form("/api/api_keys/create", &[("name", name)], Some(session))
        .await;
    assert_eq!(response.status(), 200);
    let made: Value = response.json().await.unwrap();
    made["secret"].as_str().unwrap().to_owned()
}

fn bearer(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
) -> reqwest::RequestBuilder {
    app.http
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(key)
}

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn keys_are_made_shown_once_stored_hashed_used_and_revoked() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let secret = key_for(&app, &session, "my bot").await;
    assert!(
        secret.starts_with("tsk_") && secret.len() >= 4 + 43,
        "{secret}"
    );

    let (status, me) = json(
        bearer(
            &app,
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            &secret,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (me["username"].as_str(), me["acct"].as_str()),
        (Some("ana"), Some("ana"))
    );

    // Listed with its use, never with the secret; only a hash is stored.
    let listed = app
        .get_as(&session, "/api/api_keys/list")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("my bot") && !listed.contains(&secret),
        "{listed}"
    );
    let stored: (String, bool) =
        sqlx::query_as("SELECT key_hash, last_used_at IS NOT NULL FROM api_keys")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(stored.0 != secret && !stored.0.contains(&secret[4..]) && stored.1);

    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM api_keys")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // Someone else cannot revoke it.
    let bo = app.sign_up("bo").await;
    assert_eq!(
        app.post_form(
            "/api/api_keys/revoke",
            &[("id", &id.to_string())],
            Some(&bo)
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.post_form(
            "/api/api_keys/revoke",
            &[("id", &id.to_string())],
            Some(&session)
        )
        .await
        .status(),
        200
    );
    let (status, body) = json(
        bearer(
            &app,
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            &secret,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (401, json!({ "error": "The access token is invalid" }))
    );

    let refused = app
        .post_form(
            "/api/api_keys/create",
            &[("name", &"x".repeat(51))],
            Some(&session),
        )
        .await;
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn the_operator_makes_keys_from_the_command_line() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "api-key",
            "create",
            "--user",
            "@ana",
            "--name",
            "deploy script",
        ])
        .env("DATABASE_URL", app.db.url())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let secret = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let (status, me) = json(
        bearer(
            &app,
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            &secret,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, me["username"].as_str()), (200, Some("ana")));

    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["api-key", "create", "--user", "nobody", "--name", "x"])
        .env("DATABASE_URL", app.db.url())
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no local user @nobody"));
}

#[tokio::test]
async fn keys_need_the_right_scope_and_malformed_or_missing_keys_are_refused() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let ana: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let (_, read_only) = api_keys::create(
        &app.db.pool,
        Some(ana),
        "reader",
        &Scopes::parse("read").unwrap(),
        None,
    )
    .await
    .unwrap();

    let (status, body) = json(
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &read_only)
            .form(&[("status", "hi")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("This action is outside the authorized scopes"))
    );
    assert_eq!(
        bearer(
            &app,
            reqwest::Method::GET,
            "/api/v1/timelines/home",
            &read_only
        )
        .send()
        .await
        .unwrap()
        .status(),
        200
    );

    for key in ["", "tsk_not-a-key", "garbage"] {
        let (status, body) = json(
            bearer(&app, reqwest::Method::GET, "/api/v1/timelines/home", key)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((status, body["error"].is_string()), (401, true), "{key:?}");
    }
    let (status, _) = json(
        app.http
            .get(format!("{}/api/v1/timelines/home", app.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "no key at all");
    // Public endpoints answer visitors.
    assert_eq!(app.get("/api/v1/timelines/public").await.status(), 200);
    let (status, instance) = json(app.get("/api/v2/instance").await).await;
    assert_eq!(
        (
            status,
            instance["configuration"]["statuses"]["max_characters"].as_i64()
        ),
        (200, Some(128))
    );
}

#[tokio::test]
async fn statuses_are_posted_read_and_deleted_under_the_apps_rules() {
    let app = TestApp::spawn().await;
    let ana_session = app.sign_up("ana").await;
    let bo_session = app.sign_up("bo").await;
    let ana = key_for(&app, &ana_session, "ana's app").await;
    let bo = key_for(&app, &bo_session, "bo's app").await;

    // Form-encoded (Mastodon.py) and JSON (masto.js) bodies alike; unknown fields ignored.
    let (status, posted) = json(
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &ana)
            .form(&[
                ("status", "hello #fediverse"),
                ("visibility", "public"),
                ("whatever", "x"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted["account"]["username"], "ana");
    assert_eq!(posted["visibility"], "public");
    assert_eq!(posted["tags"][0]["name"], "fediverse");
    assert!(posted["content"]
        .as_str()
        .unwrap()
        .contains("#<span>fediverse</span>"));
    let id = posted["id"].as_str().unwrap().to_owned();

    let (status, secret) = json(
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &ana)
            .json(&json!({ "status": "only me", "visibility": "direct", "sensitive": false }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, secret["visibility"].as_str()),
        (200, Some("direct"))
    );
    let secret_id = secret["id"].as_str().unwrap();

    // Someone else's private status, a malformed id, an unknown id: 404 alike.
    for path in [
        format!("/api/v1/statuses/{secret_id}"),
        "/api/v1/statuses/not-an-id".into(),
        format!("/api/v1/statuses/{}", uuid::Uuid::new_v4()),
    ] {
        let (status, body) = json(
            bearer(&app, reqwest::Method::GET, &path, &bo)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("Record not found")),
            "{path}"
        );
    }
    let (status, body) = json(
        bearer(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/statuses/{id}"),
            &bo,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, body["id"].as_str()), (200, Some(id.as_str())));

    // Bad input: over-long text names the limit; a wrong type names the field.
    let (status, body) = json(
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &ana)
            .form(&[("status", &"a".repeat(129))])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"],
        "Validation failed: status use at most 128 characters (this has 129)"
    );
    let (status, body) = json(
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &ana)
            .json(&json!({ "status": "x", "sensitive": "maybe" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            422,
            Some("Validation failed: sensitive must be true or false")
        )
    );
    let (status, _) = json(
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &ana)
            .form(&[("status", "x"), ("in_reply_to_id", "nope")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    let huge = bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &ana)
        .form(&[("status", "x".repeat(70 * 1024))])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);

    // Only the author deletes; the answer is the deleted status.
    assert_eq!(
        bearer(
            &app,
            reqwest::Method::DELETE,
            &format!("/api/v1/statuses/{id}"),
            &bo
        )
        .send()
        .await
        .unwrap()
        .status(),
        404
    );
    let (status, deleted) = json(
        bearer(
            &app,
            reqwest::Method::DELETE,
            &format!("/api/v1/statuses/{id}"),
            &ana,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, deleted["text"].as_str()),
        (200, Some("hello #fediverse"))
    );
    assert_eq!(
        bearer(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/statuses/{id}"),
            &ana
        )
        .send()
        .await
        .unwrap()
        .status(),
        404
    );
}

#[tokio::test]
async fn timelines_page_by_link_headers_and_calls_are_rate_limited() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let key = key_for(&app, &session, "reader").await;
    for n in 1..=25 {
        let response = bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &key)
            .form(&[("status", format!("number {n}"))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let first = bearer(&app, reqwest::Method::GET, "/api/v1/timelines/home", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(first.headers()["x-ratelimit-limit"], "300");
    let next = link(&first, "next").expect("a next page");
    let (_, page) = json(first).await;
    assert_eq!(page.as_array().unwrap().len(), 20);
    assert_eq!(page[0]["text"], "number 25");
    let second = app.http.get(&next).bearer_auth(&key).send().await.unwrap();
    assert_eq!(link(&second, "next"), None, "the last page");
    let newer = link(&second, "prev").expect("a previous page");
    let (_, page) = json(second).await;
    let texts = |page: &Value| {
        page.as_array()
            .unwrap()
            .iter()
            .map(|s| s["text"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        texts(&page),
        ["number 5", "number 4", "number 3", "number 2", "number 1"]
    );
    // `prev` (min_id) reads the entries right above, oldest first, returned newest first.
    let (_, above) = json(
        app.http
            .get(format!("{newer}&limit=3"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(texts(&above), ["number 8", "number 7", "number 6"]);
    // max_id, since_id and min_id may also be status ids; limit is honoured.
    let id_of = |text: &str, page: &Value| {
        page.as_array()
            .unwrap()
            .iter()
            .find(|s| s["text"] == text)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let five = id_of("number 5", &page);
    let get = |query: String| {
        bearer(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/timelines/public?{query}"),
            &key,
        )
        .send()
    };
    let (_, older) = json(get(format!("max_id={five}&limit=2")).await.unwrap()).await;
    assert_eq!(texts(&older), ["number 4", "number 3"]);
    let (_, since) = json(get(format!("since_id={five}&limit=2")).await.unwrap()).await;
    assert_eq!(
        texts(&since),
        ["number 25", "number 24"],
        "since_id: the newest"
    );
    let (_, min) = json(get(format!("min_id={five}&limit=2")).await.unwrap()).await;
    assert_eq!(
        texts(&min),
        ["number 7", "number 6"],
        "min_id: right after it"
    );
    let (_, between) = json(
        get(format!(
            "min_id={five}&max_id={}&limit=10",
            id_of("number 3", &older)
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(texts(&between), Vec::<String>::new(), "an empty window");

    // 300 calls per window: the next one is 429, with the headers saying when to come back.
    let used: i64 = first_remaining(&app, &key).await;
    for _ in 0..used {
        bearer(&app, reqwest::Method::GET, "/api/v1/instance", &key)
            .send()
            .await
            .unwrap();
    }
    let refused = bearer(&app, reqwest::Method::GET, "/api/v1/instance", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    assert!(refused.headers().contains_key("x-ratelimit-reset"));
}

/// The URL of the `rel` link in a response's `Link` header, if any.
fn link(response: &reqwest::Response, rel: &str) -> Option<String> {
    let header = response.headers().get("link")?.to_str().ok()?.to_owned();
    header
        .split(", ")
        .find(|part| part.ends_with(&format!("rel=\"{rel}\"")))
        .and_then(|part| Some(part.split_once('<')?.1.split_once('>')?.0.to_owned()))
}

/// How many calls the key has left (this call included in the count).
async fn first_remaining(app: &TestApp, key: &str) -> i64 {
    let response = bearer(app, reqwest::Method::GET, "/api/v1/instance", key)
        .send()
        .await
        .unwrap();
    response.headers()["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Registers an app; returns (client_id, client_secret).
async fn register_app(app: &TestApp, redirect_uri: &str, scopes: &str) -> (String, String) {
    let (status, registered) = json(
        app.http
            .post(format!("{}/api/v1/apps", app.url))
            .form(&[
                ("client_name", "Test Client"),
                ("redirect_uris", redirect_uri),
                ("scopes", scopes),
                ("website", "https://client.example"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{registered}");
    (
        registered["client_id"].as_str().unwrap().to_owned(),
        registered["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// The person approves on the consent page; returns the redirect's query (code, state).
async fn approve(app: &TestApp, session: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(format!("{}/oauth/authorize", app.url))
        .header("origin", &app.url)
        .header("cookie", format!("ts_session={session}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

fn query_of(response: &reqwest::Response) -> std::collections::HashMap<String, String> {
    let location = response.headers()["location"].to_str().unwrap();
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn apps_log_in_through_oauth_and_their_tokens_are_keys() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let callback = "https://client.example/callback";
    let (client_id, client_secret) = register_app(&app, callback, "read write follow").await;
    let authorize = format!("/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={callback}&scope=read+write&state=xyz");

    // Not logged in: to the login page, and back here afterwards.
    let anonymous = app.get(&authorize).await;
    assert_eq!(anonymous.status(), 303);
    assert!(anonymous.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next=%2Foauth%2Fauthorize"));
    let consent = app.get_as(&session, &authorize).await;
    assert_eq!(consent.status(), 200);
    let html = consent.text().await.unwrap();
    assert!(
        html.contains("Authorize Test Client?")
            && html.contains("<code>read</code>")
            && html.contains("@ana"),
        "{html}"
    );

    // Asking for more than the app registered is refused.
    let greedy = app
        .get_as(
            &session,
            &authorize.replace("scope=read+write", "scope=read+push"),
        )
        .await;
    assert_eq!(greedy.status(), 400);
    // Another site cannot submit the consent form for her.
    let forged = app
        .http
        .post(format!("{}/oauth/authorize", app.url))
        .header("origin", "https://evil.example")
        .header("cookie", format!("ts_session={session}"))
        .form(&[
            ("client_id", client_id.as_str()),
            ("redirect_uri", callback),
            ("scope", "read"),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    let form = [
        ("client_id", client_id.as_str()),
        ("redirect_uri", callback),
        ("scope", "read write"),
        ("state", "xyz"),
        ("decision", "approve"),
    ];
    let approved = approve(&app, &session, &form).await;
    assert_eq!(approved.status(), 303);
    let answer = query_of(&approved);
    assert_eq!(answer["state"], "xyz");
    let code = answer["code"].clone();

    let exchange = |code: String| {
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("client_id", client_id.clone()),
            ("client_secret", client_secret.clone()),
            ("redirect_uri", callback.to_owned()),
        ];
        app.http
            .post(format!("{}/oauth/token", app.url))
            .form(&form)
            .send()
    };
    let (status, token) = json(exchange(code.clone()).await.unwrap()).await;
    assert_eq!(
        (
            status,
            token["token_type"].as_str(),
            token["scope"].as_str()
        ),
        (200, Some("Bearer"), Some("read write"))
    );
    let access = token["access_token"].as_str().unwrap().to_owned();
    let (status, me) = json(
        bearer(
            &app,
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            &access,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, me["username"].as_str()), (200, Some("ana")));
    // The token is an API key named after the app, in her settings.
    let listed = app
        .get_as(&session, "/api/api_keys/list")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("\"app_name\":\"Test Client\""), "{listed}");

    // A code works once; a wrong secret is refused.
    let (status, again) = json(exchange(code).await.unwrap()).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, wrong) = json(
        app.http
            .post(format!("{}/oauth/token", app.url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", "nope"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, wrong["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // Revoked by the app: the token no longer works.
    let revoked = app
        .http
        .post(format!("{}/oauth/revoke", app.url))
        .form(&[
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.as_str()),
            ("token", access.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        bearer(
            &app,
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            &access
        )
        .send()
        .await
        .unwrap()
        .status(),
        401
    );
}

#[tokio::test]
async fn pkce_and_app_tokens() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let (client_id, client_secret) = register_app(&app, "urn:ietf:wg:oauth:2.0:oob", "read").await;

    // PKCE (S256): the verifier must match the challenge. The out-of-band code is shown on the page.
    let verifier = "a-long-random-verifier-string-of-at-least-43-characters-xyz";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let form = [
        ("client_id", client_id.as_str()),
        ("scope", "read"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("decision", "approve"),
    ];
    let shown = approve(&app, &session, &form).await.text().await.unwrap();
    let code = shown
        .split("<code class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let token = |verifier: &'static str, code: String| {
        app.http
            .post(format!("{}/oauth/token", app.url))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client_id),
                ("client_secret", &client_secret),
                ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
                ("code_verifier", verifier),
            ])
            .send()
    };
    let (status, refused) = json(token("the-wrong-verifier", code.clone()).await.unwrap()).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The code was consumed by the failed attempt: approve again.
    let shown = approve(&app, &session, &form).await.text().await.unwrap();
    let code = shown
        .split("<code class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let (status, granted) = json(token(verifier, code).await.unwrap()).await;
    assert_eq!(status, 200, "{granted}");

    // An app's own token: the app, not a person.
    let (status, own) = json(
        app.http
            .post(format!("{}/oauth/token", app.url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &client_secret),
                ("scope", "read"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let own = own["access_token"].as_str().unwrap().to_owned();
    let (status, verified) = json(
        bearer(
            &app,
            reqwest::Method::GET,
            "/api/v1/apps/verify_credentials",
            &own,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, verified["name"].as_str()),
        (200, Some("Test Client"))
    );
    let (status, body) = json(
        bearer(&app, reqwest::Method::GET, "/api/v1/timelines/home", &own)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("This method requires an authenticated user"))
    );
    assert_eq!(
        bearer(&app, reqwest::Method::GET, "/api/v1/timelines/public", &own)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// Two people with keys: (app, ana's key, bo's key, ana's account id, bo's account id).
async fn two_people() -> (TestApp, String, String, String, String) {
    let app = TestApp::spawn().await;
    let ana_session = app.sign_up("ana").await;
    let bo_session = app.sign_up("bo").await;
    let ana = key_for(&app, &ana_session, "ana").await;
    let bo = key_for(&app, &bo_session, "bo").await;
    let id_of = |name: &'static str| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM users WHERE username = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
                .to_string()
        }
    };
    let (ana_id, bo_id) = (id_of("ana").await, id_of("bo").await);
    (app, ana, bo, ana_id, bo_id)
}

#[tokio::test]
async fn follows_blocks_and_relationships_follow_the_apps_rules() {
    let (app, ana, bo, ana_id, bo_id) = two_people().await;
    let call =
        |method: reqwest::Method, path: String, key: &str| bearer(&app, method, &path, key).send();

    let (status, rel) = json(
        call(
            reqwest::Method::POST,
            format!("/api/v1/accounts/{ana_id}/follow"),
            &bo,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, rel["following"].as_bool(), rel["id"].as_str()),
        (200, Some(true), Some(ana_id.as_str()))
    );
    let (_, followers) = json(
        call(
            reqwest::Method::GET,
            format!("/api/v1/accounts/{ana_id}/followers"),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(followers[0]["username"], "bo");
    let (_, rels) = json(
        call(
            reqwest::Method::GET,
            format!("/api/v1/accounts/relationships?id[]={bo_id}"),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (
            rels[0]["followed_by"].as_bool(),
            rels[0]["following"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let (status, _) = json(
        call(
            reqwest::Method::POST,
            format!("/api/v1/accounts/{ana_id}/follow"),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "following yourself");

    // Ana posts; then blocks bo: the follow ends, and he can no longer see or like her statuses.
    let (_, posted) = json(
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &ana)
            .form(&[("status", "mine")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let status_id = posted["id"].as_str().unwrap().to_owned();
    let (status, rel) = json(
        call(
            reqwest::Method::POST,
            format!("/api/v1/accounts/{bo_id}/block"),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (
            status,
            rel["blocking"].as_bool(),
            rel["followed_by"].as_bool()
        ),
        (200, Some(true), Some(false))
    );
    let (_, rels) = json(
        call(
            reqwest::Method::GET,
            format!("/api/v1/accounts/relationships?id[]={ana_id}"),
            &bo,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(rels[0]["blocked_by"].as_bool(), Some(true));
    assert_eq!(
        call(
            reqwest::Method::GET,
            format!("/api/v1/statuses/{status_id}"),
            &bo
        )
        .await
        .unwrap()
        .status(),
        404
    );
    assert_eq!(
        call(
            reqwest::Method::POST,
            format!("/api/v1/statuses/{status_id}/favourite"),
            &bo
        )
        .await
        .unwrap()
        .status(),
        404
    );
    assert_eq!(
        call(
            reqwest::Method::POST,
            format!("/api/v1/accounts/{ana_id}/follow"),
            &bo
        )
        .await
        .unwrap()
        .status(),
        403
    );
    let (_, blocked) = json(
        call(reqwest::Method::GET, "/api/v1/blocks".into(), &ana)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(blocked[0]["username"], "bo");
    let (_, rel) = json(
        call(
            reqwest::Method::POST,
            format!("/api/v1/accounts/{bo_id}/unblock"),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(rel["blocking"].as_bool(), Some(false));
    assert_eq!(
        call(
            reqwest::Method::GET,
            "/api/v1/accounts/not-an-id".into(),
            &ana
        )
        .await
        .unwrap()
        .status(),
        404
    );
}

#[tokio::test]
async fn favourites_notifications_search_and_profile_edits() {
    let (app, ana, bo, _, _) = two_people().await;
    let (_, posted) = json(
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", &ana)
            .form(&[("status", "find me #here")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = posted["id"].as_str().unwrap().to_owned();
    let (status, liked) = json(
        bearer(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/statuses/{id}/favourite"),
            &bo,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (
            status,
            liked["favourited"].as_bool(),
            liked["favourites_count"].as_i64()
        ),
        (200, Some(true), Some(1))
    );
    let (status, again) = json(
        bearer(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/statuses/{id}/favourite"),
            &bo,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, again["favourites_count"].as_i64()),
        (200, Some(1)),
        "twice is once"
    );
    let (_, favourites) = json(
        bearer(&app, reqwest::Method::GET, "/api/v1/favourites", &bo)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(favourites[0]["id"].as_str(), Some(id.as_str()));

    let (_, notifications) = json(
        bearer(&app, reqwest::Method::GET, "/api/v1/notifications", &ana)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            notifications[0]["type"].as_str(),
            notifications[0]["account"]["username"].as_str()
        ),
        (Some("favourite"), Some("bo"))
    );
    assert_eq!(notifications[0]["status"]["id"].as_str(), Some(id.as_str()));
    let notification = notifications[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        bearer(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/notifications/{notification}"),
            &bo
        )
        .send()
        .await
        .unwrap()
        .status(),
        404,
        "not his"
    );
    assert_eq!(
        bearer(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/notifications/{notification}/dismiss"),
            &ana
        )
        .send()
        .await
        .unwrap()
        .status(),
        200
    );
    let (_, left) = json(
        bearer(&app, reqwest::Method::GET, "/api/v1/notifications", &ana)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(left.as_array().unwrap().len(), 0);

    let (_, found) = json(
        bearer(&app, reqwest::Method::GET, "/api/v2/search?q=here", &bo)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            found["hashtags"][0]["name"].as_str(),
            found["statuses"][0]["id"].as_str()
        ),
        (Some("here"), Some(id.as_str()))
    );

    // Partial edits, plus Thoughtspace's own fields; bad values name the field and change nothing.
    let (status, refused) = json(
        bearer(
            &app,
            reqwest::Method::PATCH,
            "/api/v1/accounts/update_credentials",
            &ana,
        )
        .json(&json!({ "display_name": "Not Saved", "top_friends": ["nobody"] }))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "there is no @nobody: {refused}");
    let name: Option<String> =
        sqlx::query_scalar("SELECT display_name FROM users WHERE username = 'ana'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(name, None, "nothing was saved");
    let bo_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'bo'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        bearer(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/accounts/{bo_id}/follow"),
            &ana
        )
        .send()
        .await
        .unwrap()
        .status(),
        200
    );
    let edited = bearer(&app, reqwest::Method::PATCH, "/api/v1/accounts/update_credentials", &ana)
        .json(&json!({ "display_name": "Ana B", "custom_css": "body { color: red } .x { background: url(\"javascript:alert(1)\") }", "top_friends": ["bo"], "unknown": 1 }))
        .send()
        .await
        .unwrap();
    let (status, account) = json(edited).await;
    assert_eq!(
        (status, account["display_name"].as_str()),
        (200, Some("Ana B")),
        "{account}"
    );
    let css: String = sqlx::query_scalar("SELECT custom_css FROM users WHERE username = 'ana'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(!css.contains("javascript"), "{css}");
    let friends: i64 = sqlx::query_scalar("SELECT count(*) FROM top_friends")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(friends, 1);
    let (status, body) = json(
        bearer(&app, reqwest::Method::PATCH, "/api/v1/accounts/update_credentials", &ana)
            .json(&json!({ "display_name": "Not Saved", "custom_css": ".x { background: url(javascript:alert(1)) }" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("Validation failed: custom_css line 1"),
        "{body}"
    );
    let name: Option<String> =
        sqlx::query_scalar("SELECT display_name FROM users WHERE username = 'ana'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(name.as_deref(), Some("Ana B"), "nothing was saved");
    let (status, body) = json(
        bearer(
            &app,
            reqwest::Method::PATCH,
            "/api/v1/accounts/update_credentials",
            &ana,
        )
        .form(&[("note", "x".repeat(161).as_str())])
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("Validation failed: note"),
        "{body}"
    );
    let (status, body) = json(
        bearer(
            &app,
            reqwest::Method::PATCH,
            "/api/v1/accounts/update_credentials",
            &ana,
        )
        .json(&json!({ "top_friends": [5] }))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            422,
            Some("Validation failed: top_friends must be a list of strings")
        )
    );
}

#[tokio::test]
async fn the_undo_endpoints_and_the_remaining_lists() {
    let (app, ana, bo, ana_id, bo_id) = two_people().await;
    let call =
        |method: reqwest::Method, path: String, key: &str| bearer(&app, method, &path, key).send();
    let (_, posted) = json(
        call(
            reqwest::Method::POST,
            "/api/v1/statuses?status=undo%20me".into(),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    let id = posted["id"].as_str().unwrap().to_owned();

    assert_eq!(
        call(
            reqwest::Method::POST,
            format!("/api/v1/accounts/{ana_id}/follow"),
            &bo
        )
        .await
        .unwrap()
        .status(),
        200
    );
    let (_, following) = json(
        call(
            reqwest::Method::GET,
            format!("/api/v1/accounts/{bo_id}/following"),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(following[0]["username"], "ana");
    let (_, statuses) = json(
        call(
            reqwest::Method::GET,
            format!("/api/v1/accounts/{ana_id}/statuses"),
            &bo,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(statuses[0]["id"].as_str(), Some(id.as_str()));

    let (_, boosted) = json(
        call(
            reqwest::Method::POST,
            format!("/api/v1/statuses/{id}/reblog"),
            &bo,
        )
        .await
        .unwrap(),
    )
    .await;
    // The boost's own status, wrapping the original (tests/integration/reblogs.rs).
    assert_eq!(
        (
            boosted["reblog"]["id"].as_str(),
            boosted["reblog"]["reblogged"].as_bool(),
            boosted["reblog"]["reblogs_count"].as_i64()
        ),
        (Some(id.as_str()), Some(true), Some(1))
    );
    let (_, boosters) = json(
        call(
            reqwest::Method::GET,
            format!("/api/v1/statuses/{id}/reblogged_by"),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(boosters[0]["username"], "bo");
    let (_, unboosted) = json(
        call(
            reqwest::Method::POST,
            format!("/api/v1/statuses/{id}/unreblog"),
            &bo,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (
            unboosted["reblogged"].as_bool(),
            unboosted["reblogs_count"].as_i64()
        ),
        (Some(false), Some(0))
    );
    call(
        reqwest::Method::POST,
        format!("/api/v1/statuses/{id}/favourite"),
        &bo,
    )
    .await
    .unwrap();
    let (_, unliked) = json(
        call(
            reqwest::Method::POST,
            format!("/api/v1/statuses/{id}/unfavourite"),
            &bo,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (
            unliked["favourited"].as_bool(),
            unliked["favourites_count"].as_i64()
        ),
        (Some(false), Some(0))
    );

    let (_, rel) = json(
        call(
            reqwest::Method::POST,
            format!("/api/v1/accounts/{ana_id}/unfollow"),
            &bo,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(rel["following"].as_bool(), Some(false));

    let (_, before) = json(
        call(reqwest::Method::GET, "/api/v1/notifications".into(), &ana)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        before.as_array().unwrap().len(),
        1,
        "the follow (undone likes and boosts took theirs back)"
    );
    assert_eq!(
        call(
            reqwest::Method::POST,
            "/api/v1/notifications/clear".into(),
            &ana
        )
        .await
        .unwrap()
        .status(),
        200
    );
    let (_, after) = json(
        call(reqwest::Method::GET, "/api/v1/notifications".into(), &ana)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(after, json!([]));
    let (status, body) = json(
        call(
            reqwest::Method::GET,
            "/api/v1/no/such/endpoint".into(),
            &ana,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (404, json!({ "error": "Record not found" }))
    );
}

#[tokio::test]
async fn a_retried_status_with_the_same_idempotency_key_is_stored_once() {
    let app = TestApp::spawn().await;
    let ana_session = app.sign_up("ana").await;
    let bo_session = app.sign_up("bo").await;
    let ana = key_for(&app, &ana_session, "ana's app").await;
    let bo = key_for(&app, &bo_session, "bo's app").await;
    let post = |key: &str, idempotency: &str, text: &str| {
        bearer(&app, reqwest::Method::POST, "/api/v1/statuses", key)
            .header("Idempotency-Key", idempotency)
            .form(&[("status", text)])
            .send()
    };

    let (status, first) = json(post(&ana, "retry-1", "stored once").await.unwrap()).await;
    assert_eq!(status, 200, "{first}");
    // The retry (even with another text, as a confused client might send) gets the first.
    let (status, again) = json(post(&ana, "retry-1", "stored twice?").await.unwrap()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["content"], first["content"]);
    // Another key, or the same key from another person, is another status.
    let (_, other) = json(post(&ana, "retry-2", "stored once").await.unwrap()).await;
    assert_ne!(other["id"], first["id"]);
    let (_, bos) = json(post(&bo, "retry-1", "bo's own").await.unwrap()).await;
    assert_ne!(bos["id"], first["id"]);
    assert_eq!(bos["account"]["username"], "bo");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM thoughts t JOIN users u ON u.id = t.user_id WHERE u.username = 'ana'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(stored, 2);

    // A key that is not one is refused, naming the header.
    let (status, refused) = json(post(&ana, &"k".repeat(201), "x").await.unwrap()).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.to_string().contains("Idempotency-Key"), "{refused}");
}
