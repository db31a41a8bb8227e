//! Sign-up, log-in, sessions and their protections, through the server functions the
//! browser calls, against real PostgreSQL.

use crate::support::{session_cookie, session_set_cookie, TestApp, TestDatabase};
use app::backend::accounts::{self, SignUp};

async fn viewer_name(app: &TestApp, session: &str) -> Option<String> {
    let response = app.get_as(session, "/api/accounts/viewer").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["username"].as_str().map(str::to_owned)
}

fn field_errors(body: &serde_json::Value) -> Vec<(String, String)> {
    body["Invalid"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap().to_owned(),
                        e["message"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn sign_up_creates_the_account_with_a_hashed_password_and_logs_in() {
    let app = TestApp::spawn().await;
    let response = app
        .post_form(
            "/api/accounts/sign_up",
            &[
                ("username", "Ana_B"),
                ("email", "ana@example.com"),
                ("password", "correct horse"),
            ],
            None,
        )
        .await;
    // Posted without asking for JSON (reqwest sends `Accept: */*`): a real redirect.
    assert_eq!(response.status(), 303);
    let set_cookie = session_set_cookie(&response).expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} missing: {set_cookie}"
        );
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain http: no Secure attribute"
    );
    let token = session_cookie(&response).unwrap();

    let (hash, is_admin): (String, bool) =
        sqlx::query_as("SELECT password_hash, is_admin FROM users WHERE username = 'Ana_B'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("correct horse"));
    assert!(!is_admin);
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token, "only the token's hash is stored");

    assert_eq!(viewer_name(&app, &token).await.as_deref(), Some("Ana_B"));
    let home = app.get_as(&token, "/").await.text().await.unwrap();
    assert!(
        home.contains("href=\"/@Ana_B\"") && home.contains("Log out"),
        "the navigation knows who is there"
    );
}

#[tokio::test]
async fn sign_up_names_every_refused_field_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let response = app
        .post_form(
            "/api/accounts/sign_up",
            &[
                ("username", "ana b"),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(session_cookie(&response).is_none());
    let errors = field_errors(&response.json().await.unwrap());
    let fields: Vec<&str> = errors.iter().map(|(field, _)| field.as_str()).collect();
    assert_eq!(fields, ["username", "email", "password"], "{errors:?}");
    assert!(errors[2].1.contains("8 characters"));

    for (username, why) in [
        ("admin", "reserved"),
        ("well-known", "a–z"),
        (&"x".repeat(33)[..], "32"),
    ] {
        let response = app
            .post_form(
                "/api/accounts/sign_up",
                &[
                    ("username", username),
                    ("email", "a@example.com"),
                    ("password", "correct horse"),
                ],
                None,
            )
            .await;
        assert_eq!(response.status(), 422, "{username}");
        let errors = field_errors(&response.json().await.unwrap());
        assert!(
            errors[0].0 == "username" && errors[0].1.contains(why),
            "{username}: {errors:?}"
        );
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn usernames_and_emails_are_unique_regardless_of_case() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let response = app
        .post_form(
            "/api/accounts/sign_up",
            &[
                ("username", "ANA"),
                ("email", "ANA@EXAMPLE.TEST"),
                ("password", "correct horse"),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), 422);
    let errors = field_errors(&response.json().await.unwrap());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors
        .iter()
        .any(|(f, m)| f == "username" && m.contains("taken")));
    assert!(
        errors
            .iter()
            .any(|(f, m)| f == "email" && m == accounts::EMAIL_UNUSABLE),
        "the email's owner is not revealed"
    );
}

#[tokio::test]
async fn a_sign_up_race_ends_in_one_account_and_clear_errors() {
    let db = TestDatabase::new().await;
    let attempts = (0..8).map(|i| {
        let pool = db.pool.clone();
        tokio::spawn(async move {
            accounts::create(
                &mut pool.acquire().await.unwrap(),
                SignUp {
                    username: "Racer".into(),
                    email: format!("racer{i}@example.test"),
                    password: "correct horse".into(),
                    is_admin: false,
                },
            )
            .await
        })
    });
    let results: Vec<_> = futures_join(attempts).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for result in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(
            result.field_message("username").as_deref(),
            Some("this username is taken"),
            "{result:?}"
        );
    }
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await.unwrap());
    }
    results
}

#[tokio::test]
async fn log_in_by_username_or_email_with_one_message_for_every_failure() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("ana").await;
    let by_name = app
        .log_in("ANA", "correct horse")
        .await
        .expect("username, any case");
    let by_email = app
        .log_in("ana@example.test", "correct horse")
        .await
        .expect("email");
    assert!(
        first != by_name && by_name != by_email,
        "a new session id at every log-in"
    );

    let mut messages = Vec::new();
    for (login, password) in [
        ("ana", "wrong horse"),
        ("nobody", "correct horse"),
        ("nobody@example.test", "x"),
    ] {
        let response = app.log_in(login, password).await.expect_err("refused");
        assert_eq!(response.status(), 422);
        messages.push(field_errors(&response.json().await.unwrap()));
    }
    assert!(
        messages.windows(2).all(|pair| pair[0] == pair[1]),
        "same answer for all: {messages:?}"
    );
    assert_eq!(
        messages[0],
        [("login".to_owned(), accounts::WRONG_CREDENTIALS.to_owned())]
    );
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_account_with_a_wait_time() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    for _ in 0..5 {
        assert_eq!(
            app.log_in("ana", "wrong horse").await.unwrap_err().status(),
            422
        );
    }
    let response = app
        .log_in("ana@example.test", "correct horse")
        .await
        .expect_err("throttled even with the right password");
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..=901).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["RateLimited"]["retry_after"], retry_after);

    // Another account from the same address is not affected by ana's count.
    app.sign_up("bo").await;
    assert!(app.log_in("bo", "correct horse").await.is_ok());
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_client_address() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    for i in 0..20 {
        let _ = app.log_in(&format!("guess{i}"), "wrong horse").await;
    }
    let response = app
        .log_in("ana", "correct horse")
        .await
        .expect_err("this address is throttled");
    assert_eq!(response.status(), 429);
}

