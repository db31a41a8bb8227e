//! The server binary when its database dies (issue #21): 503 with `Retry-After` instead of
//! 500, `/health` and `/ready`, the embedded PostgreSQL restarted (or the process exiting
//! non-zero when it cannot be), bounded logs and CPU while the database is away, and two
//! processes on one external PostgreSQL that recover when it is restarted under them.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use server::database::embedded::{Durability, EmbeddedPostgres};
use sqlx::Connection;

use crate::{
    binary::embedded_connection,
    support::process::{free_port, run_to_exit, server_command, RunningServer, ScratchDir},
};

/// Awaits `condition` (polled every `every`), or panics after `limit` saying what was awaited.
async fn await_condition<F, Fut>(what: &str, limit: Duration, every: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if condition().await {
            return;
        }
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(every).await;
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// (status, Retry-After) of a GET, or `None` when no answer came.
async fn status_of(url: &str) -> Option<(u16, Option<String>)> {
    let response = client().get(url).send().await.ok()?;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Some((response.status().as_u16(), retry_after))
}

async fn ready(url: &str) -> (u16, serde_json::Value) {
    let response = client().get(format!("{url}/ready")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The database-backed routes the tests watch: a page, and the client API.
const DATABASE_ROUTES: [&str; 2] = ["/", "/api/v1/timelines/public"];

/// While the database is away: each database-backed route answers 503 with Retry-After,
/// `/health` 200, `/ready` 503 naming the database.
async fn assert_unavailable_but_alive(url: &str) {
    for route in DATABASE_ROUTES {
        let (status, retry_after) = status_of(&format!("{url}{route}")).await.unwrap();
        assert_eq!(status, 503, "{route} while the database is away");
        let seconds: u64 = retry_after
            .expect("a 503 says when to retry")
            .parse()
            .unwrap();
        assert!(seconds > 0);
    }
    let (status, _) = status_of(&format!("{url}/health")).await.unwrap();
    assert_eq!(status, 200, "/health only says the process answers");
    let (status, body) = ready(url).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["failed"]
            .as_array()
            .unwrap()
            .contains(&"database".into()),
        "{body}"
    );
    assert_eq!(body["checks"]["database"]["ok"], false, "{body}");
}

async fn await_ready(url: &str, limit: Duration) {
    await_condition(
        "/ready answers 200",
        limit,
        Duration::from_millis(200),
        || async { ready(url).await.0 == 200 },
    )
    .await;
    for route in DATABASE_ROUTES {
        let (status, _) = status_of(&format!("{url}{route}")).await.unwrap();
        assert_eq!(status, 200, "{route} once the database is back");
    }
}

/// The pid in a cluster's lock file (`None` while there is none: PostgreSQL replaces it).
fn postmaster_pid_in(pgdata: &Path) -> Option<libc::pid_t> {
    let lock = std::fs::read_to_string(pgdata.join("postmaster.pid")).ok()?;
    lock.lines().next()?.trim().parse().ok()
}

fn postmaster_pid(data_dir: &Path) -> Option<libc::pid_t> {
    postmaster_pid_in(&data_dir.join("postgres/pgdata"))
}

/// Whether the process runs (a zombie nobody reaped does not).
fn alive(pid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().to_owned())
        })
        .is_some_and(|rest| !rest.starts_with('Z'))
}

fn kill(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) on a pid this test started (directly or as the server's child).
    unsafe { libc::kill(pid, signal) };
}

async fn count_thoughts(data_dir: &Path) -> i64 {
    let mut connection = embedded_connection(data_dir).await;
    let count = sqlx::query_scalar("SELECT count(*) FROM thoughts")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    count
}

async fn insert_thought(data_dir: &Path, content: &str) {
    let mut connection = embedded_connection(data_dir).await;
    sqlx::query(
        "INSERT INTO users (username, email) SELECT 'ana', 'ana@example.test'
          WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = 'ana')",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO thoughts (user_id, content) SELECT id, $1 FROM users WHERE username = 'ana'",
    )
    .bind(content)
    .execute(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();
}

/// How much CPU (user + system, seconds) the process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces), from field 3 on.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    ticks as f64 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

fn log_lines(server: &RunningServer) -> usize {
    std::fs::read_to_string(&server.stderr)
        .unwrap_or_default()
        .lines()
        .count()
}

