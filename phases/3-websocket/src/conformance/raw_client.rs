//! A client speaking raw bytes over TCP, so assertions are about exactly what crosses the
//! wire: the HTTP request line and headers as written, frames masked by a client-role
//! [`FrameCodec`], and the server's frames decoded by the same codec. It trusts nothing the
//! server sends — every read has a deadline ([`WAIT`]) and every malformed answer fails the
//! test with a message saying what was expected.

use std::{net::SocketAddr, time::Duration};

use bytes::BytesMut;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_util::codec::{Decoder, Encoder};

use crate::{parse_close_payload, Frame, FrameCodec, Limits, OpCode};

/// The longest any single wait in a test may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// The `Sec-WebSocket-Key` of RFC 6455 §1.3 (its accept value is
/// `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`).
pub const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// An HTTP response head (and body, when it has a Content-Length).
#[derive(Debug)]
pub struct HttpResponse {
    /// The status code, e.g. 101.
    pub status: u16,
    /// The headers in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, empty without a Content-Length.
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

/// The standard handshake headers, for editing in tests.
pub fn upgrade_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Upgrade", "websocket".into()),
        ("Connection", "Upgrade".into()),
        ("Sec-WebSocket-Key", RFC_KEY.into()),
        ("Sec-WebSocket-Version", "13".into()),
    ]
}

/// A client speaking raw bytes over TCP, with a client-role codec for framing.
pub struct RawClient {
    /// The socket.
    pub stream: TcpStream,
    /// Bytes read but not yet decoded.
    pub buf: BytesMut,
    /// Masks what we send, decodes what the server sends.
    pub codec: FrameCodec,
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
        stream.set_nodelay(true).expect("set TCP_NODELAY");
        let mut req = format!("{request_line}\r\nHost: {addr}\r\n");
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        req.push_str("\r\n");
        stream
            .write_all(req.as_bytes())
            .await
            .expect("write the request");
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
        let text = String::from_utf8(head.to_vec()).expect("an ASCII response head");
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("a status line with a code, got {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').expect("a `name: value` header line");
                (n.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let mut response = HttpResponse {
            status,
            headers,
            body: Vec::new(),
        };
        if let Some(len) = response.header("content-length").map(|v| {
            v.parse::<usize>()
                .expect("a Content-Length that is a number")
        }) {
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
        self.stream
            .write_all(bytes)
            .await
            .expect("write to the server");
    }

    /// Masks and sends one frame.
    pub async fn send(&mut self, frame: Frame) {
        let mut wire = BytesMut::new();
        self.codec
            .encode(frame, &mut wire)
            .expect("a frame the client codec can encode");
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

    /// The next frame, which must be a Close: its code and reason, or `None` for a Close
    /// without a body (RFC 6455 §5.5.1: "The Close frame MAY contain a body").
    pub async fn recv_close_body(&mut self) -> Option<(u16, String)> {
        let frame = self.recv().await;
        assert_eq!(frame.opcode, OpCode::Close, "expected Close, got {frame:?}");
        parse_close_payload(&frame.payload)
            .unwrap_or_else(|e| panic!("the server sent an invalid Close payload: {e}"))
            .map(|close| (close.code, close.reason))
    }

    /// The next frame, which must be a Close with a body: its code and reason.
    pub async fn recv_close(&mut self) -> (u16, String) {
        self.recv_close_body()
            .await
            .expect("a Close with a status code")
    }

    /// Sends a JSON value as one text message.
    pub async fn send_json(&mut self, value: serde_json::Value) {
        self.send(Frame::text(value.to_string())).await;
    }

    /// The next text frame as JSON.
    pub async fn recv_json(&mut self) -> serde_json::Value {
        let frame = self.recv().await;
        assert_eq!(frame.opcode, OpCode::Text, "expected text, got {frame:?}");
        serde_json::from_slice(&frame.payload).unwrap_or_else(|e| {
            panic!(
                "a text frame that is JSON ({e}): {:?}",
                String::from_utf8_lossy(&frame.payload)
            )
        })
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
