//! Federation delivery benchmark (issue: one post to 10,000 remote followers over 500
//! inboxes). Run by `benches/delivery` (repo root), which starts the release server; this
//! program is the rest of the world:
//! - a sink on loopback: 500 "servers" (paths) whose inboxes verify every HTTP signature
//!   (Digest, Date, the sender's key fetched from the server) before counting a delivery;
//! - 10,000 remote followers of one local person, spread over those servers, written
//!   straight into the database;
//! - then the person posts through the site, and the program measures how fast the
//!   server's own workers deliver, while it also times the home page meanwhile.
//!
//! Needs DATABASE_URL (the server's database) and SERVER_URL.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use app::backend::federation::{keys, signatures};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    routing::post,
    Router,
};
use sqlx::{postgres::PgPoolOptions, PgPool};

const SERVERS: usize = 500;
const FOLLOWERS: usize = 10_000;

#[derive(Default)]
struct Sink {
    http: reqwest::Client,
    keys: Mutex<HashMap<String, rsa::RsaPublicKey>>,
    verified: AtomicUsize,
    refused: AtomicUsize,
    last: Mutex<Option<Instant>>,
}

async fn inbox(
    State(sink): State<Arc<Sink>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let verdict = verify(&sink, &method, &uri, &headers, &body).await;
    match verdict {
        Ok(()) => {
            sink.verified.fetch_add(1, Ordering::SeqCst);
            *sink.last.lock().unwrap() = Some(Instant::now());
            StatusCode::ACCEPTED
        }
        Err(why) => {
            if sink.refused.fetch_add(1, Ordering::SeqCst) < 3 {
                eprintln!("sink refused a delivery: {why}");
            }
            StatusCode::UNAUTHORIZED
        }
    }
}

