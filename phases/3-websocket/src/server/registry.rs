//! The connection registry: every open WebSocket by id, for what the hub cannot do.
//!
//! Rooms and fan-out are the hub's job ([`phase_2_sse::hub`]): a WebSocket joins a board
//! exactly as an SSE stream does, and a broadcast reaches both through the same code.
//! What is WebSocket-specific — and lives here — is:
//!
//! * **the connection limit**: [`ConnectionRegistry::register`] is called *before* the
//!   101, so a full server answers `503 too_many_websockets` (JSON; the route adds `Retry-After`)
//!   instead of accepting a socket it cannot serve;
//! * **direct sends** to one connection ([`ConnectionRegistry::send_text`]), e.g. a reply
//!   from another part of the server: [`Outgoing`] messages, framed by the connection's
//!   transport, through a small bounded queue: a connection that lets
//!   it fill is not reading, and is closed as a slow consumer rather than buffered for;
//! * **closing** one or every connection ([`ConnectionRegistry::close_all`] on shutdown:
//!   1001, with a reason the caller draws *per connection* — phase 5 puts a different
//!   retry hint in each — and in batches, so that 10,000 requests do not hold a runtime
//!   thread). A close request is a value that replaces the previous one, not a queued
//!   message, so it can never be refused for lack of room.
//! * **liveness** ([`crate::server::liveness`]): when each connection last heard from its
//!   peer, and a walk over every open connection
//!   ([`ConnectionRegistry::for_each_open`]) that lets one shared task ping them all and
//!   close the silent ones. A heartbeat, like a close request, is a slot that a newer one
//!   replaces: a peer that does not read never piles them up.
//!
//! # One container, one wake-up
//!
//! The obvious build is one channel per purpose: an `mpsc` for direct messages and a
//! `watch` for the close request. It works, and it is what this module first did; it
//! costs every connection two allocations up front (tokio's `mpsc` allocates its first
//! block of 32 slots, ~1 KiB, before anything is sent; the `watch` carries eight
//! `Notify`s), and it gives the connection loop two more futures to poll on *every*
//! wake-up — including the 10,000 wake-ups of a fan-out to 10,000 subscribers, none of
//! which has anything to do with direct frames or closing.
//!
//! Both are rare, so they share one [`DirectSends`]: a lock around a `VecDeque` (which
//! allocates nothing until the first direct message) and the close request, plus an atomic
//! "something pending" flag and one waker. A sender fills it, sets the flag and wakes the
//! connection. The connection reads the flag — one atomic load — and takes the lock only
//! when it is set, so a wake-up for a hub batch pays one load for direct sends, not a
//! channel poll and a re-created `watch::changed()`.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
    task::{Context, Poll},
};

use futures_util::task::AtomicWaker;
use http::StatusCode;
use phase_1_foundations::ApiError;

use crate::{
    rfc6455::close::CloseCode,
    server::liveness::{Liveness, RegistryClock},
    server::outgoing::Outgoing,
    server::stats::WsStats,
};

/// Connections [`ConnectionRegistry::close_all`] asks to close before it yields to the
/// runtime. Each request wakes a connection task; a thousand at a time lets those tasks
/// (and everything else) run between batches instead of after all 10,000.
pub const CLOSE_BATCH: usize = 1_000;

/// Messages a connection's [`DirectSends`] holds before the connection counts as not
/// reading. Default 64. Direct sends are replies, not broadcasts (those go through the
/// hub's byte-bounded queues), so a handful is plenty; more only delays the verdict.
pub const DIRECT_SENDS_MAX_FRAMES: usize = 64;

/// A request to close a connection: the code and reason to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRequest {
    /// The status code (use sendable ones, see [`CloseCode::is_sendable`]).
    pub code: u16,
    /// The reason (cut to fit 123 bytes when sent).
    pub reason: String,
}

impl CloseRequest {
    /// A request with a code from the table and its standard reason.
    pub fn from_code(code: CloseCode) -> Self {
        Self {
            code: code.code(),
            reason: code.reason().to_owned(),
        }
    }
}

// ANCHOR: direct_sends
/// What the rest of the server sends one connection: messages for this client only (phase
/// 4's answers, made on its writer thread), the latest heartbeat, and a request to close
/// (shutdown's 1001).
///
/// Written by any task through the [`ConnectionRegistry`]; read by the connection's task
/// (one consumer). Bounded: at most [`DIRECT_SENDS_MAX_FRAMES`] messages, past which the
/// connection is asked to close as a slow consumer (1013); the close request is one slot
/// that a newer request replaces. Shared (`Arc`) by the registry's entry and the
/// connection's [`Registration`].
pub struct DirectSends {
    state: Mutex<DirectState>,
    /// Set (after the state changed) by every sender; cleared by the connection before it
    /// looks. Lets a wake-up for anything else skip the lock with one atomic load.
    pending: AtomicBool,
    /// The connection's task, woken when something is sent. One consumer, so one waker.
    waker: AtomicWaker,
    /// When the connection opened and last heard from its peer.
    liveness: Liveness,
}

