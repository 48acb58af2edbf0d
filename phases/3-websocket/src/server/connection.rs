//! One WebSocket connection: a socket, a codec, a session, and the rules of RFC 6455 §5–§7.
//! This is phase 3's transport, [`HandRolled`]: what serves a connection behind the
//! [`WsTransport`] seam unless a later phase plugs in another.
//!
//! # One task, one loop
//!
//! Each connection is **one tokio task** running one loop:
//!
//! ```text
//!   ┌──────────────▶ gather: this client's replies, its direct sends (messages, a close
//!   │                  request), every ready hub batch; frame the messages
//!   │                  │
//!   │                write them all: one vectored write, one flush (write coalescing)
//!   │                  │
//!   │                wait for the first of:  a direct send │ bytes from the peer │ a hub batch
//!   └──────────────────┘
//! ```
//!
//! Why not a reader task and a writer task? Two tasks need a channel between them for
//! pongs and replies, and a second place where the close handshake's state lives. One
//! task keeps every decision (what to send, when to close) in one `match`. The price is
//! that while a write is blocked (the peer stopped reading) we do not read either — which
//! is fine: a peer that does not read our frames is not owed prompt pongs, and a blocked
//! write still watches for the hub's cut (below) and the send deadline.
//!
//! # Backpressure and write coalescing
//!
//! Broadcasts reach a connection through the hub's per-subscriber
//! [`SubscriberQueue`](phase_2_sse::queue::SubscriberQueue) (bounded in bytes,
//! already-encoded frames: [`BroadcastFraming::Frames`]). When the loop wakes it takes
//! *everything* queued — from every board, plus replies — and writes it with one vectored write and one
//! flush: 50 events queued while we were writing become one system call, not 50. A
//! connection that falls more than the budget behind is cut by the hub, and this loop
//! turns that into a Close frame **1013 (try again later)** with the reason
//! `"slow consumer: …"`: a reconnect-with-backoff verdict, since the client did nothing
//! wrong and can resume from its last position.
//!
//! **A cut must not wait for the write it interrupts.** The client that falls behind is,
//! almost by definition, the one whose socket is full: the loop is blocked in a write that
//! will finish only when the client reads. If the 1013 waited its turn behind that write,
//! the client would get it never — the send deadline would drop TCP half a minute later
//! and the client would see 1006. So a blocked write also waits on the queues' cut
//! ([`SubscriberQueue::closed`](phase_2_sse::queue::SubscriberQueue::closed)); once cut,
//! the loop stops waiting on the write, drops every unsent frame but the rest of the one
//! already begun ([`crate::server::unsent`]), leaves its boards at once, and gives the
//! rest plus the Close frame the close deadline to go out. A client whose socket takes the few bytes sees 1013; one that still reads
//! nothing is dropped when the close deadline passes — not the send deadline.
//!
//! # What a wake-up costs
//!
//! A fan-out to 10,000 subscribers wakes 10,000 of these loops, so each step above is
//! paid 10,000 times per message. Three choices keep it small (each measured; see
//! `docs/src/benchmarks.md`):
//!
//! * **Direct sends are one atomic load.** Direct messages and close requests share one
//!   [`DirectSends`](crate::server::registry::DirectSends) with a "pending" flag, instead of an `mpsc`
//!   and a `watch` polled on every wake-up (and allocated for every connection, though
//!   almost none ever receives either).
//! * **The send deadline is armed only when a write blocks.** The naive way wraps every
//!   write in `tokio::time::timeout` — a clock read and a timer on each delivery. A write
//!   to a socket whose buffer has room completes at once, so we try it first, and only a
//!   write that returns `Pending` (the peer is not keeping up) gets a deadline — in a
//!   small box, so that the timer is not part of every idle connection's task.
//! * **No copies, no allocation per write.** Hub batches land directly in the `Vec` we
//!   write from; a single buffer (the usual delivery) goes out with a plain `send`, and
//!   for several the `IoSlice`s for `writev` live on the stack for the duration of one
//!   poll (eight of them for the usual write, not 64 to initialise every time). The
//!   messages of one gather (replies, direct sends, the heartbeat) are framed back to back
//!   into one buffer ([`frame_into`]): one copy of each payload, one slice to write.
//! * **One look at the socket per wake-up.** A wake-up for a broadcast reads the socket
//!   (empty), writes the broadcast and waits again; the wait does not read the socket a
//!   second time in the same poll (`unless_just_polled`), because the first read already
//!   left the task's waker with it.
//! * **The bare socket.** hyper hands the upgraded connection back as a trait object
//!   wrapping a buffer wrapping the socket; we take the `TcpStream` out of it
//!   (`Upgraded::downcast`, when the connection is accepted), so each read and write is one
//!   call, not three layers of them.
//!
//! # What an idle connection holds
//!
//! Most connections are idle most of the time, and 10,000 of them cost 10,000 times what
//! one holds while it waits: its socket, its slot in the registry, and its **task** —
//! whose future *is* the connection's state (the `Connection`, and the state of whatever
//! it is awaiting). The first measured build held 8.4 KiB per idle connection; what keeps
//! it near 2 KiB:
//!
//! * **No read buffer.** Each read goes into 4 KiB on the stack, and only the bytes that
//!   arrived are kept (`poll_read_some`); the naive 4 KiB reserved per connection would
//!   be twice what an idle WebSocket now costs. Once every complete frame is taken, the
//!   empty buffer is let go too (`release_read_buf`): the frames were split off it and
//!   share its allocation.
//! * **No buffers kept after a write that is not a fan-out.** Replies, direct messages and
//!   the heartbeat are framed into a buffer of their own, freed once written, and the list
//!   of buffers to write is let go after them (`empty_out`). A connection in a fan-out
//!   keeps its small list between deliveries, so a delivery allocates nothing.
//! * **A small future.** rustc lays out an `async fn`'s future to hold, at once, its
//!   arguments, its locals and the largest state of anything it awaits, and keeps what an
//!   `async` block captured even after it is moved out. So the rare and the final are
//!   boxed when they happen — a write that blocks (its timer), the closing handshake,
//!   a fragmented message, a close request, the signed-in identity — the read and the
//!   write are poll functions that hold nothing across an `.await`, and the connection
//!   is built outside the task's `async` code and served by reference
//!   ([`HandRolled`]'s `spawn`). The task went from 1.8 KiB to under 0.8 KiB.
//!
//! # Input: as if it arrived byte by byte
//!
//! One read may hold many frames — two messages and then a broken frame, say. Each
//! message is handed to the session in order, and when a frame turns out to be wrong,
//! everything the messages before it produced (echoes, acks) is still written, *then* the
//! Close: the peer sees exactly what it would have seen had the bytes arrived one at a
//! time. Never an answer to a message we did not act on, never a lost answer to one we did.
//!
//! # Closing (§7)
//!
//! * **The peer closes.** RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did
//!   not previously send a Close frame, the endpoint MUST send a Close frame in response",
//!   typically echoing the code. We echo it (1000 when the peer sent none), then close TCP.
//! * **We close** (1013 slow consumer, 1001 shutdown, or a session's request): send Close
//!   with code and reason, stop sending data (§5.5.1), read until the peer's Close arrives
//!   or the close deadline passes, then close TCP.
//! * **We fail the connection** (1002 protocol error, 1007 bad UTF-8, 1009 too big):
//!   §7.1.7, send Close and close TCP at once — the endpoint "MUST NOT continue to attempt
//!   to process data (including a responding Close frame) from the remote endpoint".
//! * **The transport dies** (EOF without Close, I/O error, a write past the send deadline):
//!   nothing can be sent; the client sees 1006. Codes 1005, 1006 and 1015 are never sent.
//!
//! Closing TCP is always the server's move, made promptly (§7.1.1: "the server SHOULD
//! close the underlying TCP connection first"): once the handshake is over, or the
//! connection failed, we send FIN — the client reads end-of-stream at once, whether or
//! not it closes its own end. When our Close may still be on its way (we answered the
//! client's Close, or failed the connection), we then keep reading, discarding, until the
//! client's FIN or the close deadline: a socket closed with unread bytes in it answers
//! with a reset, and a reset can make the client's kernel throw away our Close frame
//! before it was read. When *we* closed and the client answered, its answer proves it
//! has our Close, and after a Close nothing more may come (§5.5.1): we drop the socket
//! at once (the kernel sends the FIN), and the connection's task ends without waiting
//! for the client's FIN — one system call and one wake-up fewer per connection, which
//! is what a shutdown closing thousands of them is made of.

