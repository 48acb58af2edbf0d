//! What runs *inside* a connection: a [`Session`] gets each complete data message and
//! answers through an [`Outbox`].
//!
//! The connection ([`crate::server::connection`]) owns the socket and speaks RFC 6455: frames,
//! pings, the closing handshake, limits, writing. A session never sees a frame; it sees
//! messages and decides what they mean. `/ws/echo` and `/ws` are the same connection code
//! with two sessions ([`crate::server::echo::EchoSession`], [`crate::board::session::BoardSession`]).
//!
//! The outbox is everything a session may do to its connection without blocking:
//! queue a reply to this client, join or leave a board's stream (a [`Feed`]: a hub queue
//! plus whatever must be dropped to leave), or ask for the connection to close.

use std::{any::Any, sync::Arc};

use bytes::{Bytes, BytesMut};
use phase_2_sse::queue::OutboundQueue;
use tokio_util::codec::Encoder;

use crate::{
    rfc6455::codec::{EncodedFrame, FrameCodec},
    rfc6455::frame::Frame,
    rfc6455::limits::Limits,
    server::registry::CloseRequest,
};

/// The application side of a WebSocket connection.
pub trait Session: Send + 'static {
    /// Called once, after the handshake, before any message (e.g. to send a greeting).
    fn on_open(&mut self, _out: &mut Outbox) {}
    /// A complete, UTF-8-validated text message.
    fn on_text(&mut self, text: String, out: &mut Outbox);
    /// A complete binary message.
    fn on_binary(&mut self, data: Bytes, out: &mut Outbox);
}

/// A stream of pre-encoded frames from the hub for one board: its queue and the guard
/// whose drop leaves the board (a `Subscription` or a presence `Membership`).
pub struct Feed {
    room: String,
    queue: Arc<OutboundQueue>,
    _guard: Box<dyn Any + Send + Sync>,
}

impl Feed {
    /// A feed for `room` drained from `queue`; `guard` is dropped when the feed is.
    pub fn new(
        room: impl Into<String>,
        queue: Arc<OutboundQueue>,
        guard: impl Any + Send + Sync,
    ) -> Self {
        Self {
            room: room.into(),
            queue,
            _guard: Box::new(guard),
        }
    }

    /// The room (board) this feed is for.
    pub fn room(&self) -> &str {
        &self.room
    }

    /// The queue the hub fills.
    pub fn queue(&self) -> &Arc<OutboundQueue> {
        &self.queue
    }
}

/// What a session may ask of its connection.
pub struct Outbox {
    connection_id: u64,
    encoder: FrameCodec,
    replies: BytesMut,
    reply_frames: usize,
    pub(crate) feeds: Vec<Feed>,
    pub(crate) close: Option<CloseRequest>,
}

impl Outbox {
    pub(crate) fn new(connection_id: u64) -> Self {
        Self {
            connection_id,
            // Only the encoder half is used, which ignores the limits.
            encoder: FrameCodec::server(Limits::default()),
            replies: BytesMut::new(),
            reply_frames: 0,
            feeds: Vec::new(),
            close: None,
        }
    }

    /// The connection's id in the registry.
    pub fn connection_id(&self) -> u64 {
        self.connection_id
    }

    /// Queues a frame for this client only. Data frames after a requested close are
    /// dropped: RFC 6455 §5.5.1, "after sending a Close frame, the endpoint MUST NOT send
    /// any more data frames".
    pub fn send(&mut self, frame: Frame) {
        if self.close.is_some() {
            return;
        }
        // Encoding a final data frame of any size cannot fail; a control frame built by a
        // session could, which is a bug worth a log line, not a panic.
        if let Err(e) = self.encoder.encode(frame, &mut self.replies) {
            tracing::error!(error = %e, "session tried to send an invalid frame");
            return;
        }
        self.reply_frames += 1;
    }

    /// Queues a text message for this client only.
    pub fn send_text(&mut self, text: impl Into<String>) {
        self.send(Frame::text(text));
    }

    /// Queues an already-encoded frame for this client only.
    pub fn send_encoded(&mut self, frame: &EncodedFrame) {
        if self.close.is_none() {
            self.replies.extend_from_slice(frame.as_bytes());
            self.reply_frames += 1;
        }
    }

    /// Starts receiving `feed`'s frames.
    pub fn add_feed(&mut self, feed: Feed) {
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

    /// How many feeds are open.
    pub fn feed_count(&self) -> usize {
        self.feeds.len()
    }

    /// Asks the connection to start the closing handshake with this code and reason.
    /// The first request wins.
    pub fn close(&mut self, code: impl Into<u16>, reason: impl Into<String>) {
        if self.close.is_none() {
            self.close = Some(CloseRequest {
                code: code.into(),
                reason: reason.into(),
            });
        }
    }

    /// Takes the replies queued so far: the bytes and how many frames they hold.
    pub(crate) fn take_replies(&mut self) -> Option<(Bytes, usize)> {
        if self.replies.is_empty() {
            return None;
        }
        let frames = std::mem::take(&mut self.reply_frames);
        Some((self.replies.split().freeze(), frames))
    }
}
