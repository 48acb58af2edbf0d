//! [`Link`]: the state of a connection to something outside the process — the shared store,
//! the bus — as `/health` reports it, and how a lost one is retried.
//!
//! A link is **up** or **down**; it remembers why it last failed and how many times it was
//! lost. Whoever owns the connection marks it ([`Link::up`], [`Link::down`]); `/health`
//! reads it at once ([`phase_1_foundations::health::HealthCheck`]), never waiting on the
//! network.
//!
//! **Retried with phase 5's backoff.** Reconnection waits are drawn by the same
//! [`BackoffPolicy`] the browser uses to come back to us: full jitter in a window that
//! doubles up to a cap. Several instances that lost Redis at the same moment (it
//! restarted) would otherwise all knock at the same instants.

use std::{
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use phase_1_foundations::health::{CheckReport, HealthCheck};
use phase_5_hardening::backoff::BackoffPolicy;

#[derive(Debug)]
struct State {
    up: bool,
    last_error: Option<String>,
    disconnects: u64,
}

/// One link's state, shared by its owner and `/health`.
#[derive(Debug)]
pub struct Link {
    name: &'static str,
    target: String,
    state: Mutex<State>,
}

impl Link {
    /// A link named `name` (`store`, `bus`) to `target`, down until marked up.
    pub fn new(name: &'static str, target: impl Into<String>) -> Self {
        Self {
            name,
            target: target.into(),
            state: Mutex::new(State {
                up: false,
                last_error: None,
                disconnects: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the link works now.
    pub fn is_up(&self) -> bool {
        self.lock().up
    }

    /// The link works (again).
    pub fn up(&self) {
        let mut state = self.lock();
        if !state.up {
            tracing::info!(link = self.name, target = %self.target, "link up");
        }
        state.up = true;
    }

    /// The link failed with `why`: counted once per loss, logged, kept for `/health`.
    pub fn down(&self, why: &str) {
        // EXERCISE(ch7-link-down): count a loss once, keep why
        let mut state = self.lock();
        if state.up {
            state.disconnects += 1;
            tracing::warn!(link = self.name, target = %self.target, error = why, "link lost");
        }
        state.up = false;
        state.last_error = Some(why.to_owned());
        // EXERCISE_END(ch7-link-down)
    }
}

impl HealthCheck for Link {
    fn name(&self) -> &str {
        self.name
    }

    fn report(&self) -> CheckReport {
        let state = self.lock();
        CheckReport {
            up: state.up,
            target: self.target.clone(),
            last_error: state.last_error.clone(),
            disconnects: state.disconnects,
        }
    }
}

/// The wait before reconnection attempt `attempt` (0 for the first): phase 5's policy with
/// a fresh draw.
pub fn retry_delay(policy: &BackoffPolicy, attempt: u32) -> Duration {
    Duration::from_millis(policy.delay_ms(attempt, fastrand::f64()))
}

/// A URL for logs and `/health`, without its password (`redis://:secret@host` →
/// `redis://host`).
pub fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://{host}"),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_counts_each_loss_once_and_keeps_the_last_error() {
        let link = Link::new("store", "redis://127.0.0.1:6379");
        assert!(!link.report().up);
        link.up();
        link.down("connection refused");
        link.down("connection refused again");
        let report = link.report();
        assert!(!report.up);
        assert_eq!(report.disconnects, 1);
        assert_eq!(
            report.last_error.as_deref(),
            Some("connection refused again")
        );
        link.up();
        assert!(link.report().up);
    }

    #[test]
    fn a_password_never_reaches_the_report() {
        assert_eq!(
            redact("redis://:s3cret@10.0.0.5:6379/0"),
            "redis://10.0.0.5:6379/0"
        );
        assert_eq!(redact("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
    }
}
