//! `fanout`: S subscribers on one board, one publisher; every published message must
//! reach every subscriber.
//!
//! * **Our server**: subscribers speak the board protocol on `/ws` (`liveboard.v1`):
//!   `subscribe {board}`, then wait for the hub's `ready`; the publisher sends
//!   `publish {board, text}` and gets an `ack` for each (which it reads and discards).
//!   Each subscriber receives a `message` event: a JSON envelope of about 170 bytes.
//! * **The peers**: subscribers connect to `/ws`, the publisher to `/ws/publish`, and the
//!   publisher's text (padded to `--peer-payload` bytes, so the bytes on the wire are
//!   close to ours) is fanned out as it is.
//!
//! The message text carries `bench#<seq>#<t>#`, `t` being the publish time in ns on the
//! tool's clock, so each subscriber measures publish → delivery latency itself.
//!
//! Two ways to publish:
//! * `--rate R` messages per second, for `--secs` (the latency figure: 1k × 50/s);
//! * `--rate 0`: as fast as the server delivers, **with a window**: message `k` is sent only
//!   once message `k − window` has reached every subscriber (window 1 by default: one
//!   message at a time, so no server can batch several into one write). Without a window the
//!   publisher would outrun any server, the queues would hit their byte budget and the
//!   server would (correctly) cut subscribers: that measures the slow-consumer rule, not
//!   throughput. With a window the server always has `window` messages to fan out, and we
//!   count deliveries per second and **server CPU per delivery**.
//!
//! Missing messages are published × subscribers − delivered; anything but 0 is a failure
//! of the run, reported in the table.

use std::{
    sync::{
        atomic::{AtomicU32, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::{stream, StreamExt};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    sync::{watch, Notify},
};

use crate::{
    client::{close_code, encode_client_frame, WsClient, OP_CLOSE, OP_TEXT},
    clock_ns, procfs,
    runner::Metrics,
    server::{ServerKind, ServerProcess},
    stats::percentile,
};

/// `fanout`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct FanoutOptions {
    /// Subscribers; a comma-separated list measures each size.
    #[arg(long, value_delimiter = ',', default_values_t = [1000usize])]
    pub subs: Vec<usize>,
    /// Messages per second; 0 publishes as fast as deliveries complete (see `--window`).
    #[arg(long, default_value_t = 0)]
    pub rate: u32,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
    /// With `--rate 0`: messages in flight (published, not yet at every subscriber).
    /// 1 (the default) gives every delivery its own write; more lets servers that
    /// coalesce writes send several messages per system call.
    #[arg(long, default_value_t = 1)]
    pub window: usize,
    /// Bytes of the text the peers' publisher sends (ours sends the bare marker inside
    /// its JSON request; its delivered envelope is about 170 bytes).
    #[arg(long, default_value_t = 160)]
    pub peer_payload: usize,
}

const BOARD: &str = "bench";
const RING: usize = 1 << 16;

/// Finds `bench#<seq>#<t>#` in a delivered payload.
pub fn parse_marker(payload: &[u8]) -> Option<(u64, u64)> {
    let start = payload.windows(6).position(|w| w == b"bench#")? + 6;
    let mut fields = payload[start..].split(|b| *b == b'#');
    let mut num = || -> Option<u64> { std::str::from_utf8(fields.next()?).ok()?.parse().ok() };
    Some((num()?, num()?))
}

/// What every subscriber reports into.
struct Tally {
    /// Per message (mod RING): how many subscribers have it.
    done: Vec<AtomicU32>,
    delivered: AtomicU64,
    subs: u32,
    complete: Notify,
}

struct SubscriberReport {
    latencies: Vec<u64>,
    ended: Option<String>,
}

async fn subscriber(
    mut c: WsClient,
    tally: Arc<Tally>,
    mut stop: watch::Receiver<bool>,
) -> SubscriberReport {
    let mut latencies = Vec::new();
    let mut ended = None;
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            frame = c.next_frame() => match frame {
                Ok(Some((OP_TEXT, payload))) => {
                    let Some((seq, t)) = parse_marker(&payload) else { continue };
                    latencies.push(clock_ns().saturating_sub(t));
                    tally.delivered.fetch_add(1, Ordering::Relaxed);
                    let n = tally.done[seq as usize % RING].fetch_add(1, Ordering::Relaxed) + 1;
                    if n == tally.subs {
                        tally.complete.notify_one();
                    }
                }
                Ok(Some((OP_CLOSE, payload))) => {
                    ended = Some(format!("closed with {:?}", close_code(&payload)));
                    break;
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    ended = Some("EOF".into());
                    break;
                }
                Err(e) => {
                    ended = Some(e.to_string());
                    break;
                }
            },
        }
    }
    SubscriberReport { latencies, ended }
}

