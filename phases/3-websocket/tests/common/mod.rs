//! Helpers shared by the integration tests: the real phase-3 server on 127.0.0.1:0
//! (modules 1–3, composed and stopped exactly as `main.rs` does) and a raw-bytes client,
//! so assertions are about exactly what crosses the wire.
//! Every wait has a timeout ([`WAIT`]); nothing sleeps.

#![allow(dead_code)] // each test file uses a different subset

use std::{net::SocketAddr, sync::Arc, time::Duration};

use bytes::BytesMut;
use phase_1_foundations::{
    testing::{self, spawn_app, TestServer},
    Composition,
};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{Frame, FrameCodec, Limits, OpCode, WebSocket, WsConfig, WsState};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_util::codec::{Decoder, Encoder};

/// The longest any single wait in a test may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// The origin the test server allows.
pub const ALLOWED_ORIGIN: &str = testing::TEST_ORIGIN;

/// The key of RFC 6455 §1.3 and its accept value.
pub const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A running phase-3 server and phase 3's state.
pub struct Server {
    pub server: TestServer,
    pub state: Arc<WsState>,
}

impl Server {
    pub async fn start(config: WsConfig) -> Self {
        let composition = Composition::new(testing::server_config())
            .module(Sse::new(SseConfig::default()))
            .module(WebSocket::new(config));
        let server = spawn_app(composition).await;
        let state = server
            .services()
            .require::<Arc<WsState>>()
            .expect("phase 3 stores its state")
            .clone();
        Self { server, state }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.server.addr, path)
    }
}

/// A WebSocket config with a short close deadline so failure paths finish fast.
pub fn quick_config() -> WsConfig {
    WsConfig {
        close_timeout_ms: 2_000,
        ..WsConfig::default()
    }
}

/// An HTTP response head (and body, when it has a Content-Length).
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A client speaking raw bytes over TCP, with a client-role codec for framing.
pub struct RawClient {
    pub stream: TcpStream,
    pub buf: BytesMut,
    pub codec: FrameCodec,
}

/// The standard handshake headers, for editing in tests.
pub fn upgrade_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Upgrade", "websocket".into()),
        ("Connection", "Upgrade".into()),
        ("Sec-WebSocket-Key", RFC_KEY.into()),
        ("Sec-WebSocket-Version", "13".into()),
    ]
}

impl RawClient {
    /// Sends `request_line` + headers, reads the response head (and body if it has a
    /// Content-Length). Bytes after the head stay in the buffer for frame decoding.
    pub async fn request(
        addr: SocketAddr,
        request_line: &str,
        headers: &[(&str, String)],
    ) -> (RawClient, HttpResponse) {
        let stream = tokio::time::timeout(WAIT, TcpStream::connect(addr))
            .await
            .expect("connect in time")
            .expect("connect");
        RawClient::request_on(stream, addr, request_line, headers).await
    }

    /// Like [`RawClient::request`], on a socket the test set up itself.
    pub async fn request_on(
        mut stream: TcpStream,
        addr: SocketAddr,
        request_line: &str,
        headers: &[(&str, String)],
    ) -> (RawClient, HttpResponse) {
        stream.set_nodelay(true).unwrap();
        let mut req = format!("{request_line}\r\nHost: {addr}\r\n");
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut client = RawClient {
            stream,
            buf: BytesMut::new(),
            codec: FrameCodec::client(Limits::for_conformance_testing()),
        };
        let response = client.read_http_response().await;
        (client, response)
    }

    async fn read_http_response(&mut self) -> HttpResponse {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.read_more().await;
        };
        let head = self.buf.split_to(head_end);
        let text = String::from_utf8(head.to_vec()).expect("ASCII head");
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap();
        let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').expect("header line");
                (n.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let mut response = HttpResponse {
            status,
            headers,
            body: Vec::new(),
        };
        if let Some(len) = response
            .header("content-length")
            .map(|v| v.parse::<usize>().unwrap())
        {
            while self.buf.len() < len {
                self.read_more().await;
            }
            response.body = self.buf.split_to(len).to_vec();
        }
        response
    }

    /// A completed handshake to `path` (asserts 101).
    pub async fn connect(addr: SocketAddr, path: &str) -> RawClient {
        let (client, res) =
            RawClient::request(addr, &format!("GET {path} HTTP/1.1"), &upgrade_headers()).await;
        assert_eq!(res.status, 101, "handshake refused: {res:?}");
        client
    }

    async fn read_more(&mut self) -> usize {
        let n = tokio::time::timeout(WAIT, self.stream.read_buf(&mut self.buf))
            .await
            .expect("the server answered within the wait")
            .expect("read");
        assert!(n > 0, "the server closed the connection unexpectedly");
        n
    }

    /// Writes bytes exactly as given.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Masks and sends one frame.
    pub async fn send(&mut self, frame: Frame) {
        let mut wire = BytesMut::new();
        self.codec.encode(frame, &mut wire).unwrap();
        self.send_raw(&wire).await;
    }

    /// The next frame from the server.
    pub async fn recv(&mut self) -> Frame {
        loop {
            if let Some(frame) = self
                .codec
                .decode(&mut self.buf)
                .expect("a valid server frame")
            {
                return frame;
            }
            self.read_more().await;
        }
    }

    /// The next frame, which must be a Close: its code and reason.
    pub async fn recv_close(&mut self) -> (u16, String) {
        let frame = self.recv().await;
        assert_eq!(frame.opcode, OpCode::Close, "expected Close, got {frame:?}");
        let code = u16::from_be_bytes([frame.payload[0], frame.payload[1]]);
        let reason = String::from_utf8(frame.payload[2..].to_vec()).unwrap();
        (code, reason)
    }

    /// Sends a JSON value as one text message.
    pub async fn send_json(&mut self, value: serde_json::Value) {
        self.send(Frame::text(value.to_string())).await;
    }

    /// The next text frame as JSON.
    pub async fn recv_json(&mut self) -> serde_json::Value {
        let frame = self.recv().await;
        assert_eq!(frame.opcode, OpCode::Text, "expected text, got {frame:?}");
        serde_json::from_slice(&frame.payload).unwrap()
    }

    /// Waits until the server closes TCP (read returns 0 or a reset).
    pub async fn expect_eof(&mut self) {
        let mut scratch = [0u8; 1024];
        loop {
            match tokio::time::timeout(WAIT, self.stream.read(&mut scratch))
                .await
                .expect("the server closed TCP within the wait")
            {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}