#[tokio::test]
async fn a_killed_embedded_postgres_answers_503_then_comes_back_by_itself() {
    let scratch = ScratchDir::new();
    let data_dir = scratch.0.join("data");
    let port = free_port();
    let server = RunningServer::start(server_command(&data_dir, port), port, &scratch.0).await;
    await_ready(&server.url, Duration::from_secs(30)).await;
    let (_, body) = ready(&server.url).await;
    for check in ["database", "migrations", "delivery_worker", "disk"] {
        assert_eq!(body["checks"][check]["ok"], true, "{body}");
    }
    insert_thought(&data_dir, "written before the crash").await;

    // 1. SIGKILL: the server restarts PostgreSQL with nobody's help, and never answers 500
    // meanwhile.
    let first = postmaster_pid(&data_dir).unwrap();
    kill(first, libc::SIGKILL);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut all_ok = true;
        for route in DATABASE_ROUTES {
            let answer = status_of(&format!("{}{route}", server.url)).await;
            if let Some((status, retry_after)) = answer {
                assert_ne!(status, 500, "{route} answered 500 during the outage");
                if status == 503 {
                    assert!(retry_after.is_some(), "{route}: a 503 without Retry-After");
                }
                all_ok &= status == 200;
            } else {
                all_ok = false;
            }
        }
        if all_ok && postmaster_pid(&data_dir).is_some_and(|pid| pid != first) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "PostgreSQL was not restarted within a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    await_ready(&server.url, Duration::from_secs(30)).await;
    assert_eq!(count_thoughts(&data_dir).await, 1, "the data survived");
    insert_thought(&data_dir, "written after the restart").await;
    let log = std::fs::read_to_string(&server.stderr).unwrap();
    assert!(
        log.contains("the embedded PostgreSQL stopped unexpectedly")
            && log.contains("signal: 9")
            && log.contains("the embedded PostgreSQL is running again"),
        "the log says what happened: {log}"
    );

    // 2. An outage that lasts (its files are out of reach, as on a disk gone bad):
    // 503 with Retry-After, /health 200, /ready names the database; back when they return.
    let pgdata = data_dir.join("postgres/pgdata");
    let away = data_dir.join("postgres/pgdata.away");
    std::fs::rename(&pgdata, &away).unwrap();
    let second = postmaster_pid_in(&away).unwrap();
    kill(second, libc::SIGKILL);
    await_condition(
        "the server notices that the database is away",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || async { ready(&server.url).await.0 == 503 },
    )
    .await;
    assert_unavailable_but_alive(&server.url).await;
    await_condition(
        "the killed PostgreSQL's processes are gone",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || async { !alive(second) },
    )
    .await;
    // The failed restarts left an empty directory in its place.
    let _ = std::fs::remove_dir(&pgdata);
    std::fs::rename(&away, &pgdata).unwrap();
    await_ready(&server.url, Duration::from_secs(45)).await;
    assert_eq!(count_thoughts(&data_dir).await, 2, "nothing was lost");
    assert!(server.terminate().await.success());
}

#[tokio::test]
async fn when_the_embedded_postgres_cannot_come_back_the_server_exits_non_zero() {
    let scratch = ScratchDir::new();
    let data_dir = scratch.0.join("data");
    let port = free_port();
    let mut command = server_command(&data_dir, port);
    command.env("DATABASE_RESTART_TIMEOUT", "5");
    let mut server = RunningServer::start(command, port, &scratch.0).await;

    std::fs::rename(
        data_dir.join("postgres/pgdata"),
        data_dir.join("postgres/pgdata.away"),
    )
    .unwrap();
    kill(
        postmaster_pid_in(&data_dir.join("postgres/pgdata.away")).unwrap(),
        libc::SIGKILL,
    );
    let killed = Instant::now();

    let status = tokio::time::timeout(Duration::from_secs(60), server.child.wait())
        .await
        .expect("the server gives up and exits")
        .unwrap();
    assert!(!status.success(), "a non-zero exit, for systemd to restart");
    assert!(
        killed.elapsed() < Duration::from_secs(30),
        "it gave up after about DATABASE_RESTART_TIMEOUT, not {:?}",
        killed.elapsed()
    );
    let log = std::fs::read_to_string(&server.stderr).unwrap();
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains("could not be restarted within 5 s"),
        "{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
}

/// A PostgreSQL of the tests' own, as an operator's external server would be.
async fn external_cluster(root: &Path) -> (EmbeddedPostgres, String) {
    let cluster = EmbeddedPostgres::start(root, Durability::Throwaway)
        .await
        .unwrap();
    let url = format!(
        "postgres://thoughtspace@localhost/thoughtspace?host={}&port=5432",
        cluster.socket_dir().display()
    );
    (cluster, url)
}

