//! The server's heartbeat over real sockets: the phase-5 server (Sse, WebSocket, Board in
//! memory, Hardening) on 127.0.0.1:0 with a 200 ms interval and a 600 ms deadline. A raw
//! TCP client that stops answering is closed and leaves presence; tokio-tungstenite, which
//! answers pings, stays. Every wait has a timeout; no assertion is about how long
//! something took.

use std::{sync::Arc, time::Duration};

use bytes::{Buf, BytesMut};
use futures_util::{SinkExt, StreamExt};
use phase_1_foundations::{
    testing::{self, spawn_app, TestServer},
    Composition,
};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{access::AccessMode, Board, BoardConfig};
use phase_5_hardening::{Hardening, HardeningConfig};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::{timeout, Instant},
};
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, http::HeaderValue, Message},
    MaybeTlsStream, WebSocketStream,
};

const INTERVAL_MS: u64 = 200;
const DEADLINE_MS: u64 = 600;
/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(10);

async fn start() -> TestServer {
    let ws = WsConfig {
        close_timeout_ms: 1_000,
        ..WsConfig::default()
    };
    let hardening = HardeningConfig {
        heartbeat_interval_ms: INTERVAL_MS,
        heartbeat_deadline_ms: DEADLINE_MS,
        ..HardeningConfig::default()
    };
    spawn_app(
        Composition::new(testing::server_config())
            .module(Sse::new(SseConfig::default()))
            .module(WebSocket::new(ws))
            .module(Board::new(BoardConfig {
                // The clients here do not sign in: this is not about access.
                access: AccessMode::Open,
                ..BoardConfig::in_memory()
            }))
            .module(Hardening::new(hardening)),
    )
    .await
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A tokio-tungstenite client on `/ws` (it answers pings by itself while it reads).
async fn tungstenite(server: &TestServer) -> Ws {
    let mut req = format!("ws://{}/ws", server.addr)
        .into_client_request()
        .expect("a ws url");
    let headers = req.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("liveboard.v1"),
    );
    headers.insert("origin", HeaderValue::from_static(testing::TEST_ORIGIN));
    let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(req))
        .await
        .expect("handshake in time")
        .expect("handshake accepted");
    ws
}

/// A client that keeps reading (so it keeps answering pings) in a task of its own and
/// hands over its text messages.
struct Watcher(tokio::sync::mpsc::UnboundedReceiver<Value>);

impl Watcher {
    async fn subscribe(server: &TestServer, board: &str, client_id: &str) -> Self {
        let mut ws = tungstenite(server).await;
        ws.send(Message::text(subscribe(board, client_id).to_string()))
            .await
            .expect("send");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(text) = msg {
                    let v = serde_json::from_str(text.as_str()).expect("JSON");
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        Self(rx)
    }

    /// The first message for which `pred` holds (earlier ones are dropped).
    async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let v = timeout(WAIT, self.0.recv())
                .await
                .expect("a message in time")
                .expect("the watcher is connected");
            if pred(&v) {
                return v;
            }
        }
    }
}

fn subscribe(board: &str, client_id: &str) -> Value {
    json!({"type": "subscribe", "id": "s1", "payload": {"board": board,
           "person": {"clientId": client_id, "name": client_id, "color": "#336699"}}})
}

/// A client written with raw bytes, so that it can do what no library would: never answer.
struct RawClient {
    tcp: TcpStream,
    buf: BytesMut,
}

/// One server frame: opcode and payload.
type RawFrame = (u8, Vec<u8>);