/// Connects one subscriber and waits until it is subscribed.
async fn subscribe(
    kind: ServerKind,
    addr: std::net::SocketAddr,
    i: usize,
) -> Result<WsClient, String> {
    if !kind.is_liveboard() {
        return WsClient::connect(addr, i, "/ws", None)
            .await
            .map_err(|e| e.to_string());
    }
    let mut c = WsClient::connect(addr, i, "/ws", Some("liveboard.v1"))
        .await
        .map_err(|e| e.to_string())?;
    let request = format!(r#"{{"type":"subscribe","payload":{{"board":"{BOARD}"}}}}"#);
    c.send_text(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match c.next_frame().await.map_err(|e| e.to_string())? {
            Some((OP_TEXT, p)) if contains(&p, br#""type":"ready""#) => return Ok(c),
            Some((OP_TEXT, p)) if contains(&p, br#""type":"error""#) => {
                return Err(String::from_utf8_lossy(&p).into_owned())
            }
            Some(_) => {}
            None => return Err("closed while subscribing".into()),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One measurement against `server` with `subs` subscribers.
pub async fn measure(
    server: ServerProcess,
    o: &FanoutOptions,
    subs: usize,
) -> Result<Metrics, String> {
    let (kind, addr) = (server.kind(), server.addr());
    let clients: Vec<WsClient> = stream::iter(0..subs)
        .map(|i| subscribe(kind, addr, i))
        .buffer_unordered(128)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("subscribing: {e}"))?;

    let tally = Arc::new(Tally {
        done: (0..RING).map(|_| AtomicU32::new(0)).collect(),
        delivered: AtomicU64::new(0),
        subs: subs as u32,
        complete: Notify::new(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(subscriber(c, tally.clone(), stop_rx.clone())))
        .collect();

    // The publisher: its own connection, its answers (our acks) read and dropped.
    let (path, protocol) = match kind {
        k if k.is_liveboard() => ("/ws", Some("liveboard.v1")),
        _ => ("/ws/publish", None),
    };
    let publisher = WsClient::connect(addr, subs, path, protocol)
        .await
        .map_err(|e| format!("publisher: {e}"))?;
    let (mut rd, mut wr) = publisher.into_parts().0.into_split();
    let drain = tokio::spawn(async move {
        let mut sink = vec![0u8; 64 * 1024];
        while let Ok(n) = rd.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    });

    let (cpu0, me0, t0) = (server.cpu(), procfs::self_cpu(), Instant::now());
    let publish_for = Duration::from_secs(o.secs);
    let mut ticker = (o.rate > 0).then(|| {
        let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / o.rate as f64));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        t
    });
    let mut frame = Vec::with_capacity(256);
    let mut published: u64 = 0;
    let mut stalled = false;
    loop {
        match ticker.as_mut() {
            Some(t) => {
                t.tick().await;
            }
            None if published as usize >= o.window => {
                let slot = &tally.done[(published as usize - o.window) % RING];
                if !wait_until(&tally.complete, || {
                    slot.load(Ordering::Relaxed) >= tally.subs
                })
                .await
                {
                    stalled = true;
                    break;
                }
            }
            None => {}
        }
        if t0.elapsed() >= publish_for {
            break;
        }
        tally.done[published as usize % RING].store(0, Ordering::Relaxed);
        let marker = format!("bench#{published}#{}#", clock_ns());
        frame.clear();
        if kind.is_liveboard() {
            let request = format!(
                r#"{{"type":"publish","payload":{{"board":"{BOARD}","text":"{marker}"}}}}"#
            );
            encode_client_frame(OP_TEXT, request.as_bytes(), &mut frame);
        } else {
            let mut text = marker.into_bytes();
            text.resize(text.len().max(o.peer_payload), b'.');
            encode_client_frame(OP_TEXT, &text, &mut frame);
        }
        wr.write_all(&frame)
            .await
            .map_err(|e| format!("publishing: {e}"))?;
        published += 1;
    }
    // Wait for the last deliveries (bounded).
    let expected = published * subs as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while tally.delivered.load(Ordering::Relaxed) < expected
        && Instant::now() < deadline
        && !stalled
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (cpu1, me1, wall) = (server.cpu(), procfs::self_cpu(), t0.elapsed());
    let delivered = tally.delivered.load(Ordering::Relaxed);

    let _ = stop_tx.send(true);
    let mut latencies = Vec::with_capacity(delivered as usize);
    let mut cut = 0;
    let mut why = None;
    for t in tasks {
        if let Ok(Ok(r)) = tokio::time::timeout(Duration::from_secs(10), t).await {
            latencies.extend(r.latencies);
            if let Some(e) = r.ended {
                cut += 1;
                why.get_or_insert(e);
            }
        }
    }
    drop(server);
    drain.abort();
    if let Some(why) = why {
        eprintln!("   {cut} subscribers ended early, e.g.: {why}");
    }
    let server_cpu = (cpu1 - cpu0).as_secs_f64();
    let secs = wall.as_secs_f64();
    Ok(vec![
        ("deliveries/s", delivered as f64 / secs),
        (
            "server CPU µs/delivery",
            server_cpu * 1e6 / delivered.max(1) as f64,
        ),
        ("server CPU %", server_cpu * 100.0 / secs),
        ("client CPU %", (me1 - me0).as_secs_f64() * 100.0 / secs),
        (
            "latency p50 ms",
            percentile(&mut latencies, 50.0).unwrap_or(0) as f64 / 1e6,
        ),
        (
            "latency p99 ms",
            percentile(&mut latencies, 99.0).unwrap_or(0) as f64 / 1e6,
        ),
        ("messages published", published as f64),
        ("missing", (expected.saturating_sub(delivered)) as f64),
        ("subscribers cut", cut as f64),
    ])
}

/// Waits (at most 10 s) until `done()`; false if it never became true.
async fn wait_until(notify: &Notify, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if done() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        // notify_one stores a permit if nobody waits, so a completion between the check
        // and this wait is not lost.
        let _ = tokio::time::timeout(left, notify.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_found_inside_our_json_envelope_and_in_padded_text() {
        let ours = br#"{"payload":{"board":"bench","text":"bench#12#34567#"},"type":"message"}"#;
        assert_eq!(parse_marker(ours), Some((12, 34567)));
        assert_eq!(parse_marker(b"bench#0#9#......"), Some((0, 9)));
        assert_eq!(parse_marker(b"no marker"), None);
        assert_eq!(parse_marker(b"bench#x#1#"), None);
    }
}
