//! An event stream on the socket: a response whose body never ends on its own.
//!
//! An SSE response is an ordinary `200 OK` whose body keeps coming. The body is not
//! written through hyper: phase 1 hands the connection over after the head
//! ([`phase_1_foundations::handover`]), so a stream costs its own small state and not
//! hyper's two 8 KiB buffers, and the body is *delimited by the close* (RFC 9112 §6.3):
//! no chunk framing, the event bytes go to the socket as they are. The loop here writes:
//!
//! 1. first, the `retry:` hint (how long the browser waits before reconnecting);
//! 2. then, whenever the subscriber's [`SubscriberQueue`] has something, **everything** it
//!    has, concatenated into one buffer — one write, one system call, however many events
//!    were waiting (write coalescing);
//! 3. after [`StreamOptions::keepalive`] without a write, a `: keep-alive` comment, so
//!    proxies do not close an idle connection and a vanished client is noticed (the
//!    write fails);
//! 4. when the queue is closed (the client fell too far behind), a last comment saying
//!    why — `: closed: slow consumer: …` — and the end: the server closes the connection.
//!    The browser reconnects after `retry` ms with `Last-Event-ID` and resumes where it was;
//! 5. when the server stops (its [`StreamStop`] token is cancelled): everything still
//!    queued, then — if the server has [`ShutdownAdvice`] — a last `retry:` drawn for this
//!    stream alone, so that a restart is not met by every client at the same moment, then
//!    `: closed: server shutting down` and the end.
//!
//! **Leaving.** Everything the stream holds (its hub subscription, its presence entry,
//! its stream slot) lives in the loop's state: when the loop ends, the drops leave the
//! room and announce the leave. No cleanup code path to forget. The loop ends when the
//! client closes its end (the socket reads end-of-file while the loop waits for events),
//! when a write fails, and when the client stops reading:
//!
//! * **cut while writing** — a write blocked on a full socket also watches the queue
//!   ([`SubscriberQueue::closed`]): when the hub cuts the subscriber, the stream lets go
//!   of its holdings at once — the slot is free for a new stream and presence announces
//!   the leave — and then only tries to finish: the write under way and the goodbye comment,
//!   for as long as the write deadline allows;
//! * **a write that never finishes** — one still blocked after twice the keep-alive
//!   interval (30 s by default) means nobody is reading, even on a quiet board where the
//!   queue never fills: the connection is closed rather than held until TCP gives up
//!   (minutes to hours).

use std::{pin::pin, sync::Arc, time::Duration};

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use http::Response;
use phase_1_foundations::{
    body::{self, Body},
    handover::hand_over,
    ShutdownAdvice,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use crate::{
    queue::{CloseCause, SubscriberQueue},
    sse,
};

/// How a stream behaves; see [`crate::config::SseConfig`] for defaults and trade-offs.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Silence after which a keep-alive comment is sent.
    pub keepalive: Duration,
    /// The `retry:` hint sent first, in milliseconds (`None`: send none).
    pub retry_ms: Option<u64>,
    /// How the stream ends when the server stops.
    pub stop: StreamStop,
}

// ANCHOR: stream_stop
/// How a stream ends when the server stops: a token from the server's cancellation tree
/// and, if a later phase provided it, the advice a last `retry:` is drawn from.
#[derive(Debug, Clone, Default)]
pub struct StreamStop {
    /// Cancelled when the event streams must end (never, for a default one).
    pub token: CancellationToken,
    /// Draws this stream's last `retry:` (`None`: the stream ends without one).
    pub advice: Option<ShutdownAdvice>,
}
// ANCHOR_END: stream_stop

/// What one stream holds between writes.
struct State<G> {
    queue: Arc<SubscriberQueue>,
    batch: Vec<Bytes>,
    keepalive: Duration,
    /// When the next keep-alive comment is due (pushed back by every write).
    keepalive_at: Instant,
    stop: StreamStop,
    finished: bool,
    /// Held, never read: the subscription, presence entry and slot, released when the
    /// stream ends or is cut.
    guard: Option<G>,
    /// When the holdings were let go on a cut: the deadline for the last writes runs
    /// from here.
    released_at: Option<Instant>,
}

