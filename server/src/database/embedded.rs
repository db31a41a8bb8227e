//! The embedded default database: a private PostgreSQL cluster run from the system's
//! binaries when DATABASE_URL is unset.
//!
//! Layout under the chosen directory (`data/postgres` by default):
//! `pgdata/` (the cluster), `run/` (its Unix socket; no TCP port is opened) and
//! `postgres.log`. `postgres` runs as our child, not daemonized: it is asked to stop on
//! shutdown, and the kernel stops it if this process dies, so no orphan keeps the data
//! directory locked.

use std::{
    fs,
    os::unix::{
        fs::{MetadataExt, PermissionsExt},
        process::CommandExt,
    },
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use sqlx::{postgres::PgConnectOptions, ConnectOptions, Connection, PgConnection};

/// The cluster's superuser, and the name of the app's database in it.
pub const DATABASE_USER: &str = "thoughtspace";
pub const DATABASE_NAME: &str = "thoughtspace";
pub const PORT: u16 = 5432;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a start waits for a previous PostgreSQL on the same data (a server that is
/// still stopping, or the orphaned processes of a killed one) to let go of it.
const STOPPING_WAIT: Duration = Duration::from_secs(60);
/// Longest path a Unix socket address can hold (sun_path is 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) were not found{searched}; install them \
         with `apt-get install postgresql-15 postgresql-contrib`, set PG_BIN_DIR to their \
         directory, or set DATABASE_URL to use an existing server"
    )]
    BinariesNotFound { searched: String },
    #[error(
        "running as root, but there is no `postgres` system user to run the embedded database \
         as (PostgreSQL refuses root); install postgresql-15, which creates it, or run as an \
         unprivileged user"
    )]
    NoPostgresUser,
    #[error(
        "the database directory {path} belongs to uid {owner}, but the embedded database runs \
         as uid {expected}; fix it with `chown -R {expected} {path}`, choose another DATA_DIR, \
         or set DATABASE_URL"
    )]
    WrongOwner {
        path: PathBuf,
        owner: u32,
        expected: u32,
    },
    #[error(
        "the embedded database's user cannot reach {path} (a parent directory is closed to \
         others); choose a DATA_DIR outside it, or set DATABASE_URL"
    )]
    Unreachable { path: PathBuf },
    #[error(
        "the database socket path {path} is longer than {MAX_SOCKET_PATH} bytes; choose a \
         shorter DATA_DIR"
    )]
    SocketPathTooLong { path: PathBuf },
    #[error(
        "the embedded database in {path} is already in use by another process{pid}; stop that \
         server, choose another DATA_DIR, or set DATABASE_URL"
    )]
    InUse { path: PathBuf, pid: String },
    #[error("{step} failed: {detail} (see {log})")]
    Failed {
        step: &'static str,
        detail: String,
        log: PathBuf,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A running private PostgreSQL cluster; stop it with [`EmbeddedPostgres::stop`].
#[derive(Debug)]
pub struct EmbeddedPostgres {
    root: PathBuf,
    socket_dir: PathBuf,
    /// The `postgres` process we started; `None` when we use one a running server started.
    child: Option<Supervised>,
}

#[derive(Debug)]
struct Supervised {
    pid: libc::pid_t,
    /// How the process ended, once it has (`None`: it could not be waited for).
    /// In a mutex only to be shared between threads (the receiver alone is not `Sync`).
    exited: std::sync::Mutex<mpsc::Receiver<Option<std::process::ExitStatus>>>,
}

/// How the cluster is run: tuned for durability by default, for speed in throwaway test clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Throwaway,
    /// Durable, bringing back a cluster that died: never initializes a new one.
    Restart,
}

impl EmbeddedPostgres {
    /// Starts (initializing on first use) the cluster under `root` and makes sure the
    /// app's database exists. A second start on the same `root` reuses the data.
    pub async fn start(root: &Path, durability: Durability) -> Result<Self, EmbeddedError> {
        let bin_dir = find_binaries()?;
        let owner = cluster_owner()?;
        fs::create_dir_all(root).map_err(io_err("cannot create", root))?;
        let root = fs::canonicalize(root).map_err(io_err("cannot resolve", root))?;
        let data_dir = root.join("pgdata");
        let socket_dir = root.join("run");
        let log_path = root.join("postgres.log");

        let socket_path = socket_dir.join(format!(".s.PGSQL.{PORT}"));
        if socket_path.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(EmbeddedError::SocketPathTooLong { path: socket_path });
        }
        for dir in [&root, &data_dir, &socket_dir] {
            prepare_dir(dir, owner)?;
        }
        if let Some(owner) = owner {
            check_reachable(&root, owner.uid)?;
        }

