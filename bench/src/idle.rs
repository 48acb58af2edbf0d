//! `idle`: open N connections that then do nothing, and read the server's resident memory
//! (`VmRSS`) before and after: (after − before) / N is what one idle connection costs the
//! server process. The kernel's own socket memory is not in RSS; the machine-wide slab
//! growth per socket is printed beside it (noisy: other processes allocate too).
//!
//! WebSockets go to `/ws/echo` on every server (no application state: the cost of the
//! connection itself). Event streams (`--transport sse`) go to our
//! `/boards/idle-<i % 100>/events`; the peers have no SSE, so only ours is measured.
//!
//! With `--after-close-secs N` the clients then close every connection and, N seconds
//! later, RSS is read once more: what share of the connections' memory the server gave
//! back to the operating system (compare `liveboard --release-memory-when-idle true`,
//! `false`, and a build with `--features jemalloc`, via `--liveboard-arg` and
//! `--liveboard-bin`).

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use tokio::net::TcpStream;

use crate::{
    client::{open_event_stream, WsClient},
    procfs,
    runner::Metrics,
    server::ServerProcess,
};

/// What kind of idle connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// WebSockets on `/ws/echo`.
    Ws,
    /// Event streams on `/boards/:board/events` (ours only).
    Sse,
}

/// `idle`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct IdleOptions {
    /// Connections; a comma-separated list measures each size.
    #[arg(long, value_delimiter = ',', default_values_t = [1000usize, 10000])]
    pub conns: Vec<usize>,
    /// WebSockets or event streams.
    #[arg(long, value_enum, default_value_t = Transport::Ws)]
    pub transport: Transport,
    /// Seconds to wait after the last connection before reading RSS; the server's CPU time
    /// over these seconds is its idle CPU (heartbeats, timers).
    #[arg(long, default_value_t = 2)]
    pub settle_secs: u64,
    /// Also close every connection, wait this many seconds and read RSS again: how much of
    /// the memory the connections took the server gives back (0: skip).
    #[arg(long, default_value_t = 0)]
    pub after_close_secs: u64,
}

/// Opens `n` connections of `transport` to `server` (at most 128 handshakes at a time).
pub async fn open(
    server: &ServerProcess,
    transport: Transport,
    n: usize,
) -> Result<Vec<TcpStream>, String> {
    let addr = server.addr();
    let results: Vec<std::io::Result<TcpStream>> = stream::iter(0..n)
        .map(|i| async move {
            match transport {
                Transport::Ws => WsClient::connect(addr, i, "/ws/echo", None)
                    .await
                    .map(|c| c.into_parts().0),
                Transport::Sse => {
                    open_event_stream(addr, i, &format!("/boards/idle-{}/events", i % 100)).await
                }
            }
        })
        .buffer_unordered(128)
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        return Err(format!("{failed} of {n} connections failed, e.g.: {e}"));
    }
    Ok(results.into_iter().flatten().collect())
}

/// One measurement against `server` with `n` idle connections.
pub async fn measure(server: ServerProcess, o: &IdleOptions, n: usize) -> Result<Metrics, String> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss0, slab0, cpu0, t0) = (
        server.rss_kib(),
        procfs::slab_kib(),
        server.cpu(),
        Instant::now(),
    );
    let conns = open(&server, o.transport, n).await?;
    let (cpu1, connect_wall) = (server.cpu(), t0.elapsed());
    tokio::time::sleep(Duration::from_secs(o.settle_secs)).await;
    let (rss1, slab1, cpu2) = (server.rss_kib(), procfs::slab_kib(), server.cpu());
    // The clients close first; the server is still running to give memory back.
    drop(conns);
    let after_close = if o.after_close_secs > 0 {
        tokio::time::sleep(Duration::from_secs(o.after_close_secs)).await;
        let (rss2, cpu3) = (server.rss_kib(), server.cpu());
        Some((rss2, cpu3 - cpu2))
    } else {
        None
    };
    drop(server);
    let per_socket = match (slab0, slab1) {
        // Both ends of every connection are on this machine: 2n sockets.
        (Some(a), Some(b)) => b.saturating_sub(a) as f64 / (2 * n) as f64,
        _ => f64::NAN,
    };
    let mut metrics = vec![
        ("connections", n as f64),
        ("server RSS before MiB", rss0 as f64 / 1024.0),
        ("server RSS after MiB", rss1 as f64 / 1024.0),
        (
            "server KiB/connection",
            rss1.saturating_sub(rss0) as f64 / n as f64,
        ),
        (
            "server CPU µs/handshake",
            (cpu1 - cpu0).as_secs_f64() * 1e6 / n as f64,
        ),
        ("handshakes/s", n as f64 / connect_wall.as_secs_f64()),
        (
            "server CPU % while idle",
            (cpu2 - cpu1).as_secs_f64() * 100.0 / o.settle_secs.max(1) as f64,
        ),
        ("kernel slab KiB/socket (noisy)", per_socket),
    ];
    if let Some((rss2, cpu)) = after_close {
        metrics.push(("server RSS after close MiB", rss2 as f64 / 1024.0));
        metrics.push((
            "RSS given back %",
            100.0 * rss1.saturating_sub(rss2) as f64 / rss1.saturating_sub(rss0).max(1) as f64,
        ));
        metrics.push(("server CPU ms after close", cpu.as_secs_f64() * 1e3));
    }
    Ok(metrics)
}
