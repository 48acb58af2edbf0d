//! Giving memory back after load: when the server becomes idle, ask the allocator to
//! return the pages it freed to the operating system.
//!
//! **Why this is needed.** Ten thousand connections cost the server tens of megabytes
//! (read buffers, tasks, queues). When they close, the memory is freed — to the
//! *allocator*, not to the kernel. glibc's `malloc` keeps a freed page mapped unless it
//! sits at the very top of its heap, and a tokio server allocates from several heaps
//! ("arenas", one per thread that allocates), each left with live chunks scattered through
//! it. So a server that served a burst keeps its peak resident size for hours: the
//! probes saw 7 MB at start, 28 MB after two minutes of churn, 136 MB after 20,000
//! connections. Nothing leaks (a second burst reuses the same pages), but the machine
//! cannot give the memory to anyone else.
//!
//! **What this module does.** It counts open sockets — the count travels *inside* each
//! connection's I/O, so an upgraded WebSocket, which hyper hands over and forgets, is
//! counted until it closes — and runs a [`MemoryRelease`] (in the `liveboard` binary:
//! glibc's `malloc_trim(0)`) when the [`ReleaseTrigger`] says so: when the last socket
//! closes, and on a timer when the count has fallen to half its peak. Trimming walks
//! every arena and holds each one's lock while it does, so it runs on the blocking pool,
//! never more than once per interval, and never while the count only grows.
//!
//! The trade-off (pages returned against the CPU of trimming and of faulting them back
//! in) and the measurements are in the book's "Hostile clients and failures" chapter.

use std::{
    fmt,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::Notify,
    time::Instant,
};
use tokio_util::sync::CancellationToken;

// ANCHOR: memory_release
/// A way to give freed memory back to the operating system, and how often at most.
///
/// Phase 1 does not know the allocator: the binary that chose it provides the function
/// (`liveboard --release-memory-when-idle` passes glibc's `malloc_trim`).
#[derive(Clone, Copy)]
pub struct MemoryRelease {
    /// Returns freed memory to the operating system; may take milliseconds.
    pub release: fn(),
    /// At most one release per interval; also how often the count is looked at.
    pub interval: Duration,
}
// ANCHOR_END: memory_release

impl fmt::Debug for MemoryRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRelease")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

// ANCHOR: release_trigger
/// Decides when to release: after a fall in the number of open sockets, not during growth.
///
/// A release is due when, since the last one, the count reached a peak and then fell
/// to zero or to half of that peak — and at least `interval` has passed since the last
/// release, so a server whose count swings does not trim in a loop.
#[derive(Debug)]
pub struct ReleaseTrigger {
    interval: Duration,
    last_release: Option<Instant>,
}

impl ReleaseTrigger {
    /// A trigger that releases at most once per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_release: None,
        }
    }

    /// Whether to release now, with `open` sockets open and `peak` the most open at once
    /// since the last release. Records the release when it says yes.
    pub fn should_release(&mut self, open: usize, peak: usize, now: Instant) -> bool {
        // EXERCISE(ch5-release-trigger): release memory after a fall, at most once per interval
        let fell = peak > 0 && open <= peak / 2;
        let rested = self
            .last_release
            .map_or(true, |last| now.duration_since(last) >= self.interval);
        if fell && rested {
            self.last_release = Some(now);
        }
        fell && rested
        // EXERCISE_END(ch5-release-trigger)
    }
}
// ANCHOR_END: release_trigger

/// How many sockets are open, the most open at once since the last release, and a
/// signal when the count reaches zero.
#[derive(Debug, Default)]
pub struct OpenSockets {
    open: AtomicUsize,
    peak: AtomicUsize,
    emptied: Notify,
}

impl OpenSockets {
    /// A count of zero.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Counts one more socket until the returned guard is dropped.
    pub fn open(self: &Arc<Self>) -> OpenSocket {
        let now = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        OpenSocket(self.clone())
    }

    /// Sockets open now.
    pub fn count(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// The peak since the last call, which starts a new peak at the present count.
    fn take_peak(&self) -> usize {
        self.peak.swap(self.count(), Ordering::Relaxed)
    }

    /// Puts back a peak taken by [`OpenSockets::take_peak`] when no release followed.
    fn restore_peak(&self, peak: usize) {
        self.peak.fetch_max(peak, Ordering::Relaxed);
    }
}

/// One open socket's place in [`OpenSockets`]; dropping it closes the place.
#[derive(Debug)]
pub struct OpenSocket(Arc<OpenSockets>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.0.emptied.notify_one();
        }
    }
}