async fn verify(
    sink: &Sink,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let signature = signatures::parse_header(headers)?;
    signatures::check_request(&signature, headers, Some(body), chrono::Utc::now())?;
    let cached = sink.keys.lock().unwrap().get(&signature.key_id).cloned();
    let key = match cached {
        Some(key) => key,
        None => {
            let actor_url = signature
                .key_id
                .split('#')
                .next()
                .unwrap_or_default()
                .to_owned();
            let actor: serde_json::Value = sink
                .http
                .get(&actor_url)
                .header("accept", "application/activity+json")
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let pem = actor["publicKey"]["publicKeyPem"]
                .as_str()
                .ok_or("the actor has no key")?;
            let key = keys::public_key(pem)?;
            sink.keys
                .lock()
                .unwrap()
                .insert(signature.key_id.clone(), key.clone());
            key
        }
    };
    let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    let signed = signatures::signing_string(&signature, method, target, headers)?;
    if signatures::verify(&key, &signed, &signature.signature) {
        Ok(())
    } else {
        Err("the signature does not verify".into())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let database_url =
        std::env::var("DATABASE_URL").map_err(|_| anyhow::anyhow!("set DATABASE_URL"))?;
    let server_url = std::env::var("SERVER_URL").map_err(|_| anyhow::anyhow!("set SERVER_URL"))?;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&database_url)
        .await?;
    let sink = Arc::new(Sink::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sink_url = format!("http://{}", listener.local_addr()?);
    let app = Router::new()
        .route("/{server}/inbox", post(inbox))
        .route("/{server}/users/{name}/inbox", post(inbox))
        .with_state(sink.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let session = sign_up(&http, &server_url, "poster").await?;
    seed_followers(&pool, &sink_url).await?;
    println!("{FOLLOWERS} remote followers on {SERVERS} servers (sink {sink_url}), verifying every signature");

    for (label, shared) in [
        ("shared inboxes (one delivery per server)", true),
        ("personal inboxes (one delivery per follower)", false),
    ] {
        if !shared {
            sqlx::query("UPDATE remote_actors SET shared_inbox_url = NULL")
                .execute(&pool)
                .await?;
        }
        let expected = if shared { SERVERS } else { FOLLOWERS };
        sink.verified.store(0, Ordering::SeqCst);
        *sink.last.lock().unwrap() = None;

        // The home page, timed one request after another while the deliveries run.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let pages = tokio::spawn(time_pages(http.clone(), server_url.clone(), stop.clone()));

        let started = Instant::now();
        let posted = http
            .post(format!("{server_url}/api/thoughts/post"))
            .header("origin", &server_url)
            .header("cookie", format!("ts_session={session}"))
            .form(&[
                ("content", "hello, all ten thousand of you"),
                ("visibility", "public"),
            ])
            .send()
            .await?;
        let answered = started.elapsed();
        anyhow::ensure!(
            posted.status().is_success(),
            "posting failed: {}",
            posted.status()
        );
        let deadline = Instant::now() + Duration::from_secs(600);
        while sink.verified.load(Ordering::SeqCst) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.store(true, Ordering::SeqCst);
        let page_times = pages.await?;
        let delivered = sink.verified.load(Ordering::SeqCst);
        let last = sink
            .last
            .lock()
            .unwrap()
            .map_or(Duration::ZERO, |last| last - started);
        println!("\n{label}");
        println!(
            "  post answered in            {:>8.1} ms",
            answered.as_secs_f64() * 1000.0
        );
        println!(
            "  delivered and verified      {delivered:>8} of {expected} (refused: {})",
            sink.refused.load(Ordering::SeqCst)
        );
        println!(
            "  last inbox had it after     {:>8.2} s",
            last.as_secs_f64()
        );
        println!(
            "  signed deliveries/second    {:>8.0}",
            delivered as f64 / last.as_secs_f64().max(1e-9)
        );
        if !page_times.is_empty() {
            let at = |q: f64| {
                page_times[((page_times.len() as f64 * q) as usize).min(page_times.len() - 1)]
            };
            println!(
                "  GET / meanwhile             {:>8} requests, p50 {:.1} ms, p99 {:.1} ms",
                page_times.len(),
                at(0.5),
                at(0.99)
            );
        }
        anyhow::ensure!(delivered == expected, "not every delivery arrived");
    }
    Ok(())
}

async fn time_pages(
    http: reqwest::Client,
    server_url: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<f64> {
    let mut times = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        if let Ok(response) = http.get(format!("{server_url}/")).send().await {
            let ok = response.status().is_success();
            let _ = response.bytes().await;
            if ok {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    times
}

async fn sign_up(
    http: &reqwest::Client,
    server_url: &str,
    username: &str,
) -> anyhow::Result<String> {
    let response = http
        .post(format!("{server_url}/api/accounts/sign_up"))
        .header("origin", server_url)
        .form(&[
            ("username", username),
            ("email", &format!("{username}@bench.test")),
            ("password", "correct horse battery"),
        ])
        .send()
        .await?;
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| {
            value
                .to_str()
                .ok()?
                .split(';')
                .next()?
                .strip_prefix("ts_session=")
                .map(str::to_owned)
        })
        .find(|token| !token.is_empty())
        .ok_or_else(|| anyhow::anyhow!("sign-up failed: {}", response.status()))
}

/// 10,000 remote people on 500 servers of the sink, all following `poster`.
async fn seed_followers(pool: &PgPool, sink_url: &str) -> anyhow::Result<()> {
    sqlx::query(
        "WITH people AS (
             INSERT INTO users (username, is_remote, ap_id, inbox_url)
             SELECT 'f' || n || '@s' || (n % $2) || '.bench', true,
                    $1 || '/s' || (n % $2) || '/users/f' || n, $1 || '/s' || (n % $2) || '/users/f' || n || '/inbox'
               FROM generate_series(1, $3) AS n
             RETURNING id, username, ap_id, inbox_url),
         cached AS (
             INSERT INTO remote_actors (ap_url, username, inbox_url, user_id, shared_inbox_url)
             SELECT ap_id, split_part(username, '@', 1), inbox_url, id,
                    $1 || '/' || split_part(split_part(username, '@', 2), '.', 1) || '/inbox'
               FROM people)
         INSERT INTO follows (follower_id, following_id, state)
         SELECT p.id, u.id, 'accepted' FROM people p, users u WHERE u.username = 'poster'",
    )
    .bind(sink_url)
    .bind(SERVERS as i32)
    .bind(FOLLOWERS as i32)
    .execute(pool)
    .await?;
    Ok(())
}
