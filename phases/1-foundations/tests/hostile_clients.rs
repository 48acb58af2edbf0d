//! Limits against hostile clients, over real sockets: each test starts the server with the
//! configuration a flag would set (`--body-timeout-ms`, `--header-timeout-ms`,
//! `--max-connections-per-ip`, `--max-connections`) and plays the client with raw bytes.

use std::time::Duration;

use http::StatusCode;
use phase_1_foundations::{
    json, testing, Composition, Module, PhaseInfo, Router, ServerConfig, Services, StartError,
};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// `POST /echo`: reads a JSON body (at most 1 KiB) and sends it back.
struct Echo;

impl Module for Echo {
    fn phase(&self) -> PhaseInfo {
        PhaseInfo {
            number: 9,
            slug: "echo",
            title: "Echo",
        }
    }

    fn build(&self, _services: &mut Services) -> Result<Router, StartError> {
        Ok(Router::new().post("/echo", |req, _| async move {
            let v: Value = json::read_json(req, 1024).await?;
            Ok(json::json_response(StatusCode::OK, &v))
        }))
    }
}

async fn start(config: ServerConfig) -> testing::TestServer {
    testing::spawn_app(Composition::new(config).module(Echo)).await
}

/// Everything the server sends until it closes, or panics after 5 s.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes within 5 s")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status line, the headers (lower-cased) and the JSON body of a raw response.
fn parse(answer: &str) -> (String, String, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.lines().next().unwrap_or_default().to_owned();
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    (status, head.to_ascii_lowercase(), json)
}

/// Connects `n` clients that send nothing. The server accepts connections in the order
/// they were made, so the next connection is accepted after all of them.
async fn silent_clients(server: &testing::TestServer, n: usize) -> Vec<TcpStream> {
    let mut clients = Vec::new();
    for _ in 0..n {
        clients.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    clients
}

#[tokio::test]
async fn a_body_that_stops_half_way_gets_a_json_408_at_the_body_deadline() {
    let server = start(ServerConfig {
        body_timeout_ms: 300,
        ..testing::server_config()
    })
    .await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    client
        .write_all(
            b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 20\r\n\r\n{\"half\":",
        )
        .await
        .unwrap();
    // The rest never comes; the server must not wait for it for ever.
    let (status, head, body) = parse(&read_until_closed(&mut client).await);
    assert_eq!(status, "HTTP/1.1 408 Request Timeout");
    assert!(head.contains("connection: close"), "{head}");
    assert_eq!(body["error"]["code"], "body_timeout");
}

#[tokio::test]
async fn a_body_trickled_one_byte_per_write_within_the_deadline_is_read_whole() {
    let server = start(testing::server_config()).await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    client.set_nodelay(true).unwrap();
    let body = format!("\"{}\"", "x".repeat(998));
    let head = format!(
        "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).await.unwrap();
    for byte in body.as_bytes() {
        client.write_all(std::slice::from_ref(byte)).await.unwrap();
        client.flush().await.unwrap();
    }
    let answer = read_until_closed(&mut client).await;
    let (status, _, echoed) = parse(&answer);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(echoed.as_str().map(str::len), Some(998));
}

#[tokio::test]
async fn a_client_that_sends_no_header_gets_a_json_408_at_the_header_deadline() {
    // The default is 10 s, twice as long as read_until_closed waits.
    let server = start(ServerConfig {
        header_timeout_ms: 300,
        ..testing::server_config()
    })
    .await;
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let answer = read_until_closed(&mut silent).await;
    let (status, headers, body) = parse(&answer);
    assert_eq!(status, "HTTP/1.1 408 Request Timeout");
    assert!(headers.contains("connection: close"), "{headers}");
    assert_eq!(body["error"]["code"], "header_timeout", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("300 ms"),
        "{body}"
    );
}

#[tokio::test]
async fn half_a_request_head_gets_a_408_and_an_idle_keep_alive_is_closed_quietly() {
    let server = start(ServerConfig {
        header_timeout_ms: 300,
        ..testing::server_config()
    })
    .await;
    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (status, _, _) = parse(&read_until_closed(&mut half).await);
    assert_eq!(status, "HTTP/1.1 408 Request Timeout");

    // A whole request answered, then nothing: the keep-alive ends without a 408.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(!answer.contains(" 408 "), "{answer}");
}

#[tokio::test]
async fn one_address_past_its_share_is_answered_503_at_once_and_served_again_after() {
    const SHARE: usize = 3;
    let server = start(ServerConfig {
        max_connections_per_ip: SHARE,
        header_timeout_ms: 60_000,
        ..testing::server_config()
    })
    .await;
    let mut silent = silent_clients(&server, SHARE).await;
    let mut one_more = TcpStream::connect(server.addr).await.unwrap();
    let (status, head, body) = parse(&read_until_closed(&mut one_more).await);
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    assert!(head.contains("retry-after: 5"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert_eq!(body["error"]["code"], "too_many_connections_from_address");

    // One silent client leaves: its slot comes back once the server sees it go.
    drop(silent.pop());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut client = TcpStream::connect(server.addr).await.unwrap();
        client
            .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let answer = read_until_closed(&mut client).await;
        if answer.starts_with("HTTP/1.1 200 OK") {
            break;
        }
        assert!(
            answer.starts_with("HTTP/1.1 503") && tokio::time::Instant::now() < deadline,
            "the slot did not come back within 5 s: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_client_past_the_global_cap_is_answered_503_at_once() {
    const CAP: usize = 2;
    let server = start(ServerConfig {
        max_connections: CAP,
        header_timeout_ms: 60_000,
        ..testing::server_config()
    })
    .await;
    let _silent = silent_clients(&server, CAP).await;
    let mut one_more = TcpStream::connect(server.addr).await.unwrap();
    let (status, head, body) = parse(&read_until_closed(&mut one_more).await);
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    assert!(head.contains("retry-after: 5"), "{head}");
    assert_eq!(body["error"]["code"], "server_full");
}
