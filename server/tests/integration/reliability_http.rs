//! Issue #21, the HTTP side: slow clients cannot exhaust the server's files or hold its
//! shutdown open, rate limits are shared by every server process, and a resubmitted web
//! form posts once. The server runs as the real binary where the process matters (file
//! limits, signals, two processes).

use std::{
    os::unix::process::CommandExt as _,
    time::{Duration, Instant},
};

use tokio::{io::AsyncWriteExt, net::TcpStream};

use crate::support::{
    process::{free_port, server_command, RunningServer, ScratchDir},
    TestApp, TestDatabase,
};

/// The binary over `db` with `vars` set, with at most `open_files` file descriptors (soft
/// and hard, so it cannot raise them) when given.
async fn start_server(
    db: &TestDatabase,
    scratch: &ScratchDir,
    vars: &[(&str, &str)],
    open_files: Option<u64>,
) -> RunningServer {
    let port = free_port();
    let mut command = server_command(&scratch.0.join("data"), port);
    command.env("DATABASE_URL", db.url());
    for (name, value) in vars {
        command.env(name, value);
    }
    if let Some(files) = open_files {
        let limit = libc::rlimit {
            rlim_cur: files,
            rlim_max: files,
        };
        // SAFETY: setrlimit is async-signal-safe; it only changes the child's own limit.
        unsafe {
            command.as_std_mut().pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    RunningServer::start(command, port, &scratch.0).await
}

/// The log without its terminal colour codes.
fn without_colours(log: &str) -> String {
    let mut plain = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// A connection that sent part of a request's headers and then nothing.
async fn slowloris(address: &str) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(address).await.ok()?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .ok()?;
    Some(stream)
}

#[tokio::test]
async fn slowloris_at_a_low_file_limit_cannot_stop_the_server_answering() {
    let db = TestDatabase::new().await;
    let scratch = ScratchDir::new();
    let server = start_server(
        &db,
        &scratch,
        &[("HTTP_HEADER_READ_TIMEOUT_SECS", "2")],
        Some(256),
    )
    .await;
    // The cap leaves room for the database pool and the rest below the 256 files.
    let log = without_colours(&server.log());
    assert!(
        log.contains(r#"open_files="256" max_connections=128"#),
        "{log}"
    );
    let address = server.url.trim_start_matches("http://").to_owned();
    // More half-open requests than the process has files.
    let mut held = Vec::new();
    for _ in 0..400 {
        if let Some(stream) = slowloris(&address).await {
            held.push(stream);
        }
    }
    assert!(held.len() >= 300, "only {} connections opened", held.len());

    let started = Instant::now();
    let response = reqwest::Client::new()
        .get(format!("{}/robots.txt", server.url))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("a normal request is answered despite the slow clients");
    assert_eq!(response.status(), 200);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(20),
        "answered only after {waited:?}"
    );
    drop(held);
    assert!(server.terminate().await.success());
}

#[tokio::test]
async fn sigterm_with_slow_clients_exits_within_the_shutdown_deadline() {
    let db = TestDatabase::new().await;
    let scratch = ScratchDir::new();
    let server = start_server(
        &db,
        &scratch,
        &[
            ("SHUTDOWN_DEADLINE_SECS", "2"),
            // Long enough that only the shutdown deadline can end the slow upload.
            ("HTTP_REQUEST_TIMEOUT_SECS", "600"),
        ],
        None,
    )
    .await;
    let address = server.url.trim_start_matches("http://").to_owned();
    // A request whose body arrives a byte a second: in flight for as long as the client likes.
    let mut upload = TcpStream::connect(&address).await.unwrap();
    upload
        .write_all(
            format!(
                "POST /api/accounts/log_in HTTP/1.1\r\nHost: {address}\r\nOrigin: {}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nlogin=",
                server.url
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        loop {
            if upload.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    // An open live-event stream as well.
    let live = reqwest::get(format!("{}/events", server.url))
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    // And half-open headers.
    let half_open = slowloris(&address).await.unwrap();

    let started = Instant::now();
    server.signal_terminate();
    let status = server.wait(Duration::from_secs(30)).await;
    let took = started.elapsed();
    assert!(status.success(), "{status}");
    assert!(
        took < Duration::from_secs(12),
        "SIGTERM took {took:?} with a 2 s deadline"
    );
    trickle.abort();
    drop((live, half_open));
}

#[tokio::test]
async fn two_server_processes_share_one_rate_limit() {
    let db = TestDatabase::new().await;
    let scratch = ScratchDir::new();
    let limit = [("API_RATE_LIMIT", "10")];
    let first = start_server(&db, &scratch, &limit, None).await;
    let second = start_server(&db, &scratch, &limit, None).await;
    let client = reqwest::Client::new();
    let mut answered = Vec::new();
    for round in 0..8 {
        for server in [&first, &second] {
            let response = client
                .get(format!("{}/api/v1/instance", server.url))
                .send()
                .await
                .unwrap();
            answered.push((round, response.status().as_u16()));
        }
    }
    let allowed = answered.iter().filter(|(_, status)| *status == 200).count();
    let refused = answered.iter().filter(|(_, status)| *status == 429).count();
    assert_eq!(
        (allowed, refused),
        (10, 6),
        "10 in total across both processes: {answered:?}"
    );
    assert!(first.terminate().await.success());
    assert!(second.terminate().await.success());
}

#[tokio::test]
async fn ended_rate_limit_windows_are_cleaned_up() {
    let db = TestDatabase::new().await;
    sqlx::query(
        "INSERT INTO rate_limit_windows (scope, key, window_start, hits) VALUES
         ('api', 'old', now() - interval '2 hours', 5), ('api', 'current', now(), 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    app::backend::maintenance::tidy(&db.pool).await;
    let left: Vec<String> = sqlx::query_scalar("SELECT key FROM rate_limit_windows")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, ["current"]);
}

async fn post_with_token(app: &TestApp, session: &str, content: &str, token: &str) -> String {
    let response = app
        .post_form(
            "/api/thoughts/post",
            &[
                ("content", content),
                ("visibility", "public"),
                ("idempotency_token", token),
            ],
            Some(session),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<String>().await.unwrap()
}

#[tokio::test]
async fn a_resubmitted_form_posts_one_thought() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    // The compose form carries its one-time token.
    let home = app.get_as(&session, "/").await.text().await.unwrap();
    assert!(
        home.contains(r#"name="idempotency_token""#),
        "the compose form has a token"
    );

    let token = uuid::Uuid::new_v4().to_string();
    let first = post_with_token(&app, &session, "only once", &token).await;
    // The same submission again (as after an error answer): the first thought, not a second.
    let again = post_with_token(&app, &session, "only once", &token).await;
    assert_eq!(first, again);
    // Sent twice at once: still one.
    let racing = uuid::Uuid::new_v4().to_string();
    let (a, b) = tokio::join!(
        post_with_token(&app, &session, "raced", &racing),
        post_with_token(&app, &session, "raced", &racing)
    );
    assert_eq!(a, b);
    // A new token is a new thought, even with the same words.
    let other = post_with_token(
        &app,
        &session,
        "only once",
        &uuid::Uuid::new_v4().to_string(),
    )
    .await;
    assert_ne!(first, other);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM thoughts")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 3);

    // Someone else's identical token is theirs alone.
    let bo = app.sign_up("bo").await;
    let theirs = post_with_token(&app, &bo, "bo's own", &token).await;
    assert_ne!(theirs, first);

    // A token older than a day is forgotten by the clean-up.
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    app::backend::maintenance::tidy(&app.db.pool).await;
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_keys")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn a_bad_form_token_names_the_field() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let response = app
        .post_form(
            "/api/thoughts/post",
            &[
                ("content", "hi"),
                ("visibility", "public"),
                ("idempotency_token", &"x".repeat(300)),
            ],
            Some(&session),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["Invalid"][0]["field"], "idempotency_token", "{body}");
}
