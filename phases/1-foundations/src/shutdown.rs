//! Stopping a server gracefully: the signals, one cancellation tree, and the order.
//!
//! An orchestrator (Kubernetes, systemd, `docker stop`) stops a process with SIGTERM, waits
//! a grace period (often 10 s), then sends SIGKILL; a developer presses Ctrl-C (SIGINT).
//! Between the first signal and the exit, a server owes its clients three things: a word
//! that it is going (so they reconnect instead of waiting for a timeout), everything it
//! already promised (responses in flight, messages queued, changes acknowledged), and an
//! exit within the grace period.
//!
//! **One cancellation tree.** A [`ShutdownTree`] is built with the server and stored in the
//! [`Services`]: a root [`CancellationToken`] with one child per *stage* of the stop, and a
//! [`TaskTracker`] for the long-lived tasks modules start. A module takes what it needs at
//! build time — [`ShutdownTree::background`] for a periodic task (it ends when shutdown
//! begins), [`ShutdownTree::streams`] for never-ending responses (they end after the
//! WebSockets' goodbyes), [`ShutdownTree::tasks`] to spawn on — and nothing else: no
//! module keeps its own list of what to close.
//!
//! **The order** is one function, [`stop_in_order`], read top to bottom:
//!
//! 1. stop accepting: close the listening socket, ask idle keep-alive connections to
//!    close, tell background tasks to end;
//! 2. goodbyes: every module's [`Module::begin_shutdown`], in reverse order (phase 3
//!    sends every WebSocket a Close 1001, in batches);
//! 3. event streams: flush what is queued, send a last `retry:`, end;
//! 4. drain: wait for the HTTP connections, then for every tracked task (WebSocket closing
//!    handshakes among them);
//! 5. commit: every module's [`Module::finish_shutdown`], in reverse order (phase 4's
//!    writer commits what it holds);
//! 6. cancel the root: whatever is left learns that it is over.
//!
//! Steps 4 and 5 share one deadline, `--drain-timeout-ms`, counted from the signal: the
//! process exits within it, whatever a client does.
//!
//! **What to tell clients.** A server that restarts is met by every client it had, all at
//! once, unless it tells them to come back at *different* times. A [`ShutdownAdvice`] in
//! the services (phase 5 provides one) draws a retry hint per client; without one, clients
//! are told the server is going and choose their own delay.
//!
//! **A second signal** means "now": the process exits at once with status
//! [`FORCED_EXIT_CODE`] (130, what a shell reports for Ctrl-C), abandoning the drain.
//! What was acknowledged is already on disk — an acknowledgement is only sent after the
//! commit — so even this loses nothing a client was told it had.

use std::future::Future;

use crate::retry::{with_retry_hint, RetryAdvice};

use tokio::time::Instant;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    module::{Module, Services},
    server::Connections,
};

/// The exit status after a second signal: 128 + SIGINT (2), as shells report an
/// interrupted program. Not 0: the drain was abandoned.
pub const FORCED_EXIT_CODE: u8 = 130;

// ANCHOR: shutdown_tree
/// The server's cancellation tree: one root, one child per stage of the stop, and the
/// tracker of long-lived tasks. Cheap to clone; every clone is the same tree.
#[derive(Debug, Clone)]
pub struct ShutdownTree {
    /// Cancelled last: everything still running is told it is over.
    root: CancellationToken,
    /// Stage 1: the accept loop and the HTTP connections' keep-alive.
    accepting: CancellationToken,
    /// Stage 1: periodic tasks (a heartbeat sweeper).
    background: CancellationToken,
    /// Stage 3: never-ending responses (event streams).
    streams: CancellationToken,
    /// Long-lived tasks, waited for in stage 4.
    tasks: TaskTracker,
}

impl Default for ShutdownTree {
    fn default() -> Self {
        let root = CancellationToken::new();
        Self {
            accepting: root.child_token(),
            background: root.child_token(),
            streams: root.child_token(),
            root,
            tasks: TaskTracker::new(),
        }
    }
}

impl ShutdownTree {
    /// A tree nothing has cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A token for a periodic task: cancelled as soon as shutdown begins (stage 1).
    pub fn background(&self) -> CancellationToken {
        self.background.child_token()
    }

