//! `shutdown`: N idle WebSockets, then SIGTERM to the server; how long until every client
//! has received Close **1001** (going away), and until the process has exited.
//!
//! Each client answers the server's Close with its own (the closing handshake, RFC 6455
//! §7.1.2) and waits for the server to close TCP. A client that sees EOF without a Close
//! frame (what a browser reports as 1006) is counted apart.

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};

use crate::{
    client::{close_code, WsClient, OP_CLOSE},
    runner::Metrics,
    server::ServerProcess,
    stats::percentile,
};

/// `shutdown`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct ShutdownOptions {
    /// Connections; a comma-separated list measures each size.
    #[arg(long, value_delimiter = ',', default_values_t = [1000usize, 10000])]
    pub conns: Vec<usize>,
}

/// How one client saw the shutdown: the Close code (if any) and when it arrived.
async fn await_close(mut c: WsClient) -> (Option<u16>, Instant) {
    loop {
        match c.next_frame().await {
            Ok(Some((OP_CLOSE, payload))) => {
                let at = Instant::now();
                let code = close_code(&payload);
                let _ = c.send_close(code.unwrap_or(1000)).await;
                // The server closes TCP after our answer.
                let _ = tokio::time::timeout(Duration::from_secs(5), async {
                    while let Ok(Some(_)) = c.next_frame().await {}
                })
                .await;
                return (code.or(Some(1005)), at);
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return (None, Instant::now()),
        }
    }
}

/// One measurement against `server` with `n` connections.
pub async fn measure(
    mut server: ServerProcess,
    _o: &ShutdownOptions,
    n: usize,
) -> Result<Metrics, String> {
    let addr = server.addr();
    let clients: Vec<WsClient> = stream::iter(0..n)
        .map(|i| WsClient::connect(addr, i, "/ws/echo", None))
        .buffer_unordered(128)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("connecting: {e}"))?;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(await_close(c)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let t0 = Instant::now();
    server.terminate();
    let deadline = t0 + Duration::from_secs(20);
    let mut going_away: Vec<u64> = Vec::with_capacity(n);
    let (mut other_code, mut no_close) = (0usize, 0usize);
    for t in tasks {
        match tokio::time::timeout_at(deadline.into(), t).await {
            Ok(Ok((Some(1001), at))) => going_away.push((at - t0).as_micros() as u64),
            Ok(Ok((Some(_), _))) => other_code += 1,
            _ => no_close += 1,
        }
    }
    let exited = server.wait_exit(t0, Duration::from_secs(20)).await;
    let ms = |us: Option<u64>| us.map_or(f64::NAN, |us| us as f64 / 1e3);
    Ok(vec![
        ("clients", n as f64),
        ("got 1001", going_away.len() as f64),
        ("other close code", other_code as f64),
        ("no Close frame", no_close as f64),
        ("first 1001 ms", ms(going_away.iter().min().copied())),
        ("median 1001 ms", ms(percentile(&mut going_away, 50.0))),
        ("last 1001 ms", ms(going_away.iter().max().copied())),
        (
            "process exit ms",
            exited.map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
        ),
    ])
}