use std::{
    future::{poll_fn, Future},
    io::IoSlice,
    mem::MaybeUninit,
    pin::{pin, Pin},
    sync::Arc,
    task::{ready, Context, Poll},
    time::Duration,
};

use bytes::{Bytes, BytesMut};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use phase_1_foundations::memory_release::CountedStream;
use phase_2_sse::queue::CloseCause;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_util::either::Either;
use tokio_util::{
    codec::{Decoder, Encoder},
    task::TaskTracker,
};

use crate::{
    rfc6455::close::{CloseCode, CloseFrame},
    rfc6455::codec::FrameCodec,
    rfc6455::error::ProtocolError,
    rfc6455::frame::Frame,
    rfc6455::message::{Message, MessageAssembler},
    rfc6455::opcode::OpCode,
    server::feeds::{close_request_for, cut, next_from_feeds},
    server::outgoing::{BroadcastFraming, Outgoing},
    server::registry::{CloseRequest, Registration},
    server::session::{Session, SessionContext},
    server::stats::WsStats,
    server::transport::{
        upgraded, AcceptedConnection, ConnectionOptions, UpgradedSocket, WsTransport,
    },
    server::unsent::rest_of_frame,
};

/// Most bytes one read takes, in bytes. 4 KiB: several small messages per system call.
/// The main loop reads into a 4 KiB array on the stack and keeps only what arrived (see
/// [`poll_read_some`]), so an idle connection holds no read buffer at all; a larger frame
/// reserves its own exact size in the decoder and is read straight into it.
const READ_CHUNK: usize = 4 * 1024;

/// How the main loop ended.
#[derive(Debug)]
enum Ending {
    /// We start the closing handshake and wait for the peer's answer.
    WeClose(CloseRequest),
    /// The peer broke the protocol: we send Close and close TCP without reading on
    /// (RFC 6455 §7.1.7).
    Fail(CloseRequest),
    /// The peer sent Close (with this code and reason, or none).
    PeerClosed(Option<CloseFrame>),
    /// The transport is gone; nothing more can be sent.
    Dropped(String),
}

/// How a write that blocked ended.
enum Blocked {
    Written(std::io::Result<()>),
    PastDeadline,
    /// The hub cut this connection while the write waited.
    Cut,
}

enum Wake {
    DirectSend,
    Read(std::io::Result<usize>),
    Broadcasts(Result<usize, CloseCause>),
}

struct Connection<IO> {
    io: IO,
    session: Box<dyn Session>,
    registration: Registration,
    codec: FrameCodec,
    assembler: MessageAssembler,
    read_buf: BytesMut,
    cx: SessionContext,
    /// Buffers to write, in order (hub batches are moved straight in), and how many
    /// frames they hold (a framed buffer may hold several; a broadcast is several buffers).
    out: Vec<Bytes>,
    out_frames: usize,
    /// Whether `out` holds a hub batch (see `empty_out`).
    out_has_broadcasts: bool,
    /// Whether the last write had to wait for the socket (the task yielded in it).
    write_waited: bool,
    stats: Arc<WsStats>,
    opts: ConnectionOptions,
}

// ANCHOR: hand_rolled
/// Phase 3's own transport: this module's connection loop on the bare socket.
#[derive(Debug, Default, Clone, Copy)]
pub struct HandRolled;

