//! The server's heartbeat: every WebSocket is pinged at an interval, and one that shows no
//! sign of life within a deadline is closed — so a peer that vanished (a laptop lid, a
//! lost Wi-Fi, a NAT that forgot the mapping) leaves presence in bounded time instead of
//! haunting the board until the kernel gives up on it, minutes later.
//!
//! # Two levels
//!
//! * **RFC 6455 Ping.** §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a
//!   Pong frame in response". Every browser does, by itself. Its Pong (or any other frame)
//!   is what the server waits for: phase 3 stamps each connection's
//!   [`Liveness`](phase_3_websocket::server::liveness::Liveness) on every read.
//! * **The `heartbeat` message** ([`crate::protocol`]), sent with each Ping. A page never
//!   sees a Ping, so without it a quiet board and a dead link look the same to the client.
//!   The page treats any message as proof of life and gives up after `deadlineMs` of
//!   silence — the same deadline, in the other direction.
//!
//! # One task, not ten thousand timers
//!
//! The obvious build gives every connection a `tokio::time::interval`: 10,000 timers in
//! the timer wheel, 10,000 futures polled, a bigger task per connection, idle or not. Here
//! **one task per server** wakes every `interval / 8` (a *tick*) and walks the registry
//! ([`ConnectionRegistry::for_each_open`]): a connection whose ping time fell in the
//! elapsed tick gets one (encoded once per tick, shared by reference count), and one
//! silent for longer than the deadline gets a Close. A connection holds no timer, and its
//! schedule is not stored anywhere: it is computed from its id and when it opened
//! ([`Schedule`]).
//!
//! # Spread, not synchronized
//!
//! After a restart every client reconnects within a second or two. Were the first ping
//! exactly one interval after connect, the whole herd would be pinged — and would answer —
//! in the same second, every interval, forever. So the first ping lands at a pseudo-random
//! point in `[interval/2, interval)` after the connection opened (drawn from its id and a
//! per-server seed), and the next ones every interval after that: the phases stay spread.
//!
//! # The verdict
//!
//! A connection silent for longer than the deadline is closed with **1001 (going away)**
//! and the reason `no heartbeat for N ms`: the server is going away *from this link*,
//! which is what 1001 says, and its verdict — reconnect, with backoff — is the right one
//! for a client that was merely asleep. The peer will usually not read it (it is gone);
//! the point is that our side lets go: the connection leaves its boards' presence and
//! frees its slot. Resolution is one tick: a dead peer is closed between `deadline` and
//! `deadline + interval/8` after its last word.

use std::{
    sync::{Arc, Weak},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use phase_3_websocket::{
    server::{outgoing::Outgoing, registry::CloseRequest},
    CloseCode, ConnectionRegistry,
};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::protocol::{HardeningServerEvent, Heartbeat, HeartbeatPolicy};

/// How many ticks per interval: the resolution of both ping times and the deadline.
pub const TICKS_PER_INTERVAL: u64 = 8;

// ANCHOR: schedule
/// When each connection is pinged and when it is dead: pure functions of its id, when it
/// opened, when it was last heard from, and now (milliseconds on the registry's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time between two pings of one connection.
    pub interval_ms: u64,
    /// Silence after which a connection is dead.
    pub deadline_ms: u64,
    /// Mixed into every connection's phase, so two servers do not share one.
    pub seed: u64,
}

impl Schedule {
    /// The schedule of `policy`, with a random seed.
    pub fn new(policy: HeartbeatPolicy) -> Self {
        Self {
            interval_ms: policy.interval_ms.max(1),
            deadline_ms: policy.deadline_ms.max(1),
            seed: fastrand::u64(..),
        }
    }

    /// How often the shared task wakes: an eighth of the interval (at least 1 ms).
    pub fn tick(&self) -> Duration {
        Duration::from_millis((self.interval_ms / TICKS_PER_INTERVAL).max(1))
    }

    /// How long after it opened connection `id` gets its first ping: a point in
    /// `[interval/2, interval)` that depends only on the id and the seed.
    pub fn first_ping_after_ms(&self, id: u64) -> u64 {
        let half = self.interval_ms / 2;
        let spread = (self.interval_ms - half).max(1);
        half + splitmix64(id ^ self.seed) % spread
    }

