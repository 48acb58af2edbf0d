//! Waking the subscribers a fan-out filled, from where a wake-up is cheap.
//!
//! A fan-out pushes a message into every subscriber's queue and wakes each waiting
//! consumer — a connection's task — by calling its [`Waker`]. What a wake costs depends
//! on **which thread calls it**. On one of the runtime's worker threads, tokio puts the
//! woken task on that worker's own run queue: no lock, no system call. On any other
//! thread it is a *remote* schedule: the task goes onto the runtime's shared injection
//! queue, under a mutex, and a sleeping worker is unparked (a system call) to run it.
//!
//! Phase 4 publishes from its writer thread — a plain thread, so that SQLite's blocking
//! commits never stall a worker — so every wake of a 10,000-subscriber fan-out was a
//! remote one: 10,000 trips through the injection queue's lock per message, and a worker
//! unparked, parked and unparked again while the writer was still pushing (the profile
//! showed tokio's `next_remote_task` among the fan-out's hot spots). The publishers of
//! phases 2 and 3 run on a worker, and never paid it.
//!
//! So a fan-out collects its wakers in [`Wakeups`] and wakes them once every push is
//! done, choosing where:
//!
//! * **on a runtime's task** (a connection or a request handler published): right here,
//!   one by one — each wake is already a local one;
//! * **on a thread that is not running a task but is inside a runtime** (phase 4's
//!   writer enters it): all of them are handed to *one* new task on that runtime, which
//!   wakes them from a worker: one remote schedule per fan-out instead of one per
//!   subscriber;
//! * **anywhere else** (no runtime: a test's plain thread): right here.
//!
//! Nothing is lost by waiting: a queue hands its waker out only once (the push that
//! takes it leaves none behind), so every taken waker is woken exactly once, by whoever
//! took it; a consumer that looks at its queue in between finds the message already
//! there, and the late wake costs it one empty poll at most.

use std::task::Waker;

/// The wakers a fan-out took out of its subscribers' queues, woken together by
/// [`Wakeups::wake_all`].
#[derive(Debug, Default)]
pub struct Wakeups {
    /// `false` when wakes are cheap where we are (a runtime's task): each one is woken
    /// at once by [`Wakeups::add`] and none is kept.
    defer: bool,
    wakers: Vec<Waker>,
}

impl Wakeups {
    /// Wakeups for a fan-out running on this thread: kept for later only where a wake
    /// would be a remote one (see the module docs).
    pub fn for_this_thread() -> Self {
        let inside_a_runtime = tokio::runtime::Handle::try_current().is_ok();
        let on_a_task = tokio::task::try_id().is_some();
        Self {
            defer: inside_a_runtime && !on_a_task,
            wakers: Vec::new(),
        }
    }

    /// One consumer to wake (none if it was not waiting).
    pub fn add(&mut self, waker: Option<Waker>) {
        match waker {
            Some(waker) if self.defer => self.wakers.push(waker),
            Some(waker) => waker.wake(),
            None => {}
        }
    }

    /// How many wakers are waiting for [`Wakeups::wake_all`].
    pub fn deferred(&self) -> usize {
        self.wakers.len()
    }

    // ANCHOR: wake_all
    /// Wakes every consumer added: from a task on the current runtime when there are
    /// several (one remote schedule for all of them), here otherwise.
    pub fn wake_all(self) {
        let mut wakers = self.wakers;
        if wakers.len() > 1 {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                // A runtime that is shutting down drops the task without running it, and
                // the wakers with it: its tasks are being dropped too, none is left to wake.
                runtime.spawn(async move { wakers.drain(..).for_each(Waker::wake) });
                return;
            }
        }
        wakers.drain(..).for_each(Waker::wake);
    }
    // ANCHOR_END: wake_all
}

/// Wakers that report where they were woken, for this module's tests and the hub's.
#[cfg(test)]
pub(crate) mod testing {
    use std::{
        sync::{
            mpsc::{channel, Receiver, Sender},
            Arc, Mutex,
        },
        task::{Wake, Waker},
        thread::ThreadId,
        time::Duration,
    };

    /// A waker that reports the thread each wake ran on.
    struct Recorder(Mutex<Sender<ThreadId>>);

    impl Wake for Recorder {
        fn wake(self: Arc<Self>) {
            let _ = self.0.lock().unwrap().send(std::thread::current().id());
        }
    }

    /// `n` wakers and where their wakes are reported.
    pub(crate) fn recorders(n: usize) -> (Vec<Waker>, Receiver<ThreadId>) {
        let (tx, rx) = channel();
        let wakers = (0..n)
            .map(|_| Waker::from(Arc::new(Recorder(Mutex::new(tx.clone())))))
            .collect();
        (wakers, rx)
    }

    /// The next `n` wakes, each within 5 s.
    pub(crate) fn next_wakes(rx: &Receiver<ThreadId>, n: usize) -> Vec<ThreadId> {
        (0..n)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).expect("a wake"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::mpsc::RecvTimeoutError, time::Duration};

    use super::{testing::*, *};

    #[test]
    fn on_a_thread_inside_a_runtime_the_wakes_are_handed_to_one_task_on_a_worker() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let (wakers, woken) = recorders(100);
        let publisher = std::thread::current().id();
        let _inside = runtime.enter();
        let mut wakeups = Wakeups::for_this_thread();
        wakers.into_iter().for_each(|w| wakeups.add(Some(w)));
        assert_eq!(wakeups.deferred(), 100, "none woken while pushing");
        assert!(woken.try_recv().is_err());
        wakeups.wake_all();
        let threads = next_wakes(&woken, 100);
        assert!(
            threads.iter().all(|t| *t != publisher),
            "woken on the runtime's worker, not on the publishing thread"
        );
        // Each waker is woken once: after the 100th wake the wakers are gone (and with
        // them every sender), not woken a second time.
        assert_eq!(
            woken.recv_timeout(Duration::from_secs(5)),
            Err(RecvTimeoutError::Disconnected)
        );
    }

    #[tokio::test]
    async fn on_a_runtime_task_each_wake_happens_at_once() {
        // In a task: the test's own body is not one (it is the runtime's `block_on`).
        let on_a_task = tokio::spawn(async {
            let (wakers, woken) = recorders(3);
            let mut wakeups = Wakeups::for_this_thread();
            wakers.into_iter().for_each(|w| wakeups.add(Some(w)));
            assert_eq!(wakeups.deferred(), 0);
            let here = std::thread::current().id();
            assert_eq!(woken.try_iter().collect::<Vec<_>>(), vec![here; 3]);
            wakeups.wake_all();
            assert!(woken.try_recv().is_err(), "not woken twice");
        });
        on_a_task.await.unwrap();
    }

    #[test]
    fn outside_any_runtime_the_wakes_happen_on_this_thread() {
        let (wakers, woken) = recorders(2);
        let mut wakeups = Wakeups::for_this_thread();
        wakers.into_iter().for_each(|w| wakeups.add(Some(w)));
        wakeups.add(None);
        assert_eq!(wakeups.deferred(), 0);
        wakeups.wake_all();
        let here = std::thread::current().id();
        assert_eq!(woken.try_iter().collect::<Vec<_>>(), vec![here; 2]);
    }
}