#[tokio::test]
async fn two_servers_on_one_external_postgres_stay_quiet_while_it_is_away_and_both_recover() {
    let scratch = ScratchDir::new();
    let cluster_root: PathBuf = scratch.0.join("external");
    let (mut cluster, url) = external_cluster(&cluster_root).await;
    let mut servers = Vec::new();
    for _ in 0..2 {
        let port = free_port();
        let mut command = server_command(&scratch.0.join(format!("data-{port}")), port);
        command.env("DATABASE_URL", &url);
        servers.push(RunningServer::start(command, port, &scratch.0).await);
    }
    for server in &servers {
        await_ready(&server.url, Duration::from_secs(30)).await;
    }

    // The database stops (its socket is gone): every connection attempt fails at once.
    cluster.stop().await;
    let before: Vec<(usize, f64)> = servers
        .iter()
        .map(|s| (log_lines(s), cpu_seconds(s.child.id().unwrap())))
        .collect();
    let window = Duration::from_secs(10);
    let quiet_until = Instant::now() + window;
    // Visitors keep coming: each is answered, none adds a line to the log.
    for server in &servers {
        for _ in 0..10 {
            for route in DATABASE_ROUTES {
                let _ = status_of(&format!("{}{route}", server.url)).await;
            }
        }
    }
    tokio::time::sleep(quiet_until.saturating_duration_since(Instant::now())).await;
    for (server, (lines, cpu)) in servers.iter().zip(&before) {
        let written = log_lines(server) - lines;
        let used = cpu_seconds(server.child.id().unwrap()) - cpu;
        assert!(
            written <= 12,
            "{written} log lines in {window:?} without a database: {}",
            std::fs::read_to_string(&server.stderr).unwrap()
        );
        assert!(
            used < 1.0,
            "{used:.2} s of CPU in {window:?} without a database"
        );
        assert_unavailable_but_alive(&server.url).await;
    }

    // It comes back: both servers serve again without a restart of their own.
    let (again, _) = external_cluster(&cluster_root).await;
    cluster = again;
    for server in &servers {
        await_ready(&server.url, Duration::from_secs(30)).await;
    }

    // Away again: SIGTERM still ends each server promptly, and cleanly.
    cluster.stop().await;
    for server in servers {
        await_condition(
            "the server notices that the database is away",
            Duration::from_secs(30),
            Duration::from_millis(100),
            || async { ready(&server.url).await.0 == 503 },
        )
        .await;
        let asked = Instant::now();
        assert!(server.terminate().await.success());
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "SIGTERM took {:?} without a database",
            asked.elapsed()
        );
    }
}