impl WsTransport for HandRolled {
    fn name(&self) -> &'static str {
        "hand-rolled"
    }

    /// Complete frames: a broadcast is written as the hub encoded it, with no copy.
    fn broadcast_framing(&self) -> BroadcastFraming {
        BroadcastFraming::Frames
    }

    /// One task per connection, and its future is the connection's whole memory while it
    /// idles, so the future is kept small (see "What an idle connection holds" above):
    /// what it captured is boxed, the connection is built by a plain function, and what
    /// only the end needs is boxed when the end comes.
    fn spawn(&self, tasks: &TaskTracker, upgrade: OnUpgrade, connection: AcceptedConnection) {
        // An async block keeps what it captured for as long as it runs, even once it is
        // moved out: boxed, the accepted connection costs the task a pointer for the
        // connection's life instead of its 112 bytes (the box is freed at the 101, by
        // `Connection::accept`).
        let connection = Box::new(connection);
        tasks.spawn(async move {
            let id = connection.registration.id();
            if let Some(upgraded) = upgraded(upgrade, id).await {
                Connection::accept(upgraded, connection).serve().await;
            }
            tracing::info!(connection = id, "websocket closed");
        });
    }
}

/// The socket a connection is served on: the bare one when hyper hands it back, else
/// hyper's wrapper (see [`UpgradedSocket`]). One type for both, so the task holds one
/// `Connection` rather than room for one of each.
type Socket = Either<CountedStream, TokioIo<Upgraded>>;

impl Connection<Socket> {
    /// The connection on the upgraded socket. A plain function, not part of the task's
    /// `async` code: `read_ahead` (and hyper's read buffer behind it) is copied and
    /// dropped here, before the task awaits anything, so no trace of it stays in the task;
    /// so is the box `connection` came in (moved out of in the task, it would be freed
    /// only when the task ends).
    #[expect(
        clippy::boxed_local,
        reason = "the box is the task's capture; unboxed here, it is freed at the 101"
    )]
    fn accept(upgraded: Upgraded, connection: Box<AcceptedConnection>) -> Self {
        let connection = *connection;
        let (io, read_ahead) = match UpgradedSocket::from(upgraded, &connection.stats) {
            UpgradedSocket::Bare(io, read_ahead) => (Either::Left(io), read_ahead),
            UpgradedSocket::Wrapped(io) => (Either::Right(io), Bytes::new()),
        };
        Self::new(io, &read_ahead, connection)
    }
}
// ANCHOR_END: hand_rolled

impl<IO: AsyncRead + AsyncWrite + Unpin + Send> Connection<IO> {
    fn new(io: IO, read_ahead: &[u8], connection: AcceptedConnection) -> Self {
        let AcceptedConnection {
            session,
            registration,
            stats,
            options: opts,
        } = connection;
        Self {
            io,
            codec: FrameCodec::server(opts.limits),
            assembler: MessageAssembler::new(opts.limits),
            // Copied, not converted: `BytesMut::from(Bytes)` would keep hyper's whole read
            // buffer (kilobytes) alive for the connection's life to hold these few bytes.
            read_buf: BytesMut::from(read_ahead),
            cx: SessionContext::new(registration.id(), HandRolled.broadcast_framing()),
            session,
            registration,
            out: Vec::new(),
            out_frames: 0,
            out_has_broadcasts: false,
            write_waited: false,
            stats,
            opts,
        }
    }

    // ANCHOR: serve
    /// Runs the connection until it closes. `&mut self`, not `self`: an `async fn` stores
    /// its arguments apart from its locals, and a `Connection` taken by value would be
    /// in the task twice.
    async fn serve(&mut self) {
        self.session.on_open(&mut self.cx);
        let ending = self.run().await;
        tracing::debug!(
            connection = self.registration.id(),
            ?ending,
            "websocket ending"
        );
        // Boxed now, when it starts: the goodbye's future (its deadline timers, ~400
        // bytes) would otherwise be part of the task for the connection's whole life.
        Box::pin(self.finish(ending)).await;
        // Dropping the connection drops its feeds (leaving every board) and its
        // registration (freeing its slot).
    }
    // ANCHOR_END: serve

    // ANCHOR: main_loop
    async fn run(&mut self) -> Ending {
        let mut feed_closed: Option<CloseCause> = None;
        // How the input ended, if it did: decided while reading, acted on only after
        // what the messages before it produced is written.
        let mut input_ended: Option<Ending> = None;
        if !self.read_buf.is_empty() {
            // Frames that arrived with the upgrade request (`read_ahead`).
            self.stats.received(self.read_buf.len());
            input_ended = self.process_input();
        }
        // Whether the last wake was a hub batch. Broadcasts win only after the read was
        // polled and found nothing (`biased`), so then the socket's read was polled earlier
        // in this same poll of the task, with nothing awaited since (`unless_just_polled`)
        // — and a single board's queue was just drained by that wake: looking at it again
        // in `gather` would be one more lock per delivery for nothing (anything pushed
        // since is found by the wait below).
        let mut woke_for_broadcasts = false;
        loop {
            let feeds_just_drained = woke_for_broadcasts && self.cx.feeds().len() == 1;
            feed_closed = feed_closed.or(self.gather(!feeds_just_drained));
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
            let skip_read = woke_for_broadcasts && !self.write_waited;
            let wake = tokio::select! {
                biased;
                () = poll_fn(|task| self.registration.direct_sends().poll_pending(task)) => Wake::DirectSend,
                read = unless_just_polled(skip_read, |cx| poll_read_some(&mut self.io, &mut self.read_buf, cx)) => {
                    Wake::Read(read)
                }
                taken = next_from_feeds(self.cx.feeds(), &mut self.out) => Wake::Broadcasts(taken),
            };
            woke_for_broadcasts = matches!(wake, Wake::Broadcasts(_));
            match wake {
                // `gather`, at the top of the loop, takes what was sent.
                Wake::DirectSend => {}
                Wake::Read(Ok(0)) => {
                    return Ending::Dropped("the peer closed TCP without a Close frame".into())
                }
                Wake::Read(Ok(n)) => {
                    self.stats.received(n);
                    // Any byte from the peer is proof of life, a Pong or a message
                    // (see `server::liveness`): one relaxed store.
                    self.registration.heard_from_peer();
                    // Replies to the messages before an ending are written first (top of
                    // the loop), as if the bytes had arrived one at a time.
                    input_ended = self.process_input();
                }
                Wake::Read(Err(e)) => return Ending::Dropped(format!("read failed: {e}")),
                Wake::Broadcasts(Ok(messages)) => {
                    self.out_frames += messages;
                    self.out_has_broadcasts = true;
                }
                Wake::Broadcasts(Err(cause)) => feed_closed = Some(cause),
            }
        }
    }
    // ANCHOR_END: main_loop