#[derive(Default)]
struct DirectState {
    /// `VecDeque::new` allocates nothing: a connection that never gets a direct message
    /// (almost all of them) never pays for a buffer.
    direct: VecDeque<Outgoing>,
    close: Option<CloseRequest>,
    /// The latest heartbeat's messages, replacing one not yet sent. A slot, not a queue
    /// entry, and shared by every connection pinged in the same tick: a heartbeat adds no
    /// allocation to an idle connection.
    heartbeat: Option<Arc<[Outgoing]>>,
}

/// Why [`DirectSends::push_direct`] refused a message.
struct Full;

impl DirectSends {
    fn new(liveness: Liveness) -> Self {
        Self {
            state: Mutex::default(),
            pending: AtomicBool::new(false),
            waker: AtomicWaker::new(),
            liveness,
        }
    }

    fn lock(&self) -> MutexGuard<'_, DirectState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Flags something pending and wakes the connection. Called after the state was updated and
    /// its lock released, so the woken connection finds it.
    fn notify(&self) {
        self.pending.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Queues a direct message, or refuses it (and asks for a 1013 close) when the queue
    /// already holds [`DIRECT_SENDS_MAX_FRAMES`].
    fn push_direct(&self, message: Outgoing) -> Result<(), Full> {
        let mut state = self.lock();
        let result = if state.direct.len() >= DIRECT_SENDS_MAX_FRAMES {
            state.close = Some(CloseRequest {
                code: CloseCode::TryAgainLater.code(),
                reason: "slow consumer: direct messages not read".into(),
            });
            Err(Full)
        } else {
            state.direct.push_back(message);
            Ok(())
        };
        drop(state);
        self.notify();
        result
    }

    /// Asks for a close. A later request replaces an earlier one not yet taken (the
    /// newest verdict, e.g. shutdown's 1001, is the one worth sending).
    fn request_close(&self, request: CloseRequest) {
        self.lock().close = Some(request);
        self.notify();
    }

    /// Sets the heartbeat slot to `messages`, replacing a heartbeat not yet taken.
    fn set_heartbeat(&self, messages: Arc<[Outgoing]>) {
        self.lock().heartbeat = Some(messages);
        self.notify();
    }

    /// Resolves when something was sent (at once if something is already flagged).
    pub fn poll_pending(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.pending.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // Checked again after registering: something flagged in between would otherwise wake
        // a waker that was not yet there.
        if self.pending.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Hands every direct message, then the heartbeat's, to `deliver` in order, and takes
    /// the close request, if any. With nothing flagged this is one atomic operation.
    ///
    /// `deliver` runs under this connection's lock (senders wait on it): frame the message
    /// or push it to a buffer, do not wait for a socket.
    pub fn take(&self, mut deliver: impl FnMut(Outgoing)) -> Option<CloseRequest> {
        if !self.pending.swap(false, Ordering::Acquire) {
            return None;
        }
        let mut state = self.lock();
        // Taken, not drained: a drained `VecDeque` keeps its buffer, and a connection that
        // got one direct message would hold room for several for the rest of its life.
        std::mem::take(&mut state.direct)
            .into_iter()
            .for_each(&mut deliver);
        if let Some(heartbeat) = state.heartbeat.take() {
            heartbeat.iter().cloned().for_each(deliver);
        }
        state.close.take()
    }

    /// When the connection opened and last heard from its peer.
    pub fn liveness(&self) -> &Liveness {
        &self.liveness
    }
}
// ANCHOR_END: direct_sends

/// Why a direct send failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// No open connection has this id.
    NoSuchConnection,
    /// Its direct queue was full: the connection is being closed as a slow consumer.
    SlowConsumer,
}

/// Open WebSockets by id. Share it as `Arc<ConnectionRegistry>`.
pub struct ConnectionRegistry {
    max: usize,
    next_id: AtomicU64,
    entries: Mutex<HashMap<u64, Arc<DirectSends>>>,
    stats: Arc<WsStats>,
    clock: RegistryClock,
}

/// One connection's place in the registry; dropping it unregisters the connection.
pub struct Registration {
    id: u64,
    registry: Arc<ConnectionRegistry>,
    direct: Arc<DirectSends>,
}

impl Registration {
    /// The connection's id, unique for the life of the process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Direct messages, the heartbeat and close requests for this connection.
    pub fn direct_sends(&self) -> &DirectSends {
        &self.direct
    }