#[tokio::test]
async fn a_server_started_while_the_last_one_is_still_stopping_waits_for_it() {
    let scratch = ScratchDir::new();
    let data_dir = scratch.0.join("data");
    let port = free_port();
    let mut first = RunningServer::start(server_command(&data_dir, port), port, &scratch.0).await;
    insert_thought(&data_dir, "kept across a hasty restart").await;
    // The server dies at once, and its PostgreSQL is held (SIGSTOP) before it can finish
    // stopping: the parent-death signal waits until it runs again.
    let postmaster = postmaster_pid(&data_dir).unwrap();
    kill(postmaster, libc::SIGSTOP);
    kill(first.child.id().unwrap() as libc::pid_t, libc::SIGKILL);
    first.child.wait().await.unwrap();

    let port = free_port();
    let log = scratch.0.join("second.log");
    let mut command = server_command(&data_dir, port);
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut second = command.spawn().unwrap();
    await_condition(
        "the new server says it waits for the old PostgreSQL",
        Duration::from_secs(60),
        Duration::from_millis(100),
        || async {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("is still stopping; waiting")
        },
    )
    .await;
    assert!(
        second.try_wait().unwrap().is_none(),
        "it waits rather than failing"
    );
    kill(postmaster, libc::SIGCONT);
    let url = format!("http://127.0.0.1:{port}");
    await_condition(
        "the new server answers once the old PostgreSQL has stopped",
        Duration::from_secs(60),
        Duration::from_millis(100),
        || async { status_of(&format!("{url}/health")).await.is_some() },
    )
    .await;
    await_ready(&url, Duration::from_secs(30)).await;
    assert_eq!(count_thoughts(&data_dir).await, 1);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(!said.contains("already in use"), "{said}");
    kill(second.id().unwrap() as libc::pid_t, libc::SIGTERM);
    let status = tokio::time::timeout(Duration::from_secs(60), second.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

/// A fingerprint of a table's rows (every column), to compare two databases.
async fn fingerprint(data_dir: &Path, table: &str) -> (i64, String) {
    let mut connection = embedded_connection(data_dir).await;
    let row: (i64, Option<String>) = sqlx::query_as(&format!(
        "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"
    ))
    .fetch_one(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();
    (row.0, row.1.unwrap_or_default())
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_the_same_data_into_a_new_data_dir() {
    let scratch = ScratchDir::new();
    let source = scratch.0.join("source");
    let port = free_port();
    let server = RunningServer::start(server_command(&source, port), port, &scratch.0).await;
    for n in 0..25 {
        insert_thought(&source, &format!("thought number {n}, ünïcode kept")).await;
    }
    let dump = scratch.0.join("nightly.dump");
    let tool = |data_dir: &Path, args: &[&std::ffi::OsStr]| {
        let mut command = server_command(data_dir, free_port());
        command.args(args);
        command
    };

    let (ok, stderr) = run_to_exit(tool(
        &source,
        &["backup".as_ref(), "--output".as_ref(), dump.as_os_str()],
    ))
    .await;
    assert!(ok, "{stderr}");
    assert!(std::fs::metadata(&dump).unwrap().len() > 0);
    let (ok, stderr) = run_to_exit(tool(&source, &["restore".as_ref(), dump.as_os_str()])).await;
    assert!(
        !ok && stderr.contains("stop it before restoring"),
        "no restore under a running server: {stderr}"
    );

    let target = scratch.0.join("target");
    let (ok, stderr) = run_to_exit(tool(&target, &["restore".as_ref(), dump.as_os_str()])).await;
    assert!(ok, "{stderr}");
    assert!(
        !stderr.contains("terminating connection"),
        "the command's output is clean: {stderr}"
    );
    let (ok, stderr) = run_to_exit(tool(&target, &["restore".as_ref(), dump.as_os_str()])).await;
    assert!(
        !ok && stderr
            .lines()
            .last()
            .unwrap_or_default()
            .contains("--force"),
        "existing data is not overwritten without --force: {stderr}"
    );
    let (ok, stderr) = run_to_exit(tool(
        &target,
        &["restore".as_ref(), "--force".as_ref(), dump.as_os_str()],
    ))
    .await;
    assert!(ok, "{stderr}");

    let port = free_port();
    let restored = RunningServer::start(server_command(&target, port), port, &scratch.0).await;
    await_ready(&restored.url, Duration::from_secs(30)).await;
    for table in ["users", "thoughts", "_sqlx_migrations"] {
        let original = fingerprint(&source, table).await;
        assert!(original.0 > 0, "{table} has rows to compare");
        assert_eq!(
            fingerprint(&target, table).await,
            original,
            "{table} restored identically"
        );
    }
    assert!(restored
        .home_page()
        .await
        .contains("thought number 24, ünïcode kept"));
    assert!(restored.terminate().await.success());
    assert!(server.terminate().await.success());
}

#[tokio::test]
async fn a_stalled_database_is_answered_503_within_the_statement_timeout_and_ready_checks_the_disk()
{
    let app = crate::support::TestApp::spawn_with(
        crate::support::TestDatabase::new().await,
        None,
        &[
            ("DATABASE_STATEMENT_TIMEOUT", "1"),
            ("READY_MIN_FREE_DISK_MB", "1000000000"),
        ],
    )
    .await;
    crate::support::insert_user(&app.db.pool, "ana").await;

    // A petabyte free is more than any test machine has: /ready names the disk, and only it.
    let (status, body) = ready(&app.url).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["failed"], serde_json::json!(["disk"]), "{body}");
    assert!(
        body["checks"]["disk"]["error"]
            .as_str()
            .unwrap()
            .contains("READY_MIN_FREE_DISK_MB"),
        "{body}"
    );

    // The database stalls (a lock held on the table a timeline reads): the request is cut off
    // by statement_timeout and answered 503, instead of hanging as long as the stall.
    let mut stall = app.db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE thoughts IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *stall)
        .await
        .unwrap();
    let asked = Instant::now();
    let response = app.get("/api/v1/timelines/public").await;
    let waited = asked.elapsed();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert!(
        waited < Duration::from_secs(10),
        "answered after {waited:?}, not when the stall ended"
    );
    stall.rollback().await.unwrap();
    assert_eq!(app.get("/api/v1/timelines/public").await.status(), 200);
}
