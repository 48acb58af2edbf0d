//! The accept loop: from a listening socket to one task per connection.
//!
//! ```text
//!   TcpListener ──accept──▶ TcpStream ──hyper http1──▶ App::handle(request) ──▶ response
//!        ▲                      │
//!        │                      └── one tokio task per connection (many requests, keep-alive)
//!        └── stops when the shutdown future fires; then in-flight requests drain
//! ```
//!
//! hyper 1.x gives us the HTTP/1.1 state machine for *one* connection
//! (`hyper::server::conn::http1`); accepting connections, spawning tasks, limiting how
//! many run and stopping gracefully is ours to write — which is the point of this phase.
//!
//! **Limits against hostile clients.** Every client costs a slot, so every slot has an
//! end: `--max-connections` caps them all and `--max-connections-per-ip` caps one
//! address's share, and a client past either is answered `503` with `Retry-After` at
//! once ([`crate::refusal`]) rather than left unanswered in the kernel's backlog — even
//! past the process's descriptor limit, thanks to one spare descriptor. A
//! connection must finish each request's headers within `--header-timeout-ms` and its
//! body within `--body-timeout-ms`, or it is answered `408` and closed (the header
//! deadline: [`crate::refusal::answer_header_timeout`]; the body's: [`crate::json`]). With a [`MemoryRelease`] configured, each connection's stream
//! also holds a place in a count of open sockets (see [`crate::memory_release`]), which
//! hands freed memory back to the operating system after load.
//!
//! **Graceful shutdown.** The accept loop runs until its [`CancellationToken`] (a child of
//! the server's [`crate::shutdown::ShutdownTree`]) is cancelled. Then we (1) stop accepting
//! and close the listening socket, so new clients are refused at once instead of hanging;
//! (2) ask every open connection to finish its current request and close (the same token
//! tells each connection task to call hyper's `graceful_shutdown`: idle keep-alive
//! connections close immediately, busy ones after their response); (3) later, wait for
//! them — [`Connections`] counts the tasks — but no longer than the drain deadline.
//! Long-lived responses (SSE, upgraded WebSockets) need their own signal: see
//! [`crate::shutdown`] for the order in which the rest of the server stops.

use std::{
    convert::Infallible,
    future::Future,
    io,
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use tokio::time::Instant;

use futures_util::FutureExt;
use http::{response, Request};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpSocket},
    sync::{Notify, Semaphore},
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    app::{App, LocalAddr},
    body::BodyDeadline,
    config::ServerConfig,
    handover::{self, Handover, HandoverFn},
    logging::EverySecond,
    memory_release::{self, CountedStream, MemoryRelease, OpenSockets},
    per_ip::PerIpCounts,
    refusal::{answer_header_timeout, refuse, Refusal},
};

// ANCHOR: serve_options
/// How the accept loop behaves; see [`ServerConfig`] for defaults and trade-offs.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// How long shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
    /// Most connections served at once; more are answered `503` and closed.
    pub max_connections: usize,
    /// Most connections served at once from one client address (`0`: no cap).
    pub max_connections_per_ip: usize,
    /// How long a client may take to send a request's headers (slowloris defence).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body after its headers.
    pub body_read_timeout: Duration,
    /// Give freed memory back to the operating system after load (`None`: never).
    pub memory_release: Option<MemoryRelease>,
}

impl From<&ServerConfig> for ServeOptions {
    fn from(c: &ServerConfig) -> Self {
        Self {
            drain_timeout: c.drain_timeout(),
            max_connections: c.max_connections.max(1),
            max_connections_per_ip: c.max_connections_per_ip,
            header_read_timeout: Duration::from_millis(c.header_timeout_ms),
            body_read_timeout: Duration::from_millis(c.body_timeout_ms),
            memory_release: c.memory_release,
        }
    }
}
// ANCHOR_END: serve_options