impl<G> State<G> {
    fn new(queue: Arc<SubscriberQueue>, opts: StreamOptions, guard: G) -> Self {
        let mut batch = Vec::new();
        if let Some(ms) = opts.retry_ms {
            batch.push(sse::retry_hint(ms));
        }
        Self {
            queue,
            batch,
            keepalive: opts.keepalive,
            keepalive_at: Instant::now() + opts.keepalive,
            stop: opts.stop,
            finished: false,
            guard: Some(guard),
            released_at: None,
        }
    }

    /// Lets go of the subscription, presence entry and slot (cut while writing).
    fn release(&mut self) {
        self.guard = None;
        self.released_at = Some(Instant::now());
    }

    /// How long the next write may take: twice the keep-alive interval, counted from
    /// now — or, once cut, from the cut, so the goodbye cannot stretch it.
    fn write_deadline(&self) -> Instant {
        self.released_at.unwrap_or_else(Instant::now) + self.keepalive * 2
    }

    /// The queue is closed: the last write says why, then the stream ends.
    fn finish(&mut self, cause: CloseCause) {
        self.finished = true;
        self.batch
            .push(sse::comment(&format!("closed: {}", cause.reason())));
    }

    /// The server stops: what is queued goes out, then a last `retry:` (drawn for this
    /// stream), then the goodbye.
    fn stop(&mut self) {
        // A closed queue has nothing left to flush: either way the goodbye follows.
        let _ = self.queue.try_next_batch(&mut self.batch);
        if let Some(advice) = &self.stop.advice {
            self.batch.push(sse::retry_hint(advice.retry_ms()));
        }
        self.finish(CloseCause::Shutdown);
    }

    // ANCHOR: next_chunk
    /// The next bytes to write, or `None` when the stream has ended. Cancel-safe: what
    /// is queued is taken only when this returns.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.finished {
            return None;
        }
        let chunk = if !self.batch.is_empty() {
            // The retry hint is waiting: add whatever is queued already, without waiting.
            if let Some(Err(cause)) = self.queue.try_next_batch(&mut self.batch) {
                self.finish(cause);
            }
            concat(&mut self.batch)
        } else {
            tokio::select! {
                // `next_batch` only takes items when it returns, so losing this race to
                // the timer loses nothing: they are still queued for the next round.
                taken = self.queue.next_batch(&mut self.batch) => {
                    if let Err(cause) = taken {
                        self.finish(cause);
                    }
                    concat(&mut self.batch)
                }
                () = self.stop.token.cancelled() => {
                    self.stop();
                    concat(&mut self.batch)
                }
                () = tokio::time::sleep_until(self.keepalive_at) => sse::comment("keep-alive"),
            }
        };
        self.keepalive_at = Instant::now() + self.keepalive;
        Some(chunk)
    }
    // ANCHOR_END: next_chunk
}

// ANCHOR: event_stream
/// A `200` whose body is `queue`'s events: the head goes out through the server, then
/// phase 1 hands the socket to [`serve`]. `guard` is kept until the stream ends.
pub fn event_stream<G: Send + 'static>(
    queue: Arc<SubscriberQueue>,
    opts: StreamOptions,
    guard: G,
) -> Response<Body> {
    let state = State::new(queue, opts, guard);
    let mut res = Response::new(body::empty());
    hand_over(&mut res, move |socket, _read_ahead| serve(state, socket));
    res
}

/// Writes the stream on `socket` until it ends, the client leaves or stops reading.
async fn serve<G, S>(mut st: State<G>, mut socket: S)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // A client sends nothing after its `GET`; whatever arrives is read and dropped, and
    // end-of-file (or an error) means it has gone.
    let mut scratch = [0u8; 64];
    loop {
        let chunk = tokio::select! {
            chunk = st.next_chunk() => chunk,
            read = socket.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            },
        };
        let Some(chunk) = chunk else { break };
        if !write_chunk(&mut st, &mut socket, &chunk).await {
            return;
        }
    }
    // The body is delimited by the close: shutting down our side ends it.
    let _ = socket.shutdown().await;
}

