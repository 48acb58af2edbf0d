//! [`RetryAdvice`]: the server's word on when a client should come back.
//!
//! A server tells clients to wait in three places: the `retry:` field that opens an event
//! stream (HTML §9.2.6: the `EventSource` reconnection time), the `Retry-After` header of a
//! `503` (RFC 9110 §10.2.3), and the reason of a WebSocket Close whose verdict is
//! "reconnect" (1013 try again later, 1001 going away). All three ask the same question,
//! so one value answers it.
//!
//! Phase 2 on its own advises a **fixed** delay (`--sse-retry-ms`), and phase 3 a fixed
//! `Retry-After: 5`. That is the naive version, and it has a flaw phase 5 fixes: after a
//! restart every client got the same number and comes back at the same instant. A later
//! phase replaces the advice in the server's services with one that draws each answer at
//! random over a window (`RetryAdvice::from_fn`), and every place below uses it without
//! change — the shutdown's goodbyes too ([`crate::shutdown::ShutdownAdvice`] wraps one).
//!
//! It lives in phase 1 because `Retry-After` is plain HTTP and the shutdown sequence
//! (phase 1's) needs it; phase 5 moved it here from phase 2, where it started.
//!
//! A Close reason carries the advice as a suffix, because a reason is at most 123 bytes of
//! UTF-8 (RFC 6455 §5.5) meant for people: `"slow consumer: … retry-after-ms=2300"`.

use std::{fmt, sync::Arc, time::Duration};

use crate::ApiError;
use http::{header, HeaderValue};

/// When a client should come back, in milliseconds: one answer per call.
#[derive(Clone)]
pub struct RetryAdvice(Arc<dyn Fn() -> u64 + Send + Sync>);

impl RetryAdvice {
    /// The same delay every time (this phase's default: `--sse-retry-ms`).
    pub fn fixed(ms: u64) -> Self {
        Self(Arc::new(move || ms))
    }

    /// A delay drawn by `draw` on every call (phase 5: full jitter over a window).
    pub fn from_fn(draw: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(draw))
    }

    /// The advice for one client, in milliseconds.
    pub fn next_ms(&self) -> u64 {
        (self.0)()
    }

    /// `error` with a `Retry-After` header (whole seconds, rounded up, at least 1).
    pub fn on_error(&self, error: ApiError) -> ApiError {
        let secs = Duration::from_millis(self.next_ms())
            .as_secs_f64()
            .ceil()
            .max(1.0) as u64;
        error.with_header(header::RETRY_AFTER, HeaderValue::from(secs))
    }
}

impl fmt::Debug for RetryAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RetryAdvice(..)")
    }
}

// ANCHOR: retry_hint
/// The suffix that carries a retry hint at the end of a close reason.
pub const RETRY_HINT: &str = " retry-after-ms=";

/// `reason` with a retry hint of `ms` appended.
pub fn with_retry_hint(reason: &str, ms: u64) -> String {
    format!("{reason}{RETRY_HINT}{ms}")
}

/// The retry hint at the end of a close reason, if there is one.
pub fn retry_hint(reason: &str) -> Option<u64> {
    // EXERCISE(ch5-retry-hint): read the retry hint at the end of a close reason
    let (_, ms) = reason.rsplit_once(RETRY_HINT)?;
    ms.parse().ok()
    // EXERCISE_END(ch5-retry-hint)
}
// ANCHOR_END: retry_hint

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_hint_round_trips_through_a_close_reason() {
        let reason = with_retry_hint("server shutting down", 2_300);
        assert_eq!(reason, "server shutting down retry-after-ms=2300");
        assert_eq!(retry_hint(&reason), Some(2_300));
        assert_eq!(retry_hint("slow consumer"), None);
        assert_eq!(retry_hint("x retry-after-ms=soon"), None);
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        let err = |ms| {
            RetryAdvice::fixed(ms)
                .on_error(ApiError::new(
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    "x",
                    "y",
                ))
                .headers
        };
        assert_eq!(err(2_001)[0].1, "3");
        assert_eq!(err(0)[0].1, "1");
    }

    #[test]
    fn drawn_advice_is_asked_every_time() {
        let n = std::sync::atomic::AtomicU64::new(0);
        let n = Arc::new(n);
        let counter = n.clone();
        let advice = RetryAdvice::from_fn(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) * 100
        });
        assert_eq!((advice.next_ms(), advice.next_ms()), (0, 100));
    }
}