    // ANCHOR: process_input
    /// Decodes every complete frame in the read buffer and acts on each message, in
    /// order, until the buffer holds no complete frame or the input ends (a Close, a
    /// protocol error, a session's close request).
    fn process_input(&mut self) -> Option<Ending> {
        loop {
            let frame = match self.codec.decode(&mut self.read_buf) {
                Ok(Some(frame)) => frame,
                Ok(None) => {
                    self.release_read_buf();
                    return None;
                }
                Err(e) => return Some(self.fail(e)),
            };
            match self.assembler.push(frame) {
                Ok(None) => {} // a fragment; the message is not complete yet
                Ok(Some(Message::Text(text))) => {
                    self.stats.message_in();
                    self.session.on_text(text, &mut self.cx);
                }
                Ok(Some(Message::Binary(data))) => {
                    self.stats.message_in();
                    self.session.on_binary(data, &mut self.cx);
                }
                // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a
                // Pong frame in response ... The Pong frame sent in response to a Ping frame
                // must have identical Application data as found in the message body of the
                // Ping frame being replied to."
                Ok(Some(Message::Ping(payload))) => self.cx.push(Outgoing::Pong(payload)),
                // §5.5.3: an unsolicited Pong is a heartbeat; "a response to an unsolicited
                // Pong frame is not expected."
                Ok(Some(Message::Pong(_))) => {}
                Ok(Some(Message::Close(frame))) => return Some(Ending::PeerClosed(frame)),
                Err(e) => return Some(self.fail(e)),
            }
            if self.cx.close_requested() {
                return None; // the session asked to close: stop acting on input
            }
        }
    }
    // ANCHOR_END: process_input

    /// Lets go of an empty read buffer once every complete frame was taken from it. The
    /// frames were split off it and share its allocation, so an empty `BytesMut` that
    /// kept it would hold the last read's bytes (and their spare room) for as long as the
    /// connection then stays idle. Kept: a partial frame's bytes, and the exact room the
    /// decoder reserved for a large frame (see [`poll_read_some`]).
    fn release_read_buf(&mut self) {
        if self.read_buf.is_empty() && self.read_buf.capacity() < READ_CHUNK {
            self.read_buf = BytesMut::new();
        }
    }

    /// RFC 6455 §7.1.7, _Fail the WebSocket Connection_: send the Close frame the error
    /// calls for (if the transport still works), then close.
    fn fail(&mut self, err: ProtocolError) -> Ending {
        let code = err.close_code();
        tracing::debug!(error = %err, code = code.code(), "failing the websocket connection");
        if !code.is_sendable() {
            return Ending::Dropped(err.to_string());
        }
        self.stats.protocol_error();
        Ending::Fail(CloseRequest::from_code(code))
    }

    fn push_out(&mut self, frame: Bytes) {
        self.out.push(frame);
        self.out_frames += 1;
    }

    // ANCHOR: gather
    /// Moves everything ready to go into `self.out`: replies first (in the order the
    /// session made them), then direct messages and the heartbeat — these three framed
    /// here, back to back in one buffer — then each board's queued broadcasts, framed
    /// once by the hub (unless `with_feeds` is false). A close request from the direct
    /// sends goes to the session context (the first request wins). Returns the cause if a
    /// board's queue was closed (cut or shutdown).
    fn gather(&mut self, with_feeds: bool) -> Option<CloseCause> {
        // A buffer of their own, handed to `out` whole and freed once written: not one
        // kept between gathers and split, which would keep its allocation (and the rest of
        // its capacity) alive for as long as the connection is idle.
        let (codec, mut framed) = (&mut self.codec, BytesMut::new());
        let mut frames = 0;
        let mut frame = |message| frames += usize::from(frame_into(codec, &mut framed, message));
        self.cx.take_replies().into_iter().for_each(&mut frame);
        let close = self.registration.direct_sends().take(frame);
        if !framed.is_empty() {
            self.out.push(framed.freeze());
            self.out_frames += frames;
        }
        if let Some(request) = close {
            self.cx.close(request.code, request.reason);
        }
        let mut closed = None;
        if !with_feeds {
            return closed;
        }
        for feed in self.cx.feeds() {
            // Take what is queued without waiting for more (and without touching the
            // waker the main loop's wait left). Straight into `out`: no intermediate
            // batch to copy from.
            match feed.queue().try_next_batch(&mut self.out) {
                Some(Ok(messages)) => {
                    self.out_frames += messages;
                    self.out_has_broadcasts = true;
                }
                Some(Err(cause)) => closed = closed.or(Some(cause)),
                None => {}
            }
        }
        closed
    }
    // ANCHOR_END: gather

    // ANCHOR: write_out
    /// Writes `self.out` with vectored writes and one flush, within the send deadline —
    /// unless the hub cuts this connection while the write is blocked: then the unsent
    /// frames are dropped and the connection closes with 1013 (see the module docs).
    async fn write_out(&mut self) -> Result<(), Ending> {
        self.write_within(self.opts.send_timeout, WsStats::slow_consumer)
            .await
    }

