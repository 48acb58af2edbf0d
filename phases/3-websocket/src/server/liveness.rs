//! Liveness: when each connection last heard from its peer, for whoever decides a peer is
//! dead.
//!
//! # Why TCP does not tell you
//!
//! A peer that closes its socket sends FIN, and our read returns end-of-stream. A peer
//! that *vanishes* — a laptop closing its lid, a phone leaving Wi-Fi, a NAT forgetting the
//! mapping, a cable pulled — sends nothing at all. The connection is then *half-open*: our
//! side still believes in it, reads wait forever, and writes succeed (into our kernel's
//! send buffer) for as long as it has room. Only a peer that is asked something and
//! cannot answer gives itself away. RFC 6455 §5.5.2 provides the question: a Ping, which
//! the peer "MUST" answer with a Pong.
//!
//! # The seam
//!
//! Phase 3 records the evidence; a later phase (phase 5's heartbeat) asks the questions
//! and draws the conclusions. Each registered connection carries a [`Liveness`]: when it
//! opened and when its peer last sent *anything* — a Pong, a message, a Ping of its own.
//! Any frame is proof of life, so a busy client is never pinged to death, and a pong is
//! just one more frame. The connection's loop stamps it on every read (one relaxed atomic
//! store; the reading task is its only writer), and
//! [`ConnectionRegistry::for_each_open`](crate::server::registry::ConnectionRegistry::for_each_open)
//! lets one task walk every open connection and, for each, read its liveness, send it a
//! heartbeat, or close it. No timer, no task and no allocation per connection.
//!
//! # The clock
//!
//! Times are whole milliseconds since the registry was created ([`RegistryClock`]):
//! a `u64` fits in an atomic where an `Instant` does not, and millisecond resolution is far
//! finer than any deadline worth having. The clock is tokio's, so a test can pause it.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

/// Milliseconds since the registry was created, on tokio's clock.
#[derive(Debug, Clone, Copy)]
pub struct RegistryClock {
    epoch: Instant,
}

impl RegistryClock {
    /// A clock starting now.
    pub fn start() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }

    /// Milliseconds since the clock started.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

// ANCHOR: liveness
/// One connection's evidence of life, on the [`RegistryClock`].
#[derive(Debug)]
pub struct Liveness {
    /// When the connection was registered (just before its 101).
    opened_ms: u64,
    /// When its peer last sent anything; `opened_ms` until it does.
    last_heard_ms: AtomicU64,
}

impl Liveness {
    /// A connection opened at `now_ms`, heard from at that instant (its handshake).
    pub fn new(now_ms: u64) -> Self {
        Self {
            opened_ms: now_ms,
            last_heard_ms: AtomicU64::new(now_ms),
        }
    }

    /// When the connection opened.
    pub fn opened_ms(&self) -> u64 {
        self.opened_ms
    }

    /// When its peer last sent anything.
    pub fn last_heard_ms(&self) -> u64 {
        // Relaxed: a stamp read a moment late only delays a verdict by one tick.
        self.last_heard_ms.load(Ordering::Relaxed)
    }

    /// Its peer sent something at `now_ms`. Called by the connection's task only.
    pub fn heard(&self, now_ms: u64) {
        self.last_heard_ms.store(now_ms, Ordering::Relaxed);
    }
}
// ANCHOR_END: liveness

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_clock_counts_milliseconds_and_a_stamp_moves_last_heard() {
        let clock = RegistryClock::start();
        let liveness = Liveness::new(clock.now_ms());
        assert_eq!(liveness.last_heard_ms(), 0);
        tokio::time::advance(std::time::Duration::from_millis(1_500)).await;
        assert_eq!(clock.now_ms(), 1_500);
        liveness.heard(clock.now_ms());
        assert_eq!(liveness.last_heard_ms(), 1_500);
        assert_eq!(liveness.opened_ms(), 0);
    }
}
