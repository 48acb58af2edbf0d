//! The WebSocket transport seam: what serves a connection once the handshake is done.
//!
//! Everything above a connection — the hub, the board protocol, phase 4's notes, phase 5's
//! heartbeat and shutdown — needs very little from it: send this client a message, close
//! it with a code and a reason, tell me of every message it sends and of its end. That
//! is the seam. Below it, a [`WsTransport`] owns the socket and speaks RFC 6455 its own
//! way: phase 3's hand-rolled connection ([`HandRolled`](crate::server::connection::HandRolled)),
//! or a library (phase 6 puts tokio-tungstenite beside it). The handshake stays ours
//! ([`crate::server::handshake`]) whichever transport serves the connection, so origins,
//! subprotocols, the connection limit and the JSON refusals are the same for both.
//!
//! # Why here, and why only now
//!
//! A seam is worth cutting once its two sides are known. Had phase 3 started with
//! "a transport" it would have guessed what the hub and the board needed, and guessed
//! wrong twice: the fast paths that measured well (broadcasts encoded once per room as
//! complete frames and written with one `writev`, direct sends behind one atomic flag, a
//! heartbeat that is a slot rather than a queue) did not exist yet, and a generic
//! "send a message" API would have cost a copy or an allocation per delivery that the
//! benchmarks later removed. Cut now, the seam follows the measured design instead of
//! constraining it: messages ([`Outgoing`](crate::server::outgoing::Outgoing)) for what one client is sent, and — the one
//! exception — broadcasts still encoded once per room, in the framing the transport asks
//! for ([`BroadcastFraming`]).
//!
//! # What a transport must do
//!
//! Phase 3 checks the handshake, takes the connection's slot in the registry and builds
//! its [`Session`]; then it calls [`WsTransport::spawn`] with an [`AcceptedConnection`].
//! The transport's task must:
//!
//! 1. **Await the upgrade** ([`upgraded`]) and build a
//!    [`SessionContext::new`](crate::server::session::SessionContext::new) with the
//!    registration's id and its own [`WsTransport::broadcast_framing`].
//! 2. **Call [`Session::on_open`]** once, before reading anything.
//! 3. **Hand whole messages to the session**: `on_text` with validated UTF-8, `on_binary`;
//!    answer Pings with Pongs; count each with [`WsStats::message_in`]. Stop handing
//!    messages over once [`SessionContext::close_requested`](crate::server::session::SessionContext::close_requested).
//! 4. **Record liveness on any byte** from the peer ([`Registration::heard_from_peer`]): a
//!    Pong, a message, anything. Phase 5's heartbeat closes connections that stay silent.
//! 5. **Write replies after each batch** of messages, before waiting again
//!    ([`SessionContext::take_replies`](crate::server::session::SessionContext::take_replies)),
//!    in order, and frame each [`Outgoing`](crate::server::outgoing::Outgoing) as its
//!    opcode says.
//! 6. **Drain direct sends and take close requests**: wait on
//!    [`DirectSends::poll_pending`](crate::server::registry::DirectSends::poll_pending)
//!    and call [`DirectSends::take`](crate::server::registry::DirectSends::take) — other
//!    tasks' answers, the heartbeat, shutdown's 1001. A close request taken there goes to
//!    the context with [`SessionContext::close`](crate::server::session::SessionContext::close).
//! 7. **Wait on the feeds**: [`next_from_feeds`](crate::server::feeds::next_from_feeds)
//!    over [`SessionContext::feeds`](crate::server::session::SessionContext::feeds) (the
//!    set changes as the session follows and leaves boards) and write each batch as the
//!    framing delivers it.
//! 8. **Cut slow consumers with 1013**: a feed closed by the hub becomes the Close
//!    [`close_request_for`](crate::server::feeds::close_request_for) makes — and a write
//!    blocked on a client that does not read must not hide the cut
//!    ([`cut`](crate::server::feeds::cut)); a write past
//!    [`ConnectionOptions::send_timeout`] drops the connection.
//! 9. **Close with the requested code and reason**
//!    ([`SessionContext::take_close_request`](crate::server::session::SessionContext::take_close_request)),
//!    after the replies, leaving every board first
//!    ([`SessionContext::leave_all_boards`](crate::server::session::SessionContext::leave_all_boards));
//!    wait at most [`ConnectionOptions::close_timeout`] for the peer's Close.
//! 10. **Enforce [`ConnectionOptions::limits`]** on what the peer sends (1009 past them),
//!     **count** what it reads and writes ([`WsStats`]), and **drop the
//!     [`Registration`]** when the connection is over: that frees its slot.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use phase_1_foundations::memory_release::CountedStream;
use phase_2_sse::retry::RetryAdvice;
use tokio_util::task::TaskTracker;

