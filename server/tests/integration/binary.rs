//! The `server` binary as an operator runs it: the embedded default database, DATABASE_URL,
//! the `migrate` command, clean shutdown, and one clear line for each bad setup.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use crate::support::{
    process::{free_port, run_to_exit, server_command, RunningServer, ScratchDir},
    TestDatabase,
};
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};
use tokio::process::Command;

/// The last stderr line must be one clear `error:` line, with no panic anywhere.
fn assert_one_clear_error(success: bool, stderr: &str, expected: &[&str]) {
    assert!(!success, "the command must fail: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: "),
        "last line is not an error line: {stderr}"
    );
    for word in expected {
        assert!(last.contains(word), "{word:?} missing from {last:?}");
    }
}

pub(crate) async fn embedded_connection(data_dir: &Path) -> PgConnection {
    let options = PgConnectOptions::new()
        .socket(data_dir.join("postgres/run"))
        .port(5432)
        .username("thoughtspace")
        .database("thoughtspace");
    PgConnection::connect_with(&options)
        .await
        .expect("the embedded database accepts connections")
}

#[tokio::test]
async fn without_database_url_the_server_runs_its_own_postgres_and_reuses_the_data() {
    let scratch = ScratchDir::new();
    let data_dir = scratch.0.join("data");
    let port = free_port();

    let server = RunningServer::start(server_command(&data_dir, port), port, &scratch.0).await;
    assert!(
        data_dir.join("postgres/pgdata/PG_VERSION").exists(),
        "the cluster lives in DATA_DIR/postgres"
    );
    let mut connection = embedded_connection(&data_dir).await;
    let ana: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, email) VALUES ('ana', 'ana@example.test') RETURNING id",
    )
    .fetch_one(&mut connection)
    .await
    .unwrap();
    sqlx::query("INSERT INTO thoughts (user_id, content) VALUES ($1, 'kept across restarts')")
        .bind(ana)
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    assert!(server.home_page().await.contains("kept across restarts"));

    assert!(
        server.terminate().await.success(),
        "SIGTERM is a clean exit"
    );
    assert!(
        !data_dir.join("postgres/pgdata/postmaster.pid").exists(),
        "the embedded PostgreSQL stopped with the server"
    );

    let port = free_port();
    let server = RunningServer::start(server_command(&data_dir, port), port, &scratch.0).await;
    assert!(
        server.home_page().await.contains("kept across restarts"),
        "a second start reuses the data"
    );
    assert!(server.terminate().await.success());
    assert!(!data_dir.join("postgres/pgdata/postmaster.pid").exists());
}

#[tokio::test]
async fn with_database_url_the_server_uses_that_database() {
    let db = TestDatabase::new().await;
    let ana = crate::support::insert_user(&db.pool, "ana").await;
    crate::support::insert_thought(
        &db.pool,
        ana,
        "from the configured database",
        "public",
        chrono::Utc::now(),
    )
    .await;
    let scratch = ScratchDir::new();
    let port = free_port();
    let mut command = server_command(&scratch.0.join("unused"), port);
    command.env("DATABASE_URL", db.url());

    let server = RunningServer::start(command, port, &scratch.0).await;
    assert!(server
        .home_page()
        .await
        .contains("from the configured database"));
    assert!(server.terminate().await.success());
    assert!(
        !scratch.0.join("unused").exists(),
        "no embedded cluster was made"
    );
}

#[tokio::test]
async fn the_migrate_command_applies_migrations_once() {
    let db = TestDatabase::empty().await;
    let scratch = ScratchDir::new();
    for _ in 0..2 {
        let mut command = server_command(&scratch.0, free_port());
        command.arg("migrate").env("DATABASE_URL", db.url());
        let (success, stderr) = run_to_exit(command).await;
        assert!(success, "{stderr}");
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(applied as usize, app::backend::MIGRATOR.iter().count());
    }
}

#[tokio::test]
async fn an_unreachable_database_url_is_one_clear_line_without_the_password() {
    let scratch = ScratchDir::new();
    let mut command = server_command(&scratch.0, free_port());
    command.env(
        "DATABASE_URL",
        format!(
            "postgres://ana:hunter2secret@127.0.0.1:{}/thoughtspace",
            free_port()
        ),
    );
    let (success, stderr) = run_to_exit(command).await;
    assert_one_clear_error(
        success,
        &stderr,
        &["DATABASE_URL", "127.0.0.1", "unset DATABASE_URL"],
    );
    assert!(
        !stderr.contains("hunter2secret"),
        "the password is never shown: {stderr}"
    );

    let mut command = server_command(&scratch.0, free_port());
    command.env("DATABASE_URL", "mysql://nope");
    let (success, stderr) = run_to_exit(command).await;
    assert_one_clear_error(success, &stderr, &["DATABASE_URL", "postgres://"]);
}

#[tokio::test]
async fn a_port_in_use_is_one_clear_line() {
    let scratch = ScratchDir::new();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (success, stderr) = run_to_exit(server_command(&scratch.0, port)).await;
    assert_one_clear_error(
        success,
        &stderr,
        &[&format!("127.0.0.1:{port}"), "LEPTOS_SITE_ADDR"],
    );
    assert!(
        !scratch.0.join("postgres").exists(),
        "nothing is started when the port is taken"
    );
}

