//! Graceful shutdown, run for real: the phase-5 binary, started on `127.0.0.1:0` with its
//! data in a temporary directory, stopped with real signals.
//!
//! * SIGTERM: every WebSocket gets Close 1001 with a retry hint inside the spread window
//!   (different hints: spread), an event stream gets a last `retry:` and ends, exit 0;
//! * a second signal during a drain that cannot finish exits at once, with status 130;
//! * notes acknowledged just before SIGTERM are all there after a restart.

#![cfg(unix)]

use std::{collections::HashSet, path::Path, time::Duration};

use futures_util::{SinkExt, StreamExt};
use phase_5_hardening::{protocol::retry_hint, BackoffPolicy, ReconnectState};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    process::{Child, Command},
};
use tokio_tungstenite::tungstenite::{
    client::IntoClientRequest, http::HeaderValue, protocol::frame::coding::CloseCode, Message,
};

/// The longest any single wait in these tests may take.
const WAIT: Duration = Duration::from_secs(20);
const SPREAD_MS: u64 = 5_000;

/// The binary, running; killed (by its PID) if a test fails before it exits.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    async fn start(data_dir: &Path, extra: &[&str]) -> Self {
        Self::start_at(data_dir, "127.0.0.1:0", extra).await
    }

    /// The same, listening on `bind` (a restart on the address of the previous run).
    async fn start_at(data_dir: &Path, bind: &str, extra: &[&str]) -> Self {
        let spread = SPREAD_MS.to_string();
        let args = [
            "--bind",
            bind,
            "--shutdown-spread-ms",
            &spread,
            // The clients here do not sign in: this is about shutdown, not access.
            "--board-access",
            "open",
            "--data-dir",
        ];
        let args = args
            .iter()
            .map(std::ffi::OsStr::new)
            .chain([data_dir.as_os_str()])
            .chain(extra.iter().map(std::ffi::OsStr::new));
        let (child, addr) = phase_1_foundations::testing::spawn_binary(
            env!("CARGO_BIN_EXE_phase-5-hardening"),
            args,
        )
        .await;
        Self { child, addr }
    }

    /// Sends `signal` (`TERM`, `INT`) to this child, by its PID.
    async fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("the child is running");
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .await
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {pid} failed");
    }

    /// Waits (at most [`WAIT`]) for the process to exit; returns its exit code.
    async fn exit_code(&mut self) -> Option<i32> {
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the server exits in time")
            .expect("wait for the child")
            .code()
    }

    fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn connect_board(server: &Server) -> Ws {
    try_connect_board(&server.ws_url("/ws"))
        .await
        .expect("handshake accepted")
}

/// A `/ws` handshake that may fail (the server is restarting).
async fn try_connect_board(url: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("liveboard.v1"),
    );
    req.headers_mut()
        .insert("origin", HeaderValue::from_static("http://localhost:3000"));
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
        .await
        .expect("handshake in time")?;
    Ok(ws)
}

/// Reads until the server's Close, then on until the end (so tungstenite sends its
/// answering Close); returns the server's code and reason.
async fn close_frame(ws: &mut Ws) -> (CloseCode, String) {
    let close = loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("the Close in time")
            .expect("the connection is still open")
            .expect("a valid frame");
        if let Message::Close(frame) = msg {
            let frame = frame.expect("the Close has a code");
            break (frame.code, frame.reason.to_string());
        }
    };
    while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, ws.next()).await {}
    close
}