        if !data_dir.join("PG_VERSION").exists() && durability != Durability::Restart {
            tracing::info!(path = %data_dir.display(), "initializing the embedded database cluster");
            let mut initdb = Command::new(bin_dir.join("initdb"));
            initdb
                .arg("--pgdata")
                .arg(&data_dir)
                .args([
                    "--username",
                    DATABASE_USER,
                    "--auth",
                    "trust",
                    "--encoding",
                    "UTF8",
                ])
                // A UTF-8 locale so pg_trgm treats non-ASCII letters as letters.
                .args(["--locale", "C.UTF-8"]);
            if durability == Durability::Throwaway {
                initdb.arg("--no-sync");
            }
            run_to_completion(initdb, owner, &log_path, "initdb")?;
        }

        if !data_dir.join("PG_VERSION").exists() && durability == Durability::Restart {
            return Err(EmbeddedError::Failed {
                step: "restarting PostgreSQL",
                detail: format!("the cluster's files are gone from {}", data_dir.display()),
                log: log_path,
            });
        }
        let postgres = || {
            let mut postgres = Command::new(bin_dir.join("postgres"));
            postgres
                .arg("-D")
                .arg(&data_dir)
                .arg("-c")
                .arg("listen_addresses=")
                .arg("-c")
                .arg(format!("unix_socket_directories={}", socket_dir.display()))
                .arg("-c")
                .arg(format!("port={PORT}"));
            if durability == Durability::Throwaway {
                for setting in [
                    "fsync=off",
                    "synchronous_commit=off",
                    "full_page_writes=off",
                    "max_connections=300",
                ] {
                    postgres.arg("-c").arg(setting);
                }
            }
            postgres
        };
        let mut cluster = EmbeddedPostgres {
            root,
            socket_dir: socket_dir.clone(),
            child: None,
        };
        let deadline = Instant::now() + STOPPING_WAIT;
        let mut told = false;
        loop {
            cluster.child = Some(spawn_supervised(postgres(), owner, &log_path)?);
            let Err(error) = cluster.wait_until_ready(&log_path).await else {
                break;
            };
            if cluster.exited().is_some() {
                cluster.child = None;
            } else {
                cluster.stop().await;
            }
            // Another PostgreSQL still holds the data: a server that is stopping, or the
            // orphaned processes of a killed one. Wait for it, unless it answers (in use).
            let held = matches!(error, EmbeddedError::InUse { .. })
                || matches!(&error, EmbeddedError::Failed { detail, .. } if detail.contains("shared memory block"));
            if !held || Instant::now() > deadline || cluster.answers().await {
                return Err(error);
            }
            if !told {
                told = true;
                tracing::warn!(path = %cluster.root.display(), "the previous embedded PostgreSQL on this data is still stopping; waiting up to {} s for it", STOPPING_WAIT.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if let Err(error) = cluster.create_app_database().await {
            cluster.stop().await;
            return Err(EmbeddedError::Failed {
                step: "creating the app database",
                detail: error.to_string(),
                log: log_path,
            });
        }
        tracing::info!(path = %cluster.root.display(), "embedded database started");
        Ok(cluster)
    }

    /// Uses the cluster under `root` if a running server already serves it (so operator
    /// commands work beside the server), else starts it.
    pub async fn attach_or_start(
        root: &Path,
        durability: Durability,
    ) -> Result<Self, EmbeddedError> {
        if let Ok(root) = fs::canonicalize(root) {
            let socket_dir = root.join("run");
            if socket_dir.join(format!(".s.PGSQL.{PORT}")).exists() {
                let running = EmbeddedPostgres {
                    root,
                    socket_dir,
                    child: None,
                };
                if let Ok(connection) =
                    PgConnection::connect_with(&running.connect_options("postgres")).await
                {
                    let _ = connection.close().await;
                    tracing::info!(path = %running.root.display(), "using the embedded database of the running server");
                    return Ok(running);
                }
            }
        }
        Self::start(root, durability).await
    }

    /// Connection options for `database` in this cluster.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(DATABASE_USER)
            .database(database)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether this is a cluster a running server started (we only connect to it).
    pub fn is_attached(&self) -> bool {
        self.child.is_none()
    }

    /// The socket directory clients connect through.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Whether a PostgreSQL answers on this cluster's socket (within a few seconds: a hung
    /// one does not count).
    async fn answers(&self) -> bool {
        let options = self.connect_options("postgres").disable_statement_logging();
        let attempt = PgConnection::connect_with(&options);
        match tokio::time::timeout(Duration::from_secs(3), attempt).await {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                true
            }
            Ok(Err(_)) | Err(_) => false,
        }
    }

    /// How the PostgreSQL we started ended, if it has: "killed by signal 9", "exit status 1".
    pub fn exited(&self) -> Option<String> {
        let child = self.child.as_ref()?;
        match child.try_exit() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) | Err(mpsc::TryRecvError::Disconnected) => Some("ended".into()),
            Err(mpsc::TryRecvError::Empty) => None,
        }
    }

    /// The last lines PostgreSQL wrote to its log (what it said before it died).
    pub fn log_tail(&self) -> String {
        log_tail(&self.root.join("postgres.log"))
    }

    /// Starts PostgreSQL again on the same data after it died, without ever initializing a
    /// new cluster (missing files are an error, not a reason to start empty).
    pub async fn restart(&mut self) -> Result<(), EmbeddedError> {
        self.child = None;
        let mut fresh = Self::start(&self.root, Durability::Restart).await?;
        self.child = fresh.child.take();
        Ok(())
    }

    async fn wait_until_ready(&self, log: &Path) -> Result<(), EmbeddedError> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let options = self.connect_options("postgres").disable_statement_logging();
        loop {
            if self.exited().is_some() {
                return Err(startup_failure(&self.root, log));
            }
            // Bounded: a socket whose owner hangs (another, stopped postmaster) accepts the
            // connection and never answers.
            let attempt = PgConnection::connect_with(&options);
            let attempt = tokio::time::timeout(Duration::from_secs(1), attempt)
                .await
                .unwrap_or_else(|_| Err(sqlx::Error::PoolTimedOut));
            match attempt {
                Ok(connection) => {
                    let _ = connection.close().await;
                    return Ok(());
                }
                Err(error) if Instant::now() > deadline => {
                    return Err(EmbeddedError::Failed {
                        step: "starting PostgreSQL",
                        detail: format!("not ready after {STARTUP_TIMEOUT:?}: {error}"),
                        log: log.to_owned(),
                    });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    async fn create_app_database(&self) -> Result<(), sqlx::Error> {
        let mut connection = PgConnection::connect_with(&self.connect_options("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(DATABASE_NAME)
                .fetch_one(&mut connection)
                .await?;
        if !exists {
            sqlx::query(&format!("CREATE DATABASE {DATABASE_NAME}"))
                .execute(&mut connection)
                .await?;
        }
        connection.close().await
    }

    /// Stops the cluster if we started it: a fast shutdown (open sessions are ended,
    /// everything committed is kept), then an immediate one if it does not finish in time.
    pub async fn stop(&mut self) {
        let Some(child) = self.child.take() else {
            return;
        };
        child.signal(libc::SIGINT);
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        loop {
            match child.try_exit() {
                Ok(_) | Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) if Instant::now() > deadline => {
                    tracing::warn!(
                        "the embedded database did not stop in time; stopping it immediately"
                    );
                    child.signal(libc::SIGQUIT);
                    let _ = child.wait_exit(Duration::from_secs(5));
                    break;
                }
                Err(mpsc::TryRecvError::Empty) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
            }
        }
        tracing::info!("embedded database stopped");
    }

    /// Blocking variant of [`stop`](Self::stop) for contexts without a runtime (process exit).
    pub fn stop_blocking(&mut self) {
        let Some(child) = self.child.take() else {
            return;
        };
        child.signal(libc::SIGINT);
        if child.wait_exit(SHUTDOWN_TIMEOUT).is_err() {
            child.signal(libc::SIGQUIT);
            let _ = child.wait_exit(Duration::from_secs(5));
        }
    }
}

impl Supervised {
    fn try_exit(&self) -> Result<Option<std::process::ExitStatus>, mpsc::TryRecvError> {
        match self.exited.lock() {
            Ok(exited) => exited.try_recv(),
            Err(_) => Err(mpsc::TryRecvError::Disconnected),
        }
    }

    fn wait_exit(
        &self,
        limit: Duration,
    ) -> Result<Option<std::process::ExitStatus>, mpsc::RecvTimeoutError> {
        match self.exited.lock() {
            Ok(exited) => exited.recv_timeout(limit),
            Err(_) => Err(mpsc::RecvTimeoutError::Disconnected),
        }
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on the pid of a child we spawned and whose exit we have not yet seen.
        unsafe { libc::kill(self.pid, signal) };
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop_blocking();
    }
}

/// The user the cluster runs as, when it is not this process's own user.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

/// PostgreSQL refuses to run as root: then the cluster runs as the `postgres` system user.
fn cluster_owner() -> Result<Option<RunAs>, EmbeddedError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = c"postgres";
    // SAFETY: getpwnam returns a pointer into static storage or null; we copy the fields at once.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err(EmbeddedError::NoPostgresUser);
    }
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some(RunAs { uid, gid }))
}