    /// Writes `self.out` within `timeout`; a write past it is counted by `past_deadline`
    /// (a slow consumer during the conversation, a close timeout during the goodbye).
    async fn write_within(
        &mut self,
        timeout: Duration,
        past_deadline: fn(&WsStats),
    ) -> Result<(), Ending> {
        self.write_waited = false;
        if self.out.is_empty() {
            return Ok(());
        }
        let mut progress = WriteProgress::default();
        let (io, out) = (&mut self.io, &self.out);
        let mut write = |cx: &mut Context<'_>| poll_write_all(&mut *io, out, &mut progress, cx);
        // One poll first, with no deadline: a socket with room in its send buffer takes
        // the whole write at once (the common case), and a timer armed around it would be
        // a clock read and a timer entry per delivery for nothing. Only a write that
        // blocks — the peer is not reading fast enough — gets the deadline, and watches
        // for the hub's cut. That wait is boxed: it holds a timer, and kept inline it
        // would make every connection's task bigger, idle or not.
        let blocked = match poll_fn(|cx| Poll::Ready(write(cx))).await {
            Poll::Ready(done) => Blocked::Written(done),
            Poll::Pending => {
                self.write_waited = true;
                let feeds = self.cx.feeds();
                Box::pin(async move {
                    tokio::select! {
                    done = tokio::time::timeout(timeout, poll_fn(write)) => {
                        done.map_or(Blocked::PastDeadline, Blocked::Written)
                    }
                    () = cut(feeds) => Blocked::Cut,
                    }
                })
                .await
            }
        };
        let frames = std::mem::take(&mut self.out_frames);
        match blocked {
            Blocked::Written(Ok(())) => {
                self.stats.sent(frames, progress.written);
                self.empty_out();
                Ok(())
            }
            Blocked::Written(Err(e)) => Err(Ending::Dropped(format!("write failed: {e}"))),
            Blocked::PastDeadline => {
                past_deadline(&self.stats);
                Err(Ending::Dropped(format!(
                    "a write did not finish within {} ms: the peer is not reading",
                    timeout.as_millis()
                )))
            }
            Blocked::Cut => {
                // Only the frame the write is in the middle of still goes out; then Close.
                self.stats.sent(0, progress.written);
                self.out = rest_of_frame(&self.out, progress.written);
                Err(Ending::WeClose(close_request_for(
                    CloseCause::SlowConsumer,
                    &self.opts.retry,
                )))
            }
        }
    }

    /// Empties `out` after a write. Its capacity is kept for the next write only when
    /// this one carried broadcasts and was of the usual size: a connection in a fan-out
    /// then allocates nothing per delivery, while one that only got replies or a heartbeat
    /// (an idle connection, at the latest at its next heartbeat) or a burst keeps no list.
    fn empty_out(&mut self) {
        if std::mem::take(&mut self.out_has_broadcasts) && self.out.capacity() <= FEW_SLICES {
            self.out.clear();
        } else {
            self.out = Vec::new();
        }
    }
    // ANCHOR_END: write_out

    /// Sends one Close frame, within the goodbye's deadline. Everything gathered before it
    /// was written already (the main loop writes before it returns) or dropped (a cut);
    /// nothing is sent after it (§5.5.1).
    async fn send_close(
        &mut self,
        code: u16,
        reason: &str,
        deadline: tokio::time::Instant,
    ) -> Result<(), Ending> {
        let mut buf = BytesMut::new();
        if self
            .codec
            .encode(Frame::close(code, reason), &mut buf)
            .is_ok()
        {
            self.push_out(buf.freeze());
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        self.write_within(left.min(self.opts.send_timeout), WsStats::close_timeout)
            .await
    }

    // ANCHOR: finish
    async fn finish(&mut self, ending: Ending) {
        // One deadline for the whole goodbye: the peer's Close, then its FIN.
        let deadline = tokio::time::Instant::now() + self.opts.close_timeout;
        // No broadcast is written after a Close (§5.5.1): leave every board now, so the
        // boards' presence and fan-out forget this connection while it says goodbye.
        self.cx.leave_all_boards();
        match ending {
            Ending::Dropped(why) => {
                tracing::debug!(%why, "websocket dropped without a closing handshake");
                return;
            }
            Ending::PeerClosed(frame) => {
                // RFC 6455 §5.5.1: "When sending a Close frame in response, the endpoint
                // typically echos the status code it received." No code received → 1000.
                // We echo the reason too (it was validated as UTF-8 and fits, §5.5), so
                // the peer's logs show both sides agreeing on why.
                let (code, reason) = frame.map_or((CloseCode::Normal.code(), String::new()), |f| {
                    (f.code, f.reason)
                });
                if self.send_close(code, &reason, deadline).await.is_err() {
                    return;
                }
            }
            Ending::WeClose(request) => {
                if self
                    .send_close(request.code, &request.reason, deadline)
                    .await
                    .is_err()
                {
                    return;
                }
                // RFC 6455 §7.1.2: the closing handshake is complete when the peer's
                // Close arrives; wait for it, within the close deadline.
                if self.await_peer_close(deadline).await {
                    // It has our Close (it answered it) and sends nothing after its own
                    // (§5.5.1): no reset can lose anything now. Dropping the socket sends
                    // FIN (§7.1.1, the server first); no need to wait for the client's.
                    return;
                }
            }
            Ending::Fail(request) => {
                // RFC 6455 §7.1.7: after failing the connection, an endpoint "MUST NOT
                // continue to attempt to process data (including a responding Close
                // frame) from the remote endpoint".
                if self
                    .send_close(request.code, &request.reason, deadline)
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        // RFC 6455 §7.1.1: "the server SHOULD close the underlying TCP connection first".
        self.close_tcp(deadline).await;
    }
    // ANCHOR_END: finish

    /// After our Close: reads until the peer's Close, EOF or the deadline, discarding the
    /// data frames that may still arrive (§7.1.2). Bytes that no longer frame end the wait.
    /// Returns whether the peer's Close arrived (the closing handshake is complete).
    async fn await_peer_close(&mut self, deadline: tokio::time::Instant) -> bool {
        loop {
            loop {
                match self.codec.decode(&mut self.read_buf) {
                    Ok(Some(frame)) if frame.opcode == OpCode::Close => return true,
                    Ok(Some(_)) => {} // data after our Close is discarded (§7.1.2)
                    Ok(None) => break,
                    Err(_) => return false, // not a Close we could recognise: stop waiting
                }
            }
            match tokio::time::timeout_at(deadline, read_some(&mut self.io, &mut self.read_buf))
                .await
            {
                Err(_) => {
                    self.stats.close_timeout();
                    return false;
                }
                Ok(Ok(0)) | Ok(Err(_)) => return false,
                Ok(Ok(n)) => self.stats.received(n),
            }
        }
    }

    // ANCHOR: close_tcp
    /// Closes TCP from our side: FIN at once (the peer reads end-of-stream now, whatever
    /// it does next), then reads and discards until the peer's FIN or the close deadline,
    /// so that no unread byte turns our close into a reset that could destroy the Close
    /// frame still on its way to the peer.
    async fn close_tcp(&mut self, deadline: tokio::time::Instant) {
        if tokio::time::timeout_at(deadline, self.io.shutdown())
            .await
            .map_or(true, |r| r.is_err())
        {
            return; // cannot even send FIN: dropping the socket is all that is left
        }
        self.read_buf = BytesMut::new();
        loop {
            match tokio::time::timeout_at(deadline, read_some(&mut self.io, &mut self.read_buf))
                .await
            {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                Ok(Ok(n)) => {
                    self.stats.received(n);
                    self.read_buf.clear();
                }
            }
        }
    }
    // ANCHOR_END: close_tcp
}

/// Frames `message` at the end of `buf` (one final frame, unmasked: RFC 6455 §5.1, "a
/// server MUST NOT mask any frames that it sends to a client"). Returns whether it was
/// framed: a Ping or Pong over 125 bytes (§5.5) cannot be, which is a bug worth a log
/// line, not a panic.
fn frame_into(codec: &mut FrameCodec, buf: &mut BytesMut, message: Outgoing) -> bool {
    let frame = Frame::new(true, message.opcode(), message.into_payload());
    match codec.encode(frame, buf) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "a message for a client could not be framed");
            false
        }
    }
}

