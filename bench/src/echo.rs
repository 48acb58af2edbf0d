//! `echo`: N connections, each sending a text message and waiting for it to come back
//! (closed loop: one message in flight per connection), for D seconds after a warm-up.
//!
//! Reports messages per second, **server CPU time per message** (the figure to compare:
//! it does not depend on how fast the client is), the server's and the client's CPU use,
//! and the round-trip time's p50 and p99.

use std::{
    sync::{
        atomic::{AtomicU8, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::{stream, StreamExt};

use crate::{
    client::{WsClient, OP_TEXT},
    procfs,
    runner::Metrics,
    server::ServerProcess,
    stats::percentile,
};

/// `echo`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct EchoOptions {
    /// Connections.
    #[arg(long, default_value_t = 64)]
    pub conns: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 2)]
    pub warmup_secs: u64,
    /// Bytes per message (text).
    #[arg(long, default_value_t = 32)]
    pub size: usize,
}

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// One measurement against `server`.
pub async fn measure(server: ServerProcess, o: &EchoOptions) -> Result<Metrics, String> {
    let addr = server.addr();
    let clients: Vec<WsClient> = stream::iter(0..o.conns)
        .map(|i| WsClient::connect(addr, i, "/ws/echo", None))
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("connecting: {e}"))?;

    let phase = Arc::new(AtomicU8::new(WARMUP));
    let payload: Vec<u8> = (0..o.size).map(|i| b'a' + (i % 26) as u8).collect();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            let phase = phase.clone();
            let payload = payload.clone();
            tokio::spawn(async move {
                let mut rtts: Vec<u64> = Vec::with_capacity(1 << 16);
                loop {
                    let state = phase.load(Ordering::Relaxed);
                    if state == STOP {
                        return Ok(rtts);
                    }
                    let sent = Instant::now();
                    c.send_text(&payload).await?;
                    loop {
                        match c.next_frame().await? {
                            Some((OP_TEXT, p)) if p.len() == payload.len() => break,
                            Some(_) => {}
                            None => return Err(std::io::Error::other("server closed")),
                        }
                    }
                    if state == MEASURE && phase.load(Ordering::Relaxed) == MEASURE {
                        rtts.push(sent.elapsed().as_nanos() as u64);
                    }
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(o.warmup_secs)).await;
    let (cpu0, me0, t0) = (server.cpu(), procfs::self_cpu(), Instant::now());
    phase.store(MEASURE, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(o.secs)).await;
    phase.store(STOP, Ordering::Relaxed);
    let (cpu1, me1, wall) = (server.cpu(), procfs::self_cpu(), t0.elapsed());

    let mut rtts = Vec::new();
    for t in tasks {
        match tokio::time::timeout(Duration::from_secs(10), t).await {
            Ok(Ok(Ok(r))) => rtts.extend(r),
            Ok(Ok(Err(e))) => return Err(format!("a connection failed: {e}")),
            _ => return Err("a connection did not finish".into()),
        }
    }
    drop(server); // the server goes first, so client sockets do not linger in TIME_WAIT
    let n = rtts.len() as f64;
    let server_cpu = (cpu1 - cpu0).as_secs_f64();
    Ok(vec![
        ("messages/s", n / wall.as_secs_f64()),
        ("server CPU µs/message", server_cpu * 1e6 / n),
        ("server CPU %", server_cpu * 100.0 / wall.as_secs_f64()),
        (
            "client CPU %",
            (me1 - me0).as_secs_f64() * 100.0 / wall.as_secs_f64(),
        ),
        (
            "RTT p50 µs",
            percentile(&mut rtts, 50.0).unwrap_or(0) as f64 / 1e3,
        ),
        (
            "RTT p99 µs",
            percentile(&mut rtts, 99.0).unwrap_or(0) as f64 / 1e3,
        ),
    ])
}
