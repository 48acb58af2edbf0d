//! The writer: one dedicated thread that applies every change, in order, then publishes it.
//!
//! ```text
//!  connection tasks ──submit(op)──▶ bounded queue ──▶ writer thread
//!                                                     │ store.apply(op): one transaction, fsync
//!                                                     │ publisher.publish(board, event)
//!                                                     └ reply(outcome) ──▶ the client's ack
//! ```
//!
//! **Why a thread, not `spawn_blocking` per change.** SQLite is a blocking library and a
//! commit waits for an `fsync` (milliseconds): it must not run on the async worker threads,
//! where it would stall every other connection that worker serves. `spawn_blocking` would
//! move it off them, but many changes would then run at once on many threads, queueing on
//! SQLite's single write lock in no particular order. One thread that owns all writes gives
//! us, for free, the property the whole phase rests on: **changes are committed and
//! published in the same order, one at a time**. Sequence numbers are handed out in commit
//! order, and `Hub::publish_at` sees them in that order, so every subscriber — live or
//! replaying — sees one history. (Reads — snapshots, board lists — do use
//! `spawn_blocking`: they can run side by side on SQLite's reader connection.)
//!
//! **Two seams, no knowledge of what is behind them.** The writer talks to the store
//! through [`BoardStore`] and tells the world through a [`BoardPublisher`]
//! ([`crate::publish`]): the embedded store and this server's hub here, a shared store
//! and a message bus to every server in phase 7. The store's calls are futures; the
//! thread waits for each one (`wait`) before it takes the next job — for the embedded
//! store the change runs right there, on this thread, as it always has.
//!
//! **Commit, then publish, then answer.** The event is published only after it is durable,
//! so a client that saw it can always find it again in the log; the ack is sent last, so
//! an acknowledged change is on disk. A client may receive its own broadcast before its
//! ack: both carry the `opId`.
//!
//! **Bounded.** The queue holds `LIVEBOARD_BOARD_WRITE_QUEUE` changes; when the disk falls
//! behind, further changes are refused at once (`unavailable`, retry with the same opId)
//! rather than piling up in memory. Production would also batch commits (group commit:
//! one fsync for every change waiting), which this one-at-a-time loop leaves out.
//!
//! **Chat lines take the same queue.** A board's log numbers *every* event of its room,
//! so a chat line (phase 2's `POST .../messages`, phase 3's `publish`) is a job here too
//! ([`Writer::append`]): appended at the next sequence number between the note changes,
//! committed, then published like them, before the next job runs.