#[tokio::test]
async fn missing_postgresql_binaries_are_one_clear_line() {
    let scratch = ScratchDir::new();
    let mut command = server_command(&scratch.0, free_port());
    command.env("PG_BIN_DIR", scratch.0.join("no-postgres-here"));
    let (success, stderr) = run_to_exit(command).await;
    assert_one_clear_error(
        success,
        &stderr,
        &[
            "PostgreSQL server binaries",
            "apt-get install postgresql-15 postgresql-contrib",
            "DATABASE_URL",
        ],
    );
}

#[tokio::test]
async fn a_data_directory_owned_by_someone_else_is_one_clear_line() {
    let scratch = ScratchDir::new();
    let cluster_dir = scratch.0.join("postgres");
    std::fs::create_dir_all(cluster_dir.join("pgdata")).unwrap();
    std::fs::write(cluster_dir.join("pgdata/PG_VERSION"), "15\n").unwrap();
    // Someone else: `nobody` when we can hand files over (root), else root's own /.
    let stranger = if unsafe { libc::geteuid() } == 0 {
        65534
    } else {
        0
    };
    let data_dir = if stranger == 65534 {
        std::os::unix::fs::chown(&cluster_dir, Some(stranger), Some(stranger)).unwrap();
        scratch.0.clone()
    } else {
        // Not root: a directory of root's stands in for a stranger's.
        PathBuf::from("/")
    };
    let (success, stderr) = run_to_exit(server_command(&data_dir, free_port())).await;
    if stranger == 65534 {
        assert_one_clear_error(
            success,
            &stderr,
            &["belongs to uid 65534", "chown", "DATA_DIR"],
        );
    } else {
        assert_one_clear_error(success, &stderr, &["/postgres"]);
    }
}

/// Runs the binary with `input` on standard input; returns (success, stdout, stderr).
async fn run_with_input(mut command: Command, input: &str) -> (bool, String, String) {
    use tokio::io::AsyncWriteExt;
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn operators_create_list_and_delete_users_from_the_command_line() {
    let db = TestDatabase::new().await;
    let scratch = ScratchDir::new();
    let user = |args: &[&str]| {
        let mut command = server_command(&scratch.0, free_port());
        command.env("DATABASE_URL", db.url()).arg("user").args(args);
        command
    };

    let (ok, stdout, stderr) = run_with_input(
        user(&[
            "create",
            "--username",
            "ana",
            "--email",
            "ana@example.test",
            "--password-stdin",
        ]),
        "correct horse\n",
    )
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "created @ana <ana@example.test>");
    let (ok, stdout, _) = run_with_input(
        user(&[
            "create",
            "--username",
            "root_op",
            "--email",
            "op@example.test",
            "--password-stdin",
            "--admin",
        ]),
        "another password",
    )
    .await;
    assert!(ok);
    assert!(stdout.contains("(admin)"));

    // The password works on the web, and was never on the command line.
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'ana'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
    let account = app::backend::accounts::authenticate(&db.pool, "ana", "correct horse", None)
        .await
        .expect("logs in");
    assert!(!account.is_admin);

    let (ok, stdout, _) = run_with_input(user(&["list"]), "").await;
    assert!(ok);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[1].starts_with("ana ")
            && lines[1].contains("ana@example.test")
            && lines[1].contains(" no ")
    );
    assert!(lines[2].starts_with("root_op ") && lines[2].contains(" yes "));

    for (args, input, expected) in [
        (
            vec![
                "create",
                "--username",
                "ANA",
                "--email",
                "x@example.test",
                "--password-stdin",
            ],
            "correct horse\n",
            "--username: this username is taken",
        ),
        (
            vec![
                "create",
                "--username",
                "bo",
                "--email",
                "nope",
                "--password-stdin",
            ],
            "correct horse\n",
            "--email: ",
        ),
        (
            vec![
                "create",
                "--username",
                "bo",
                "--email",
                "bo@example.test",
                "--password-stdin",
            ],
            "short\n",
            "--password-stdin: use at least 8 characters",
        ),
        (
            vec![
                "create",
                "--username",
                "admin",
                "--email",
                "bo@example.test",
                "--password-stdin",
            ],
            "correct horse\n",
            "--username: this name is reserved",
        ),
        (
            vec!["create", "--username", "bo", "--email", "bo@example.test"],
            "",
            "pass --password-stdin",
        ),
        (
            vec!["delete", "nobody"],
            "",
            "there is no local user @nobody",
        ),
    ] {
        let (ok, _, stderr) = run_with_input(user(&args), input).await;
        assert_one_clear_error(ok, &stderr, &[expected]);
    }

    let (ok, stdout, _) = run_with_input(user(&["delete", "@ANA"]), "").await;
    assert!(ok);
    assert_eq!(stdout.trim(), "deleted @ana");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 1);
}

#[tokio::test]
async fn operator_commands_work_beside_a_running_server() {
    let scratch = ScratchDir::new();
    let data_dir = scratch.0.join("data");
    let port = free_port();
    let server = RunningServer::start(server_command(&data_dir, port), port, &scratch.0).await;

    let mut command = server_command(&data_dir, free_port());
    command.args([
        "user",
        "create",
        "--username",
        "ana",
        "--email",
        "ana@example.test",
        "--password-stdin",
    ]);
    let (ok, stdout, stderr) = run_with_input(command, "correct horse\n").await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("created @ana"));

    let profile = reqwest::get(format!("{}/@ana", server.url)).await.unwrap();
    assert_eq!(
        profile.status(),
        200,
        "the running server sees the new account"
    );
    assert!(server.terminate().await.success());
}