/// The next JSON text message whose `id` is `id`.
async fn answer(ws: &mut Ws, id: &str) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("an answer in time")
            .expect("connection open")
            .expect("a valid frame");
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(text.as_str()).expect("JSON");
            if v["id"] == id {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn sigterm_closes_websockets_with_spread_hints_ends_event_streams_with_a_retry_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]).await;
    let mut sockets = Vec::new();
    for _ in 0..30 {
        sockets.push(connect_board(&server).await);
    }
    let mut sse = reqwest::get(server.url("/boards/demo/events"))
        .await
        .expect("the event stream opens")
        .bytes_stream();
    let mut seen = String::new();
    // The stream is open once its first write (the retry hint, `ready`) has arrived.
    let first = tokio::time::timeout(WAIT, sse.next())
        .await
        .expect("the first write in time")
        .expect("a chunk")
        .expect("readable");
    seen.push_str(&String::from_utf8_lossy(&first));

    server.signal("TERM").await;

    let mut hints = HashSet::new();
    for ws in &mut sockets {
        let (code, reason) = close_frame(ws).await;
        assert_eq!(code, CloseCode::Away, "{reason}");
        assert!(reason.starts_with("server shutting down"), "{reason}");
        let hint = retry_hint(&reason).unwrap_or_else(|| panic!("no hint in {reason:?}"));
        assert!(hint <= SPREAD_MS, "{hint} ms is outside the window");
        hints.insert(hint);
    }
    assert!(hints.len() > 1, "every client got the same hint: {hints:?}");

    while let Some(chunk) = tokio::time::timeout(WAIT, sse.next())
        .await
        .expect("the stream ends in time")
    {
        seen.push_str(&String::from_utf8_lossy(&chunk.expect("readable")));
    }
    let (before, last) = seen
        .rsplit_once("retry: ")
        .unwrap_or_else(|| panic!("no retry line: {seen:?}"));
    assert!(before.contains("event: ready"), "{seen:?}");
    let (ms, rest) = last.split_once('\n').expect("a whole line");
    assert!(
        ms.parse::<u64>().expect("a number") <= SPREAD_MS,
        "{seen:?}"
    );
    assert_eq!(rest, "\n: closed: server shutting down\n", "{seen:?}");

    assert_eq!(server.exit_code().await, Some(0));
}

#[tokio::test]
async fn a_second_signal_during_a_drain_that_cannot_finish_exits_at_once_with_130() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &[
            "--ws-close-timeout-ms",
            "600000",
            "--drain-timeout-ms",
            "600000",
        ],
    )
    .await;
    // A raw client that will never answer the server's Close.
    let mut raw = TcpStream::connect(&server.addr).await.unwrap();
    raw.write_all(
        b"GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
          Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let headers_end = loop {
        let n = tokio::time::timeout(WAIT, raw.read(&mut chunk))
            .await
            .expect("the 101 in time")
            .unwrap();
        assert!(n > 0, "the server closed before the 101");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    assert!(buf.starts_with(b"HTTP/1.1 101"), "{buf:?}");

    server.signal("TERM").await;
    // The server's Close arrives (FIN, opcode 8); we never answer it.
    while buf.len() < headers_end + 1 {
        let n = tokio::time::timeout(WAIT, raw.read(&mut chunk))
            .await
            .expect("the Close in time")
            .unwrap();
        assert!(n > 0, "the server closed TCP without a Close frame");
        buf.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(buf[headers_end], 0x88, "a final Close frame");
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the drain waits for the closing handshake"
    );

    server.signal("INT").await;
    assert_eq!(server.exit_code().await, Some(130));
    drop(raw);
}

#[tokio::test]
async fn notes_acknowledged_just_before_sigterm_are_all_there_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]).await;
    let mut ws = connect_board(&server).await;
    const NOTES: usize = 20;
    for i in 0..NOTES {
        let request = json!({"type": "note_create", "id": format!("r{i}"), "payload": {
            "board": "kept", "opId": format!("op{i}"), "noteId": format!("n{i}"),
            "text": format!("note {i}"), "color": "#fde68a", "column": "Todo",
            "order": i as f64, "author": "Ana"}});
        ws.send(Message::text(request.to_string())).await.unwrap();
    }
    for i in 0..NOTES {
        let v = answer(&mut ws, &format!("r{i}")).await;
        assert_eq!(v["type"], "ack", "{v}");
    }
    server.signal("TERM").await;
    assert_eq!(server.exit_code().await, Some(0));

    let mut again = Server::start(dir.path(), &[]).await;
    let snapshot: Value = reqwest::get(again.url("/boards/kept"))
        .await
        .expect("GET /boards/kept")
        .json()
        .await
        .expect("JSON");
    let ids: HashSet<&str> = snapshot["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("no notes in {snapshot}"))
        .iter()
        .filter_map(|n| n["id"].as_str().or_else(|| n["noteId"].as_str()))
        .collect();
    assert_eq!(ids.len(), NOTES, "{snapshot}");
    again.signal("TERM").await;
    assert_eq!(again.exit_code().await, Some(0));
}

