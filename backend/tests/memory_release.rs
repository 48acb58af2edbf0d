//! `--release-memory-when-idle` is wired: the real `liveboard` binary gives memory back
//! after its connections close, counting an upgraded WebSocket until it closes. The
//! release itself (glibc's `malloc_trim`) is observed through the server's log line, not
//! through RSS: how much comes back is a measurement (the book's reliability chapter),
//! not something a test can pin down.

use std::{process::Stdio, time::Duration};

use futures_util::{SinkExt, StreamExt};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines},
    net::TcpStream,
    process::{Child, ChildStderr, Command},
};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);
const RELEASED: &str = "released free memory to the operating system";

struct Liveboard {
    _child: Child,
    addr: String,
    log: Lines<BufReader<ChildStderr>>,
}

async fn start(args: &[&str]) -> Liveboard {
    let mut child = Command::new(env!("CARGO_BIN_EXE_liveboard"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--log",
            "info",
            "--data-dir",
            ":memory:",
        ])
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("liveboard starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
    let line = tokio::time::timeout(WAIT, stdout.next_line())
        .await
        .expect("the address in time")
        .expect("stdout readable")
        .expect("a first line");
    let addr = line
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let log = BufReader::new(child.stderr.take().expect("piped")).lines();
    Liveboard {
        _child: child,
        addr,
        log,
    }
}

/// The next release line in the log, without colour codes.
async fn next_release(log: &mut Lines<BufReader<ChildStderr>>) -> String {
    tokio::time::timeout(WAIT, async {
        loop {
            let line = log.next_line().await.expect("stderr readable");
            let line = line.expect("the server is still running");
            if line.contains(RELEASED) {
                return line;
            }
        }
    })
    .await
    .expect("a release within the wait")
}

/// One `GET /health` on its own connection, closed after the answer.
async fn one_request(addr: &str) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer read");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}

#[tokio::test]
async fn memory_is_released_when_half_the_sockets_close_and_again_when_the_last_websocket_does() {
    let mut server = start(&[
        "--release-memory-when-idle",
        "true",
        "--release-memory-interval-ms",
        "100",
    ])
    .await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/echo", server.addr))
        .await
        .expect("a WebSocket");
    ws.send(Message::text("hello")).await.expect("sent");
    let echo = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("an echo");
    assert_eq!(
        echo.expect("a frame").expect("a message"),
        Message::text("hello")
    );

    // Two sockets, then one: half the peak. Were the upgraded WebSocket not counted, the
    // count would have been 0 since its handshake and this line would say `open=0`.
    one_request(&server.addr).await;
    let first = next_release(&mut server.log).await;
    assert!(
        first.contains("peak=2") && first.contains("open=1"),
        "{first}"
    );

    ws.close(None).await.expect("close sent");
    while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, ws.next()).await {}
    let last = next_release(&mut server.log).await;
    assert!(last.contains("peak=1") && last.contains("open=0"), "{last}");
}

#[tokio::test]
async fn a_zero_release_interval_is_refused_at_start_with_the_flag_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_liveboard"))
        .args(["--bind", "127.0.0.1:0", "--data-dir", ":memory:"])
        .args([
            "--release-memory-when-idle",
            "true",
            "--release-memory-interval-ms",
            "0",
        ])
        .output();
    let out = tokio::time::timeout(WAIT, out)
        .await
        .expect("exits in time")
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--release-memory-interval-ms"), "{stderr}");
}
