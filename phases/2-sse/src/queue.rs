//! A subscriber's queue: a room's broadcasts waiting for one connection, bounded **in
//! bytes**, drained in batches.
//!
//! Fan-out means one producer (a board change) and many consumers (every open stream on
//! that board), each draining at the speed of its own network. The naive design — an
//! unbounded channel per connection — works in every demo and fails in production: one
//! client on a bad train Wi-Fi stops reading, its channel grows by every event of the
//! board, and the server's memory grows until it dies, taking every *other* client with it.
//! This is "the silent lag of an unbounded queue".
//!
//! So each connection's queue has a byte budget (Centrifugo uses 1 MiB). When a push
//! would exceed it, the connection is **cut, not buffered**: the queue drops what it holds
//! (freeing the memory at once), remembers why ([`CloseCause::SlowConsumer`]) and wakes the
//! consumer, which tells its client why it is being disconnected (an SSE comment, a
//! WebSocket close frame) and ends. The client reconnects and resumes from its last event
//! id, so a cut loses nothing.
//!
//! A consumer that is itself stuck — blocked in a write the peer never reads — would not
//! see the cut until its write finished, which for a client that stopped reading is
//! never. So the cut is also announced on its own signal, [`SubscriberQueue::closed`]:
//! the transport waits on it *while* it writes and, once cut, stops waiting on the
//! write, drops the unsent backlog and releases the subscriber's place at once.
//!
//! The consumer takes *everything* queued at once ([`SubscriberQueue::next_batch`]): ten
//! small events become one write and one flush — write coalescing — which is what keeps a
//! busy room cheap.
//!
//! The queue knows nothing of SSE or WebSocket: it holds messages already encoded by a
//! transport's wire format, each an [`Encoded`] — a few [`Bytes`] written back to back,
//! so that a transport can *wrap* an event's JSON (a line break after it) without copying
//! it, as SSE does; or one buffer, joined once per broadcast, as WebSocket does (each part
//! costs every subscriber a reference count). Either way every subscriber's queue holds
//! the very same bytes, never a copy of its own.

use std::{
    future::poll_fn,
    pin::pin,
    sync::Mutex,
    task::{Poll, Waker},
};

use bytes::Bytes;
use tokio::sync::Notify;

/// Why a queue was closed; the transport turns it into its own goodbye.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCause {
    /// The consumer fell more than the byte budget behind.
    SlowConsumer,
    /// The server is shutting down; reconnect elsewhere or later.
    Shutdown,
    /// The server closed this connection on purpose (e.g. a policy).
    Closed,
}

impl CloseCause {
    /// A short explanation for logs and goodbye messages.
    pub fn reason(self) -> &'static str {
        match self {
            CloseCause::SlowConsumer => "slow consumer: fell too far behind the stream",
            CloseCause::Shutdown => "server shutting down",
            CloseCause::Closed => "closed by the server",
        }
    }
}

/// Why a push was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// This push would have exceeded the byte budget; the queue is now closed as
    /// [`CloseCause::SlowConsumer`].
    Overflow,
    /// The queue was already closed.
    Closed,
}

// ANCHOR: encoded
/// One message as a transport writes it: buffers to write back to back, in order.
///
/// A wire format builds one per broadcast and the hub hands the same one to every
/// subscriber of that format; cloning a [`Bytes`] bumps a reference count, so nothing is
/// copied per subscriber — but each part costs every subscriber one reference count (taken
/// when queued, dropped when written) and one slice of its vectored write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoded {
    parts: Vec<Bytes>,
    len: usize,
}

impl Encoded {
    /// A message made of `parts`, in order (empty parts are left out).
    pub fn new(parts: impl IntoIterator<Item = Bytes>) -> Self {
        let parts: Vec<Bytes> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        let len = parts.iter().map(Bytes::len).sum();
        Self { parts, len }
    }

    /// The buffers, in the order they are written.
    pub fn parts(&self) -> &[Bytes] {
        &self.parts
    }

    /// Total bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The parts joined into one buffer: a copy, made once per broadcast by a format that
    /// writes one buffer per message (and by tests and logs).
    pub fn to_bytes(&self) -> Bytes {
        match &self.parts[..] {
            [] => Bytes::new(),
            [one] => one.clone(),
            many => Bytes::from(many.concat()),
        }
    }
}

impl From<Bytes> for Encoded {
    fn from(bytes: Bytes) -> Self {
        Encoded::new([bytes])
    }
}
// ANCHOR_END: encoded