/// A PostgreSQL client program (`pg_dump`, `pg_restore`): from `PG_BIN_DIR` or the newest
/// PostgreSQL under /usr/lib/postgresql (a dump tool must be at least as new as the server),
/// else whatever PATH finds.
pub fn client_program(name: &str) -> PathBuf {
    let newest = std::env::var_os("PG_BIN_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain({
            let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|entry| {
                    let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                    Some((version, entry.path().join("bin")))
                })
                .collect();
            versions.sort();
            versions.into_iter().rev().map(|(_, dir)| dir)
        })
        .map(|dir| dir.join(name))
        .find(|program| program.is_file());
    newest.unwrap_or_else(|| PathBuf::from(name))
}

/// `PG_BIN_DIR` if set, else the newest PostgreSQL ≥ 15 under /usr/lib/postgresql, else PATH.
fn find_binaries() -> Result<PathBuf, EmbeddedError> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN_DIR") {
        let dir = PathBuf::from(dir);
        return if has_server(&dir) {
            Ok(dir)
        } else {
            Err(EmbeddedError::BinariesNotFound {
                searched: format!(" in PG_BIN_DIR={}", dir.display()),
            })
        };
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(version, dir)| *version >= 15 && has_server(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| has_server(dir))
        .ok_or(EmbeddedError::BinariesNotFound {
            searched: String::new(),
        })
}