// ANCHOR: release_task
/// Runs `release` whenever the trigger says so, until `stop` is cancelled: woken when the
/// last socket closes and every `interval`.
pub async fn run(sockets: Arc<OpenSockets>, release: MemoryRelease, stop: CancellationToken) {
    let mut trigger = ReleaseTrigger::new(release.interval);
    let mut tick = tokio::time::interval(release.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = sockets.emptied.notified() => {}
            _ = tick.tick() => {}
        }
        let peak = sockets.take_peak();
        if !trigger.should_release(sockets.count(), peak, Instant::now()) {
            sockets.restore_peak(peak);
            continue;
        }
        let started = Instant::now();
        // Trimming locks each arena while it walks it: off the async workers.
        if tokio::task::spawn_blocking(release.release).await.is_ok() {
            tracing::info!(
                peak,
                open = sockets.count(),
                took_us = started.elapsed().as_micros() as u64,
                "released free memory to the operating system"
            );
        }
    }
}
// ANCHOR_END: release_task

/// A TCP stream that holds its place in [`OpenSockets`] (when counting) until it is
/// dropped — after an upgrade too, since hyper hands the stream itself to the WebSocket.
pub struct CountedStream {
    stream: TcpStream,
    _place: Option<OpenSocket>,
}

impl CountedStream {
    /// `stream`, counted in `sockets` if given.
    pub fn new(stream: TcpStream, sockets: Option<&Arc<OpenSockets>>) -> Self {
        Self {
            stream,
            _place: sockets.map(OpenSockets::open),
        }
    }

    /// The TCP stream.
    pub fn tcp(&self) -> &TcpStream {
        &self.stream
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(10);

    #[test]
    fn a_release_follows_the_last_socket_closing() {
        let mut trigger = ReleaseTrigger::new(INTERVAL);
        let now = Instant::now();
        assert!(trigger.should_release(0, 10_000, now));
    }

    #[test]
    fn nothing_is_released_while_the_count_grows_or_holds() {
        let mut trigger = ReleaseTrigger::new(INTERVAL);
        let now = Instant::now();
        assert!(!trigger.should_release(10_000, 10_000, now));
        assert!(!trigger.should_release(6_000, 10_000, now));
        // An idle server that never served anything has nothing to give back.
        assert!(!trigger.should_release(0, 0, now));
    }

    #[test]
    fn a_fall_to_half_the_peak_releases_without_reaching_zero() {
        let mut trigger = ReleaseTrigger::new(INTERVAL);
        assert!(trigger.should_release(5_000, 10_000, Instant::now()));
    }

    #[test]
    fn releases_are_at_least_one_interval_apart() {
        let mut trigger = ReleaseTrigger::new(INTERVAL);
        let start = Instant::now();
        assert!(trigger.should_release(0, 100, start));
        assert!(!trigger.should_release(0, 100, start + INTERVAL / 2));
        assert!(trigger.should_release(0, 100, start + INTERVAL));
    }

    #[test]
    fn the_count_follows_the_guards_and_the_peak_restarts_when_taken() {
        let sockets = OpenSockets::new();
        let a = sockets.open();
        let b = sockets.open();
        drop(a);
        assert_eq!(sockets.count(), 1);
        assert_eq!(sockets.take_peak(), 2);
        assert_eq!(
            sockets.take_peak(),
            1,
            "a new peak starts at the present count"
        );
        sockets.restore_peak(2);
        assert_eq!(sockets.take_peak(), 2);
        drop(b);
        assert_eq!(sockets.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_task_releases_when_the_last_socket_closes() {
        use std::sync::atomic::AtomicUsize;
        static RELEASES: AtomicUsize = AtomicUsize::new(0);
        fn count_release() {
            RELEASES.fetch_add(1, Ordering::SeqCst);
        }
        let sockets = OpenSockets::new();
        let stop = CancellationToken::new();
        let release = MemoryRelease {
            release: count_release,
            interval: Duration::from_secs(3600),
        };
        let task = tokio::spawn(run(sockets.clone(), release, stop.clone()));
        let place = sockets.open();
        // The first tick comes at once; with a socket open, nothing is released.
        tokio::task::yield_now().await;
        assert_eq!(RELEASES.load(Ordering::SeqCst), 0);
        drop(place);
        // Time stands still while this loop runs (paused clock, never idle): the release
        // must follow the close itself, not the hourly tick.
        while RELEASES.load(Ordering::SeqCst) == 0 {
            assert!(!task.is_finished(), "the release task ended early");
            tokio::task::yield_now().await;
        }
        stop.cancel();
        task.await.expect("the task ends when stopped");
    }
}
