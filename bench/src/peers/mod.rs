//! The two peers Liveboard is measured against, as small as they can be while doing the
//! same work as our server, on the same one-core setup:
//!
//! | path | what it does |
//! |---|---|
//! | `/ws/echo` | echoes every message (like our `/ws/echo`) |
//! | `/ws` | a subscriber of the one broadcast: receives everything published |
//! | `/ws/publish` | every text message it sends is fanned out to every subscriber |
//!
//! Our `/ws` speaks a board protocol (JSON envelopes, subscribe, publish, ack); the peers
//! skip the JSON and have one implicit board. That is their advantage, stated in
//! docs/src/benchmarks.md.
//!
//! **Like our hub, a broadcast is shared, not copied:** one `tokio::sync::broadcast`
//! channel of reference-counted bytes, each subscriber's task writing from its receiver.
//! The channel holds 4096 messages; a subscriber that falls further behind *lags* (it
//! skips messages, counted on stderr), where ours is cut with 1013 — the client sees
//! either as missing messages.
//!
//! A subscriber's receiver is created **before** the 101 is sent, so a client that has seen
//! the 101 cannot miss a message published afterwards (our hub subscribes before its
//! `ack`). On SIGTERM the server stops accepting, sends every WebSocket Close 1001, waits
//! (at most 5 s) for the closing handshakes, and exits — what ours does.

pub mod fastwebsockets;
pub mod tungstenite;

use std::{
    future::Future,
    net::SocketAddr,
    process::ExitCode,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::{
    net::{TcpListener, TcpStream},
    signal::unix::{signal, SignalKind},
    sync::broadcast,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// Messages one subscriber may fall behind before it lags.
pub const BROADCAST_CAPACITY: usize = 4096;
/// How long a closing handshake may take at shutdown.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// The reason sent with 1001.
pub const GOING_AWAY_REASON: &str = "server shutting down";

/// What a peer server's connections share.
pub struct Shared<T> {
    /// The one broadcast.
    pub tx: broadcast::Sender<T>,
    /// Cancelled on SIGTERM.
    pub shutdown: CancellationToken,
    /// Every connection task, so shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Messages skipped by lagging subscribers.
    pub lagged: AtomicU64,
}

impl<T: Clone> Shared<T> {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            tx: broadcast::channel(BROADCAST_CAPACITY).0,
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            lagged: AtomicU64::new(0),
        })
    }

    /// Records that a subscriber skipped `n` messages.
    pub fn lag(&self, n: u64) {
        self.lagged.fetch_add(n, Ordering::Relaxed);
    }
}

/// The command line of both peers.
#[derive(Debug, Clone, clap::Args)]
pub struct PeerArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
}

/// Runs a peer: a tokio runtime with `TOKIO_WORKER_THREADS` workers (the tool sets 1),
/// the accept loop, and the shutdown sequence. `handle` serves one accepted socket.
pub fn run<T, F, Fut>(args: &PeerArgs, handle: F) -> ExitCode
where
    T: Clone + Send + 'static,
    F: Fn(TcpStream, Arc<Shared<T>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _ = crate::system::raise_open_files_limit();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match TcpListener::bind(args.bind).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on {}: {e}", args.bind);
                return ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            // The same first line as Liveboard's server: how the tool finds the port.
            Ok(addr) => println!("listening on http://{addr}"),
            Err(e) => {
                eprintln!("no local address: {e}");
                return ExitCode::FAILURE;
            }
        }
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot handle SIGTERM: {e}");
                return ExitCode::FAILURE;
            }
        };
        let shared = Shared::<T>::new();
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        shared.tasks.spawn(handle(stream, shared.clone()));
                    }
                    // EMFILE and friends: back off instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
            }
        }
        drop(listener);
        shared.shutdown.cancel();
        shared.tasks.close();
        let drained = tokio::time::timeout(CLOSE_TIMEOUT, shared.tasks.wait())
            .await
            .is_ok();
        let lagged = shared.lagged.load(Ordering::Relaxed);
        if lagged > 0 || !drained {
            eprintln!(
                "shutdown: drained={drained}, messages skipped by lagging subscribers={lagged}"
            );
        }
        ExitCode::SUCCESS
    })
}
