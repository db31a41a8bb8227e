//! Back-off for loops that can fail (the delivery worker, the live-event listener, the
//! database monitor): each failure waits longer, up to a cap, and the log gets one line when
//! the trouble starts, one a minute while it lasts, and one when it is over, never one per
//! failure (a loop failing at once would otherwise write thousands of lines a second).

use std::{
    fmt::Display,
    time::{Duration, Instant},
};

/// How often a lasting failure is reported again.
const REPORT_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Trouble {
    what: &'static str,
    first_delay: Duration,
    max_delay: Duration,
    next_delay: Duration,
    failing_since: Option<Instant>,
    failures: u64,
    last_report: Option<Instant>,
}

impl Trouble {
    /// `what` names the loop in log lines ("the delivery worker").
    pub fn new(what: &'static str, first_delay: Duration, max_delay: Duration) -> Self {
        Trouble {
            what,
            first_delay,
            max_delay,
            next_delay: first_delay,
            failing_since: None,
            failures: 0,
            last_report: None,
        }
    }

    /// Records a failure, logs it if the state changed or the last report is old, and
    /// returns how long to wait before trying again.
    pub fn failed(&mut self, error: &dyn Display) -> Duration {
        let now = Instant::now();
        self.failures += 1;
        match self.failing_since {
            None => {
                self.failing_since = Some(now);
                self.last_report = Some(now);
                tracing::error!(%error, "{} failed; retrying with back-off until it recovers", self.what);
            }
            Some(since) if self.last_report.is_none_or(|at| now - at >= REPORT_EVERY) => {
                self.last_report = Some(now);
                tracing::warn!(%error, failures = self.failures, "{} still failing after {} s", self.what, (now - since).as_secs());
            }
            Some(_) => {}
        }
        let delay = self.next_delay;
        self.next_delay = (self.next_delay * 2).min(self.max_delay);
        jittered(delay)
    }

    /// Records a success; logs the recovery if it was failing.
    pub fn succeeded(&mut self) {
        if let Some(since) = self.failing_since.take() {
            tracing::info!(
                failures = self.failures,
                "{} recovered after {:.1} s",
                self.what,
                since.elapsed().as_secs_f64()
            );
        }
        self.failures = 0;
        self.last_report = None;
        self.next_delay = self.first_delay;
    }

    pub fn is_failing(&self) -> bool {
        self.failing_since.is_some()
    }
}

/// `delay` shortened by up to a fifth, so that several processes that lost the same
/// database do not all retry in the same instant.
fn jittered(delay: Duration) -> Duration {
    let noise = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    delay - delay / 5 * (noise % 1000) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_reset_on_success() {
        let mut trouble = Trouble::new("test", Duration::from_secs(1), Duration::from_secs(8));
        let delays: Vec<Duration> = (0..6).map(|_| trouble.failed(&"boom")).collect();
        for (delay, nominal) in delays.iter().zip([1, 2, 4, 8, 8, 8]) {
            let nominal = Duration::from_secs(nominal);
            assert!(
                *delay <= nominal && *delay >= nominal * 4 / 5,
                "{delay:?} vs {nominal:?}"
            );
        }
        assert!(trouble.is_failing());
        trouble.succeeded();
        assert!(!trouble.is_failing());
        assert!(trouble.failed(&"again") <= Duration::from_secs(1));
    }
}
