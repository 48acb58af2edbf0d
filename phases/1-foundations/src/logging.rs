//! Structured logs with `tracing`.
//!
//! Every request runs inside a span `request{id=7 method=GET path=/health}`, so every line
//! logged while handling it — by us or by a library — carries those fields. Logs go to
//! **stderr**; stdout carries only the machine-readable `listening on ...` line, so a
//! script (or the end-to-end harness) can read the port without parsing logs.

// ANCHOR: logging_init
/// Installs the global subscriber with an `EnvFilter` expression (`info`, `debug,hyper=info`).
/// Calling it twice is harmless (the second call is ignored), which tests rely on.
pub fn init(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
// ANCHOR_END: logging_init

// ANCHOR: every_second
/// At most one warning a second for an event that can repeat thousands of times a
/// second (a failing `accept()`, refused clients): a log flood costs disk and CPU exactly
/// when the server is short of both.
#[derive(Debug, Default)]
pub struct EverySecond {
    last: Option<std::time::Instant>,
    suppressed: u64,
}

impl EverySecond {
    /// Records one event; returns `Some(n)` when this one should be logged, `n` being how
    /// many were left out since the last line, or `None` to stay quiet.
    pub fn should_log(&mut self) -> Option<u64> {
        let now = std::time::Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < std::time::Duration::from_secs(1) => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}
// ANCHOR_END: every_second

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_logs_once_then_reports_what_it_left_out() {
        let mut limit = EverySecond::default();
        assert_eq!(limit.should_log(), Some(0));
        for _ in 0..99 {
            assert_eq!(limit.should_log(), None);
        }
        limit.last = limit
            .last
            .map(|t| t - std::time::Duration::from_millis(1_001));
        assert_eq!(limit.should_log(), Some(99));
    }
}
