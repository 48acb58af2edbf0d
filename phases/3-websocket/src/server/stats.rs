//! Counters for WebSocket connections, served as JSON by `GET /ws/stats`.
//!
//! Plain atomics with `Relaxed` ordering: each counter is exact on its own, and a snapshot
//! of several is "about now" — enough for a dashboard, and free on the hot path (one
//! uncontended atomic add per batch, not per byte).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Live counters, shared by every connection as `Arc<WsStats>`.
#[derive(Debug, Default)]
pub struct WsStats {
    open: AtomicU64,
    opened: AtomicU64,
    refused: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    protocol_errors: AtomicU64,
    slow_consumers: AtomicU64,
    close_timeouts: AtomicU64,
    wrapped: AtomicU64,
}

/// A snapshot of [`WsStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WsStatsSnapshot {
    /// Connections open now.
    pub open: u64,
    /// Connections opened since start.
    pub opened: u64,
    /// Upgrades refused because the connection limit was reached (503).
    pub refused: u64,
    /// Data messages received (text and binary; control frames not counted).
    pub messages_in: u64,
    /// Frames written (data and control).
    pub messages_out: u64,
    /// Bytes read from sockets, frame headers included.
    pub bytes_in: u64,
    /// Bytes written to sockets, frame headers included.
    pub bytes_out: u64,
    /// Connections failed because the peer broke RFC 6455 (1002, 1007, 1009).
    pub protocol_errors: u64,
    /// Connections cut for lagging behind (1013) or for a write that never finished.
    pub slow_consumers: u64,
    /// Closing handshakes the peer did not complete within the close deadline.
    pub close_timeouts: u64,
    /// Connections served through hyper's upgrade wrapper because the socket could not be
    /// taken back from it: 0 on phase 1's own TCP. Anything else means every read and
    /// write of those connections goes through two more layers (see `connection::serve`).
    pub wrapped: u64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// The registry counts connections; a transport counts the rest, as it reads and writes.
impl WsStats {
    pub(crate) fn connection_opened(&self) {
        add(&self.open, 1);
        add(&self.opened, 1);
    }
    pub(crate) fn connection_closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
    pub(crate) fn refused(&self) {
        add(&self.refused, 1);
    }
    /// The transport read `bytes` from the socket (frame headers included).
    pub fn received(&self, bytes: usize) {
        add(&self.bytes_in, bytes as u64);
    }
    /// The transport handed one data message (text or binary) to the session.
    pub fn message_in(&self) {
        add(&self.messages_in, 1);
    }
    /// The transport wrote `frames` frames, `bytes` bytes in all.
    pub fn sent(&self, frames: usize, bytes: usize) {
        add(&self.messages_out, frames as u64);
        add(&self.bytes_out, bytes as u64);
    }
    /// The transport failed a connection whose peer broke RFC 6455.
    pub fn protocol_error(&self) {
        add(&self.protocol_errors, 1);
    }
    /// The transport cut a connection for lagging behind, or for a write past its deadline.
    pub fn slow_consumer(&self) {
        add(&self.slow_consumers, 1);
    }
    /// The peer did not complete the closing handshake within the close deadline.
    pub fn close_timeout(&self) {
        add(&self.close_timeouts, 1);
    }
    /// The transport serves a connection through hyper's upgrade wrapper (see
    /// [`WsStatsSnapshot::wrapped`]).
    pub fn served_wrapped(&self) {
        add(&self.wrapped, 1);
    }

    /// The counters, now.
    pub fn snapshot(&self) -> WsStatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WsStatsSnapshot {
            open: get(&self.open),
            opened: get(&self.opened),
            refused: get(&self.refused),
            messages_in: get(&self.messages_in),
            messages_out: get(&self.messages_out),
            bytes_in: get(&self.bytes_in),
            bytes_out: get(&self.bytes_out),
            protocol_errors: get(&self.protocol_errors),
            slow_consumers: get(&self.slow_consumers),
            close_timeouts: get(&self.close_timeouts),
            wrapped: get(&self.wrapped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reflects_what_was_counted() {
        let s = WsStats::default();
        s.connection_opened();
        s.connection_opened();
        s.connection_closed();
        s.sent(3, 30);
        let snap = s.snapshot();
        assert_eq!((snap.open, snap.opened), (1, 2));
        assert_eq!((snap.messages_out, snap.bytes_out), (3, 30));
    }
}