// ANCHOR: bind
/// Binds the listening socket with room for `backlog` handshakes not yet accepted.
///
/// The kernel completes TCP handshakes on its own and queues them until `accept()`; the
/// queue's length is `listen()`'s backlog. When it is full, Linux drops new SYNs, and a
/// client whose SYN is lost retries 1 s later, then 3 s, 7 s… — after a restart, ten
/// thousand clients coming back at once would wait seconds for a server with idle cores.
pub fn bind(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restarted server may bind while the old one's
    // connections are in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}
// ANCHOR_END: bind

// ANCHOR: announce
/// Prints `listening on http://ADDR` as the first line on stdout, the contract scripts
/// and the end-to-end harness use to find a server started on port 0.
pub fn announce(listener: &TcpListener) -> io::Result<SocketAddr> {
    use std::io::Write;
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{addr}")?;
    out.flush()?;
    tracing::info!(%addr, "listening");
    Ok(addr)
}
// ANCHOR_END: announce

/// Serves `app` on `listener` until `shutdown` resolves, then drains (at most the drain
/// deadline). A bare server; a [`crate::composition::Composition`] stops in more steps.
pub async fn serve<F>(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: F,
    opts: ServeOptions,
) -> io::Result<()>
where
    F: Future<Output = ()>,
{
    let stop = CancellationToken::new();
    let trigger = async {
        shutdown.await;
        stop.cancel();
    };
    let (connections, ()) = tokio::join!(accept(listener, app, stop.clone(), opts), trigger);
    connections.drain(Instant::now() + opts.drain_timeout).await;
    Ok(())
}

/// Accepts connections on `listener` and serves `app` on each until `stop` is cancelled;
/// then closes the listener and returns the open connections, each already asked to
/// finish its request and close. Wait for them with [`Connections::drain`].
pub async fn accept(
    listener: TcpListener,
    app: Arc<App>,
    stop: CancellationToken,
    opts: ServeOptions,
) -> Connections {
    // ANCHOR: accept_loop
    let connections = TaskTracker::new();
    let permits = Arc::new(Semaphore::new(opts.max_connections));
    let per_ip = PerIpCounts::new(opts.max_connections_per_ip);
    let mut accept_errors = EverySecond::default();
    let mut refusals = EverySecond::default();
    let mut spare = SpareDescriptor::open();
    // Counted only when something uses the count: the memory release after load.
    let sockets = opts.memory_release.map(|release| {
        let sockets = OpenSockets::new();
        tokio::spawn(memory_release::run(sockets.clone(), release, stop.clone()));
        sockets
    });
    let shutdown = stop.cancelled();
    tokio::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Per-connection errors (the peer reset before we accepted) are
                    // routine; running out of file descriptors (EMFILE) is not. Either
                    // may repeat thousands of times a second: one line a second at most.
                    if let Some(suppressed) = accept_errors.should_log() {
                        tracing::warn!(error = %e, suppressed, "accept failed");
                    }
                    if is_out_of_descriptors(&e) && spare.answer_one(&listener) {
                        continue;
                    }
                    // Retrying at once would fail at once, forever, and spin a core.
                    if !is_connection_error(&e) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
        };
        // A slot, and a share of its address's slots, or a `503` at once: a client
        // left in the kernel's backlog would hear nothing until its own timeout.
        let slots = match permits.clone().try_acquire_owned() {
            Err(_) => Err(Refusal::ServerFull),
            Ok(permit) => match per_ip.try_claim(peer.ip()) {
                None => Err(Refusal::TooManyFromAddress),
                Some(ip_slot) => Ok((permit, ip_slot)),
            },
        };
        let (permit, ip_slot) = match slots {
            Ok(slots) => slots,
            Err(reason) => {
                if let Some(suppressed) = refusals.should_log() {
                    tracing::warn!(%peer, reason = reason.code(), suppressed, "refused a connection");
                }
                refuse(stream, reason);
                continue;
            }
        };
        // ANCHOR_END: accept_loop
        // ANCHOR: connection_task
        // Small writes (SSE events, WebSocket frames) must leave now, not after Nagle's
        // 40 ms delay waiting for an ACK.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let body_read_timeout = opts.body_read_timeout;
        // What the service and the connection task share: whether a whole request head
        // has arrived (an expired header deadline before the first one is answered `408`,
        // an idle keep-alive is not) and a response to hand over (see `crate::handover`).
        let shared = Arc::new(Shared::default());
        let service_shared = shared.clone();
        let local = stream.local_addr().ok().map(LocalAddr);
        let service = service_fn(move |mut req: Request<Incoming>| {
            service_shared.headed.store(true, Ordering::Relaxed);
            // The body's deadline starts when its headers have arrived.
            let deadline = BodyDeadline(Instant::now() + body_read_timeout);
            req.extensions_mut().insert(deadline);
            if let Some(local) = local {
                req.extensions_mut().insert(local);
            }
            let app = app.clone();
            let shared = service_shared.clone();
            async move {
                let mut res = app.handle(req, peer).await;
                match res
                    .extensions_mut()
                    .remove::<Handover>()
                    .and_then(|h| h.take())
                {
                    None => Ok::<_, Infallible>(res),
                    Some(run) => {
                        // hyper never gets this answer: the connection task takes the
                        // socket, writes the head and runs the body.
                        shared.hand_over(res.into_parts().0, run);
                        std::future::pending().await
                    }
                }
            }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(opts.header_read_timeout)
            .serve_connection(
                TokioIo::new(CountedStream::new(stream, sockets.as_ref())),
                service,
            )
            .with_upgrades();
        let draining = stop.clone();
        let header_read_timeout = opts.header_read_timeout;
        let tracker = connections.clone();
        connections.spawn(async move {
            let mut conn = conn;
            let mut asked_to_finish = false;
            let result = loop {
                tokio::select! {
                    result = &mut conn => break Some(result),
                    () = shared.handed_over.notified() => break None,
                    () = draining.cancelled(), if !asked_to_finish => {
                        // Finish the request in flight (if any), then close.
                        std::pin::Pin::new(&mut conn).graceful_shutdown();
                        asked_to_finish = true;
                    }
                }
            };
            match result {
                // A handler handed the connection over: the body is ours to write.
                None => {
                    if let (Some((head, run)), Some(parts)) = (shared.take(), conn.into_parts()) {
                        let mut stream = parts.io.into_inner();
                        if write_head(&mut stream, head, header_read_timeout).await {
                            let body = run(stream, parts.read_buf);
                            tracker.spawn(async move {
                                body.await;
                                drop((permit, ip_slot));
                            });
                        }
                    }
                    return;
                }
                // hyper gives up at the header deadline without a word; we answer.
                Some(Err(e)) if e.is_timeout() => {
                    if let Some(parts) = conn.into_parts() {
                        let unanswered = !shared.headed.load(Ordering::Relaxed);
                        let started = !parts.read_buf.is_empty();
                        if unanswered || started {
                            answer_header_timeout(parts.io.inner().tcp(), header_read_timeout);
                        }
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "connection ended with an error")
                }
                Some(Ok(())) => {}
            }
            drop((permit, ip_slot));
        });
    }
    // ANCHOR_END: connection_task

    drop(listener);
    tracing::info!(
        open = connections.len(),
        "stopped accepting; draining open connections"
    );
    connections.close();
    Connections { tasks: connections }
}

/// The HTTP connections still open when the accept loop stopped.
pub struct Connections {
    tasks: TaskTracker,
}

impl Connections {
    /// No connections (a server that never accepted).
    pub fn none() -> Self {
        let tasks = TaskTracker::new();
        tasks.close();
        Self { tasks }
    }

    // ANCHOR: graceful_drain
    /// Waits until every connection has closed, or until `deadline`. Returns whether all
    /// closed; those still open are dropped with the process.
    pub async fn drain(self, deadline: Instant) -> bool {
        match tokio::time::timeout_at(deadline, self.tasks.wait()).await {
            Ok(()) => {
                tracing::info!("all connections closed");
                true
            }
            Err(_) => {
                tracing::warn!(
                    still_open = self.tasks.len(),
                    "drain deadline passed; dropping the rest"
                );
                false
            }
        }
    }
    // ANCHOR_END: graceful_drain
}

/// What a connection's service and its task share.
#[derive(Default)]
struct Shared {
    /// Whether a whole request head has arrived.
    headed: AtomicBool,
    /// A response a handler handed over: its head and the function writing its body.
    handover: Mutex<Option<(response::Parts, HandoverFn)>>,
    /// Signalled once `handover` is filled.
    handed_over: Notify,
}

impl Shared {
    fn hand_over(&self, head: response::Parts, run: HandoverFn) {
        *self.handover.lock().unwrap_or_else(|p| p.into_inner()) = Some((head, run));
        // `notify_one` keeps a permit if the task is not waiting yet: never missed.
        self.handed_over.notify_one();
    }

    fn take(&self) -> Option<(response::Parts, HandoverFn)> {
        self.handover
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

// ANCHOR: write_head
/// Writes a handed-over response's head on the bare socket; `false` if the client is
/// gone (then the body's function is dropped with what it holds). hyper has read the
/// request and written nothing for it; its buffers are gone with it. The head is small
/// and the socket's send buffer empty, so the write is immediate unless the client
/// stopped reading long ago — bounded by the header deadline all the same. The head is
/// dropped here: the body's task keeps nothing of it.
async fn write_head(stream: &mut CountedStream, head: response::Parts, deadline: Duration) -> bool {
    let head = handover::encode_head(&head);
    let written = tokio::time::timeout(deadline, stream.write_all(&head)).await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::debug!("a handed-over response's head could not be written");
        return false;
    }
    true
}
// ANCHOR_END: write_head

// ANCHOR: spare_descriptor
/// One file descriptor held in reserve for the moment the process runs out of them.
///
/// Out of descriptors, `accept()` fails with `EMFILE` and the client stays in the kernel's
/// backlog, hearing nothing. Closing the spare frees exactly one descriptor: enough to
/// accept that client, answer it `503` and close it — then the spare is taken again.
/// (The trick is old: libev's documentation and nginx describe it.)
struct SpareDescriptor(Option<std::fs::File>);

impl SpareDescriptor {
    fn open() -> Self {
        Self(std::fs::File::open(NULL_DEVICE).ok())
    }

    /// Uses the spare to answer one waiting client; `false` if there was no spare or no
    /// client ready.
    fn answer_one(&mut self, listener: &TcpListener) -> bool {
        if self.0.take().is_none() {
            *self = Self::open();
            return false;
        }
        // The client that failed to be accepted is still queued, so one poll suffices.
        let answered = match listener.accept().now_or_never() {
            Some(Ok((stream, _peer))) => {
                refuse(stream, Refusal::ServerFull);
                true
            }
            _ => false,
        };
        *self = Self::open();
        answered
    }
}
// ANCHOR_END: spare_descriptor

#[cfg(unix)]
const NULL_DEVICE: &str = "/dev/null";
#[cfg(not(unix))]
const NULL_DEVICE: &str = "NUL";

/// `EMFILE` (this process is at its descriptor limit) or `ENFILE` (the whole system is).
fn is_out_of_descriptors(e: &io::Error) -> bool {
    // Linux, the BSDs and macOS agree on these numbers: ENFILE 23, EMFILE 24.
    cfg!(unix) && matches!(e.raw_os_error(), Some(23 | 24))
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The kernel holds `backlog + 1` completed handshakes for a listener that is not
    /// accepting (Linux: full when the queue is *over* the backlog) and drops the next
    /// SYN, so that client's connect waits — until an accept makes room.
    #[tokio::test]
    async fn the_backlog_bounds_the_handshakes_waiting_to_be_accepted() {
        let listener = bind("127.0.0.1:0".parse().unwrap(), 3).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut queued = Vec::new();
        for _ in 0..4 {
            let connect = tokio::net::TcpStream::connect(addr);
            queued.push(
                tokio::time::timeout(Duration::from_secs(10), connect)
                    .await
                    .expect("room in the backlog: the handshake completes")
                    .unwrap(),
            );
        }
        let mut fifth = Box::pin(tokio::net::TcpStream::connect(addr));
        // A wrong (larger) backlog would complete this handshake at once.
        assert!(
            tokio::time::timeout(Duration::from_millis(300), &mut fifth)
                .await
                .is_err(),
            "a fifth handshake completed although the backlog was full"
        );
        let _accepted = listener.accept().await.unwrap();
        // The dropped SYN is sent again (after about 1 s): now there is room.
        tokio::time::timeout(Duration::from_secs(10), fifth)
            .await
            .expect("the retried handshake completes once there is room")
            .unwrap();
    }
}