    /// Whether a ping of connection `id`, opened at `opened_ms`, falls in the tick
    /// `(after_ms, up_to_ms]`. Ticks tile time, so each ping falls in exactly one of them,
    /// however late a tick runs.
    pub fn ping_due(&self, id: u64, opened_ms: u64, after_ms: u64, up_to_ms: u64) -> bool {
        // EXERCISE(ch5-ping-due): is one of this connection's pings in this tick?
        let first = opened_ms.saturating_add(self.first_ping_after_ms(id));
        if up_to_ms < first {
            return false;
        }
        // The latest ping time at or before `up_to_ms`.
        let latest = first + (up_to_ms - first) / self.interval_ms * self.interval_ms;
        latest > after_ms
        // EXERCISE_END(ch5-ping-due)
    }

    /// Whether a connection last heard from at `last_heard_ms` is dead at `now_ms`.
    pub fn is_dead(&self, last_heard_ms: u64, now_ms: u64) -> bool {
        // EXERCISE(ch5-dead-peer): is a connection silent past the deadline?
        now_ms.saturating_sub(last_heard_ms) > self.deadline_ms
        // EXERCISE_END(ch5-dead-peer)
    }
}
// ANCHOR_END: schedule

/// SplitMix64's finalizer: a cheap, well-mixed hash from one `u64` to another, so that
/// consecutive ids get unrelated phases.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The Close a silent connection gets: 1001 and how long it was silent.
pub fn dead_peer_close(silent_ms: u64) -> CloseRequest {
    CloseRequest {
        code: CloseCode::GoingAway.code(),
        reason: format!("no heartbeat for {silent_ms} ms"),
    }
}

/// A `heartbeat` message and a Ping, made once for every connection due this tick (each
/// connection's transport frames them).
fn heartbeat_messages() -> Arc<[Outgoing]> {
    let server_time_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let json = HardeningServerEvent::Heartbeat(Heartbeat { server_time_ms }).to_json();
    Arc::from([Outgoing::text(json), Outgoing::Ping(Bytes::new())])
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickOutcome {
    /// Connections sent a Ping and a `heartbeat`.
    pub pinged: usize,
    /// Connections asked to close for silence.
    pub closed: usize,
}

// ANCHOR: tick
/// One tick over `(after_ms, now_ms]`: pings the connections whose turn came, closes the
/// silent ones. A connection that is dead is not pinged.
pub fn tick(
    registry: &ConnectionRegistry,
    schedule: &Schedule,
    after_ms: u64,
    now_ms: u64,
) -> TickOutcome {
    let mut outcome = TickOutcome::default();
    let mut messages: Option<Arc<[Outgoing]>> = None;
    registry.for_each_open(|conn| {
        let liveness = conn.liveness();
        let last_heard = liveness.last_heard_ms();
        if schedule.is_dead(last_heard, now_ms) {
            conn.close(dead_peer_close(now_ms - last_heard));
            outcome.closed += 1;
        } else if schedule.ping_due(conn.id(), liveness.opened_ms(), after_ms, now_ms) {
            // Made for the first connection due, shared (by reference count) by the rest.
            let messages = messages.get_or_insert_with(heartbeat_messages);
            conn.send_heartbeat(messages.clone());
            outcome.pinged += 1;
        }
    });
    outcome
}
// ANCHOR_END: tick

// ANCHOR: run
/// The heartbeat task: ticks until `stop` is cancelled or the registry is gone.
pub async fn run(registry: Weak<ConnectionRegistry>, schedule: Schedule, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(schedule.tick());
    // A tick that runs late covers the time since the last one; no burst to catch up.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut after_ms = match registry.upgrade() {
        Some(registry) => registry.now_ms(),
        None => return,
    };
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let Some(registry) = registry.upgrade() else {
            return;
        };
        let now_ms = registry.now_ms();
        let outcome = tick(&registry, &schedule, after_ms, now_ms);
        if outcome.closed > 0 {
            tracing::info!(
                closed = outcome.closed,
                "closing websockets that missed their heartbeat deadline"
            );
        }
        after_ms = now_ms;
    }
}