use crate::{
    rfc6455::limits::Limits, server::outgoing::BroadcastFraming, server::registry::Registration,
    server::session::Session, server::stats::WsStats,
};

// ANCHOR: ws_transport
/// What serves WebSocket connections after our handshake. Object-safe: routes hold an
/// `Arc<dyn WsTransport>` ([`crate::WsState`]), so a later phase swaps it without a type
/// parameter travelling through every route. See the module docs for what a transport
/// must do.
pub trait WsTransport: Send + Sync + 'static {
    /// A short name for logs and counters: `"hand-rolled"`, `"tungstenite"`.
    fn name(&self) -> &'static str;

    /// How the hub should encode broadcasts for this transport's connections.
    fn broadcast_framing(&self) -> BroadcastFraming;

    /// Spawns, on `tasks`, the task that serves `connection`: it awaits `upgrade` (hyper
    /// resolves it once the 101 is written) and runs until the connection is over.
    ///
    /// The transport spawns the task itself, rather than returning a boxed future for
    /// the caller to spawn: the future stays a concrete type inside the one allocation
    /// the task is anyway, and an idle connection does not pay for a second one.
    fn spawn(&self, tasks: &TaskTracker, upgrade: OnUpgrade, connection: AcceptedConnection);
}
// ANCHOR_END: ws_transport

/// One connection phase 3 accepted (its handshake passed, its slot is taken), for a
/// transport to serve.
pub struct AcceptedConnection {
    /// The application: the board protocol on `/ws`, an echo on `/ws/echo`.
    pub session: Box<dyn Session>,
    /// The connection's slot: its id, direct sends, close requests and liveness.
    /// Dropping it frees the slot.
    pub registration: Registration,
    /// The counters `/ws/stats` serves, shared by every connection.
    pub stats: Arc<WsStats>,
    /// Limits and deadlines.
    pub options: ConnectionOptions,
}

/// How a connection behaves; built from [`crate::WsConfig`].
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    /// Frame and message size limits for what the peer sends.
    pub limits: Limits,
    /// How long we wait for the peer's Close after sending ours, and for the peer's FIN
    /// after sending ours.
    pub close_timeout: Duration,
    /// How long one write may take before the peer is declared dead.
    pub send_timeout: Duration,
    /// When a client closed with "try again later" should come back (the hint in the
    /// reason of a 1013).
    pub retry: RetryAdvice,
}

/// The upgraded connection, once hyper has written the 101; `None` (logged) if the client
/// left first.
pub async fn upgraded(upgrade: OnUpgrade, connection_id: u64) -> Option<Upgraded> {
    match upgrade.await {
        Ok(upgraded) => Some(upgraded),
        Err(e) => {
            tracing::debug!(connection = connection_id, error = %e, "upgrade did not complete");
            None
        }
    }
}

// ANCHOR: upgraded_socket
/// What a transport serves a connection on: the socket itself when hyper gives it back,
/// or hyper's wrapper.
pub enum UpgradedSocket {
    /// Phase 1's TCP stream (a `CountedStream`: the socket that holds its place in the
    /// open-socket count) and the bytes hyper read past the upgrade request — a client may
    /// send its first frame without waiting for the 101: they start the WebSocket stream.
    Bare(CountedStream, Bytes),
    /// hyper's `Upgraded` (a trait object around a buffer around the socket): for a
    /// server that is not phase 1's plain TCP. Counted in `/ws/stats` as `wrapped`.
    Wrapped(TokioIo<Upgraded>),
}

impl UpgradedSocket {
    /// Takes the bare socket out of `upgraded` when it can (`Upgraded::downcast`): then
    /// each read and write is one call, not three layers of them. The type must be exactly
    /// what phase 1 gave hyper, or this silently falls back — which `stats` counts.
    pub fn from(upgraded: Upgraded, stats: &WsStats) -> Self {
        match upgraded.downcast::<TokioIo<CountedStream>>() {
            Ok(parts) => UpgradedSocket::Bare(parts.io.into_inner(), parts.read_buf),
            Err(upgraded) => {
                stats.served_wrapped();
                UpgradedSocket::Wrapped(TokioIo::new(upgraded))
            }
        }
    }
}
// ANCHOR_END: upgraded_socket