    /// A token for never-ending responses: cancelled after the goodbyes (stage 3).
    pub fn streams(&self) -> CancellationToken {
        self.streams.child_token()
    }

    /// A token for the HTTP connections: cancelled when the server stops accepting.
    pub fn accepting(&self) -> CancellationToken {
        self.accepting.child_token()
    }

    /// The tracker to spawn long-lived tasks on; shutdown waits for them (stage 4).
    pub fn tasks(&self) -> &TaskTracker {
        &self.tasks
    }

    /// Whether the last stage has run.
    pub fn is_over(&self) -> bool {
        self.root.is_cancelled()
    }

    /// Cancels the whole tree at once (a server that never served).
    pub(crate) fn cancel_all(&self) {
        self.tasks.close();
        self.root.cancel();
    }
}
// ANCHOR_END: shutdown_tree

// ANCHOR: shutdown_advice
/// What to tell clients about coming back when the server stops, drawn per client so that
/// they do not all come back at once. Provided by a later phase (phase 5 spreads hints
/// over a window); phases 2 and 3 ask for it when they say goodbye. It is a
/// [`RetryAdvice`] of its own type, so the services can hold both: the everyday advice
/// and the shutdown's.
#[derive(Clone, Debug)]
pub struct ShutdownAdvice(pub RetryAdvice);

impl ShutdownAdvice {
    /// One client's delay before reconnecting, in milliseconds (a fresh draw).
    pub fn retry_ms(&self) -> u64 {
        self.0.next_ms()
    }

    /// `reason` carrying a fresh draw as a retry hint (a WebSocket close reason).
    pub fn close_reason(&self, reason: &str) -> String {
        with_retry_hint(reason, self.retry_ms())
    }
}
// ANCHOR_END: shutdown_advice

// ANCHOR: stop_in_order
/// Stops a server that was serving, in the documented order, once `trigger` resolved
/// and the accept loop returned `connections` (stage 1 is the caller's: see
/// [`crate::composition::Built::serve`]). Waits no later than `deadline`.
pub async fn stop_in_order(
    tree: &ShutdownTree,
    modules: &[Box<dyn Module>],
    services: &Services,
    connections: Connections,
    deadline: Instant,
) {
    // EXERCISE(ch5-stop-order): stop a server in the documented order, under one deadline
    // 1. Stop accepting (the listener is closed already) and end background tasks.
    tree.accepting.cancel();
    tree.background.cancel();
    // 2. Goodbyes, last module first: WebSockets get their Close frames.
    for module in modules.iter().rev() {
        module.begin_shutdown(services).await;
    }
    // 3. Event streams flush what is queued, send a last `retry:` and end.
    tree.streams.cancel();
    // 4. Drain: the HTTP connections (their streams are ending), then tracked tasks.
    if !connections.drain(deadline).await {
        tracing::warn!("drain deadline passed with HTTP connections open; dropping them");
    }
    tree.tasks.close();
    if tokio::time::timeout_at(deadline, tree.tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            still_running = tree.tasks.len(),
            "drain deadline passed with tasks running (WebSocket closing handshakes?)"
        );
    }
    // 5. Commit, last module first: nothing can send a change any more.
    for module in modules.iter().rev() {
        if tokio::time::timeout_at(deadline, module.finish_shutdown(services))
            .await
            .is_err()
        {
            tracing::error!(
                phase = module.phase().slug,
                "shutdown hook passed the deadline"
            );
        }
    }
    // 6. Whatever is left learns that it is over.
    tree.root.cancel();
    tracing::info!("stopped");
    // EXERCISE_END(ch5-stop-order)
}
// ANCHOR_END: stop_in_order

