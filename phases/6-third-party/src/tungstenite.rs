//! tokio-tungstenite behind phase 3's transport seam: [`TungsteniteTransport`].
//!
//! # What the library does, and what is still ours
//!
//! Phase 3 wrote two things that a WebSocket library also does: the **frame codec**
//! (RFC 6455 §5: masking, lengths, fragmentation, control frames, UTF-8) and the
//! **connection loop** around it (when to read, when to write, how to close). tokio-tungstenite
//! replaces the codec entirely and gives a `Stream` of messages and a `Sink` for them;
//! the loop is still ours, because the loop is where the *server's* rules live —
//!
//! * the opening handshake stays phase 3's ([`handshake`](phase_3_websocket::server::handshake)):
//!   Origin allow-list, subprotocol, every header checked, JSON errors. The library is
//!   handed the socket *after* the 101 (`from_partially_read`, with any bytes hyper read
//!   past the request), so it never sees HTTP;
//! * broadcasts arrive through the hub's byte-bounded queues, encoded once per room as
//!   bare payloads ([`BroadcastFraming::Payload`]): the library frames each one for each
//!   subscriber — the price of not owning the codec (phase 3 frames once per room);
//! * replies, direct sends, heartbeats and close requests come through the seam's
//!   containers, exactly as for the hand-rolled loop;
//! * a slow consumer is cut by the hub and closed here with 1013; shutdown's 1001 and the
//!   heartbeat's 1011 arrive as close requests.
//!
//! # Where the two transports differ
//!
//! Measured by the same conformance suite (phase 3's `conformance`, run by
//! `tests/conformance.rs` against both) and by the benchmark tool; the chapter's table lists
//! them. Every case passes on both; RFC 6455 leaves three choices, and the library makes
//! them differently (phase 3's `Expectations::tungstenite`):
//!
//! * a Close with a code that must not be sent (1005, 999) is answered by the library
//!   itself, with 1002 and *its* reason, "Protocol violation" — not the reason from our
//!   close-code table;
//! * a Close without a body is echoed as a Close without a body (ours answers 1000);
//! * other violations come back as errors, which `Connection::failed` turns into the code
//!   phase 3 would send (1002, 1007, 1009) — with the table's reason, but without the
//!   detail phase 3's codec puts in it (which RFC clause, which byte).
//!
//! And two the suite does not see: the library keeps a **read buffer per connection**
//! (`--ws-tungstenite-read-buffer-bytes`, allocated when the connection opens), and a
//! broadcast is **framed per subscriber** (the hub hands it the payload), where phase 3
//! writes the frame the hub encoded once. When the hub cuts a slow consumer, the library
//! still holds the frames it buffered and writes our 1013 after them; phase 3 drops the
//! unsent frames and sends the Close at once.
//!
//! # The loop
//!
//! ```text
//!   ┌──▶ gather: replies, direct sends, every ready hub batch → tungstenite Messages
//!   │      feed each into the sink, one flush (tungstenite's way to coalesce writes)
//!   │      wait for the first of: a direct send │ a message from the peer │ a hub batch
//!   └──────┘
//! ```
//!
//! One task, like phase 3's: the socket is read and written by the same `WebSocketStream`,
//! so no lock and no channel between a reader and a writer half.