#[derive(Debug, Default)]
struct Inner {
    /// The parts of every queued message, in order. A `Vec`, not a `VecDeque`: the
    /// consumer always takes all of it, so it can take the `Vec` itself (a swap with its
    /// empty batch) or move its elements with one `memcpy` ([`Vec::append`]), where
    /// draining a `VecDeque` moves them one at a time.
    parts: Vec<Bytes>,
    /// How many messages those parts make.
    messages: usize,
    bytes: usize,
    closed: Option<CloseCause>,
    /// The consumer, while it waits in [`SubscriberQueue::next_batch`] for something to
    /// take.
    consumer: Option<Waker>,
}

/// One subscriber's queue of a room's broadcasts, already encoded for its transport.
///
/// Written by the hub (every publish to the room pushes one [`Encoded`] message); read by
/// the one transport task that serves the subscriber (an SSE body, a WebSocket
/// connection), which takes everything queued at once. Bounded in bytes: a push past the
/// budget drops the backlog and closes the queue as [`CloseCause::SlowConsumer`].
///
/// **What a push costs.** A fan-out to 10,000 subscribers pushes 10,000 times per
/// event, so the push is the hub's inner loop. It takes this queue's lock once, and the
/// consumer's wake-up travels *inside* that lock: a waiting consumer leaves its
/// [`Waker`] in the queue, and the push takes it out and wakes it. The first version
/// used a [`Notify`] for this, which keeps its own list of waiters behind its own lock:
/// every delivery then paid three more lock round trips (the push's `notify_one`, the
/// consumer registering, and the registration being dropped when the consumer, having
/// drained the queue, looked once more without waiting): several hundred instructions
/// per delivery in the fan-out profile (the benchmarks chapter, "Fan-out: what the
/// profile showed and what changed"). A fan-out goes one step further: it takes the
/// waker out with [`SubscriberQueue::push_taking_waker`] and wakes every subscriber
/// together once all are pushed, from a worker thread when it can ([`crate::wakeups`]).
///
/// One consumer at a time: the task that serves the subscriber. (A second task waiting
/// in [`SubscriberQueue::next_batch`] at the same time would take the first one's place
/// as the one to wake.)
#[derive(Debug)]
pub struct SubscriberQueue {
    inner: Mutex<Inner>,
    /// Wakes whoever waits in [`SubscriberQueue::closed`]: only the close.
    closing: Notify,
    max_bytes: usize,
}

