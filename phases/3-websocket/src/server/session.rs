//! What runs *inside* a connection: a [`Session`] gets each complete data message and
//! acts on its connection through a [`SessionContext`].
//!
//! The transport ([`crate::server::transport`]; phase 3's own is
//! [`crate::server::connection`]) owns the socket and speaks RFC 6455: frames, pings, the
//! closing handshake, limits, writing. A session never sees a frame; it sees messages and
//! answers with messages ([`Outgoing`]). `/ws/echo` and `/ws` are the same transport with
//! two sessions ([`crate::server::echo::EchoSession`], [`crate::board::session::BoardSession`]),
//! and the same session runs on any transport.
//!
//! # What reaches a client, and through which container
//!
//! Three containers carry messages to one WebSocket client, each for a different writer:
//!
//! | container | holds | written by | read by | bound |
//! |---|---|---|---|---|
//! | [`SessionContext`] (its replies) | messages answering the messages of one read | the session, on the connection's task | the transport, before it waits again | emptied after every read |
//! | [`DirectSends`](crate::server::registry::DirectSends) | messages for this client only, and a close request | any other task, via [`ConnectionRegistry`](crate::server::registry::ConnectionRegistry) | the transport | [`DIRECT_SENDS_MAX_FRAMES`](crate::server::registry::DIRECT_SENDS_MAX_FRAMES) |
//! | [`SubscriberQueue`] (one per [`BoardFeed`]) | a board's broadcasts, encoded once for every subscriber of a transport | phase 2's hub | the transport | the hub's byte budget |
//!
//! They stay apart because their writers differ: replies need no lock (same task), direct
//! sends need one (any task), and broadcasts are shared with SSE streams through the hub.

use std::{any::Any, sync::Arc};

use bytes::Bytes;
use phase_2_sse::{presence::Person, queue::SubscriberQueue};

use crate::server::{
    outgoing::{BroadcastFraming, Outgoing},
    registry::CloseRequest,
};

/// The application side of a WebSocket connection.
pub trait Session: Send + 'static {
    /// Called once, after the handshake, before any message (e.g. to send a greeting).
    fn on_open(&mut self, _cx: &mut SessionContext) {}
    /// A complete, UTF-8-validated text message.
    fn on_text(&mut self, text: String, cx: &mut SessionContext);
    /// A complete binary message.
    fn on_binary(&mut self, data: Bytes, cx: &mut SessionContext);
}

/// One board a connection follows: the hub's [`SubscriberQueue`] of that board's
/// broadcasts (already encoded, as the transport's [`BroadcastFraming`] asks), and the
/// guard whose drop leaves the board (a `Subscription` or a presence `Membership`).
///
/// Written by the hub's fan-out, read by the connection; bounded by the hub's byte budget
/// per subscriber (a connection that falls further behind is cut with 1013).
pub struct BoardFeed {
    room: String,
    queue: Arc<SubscriberQueue>,
    person: Option<Person>,
    _guard: Box<dyn Any + Send + Sync>,
}

impl BoardFeed {
    /// A feed for `room` drained from `queue`; `guard` is dropped when the feed is.
    pub fn new(
        room: impl Into<String>,
        queue: Arc<SubscriberQueue>,
        guard: impl Any + Send + Sync,
    ) -> Self {
        Self {
            room: room.into(),
            queue,
            person: None,
            _guard: Box::new(guard),
        }
    }

    /// The same feed, remembering who subscribed (`None`: a watcher, in no presence list).
    pub fn with_person(mut self, person: Option<Person>) -> Self {
        self.person = person;
        self
    }

    /// The room (board) this feed is for.
    pub fn room(&self) -> &str {
        &self.room
    }

    /// The queue the hub fills.
    pub fn queue(&self) -> &Arc<SubscriberQueue> {
        &self.queue
    }
}

/// What a session may do to its connection without blocking: reply to this client, follow
/// or leave boards, ask to close. Built by the transport ([`SessionContext::new`]), one per
/// connection, and handed to every call of its [`Session`].
///
/// * **Replies**: [`Outgoing`] messages, held until the transport writes them — after the
///   batch of messages that arrived in one read, before it waits again. Written by the
///   session, on the connection's own task (so no lock), taken by the transport
///   ([`SessionContext::take_replies`]); emptied after every batch, so bounded by what the
///   messages of one read ask for.
/// * **Feeds**: the [`BoardFeed`]s this connection follows, at most
///   `LIVEBOARD_WS_MAX_BOARDS_PER_CONNECTION` (the board session checks), their
///   broadcasts framed as the transport asked ([`SessionContext::broadcast_framing`]).
/// * **A close request**: the first one wins; messages asked for after it are dropped.
pub struct SessionContext {
    connection_id: u64,
    framing: BroadcastFraming,
    replies: Vec<Outgoing>,
    feeds: Vec<BoardFeed>,
    /// Boxed, like the identity: each context lives inside its connection's task for as
    /// long as the connection is open, and an idle connection should not carry room for
    /// a close request it has not had, or for three strings it may never be given.
    close: Option<Box<CloseRequest>>,
    identity: Option<Box<Person>>,
}