// ANCHOR: signals
/// Starts listening for SIGTERM and SIGINT. The future resolves on the first one; a
/// second one exits the process at once with [`FORCED_EXIT_CODE`]. Call it before
/// announcing the address, so that a signal sent right after is not missed.
#[cfg(unix)]
pub fn listen_for_signals() -> std::io::Result<impl Future<Output = ()>> {
    use futures_util::StreamExt;
    use signal_hook::consts::{SIGINT, SIGTERM};

    let mut signals = signal_hook_tokio::Signals::new([SIGTERM, SIGINT])?;
    let (first, first_seen) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        if let Some(signal) = signals.next().await {
            tracing::info!(
                signal = signal_name(signal),
                "stopping gracefully; a second SIGTERM or SIGINT exits at once"
            );
            let _ = first.send(());
        }
        if let Some(signal) = signals.next().await {
            tracing::error!(
                signal = signal_name(signal),
                status = FORCED_EXIT_CODE,
                "second signal: exiting now, without waiting for the drain"
            );
            std::process::exit(i32::from(FORCED_EXIT_CODE));
        }
    });
    Ok(async move {
        let _ = first_seen.await;
    })
}

/// Without Unix signals: Ctrl-C starts the graceful stop.
#[cfg(not(unix))]
pub fn listen_for_signals() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping gracefully");
    })
}

#[cfg(unix)]
fn signal_name(signal: i32) -> &'static str {
    match signal {
        signal_hook::consts::SIGTERM => "SIGTERM",
        signal_hook::consts::SIGINT => "SIGINT",
        _ => "signal",
    }
}
// ANCHOR_END: signals

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::{health::PhaseInfo, module::ShutdownFuture, router::Router, StartError};

    /// Records, at each hook, which stages of the tree were cancelled.
    struct Recorder {
        number: u8,
        tree: ShutdownTree,
        log: Arc<Mutex<Vec<String>>>,
    }

    impl Recorder {
        fn note(&self, hook: &str) {
            let t = &self.tree;
            self.log.lock().unwrap().push(format!(
                "{hook} {}: accepting={} background={} streams={} tasks_done={} root={}",
                self.number,
                t.accepting.is_cancelled(),
                t.background.is_cancelled(),
                t.streams.is_cancelled(),
                t.tasks.is_closed() && t.tasks.is_empty(),
                t.root.is_cancelled(),
            ));
        }
    }

    impl Module for Recorder {
        fn phase(&self) -> PhaseInfo {
            PhaseInfo {
                number: self.number,
                slug: "recorder",
                title: "Recorder",
            }
        }
        fn build(&self, _services: &mut Services) -> Result<Router, StartError> {
            Ok(Router::new())
        }
        fn begin_shutdown<'a>(&'a self, _services: &'a Services) -> ShutdownFuture<'a> {
            Box::pin(async move { self.note("begin") })
        }
        fn finish_shutdown<'a>(&'a self, _services: &'a Services) -> ShutdownFuture<'a> {
            Box::pin(async move { self.note("finish") })
        }
    }

    #[tokio::test]
    async fn the_stages_run_in_the_documented_order() {
        let tree = ShutdownTree::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let modules: Vec<Box<dyn Module>> = (1..=2)
            .map(|number| {
                Box::new(Recorder {
                    number,
                    tree: tree.clone(),
                    log: log.clone(),
                }) as Box<dyn Module>
            })
            .collect();
        let stream = tree.streams();
        let task_token = tree.background();
        tree.tasks()
            .spawn(async move { task_token.cancelled().await });
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        stop_in_order(
            &tree,
            &modules,
            &Services::new(),
            Connections::none(),
            deadline,
        )
        .await;
        let log = log.lock().unwrap().clone();
        assert_eq!(
            log,
            vec![
                // Goodbyes, last module first: accepting stopped, streams still open.
                "begin 2: accepting=true background=true streams=false tasks_done=false root=false",
                "begin 1: accepting=true background=true streams=false tasks_done=false root=false",
                // Commits after the streams ended and the tasks finished.
                "finish 2: accepting=true background=true streams=true tasks_done=true root=false",
                "finish 1: accepting=true background=true streams=true tasks_done=true root=false",
            ]
        );
        assert!(
            stream.is_cancelled(),
            "a stream's child token was cancelled"
        );
        assert!(tree.is_over());
    }

    #[tokio::test]
    async fn advice_draws_once_per_client_and_writes_the_draw_into_a_reason() {
        let next = Arc::new(std::sync::atomic::AtomicU64::new(100));
        let counter = next.clone();
        let advice = ShutdownAdvice(RetryAdvice::from_fn(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        }));
        assert_eq!(advice.retry_ms(), 100);
        assert_eq!(advice.close_reason("going"), "going retry-after-ms=101");
    }
}
