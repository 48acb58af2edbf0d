//! A token bucket: how many note requests one connection may send, and how fast.
//!
//! The bucket holds up to `burst` tokens and refills at `per_sec` tokens a second; each
//! request takes one. A person clicking around never notices it (a burst of 40 covers a
//! reconnecting client replaying its pending ops); a script in a loop is held to the
//! refill rate. An empty bucket does not close the connection: the request is answered
//! `rate_limited` with the time until the next token, and the client retries then.
//!
//! Time is passed in, never read here, so tests step through it exactly.

use std::time::{Duration, Instant};

// ANCHOR: token_bucket
/// One connection's request budget.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    burst: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens, refilling at `per_sec` a second.
    pub fn new(per_sec: u32, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            burst,
            per_sec: f64::from(per_sec.max(1)),
            tokens: burst,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}
// ANCHOR_END: token_bucket

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_allows_a_burst_then_refuses_with_the_wait() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(20, 40, t0);
        for _ in 0..40 {
            assert!(b.take(t0).is_ok());
        }
        let wait = b.take(t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(50));
    }

    #[test]
    fn tokens_come_back_at_the_rate_and_never_above_the_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, 2, t0);
        assert!(b.take(t0).is_ok() && b.take(t0).is_ok());
        assert!(b.take(t0).is_err());
        assert!(b.take(t0 + Duration::from_millis(100)).is_ok());
        // A long idle time refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        assert!(b.take(later).is_ok() && b.take(later).is_ok());
        assert!(b.take(later).is_err());
    }
}