/// How many clients the restart test reconnects.
const HERD: usize = 1_000;

/// One client of the herd: waits for the server's goodbye, then reconnects by the contract
/// (the close reason's hint as a floor over its own full-jitter draw; refused attempts back
/// off), and returns when it got back in, in milliseconds after `since`.
async fn come_back(mut ws: Ws, url: String, since: tokio::time::Instant) -> u64 {
    let (code, reason) = close_frame(&mut ws).await;
    assert_eq!(code, CloseCode::Away, "{reason}");
    // The closing handshake is over: let go of the socket, as a browser does, so the
    // server's task sees our FIN and ends (it waits for it, within its close deadline).
    drop(ws);
    let policy = BackoffPolicy::default();
    let mut state = ReconnectState::default();
    let mut hint = retry_hint(&reason);
    loop {
        let attempt = state.closed(since.elapsed().as_millis() as u64, &policy);
        let delay = policy.next_delay_ms(attempt, fastrand::f64(), hint.take());
        // Waiting is the behaviour under test: each client sleeps its own drawn delay.
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if try_connect_board(&url).await.is_ok() {
            return since.elapsed().as_millis() as u64;
        }
    }
}

#[tokio::test]
async fn a_thousand_clients_come_back_spread_over_the_window_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // Every client is on 127.0.0.1: lift the per-address cap for this test.
    let all_from_one_address = ["--max-connections-per-ip", "0"];
    let mut server = Server::start(dir.path(), &all_from_one_address).await;
    let url = server.ws_url("/ws");
    let mut sockets = Vec::with_capacity(HERD);
    for _ in 0..HERD {
        sockets.push(connect_board(&server).await);
    }
    let since = tokio::time::Instant::now();
    let herd: Vec<_> = sockets
        .into_iter()
        .map(|ws| tokio::spawn(come_back(ws, url.clone(), since)))
        .collect();
    server.signal("TERM").await;
    assert_eq!(server.exit_code().await, Some(0));
    println!(
        "old server exited {} ms after SIGTERM",
        since.elapsed().as_millis()
    );
    let addr = server.addr.clone();
    let _restarted = Server::start_at(dir.path(), &addr, &all_from_one_address).await;

    let mut back = Vec::with_capacity(HERD);
    for client in herd {
        let ms = tokio::time::timeout(WAIT * 2, client)
            .await
            .expect("every client is back in time")
            .expect("the client task did not panic");
        back.push(ms);
    }
    back.sort_unstable();
    // The histogram, in half-seconds after SIGTERM (the chapter shows one run of it).
    let mut buckets = vec![0usize; (back[HERD - 1] / 500 + 1) as usize];
    for ms in &back {
        buckets[(*ms / 500) as usize] += 1;
    }
    println!("reconnections of {HERD} clients after SIGTERM, per 500 ms:");
    for (i, n) in buckets.iter().enumerate() {
        println!("  {:>5} ms {n:>4} {}", i * 500, "#".repeat(n.div_ceil(10)));
    }
    let busiest = buckets.iter().copied().max().unwrap_or(0);
    let (p10, p90) = (back[HERD / 10], back[HERD * 9 / 10]);
    println!("busiest half-second: {busiest}; p10 {p10} ms, p90 {p90} ms");
    // Spread over the window, not a spike: a herd told "now" would land in one bucket.
    assert!(
        busiest < HERD / 4,
        "a spike of {busiest} in one half-second"
    );
    assert!(p90 - p10 >= SPREAD_MS / 2, "p10 {p10} ms, p90 {p90} ms");
}