use std::{
    future::{poll_fn, Future},
    pin::pin,
    sync::Arc,
    task::Poll,
    time::Duration,
};

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use phase_2_sse::queue::CloseCause;
use phase_3_websocket::{
    rfc6455::close::CloseCode,
    rfc6455::limits::Limits,
    server::feeds::{close_request_for, cut, next_from_feeds},
    server::outgoing::{BroadcastFraming, Outgoing},
    server::registry::{CloseRequest, Registration},
    server::session::{Session, SessionContext},
    server::stats::WsStats,
    server::transport::{
        upgraded, AcceptedConnection, ConnectionOptions, UpgradedSocket, WsTransport,
    },
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::{
    tungstenite::{
        error::{CapacityError, ProtocolError},
        protocol::{
            frame::{
                coding::{Data, OpCode},
                Frame,
            },
            CloseFrame, Role, WebSocketConfig,
        },
        Error, Message,
    },
    WebSocketStream,
};
use tokio_util::task::TaskTracker;

/// Messages handed to the session from one wake-up before the loop writes the replies:
/// tungstenite yields one message per poll, so the loop takes what is already buffered,
/// up to this many, to answer a pipelining client with one write (as phase 3 answers the
/// messages of one read).
const MESSAGES_PER_WAKE: usize = 64;

// ANCHOR: tungstenite_transport
/// tokio-tungstenite as a [`WsTransport`]: the library frames, our loop decides.
#[derive(Debug, Clone, Copy)]
pub struct TungsteniteTransport {
    /// The read buffer per connection, in bytes (`--ws-tungstenite-read-buffer-bytes`).
    pub read_buffer_bytes: usize,
}

impl WsTransport for TungsteniteTransport {
    fn name(&self) -> &'static str {
        "tungstenite"
    }

    /// Payloads: the library writes the frame header itself.
    fn broadcast_framing(&self) -> BroadcastFraming {
        BroadcastFraming::Payload
    }

    fn spawn(&self, tasks: &TaskTracker, upgrade: OnUpgrade, connection: AcceptedConnection) {
        let config = tungstenite_config(&connection.options.limits, self.read_buffer_bytes);
        tasks.spawn(async move {
            let id = connection.registration.id();
            if let Some(upgraded) = upgraded(upgrade, id).await {
                // The same bare socket phase 3 serves on, so the comparison is of the
                // transports and not of hyper's wrapper around one of them.
                match UpgradedSocket::from(upgraded, &connection.stats) {
                    UpgradedSocket::Bare(io, read_ahead) => {
                        serve(io, read_ahead, connection, config).await
                    }
                    UpgradedSocket::Wrapped(io) => {
                        serve(io, Bytes::new(), connection, config).await
                    }
                }
            }
            tracing::info!(connection = id, "websocket closed");
        });
    }
}
// ANCHOR_END: tungstenite_transport

// ANCHOR: tungstenite_config
/// The library's settings, from phase 3's limits: one `--ws-max-message-bytes` means the
/// same thing on both transports.
pub fn tungstenite_config(limits: &Limits, read_buffer_bytes: usize) -> WebSocketConfig {
    // EXERCISE(ch6-library-limits): configure the library from phase 3's limits
    WebSocketConfig::default()
        .read_buffer_size(read_buffer_bytes)
        .max_frame_size(Some(limits.max_frame_payload))
        .max_message_size(Some(limits.max_message_size))
    // EXERCISE_END(ch6-library-limits)
}
// ANCHOR_END: tungstenite_config

/// How the conversation ended.
#[derive(Debug)]
enum Ending {
    /// We close (a request, a cut, a shutdown) and wait for the peer's Close.
    WeClose(CloseRequest),
    /// The peer broke the protocol: Close, and no more reading (RFC 6455 §7.1.7).
    Fail(CloseRequest),
    /// The peer sent Close; tungstenite has queued the echo.
    PeerClosed,
    /// The transport is gone.
    Dropped(String),
}

enum Wake {
    DirectSend,
    Peer(Option<Result<Message, Error>>),
    Broadcasts(Result<usize, CloseCause>),
}

struct Connection<IO> {
    ws: WebSocketStream<IO>,
    cx: SessionContext,
    /// Messages to write, in order, and their payload bytes.
    out: Vec<Message>,
    out_bytes: usize,
    /// A batch of broadcast payloads, one buffer per message (`BroadcastFraming::Payload`).
    batch: Vec<Bytes>,
    stats: Arc<WsStats>,
    opts: ConnectionOptions,
}

