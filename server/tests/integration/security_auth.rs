//! Issue #13, the authentication and HTTP-edge findings: redirects after log-in, the log-in
//! throttle's race and lock-out, the client's address behind a real reverse proxy (nginx),
//! account enumeration at sign-up, caching of personal responses, HSTS, and OAuth's
//! redirect URI at the token endpoint.

use std::{
    net::{IpAddr, Ipv4Addr},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use app::backend::{
    accounts::{self, SignUp},
    login_throttle,
};
use app::error::AppError;
use tokio::process::Command;

use crate::support::{
    process::{free_port, server_command, wait_until_answering, RunningServer, ScratchDir},
    session_cookie, TestApp, TestDatabase,
};

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

/// An HTTP client whose connections come from `address` (any 127.x.y.z is this machine).
fn client_from(address: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(address))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn log_in_from(
    client: &reqwest::Client,
    base: &str,
    origin: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/api/accounts/log_in"))
        .header("origin", origin)
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn create_account(pool: &sqlx::PgPool, username: &str) {
    let mut connection = pool.acquire().await.unwrap();
    accounts::create(
        &mut connection,
        SignUp {
            username: username.into(),
            email: format!("{username}@example.test"),
            password: "correct horse".into(),
            is_admin: false,
        },
    )
    .await
    .unwrap();
}

// ---- Finding 2: open redirect after log-in ---------------------------------------------

/// Browsers drop tabs and newlines inside URLs, so `/<TAB>/evil.example` becomes
/// `//evil.example`; a newline used to panic while building the header.
#[tokio::test]
async fn log_in_goes_only_to_safe_local_paths_and_never_panics() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let cases = [
        ("/settings", "/settings"),
        ("/\t/evil.example/", "/"),
        ("/\n/evil.example/", "/"),
        ("/settings\r\nSet-Cookie: planted=1", "/"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("https://evil.example/", "/"),
    ];
    for (next, expected) in cases {
        // As a plain form post (a 303), and as the browser's server-function call (the
        // Location goes to navigation.js).
        for accept in ["text/html", "application/json"] {
            let response = app
                .http
                .post(format!("{}/api/accounts/log_in", app.url))
                .header("origin", &app.url)
                .header("accept", accept)
                .form(&[
                    ("login", "ana"),
                    ("password", "correct horse"),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap_or_else(|e| panic!("no answer for next={next:?}: {e}"));
            let status = response.status();
            assert!(
                status == 303 || status == 200,
                "{next:?} ({accept}): {status}"
            );
            assert_eq!(
                response.headers()["location"],
                expected,
                "{next:?} ({accept})"
            );
            assert!(
                session_cookie(&response).is_some(),
                "the log-in itself succeeds"
            );
        }
    }
}

// ---- Finding 5: the throttle's race ----------------------------------------------------

/// Thirty wrong guesses at once: the limit's worth are checked, the rest refused unchecked.
#[tokio::test]
async fn concurrent_wrong_guesses_are_checked_only_up_to_the_limit() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let guesses = (0..30).map(|i| {
        let (http, url) = (app.http.clone(), app.url.clone());
        tokio::spawn(async move {
            http.post(format!("{url}/api/accounts/log_in"))
                .header("origin", &url)
                .form(&[
                    ("login", "ana"),
                    ("password", format!("wrong guess {i}").as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for guess in guesses.collect::<Vec<_>>() {
        statuses.push(guess.await.unwrap());
    }
    let checked = statuses.iter().filter(|&&status| status == 422).count();
    let refused = statuses.iter().filter(|&&status| status == 429).count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");
    let counted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM login_failures WHERE scope = 'account_address'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(counted, 5, "only the checked guesses were recorded");
    assert_eq!(
        app.log_in("ana", "correct horse")
            .await
            .unwrap_err()
            .status(),
        429,
        "and the limit holds afterwards"
    );
}

/// The same race one level down: reservations themselves never exceed the limit.
#[tokio::test]
async fn concurrent_reservations_never_exceed_the_limit() {
    let db = TestDatabase::new().await;
    let address: IpAddr = "203.0.113.9".parse().unwrap();
    let attempts = (0..30).map(|_| {
        let pool = db.pool.clone();
        tokio::spawn(
            async move { login_throttle::attempt(&pool, "some-account", Some(address)).await },
        )
    });
    let mut granted = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
            Ok(_kept_as_a_failure) => granted += 1,
            Err(AppError::RateLimited { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(granted, 5);
}

// ---- Finding 7: enumeration and lock-out -----------------------------------------------

/// A guesser at one address cannot lock the owner out at another.
#[tokio::test]
async fn failures_from_one_address_do_not_lock_the_owner_out_at_another() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let attacker = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let owner = client_from(Ipv4Addr::new(127, 0, 0, 3));
    for _ in 0..5 {
        assert_eq!(
            log_in_from(&attacker, &app.url, &app.url, "ana", "wrong horse")
                .await
                .status(),
            422
        );
    }
    let refused = log_in_from(&attacker, &app.url, &app.url, "ana", "correct horse").await;
    assert_eq!(
        refused.status(),
        429,
        "the guesser's address is held back, even with the right password"
    );
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..=901).contains(&retry_after), "{retry_after}");

    let welcomed = log_in_from(
        &owner,
        &app.url,
        &app.url,
        "ana@example.test",
        "correct horse",
    )
    .await;
    assert!(
        session_cookie(&welcomed).is_some(),
        "the owner, elsewhere, logs in: {}",
        welcomed.status()
    );
    // Her success does not lift the guesser's wait.
    assert_eq!(
        log_in_from(&attacker, &app.url, &app.url, "ana", "correct horse")
            .await
            .status(),
        429
    );
}

/// Per account and address the wait grows: 15 minutes after 5 failures, doubling every 5 more.
#[tokio::test]
async fn waits_grow_with_repeated_failures_and_a_ceiling_guards_the_account() {
    let db = TestDatabase::new().await;
    let address: IpAddr = "203.0.113.20".parse().unwrap();
    let wait_after = |failures: i64| {
        let pool = db.pool.clone();
        async move {
            sqlx::query("DELETE FROM login_failures")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO login_failures (scope, key, failed_at)
                 SELECT 'account_address', 'acct 203.0.113.20', now() - interval '1 minute' FROM generate_series(1, $1)",
            )
            .bind(failures)
            .execute(&pool)
            .await
            .unwrap();
            match login_throttle::attempt(&pool, "acct", Some(address)).await {
                Ok(_) => 0,
                Err(AppError::RateLimited { retry_after }) => retry_after,
                Err(other) => panic!("{other:?}"),
            }
        }
    };
    assert_eq!(wait_after(4).await, 0);
    let minutes = |seconds: u64| (seconds + 30) / 60;
    assert_eq!(minutes(wait_after(5).await), 14);
    assert_eq!(minutes(wait_after(9).await), 14);
    assert_eq!(minutes(wait_after(10).await), 29);
    assert_eq!(minutes(wait_after(15).await), 59);

    // From many addresses at once: a ceiling per account, far above one address's share.
    sqlx::query("DELETE FROM login_failures")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO login_failures (scope, key) SELECT 'account', 'acct' FROM generate_series(1, 99)")
        .execute(&db.pool)
        .await
        .unwrap();
    assert!(
        login_throttle::attempt(&db.pool, "acct", Some(address))
            .await
            .is_ok(),
        "the 100th is still checked"
    );
    assert!(matches!(
        login_throttle::attempt(&db.pool, "acct", Some(address)).await,
        Err(AppError::RateLimited { .. })
    ));
}

/// Sign-up does not say that an email has an account: the same words refuse an address
/// that can never receive mail.
#[tokio::test]
async fn sign_up_does_not_tell_which_emails_have_accounts() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let mut answers = Vec::new();
    for email in ["ANA@example.test", "someone@nowhere.invalid"] {
        let response = app
            .post_form(
                "/api/accounts/sign_up",
                &[
                    ("username", "newcomer"),
                    ("email", email),
                    ("password", "correct horse"),
                ],
                None,
            )
            .await;
        assert_eq!(response.status(), 422, "{email}");
        answers.push(field_errors(&response.json().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1], "one answer for both");
    assert_eq!(
        answers[0],
        [("email".to_owned(), accounts::EMAIL_UNUSABLE.to_owned())]
    );
    for word in ["account", "exists", "already", "registered"] {
        assert!(!accounts::EMAIL_UNUSABLE.contains(word), "{word}");
    }
}

/// Refused sign-ups are counted per client address (each may be a probe).
#[tokio::test]
async fn refused_sign_ups_are_throttled_per_client_address() {
    let app = TestApp::spawn().await;
    let prober = client_from(Ipv4Addr::new(127, 0, 0, 4));
    let sign_up = |client: &reqwest::Client, username: &str, email: &str| {
        client
            .post(format!("{}/api/accounts/sign_up", app.url))
            .header("origin", &app.url)
            .form(&[
                ("username", username),
                ("email", email),
                ("password", "correct horse"),
            ])
            .send()
    };
    for i in 0..20 {
        assert_eq!(
            sign_up(&prober, "newcomer", &format!("probe{i}@nowhere.invalid"))
                .await
                .unwrap()
                .status(),
            422
        );
    }
    assert_eq!(
        sign_up(&prober, "newcomer", "fine@example.test")
            .await
            .unwrap()
            .status(),
        429
    );
    let elsewhere = client_from(Ipv4Addr::new(127, 0, 0, 5));
    assert_eq!(
        sign_up(&elsewhere, "newcomer", "fine@example.test")
            .await
            .unwrap()
            .status(),
        303
    );
}

// ---- Finding 16: caching, HSTS, OAuth's redirect URI -----------------------------------

fn cache_control(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("cache-control")
        .map(|value| value.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn personal_pages_and_json_are_never_stored() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;

    for path in [
        "/settings",
        "/",
        "/notifications",
        "/api/accounts/viewer",
        "/api/api_keys/list",
    ] {
        assert_eq!(
            cache_control(&app.get_as(&session, path).await).as_deref(),
            Some("no-store"),
            "{path}"
        );
    }
    // The settings page shows a new key once: its answer is not kept anywhere.
    let created = app
        .post_form("/api/api_keys/create", &[("name", "bot")], Some(&session))
        .await;
    assert_eq!(created.status(), 200);
    assert_eq!(cache_control(&created).as_deref(), Some("no-store"));
    let key = created.json::<serde_json::Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = app
        .http
        .get(format!("{}/api/v1/accounts/verify_credentials", app.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (api.status().as_u16(), cache_control(&api).as_deref()),
        (200, Some("no-store"))
    );
    // Logging in (a cookie is set) is not stored either.
    let logged_in = app
        .post_form(
            "/api/accounts/log_in",
            &[("login", "ana"), ("password", "correct horse")],
            None,
        )
        .await;
    assert_eq!(cache_control(&logged_in).as_deref(), Some("no-store"));

    // A visitor's public page stays cacheable; the bundle keeps its own policy.
    assert_eq!(cache_control(&app.get("/public").await), None);
    let bundle = app.get_as(&session, "/pkg/thoughtspace.css").await;
    assert_ne!(cache_control(&bundle).as_deref(), Some("no-store"));
}

#[tokio::test]
async fn hsts_only_when_the_public_url_is_https() {
    let secure = TestApp::spawn_on(TestDatabase::new().await, Some("https://ts.example")).await;
    for path in ["/", "/login", "/api/v1/instance"] {
        let response = secure.get(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
    let plain = TestApp::spawn().await;
    assert!(
        plain
            .get("/")
            .await
            .headers()
            .get("strict-transport-security")
            .is_none(),
        "never over plain http"
    );
}

#[tokio::test]
async fn the_token_endpoint_requires_the_redirect_uri_the_code_was_issued_for() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let callback = "https://client.example/callback";
    let registered: serde_json::Value = app
        .http
        .post(format!("{}/api/v1/apps", app.url))
        .form(&[
            ("client_name", "Client"),
            (
                "redirect_uris",
                &format!("{callback}\nhttps://client.example/other"),
            ),
            ("scopes", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (client_id, client_secret) = (
        registered["client_id"].as_str().unwrap().to_owned(),
        registered["client_secret"].as_str().unwrap().to_owned(),
    );
    let approved = app
        .http
        .post(format!("{}/oauth/authorize", app.url))
        .header("origin", &app.url)
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
    let location = url::Url::parse(approved.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();

    let exchange = |redirect_uri: Option<&str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("client_id", client_id.clone()),
            ("client_secret", client_secret.clone()),
        ];
        if let Some(uri) = redirect_uri {
            form.push(("redirect_uri", uri.to_owned()));
        }
        let request = app
            .http
            .post(format!("{}/oauth/token", app.url))
            .form(&form);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                cache_control(&response),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, _, missing) = exchange(None).await;
    assert_eq!(
        (status, missing["error"].as_str()),
        (400, Some("invalid_request")),
        "{missing}"
    );
    // Forgetting it does not use the code up; naming another registered URI does.
    let (status, _, granted) = exchange(Some(callback)).await;
    assert_eq!(status, 200, "{granted}");

    let approved = app
        .http
        .post(format!("{}/oauth/authorize", app.url))
        .header("origin", &app.url)
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
    let location = url::Url::parse(approved.headers()["location"].to_str().unwrap()).unwrap();
    let second = location
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let response = app
        .http
        .post(format!("{}/oauth/token", app.url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", second.as_str()),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.as_str()),
            ("redirect_uri", "https://client.example/other"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        cache_control(&response).as_deref(),
        Some("no-store"),
        "token answers are never stored"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

// ---- Finding 6: the client's address behind a real reverse proxy -----------------------

/// nginx from the system (`scripts/setup --test` installs it), or `NGINX`.
fn nginx_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NGINX") {
        return path.into();
    }
    let candidates = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("nginx"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    candidates
        .into_iter()
        .chain([PathBuf::from("/usr/sbin/nginx")])
        .find(|path| path.is_file())
        .expect(
            "nginx is needed for the reverse-proxy test: run scripts/setup --test (or set NGINX)",
        )
}

/// The README's proxy configuration, on loopback, with every file in `dir`: one process
/// (no master to drop privileges), in the foreground.
fn nginx_config(dir: &Path, listen: u16, upstream: u16) -> String {
    let dir = dir.display();
    format!(
        "daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{listen};
        client_max_body_size 1m;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto http;
        }}
    }}
}}
"
    )
}

/// The real server binary behind a real nginx, as the README sets them up (with
/// TRUSTED_PROXIES naming the proxy). Clients at 127.0.0.2 and 127.0.0.3 reach nginx,
/// which tells the server who they are in X-Forwarded-For: each is throttled on its own,
/// and neither escapes its limits by sending X-Forwarded-For or Forwarded of its own.
#[tokio::test]
async fn behind_nginx_each_client_is_throttled_on_its_own_and_cannot_spoof() {
    let nginx = nginx_binary();
    let db = TestDatabase::new().await;
    create_account(&db.pool, "ana").await;
    let scratch = ScratchDir::new();
    let (server_port, proxy_port) = (free_port(), free_port());
    let public_url = format!("http://127.0.0.1:{proxy_port}");

    let mut command = server_command(&scratch.0.join("data"), server_port);
    command
        .env("DATABASE_URL", db.url())
        .env("PUBLIC_URL", &public_url)
        .env("TRUSTED_PROXIES", "127.0.0.1/32");
    let server = RunningServer::start(command, server_port, &scratch.0).await;

    let config = scratch.0.join("nginx.conf");
    std::fs::write(&config, nginx_config(&scratch.0, proxy_port, server_port)).unwrap();
    let nginx_log = scratch.0.join("nginx.stderr");
    let mut proxy = Command::new(&nginx)
        .arg("-p")
        .arg(&scratch.0)
        .arg("-c")
        .arg(&config)
        .arg("-e")
        .arg(scratch.0.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&nginx_log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .expect("nginx starts");
    wait_until_answering(&format!("{public_url}/robots.txt"), &mut proxy, &nginx_log).await;

    let first = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let second = client_from(Ipv4Addr::new(127, 0, 0, 3));

    // The first client guesses ana's password until it is held back.
    for _ in 0..5 {
        assert_eq!(
            log_in_from(&first, &public_url, &public_url, "ana", "wrong horse")
                .await
                .status(),
            422
        );
    }
    assert_eq!(
        log_in_from(&first, &public_url, &public_url, "ana", "correct horse")
            .await
            .status(),
        429
    );
    // Claiming to be someone else does not help: nginx appends the address it saw, and the
    // server believes only what its trusted proxy wrote.
    for (name, value) in [
        ("x-forwarded-for", "198.51.100.7"),
        ("x-forwarded-for", "127.0.0.3"),
        ("forwarded", "for=198.51.100.8"),
        ("x-real-ip", "198.51.100.9"),
    ] {
        let spoofed = first
            .post(format!("{public_url}/api/accounts/log_in"))
            .header("origin", &public_url)
            .header(name, value)
            .form(&[("login", "ana"), ("password", "correct horse")])
            .send()
            .await
            .unwrap();
        assert_eq!(spoofed.status(), 429, "{name}: {value}");
    }
    // The second client is someone else: its own count, and ana logs in from there.
    let welcomed = log_in_from(&second, &public_url, &public_url, "ana", "correct horse").await;
    assert!(session_cookie(&welcomed).is_some(), "{}", welcomed.status());

    // The client API's anonymous rate limit is per client too (not one count for the proxy).
    let remaining = |client: &reqwest::Client, spoof: Option<&'static str>| {
        let mut request = client.get(format!("{public_url}/api/v1/instance"));
        if let Some(spoof) = spoof {
            request = request.header("x-forwarded-for", spoof);
        }
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.headers()["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .parse::<u32>()
                .unwrap()
        }
    };
    assert_eq!(remaining(&first, None).await, 299);
    assert_eq!(remaining(&first, None).await, 298);
    assert_eq!(
        remaining(&second, None).await,
        299,
        "the second client has its own allowance"
    );
    assert_eq!(
        remaining(&first, Some("198.51.100.7")).await,
        297,
        "a spoofed header is still the first client"
    );

    // What nginx forwarded, as the server saw it: nobody was counted as the proxy itself.
    let addresses: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT key FROM login_failures WHERE scope = 'address' ORDER BY key",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(addresses, ["127.0.0.2"]);

    drop(proxy);
    let log = server.log();
    drop(server);
    assert!(!log.contains("panicked"), "{log}");
}