// ANCHOR: read_some
/// Reads what the peer sent and appends it to `buf`, growing `buf` only by what arrived.
///
/// The naive way — `io.read_buf(buf)` after reserving 4 KiB — gives every connection a
/// 4 KiB buffer for as long as it waits, which for an idle connection is forever: 10,000
/// idle WebSockets would hold 40 MiB of empty buffers. Here the 4 KiB are an array on the
/// stack that exists only while one `poll_read` runs (a poll function holds nothing
/// across an `.await`, so it is not part of the task), and what arrived is copied into
/// `buf`: a small copy, paid only when bytes arrive. When `buf` already has room (the
/// decoder reserved a large frame's exact size), we read straight into it.
fn poll_read_some<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<std::io::Result<usize>> {
    if buf.capacity() - buf.len() >= READ_CHUNK {
        // tokio's `read_buf` future keeps no state of its own between polls: a new one
        // per poll is the same read.
        return pin!(io.read_buf(buf)).poll(cx);
    }
    let mut stack = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
    let mut chunk = ReadBuf::uninit(&mut stack);
    ready!(Pin::new(io).poll_read(cx, &mut chunk))?;
    buf.extend_from_slice(chunk.filled());
    Poll::Ready(Ok(chunk.filled().len()))
}
// ANCHOR_END: read_some

/// [`poll_read_some`] as a future, for the goodbye's reads.
async fn read_some<R: AsyncRead + Unpin>(io: &mut R, buf: &mut BytesMut) -> std::io::Result<usize> {
    poll_fn(|cx| poll_read_some(io, buf, cx)).await
}

/// `poll` as a future, except that its first poll is skipped (answered `Pending`) when
/// `skip`.
///
/// For the socket's read in the main loop. A fan-out wakes a connection for a broadcast:
/// the wake-up's poll reads the socket (nothing there), takes the broadcast, writes it and
/// waits again — which would read the empty socket a second time, in the same poll of the
/// task. A read of an empty socket is not free (the runtime checks its readiness and
/// stores the task's waker under a lock), and the profile showed it twice per delivery.
/// Skipping the second one is safe because the first one left this task's waker with the
/// socket, and nothing was awaited since: bytes arriving now wake the task, and its next
/// poll reads them. The loop skips only in that case (a write that had to wait may have
/// taken the wake-up meant for the read, so then it reads again).
fn unless_just_polled<T>(
    mut skip: bool,
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
) -> impl Future<Output = T> {
    poll_fn(move |cx| {
        if std::mem::take(&mut skip) {
            return Poll::Pending;
        }
        poll(cx)
    })
}

/// Most buffers handed to one `writev` (Linux accepts 1024; 64 is plenty per call).
const MAX_SLICES: usize = 64;

/// Buffers in a typical write: a few broadcasts (a frame is one buffer) or a few replies.
const FEW_SLICES: usize = 8;

/// How far [`poll_write_all`] got: `bufs[..done]` are written, and the first `offset`
/// bytes of `bufs[done]`; `written` bytes in all.
#[derive(Debug, Default)]
struct WriteProgress {
    done: usize,
    offset: usize,
    written: usize,
}

