//! Test harness: real PostgreSQL, a fresh database per test.
//!
//! The first test of a test binary starts one throwaway cluster for the whole binary (the
//! same embedded-cluster code the server uses, tuned for speed, stopped and removed at
//! exit) unless TEST_DATABASE_URL or DATABASE_URL names a server to use instead. A template
//! database is migrated once; each test then gets a copy of it in milliseconds, so tests are
//! isolated and run in parallel.
#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod process;

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, str::FromStr, sync::Mutex};

use app::backend::MIGRATOR;
use server::database::embedded::{Durability, EmbeddedPostgres};
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    ConnectOptions, Connection, PgConnection, PgPool,
};
use tokio::sync::OnceCell;

struct Cluster {
    admin: PgConnectOptions,
    template: String,
}

static CLUSTER: OnceCell<Cluster> = OnceCell::const_new();
/// The throwaway cluster and its directory, stopped and removed when the process exits.
static THROWAWAY: Mutex<Option<(EmbeddedPostgres, PathBuf)>> = Mutex::new(None);

extern "C" fn stop_throwaway_cluster() {
    if let Ok(mut guard) = THROWAWAY.lock() {
        if let Some((mut cluster, dir)) = guard.take() {
            cluster.stop_blocking();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn cluster() -> &'static Cluster {
    CLUSTER
        .get_or_init(|| async {
            let url = std::env::var("TEST_DATABASE_URL")
                .or_else(|_| std::env::var("DATABASE_URL"))
                .ok();
            let admin = match url.filter(|u| !u.is_empty()) {
                Some(url) => PgConnectOptions::from_str(&url)
                    .expect("TEST_DATABASE_URL/DATABASE_URL is a valid URL"),
                None => {
                    let dir = std::env::temp_dir()
                        .join(format!("thoughtspace-test-{}", std::process::id()));
                    let cluster = EmbeddedPostgres::start(&dir, Durability::Throwaway)
                        .await
                        .unwrap_or_else(|e| panic!("cannot start the test cluster: {e}"));
                    let admin = cluster.connect_options("postgres");
                    *THROWAWAY.lock().unwrap() = Some((cluster, dir));
                    // SAFETY: registering a plain extern "C" function.
                    unsafe { libc::atexit(stop_throwaway_cluster) };
                    admin
                }
            };
            let admin = admin.disable_statement_logging();
            let template = build_template(&admin).await;
            Cluster { admin, template }
        })
        .await
}

/// A database with every migration applied, named after the migrations' checksums so a
/// shared server never hands out a stale one; built once, under a lock.
async fn build_template(admin: &PgConnectOptions) -> String {
    let fingerprint = MIGRATOR
        .iter()
        .flat_map(|m| m.checksum.iter().copied())
        .fold(0xcbf29ce484222325u64, |hash, byte| {
            (hash ^ byte as u64).wrapping_mul(0x100000001b3)
        });
    let template = format!("thoughtspace_template_{fingerprint:016x}");
    let mut connection = PgConnection::connect_with(&admin.clone().database("postgres"))
        .await
        .expect("connect to the test server");
    sqlx::query("SELECT pg_advisory_lock(7461756768)")
        .execute(&mut connection)
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut connection)
            .await
            .unwrap();
    if !exists {
        let building = format!("{template}_building");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {building}"))
            .execute(&mut connection)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {building}"))
            .execute(&mut connection)
            .await
            .unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(admin.clone().database(&building))
            .await
            .unwrap();
        MIGRATOR
            .run(&pool)
            .await
            .expect("migrations apply to an empty database");
        pool.close().await;
        sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .execute(&mut connection)
            .await
            .unwrap();
    }
    sqlx::query("SELECT pg_advisory_unlock(7461756768)")
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    template
}

/// A fresh, fully migrated database of its own for one test.
#[derive(Clone)]
pub struct TestDatabase {
    pub name: String,
    pub options: PgConnectOptions,
    pub pool: PgPool,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        Self::create(&name, true).await
    }

    /// An empty database (no migrations), for testing the migrations themselves.
    pub async fn empty() -> Self {
        let name = format!("test_empty_{}", uuid::Uuid::new_v4().simple());
        Self::create(&name, false).await
    }

    async fn create(name: &str, migrated: bool) -> Self {
        let cluster = cluster().await;
        let mut admin = PgConnection::connect_with(&cluster.admin.clone().database("postgres"))
            .await
            .unwrap();
        let statement = if migrated {
            format!("CREATE DATABASE {name} TEMPLATE {}", cluster.template)
        } else {
            format!("CREATE DATABASE {name}")
        };
        sqlx::query(&statement).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
        let options = cluster.admin.clone().database(name);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect_with(options.clone())
            .await
            .unwrap();
        TestDatabase {
            name: name.to_owned(),
            options,
            pool,
        }
    }

    /// A postgres:// URL for this database, for child processes (DATABASE_URL).
    pub fn url(&self) -> String {
        let options = &self.options;
        let mut url = url::Url::parse("postgres://localhost/").unwrap();
        url.set_username(options.get_username()).unwrap();
        url.set_path(&self.name);
        match options.get_socket() {
            Some(socket) => {
                url.query_pairs_mut()
                    .append_pair("host", &socket.to_string_lossy())
                    .append_pair("port", &options.get_port().to_string());
            }
            None => {
                url.set_host(Some(options.get_host())).unwrap();
                url.set_port(Some(options.get_port())).unwrap();
            }
        }
        url.to_string()
    }
}