impl RawClient {
    async fn connect(server: &TestServer) -> Self {
        let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: liveboard.v1\r\nOrigin: {}\r\n\r\n",
            server.addr,
            testing::TEST_ORIGIN
        );
        tcp.write_all(request.as_bytes())
            .await
            .expect("send handshake");
        let mut client = Self {
            tcp,
            buf: BytesMut::new(),
        };
        let head_end = loop {
            if let Some(i) = client.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(
                client.fill().await > 0,
                "the server closed during the handshake"
            );
        };
        let head = String::from_utf8_lossy(&client.buf[..head_end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        client.buf.advance(head_end);
        client
    }

    async fn fill(&mut self) -> usize {
        timeout(WAIT, self.tcp.read_buf(&mut self.buf))
            .await
            .expect("bytes or EOF in time")
            .expect("read")
    }

    /// Sends one masked text frame (RFC 6455 §5.3: a client masks every frame).
    async fn send_text(&mut self, text: &str) {
        let key = [0x12, 0x34, 0x56, 0x78];
        let payload = text.as_bytes();
        assert!(payload.len() < 126, "short frames only");
        let mut frame = vec![0x81, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&key);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        self.tcp.write_all(&frame).await.expect("send frame");
    }

    /// The next frame, or `None` at end of stream.
    async fn frame(&mut self) -> Option<RawFrame> {
        loop {
            if self.buf.len() >= 2 {
                let opcode = self.buf[0] & 0x0f;
                let (len, header) = match self.buf[1] & 0x7f {
                    126 if self.buf.len() >= 4 => {
                        (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4)
                    }
                    127 if self.buf.len() >= 10 => {
                        let mut n = [0u8; 8];
                        n.copy_from_slice(&self.buf[2..10]);
                        (u64::from_be_bytes(n) as usize, 10)
                    }
                    126 | 127 => (usize::MAX, 0),
                    n => (n as usize, 2),
                };
                if len != usize::MAX && self.buf.len() >= header + len {
                    let payload = self.buf[header..header + len].to_vec();
                    self.buf.advance(header + len);
                    return Some((opcode, payload));
                }
            }
            if self.fill().await == 0 {
                return None;
            }
        }
    }
}

async fn presence_ids(server: &TestServer, board: &str) -> Vec<String> {
    let url = server.url(&format!("/boards/{board}/presence"));
    let res = timeout(WAIT, reqwest::get(url))
        .await
        .expect("an answer in time")
        .expect("request sent");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("JSON");
    body["people"]
        .as_array()
        .expect("a people list")
        .iter()
        .map(|p| p["clientId"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_peer_that_stops_answering_is_closed_within_the_deadline_and_leaves_presence() {
    let server = start().await;
    let mut watcher = Watcher::subscribe(&server, "hb", "watcher").await;
    watcher.until(|v| v["type"] == "presence.list").await;

    let mut silent = RawClient::connect(&server).await;
    silent
        .send_text(&subscribe("hb", "ghost").to_string())
        .await;
    watcher
        .until(|v| v["type"] == "presence.join" && v["payload"]["clientId"] == "ghost")
        .await;
    assert!(presence_ids(&server, "hb")
        .await
        .contains(&"ghost".to_owned()));

    // From here on the raw client reads, but never answers a ping.
    let mut pings = 0;
    let close = loop {
        match silent
            .frame()
            .await
            .expect("a Close before the end of the stream")
        {
            (0x9, _) => pings += 1,
            (0x8, payload) => break payload,
            _ => {}
        }
    };
    assert!(pings >= 1, "the server pinged before giving up");
    assert_eq!(u16::from_be_bytes([close[0], close[1]]), 1001);
    let reason = String::from_utf8(close[2..].to_vec()).expect("a UTF-8 reason");
    assert!(reason.starts_with("no heartbeat for "), "{reason}");
    // The server closes TCP after its Close (it does not wait forever for ours).
    assert_eq!(
        silent.frame().await,
        None,
        "TCP closed after the Close frame"
    );

    watcher
        .until(|v| v["type"] == "presence.leave" && v["payload"]["clientId"] == "ghost")
        .await;
    assert_eq!(presence_ids(&server, "hb").await, ["watcher"]);
    server.shutdown().await.expect("server stops");
}

#[tokio::test]
async fn a_client_that_answers_pings_stays_across_several_deadlines_and_gets_heartbeats() {
    let server = start().await;
    let mut ws = tungstenite(&server).await;
    let mut heartbeats = 0;
    let mut pings = 0;
    // Ten heartbeats are at least nine intervals apart: three deadlines.
    while heartbeats < 10 {
        let msg = timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("connection open")
            .expect("a valid frame");
        match msg {
            Message::Ping(_) => pings += 1,
            Message::Text(text) => {
                let v: Value = serde_json::from_str(text.as_str()).expect("JSON");
                if v["type"] == "heartbeat" {
                    assert!(
                        v["payload"]["serverTimeMs"].as_u64().unwrap_or(0) > 0,
                        "{v}"
                    );
                    heartbeats += 1;
                }
            }
            Message::Close(frame) => panic!("closed although it answered: {frame:?}"),
            _ => {}
        }
    }
    assert!(pings >= 9, "a ping with each heartbeat, got {pings}");
    ws.close(None).await.expect("close");
    server.shutdown().await.expect("server stops");
}

#[tokio::test]
async fn the_first_pings_of_connections_opened_at_once_are_spread() {
    let server = Arc::new(start().await);
    let clients = (0..48).map(|_| {
        let server = server.clone();
        tokio::spawn(async move {
            let mut ws = tungstenite(&server).await;
            let opened = Instant::now();
            loop {
                let msg = timeout(WAIT, ws.next())
                    .await
                    .expect("a ping in time")
                    .expect("connection open")
                    .expect("a valid frame");
                if let Message::Ping(_) = msg {
                    return opened.elapsed();
                }
            }
        })
    });
    let mut firsts = Vec::new();
    for client in clients.collect::<Vec<_>>() {
        firsts.push(client.await.expect("client task"));
    }
    let spread = *firsts.iter().max().unwrap() - *firsts.iter().min().unwrap();
    // The task ticks every interval/8, so a first ping is seen up to one tick after its
    // turn: a synchronized schedule (every first ping one interval after connect) shows a
    // spread of at most a tick. Drawn over [interval/2, interval) — four ticks — 48 first
    // pings span more than three ticks unless all missed a quarter of it (odds ≈ 2·10⁻⁵),
    // so their spread is at least two ticks.
    assert!(
        spread >= Duration::from_millis(2 * INTERVAL_MS / 8),
        "first pings after connect: {firsts:?}"
    );
    Arc::try_unwrap(server)
        .ok()
        .expect("clients are done")
        .shutdown()
        .await
        .expect("server stops");
}