// ANCHOR: write_all_vectored
/// Writes every buffer in `bufs`, front to back, in as few system calls as the OS allows
/// (`writev`), then flushes once. `progress` says how far it got, so that a caller who
/// stops waiting knows where the stream stopped (and `bufs` is left untouched).
///
/// A poll function rather than an `async fn`: its state is `progress`, three numbers the
/// caller keeps, so a write that completes at once (the usual case) needs no future at
/// all, and the connection's task does not carry one while it waits for something else.
///
/// The first version built a `Vec<IoSlice>` before each `writev` — an allocation per
/// delivery. The slices only need to live while one `poll_write_vectored` runs, so they
/// sit in an array on the stack inside the poll: an array held across an `.await` would
/// make every connection's task 1 KiB bigger, idle or not.
fn poll_write_all<W: AsyncWrite + Unpin>(
    w: &mut W,
    bufs: &[Bytes],
    progress: &mut WriteProgress,
    cx: &mut Context<'_>,
) -> Poll<std::io::Result<()>> {
    loop {
        // Past finished and empty buffers (a `writev` of nothing but empty slices would
        // return 0 and look like a closed socket).
        while progress.done < bufs.len() && progress.offset == bufs[progress.done].len() {
            progress.done += 1;
            progress.offset = 0;
        }
        if progress.done == bufs.len() {
            break;
        }
        let pending = &bufs[progress.done..];
        // One buffer — the usual fan-out delivery — is a plain `send`: `writev` goes
        // through the VFS (`vfs_writev`, `fdget_pos`, the iovec copied in), and the
        // profile of a 1,000-subscriber fan-out showed that at ~2% of the server's CPU
        // above a `send`. A delivery of several buffers is a small array for `writev`,
        // cheaper to fill than 64 slices (the profile showed their initialisation).
        let n = ready!(if pending.len() == 1 {
            Pin::new(&mut *w).poll_write(cx, &pending[0][progress.offset..])
        } else if pending.len() <= FEW_SLICES {
            poll_writev::<_, FEW_SLICES>(&mut *w, cx, pending, progress.offset)
        } else {
            poll_writev::<_, MAX_SLICES>(&mut *w, cx, pending, progress.offset)
        })?;
        if n == 0 {
            return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
        }
        progress.written += n;
        progress.offset += n;
        while progress.done < bufs.len() && progress.offset >= bufs[progress.done].len() {
            progress.offset -= bufs[progress.done].len();
            progress.done += 1;
        }
    }
    Pin::new(w).poll_flush(cx)
}
// ANCHOR_END: write_all_vectored

/// One `writev` of at most `N` of `pending` (the first from `offset` on), the slices in
/// an array on the stack.
fn poll_writev<W: AsyncWrite + Unpin, const N: usize>(
    w: &mut W,
    cx: &mut std::task::Context<'_>,
    pending: &[Bytes],
    offset: usize,
) -> Poll<std::io::Result<usize>> {
    let mut slices = [IoSlice::new(&[]); N];
    let count = pending.len().min(N);
    slices[0] = IoSlice::new(&pending[0][offset..]);
    for (slice, buf) in slices[1..count].iter_mut().zip(&pending[1..]) {
        *slice = IoSlice::new(buf);
    }
    Pin::new(w).poll_write_vectored(cx, &slices[..count])
}

#[cfg(test)]
mod tests {
    use phase_2_sse::retry::RetryAdvice;

    use super::*;
    use crate::{
        rfc6455::limits::Limits, server::echo::EchoSession, server::registry::ConnectionRegistry,
    };

    /// The frames in `buf`, as a client reads them.
    fn frames_in(buf: &Bytes) -> Vec<(OpCode, Bytes)> {
        let mut client = FrameCodec::client(Limits::default());
        let mut wire = BytesMut::from(&buf[..]);
        let mut frames = Vec::new();
        while let Some(frame) = client.decode(&mut wire).unwrap() {
            frames.push((frame.opcode, frame.payload));
        }
        assert!(wire.is_empty(), "whole frames only");
        frames
    }

    /// An echo connection over `io`, registered in the registry returned beside it.
    fn echo_connection<IO: AsyncRead + AsyncWrite + Unpin + Send>(
        io: IO,
    ) -> (Arc<ConnectionRegistry>, Connection<IO>) {
        let registry = ConnectionRegistry::new(1, Arc::default());
        let accepted = AcceptedConnection {
            session: Box::new(EchoSession),
            registration: registry.register().unwrap(),
            stats: Arc::default(),
            options: ConnectionOptions {
                limits: Limits::default(),
                close_timeout: Duration::from_secs(1),
                send_timeout: Duration::from_secs(1),
                retry: RetryAdvice::fixed(1),
            },
        };
        (registry, Connection::new(io, &[], accepted))
    }

    /// Reads one whole frame from `peer`, as a client.
    async fn next_frame(peer: &mut tokio::io::DuplexStream) -> (OpCode, Bytes) {
        let mut client = FrameCodec::client(Limits::default());
        let mut wire = BytesMut::new();
        loop {
            if let Some(frame) = client.decode(&mut wire).unwrap() {
                return (frame.opcode, frame.payload);
            }
            let read = tokio::time::timeout(Duration::from_secs(5), peer.read_buf(&mut wire));
            assert!(read.await.expect("a frame within 5 s").unwrap() > 0, "EOF");
        }
    }

    #[tokio::test]
    async fn a_gather_frames_replies_then_direct_messages_then_the_heartbeat_in_one_buffer() {
        let (io, _peer) = tokio::io::duplex(64);
        let (registry, mut conn) = echo_connection(io);
        let id = conn.registration.id();
        conn.cx.send_text("reply");
        conn.cx.send_binary(vec![1u8, 2]);
        conn.cx.push(Outgoing::Pong(Bytes::from_static(b"p")));
        registry.send_text(id, "direct").unwrap();
        let heartbeat = [Outgoing::text("beat"), Outgoing::Ping(Bytes::new())];
        registry.for_each_open(|open| open.send_heartbeat(Arc::from(heartbeat.clone())));
        assert_eq!(conn.gather(true), None);
        assert_eq!(
            conn.out.len(),
            1,
            "framed back to back, written as one slice"
        );
        assert_eq!(conn.out_frames, 6);
        let text = |s: &'static str| (OpCode::Text, Bytes::from_static(s.as_bytes()));
        assert_eq!(
            frames_in(&conn.out[0]),
            [
                text("reply"),
                (OpCode::Binary, Bytes::from_static(&[1, 2])),
                (OpCode::Pong, Bytes::from_static(b"p")),
                text("direct"),
                text("beat"),
                (OpCode::Ping, Bytes::new()),
            ]
        );

        // A Ping too long to frame (RFC 6455 §5.5: at most 125 bytes) is logged and
        // skipped; the message after it still goes, and is counted alone.
        conn.out.clear();
        conn.out_frames = 0;
        conn.cx.push(Outgoing::Ping(Bytes::from(vec![0u8; 126])));
        conn.cx.send_text("after");
        conn.gather(true);
        assert_eq!(conn.out_frames, 1);
        assert_eq!(frames_in(&conn.out[0]), [text("after")]);

        // Nothing is framed after a close request (§5.5.1).
        conn.out.clear();
        conn.cx.close(1000u16, "bye");
        conn.cx.send_text("late");
        conn.gather(true);
        assert!(conn.out.is_empty());
    }

