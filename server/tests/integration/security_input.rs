//! Issue #13, input: hostile input is refused with an error that names its field, or
//! answered 404 when it is part of a path, and never answered 500 or with a dropped
//! connection; addresses stored before they were checked are never rendered as links;
//! feeds stay XML; a delivery whose answer is garbage is counted as a failed attempt.

use app::backend::{
    federation::{client::FederationOptions, delivery, keys, outbox},
    Backend,
};
use axum::{
    http::StatusCode,
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};

use crate::support::{insert_thought, insert_user, TestApp, TestDatabase};

async fn status_and_text(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// A key for the client API, made through the settings' server function.
async fn key_for(app: &TestApp, session: &str) -> String {
    let response = app
        .post_form("/api/api_keys/create", &[("name", "bot")], Some(session))
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn api_post(app: &TestApp, key: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    status_and_text(
        app.http
            .post(format!("{}{path}", app.url))
            .bearer_auth(key)
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_thought_of_combining_marks_is_refused_by_its_weight_on_every_door() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    // One user-perceived character, 20 KB.
    let heavy = format!("a{}", "\u{301}".repeat(10_000));
    let (status, body) = status_and_text(
        app.post_form(
            "/api/thoughts/post",
            &[("content", &heavy), ("visibility", "public")],
            Some(&session),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("\"field\":\"content\"") && body.contains("bytes"),
        "{body}"
    );

    let key = key_for(&app, &session).await;
    let (status, body) = api_post(&app, &key, "/api/v1/statuses", &[("status", &heavy)]).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("Validation failed: status") && body.contains("bytes"),
        "{body}"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM thoughts")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn nul_and_control_characters_are_refused_by_field_or_not_found_never_a_500() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let key = key_for(&app, &session).await;

    // Fields: 422, naming the field.
    for (path, form, field) in [
        (
            "/api/thoughts/post",
            vec![("content", "a\0b"), ("visibility", "public")],
            "content",
        ),
        (
            "/api/thoughts/post",
            vec![("content", "clear\u{1b}[2J"), ("visibility", "public")],
            "content",
        ),
        ("/api/api_keys/create", vec![("name", "k\0")], "name"),
        ("/api/api_keys/create", vec![("name", "k\u{7}")], "name"),
        (
            "/api/accounts/log_in",
            vec![("login", "ana\0"), ("password", "correct horse")],
            "login",
        ),
        (
            "/api/profiles/update",
            vec![
                ("display_name", "A\u{0}"),
                ("bio", ""),
                ("avatar_url", ""),
                ("header_url", ""),
            ],
            "display_name",
        ),
    ] {
        let (status, body) =
            status_and_text(app.post_form(path, &form, Some(&session)).await).await;
        assert_eq!(status, 422, "{path} {form:?}: {body}");
        assert!(
            body.contains(&format!("\"field\":\"{field}\"")),
            "{path} {form:?}: {body}"
        );
    }
    let (status, body) = status_and_text(app.get_as(&session, "/api/search?q=a%00b").await).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("\"field\":\"q\""), "{body}");

    // The client API: 422, naming the parameter.
    for (path, form, field) in [
        ("/api/v1/statuses", vec![("status", "a\0b")], "status"),
        ("/api/v1/statuses", vec![("status", "bell\u{7}")], "status"),
        (
            "/api/v1/apps",
            vec![
                ("client_name", "x\0"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ],
            "client_name",
        ),
        (
            "/api/v1/apps",
            vec![
                ("client_name", "x\u{1}"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ],
            "client_name",
        ),
        (
            "/api/v1/apps",
            vec![
                ("client_name", "x"),
                ("redirect_uris", "https://c.example/cb\0"),
            ],
            "redirect_uris",
        ),
        (
            "/api/v1/apps",
            vec![
                ("client_name", "x"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
                ("website", "javascript:alert(1)"),
            ],
            "website",
        ),
    ] {
        let (status, body) = api_post(&app, &key, path, &form).await;
        assert_eq!(status, 422, "{path} {form:?}: {body}");
        assert!(
            body.contains(&format!("Validation failed: {field}")),
            "{path} {form:?}: {body}"
        );
    }
    let lookup = app
        .http
        .get(format!("{}/api/v1/accounts/lookup?acct=a%00b", app.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status(), 422);

    // Paths and lookups: 404.
    let host = app.url.trim_start_matches("http://").to_owned();
    for path in [
        format!("/.well-known/webfinger?resource=acct:an%00a@{host}"),
        format!("/.well-known/webfinger?resource={}/users/an%00a", app.url),
        "/users/an%00a".into(),
        "/users/%0aX".into(),
        "/users/%0aX/thoughts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
        "/@an%00a".into(),
        "/@ana%0a".into(),
        "/@an%00a/feed.atom".into(),
        "/@an%00a/style.css".into(),
        "/tags/a%00b".into(),
        "/tags/a%00b/feed.atom".into(),
        "/api/profiles/get?username=an%00a".into(),
    ] {
        for accept in ["text/html", "application/activity+json"] {
            let response = app
                .http
                .get(format!("{}{path}", app.url))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{path} ({accept})");
        }
    }
}

#[tokio::test]
async fn malformed_server_function_arguments_are_a_400_that_says_why() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    for (path, body) in [
        ("/api/accounts/log_in", "login=ana"),
        ("/api/thoughts/react", "id=x&reaction=like&on=maybe"),
        ("/api/thoughts/post", "visibility=public"),
    ] {
        let response = app
            .http
            .post(format!("{}{path}", app.url))
            .header("origin", &app.url)
            .header("cookie", format!("ts_session={session}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, text) = status_and_text(response).await;
        assert_eq!(status, 400, "{path} {body}: {text}");
        let error: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
        assert!(
            error["BadRequest"]
                .as_str()
                .is_some_and(|why| why.contains("argument")),
            "{path}: {text}"
        );
    }
}

#[tokio::test]
async fn stored_addresses_that_are_not_http_are_never_rendered() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let key = key_for(&app, &session).await;
    // A remote person cached before addresses were checked (no refresh is due).
    let mallory: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, avatar_url, header_url, is_remote, ap_id, inbox_url)
         VALUES ('mal@evil.example', 'Mal', 'javascript:alert(2)', 'javascript:alert(3)', true,
                 'https://evil.example/users/mal', 'https://evil.example/inbox') RETURNING id",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO remote_actors (ap_url, username, inbox_url, user_id, profile_url, post_count, fetched_at)
         VALUES ('https://evil.example/users/mal', 'mal', 'https://evil.example/inbox', $1, 'javascript:alert(1)', 0, now())",
    )
    .bind(mallory)
    .execute(&app.db.pool)
    .await
    .unwrap();

    for session in [None, Some(session.as_str())] {
        let response = match session {
            Some(session) => app.get_as(session, "/@mal@evil.example").await,
            None => app.get("/@mal@evil.example").await,
        };
        let (status, page) = status_and_text(response).await;
        assert_eq!(status, 200, "{page}");
        assert!(!page.to_ascii_lowercase().contains("javascript:"), "{page}");
        assert!(
            page.contains("<link href=\"https://evil.example/users/mal\" rel=\"canonical\">"),
            "{page}"
        );
    }
    let account: Value = app
        .http
        .get(format!("{}/api/v1/accounts/{mallory}", app.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        account["url"], "https://evil.example/users/mal",
        "{account}"
    );
    assert!(!account.to_string().contains("javascript:"), "{account}");

    // An app registered with a `javascript:` website before the check existed.
    sqlx::query(
        "INSERT INTO oauth_apps (client_id, client_secret_hash, name, website, redirect_uris, scopes)
         VALUES ('old-app', 'x', 'Old app', 'javascript:alert(4)', 'urn:ietf:wg:oauth:2.0:oob', 'read')",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let (status, consent) = status_and_text(
        app.get_as(
            &session,
            "/oauth/authorize?client_id=old-app&response_type=code",
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{consent}");
    assert!(
        consent.contains("Old app") && !consent.contains("javascript:"),
        "{consent}"
    );
}

#[tokio::test]
async fn a_control_character_in_a_stored_thought_cannot_break_a_feed() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let ana: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ana'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // Stored before the input rule: PostgreSQL keeps every control character but NUL.
    insert_thought(
        &app.db.pool,
        ana,
        "bell\u{7} esc\u{1b}[1m vt\u{b} ff\u{c} nonchar\u{fffe} #tag",
        "public",
        chrono::Utc::now(),
    )
    .await;
    let (status, feed) = status_and_text(app.get("/@ana/feed.atom").await).await;
    assert_eq!(status, 200);
    assert!(
        feed.contains("<title>bell esc[1m vt ff nonchar #tag</title>"),
        "{feed}"
    );
    let forbidden = |c: char| matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    assert!(!feed.chars().any(forbidden), "{feed:?}");
}

#[tokio::test]
async fn a_garbled_error_answer_is_a_failed_attempt_and_in_the_end_a_dead_letter() {
    let db = TestDatabase::new().await;
    let backend = Backend::new(
        db.pool.clone(),
        "http://ts.test".into(),
        &FederationOptions::for_loopback_tests(),
    )
    .unwrap();
    let sender = insert_user(&db.pool, "ana").await;
    keys::for_user(&db.pool, sender).await.unwrap();
    // 2 KiB that are not UTF-8 (each byte becomes a three-byte U+FFFD), and a NUL.
    let inbox = Router::new().route(
        "/inbox",
        post(|| async {
            let mut body = vec![0xff_u8; 2047];
            body.push(0);
            (StatusCode::INTERNAL_SERVER_ERROR, body)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/inbox", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, inbox).await.unwrap() });
    let activity = json!({ "id": "http://ts.test/activities/1", "type": "Create", "actor": "http://ts.test/users/ana" });
    outbox::enqueue(
        &mut db.pool.acquire().await.unwrap(),
        Some(sender),
        &activity,
        vec![url],
    )
    .await
    .unwrap();

    assert_eq!(delivery::deliver_due(&backend).await.unwrap(), 1);
    let (attempts, error, wait): (i32, Option<String>, f64) =
        sqlx::query_as("SELECT attempts, last_error, extract(epoch FROM next_attempt_at - now())::float8 FROM deliveries")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let error = error.expect("the attempt was recorded");
    assert_eq!(attempts, 1);
    assert!(
        error.starts_with("HTTP 500: \u{fffd}") && error.len() <= 2100 && !error.contains('\0'),
        "{} bytes",
        error.len()
    );
    assert!(
        wait < 60.0,
        "retried after the back-off, not after the lease: {wait}"
    );

    // The last attempt fails the same way: a dead letter, not a row leased forever.
    sqlx::query("UPDATE deliveries SET attempts = $1 - 1, next_attempt_at = now()")
        .bind(delivery::MAX_ATTEMPTS)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(delivery::deliver_due(&backend).await.unwrap(), 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM failed_events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!((left, dead), (0, 1));
}

/// Indexing past the end: a panic with a formatted message, as real bugs make.
async fn out_of_bounds() -> &'static str {
    let parts: Vec<&'static str> = Vec::new();
    parts[std::hint::black_box(1)]
}

#[tokio::test]
async fn a_handler_that_panics_is_answered_500_on_a_connection_that_stays_usable() {
    let router = Router::new()
        .route("/boom", get(out_of_bounds))
        .route("/fine", get(|| async { "fine" }))
        .layer(server::http::guards::catch_panics());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    // One connection for both requests: the panic must not have closed it.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let (status, body) =
        status_and_text(client.get(format!("{base}/boom")).send().await.unwrap()).await;
    assert_eq!(
        (status, body.as_str()),
        (500, "something went wrong on our side; please try again")
    );
    let (status, body) =
        status_and_text(client.get(format!("{base}/fine")).send().await.unwrap()).await;
    assert_eq!((status, body.as_str()), (200, "fine"));
}