/// Starts the heartbeat task for `registry`; cancelling `stop` ends it.
pub fn spawn(registry: &Arc<ConnectionRegistry>, policy: HeartbeatPolicy, stop: CancellationToken) {
    tokio::spawn(run(Arc::downgrade(registry), Schedule::new(policy), stop));
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            interval_ms: 1_000,
            deadline_ms: 2_500,
            seed: 42,
        }
    }

    #[test]
    fn first_pings_fall_in_the_second_half_of_the_first_interval_and_are_spread() {
        let s = schedule();
        let offsets: Vec<u64> = (1..=1_000).map(|id| s.first_ping_after_ms(id)).collect();
        assert!(
            offsets.iter().all(|o| (500..1_000).contains(o)),
            "{offsets:?}"
        );
        // Spread across the whole window: every tenth of it is used by someone.
        for tenth in 0..10 {
            let lo = 500 + tenth * 50;
            assert!(
                offsets.iter().any(|o| (lo..lo + 50).contains(o)),
                "nobody in {lo}.."
            );
        }
        // Another seed, other phases.
        let other = Schedule { seed: 7, ..s };
        assert_ne!(s.first_ping_after_ms(1), other.first_ping_after_ms(1));
    }

    #[test]
    fn a_connection_is_due_once_per_interval_in_whichever_tick_holds_its_turn() {
        let s = schedule();
        let (id, opened) = (9, 10_000);
        let first = opened + s.first_ping_after_ms(id);
        // Walk time in ticks of 125 ms (then uneven ones, each under an interval, as late
        // ticks are): every ping is due in exactly one tick.
        let mut bounds: Vec<u64> = (0..40).map(|i| opened + i * 125).collect();
        bounds.extend([5_000, 5_001, 5_700, 6_500, 7_300, 7_777].map(|t| opened + t));
        let due: Vec<u64> = bounds
            .windows(2)
            .filter(|w| s.ping_due(id, opened, w[0], w[1]))
            .map(|w| w[1])
            .collect();
        let expected_pings = (first..opened + 7_777).step_by(1_000).count();
        assert_eq!(due.len(), expected_pings, "{due:?}");
        assert!(
            !s.ping_due(id, opened, opened, first - 1),
            "not before its first turn"
        );
        assert!(s.ping_due(id, opened, first - 1, first));
        assert!(!s.ping_due(id, opened, first, first + 999));
        assert!(s.ping_due(id, opened, first + 999, first + 1_000));
    }

    #[test]
    fn a_connection_is_dead_only_after_more_than_the_deadline_of_silence() {
        let s = schedule();
        assert!(!s.is_dead(1_000, 1_000));
        assert!(
            !s.is_dead(1_000, 3_500),
            "exactly the deadline is still alive"
        );
        assert!(s.is_dead(1_000, 3_501));
        assert!(
            !s.is_dead(5_000, 4_000),
            "a stamp newer than the tick is alive"
        );
    }

    #[test]
    fn the_close_for_a_dead_peer_is_1001_with_the_silence_in_its_reason() {
        let close = dead_peer_close(612);
        assert_eq!(close.code, 1001);
        assert_eq!(close.reason, "no heartbeat for 612 ms");
        assert_eq!(
            CloseCode::GoingAway.verdict(),
            phase_3_websocket::ReconnectVerdict::Reconnect
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_task_pings_every_connection_once_per_interval_and_closes_the_silent() {
        let registry = ConnectionRegistry::new(100, Arc::default());
        let conns: Vec<_> = (0..20).map(|_| registry.register().unwrap()).collect();
        let policy = HeartbeatPolicy {
            interval_ms: 1_000,
            deadline_ms: 2_500,
        };
        let stop = CancellationToken::new();
        spawn(&registry, policy, stop.clone());
        // One connection answers (is heard) every 100 ms; the others stay silent.
        let mut first_ping_at = vec![None; conns.len()];
        for step in 1..=20u64 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            conns[0].heard_from_peer();
            for (i, conn) in conns.iter().enumerate() {
                let mut out = Vec::new();
                let close = conn.direct_sends().take(|m| out.push(m));
                if !out.is_empty() && first_ping_at[i].is_none() {
                    first_ping_at[i] = Some(step * 100);
                }
                assert!(close.is_none(), "nobody is dead within 2 s");
            }
        }
        let firsts: Vec<u64> = first_ping_at
            .iter()
            .map(|t| t.expect("every connection pinged"))
            .collect();
        assert!(
            firsts.iter().all(|t| (500..=1_100).contains(t)),
            "{firsts:?}"
        );
        let distinct: std::collections::BTreeSet<_> = firsts.iter().collect();
        assert!(
            distinct.len() > 1,
            "first pings spread, not synchronized: {firsts:?}"
        );
        // Past the deadline the silent ones are asked to close; the one that answers is not.
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        conns[0].heard_from_peer();
        let close = conns[0].direct_sends().take(drop);
        assert!(close.is_none(), "a connection that answers stays");
        for conn in &conns[1..] {
            let close = conn.direct_sends().take(drop);
            let close = close.expect("a silent connection is closed");
            assert_eq!(close.code, 1001);
            assert!(
                close.reason.starts_with("no heartbeat for "),
                "{}",
                close.reason
            );
        }
        stop.cancel();
    }
}