/// Writes one chunk before the write deadline; `false` if it could not. While the stream
/// still holds its place, a cut during the write lets go of it at once.
async fn write_chunk<G, S>(st: &mut State<G>, socket: &mut S, chunk: &[u8]) -> bool
where
    S: AsyncWrite + Unpin,
{
    let mut write = pin!(socket.write_all(chunk));
    // One poll first: a socket with room takes the whole chunk at once (the common case),
    // and a deadline computed around it would be a clock read per write for nothing.
    if let Some(written) = write.as_mut().now_or_never() {
        return written.is_ok();
    }
    let deadline = st.write_deadline();
    if st.guard.is_some() {
        tokio::select! {
            biased;
            written = write.as_mut() => return written.is_ok(),
            () = cut(&st.queue) => st.release(),
            () = tokio::time::sleep_until(deadline) => return false,
        }
    }
    matches!(tokio::time::timeout_at(deadline, write).await, Ok(Ok(())))
}
// ANCHOR_END: event_stream

/// Resolves when the queue is cut for a slow consumer (any other close lets the write
/// finish: the goodbye follows it).
async fn cut(queue: &SubscriberQueue) {
    if queue.closed().await != CloseCause::SlowConsumer {
        std::future::pending::<()>().await;
    }
}

/// One buffer from many: the batch (every part of every message taken) becomes a single
/// write. Joining copies, once per batch; a batch of one buffer is passed on as is.
fn concat(batch: &mut Vec<Bytes>) -> Bytes {
    if batch.len() == 1 {
        return batch.pop().unwrap_or_default();
    }
    let mut buf = BytesMut::with_capacity(batch.iter().map(Bytes::len).sum());
    for b in batch.drain(..) {
        buf.extend_from_slice(&b);
    }
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::DuplexStream;
    use tokio::sync::oneshot;

    fn opts(retry_ms: Option<u64>) -> StreamOptions {
        StreamOptions {
            keepalive: Duration::from_secs(15),
            retry_ms,
            stop: StreamStop::default(),
        }
    }

    async fn chunk<G>(st: &mut State<G>) -> Option<String> {
        let bytes = st.next_chunk().await?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Serves a stream on one end of an in-memory pipe of `capacity` bytes; returns the
    /// other end and a receiver that sees the guard dropped (the stream ended).
    fn serve_on_pipe(
        q: &Arc<SubscriberQueue>,
        opts: StreamOptions,
        capacity: usize,
    ) -> (DuplexStream, oneshot::Receiver<()>) {
        let (client, server) = tokio::io::duplex(capacity);
        let (guard, released) = oneshot::channel::<()>();
        tokio::spawn(serve(State::new(q.clone(), opts, guard), server));
        (client, released)
    }

    #[tokio::test(start_paused = true)]
    async fn the_retry_hint_and_everything_queued_leave_in_one_write() {
        let q = Arc::new(SubscriberQueue::new(1024));
        q.push(&Bytes::from_static(b"data: 1\n\n").into()).unwrap();
        q.push(&Bytes::from_static(b"data: 2\n\n").into()).unwrap();
        let mut st = State::new(q, opts(Some(2000)), ());
        assert_eq!(
            chunk(&mut st).await.unwrap(),
            "retry: 2000\n\ndata: 1\n\ndata: 2\n\n"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_keep_alive_comment_is_sent_after_exactly_the_idle_interval() {
        let q = Arc::new(SubscriberQueue::new(1024));
        let mut st = State::new(q.clone(), opts(None), ());
        let started = Instant::now();
        // Paused time jumps to the next timer: exactly 15 s of (virtual) silence.
        assert_eq!(chunk(&mut st).await.unwrap(), ": keep-alive\n");
        assert_eq!(started.elapsed(), Duration::from_secs(15));
        // A write restarts the clock.
        tokio::time::advance(Duration::from_secs(10)).await;
        q.push(&Bytes::from_static(b"data: x\n\n").into()).unwrap();
        assert_eq!(chunk(&mut st).await.unwrap(), "data: x\n\n");
        let wrote = Instant::now();
        assert_eq!(chunk(&mut st).await.unwrap(), ": keep-alive\n");
        assert_eq!(wrote.elapsed(), Duration::from_secs(15));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cut_queue_ends_the_stream_with_a_comment_saying_why() {
        let q = Arc::new(SubscriberQueue::new(4));
        q.push(&Bytes::from_static(b"1234").into()).unwrap();
        let mut st = State::new(q.clone(), opts(None), ());
        assert_eq!(chunk(&mut st).await.unwrap(), "1234");
        q.push(&Bytes::from_static(b"12").into()).unwrap();
        assert!(q.push(&Bytes::from_static(b"345").into()).is_err()); // over budget: cut
        assert_eq!(
            chunk(&mut st).await.unwrap(),
            format!(": closed: {}\n", CloseCause::SlowConsumer.reason())
        );
        assert!(chunk(&mut st).await.is_none(), "the stream ends");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopping_server_flushes_the_queue_then_sends_a_last_retry_and_ends() {
        let q = Arc::new(SubscriberQueue::new(1024));
        let stop = StreamStop {
            token: CancellationToken::new(),
            advice: Some(ShutdownAdvice(phase_1_foundations::RetryAdvice::fixed(
                1234,
            ))),
        };
        let (mut client, released) = serve_on_pipe(
            &q,
            StreamOptions {
                stop: stop.clone(),
                ..opts(None)
            },
            1024,
        );
        q.push(&Bytes::from_static(b"data: last\n\n").into())
            .unwrap();
        stop.token.cancel();
        // Read to the end: the stream's end is the server shutting its side down.
        let mut seen = String::new();
        tokio::time::timeout(Duration::from_secs(60), client.read_to_string(&mut seen))
            .await
            .expect("the stream ended")
            .unwrap();
        assert_eq!(
            seen,
            "data: last\n\nretry: 1234\n\n: closed: server shutting down\n"
        );
        released.await.unwrap_err();
    }

    #[tokio::test]
    async fn a_client_that_closes_its_end_ends_the_stream_and_its_holdings() {
        let q = Arc::new(SubscriberQueue::new(1024));
        let (client, released) = serve_on_pipe(&q, opts(None), 1024);
        drop(client);
        // No event and no keep-alive is due: only the end-of-file can end the stream.
        tokio::time::timeout(Duration::from_secs(5), released)
            .await
            .expect("the stream ended when the client went away")
            .unwrap_err();
    }

    #[tokio::test]
    async fn a_cut_while_blocked_in_a_write_lets_go_at_once_then_says_goodbye() {
        let q = Arc::new(SubscriberQueue::new(16));
        // A client that stops reading, behind a pipe that holds 4 bytes.
        let (mut client, released) = serve_on_pipe(&q, opts(None), 4);
        q.push(&Bytes::from_static(b"0123456789").into()).unwrap();
        // Wait until the stream has taken it (and is stuck writing it).
        while q.queued_bytes() > 0 {
            tokio::task::yield_now().await;
        }
        q.push(&Bytes::from_static(b"0123456789").into()).unwrap();
        assert!(q.push(&Bytes::from_static(b"0123456789").into()).is_err()); // cut
        tokio::time::timeout(Duration::from_secs(5), released)
            .await
            .expect("the stream let go of its holdings on the cut")
            .unwrap_err();
        // When the client reads again: the write under way, the goodbye, the end.
        let mut seen = String::new();
        tokio::time::timeout(Duration::from_secs(5), client.read_to_string(&mut seen))
            .await
            .expect("the write and the goodbye arrived, then the end")
            .unwrap();
        assert_eq!(
            seen,
            format!(": closed: {}\n", CloseCause::SlowConsumer.reason())
                .replace(": closed", "0123456789: closed")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_blocked_for_two_keep_alive_intervals_closes_the_stream() {
        let q = Arc::new(SubscriberQueue::new(1024));
        let (_client, released) = serve_on_pipe(&q, opts(None), 4);
        let started = Instant::now();
        q.push(&Bytes::from_static(b"0123456789").into()).unwrap();
        // Nothing else is pushed, so the queue is never cut: only the write deadline
        // can end this stream. Paused time jumps to it.
        // A minute of (virtual) time: a missing deadline fails here instead of hanging.
        tokio::time::timeout(Duration::from_secs(60), released)
            .await
            .expect("the blocked write was given up")
            .unwrap_err();
        assert!(started.elapsed() >= Duration::from_secs(30));
    }
}
