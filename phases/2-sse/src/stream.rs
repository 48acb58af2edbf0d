//! The response body of an event stream: a body that never ends on its own.
//!
//! An SSE response is an ordinary `200 OK` whose body keeps coming. hyper asks the body
//! for its next frame whenever the socket can take more; our body answers with:
//!
//! 1. first, the `retry:` hint (how long the browser waits before reconnecting);
//! 2. then, whenever the subscriber's [`SubscriberQueue`] has something, **everything** it
//!    has, concatenated into one frame — one write, one chunk, however many events were
//!    waiting (write coalescing);
//! 3. after [`StreamOptions::keepalive`] without a write, a `: keep-alive` comment, so
//!    proxies do not close an idle connection and a vanished client is noticed (the
//!    write fails);
//! 4. when the queue is closed (the client fell too far behind), a last comment saying
//!    why — `: closed: slow consumer: …` — and the end of the body. The browser
//!    reconnects after `retry` ms with `Last-Event-ID` and resumes where it was;
//! 5. when the server stops (its [`StreamStop`] token is cancelled): everything still
//!    queued, then — if the server has [`ShutdownAdvice`] — a last `retry:` drawn for this
//!    stream alone, so that a restart is not met by every client at the same moment, then
//!    `: closed: server shutting down` and the end of the body.
//!
//! **Leaving.** Everything the stream holds (its hub subscription, its presence entry,
//! its stream slot) lives inside the body. When the client goes away, hyper notices the
//! closed socket and drops the body; the drops leave the room and announce the leave.
//! No cleanup code path to forget.
//!
//! **Leaving when cut.** hyper asks the body for more only when the socket can take more,
//! so the body of a client that stopped reading is never asked again: it would hear of
//! its cut (step 4) only when the client reads — perhaps never — and until then hold its
//! slot and stay listed as present. So the holdings sit in a [`Holdings`] shared with a
//! small watcher task that waits on the queue's [`SubscriberQueue::closed`] and, on a
//! cut, lets go of them at once: the slot is free for a new stream and presence announces
//! the leave. The body itself still ends with its last comment when (if) hyper asks again.
//! The response says `Connection: close`, so a body that ended closes its connection.

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::{Bytes, BytesMut};
use futures_util::{stream, FutureExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use phase_1_foundations::{Body, ShutdownAdvice};
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

// ANCHOR: holdings
/// What a stream holds (subscription, presence entry, slot), released by whichever comes
/// first: the body's drop, or the watcher seeing the queue cut.
struct Holdings<G>(Mutex<Option<G>>);

impl<G> Holdings<G> {
    fn release(&self) {
        // Taken under the lock, dropped after it: the drop leaves the room, which takes
        // the hub's locks.
        let held = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(held);
    }
}

/// Spawns the watcher: on a cut, release the holdings now rather than when hyper next
/// polls the body. It ends when the queue closes for any reason — the body's drop closes
/// it — so it never outlives the stream.
fn release_when_cut<G: Send + 'static>(queue: Arc<SubscriberQueue>, holdings: Arc<Holdings<G>>) {
    tokio::spawn(async move {
        if queue.closed().await == CloseCause::SlowConsumer {
            holdings.release();
        }
    });
}
// ANCHOR_END: holdings

struct State<G> {
    queue: Arc<SubscriberQueue>,
    batch: Vec<Bytes>,
    keepalive: Duration,
    stop: StreamStop,
    finished: bool,
    /// Held, never read: released when the body is dropped (or on a cut, by the watcher).
    holdings: Arc<Holdings<G>>,
}

impl<G> Drop for State<G> {
    fn drop(&mut self) {
        self.holdings.release();
        // Ends the watcher (a cut queue stays cut: the first cause wins).
        self.queue.close(CloseCause::Closed);
    }
}

impl<G> State<G> {
    /// The queue is closed: the last write says why, then the body ends.
    fn finish(&mut self, cause: CloseCause) {
        self.finished = true;
        self.batch
            .push(sse::comment(&format!("closed: {}", cause.reason())));
    }

    /// The server stops: what is queued goes out, then a last `retry:` (drawn for this
    /// stream), then the goodbye.
    fn stop(&mut self) {
        // A closed queue has nothing left to flush: either way the goodbye follows.
        let _ = self.queue.next_batch(&mut self.batch).now_or_never();
        if let Some(advice) = &self.stop.advice {
            self.batch.push(sse::retry_hint(advice.retry_ms()));
        }
        self.finish(CloseCause::Shutdown);
    }
}