use std::{
    future::Future,
    pin::pin,
    sync::{
        mpsc::{self, Receiver, SyncSender, TrySendError},
        Arc, Mutex, MutexGuard,
    },
    task::{Context, Poll, Wake, Waker},
    thread::{JoinHandle, Thread},
    time::{SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use phase_2_sse::hub::{Numbered, RecordError};

use crate::{
    publish::BoardPublisher,
    rules::{NoteOp, RuleLimits},
    store::{Appended, BoardStore, Outcome, StoreError},
};

/// What to do with a change's outcome (send the client its answer).
pub type Reply = Box<dyn FnOnce(Result<Outcome, StoreError>) + Send>;

enum Job {
    /// A note change, answered with its outcome.
    Change { op: NoteOp, reply: Reply },
    /// A chat line, answered with what its publish did.
    Line {
        board: String,
        event: String,
        data: Bytes,
        numbered: Numbered,
    },
}

/// Why a change could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The queue is full: the store is behind.
    #[error("the store is busy ({0} changes waiting)")]
    Busy(usize),
    /// The writer has stopped (shutdown, or it failed).
    #[error("the store has stopped accepting changes")]
    Stopped,
}

/// The handle to the writer thread.
pub struct Writer {
    jobs: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    capacity: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Writer {
    /// Starts the writer thread: changes are applied to `store` and published through
    /// `publisher`. Started inside a tokio runtime, the thread enters it, so a store's
    /// futures may use tokio's I/O and timers.
    pub fn spawn(
        store: Arc<dyn BoardStore>,
        publisher: Arc<dyn BoardPublisher>,
        limits: RuleLimits,
        capacity: usize,
    ) -> Self {
        let capacity = capacity.max(1);
        let (jobs, queue) = mpsc::sync_channel(capacity);
        let runtime = tokio::runtime::Handle::try_current().ok();
        let thread = std::thread::Builder::new()
            .name("liveboard-writer".into())
            .spawn(move || {
                let _entered = runtime.as_ref().map(tokio::runtime::Handle::enter);
                run(store.as_ref(), publisher.as_ref(), &limits, queue)
            })
            .map_err(|e| tracing::error!(error = %e, "cannot start the writer thread"))
            .ok();
        Self {
            jobs: Mutex::new(thread.as_ref().map(|_| jobs)),
            thread: Mutex::new(thread),
            capacity,
        }
    }

    /// Queues a change; `reply` is called with its outcome, on the writer thread.
    pub fn submit(&self, op: NoteOp, reply: Reply) -> Result<(), SubmitError> {
        self.queue(Job::Change { op, reply }).map_err(|(e, _)| e)
    }

    /// Queues a chat line for `board`'s log; `numbered` is called on the writer thread
    /// with its sequence number once committed, or at once if it cannot be queued.
    pub fn append(&self, board: &str, event: &str, data: Bytes, numbered: Numbered) {
        let job = Job::Line {
            board: board.to_owned(),
            event: event.to_owned(),
            data,
            numbered,
        };
        if let Err((e, refused)) = self.queue(job) {
            if let Job::Line { numbered, .. } = *refused {
                numbered(Err(RecordError::Unavailable(e.to_string())));
            }
        }
    }

    /// Queues `job`, or gives it back (boxed: a job is large) with why not.
    fn queue(&self, job: Job) -> Result<(), (SubmitError, Box<Job>)> {
        let jobs = lock(&self.jobs);
        let Some(jobs) = jobs.as_ref() else {
            return Err((SubmitError::Stopped, Box::new(job)));
        };
        match jobs.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(job)) => Err((SubmitError::Busy(self.capacity), Box::new(job))),
            Err(TrySendError::Disconnected(job)) => Err((SubmitError::Stopped, Box::new(job))),
        }
    }

    /// Stops accepting changes, lets the writer finish those queued, and waits for it.
    /// Blocks: call it at shutdown, after the server has stopped.
    pub fn close(&self) {
        drop(lock(&self.jobs).take());
        if let Some(thread) = lock(&self.thread).take() {
            if thread.join().is_err() {
                tracing::error!("the writer thread panicked");
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Without joining: dropping may happen on an async thread. The thread ends once
        // the queue is drained.
        drop(lock(&self.jobs).take());
    }
}

// ANCHOR: writer_loop
fn run(
    store: &dyn BoardStore,
    publisher: &dyn BoardPublisher,
    limits: &RuleLimits,
    queue: Receiver<Job>,
) {
    for job in queue {
        let (op, reply) = match job {
            Job::Change { op, reply } => (op, reply),
            Job::Line {
                board,
                event,
                data,
                numbered,
            } => {
                append_line(store, publisher, limits, &board, &event, data, numbered);
                continue;
            }
        };
        let outcome = wait(store.apply(&op, limits, now_ms()));
        match &outcome {
            Ok(Outcome::Applied { event, .. }) => {
                // Durable now. Publish before answering, in commit order (this thread is
                // the only writer), at the sequence number the log gave the event.
                publisher.publish(op.board(), event);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(board = op.board(), op = op.op_id(), error = %e, "store failed")
            }
        }
        reply(outcome);
    }
    tracing::debug!("writer stopped: no more changes");
}
// ANCHOR_END: writer_loop

/// Commits a chat line, publishes it, then hands what the publish did to `numbered` (phase
/// 2's hub, [`phase_2_sse::hub::Hub::publish_recorded`]) — before the next job: commit order.
fn append_line(
    store: &dyn BoardStore,
    publisher: &dyn BoardPublisher,
    limits: &RuleLimits,
    board: &str,
    event: &str,
    data: Bytes,
    numbered: Numbered,
) {
    let result = match wait(store.append(board, event, data, limits, now_ms())) {
        Ok(Appended::Logged(logged)) => Ok(publisher.publish(board, &logged)),
        Ok(Appended::Refused(rejection)) => Err(RecordError::Refused(rejection.detail)),
        Err(StoreError::Unavailable(why)) => Err(RecordError::Unavailable(why)),
        Err(e) => {
            tracing::error!(board, error = %e, "store failed to append a chat line");
            Err(RecordError::Failed(e.to_string()))
        }
    };
    numbered(result);
}

/// Wakes the writer thread when the future it waits for can make progress.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Waits on this thread for `future`: polls it, and sleeps until woken while it is not
/// ready. The writer waits for one store call at a time — that is its job. The embedded
/// store's futures are ready at the first poll (the work happens inside it).
fn wait<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{channel, Receiver, Sender};

    use phase_2_sse::{
        hub::{HubLimits, Message, WireFormat},
        queue::Encoded,
    };

    use phase_2_sse::hub::Hub;

    use super::*;
    use crate::{
        embedded::Embedded,
        events::LoggedEvent,
        history::LogHistory,
        memory::MemoryStore,
        protocol::{CreateNote, NoteAck},
        publish::LocalPublisher,
        store::{BlockingStore, BoardCursor, BoardRow, LogReader, Snapshot},
    };

    /// A memory store whose writes wait for a permit, and say when one is waiting.
    struct Gated {
        inner: MemoryStore,
        entered: Mutex<Sender<()>>,
        permits: Mutex<Receiver<()>>,
    }

    impl LogReader for Gated {
        fn head(&self, board: &str) -> Result<u64, StoreError> {
            self.inner.head(board)
        }
        fn events(&self, b: &str, a: u64, t: u64) -> Result<Vec<LoggedEvent>, StoreError> {
            self.inner.events(b, a, t)
        }
    }

    impl BlockingStore for Gated {
        fn epoch(&self) -> &str {
            self.inner.epoch()
        }
        fn apply(&self, op: &NoteOp, l: &RuleLimits, now: u64) -> Result<Outcome, StoreError> {
            let _ = lock(&self.entered).send(());
            let _ = lock(&self.permits).recv();
            self.inner.apply(op, l, now)
        }
        fn append(
            &self,
            b: &str,
            e: &str,
            d: Bytes,
            l: &RuleLimits,
            now: u64,
        ) -> Result<Appended, StoreError> {
            let _ = lock(&self.entered).send(());
            let _ = lock(&self.permits).recv();
            self.inner.append(b, e, d, l, now)
        }
        fn snapshot(&self, board: &str) -> Result<Snapshot, StoreError> {
            self.inner.snapshot(board)
        }
        fn boards(&self, a: Option<&BoardCursor>, l: usize) -> Result<Vec<BoardRow>, StoreError> {
            self.inner.boards(a, l)
        }
        fn find_op(&self, b: &str, o: &str) -> Result<Option<NoteAck>, StoreError> {
            self.inner.find_op(b, o)
        }
    }

    fn create(op: &str) -> NoteOp {
        NoteOp::NoteCreate(CreateNote {
            board: "b".into(),
            op_id: op.into(),
            note_id: op.into(),
            text: String::new(),
            color: "#ffffff".into(),
            column: "Todo".into(),
            order: 0.0,
            author: "Ana".into(),
        })
    }

    #[test]
    fn a_full_queue_refuses_at_once_and_close_finishes_what_was_queued_in_order() {
        let (entered_tx, entered) = channel();
        let (permit, permits) = channel();
        let store: Arc<dyn BoardStore> = Arc::new(Embedded::new(Gated {
            inner: MemoryStore::new(),
            entered: Mutex::new(entered_tx),
            permits: Mutex::new(permits),
        }));
        let hub = Hub::with_history(
            HubLimits::default(),
            Arc::new(LogHistory::new(store.as_ref(), 100)),
        );
        let limits = RuleLimits {
            max_text_chars: 10,
            max_notes: 10,
            max_boards: 100,
        };
        let publisher = Arc::new(LocalPublisher::new(hub.clone()));
        let writer = Writer::spawn(store, publisher, limits, 1);
        let (done_tx, done) = channel::<u64>();
        let reply = |tx: Sender<u64>| -> Reply {
            Box::new(move |outcome| {
                if let Ok(Outcome::Applied { ack, .. }) = outcome {
                    let _ = tx.send(ack.seq);
                }
            })
        };
        writer.submit(create("a"), reply(done_tx.clone())).unwrap();
        entered.recv().unwrap(); // the writer holds "a", waiting on the disk
        writer.submit(create("b"), reply(done_tx.clone())).unwrap(); // queued
        assert_eq!(
            writer.submit(create("c"), reply(done_tx.clone())),
            Err(SubmitError::Busy(1))
        );
        permit.send(()).unwrap();
        permit.send(()).unwrap();
        writer.close();
        assert_eq!(done.try_iter().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(hub.position("b").seq, 2, "both were published");
        assert_eq!(
            writer.submit(create("d"), reply(done_tx)),
            Err(SubmitError::Stopped)
        );
    }

    #[tokio::test]
    async fn the_json_built_in_the_transaction_is_the_very_bytes_subscribers_get() {
        /// Writes an event's data as is, so the test sees what the hub handed over.
        struct AsIs;
        impl WireFormat for AsIs {
            fn name(&self) -> &'static str {
                "as-is"
            }
            fn encode(&self, msg: &Message) -> Encoded {
                msg.data.clone().into()
            }
        }
        let store: Arc<dyn BoardStore> = Arc::new(Embedded::new(MemoryStore::new()));
        let hub = Hub::with_history(
            HubLimits::default(),
            Arc::new(LogHistory::new(store.as_ref(), 100)),
        );
        let (subscriber, _) = hub.subscribe("b", Arc::new(AsIs), None, 1 << 20);
        let mut parts = Vec::new();
        subscriber.queue().next_batch(&mut parts).await.unwrap(); // `ready`
        let writer = Writer::spawn(
            store,
            Arc::new(LocalPublisher::new(hub.clone())),
            RuleLimits {
                max_text_chars: 10,
                max_notes: 10,
                max_boards: 100,
            },
            4,
        );
        let (logged_tx, logged) = channel::<Bytes>();
        writer
            .submit(
                create("a"),
                Box::new(move |outcome| {
                    if let Ok(Outcome::Applied { event, .. }) = outcome {
                        let _ = logged_tx.send(event.data);
                    }
                }),
            )
            .unwrap();
        let logged = tokio::task::spawn_blocking(move || logged.recv().unwrap())
            .await
            .unwrap();
        parts.clear();
        assert_eq!(subscriber.queue().next_batch(&mut parts).await, Ok(1));
        assert_eq!(parts.len(), 1);
        assert_eq!(
            parts[0].as_ptr(),
            logged.as_ptr(),
            "the broadcast shares the logged event's buffer: serialized once, never copied"
        );
        writer.close();
    }
}
