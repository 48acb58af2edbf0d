//! RFC 6455 at its edges, over a real socket with raw bytes: a handshake without `Host`,
//! good frames and a bad one in the same TCP segment, who closes TCP and when, and UTF-8
//! failing fast inside a fragmented message.

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::{quick_config, upgrade_headers, RawClient, Server, RFC_KEY, WAIT};
use phase_3_websocket::{Frame, FrameCodec, Limits, OpCode, WsConfig};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// How long a test waits for the server to close TCP before calling it a failure. Not a
/// timing assertion: the servers below would take a minute (their close deadline).
const EOF_WITHIN: Duration = Duration::from_secs(5);

/// A server whose close deadline is far longer than [`EOF_WITHIN`]: a connection closed
/// within the wait was closed by the server on its own initiative, not by the deadline.
async fn patient_server() -> Server {
    Server::start(WsConfig {
        close_timeout_ms: 60_000,
        ..WsConfig::default()
    })
    .await
}

/// A client frame with the masking key 0 (masking is then the identity, so the payload
/// stays readable here; the MASK bit is still set).
fn masked(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut out = vec![(u8::from(fin) << 7) | opcode, 0x80 | payload.len() as u8];
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(payload);
    out
}

/// Reads until the server closes TCP, failing if it takes longer than [`EOF_WITHIN`].
/// Frames that still arrive are ignored; a reset counts as closed.
async fn assert_server_closes_tcp(client: &mut RawClient) {
    let mut scratch = [0u8; 1024];
    let closed = tokio::time::timeout(EOF_WITHIN, async {
        loop {
            match client.stream.read(&mut scratch).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server did not close TCP within {EOF_WITHIN:?}: it waited for the client"
    );
}

// ----- the opening handshake ---------------------------------------------------------------

#[tokio::test]
async fn a_handshake_without_host_is_refused_with_400_saying_so() {
    let server = Server::start(quick_config()).await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let mut request = String::from("GET /ws/echo HTTP/1.1\r\n");
    for (name, value) in upgrade_headers() {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(EOF_WITHIN, async {
        let mut chunk = [0u8; 1024];
        while !response.windows(4).any(|w| w == b"\r\n\r\n") || !body_complete(&response) {
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed before a full response: {response:?}");
            response.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("a response within the wait");
    let text = String::from_utf8(response).unwrap();
    assert!(text.starts_with("HTTP/1.1 400 "), "{text}");
    assert!(!text.contains(RFC_KEY), "no upgrade happened");
    let body = text.split_once("\r\n\r\n").unwrap().1;
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["error"]["code"], "missing_host", "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("RFC 6455 §4.2.1"),
        "{json}"
    );
}

/// Whether `response` holds its head and the whole body its Content-Length announces.
fn body_complete(response: &[u8]) -> bool {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    response.len() >= end + 4 + len
}

// ----- several frames in one read ----------------------------------------------------------

#[tokio::test]
async fn frames_sent_in_the_same_write_as_the_upgrade_request_are_echoed() {
    // The HTTP server may read past the request head; those bytes are the WebSocket
    // stream's start and must reach the connection, not be lost with the HTTP parser.
    let server = Server::start(quick_config()).await;
    let mut stream = tokio::time::timeout(WAIT, tokio::net::TcpStream::connect(server.addr()))
        .await
        .expect("connect in time")
        .expect("connect");
    let mut one_write = format!("GET /ws/echo HTTP/1.1\r\nHost: {}\r\n", server.addr());
    for (name, value) in upgrade_headers() {
        one_write.push_str(&format!("{name}: {value}\r\n"));
    }
    one_write.push_str("\r\n");
    let mut bytes = one_write.into_bytes();
    bytes.extend(masked(0x1, true, b"early"));
    bytes.extend(masked(0x1, true, b"bird"));
    stream.write_all(&bytes).await.unwrap();
    let mut client = RawClient {
        stream,
        buf: BytesMut::new(),
        codec: FrameCodec::client(Limits::for_conformance_testing()),
    };
    let head_end = loop {
        if let Some(i) = client.buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let read = tokio::time::timeout(WAIT, client.stream.read_buf(&mut client.buf)).await;
        assert!(read.expect("the server answered in time").expect("read") > 0);
    };
    let head = client.buf.split_to(head_end);
    assert!(head.starts_with(b"HTTP/1.1 101 "), "{head:?}");
    for expected in [&b"early"[..], b"bird"] {
        let frame = client.recv().await;
        assert_eq!((frame.opcode, &frame.payload[..]), (OpCode::Text, expected));
    }
    // And the connection runs on the socket itself, not on hyper's wrapper (which would
    // also replay those bytes, hiding a fallback).
    let stats = server.state.stats();
    assert_eq!((stats.opened, stats.wrapped), (1, 0), "{stats:?}");
}

#[tokio::test]
async fn messages_before_an_unmasked_frame_in_the_same_write_are_echoed_before_close_1002() {
    let server = Server::start(quick_config()).await;
    let mut client = RawClient::connect(server.addr(), "/ws/echo").await;
    let mut one_write = masked(0x1, true, b"first");
    one_write.extend(masked(0x1, true, b"second"));
    // RFC 6455 §5.7's unmasked "Hello": a frame only a server may send.
    one_write.extend_from_slice(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
    client.send_raw(&one_write).await;

    for expected in [&b"first"[..], b"second"] {
        let frame = client.recv().await;
        assert_eq!((frame.opcode, &frame.payload[..]), (OpCode::Text, expected));
    }
    assert_eq!(client.recv_close().await.0, 1002);
}

#[tokio::test]
async fn requests_before_a_reserved_opcode_in_the_same_write_are_answered_before_close_1002() {
    let server = Server::start(quick_config()).await;
    let mut client = RawClient::connect(server.addr(), "/ws").await;
    assert_eq!(client.recv_json().await["type"], "welcome");
    let mut one_write = masked(0x1, true, br#"{"type":"ping","id":"a"}"#);
    one_write.extend(masked(0x1, true, br#"{"type":"ping","id":"b"}"#));
    one_write.extend(masked(0x3, true, b"?")); // 0x3: reserved (RFC 6455 §5.2)
    client.send_raw(&one_write).await;

    for id in ["a", "b"] {
        let answer = client.recv_json().await;
        assert_eq!(
            (answer["type"].as_str(), answer["id"].as_str()),
            (Some("pong"), Some(id))
        );
    }
    assert_eq!(client.recv_close().await.0, 1002);
}

// ----- who closes TCP ----------------------------------------------------------------------

#[tokio::test]
async fn after_the_closing_handshake_the_server_closes_tcp_without_waiting_for_the_client() {
    let server = patient_server().await;
    let mut client = RawClient::connect(server.addr(), "/ws/echo").await;
    client.send(Frame::close(1000u16, "done")).await;
    assert_eq!(client.recv_close().await.0, 1000);
    // The client keeps its end open and only reads: RFC 6455 §7.1.1, the server closes first.
    assert_server_closes_tcp(&mut client).await;
}

#[tokio::test]
async fn when_the_server_closed_and_the_client_answered_the_connection_ends_without_its_fin() {
    let server = patient_server().await;
    let mut client = RawClient::connect(server.addr(), "/ws/echo").await;
    // The server says goodbye (as at shutdown); the client answers and keeps its end open.
    assert_eq!(server.state.close_all(None).await, 1);
    assert_eq!(client.recv_close().await.0, 1001);
    client.send(Frame::close(1001u16, "")).await;
    assert_server_closes_tcp(&mut client).await;
    // Its answer proves it has our Close, and nothing may follow a Close (§5.5.1): the
    // server's side is gone now, not after the 60 s close deadline, although the client
    // still holds its socket open.
    let gone = tokio::time::timeout(EOF_WITHIN, async {
        while server.state.stats().open > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "the connection waited for the client's FIN");
    assert_eq!(server.state.stats().close_timeouts, 0);
    drop(client);
}

#[tokio::test]
async fn after_failing_the_connection_the_server_closes_tcp_without_waiting_for_the_client() {
    let server = patient_server().await;
    // Broken framing (unmasked), and a well-framed message with invalid UTF-8: neither
    // waits for the client's Close (RFC 6455 §7.1.7).
    let unmasked = vec![0x81, 0x02, b'h', b'i'];
    let not_utf8 = masked(0x1, true, &[b'o', b'k', 0xff]);
    for (bad, code) in [(unmasked, 1002), (not_utf8, 1007)] {
        let mut client = RawClient::connect(server.addr(), "/ws/echo").await;
        client.send_raw(&bad).await;
        assert_eq!(client.recv_close().await.0, code);
        assert_server_closes_tcp(&mut client).await;
    }
}

// ----- UTF-8, failing fast -----------------------------------------------------------------

#[tokio::test]
async fn invalid_utf8_in_a_first_fragment_fails_at_once_with_1007() {
    let server = patient_server().await;
    // Each is the first fragment (FIN = 0) of a text message; no more fragments are sent.
    let cases: [&[u8]; 3] = [
        b"ok\xff",                           // a byte that never appears in UTF-8
        b"\xce\xba\xe1\xbd\xb9\xed\xa0\x80", // a UTF-16 surrogate (Autobahn 6.4.2)
        b"\xf4\x90",                         // the start of a code point above U+10FFFF
    ];
    for fragment in cases {
        let mut client = RawClient::connect(server.addr(), "/ws/echo").await;
        client.send_raw(&masked(0x1, false, fragment)).await;
        let (code, reason) = client.recv_close().await;
        assert_eq!(code, 1007, "{fragment:x?}: {reason}");
        assert_server_closes_tcp(&mut client).await;
    }
}

#[tokio::test]
async fn a_code_point_made_invalid_by_the_next_fragment_fails_in_that_fragment() {
    let server = patient_server().await;
    let mut client = RawClient::connect(server.addr(), "/ws/echo").await;
    // F4 could start U+100000..U+10FFFF; followed by 90 it would exceed U+10FFFF.
    client.send_raw(&masked(0x1, false, b"ok\xf4")).await;
    client.send_raw(&masked(0x0, false, b"\x90")).await; // still not the last fragment
    assert_eq!(client.recv_close().await.0, 1007);
}

#[tokio::test]
async fn a_code_point_split_over_three_fragments_stays_valid() {
    let server = Server::start(quick_config()).await;
    let mut client = RawClient::connect(server.addr(), "/ws/echo").await;
    let emoji = "👋".as_bytes(); // f0 9f 91 8b
    client.send_raw(&masked(0x1, false, &emoji[..1])).await;
    client.send_raw(&masked(0x0, false, &emoji[1..3])).await;
    client.send_raw(&masked(0x0, true, &emoji[3..])).await;
    let frame = client.recv().await;
    assert_eq!((frame.opcode, &frame.payload[..]), (OpCode::Text, emoji));
}