// ANCHOR: event_stream
/// A streaming body draining `queue`. `guard` is kept alive as long as the body is, or
/// until the queue is cut for a slow consumer, whichever ends first.
pub fn event_stream<G: Send + 'static>(
    queue: Arc<SubscriberQueue>,
    opts: StreamOptions,
    guard: G,
) -> Body {
    let mut batch = Vec::new();
    if let Some(ms) = opts.retry_ms {
        batch.push(sse::retry_hint(ms));
    }
    let holdings = Arc::new(Holdings(Mutex::new(Some(guard))));
    release_when_cut(queue.clone(), holdings.clone());
    let state = State {
        queue,
        batch,
        keepalive: opts.keepalive,
        stop: opts.stop,
        finished: false,
        holdings,
    };
    let frames = stream::unfold(state, |mut st| async move {
        if st.finished {
            return None; // ends the body: hyper writes the last chunk
        }
        let chunk = if !st.batch.is_empty() {
            // The retry hint is waiting: add whatever is queued already, without waiting.
            if let Some(Err(cause)) = st.queue.next_batch(&mut st.batch).now_or_never() {
                st.finish(cause);
            }
            concat(&mut st.batch)
        } else {
            tokio::select! {
                // `next_batch` only takes items when it returns, so losing this race to
                // the timer loses nothing: they are still queued for the next round.
                taken = st.queue.next_batch(&mut st.batch) => {
                    if let Err(cause) = taken {
                        st.finish(cause);
                    }
                    concat(&mut st.batch)
                }
                () = st.stop.token.cancelled() => {
                    st.stop();
                    concat(&mut st.batch)
                }
                () = tokio::time::sleep(st.keepalive) => sse::comment("keep-alive"),
            }
        };
        Some((Ok::<_, Infallible>(Frame::data(chunk)), st))
    });
    StreamBody::new(frames).boxed_unsync()
}
// ANCHOR_END: event_stream

/// One buffer from many: the batch (every part of every message taken) becomes a single
/// chunk and so a single write. Joining copies, once per batch; a batch of one buffer is
/// passed on as is.
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
    use std::sync::atomic::{AtomicBool, Ordering};

    async fn next_chunk(body: &mut Body) -> Option<String> {
        let frame = body.frame().await?.ok()?;
        let data = frame.into_data().ok()?;
        Some(String::from_utf8_lossy(&data).into_owned())
    }

    fn opts(retry_ms: Option<u64>) -> StreamOptions {
        StreamOptions {
            keepalive: Duration::from_secs(15),
            retry_ms,
            stop: StreamStop::default(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_retry_hint_and_everything_queued_leave_in_one_write() {
        let q = Arc::new(SubscriberQueue::new(1024));
        q.push(&Bytes::from_static(b"data: 1\n\n").into()).unwrap();
        q.push(&Bytes::from_static(b"data: 2\n\n").into()).unwrap();
        let mut body = event_stream(q, opts(Some(2000)), ());
        assert_eq!(
            next_chunk(&mut body).await.unwrap(),
            "retry: 2000\n\ndata: 1\n\ndata: 2\n\n"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_keep_alive_comment_is_sent_after_exactly_the_idle_interval() {
        let q = Arc::new(SubscriberQueue::new(1024));
        let mut body = event_stream(q.clone(), opts(None), ());
        let started = tokio::time::Instant::now();
        // Paused time jumps to the next timer: exactly 15 s of (virtual) silence.
        assert_eq!(next_chunk(&mut body).await.unwrap(), ": keep-alive\n");
        assert_eq!(started.elapsed(), Duration::from_secs(15));
        // A write restarts the clock.
        tokio::time::advance(Duration::from_secs(10)).await;
        q.push(&Bytes::from_static(b"data: x\n\n").into()).unwrap();
        assert_eq!(next_chunk(&mut body).await.unwrap(), "data: x\n\n");
        let wrote = tokio::time::Instant::now();
        assert_eq!(next_chunk(&mut body).await.unwrap(), ": keep-alive\n");
        assert_eq!(wrote.elapsed(), Duration::from_secs(15));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cut_queue_ends_the_body_with_a_comment_saying_why() {
        let q = Arc::new(SubscriberQueue::new(4));
        q.push(&Bytes::from_static(b"1234").into()).unwrap();
        let mut body = event_stream(q.clone(), opts(None), ());
        assert_eq!(next_chunk(&mut body).await.unwrap(), "1234");
        q.push(&Bytes::from_static(b"12").into()).unwrap();
        assert!(q.push(&Bytes::from_static(b"345").into()).is_err()); // over budget: cut
        assert_eq!(
            next_chunk(&mut body).await.unwrap(),
            format!(": closed: {}\n", CloseCause::SlowConsumer.reason())
        );
        assert!(body.frame().await.is_none(), "the body ends");
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
        let mut body = event_stream(
            q.clone(),
            StreamOptions {
                stop: stop.clone(),
                ..opts(None)
            },
            (),
        );
        q.push(&Bytes::from_static(b"data: last\n\n").into())
            .unwrap();
        stop.token.cancel();
        let mut seen = String::new();
        while let Some(chunk) = next_chunk(&mut body).await {
            seen.push_str(&chunk);
        }
        assert_eq!(
            seen,
            "data: last\n\nretry: 1234\n\n: closed: server shutting down\n"
        );
    }

    #[tokio::test]
    async fn a_cut_releases_the_guard_at_once_though_the_body_is_never_polled() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let q = Arc::new(SubscriberQueue::new(4));
        let body = event_stream(q.clone(), opts(None), tx);
        q.push(&Bytes::from_static(b"1234").into()).unwrap();
        assert!(q.push(&Bytes::from_static(b"5").into()).is_err()); // over budget: cut
                                                                    // The guard's drop closes the channel: the receiver sees it without any poll of
                                                                    // the body (as with a client whose socket is full).
        tokio::time::timeout(Duration::from_secs(5), rx)
            .await
            .expect("the guard was released")
            .unwrap_err();
        drop(body);
    }

    #[tokio::test]
    async fn dropping_the_body_drops_the_guard() {
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let body = event_stream(
            Arc::new(SubscriberQueue::new(8)),
            opts(None),
            Flag(dropped.clone()),
        );
        assert!(!dropped.load(Ordering::SeqCst));
        drop(body);
        assert!(dropped.load(Ordering::SeqCst));
    }
}