// ANCHOR: tungstenite_serve
async fn serve<IO>(
    io: IO,
    read_ahead: Bytes,
    connection: AcceptedConnection,
    config: WebSocketConfig,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
{
    let AcceptedConnection {
        mut session,
        registration,
        stats,
        options,
    } = connection;
    // Our handshake is done: the library starts at the first frame, with whatever bytes
    // of it hyper already read.
    let ws =
        WebSocketStream::from_partially_read(io, read_ahead.to_vec(), Role::Server, Some(config))
            .await;
    drop(read_ahead);
    let mut conn = Connection {
        ws,
        cx: SessionContext::new(registration.id(), BroadcastFraming::Payload),
        out: Vec::new(),
        out_bytes: 0,
        batch: Vec::new(),
        stats,
        opts: options,
    };
    session.on_open(&mut conn.cx);
    let ending = conn.run(session.as_mut(), &registration).await;
    tracing::debug!(connection = registration.id(), ?ending, "websocket ending");
    conn.finish(ending).await;
}
// ANCHOR_END: tungstenite_serve

impl<IO: AsyncRead + AsyncWrite + Unpin + Send> Connection<IO> {
    // ANCHOR: tungstenite_loop
    async fn run(&mut self, session: &mut dyn Session, reg: &Registration) -> Ending {
        let mut feed_closed: Option<CloseCause> = None;
        let mut input_ended: Option<Ending> = None;
        loop {
            feed_closed = feed_closed.or(self.gather(reg));
            if let Err(ending) = self.write_out().await {
                return ending;
            }
            if let Some(ending) = input_ended.take() {
                return ending;
            }
            if let Some(request) = self.cx.take_close_request() {
                return Ending::WeClose(request);
            }
            if let Some(cause) = feed_closed {
                return Ending::WeClose(close_request_for(cause, &self.opts.retry));
            }
            let Self { ws, cx, batch, .. } = &mut *self;
            let wake = tokio::select! {
                biased;
                () = poll_fn(|task| reg.direct_sends().poll_pending(task)) => Wake::DirectSend,
                message = ws.next() => Wake::Peer(message),
                taken = next_from_feeds(cx.feeds(), batch) => Wake::Broadcasts(taken),
            };
            match wake {
                Wake::DirectSend => {}
                Wake::Peer(first) => input_ended = self.take_input(first, session, reg),
                Wake::Broadcasts(Ok(_)) => self.take_batch(),
                Wake::Broadcasts(Err(cause)) => feed_closed = Some(cause),
            }
        }
    }
    // ANCHOR_END: tungstenite_loop

    // ANCHOR: tungstenite_input
    /// Acts on `first` and on every message the library already has buffered (at most
    /// [`MESSAGES_PER_WAKE`]), in order, until the input ends or the session asks to close.
    fn take_input(
        &mut self,
        first: Option<Result<Message, Error>>,
        session: &mut dyn Session,
        reg: &Registration,
    ) -> Option<Ending> {
        let mut next = Some(first);
        for _ in 0..MESSAGES_PER_WAKE {
            let message = match next.take()? {
                None => {
                    return Some(Ending::Dropped(
                        "the peer closed TCP without a Close frame".into(),
                    ))
                }
                Some(Err(e)) => return Some(self.failed(e)),
                Some(Ok(message)) => message,
            };
            // Any message is proof of life (phase 5's heartbeat reads it).
            reg.heard_from_peer();
            self.stats.received(message.len());
            match message {
                Message::Text(text) => {
                    self.stats.message_in();
                    session.on_text(text.as_str().to_owned(), &mut self.cx);
                }
                Message::Binary(data) => {
                    self.stats.message_in();
                    session.on_binary(data, &mut self.cx);
                }
                // The library queued the Pong (RFC 6455 §5.5.2) and writes it on its next
                // read or flush; an unsolicited Pong needs no answer (§5.5.3).
                Message::Ping(_) | Message::Pong(_) => {}
                // The library queued the echo of the peer's Close (§5.5.1).
                Message::Close(_) => return Some(Ending::PeerClosed),
                Message::Frame(_) => {} // only returned when reading raw frames
            }
            if self.cx.close_requested() {
                return None;
            }
            // Take what is already buffered without waiting (a poll, not an await).
            next = Some(self.ws.next().now_or_never()?);
        }
        None
    }
    // ANCHOR_END: tungstenite_input

    // ANCHOR: tungstenite_errors
    /// What a library error means for the connection: the Close code phase 3's codec
    /// would send for the same violation (RFC 6455 §7.4.1), or a dropped transport.
    fn failed(&mut self, error: Error) -> Ending {
        // EXERCISE(ch6-close-codes): turn the library's errors into phase 3's close codes
        let code = match &error {
            Error::ConnectionClosed | Error::AlreadyClosed | Error::Io(_) => {
                return Ending::Dropped(error.to_string())
            }
            Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                return Ending::Dropped(error.to_string())
            }
            // §10.4: a message or frame past the limits.
            Error::Capacity(CapacityError::MessageTooLong { .. }) => CloseCode::MessageTooBig,
            // §8.1: a text message that is not UTF-8.
            Error::Utf8(_) => CloseCode::InvalidPayload,
            _ => CloseCode::ProtocolError,
        };
        tracing::debug!(%error, code = code.code(), "failing the websocket connection");
        self.stats.protocol_error();
        Ending::Fail(CloseRequest {
            code: code.code(),
            reason: code.reason().to_owned(),
        })
        // EXERCISE_END(ch6-close-codes)
    }
    // ANCHOR_END: tungstenite_errors

    /// Moves the session's replies and the direct sends into `out` (a close request
    /// taken there goes to the context), and every ready broadcast batch. Returns the
    /// cause if a board's queue was closed.
    fn gather(&mut self, reg: &Registration) -> Option<CloseCause> {
        for message in self.cx.take_replies() {
            self.push(message);
        }
        let mut direct = Vec::new();
        let close = reg.direct_sends().take(|message| direct.push(message));
        for message in direct {
            self.push(message);
        }
        if let Some(request) = close {
            self.cx.close(request.code, request.reason);
        }
        let mut closed = None;
        let Self { cx, batch, .. } = &mut *self;
        for feed in cx.feeds() {
            match feed.queue().next_batch(batch).now_or_never() {
                Some(Ok(_)) | None => {}
                Some(Err(cause)) => closed = closed.or(Some(cause)),
            }
        }
        self.take_batch();
        closed
    }

    /// One broadcast payload per buffer: each becomes a text frame. Built as a raw frame
    /// so the library does not validate UTF-8 again for every subscriber (the hub encoded
    /// it from JSON once).
    fn take_batch(&mut self) {
        for payload in std::mem::take(&mut self.batch) {
            self.out_bytes += payload.len();
            self.out.push(Message::Frame(Frame::message(
                payload,
                OpCode::Data(Data::Text),
                true,
            )));
        }
    }

    fn push(&mut self, message: Outgoing) {
        self.out_bytes += message.payload().len();
        self.out.push(match message {
            Outgoing::Text(text) => {
                Message::Frame(Frame::message(text, OpCode::Data(Data::Text), true))
            }
            Outgoing::Binary(data) => Message::Binary(data),
            Outgoing::Ping(data) => Message::Ping(data),
            Outgoing::Pong(data) => Message::Pong(data),
        });
    }

    // ANCHOR: tungstenite_write
    /// Feeds every message to the library and flushes once, within the send deadline —
    /// unless the hub cuts this connection while the write is blocked (1013).
    async fn write_out(&mut self) -> Result<(), Ending> {
        if self.out.is_empty() {
            return Ok(());
        }
        let messages = self.out.len();
        let bytes = std::mem::take(&mut self.out_bytes);
        let Self {
            ws,
            cx,
            out,
            opts,
            stats,
            ..
        } = &mut *self;
        let timeout = opts.send_timeout;
        let outcome = {
            let mut write = pin!(async {
                for message in out.drain(..) {
                    ws.feed(message).await?;
                }
                ws.flush().await
            });
            // One poll with no timer first: a socket with room takes it all at once.
            match poll_fn(|task| Poll::Ready(write.as_mut().poll(task))).await {
                Poll::Ready(done) => Some(done),
                Poll::Pending => tokio::select! {
                    done = tokio::time::timeout(timeout, &mut write) => match done {
                        Ok(done) => Some(done),
                        Err(_) => {
                            stats.slow_consumer();
                            return Err(Ending::Dropped(past_deadline(timeout)));
                        }
                    },
                    () = cut(cx.feeds()) => None,
                },
            }
        };
        match outcome {
            Some(Ok(())) => {
                self.stats.sent(messages, bytes);
                Ok(())
            }
            Some(Err(e)) => Err(Ending::Dropped(format!("write failed: {e}"))),
            // Cut while blocked. Unlike phase 3, the library keeps what it buffered and
            // will write our Close after it: the client sees the 1013 only if it reads on.
            None => {
                self.out.clear();
                Err(Ending::WeClose(close_request_for(
                    CloseCause::SlowConsumer,
                    &self.opts.retry,
                )))
            }
        }
    }
    // ANCHOR_END: tungstenite_write

    // ANCHOR: tungstenite_finish
    async fn finish(&mut self, ending: Ending) {
        let deadline = self.opts.close_timeout;
        // Nothing is broadcast after a Close (§5.5.1).
        self.cx.leave_all_boards();
        let ws = &mut self.ws;
        let goodbye = async {
            match ending {
                Ending::Dropped(why) => {
                    tracing::debug!(%why, "websocket dropped without a closing handshake");
                }
                // The echo is queued: reading on flushes it, and the library ends the
                // stream once it is written (a server closes TCP first, §7.1.1).
                Ending::PeerClosed => while let Some(Ok(_)) = ws.next().await {},
                Ending::WeClose(request) => {
                    if ws.close(Some(close_frame(request))).await.is_ok() {
                        // §7.1.2: the handshake completes when the peer's Close arrives.
                        while let Some(Ok(_)) = ws.next().await {}
                    }
                }
                // §7.1.7: send Close, do not process anything more from the peer.
                Ending::Fail(request) => {
                    let _ = ws.close(Some(close_frame(request))).await;
                }
            }
        };
        if tokio::time::timeout(deadline, goodbye).await.is_err() {
            self.stats.close_timeout();
        }
        // Dropping the stream closes the socket.
    }
    // ANCHOR_END: tungstenite_finish
}

fn close_frame(request: CloseRequest) -> CloseFrame {
    CloseFrame {
        code: request.code.into(),
        reason: request.reason.into(),
    }
}

fn past_deadline(timeout: Duration) -> String {
    format!(
        "a write did not finish within {} ms: the peer is not reading",
        timeout.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_configured_from_phase_3s_limits() {
        let limits = Limits {
            max_frame_payload: 1_000,
            max_message_size: 5_000,
        };
        let config = tungstenite_config(&limits, 2_048);
        assert_eq!(config.max_frame_size, Some(1_000));
        assert_eq!(config.max_message_size, Some(5_000));
        assert_eq!(config.read_buffer_size, 2_048);
    }

    #[test]
    fn the_library_defaults_are_not_our_limits() {
        // Why the mapping exists: left alone, the library would accept 16 MiB frames and
        // 64 MiB messages where phase 3 refuses more than 1 MiB and 4 MiB.
        let defaults = WebSocketConfig::default();
        let ours = Limits::default();
        assert!(defaults.max_frame_size > Some(ours.max_frame_payload));
        assert!(defaults.max_message_size > Some(ours.max_message_size));
    }
}
