//! What a stopping server tells its clients about coming back: retry hints spread over a
//! window.
//!
//! A server with 10,000 clients restarts in a second or two. If every client reconnects
//! the moment it is told to go, the new process meets 10,000 handshakes, 10,000 replays
//! and 10,000 presence announcements in the same instant — the *thundering herd* — and may
//! fall over, which sends them all back again. Each client's own backoff jitter helps, but
//! only from its *first* failure on; the first attempt is what a restart must spread.
//!
//! The server knows it is restarting, so it says when to come back — and says something
//! different to each client: every WebSocket's Close 1001 reason and every event stream's
//! last `retry:` carry a delay drawn **uniformly** over `[0, --shutdown-spread-ms]`. With a
//! 5 s window, 10,000 clients arrive at about 2,000 per second instead of all at once.
//!
//! ```text
//! ◀─ Close 1001 "server shutting down retry-after-ms=3172"     (one WebSocket)
//! ◀─ retry: 841                                                (one event stream)
//! ◀─ : closed: server shutting down
//! ```
//!
//! Phases 2 and 3 know nothing of this: they ask the [`ShutdownAdvice`] phase 5 provides
//! for one draw per client; without it they still stop gracefully, without hints.

use phase_1_foundations::{RetryAdvice, ShutdownAdvice};

// ANCHOR: spread
/// A window retry hints are drawn from, uniformly: `[0, window_ms]` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    /// The width of the window, in milliseconds (0: everyone may come back at once).
    pub window_ms: u64,
}

impl Spread {
    /// One client's delay: uniform in `[0, window_ms]`.
    pub fn draw(&self) -> u64 {
        fastrand::u64(0..=self.window_ms)
    }

    /// The advice phases 2 and 3 ask for when they say goodbye: a fresh draw per client,
    /// written into a close reason as ` retry-after-ms=N`.
    pub fn advice(self) -> ShutdownAdvice {
        ShutdownAdvice(RetryAdvice::from_fn(move || self.draw()))
    }
}
// ANCHOR_END: spread

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::protocol::retry_hint;

    #[test]
    fn every_draw_falls_inside_the_window_and_the_draws_spread_over_it() {
        let spread = Spread { window_ms: 5_000 };
        let draws: Vec<u64> = (0..1_000).map(|_| spread.draw()).collect();
        assert!(draws.iter().all(|&ms| ms <= 5_000));
        // A thousand uniform draws over 5,001 values: far more than a handful distinct,
        // and both halves of the window used (the chance of either failing is ~2^-1000).
        assert!(draws.iter().collect::<HashSet<_>>().len() > 100);
        assert!(draws.iter().any(|&ms| ms < 2_500) && draws.iter().any(|&ms| ms > 2_500));
    }

    #[test]
    fn a_zero_window_means_no_delay() {
        assert_eq!(Spread { window_ms: 0 }.draw(), 0);
    }

    #[test]
    fn the_advice_writes_a_hint_phase_5s_clients_read_back() {
        let advice = Spread { window_ms: 1_000 }.advice();
        let reason = advice.close_reason("server shutting down");
        let ms = retry_hint(&reason).expect("the reason carries a hint");
        assert!(ms <= 1_000, "{reason}");
        assert!(reason.starts_with("server shutting down retry-after-ms="));
        assert!(advice.retry_ms() <= 1_000);
    }
}