impl SubscriberQueue {
    /// A queue that holds at most `max_bytes` of pending messages.
    ///
    /// One message larger than the whole budget is still accepted into an *empty* queue:
    /// the budget bounds how far a consumer may lag, not how big a message may be (message
    /// size has its own limit where messages are made).
    pub fn new(max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            closing: Notify::new(),
            max_bytes,
        }
    }

    // ANCHOR: queue_push
    /// Enqueues `message` (sharing its buffers), or cuts the consumer off if it is too
    /// far behind.
    pub fn push(&self, message: &Encoded) -> Result<(), PushError> {
        self.push_taking_waker(message).map(wake)
    }

    /// Like [`SubscriberQueue::push`], but hands the waiting consumer's [`Waker`] (if it
    /// was waiting) back instead of waking it: for a fan-out that wakes many consumers
    /// together ([`crate::wakeups`]). The caller must wake it, or the consumer sleeps on
    /// with a message in its queue. A push that cuts the consumer wakes it at once.
    pub fn push_taking_waker(&self, message: &Encoded) -> Result<Option<Waker>, PushError> {
        let mut inner = self.lock();
        if inner.closed.is_some() {
            return Err(PushError::Closed);
        }
        if inner.messages > 0 && inner.bytes + message.len() > self.max_bytes {
            inner.parts.clear();
            inner.messages = 0;
            inner.bytes = 0;
            inner.closed = Some(CloseCause::SlowConsumer);
            let consumer = inner.consumer.take();
            drop(inner);
            wake(consumer);
            self.closing.notify_waiters();
            return Err(PushError::Overflow);
        }
        inner.bytes += message.len();
        inner.messages += 1;
        inner.parts.extend_from_slice(message.parts());
        // Taken under the lock, woken after it: the woken task may run on another thread
        // and take this lock at once.
        Ok(inner.consumer.take())
    }
    // ANCHOR_END: queue_push

    /// Closes the queue. What is already queued is still delivered first (unless the cause
    /// is a slow consumer, whose backlog was already dropped). The first cause wins.
    pub fn close(&self, cause: CloseCause) {
        let mut inner = self.lock();
        if inner.closed.is_none() {
            inner.closed = Some(cause);
        }
        let consumer = inner.consumer.take();
        drop(inner);
        wake(consumer);
        self.closing.notify_waiters();
    }

    // ANCHOR: queue_closed
    /// Waits until the queue is closed and returns why, taking nothing from it: a second
    /// waiter beside the consumer (or instead of it, while the consumer is stuck in a
    /// write), so a cut is seen at once whatever the consumer is doing.
    pub async fn closed(&self) -> CloseCause {
        let mut notified = pin!(self.closing.notified());
        loop {
            // Registered *before* the check: a close between the check and the await
            // still wakes us (`notify_waiters` stores no permit for latecomers).
            notified.as_mut().enable();
            if let Some(cause) = self.lock().closed {
                return cause;
            }
            notified.as_mut().await;
            notified.set(self.closing.notified());
        }
    }
    // ANCHOR_END: queue_closed

    /// Bytes waiting to be sent.
    pub fn queued_bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Waits until something is queued and moves **all** of it into `out`, the parts of
    /// every message in order (returns how many messages), or until the queue is closed
    /// and empty (returns the cause).
    pub async fn next_batch(&self, out: &mut Vec<Bytes>) -> Result<usize, CloseCause> {
        poll_fn(|cx| {
            let mut inner = self.lock();
            if let Some(taken) = Self::take_from(&mut inner, out) {
                return Poll::Ready(taken);
            }
            // Left under the same lock a push takes: a push after this check finds the
            // waker and wakes us, so nothing is missed. Cloned only when it changed (a
            // connection's task polls with the same waker every time).
            match &inner.consumer {
                Some(waiting) if waiting.will_wake(cx.waker()) => {}
                _ => inner.consumer = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }

    /// [`next_batch`](Self::next_batch) without the wait: takes what is queued (or the
    /// close) if there is any, `None` if not — and leaves the waiting consumer's waker as
    /// it was. (Polling `next_batch` once with `now_or_never` would instead swap in a
    /// no-op waker, and the real one would be cloned back at the next wait.)
    pub fn try_next_batch(&self, out: &mut Vec<Bytes>) -> Option<Result<usize, CloseCause>> {
        Self::take_from(&mut self.lock(), out)
    }

    fn take_from(inner: &mut Inner, out: &mut Vec<Bytes>) -> Option<Result<usize, CloseCause>> {
        if inner.messages > 0 {
            if out.is_empty() {
                // The usual case: the consumer's emptied batch and the queue's parts
                // trade places, nothing is moved (and `out`'s buffer, its capacity
                // kept, is where the next pushes go).
                std::mem::swap(out, &mut inner.parts);
            } else {
                out.append(&mut inner.parts);
            }
            inner.bytes = 0;
            return Some(Ok(std::mem::take(&mut inner.messages)));
        }
        inner.closed.map(Err)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave `Inner` half-updated in a way that
        // matters (each update is a few assignments), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Wakes the consumer taken out of the queue, if one was waiting.
fn wake(consumer: Option<Waker>) {
    if let Some(waker) = consumer {
        waker.wake();
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use futures_util::FutureExt;

    use super::*;

    fn msg(bytes: Bytes) -> Encoded {
        Encoded::from(bytes)
    }

    #[tokio::test]
    async fn a_batch_takes_everything_queued_in_order() {
        let q = SubscriberQueue::new(100);
        q.push(&msg(Bytes::from_static(b"a"))).unwrap();
        q.push(&msg(Bytes::from_static(b"bc"))).unwrap();
        let mut out = Vec::new();
        assert_eq!(q.next_batch(&mut out).await, Ok(2));
        assert_eq!(
            out,
            vec![Bytes::from_static(b"a"), Bytes::from_static(b"bc")]
        );
        assert_eq!(q.queued_bytes(), 0);
    }

    #[tokio::test]
    async fn a_batch_taken_into_a_non_empty_batch_goes_after_what_is_there() {
        let q = SubscriberQueue::new(100);
        q.push(&msg(Bytes::from_static(b"b"))).unwrap();
        let mut out = vec![Bytes::from_static(b"a")];
        assert_eq!(q.next_batch(&mut out).await, Ok(1));
        assert_eq!(out, [Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
        // And the queue still takes pushes after handing its parts over.
        q.push(&msg(Bytes::from_static(b"c"))).unwrap();
        out.clear();
        assert_eq!(q.next_batch(&mut out).await, Ok(1));
        assert_eq!(out, [Bytes::from_static(b"c")]);
    }

    #[tokio::test]
    async fn exceeding_the_byte_budget_cuts_the_consumer_and_frees_the_backlog() {
        let q = SubscriberQueue::new(10);
        q.push(&msg(Bytes::from(vec![0; 6]))).unwrap();
        assert_eq!(
            q.push(&msg(Bytes::from(vec![0; 6]))),
            Err(PushError::Overflow)
        );
        assert_eq!(q.queued_bytes(), 0);
        assert_eq!(
            q.push(&msg(Bytes::from_static(b"x"))),
            Err(PushError::Closed)
        );
        let mut out = Vec::new();
        assert_eq!(q.next_batch(&mut out).await, Err(CloseCause::SlowConsumer));
        assert!(out.is_empty());
    }

    #[tokio::test]
    async fn one_message_bigger_than_the_budget_fits_an_empty_queue() {
        let q = SubscriberQueue::new(4);
        q.push(&msg(Bytes::from(vec![0; 10]))).unwrap();
    }

    #[tokio::test]
    async fn a_shutdown_close_still_delivers_what_was_queued() {
        let q = SubscriberQueue::new(100);
        q.push(&msg(Bytes::from_static(b"last"))).unwrap();
        q.close(CloseCause::Shutdown);
        let mut out = Vec::new();
        assert_eq!(q.next_batch(&mut out).await, Ok(1));
        assert_eq!(out.len(), 1);
        assert_eq!(q.next_batch(&mut out).await, Err(CloseCause::Shutdown));
    }

    #[tokio::test]
    async fn a_cut_wakes_a_closed_waiter_even_while_the_consumer_waits_too() {
        let q = std::sync::Arc::new(SubscriberQueue::new(4));
        let consumer = {
            let q = q.clone();
            tokio::spawn(async move { q.next_batch(&mut Vec::new()).await })
        };
        let watcher = {
            let q = q.clone();
            tokio::spawn(async move { q.closed().await })
        };
        tokio::task::yield_now().await;
        q.push(&msg(Bytes::from_static(b"1234"))).unwrap();
        let wait = std::time::Duration::from_secs(5);
        let taken = tokio::time::timeout(wait, consumer)
            .await
            .expect("consumer woke");
        assert_eq!(taken.unwrap(), Ok(1));
        q.push(&msg(Bytes::from_static(b"12"))).unwrap();
        assert_eq!(
            q.push(&msg(Bytes::from_static(b"345"))),
            Err(PushError::Overflow)
        );
        let cause = tokio::time::timeout(wait, watcher)
            .await
            .expect("watcher woke");
        assert_eq!(cause.unwrap(), CloseCause::SlowConsumer);
        // Already closed: answers at once.
        assert_eq!(q.closed().await, CloseCause::SlowConsumer);
    }

    /// A task that waits on `q` for a batch and returns it; with `look_first` it first
    /// looks without waiting (`now_or_never`, which leaves a waker that wakes nothing).
    fn waiting_consumer(
        q: &std::sync::Arc<SubscriberQueue>,
        look_first: bool,
    ) -> tokio::task::JoinHandle<Vec<Bytes>> {
        let q = q.clone();
        tokio::spawn(async move {
            let mut out = Vec::new();
            if look_first {
                assert!(q.next_batch(&mut out).now_or_never().is_none());
            }
            let _ = q.next_batch(&mut out).await;
            out
        })
    }

    /// What `consumer` took, failing if it is not woken within 5 s.
    async fn taken_by(consumer: tokio::task::JoinHandle<Vec<Bytes>>) -> Vec<Bytes> {
        tokio::time::timeout(std::time::Duration::from_secs(5), consumer)
            .await
            .expect("consumer woke")
            .unwrap()
    }

    #[tokio::test]
    async fn a_waiting_consumer_is_woken_by_a_push_from_another_task() {
        let q = std::sync::Arc::new(SubscriberQueue::new(100));
        let consumer = waiting_consumer(&q, false);
        tokio::task::yield_now().await;
        q.push(&msg(Bytes::from_static(b"wake"))).unwrap();
        assert_eq!(taken_by(consumer).await, vec![Bytes::from_static(b"wake")]);
    }

    #[tokio::test]
    async fn a_consumer_that_looked_without_waiting_is_still_woken_when_it_waits() {
        // It looks at its queue without waiting and then waits: the push must wake the
        // waiting task, not the stale waker.
        let q = std::sync::Arc::new(SubscriberQueue::new(100));
        let consumer = waiting_consumer(&q, true);
        tokio::task::yield_now().await;
        q.push(&msg(Bytes::from_static(b"wake"))).unwrap();
        assert_eq!(taken_by(consumer).await, vec![Bytes::from_static(b"wake")]);
    }

    #[tokio::test]
    async fn looking_without_waiting_leaves_the_waiting_consumers_waker() {
        // The consumer waits; something else looks at the queue without waiting (as a
        // connection's gather does): the next push must still wake the consumer.
        let q = std::sync::Arc::new(SubscriberQueue::new(100));
        let consumer = waiting_consumer(&q, false);
        tokio::task::yield_now().await;
        let mut looked = Vec::new();
        assert_eq!(q.try_next_batch(&mut looked), None);
        q.push(&msg(Bytes::from_static(b"wake"))).unwrap();
        assert_eq!(taken_by(consumer).await, vec![Bytes::from_static(b"wake")]);
        q.push(&msg(Bytes::from_static(b"two"))).unwrap();
        q.close(CloseCause::Shutdown);
        assert_eq!(q.try_next_batch(&mut looked), Some(Ok(1)));
        assert_eq!(looked, vec![Bytes::from_static(b"two")]);
        assert_eq!(
            q.try_next_batch(&mut looked),
            Some(Err(CloseCause::Shutdown))
        );
    }

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountingWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn a_burst_of_pushes_wakes_a_waiting_consumer_once_and_it_takes_the_whole_burst() {
        let q = SubscriberQueue::new(1024);
        let wakes = std::sync::Arc::new(CountingWaker::default());
        let waker = Waker::from(wakes.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let mut out = Vec::new();
        // The consumer waits: nothing queued, its waker left in the queue.
        assert!(pin!(q.next_batch(&mut out)).poll(&mut cx).is_pending());
        for i in 0..50u8 {
            q.push(&msg(Bytes::from(vec![i]))).unwrap();
        }
        // The first push took the waker; the other 49 found none to wake.
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(
            pin!(q.next_batch(&mut out)).poll(&mut cx),
            Poll::Ready(Ok(50))
        );
        assert_eq!(
            out,
            (0..50u8).map(|i| Bytes::from(vec![i])).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_push_that_takes_the_waker_leaves_the_waking_to_its_caller() {
        let q = SubscriberQueue::new(1024);
        let wakes = std::sync::Arc::new(CountingWaker::default());
        let waker = Waker::from(wakes.clone());
        let mut out = Vec::new();
        let waiting = pin!(q.next_batch(&mut out))
            .poll(&mut std::task::Context::from_waker(&waker))
            .is_pending();
        assert!(waiting);
        let taken = q.push_taking_waker(&msg(Bytes::from_static(b"a"))).unwrap();
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::Relaxed), 0);
        assert!(taken
            .expect("the waiting consumer's waker")
            .will_wake(&waker));
        // Nobody waits any more: the next push has no waker to hand back.
        assert!(q
            .push_taking_waker(&msg(Bytes::from_static(b"b")))
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_consumer_on_another_thread_gets_every_push_in_order_and_is_never_left_asleep() {
        // Pushes and the consumer's waits race on two threads: a wake-up lost between the
        // consumer's check and its sleep would hang it (caught by the timeout).
        const MESSAGES: u32 = 20_000;
        let q = std::sync::Arc::new(SubscriberQueue::new(usize::MAX));
        let consumer = {
            let q = q.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let mut got = Vec::new();
                    let mut out = Vec::new();
                    while got.len() < MESSAGES as usize {
                        let wait = std::time::Duration::from_secs(10);
                        tokio::time::timeout(wait, q.next_batch(&mut out))
                            .await
                            .expect("a push woke the consumer")
                            .unwrap();
                        got.extend(
                            out.drain(..)
                                .map(|b| u32::from_be_bytes(b[..].try_into().unwrap())),
                        );
                    }
                    got
                })
            })
        };
        for i in 0..MESSAGES {
            q.push(&msg(Bytes::copy_from_slice(&i.to_be_bytes())))
                .unwrap();
            if i % 64 == 0 {
                std::thread::yield_now();
            }
        }
        assert_eq!(consumer.join().unwrap(), (0..MESSAGES).collect::<Vec<_>>());
    }
}