    /// The peer sent something just now (any frame: a pong, a message...).
    pub fn heard_from_peer(&self) {
        self.direct.liveness.heard(self.registry.clock.now_ms());
    }
}

// ANCHOR: open_connection
/// One open connection, as [`ConnectionRegistry::for_each_open`] shows it: its liveness,
/// and what may be done to it from outside.
pub struct OpenConnection<'a> {
    id: u64,
    direct: &'a DirectSends,
}

impl OpenConnection<'_> {
    /// The connection's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// When it opened and last heard from its peer.
    pub fn liveness(&self) -> &Liveness {
        &self.direct.liveness
    }

    /// Sends it `messages` (a text message and a Ping, say; shared by every connection
    /// pinged at once) as its heartbeat, replacing a heartbeat it has not written yet.
    pub fn send_heartbeat(&self, messages: Arc<[Outgoing]>) {
        self.direct.set_heartbeat(messages);
    }

    /// Asks it to close with `request`.
    pub fn close(&self, request: CloseRequest) {
        self.direct.request_close(request);
    }
}
// ANCHOR_END: open_connection

impl Drop for Registration {
    fn drop(&mut self) {
        if self.registry.lock().remove(&self.id).is_some() {
            self.registry.stats.connection_closed();
        }
    }
}

impl ConnectionRegistry {
    /// A registry admitting at most `max` connections.
    pub fn new(max: usize, stats: Arc<WsStats>) -> Arc<Self> {
        Arc::new(Self {
            max,
            next_id: AtomicU64::new(1),
            entries: Mutex::new(HashMap::new()),
            stats,
            clock: RegistryClock::start(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<DirectSends>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ANCHOR: register
    /// Takes a slot for a new connection, or refuses with `503` when all are taken.
    pub fn register(self: &Arc<Self>) -> Result<Registration, ApiError> {
        let mut entries = self.lock();
        if entries.len() >= self.max {
            drop(entries);
            self.stats.refused();
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_websockets",
                "this server is full right now; try again later",
            )
            .with_detail(format!(
                "{} WebSocket connections open, the maximum (LIVEBOARD_WS_MAX_CONNECTIONS)",
                self.max
            )));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let direct = Arc::new(DirectSends::new(Liveness::new(self.clock.now_ms())));
        entries.insert(id, direct.clone());
        drop(entries);
        self.stats.connection_opened();
        Ok(Registration {
            id,
            registry: self.clone(),
            direct,
        })
    }
    // ANCHOR_END: register

    /// Queues `message` for connection `id` only; its transport frames it.
    pub fn send(&self, id: u64, message: Outgoing) -> Result<(), SendError> {
        let direct = self.lock().get(&id).cloned();
        let direct = direct.ok_or(SendError::NoSuchConnection)?;
        direct
            .push_direct(message)
            .map_err(|Full| SendError::SlowConsumer)
    }

    /// Queues a text message for connection `id` only.
    pub fn send_text(&self, id: u64, text: impl Into<String>) -> Result<(), SendError> {
        self.send(id, Outgoing::text(text))
    }

    /// Asks connection `id` to close with `request`. Returns whether it was open.
    pub fn close(&self, id: u64, request: CloseRequest) -> bool {
        match self.lock().get(&id) {
            Some(direct) => {
                direct.request_close(request);
                true
            }
            None => false,
        }
    }

    // ANCHOR: close_all
    /// Asks every open connection to close, each with the request `request_for` makes for
    /// it (so each may carry its own reason), [`CLOSE_BATCH`] at a time with a yield to the
    /// runtime between batches. Returns how many were asked.
    pub async fn close_all(&self, mut request_for: impl FnMut() -> CloseRequest) -> usize {
        // A snapshot: connections opening now are refused by the stopped server anyway,
        // and the lock is not held across the yields.
        let open: Vec<Arc<DirectSends>> = self.lock().values().cloned().collect();
        for batch in open.chunks(CLOSE_BATCH) {
            for direct in batch {
                direct.request_close(request_for());
            }
            tokio::task::yield_now().await;
        }
        open.len()
    }
    // ANCHOR_END: close_all

    // ANCHOR: for_each_open
    /// Calls `visit` with every open connection, under the registry's lock: no snapshot
    /// is allocated, so `visit` must be quick (read a stamp, fill a slot, set a close
    /// request) and must not call back into the registry.
    pub fn for_each_open(&self, mut visit: impl FnMut(OpenConnection<'_>)) {
        for (&id, direct) in self.lock().iter() {
            visit(OpenConnection { id, direct });
        }
    }
    // ANCHOR_END: for_each_open

    /// Now, on the clock [`Liveness`] stamps are on: milliseconds since the registry was
    /// created.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The most connections admitted at once.
    pub fn max(&self) -> usize {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn the_slot_past_the_limit_is_refused_with_503_and_freed_on_drop() {
        let stats = Arc::new(WsStats::default());
        let reg = ConnectionRegistry::new(1, stats.clone());
        let first = reg.register().unwrap();
        let err = reg.register().err().unwrap();
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(err.code, "too_many_websockets");
        drop(first);
        assert!(reg.register().is_ok());
        assert_eq!(stats.snapshot().refused, 1);
    }

    #[tokio::test]
    async fn a_full_direct_queue_turns_into_a_close_request() {
        let reg = ConnectionRegistry::new(10, Arc::default());
        let conn = reg.register().unwrap();
        for _ in 0..DIRECT_SENDS_MAX_FRAMES {
            reg.send_text(conn.id(), "x").unwrap();
        }
        assert_eq!(reg.send_text(conn.id(), "x"), Err(SendError::SlowConsumer));
        let mut messages = Vec::new();
        let req = conn.direct_sends().take(|m| messages.push(m));
        assert_eq!(messages.len(), DIRECT_SENDS_MAX_FRAMES);
        assert_eq!(req.unwrap().code, 1013);
        assert_eq!(
            reg.send(999, Outgoing::Binary(Bytes::new())),
            Err(SendError::NoSuchConnection)
        );
    }

    #[tokio::test]
    async fn a_direct_message_wakes_the_waiting_connection_and_is_taken_once() {
        let reg = ConnectionRegistry::new(10, Arc::default());
        let conn = reg.register().unwrap();
        let id = conn.id();
        let waiter = tokio::spawn(async move {
            std::future::poll_fn(|cx| conn.direct_sends().poll_pending(cx)).await;
            let mut first = Vec::new();
            let first_close = conn.direct_sends().take(|m| first.push(m));
            let mut second = Vec::new();
            let second_close = conn.direct_sends().take(|m| second.push(m));
            (first, first_close, second, second_close)
        });
        tokio::task::yield_now().await;
        reg.send_text(id, "hi").unwrap();
        let (first, first_close, second, second_close) =
            tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
                .await
                .expect("the connection woke")
                .unwrap();
        assert_eq!(first, vec![Outgoing::text("hi")]);
        assert_eq!((first_close, second_close), (None, None));
        assert!(second.is_empty(), "taken once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_heartbeat_replaces_the_unsent_one_and_the_walk_sees_each_peers_last_word() {
        let reg = ConnectionRegistry::new(10, Arc::default());
        let quiet = reg.register().unwrap();
        tokio::time::advance(std::time::Duration::from_millis(300)).await;
        let chatty = reg.register().unwrap();
        tokio::time::advance(std::time::Duration::from_millis(200)).await;
        chatty.heard_from_peer();
        let ping = Outgoing::Ping(Bytes::new());
        let mut seen = Vec::new();
        reg.for_each_open(|conn| {
            let l = conn.liveness();
            seen.push((conn.id(), l.opened_ms(), l.last_heard_ms()));
            conn.send_heartbeat(Arc::from([Outgoing::text("old"), ping.clone()]));
            conn.send_heartbeat(Arc::from([Outgoing::text("new"), ping.clone()]));
        });
        seen.sort();
        assert_eq!(seen, [(quiet.id(), 0, 0), (chatty.id(), 300, 500)]);
        let mut messages = Vec::new();
        assert_eq!(quiet.direct_sends().take(|m| messages.push(m)), None);
        assert_eq!(
            messages,
            [Outgoing::text("new"), ping],
            "one slot, not a queue"
        );
        assert_eq!(reg.now_ms(), 500);
    }

    #[tokio::test]
    async fn close_all_reaches_every_connection_in_batches_each_with_its_own_reason() {
        let open = CLOSE_BATCH + 2;
        let reg = ConnectionRegistry::new(open, Arc::default());
        let conns: Vec<Registration> = (0..open).map(|_| reg.register().unwrap()).collect();
        let mut drawn = 0;
        let asked = reg
            .close_all(|| {
                drawn += 1;
                CloseRequest {
                    code: CloseCode::GoingAway.code(),
                    reason: format!("bye {drawn}"),
                }
            })
            .await;
        assert_eq!(asked, open);
        let mut reasons = std::collections::HashSet::new();
        for conn in &conns {
            let close = conn.direct_sends().take(drop);
            let close = close.expect("every connection was asked to close");
            assert_eq!(close.code, 1001);
            reasons.insert(close.reason);
        }
        assert_eq!(reasons.len(), open, "one reason drawn per connection");
    }

    #[test]
    fn taking_direct_messages_leaves_no_buffer_behind() {
        let reg = ConnectionRegistry::new(1, Arc::default());
        let conn = reg.register().unwrap();
        for text in ["one", "two", "three"] {
            reg.send_text(conn.id(), text).unwrap();
        }
        let mut taken = Vec::new();
        assert_eq!(conn.direct_sends().take(|m| taken.push(m)), None);
        assert_eq!(taken.len(), 3);
        assert_eq!(conn.direct_sends().lock().direct.capacity(), 0);
    }
}
