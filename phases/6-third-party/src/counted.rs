//! [`Counted`]: a transport that counts the connections of the transport it wraps — a
//! decorator, which the seam makes a dozen lines.
//!
//! `/ws/transports` serves the counts, so the /phases/6 page (and a test) can see which
//! transport served a connection without trusting the client's word for it.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use bytes::Bytes;
use hyper::upgrade::OnUpgrade;
use phase_3_websocket::server::{
    outgoing::BroadcastFraming,
    session::{Session, SessionContext},
    transport::{AcceptedConnection, WsTransport},
};
use serde::Serialize;
use tokio_util::task::TaskTracker;

// ANCHOR: counted
/// `inner`, counting its connections: open now, and accepted since the start.
pub struct Counted {
    inner: Arc<dyn WsTransport>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    open: AtomicU64,
    accepted: AtomicU64,
}

impl Counted {
    /// Counts `inner`'s connections.
    pub fn new(inner: Arc<dyn WsTransport>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            counts: Arc::default(),
        })
    }

    /// The counts now.
    pub fn snapshot(&self) -> TransportCounts {
        TransportCounts {
            name: self.inner.name(),
            open: self.counts.open.load(Ordering::Relaxed),
            accepted: self.counts.accepted.load(Ordering::Relaxed),
        }
    }
}

impl WsTransport for Counted {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn broadcast_framing(&self) -> BroadcastFraming {
        self.inner.broadcast_framing()
    }

    fn spawn(&self, tasks: &TaskTracker, upgrade: OnUpgrade, mut connection: AcceptedConnection) {
        // EXERCISE(ch6-counting-decorator): count a connection for its whole life, then serve it with the inner transport
        self.counts.accepted.fetch_add(1, Ordering::Relaxed);
        self.counts.open.fetch_add(1, Ordering::Relaxed);
        // The session lives exactly as long as the connection's task: its guard is the
        // "open" count's decrement.
        connection.session = Box::new(CountedSession {
            inner: connection.session,
            _open: OpenGuard(self.counts.clone()),
        });
        self.inner.spawn(tasks, upgrade, connection);
        // EXERCISE_END(ch6-counting-decorator)
    }
}
// ANCHOR_END: counted

/// One transport's counts, as `/ws/transports` serves them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransportCounts {
    /// `hand-rolled` or `tungstenite`.
    pub name: &'static str,
    /// Connections open now.
    pub open: u64,
    /// Connections accepted since the server started.
    pub accepted: u64,
}

struct OpenGuard(Arc<Counts>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A session that carries the guard and hands everything to the real one.
struct CountedSession {
    inner: Box<dyn Session>,
    _open: OpenGuard,
}

impl Session for CountedSession {
    fn on_open(&mut self, cx: &mut SessionContext) {
        self.inner.on_open(cx);
    }

    fn on_text(&mut self, text: String, cx: &mut SessionContext) {
        self.inner.on_text(text, cx);
    }

    fn on_binary(&mut self, data: Bytes, cx: &mut SessionContext) {
        self.inner.on_binary(data, cx);
    }
}