/// The server, in process, on a loopback port of its own, over a fresh database: built
/// by [`server::Application`], the same start-up path as `server serve`.
pub struct TestApp {
    pub url: String,
    pub db: TestDatabase,
    pub http: reqwest::Client,
    /// Stops the server (it also stops with the test's runtime).
    pub shutdown: server::ShutdownHandle,
}

/// The built browser assets of the workspace.
pub fn site_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site")
}

/// The configuration a test server runs with: `db`, this address, loopback federation,
/// nothing from the test's own environment; `extra` adds or overrides variables.
pub fn test_config(
    db: &TestDatabase,
    addr: SocketAddr,
    public_url: &str,
    extra: &[(&str, &str)],
) -> server::config::Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db.url()),
        ("LEPTOS_SITE_ADDR".into(), addr.to_string()),
        ("PUBLIC_URL".into(), public_url.to_owned()),
        (
            "LEPTOS_SITE_ROOT".into(),
            site_root().to_string_lossy().into_owned(),
        ),
        // Never used with DATABASE_URL set; named so nothing probes ./data.
        (
            "DATA_DIR".into(),
            std::env::temp_dir().to_string_lossy().into_owned(),
        ),
        // Federation tests run their peers on loopback.
        ("ALLOW_PRIVATE_ADDRESSES".into(), "true".into()),
    ]);
    for (name, value) in extra {
        vars.insert((*name).to_owned(), (*value).to_owned());
    }
    server::config::Config::from_lookup(|name| vars.get(name).cloned())
        .unwrap_or_else(|e| panic!("test configuration: {e:#}"))
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_on(TestDatabase::new().await, None).await
    }

    /// The app over an existing database (several servers can share one), optionally with a
    /// PUBLIC_URL other than its own address.
    pub async fn spawn_on(db: TestDatabase, public_url: Option<&str>) -> Self {
        Self::spawn_with(db, public_url, &[]).await
    }

    /// Like [`spawn_on`](Self::spawn_on), with more configuration variables.
    pub async fn spawn_with(
        db: TestDatabase,
        public_url: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("http://{addr}");
        let public_url = public_url.unwrap_or(&url);
        let config = test_config(&db, addr, public_url, extra);
        let application = server::Application::build_on(listener, config)
            .await
            .unwrap_or_else(|e| panic!("the test server starts: {e:#}"));
        let shutdown = application.shutdown_handle();
        tokio::spawn(async move {
            if let Err(error) = application.run_until_stopped().await {
                panic!("the test server failed: {error:#}");
            }
        });
        // A bound on every request: a stuck response fails its test instead of hanging the suite.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        TestApp {
            url,
            db,
            http,
            shutdown,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// GET with a session cookie.
    pub async fn get_as(&self, session: &str, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .header("cookie", format!("ts_session={session}"))
            .send()
            .await
            .unwrap()
    }

    /// A same-site form post (as the browser sends it), optionally with a session.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        session: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("origin", &self.url)
            .form(form);
        if let Some(session) = session {
            request = request.header("cookie", format!("ts_session={session}"));
        }
        request.send().await.unwrap()
    }

    /// A client API key with `scopes` (space-separated) for the existing person `username`.
    pub async fn api_key(&self, username: &str, scopes: &str) -> String {
        let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(&self.db.pool)
            .await
            .unwrap();
        let scopes = app::backend::api_keys::Scopes::parse(scopes).unwrap();
        app::backend::api_keys::create(&self.db.pool, Some(id), "test", &scopes, None)
            .await
            .unwrap()
            .1
    }

    /// Signs up through the server function and returns the new session token.
    pub async fn sign_up(&self, username: &str) -> String {
        let email = format!("{username}@example.test");
        let response = self
            .post_form(
                "/api/accounts/sign_up",
                &[
                    ("username", username),
                    ("email", &email),
                    ("password", "correct horse"),
                ],
                None,
            )
            .await;
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "sign-up failed: {}",
            response.status()
        );
        session_cookie(&response).expect("sign-up sets the session cookie")
    }

    /// Logs in and returns the session token, or the failed response.
    pub async fn log_in(&self, login: &str, password: &str) -> Result<String, reqwest::Response> {
        let response = self
            .post_form(
                "/api/accounts/log_in",
                &[("login", login), ("password", password)],
                None,
            )
            .await;
        match session_cookie(&response) {
            Some(token) if response.status().is_success() || response.status().is_redirection() => {
                Ok(token)
            }
            _ => Err(response),
        }
    }
}

/// The session token a response sets, if any (not the removal cookie).
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next()?.strip_prefix("ts_session="))
        .find(|token| !token.is_empty())
        .map(str::to_owned)
}

/// The `Set-Cookie` header for the session, whole (to check its attributes).
pub fn session_set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("ts_session=") && !value.starts_with("ts_session=;"))
        .map(str::to_owned)
}

/// Inserts a local user directly (accounts get their own API later) and returns its id.
pub async fn insert_user(pool: &PgPool, username: &str) -> uuid::Uuid {
    sqlx::query_scalar("INSERT INTO users (username, email) VALUES ($1, $2) RETURNING id")
        .bind(username)
        .bind(format!("{username}@example.test"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Inserts a thought with the given creation time and returns its id.
pub async fn insert_thought(
    pool: &PgPool,
    user_id: uuid::Uuid,
    content: &str,
    visibility: &str,
    created_at: chrono::DateTime<chrono::Utc>,
) -> uuid::Uuid {
    sqlx::query_scalar(
        "INSERT INTO thoughts (user_id, content, visibility, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(content)
    .bind(visibility)
    .bind(created_at)
    .fetch_one(pool)
    .await
    .unwrap()
}