impl SessionContext {
    /// The context of connection `connection_id` (its [`Registration`](crate::server::registry::Registration)'s
    /// id), on a transport that wants broadcasts as `framing`.
    pub fn new(connection_id: u64, framing: BroadcastFraming) -> Self {
        Self {
            connection_id,
            framing,
            replies: Vec::new(),
            feeds: Vec::new(),
            close: None,
            identity: None,
        }
    }

    /// The connection's id in the registry.
    pub fn connection_id(&self) -> u64 {
        self.connection_id
    }

    /// How this connection's transport wants broadcasts framed: what a session asks the
    /// hub for when it follows a board.
    pub fn broadcast_framing(&self) -> BroadcastFraming {
        self.framing
    }

    /// Queues a message for this client only. Messages after a requested close are
    /// dropped: RFC 6455 §5.5.1, "after sending a Close frame, the endpoint MUST NOT send
    /// any more data frames".
    pub(crate) fn push(&mut self, message: Outgoing) {
        if self.close.is_none() {
            self.replies.push(message);
        }
    }

    /// Queues a text message for this client only.
    pub fn send_text(&mut self, text: impl Into<String>) {
        self.push(Outgoing::text(text));
    }

    /// Queues a binary message for this client only.
    pub fn send_binary(&mut self, data: impl Into<Bytes>) {
        self.push(Outgoing::Binary(data.into()));
    }

    /// Who the server knows this connection to be (a signed session cookie sent with the
    /// handshake, checked by phase 4's access rules), or `None`.
    pub fn identity(&self) -> Option<&Person> {
        self.identity.as_deref()
    }

    /// Sets who the connection is (the board session does, when it opens).
    pub fn set_identity(&mut self, person: Option<Person>) {
        self.identity = person.map(Box::new);
    }

    /// Starts receiving `feed`'s frames.
    pub fn add_feed(&mut self, feed: BoardFeed) {
        self.feeds.push(feed);
    }

    /// Stops receiving `room`'s frames (leaving it). Returns whether there was such a feed.
    pub fn remove_feed(&mut self, room: &str) -> bool {
        let before = self.feeds.len();
        self.feeds.retain(|f| f.room != room);
        self.feeds.len() != before
    }

    /// Whether a feed for `room` is open.
    pub fn has_feed(&self, room: &str) -> bool {
        self.feeds.iter().any(|f| f.room == room)
    }

    /// Who this connection subscribed to `room` as: `None` if it is not subscribed to
    /// it, or subscribed without a person.
    pub fn person_on(&self, room: &str) -> Option<&Person> {
        self.feeds
            .iter()
            .find(|f| f.room == room)
            .and_then(|f| f.person.as_ref())
    }

    /// How many feeds are open.
    pub fn feed_count(&self) -> usize {
        self.feeds.len()
    }

    /// Asks the connection to start the closing handshake with this code and reason.
    /// The first request wins.
    pub fn close(&mut self, code: impl Into<u16>, reason: impl Into<String>) {
        if self.close.is_none() {
            self.close = Some(Box::new(CloseRequest {
                code: code.into(),
                reason: reason.into(),
            }));
        }
    }

    /// The boards this connection follows: what its transport waits on
    /// ([`crate::server::feeds`]).
    pub fn feeds(&self) -> &[BoardFeed] {
        &self.feeds
    }

    /// Leaves every board at once (a transport does, when it starts closing: nothing is
    /// broadcast after a Close, RFC 6455 §5.5.1).
    pub fn leave_all_boards(&mut self) {
        self.feeds.clear();
    }

    /// Whether a close was requested (a transport stops handing messages to the session).
    pub fn close_requested(&self) -> bool {
        self.close.is_some()
    }

    /// Takes the close request, once: the transport sends it after the replies.
    pub fn take_close_request(&mut self) -> Option<CloseRequest> {
        self.close.take().map(|request| *request)
    }

    /// Takes the replies queued so far, in order. The vector itself is handed over, so
    /// an idle connection holds no reply buffer.
    pub fn take_replies(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.replies)
    }
}