#[tokio::test]
async fn log_out_ends_the_session_and_log_out_everywhere_ends_them_all() {
    let app = TestApp::spawn().await;
    let laptop = app.sign_up("ana").await;
    let phone = app.log_in("ana", "correct horse").await.unwrap();
    let tablet = app.log_in("ana", "correct horse").await.unwrap();

    let response = app
        .post_form("/api/accounts/log_out", &[], Some(&laptop))
        .await;
    assert_eq!(response.status(), 303);
    let removal = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().contains("Max-Age=0"));
    assert!(removal, "the cookie is removed");
    assert_eq!(viewer_name(&app, &laptop).await, None);
    assert_eq!(viewer_name(&app, &phone).await.as_deref(), Some("ana"));

    let response = app
        .post_form("/api/accounts/log_out_everywhere", &[], Some(&phone))
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(viewer_name(&app, &phone).await, None);
    assert_eq!(viewer_name(&app, &tablet).await, None);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    let response = app
        .post_form("/api/accounts/log_out_everywhere", &[], None)
        .await;
    assert_eq!(response.status(), 401, "needs a session");
}

#[tokio::test]
async fn sessions_are_shared_by_every_server_process() {
    let db = TestDatabase::new().await;
    let first = TestApp::spawn_on(db.clone(), None).await;
    let second = TestApp::spawn_on(db, None).await;
    let token = first.sign_up("ana").await;
    assert_eq!(viewer_name(&second, &token).await.as_deref(), Some("ana"));
}

#[tokio::test]
async fn cookies_are_secure_when_the_site_is_https() {
    let app = TestApp::spawn_on(TestDatabase::new().await, Some("https://ts.example")).await;
    // The browser would come from the public origin.
    let response = app
        .http
        .post(format!("{}/api/accounts/sign_up", app.url))
        .header("origin", "https://ts.example")
        .form(&[
            ("username", "ana"),
            ("email", "ana@example.test"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    // Posted without asking for JSON (reqwest sends `Accept: */*`): a real redirect.
    assert_eq!(response.status(), 303);
    assert!(session_set_cookie(&response).unwrap().contains("; Secure"));
}

#[tokio::test]
async fn cross_site_requests_cannot_change_anything() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("ana").await;

    let forged = app
        .http
        .post(format!("{}/api/accounts/log_out_everywhere", app.url))
        .header("origin", "https://evil.example")
        .header("cookie", format!("ts_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged
        .text()
        .await
        .unwrap()
        .contains("Cross-site request refused"));

    let no_origin = app
        .http
        .post(format!("{}/api/profiles/update", app.url))
        .header("cookie", format!("ts_session={token}"))
        .form(&[
            ("display_name", "pwned"),
            ("bio", ""),
            ("avatar_url", ""),
            ("header_url", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_origin.status(),
        403,
        "a cookie without an Origin is refused"
    );

    let login_csrf = app
        .http
        .post(format!("{}/api/accounts/log_in", app.url))
        .header("origin", "null")
        .form(&[("login", "ana"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        login_csrf.status(),
        403,
        "an opaque origin cannot log anyone in"
    );

    assert_eq!(
        viewer_name(&app, &token).await.as_deref(),
        Some("ana"),
        "the session survived"
    );
    let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(name, None);
}

/// The sign-up form posted by a browser without JavaScript: it accepts HTML and sends its Referer.
async fn plain_sign_up(app: &TestApp, email: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/api/accounts/sign_up", app.url))
        .header("origin", &app.url)
        .header("accept", "text/html")
        .header("referer", format!("{}/signup", app.url))
        .form(&[
            ("username", "ana"),
            ("email", email),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn pages_and_forms_work_without_javascript() {
    let app = TestApp::spawn().await;
    let response = plain_sign_up(&app, "ana@example.test").await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/@ana");
    assert!(session_cookie(&response).is_some());

    // A refused form post returns to the form with the error in the address, shown by the page.
    let response = plain_sign_up(&app, "other@example.test").await;
    assert!(response.status().is_redirection());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/signup?") || location.contains("/signup?"),
        "{location}"
    );
    let page = app
        .get(location.trim_start_matches(&app.url))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("this username is taken"),
        "the error is shown next to its field"
    );

    for path in ["/login", "/signup"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(
            html.contains("<form") && html.contains("method=\"post\""),
            "{path} has a real form"
        );
    }
}

#[tokio::test]
async fn settings_require_a_session() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(format!("{}/settings", app.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/login?next=/settings");
    let response = app
        .post_form(
            "/api/profiles/update",
            &[
                ("display_name", "x"),
                ("bio", ""),
                ("avatar_url", ""),
                ("header_url", ""),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), 401);
}