    #[tokio::test]
    async fn a_vectored_write_delivers_every_buffer_in_order() {
        let (mut a, mut b) = tokio::io::duplex(8); // tiny: forces many partial writes
        let writer = tokio::spawn(async move {
            let bufs: Vec<Bytes> = ["hello, ", "", "board", "!".repeat(40).as_str()]
                .iter()
                .map(|s| Bytes::from(s.to_string()))
                .collect();
            let mut progress = WriteProgress::default();
            poll_fn(|cx| poll_write_all(&mut a, &bufs, &mut progress, cx))
                .await
                .unwrap();
            assert_eq!(progress.written, 52);
        });
        let mut got = Vec::new();
        let mut chunk = [0u8; 64];
        while got.len() < 52 {
            let n = tokio::time::timeout(Duration::from_secs(5), b.read(&mut chunk))
                .await
                .expect("data within 5 s")
                .unwrap();
            got.extend_from_slice(&chunk[..n]);
        }
        writer.await.unwrap();
        assert_eq!(got, format!("hello, board{}", "!".repeat(40)).into_bytes());
    }

    #[tokio::test]
    async fn more_buffers_than_one_writev_takes_all_arrive_and_empty_ones_are_skipped() {
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let mut bufs: Vec<Bytes> = (0..3 * MAX_SLICES)
            .map(|i| {
                Bytes::from(if i % 7 == 0 {
                    String::new()
                } else {
                    format!("{i},")
                })
            })
            .collect();
        let expected: Vec<u8> = bufs.iter().flat_map(|b| b.to_vec()).collect();
        bufs.push(Bytes::new()); // a trailing empty buffer is not a closed socket
        let mut progress = WriteProgress::default();
        poll_fn(|cx| poll_write_all(&mut a, &bufs, &mut progress, cx))
            .await
            .unwrap();
        assert_eq!(progress.written, expected.len());
        drop(a);
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, expected);
    }

    #[tokio::test]
    async fn a_read_keeps_only_what_arrived_and_appends_after_what_is_buffered() {
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let mut buf = BytesMut::new();
        a.write_all(b"hello").await.unwrap();
        assert_eq!(read_some(&mut b, &mut buf).await.unwrap(), 5);
        assert!(buf.capacity() < READ_CHUNK, "no 4 KiB buffer for 5 bytes");
        a.write_all(b", board").await.unwrap();
        assert_eq!(read_some(&mut b, &mut buf).await.unwrap(), 7);
        assert_eq!(&buf[..], b"hello, board");
        // With room already reserved (a large frame), the read goes straight into it.
        buf.reserve(2 * READ_CHUNK);
        let big = vec![7u8; READ_CHUNK + 10];
        a.write_all(&big).await.unwrap();
        let mut got = 0;
        while got < big.len() {
            got += read_some(&mut b, &mut buf).await.unwrap();
        }
        assert_eq!(buf.len(), 12 + big.len());
        drop(a);
        assert_eq!(read_some(&mut b, &mut buf).await.unwrap(), 0, "EOF");
    }

    #[tokio::test]
    async fn after_answering_a_message_and_a_heartbeat_an_idle_connection_keeps_no_buffer() {
        let (io, mut peer) = tokio::io::duplex(1 << 16);
        let (registry, mut conn) = echo_connection(io);
        let mut client = FrameCodec::client(Limits::default());
        let mut hello = BytesMut::new();
        client.encode(Frame::text("hello"), &mut hello).unwrap();
        // In two reads, so that the read buffer grows past the frame: the frame is split
        // off it and the buffer still has room left, and a reference to the allocation.
        let (head, tail) = hello.split_at(5);
        peer.write_all(head).await.unwrap();
        {
            let mut run = pin!(conn.run());
            // One poll: the loop reads the first five bytes (not yet a frame) and waits.
            let polled = poll_fn(|cx| Poll::Ready(run.as_mut().poll(cx).is_pending()));
            assert!(polled.await, "the connection is still open");
            peer.write_all(tail).await.unwrap();
            // The loop reads, echoes, and goes back to waiting; it is dropped there.
            tokio::select! {
                ending = run => panic!("the connection ended: {ending:?}"),
                echo = next_frame(&mut peer) => assert_eq!(echo, (OpCode::Text, "hello".into())),
            }
        }
        assert_eq!(conn.read_buf.capacity(), 0, "the read's bytes are let go");
        assert_eq!(conn.out.capacity(), 0, "a reply's write list is let go");

        let heartbeat = [Outgoing::text("beat"), Outgoing::Ping(Bytes::new())];
        registry.for_each_open(|open| open.send_heartbeat(Arc::from(heartbeat.clone())));
        {
            let run = conn.run();
            tokio::select! {
                ending = run => panic!("the connection ended: {ending:?}"),
                beat = next_frame(&mut peer) => assert_eq!(beat, (OpCode::Text, "beat".into())),
            }
        }
        assert_eq!(conn.out.capacity(), 0, "a heartbeat's write list is let go");
        assert_eq!(conn.read_buf.capacity(), 0);
    }

    #[tokio::test]
    async fn the_write_list_is_kept_between_broadcasts_and_let_go_after_a_burst() {
        let (io, _peer) = tokio::io::duplex(64);
        let (_registry, mut conn) = echo_connection(io);
        let frame = Bytes::from_static(b"frame");
        conn.out.extend(std::iter::repeat_n(frame.clone(), 4));
        conn.out_has_broadcasts = true;
        conn.empty_out();
        assert!(conn.out.is_empty());
        assert!(conn.out.capacity() >= 4, "kept for the next delivery");

        conn.out
            .extend(std::iter::repeat_n(frame.clone(), FEW_SLICES + 1));
        conn.out_has_broadcasts = true;
        conn.empty_out();
        assert_eq!(conn.out.capacity(), 0, "a burst's list is let go");

        conn.out.push(frame);
        conn.empty_out();
        assert_eq!(conn.out.capacity(), 0, "no broadcast: nothing kept");
    }
}
