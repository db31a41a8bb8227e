//! The real `server` binary as a child process: a scratch directory, a free port, a clean
//! environment, waiting until it answers, and SIGTERM.

use std::{
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::{Duration, Instant},
};

use tokio::process::{Child, Command};

/// A directory removed when dropped (the embedded cluster's files belong to another user
/// when tests run as root; root may remove them).
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "thoughtspace-bin-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server binary with a clean environment: no DATABASE_URL unless given.
pub fn server_command(data_dir: &Path, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("PG_BIN_DIR")
        .env("DATA_DIR", data_dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Waits until `url` answers (any status), or the process dies, or 90 seconds pass.
pub async fn wait_until_answering(url: &str, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "{url}: the process exited early ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if reqwest::get(url).await.is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} did not answer in time: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A server binary that answers on its port; killed when dropped.
pub struct RunningServer {
    pub child: Child,
    pub url: String,
    pub stderr: PathBuf,
}

impl RunningServer {
    /// Starts `command` (from [`server_command`]) with its stderr in `scratch`, and waits
    /// until it answers.
    pub async fn start(mut command: Command, port: u16, scratch: &Path) -> Self {
        let stderr = scratch.join(format!("server-{port}.log"));
        command
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap());
        let mut child = command.spawn().expect("the server binary starts");
        let url = format!("http://127.0.0.1:{port}");
        wait_until_answering(&format!("{url}/robots.txt"), &mut child, &stderr).await;
        RunningServer { child, url, stderr }
    }

    pub async fn home_page(&self) -> String {
        let response = reqwest::get(&self.url).await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends SIGTERM (the exit is then awaited with [`wait`](Self::wait)).
    pub fn signal_terminate(&self) {
        let pid = self.child.id().expect("still running") as libc::pid_t;
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }

    /// The exit status, within `limit`; nothing panicked on the way.
    pub async fn wait(mut self, limit: Duration) -> ExitStatus {
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the server did not exit within {limit:?}"))
            .unwrap();
        let log = self.log();
        assert!(!log.contains("panicked"), "{log}");
        status
    }

    /// SIGTERM, then the exit status.
    pub async fn terminate(self) -> ExitStatus {
        self.signal_terminate();
        self.wait(Duration::from_secs(60)).await
    }
}

/// Runs the binary to completion and returns (success, stderr).
pub async fn run_to_exit(mut command: Command) -> (bool, String) {
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output(),
    )
    .await
    .expect("the command finishes")
    .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