/// Creates `dir` (mode 0700) owned by the cluster's user, or checks an existing one is.
fn prepare_dir(dir: &Path, owner: Option<RunAs>) -> Result<(), EmbeddedError> {
    let expected = owner.map_or_else(|| unsafe { libc::geteuid() }, |o| o.uid);
    match fs::metadata(dir) {
        Ok(meta) if meta.uid() != expected => {
            // A directory we just created as root for the cluster's user is handed over below;
            // anyone else's is left alone.
            if !(owner.is_some() && meta.uid() == 0 && is_empty_dir(dir)) {
                return Err(EmbeddedError::WrongOwner {
                    path: dir.to_owned(),
                    owner: meta.uid(),
                    expected,
                });
            }
        }
        Ok(_) => return Ok(()),
        Err(_) => fs::create_dir_all(dir).map_err(io_err("cannot create", dir))?,
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(io_err("cannot set permissions on", dir))?;
    if let Some(owner) = owner {
        std::os::unix::fs::chown(dir, Some(owner.uid), Some(owner.gid))
            .map_err(io_err("cannot hand over", dir))?;
    }
    Ok(())
}

fn is_empty_dir(dir: &Path) -> bool {
    fs::read_dir(dir)
        .map(|mut entries| entries.next().is_none())
        .unwrap_or(false)
}

/// Whether the user the cluster runs as can reach a cluster in `root`: always, unless this
/// process is root and a parent directory (such as /root) is closed to others.
pub fn reachable(root: &Path) -> bool {
    match (cluster_owner(), std::path::absolute(root)) {
        (Ok(Some(owner)), Ok(root)) => check_reachable(&root, owner.uid).is_ok(),
        _ => true,
    }
}

/// Every existing ancestor of `root` must let the cluster's user pass through (missing ones
/// will be created open to all).
fn check_reachable(root: &Path, uid: u32) -> Result<(), EmbeddedError> {
    for dir in root.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(dir) else {
            continue;
        };
        let passable = if meta.uid() == uid {
            meta.mode() & 0o100 != 0
        } else {
            meta.mode() & 0o001 != 0
        };
        if !passable {
            return Err(EmbeddedError::Unreachable {
                path: dir.to_owned(),
            });
        }
    }
    Ok(())
}

