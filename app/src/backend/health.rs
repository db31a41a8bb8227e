//! What the server knows of its own health, shared by every clone of the `Backend`: whether
//! the database answers (kept by the server's monitor, read by every request so that an
//! outage is answered 503 at once) and when the delivery worker last showed it was alive.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, OnceLock,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    database_down: AtomicBool,
    /// Milliseconds since the epoch of the delivery worker's last turn; 0 = never.
    worker_beat: AtomicU64,
    disk: OnceLock<DiskCheck>,
}

/// The free space `/ready` requires on the file system that holds `path`.
#[derive(Debug, Clone)]
pub struct DiskCheck {
    pub path: PathBuf,
    pub min_free_bytes: u64,
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

impl Health {
    /// Whether the database answered the last probe (true until a probe says otherwise).
    pub fn database_available(&self) -> bool {
        !self.0.database_down.load(Ordering::Relaxed)
    }

    /// Records a probe's outcome; returns whether that changed the state.
    pub fn set_database_available(&self, available: bool) -> bool {
        self.0.database_down.swap(!available, Ordering::Relaxed) == available
    }

    /// The delivery worker is alive and turning.
    pub fn worker_beat(&self) {
        self.0.worker_beat.store(now_millis(), Ordering::Relaxed);
    }

    /// How long ago the delivery worker last turned; `None` if it never did.
    pub fn worker_silent_for(&self) -> Option<Duration> {
        match self.0.worker_beat.load(Ordering::Relaxed) {
            0 => None,
            beat => Some(Duration::from_millis(now_millis().saturating_sub(beat))),
        }
    }

    /// Sets the disk-space requirement (once; the server does it at start-up).
    pub fn require_disk(&self, check: DiskCheck) {
        let _ = self.0.disk.set(check);
    }

    pub fn disk_requirement(&self) -> Option<&DiskCheck> {
        self.0.disk.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_state_changes_are_reported_once() {
        let health = Health::default();
        assert!(health.database_available());
        assert!(!health.set_database_available(true), "already available");
        assert!(health.set_database_available(false));
        assert!(!health.database_available());
        assert!(!health.set_database_available(false), "already down");
        assert!(health.set_database_available(true));
    }

    #[test]
    fn the_worker_beat_is_recent_once_beaten() {
        let health = Health::default();
        assert_eq!(health.worker_silent_for(), None);
        health.worker_beat();
        assert!(health.worker_silent_for().unwrap() < Duration::from_secs(5));
    }
}