fn open_log(log: &Path) -> Result<fs::File, EmbeddedError> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io_err("cannot open", log))
}

/// Prepares `command` to run as the cluster's user with its output in the log.
fn configure(command: &mut Command, owner: Option<RunAs>, log: &Path) -> Result<(), EmbeddedError> {
    let out = open_log(log)?;
    let err = out.try_clone().map_err(io_err("cannot open", log))?;
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .env("LC_ALL", "C.UTF-8");
    if let Some(owner) = owner {
        command.uid(owner.uid).gid(owner.gid).env_remove("HOME");
        // The process must not try to chdir into a directory it cannot enter.
        command.current_dir("/");
    }
    Ok(())
}

fn run_to_completion(
    mut command: Command,
    owner: Option<RunAs>,
    log: &Path,
    step: &'static str,
) -> Result<(), EmbeddedError> {
    configure(&mut command, owner, log)?;
    let status = command.status().map_err(|e| EmbeddedError::Failed {
        step,
        detail: e.to_string(),
        log: log.to_owned(),
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(EmbeddedError::Failed {
            step,
            detail: format!("{status}: {}", log_tail(log)),
            log: log.to_owned(),
        })
    }
}

/// Spawns `postgres` from a thread that lives as long as the child and reports its exit.
/// The child gets SIGINT (fast shutdown) if this process dies: the parent-death signal
/// fires when the spawning thread ends, which is why that thread waits on the child.
fn spawn_supervised(
    mut command: Command,
    owner: Option<RunAs>,
    log: &Path,
) -> Result<Supervised, EmbeddedError> {
    configure(&mut command, owner, log)?;
    // SAFETY: prctl is async-signal-safe; it runs in the child after fork, before exec
    // (and after the uid change, which would otherwise clear it).
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (spawned_tx, spawned_rx) = mpsc::channel();
    let (exited_tx, exited_rx) = mpsc::channel();
    let log_path = log.to_owned();
    std::thread::Builder::new()
        .name("embedded-postgres".into())
        .spawn(move || match command.spawn() {
            Ok(mut child) => {
                let _ = spawned_tx.send(Ok(child.id() as libc::pid_t));
                let _ = exited_tx.send(child.wait().ok());
            }
            Err(error) => {
                let _ = spawned_tx.send(Err(error));
            }
        })
        .map_err(|e| EmbeddedError::Failed {
            step: "starting PostgreSQL",
            detail: e.to_string(),
            log: log_path.clone(),
        })?;
    let pid = spawned_rx
        .recv()
        .map_err(|e| e.to_string())
        .and_then(|result| result.map_err(|e| e.to_string()))
        .map_err(|detail| EmbeddedError::Failed {
            step: "starting PostgreSQL",
            detail,
            log: log_path,
        })?;
    Ok(Supervised {
        pid,
        exited: std::sync::Mutex::new(exited_rx),
    })
}

/// Explains why postgres exited during startup, from the last lines of its log.
fn startup_failure(root: &Path, log: &Path) -> EmbeddedError {
    let tail = log_tail(log);
    if tail.contains("lock file") && tail.contains("already exists") {
        let pid = tail
            .split("PID ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .map(|pid| format!(" (PID {pid})"))
            .unwrap_or_default();
        return EmbeddedError::InUse {
            path: root.to_owned(),
            pid,
        };
    }
    EmbeddedError::Failed {
        step: "starting PostgreSQL",
        detail: tail,
        log: log.to_owned(),
    }
}

/// The last few meaningful lines of the log, on one line.
fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
    if tail.is_empty() {
        "no output".into()
    } else {
        tail
    }
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> EmbeddedError + 'a {
    move |source| EmbeddedError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}
