//! Chapter 1's failure story, run for real: `make failures` (or
//! `cargo test -p phase-1-foundations --test failures -- --ignored`).
//!
//! A connection slot is taken before the request is read. Clients that connect and send
//! nothing ("slowloris") keep their slot for as long as the server waits for headers, so a
//! handful of them lock every real user out — answered `503` at once, but never served;
//! the header read timeout is what gives the slots back. The real server, a cap of 4
//! connections, four silent clients, one real request retried for 10 s.

use std::time::Duration;

use phase_1_foundations::{cors::CorsPolicy, server::ServeOptions, testing::TestServer, Router};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const CAP: usize = 4;

async fn silent_clients_then_one_request(header_read_timeout: Duration) -> Option<String> {
    let router = Router::new().get("/health", |_req, _p| async {
        Ok(http::Response::new(phase_1_foundations::body::full("ok")))
    });
    let options = ServeOptions {
        max_connections: CAP,
        header_read_timeout,
        ..TestServer::options()
    };
    let server =
        TestServer::start_with(router, CorsPolicy::new(["http://localhost:3000"]), options).await;
    let mut silent = Vec::new();
    for _ in 0..CAP {
        silent.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    // Ten seconds is long enough for a 300 ms header timeout to free the slots, and far
    // shorter than the hour the silent clients may keep them without it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut answer = None;
    while tokio::time::Instant::now() < deadline {
        answer = get_health(server.addr).await;
        if answer.as_deref() == Some("HTTP/1.1 200 OK") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(silent);
    answer
}

/// The status line of one `GET /health`, or `None` if there was no answer in 5 s.
async fn get_health(addr: std::net::SocketAddr) -> Option<String> {
    let request = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.ok()?;
        answer.lines().next().map(str::to_owned)
    };
    tokio::time::timeout(Duration::from_secs(5), request)
        .await
        .ok()
        .flatten()
}

#[tokio::test]
#[ignore = "a demonstration: run with `make failures`"]
async fn failure_silent_clients_hold_every_slot_until_the_header_timeout_frees_them() {
    let locked_out = silent_clients_then_one_request(Duration::from_secs(3600)).await;
    println!(
        "FAILURE header read timeout 1 h, cap {CAP}: {CAP} silent clients; a real GET /health \
         got {} for 10 s",
        locked_out.as_deref().unwrap_or("no answer")
    );
    let served = silent_clients_then_one_request(Duration::from_millis(300)).await;
    println!(
        "FAILURE header read timeout 300 ms, cap {CAP}: the silent clients are cut; the same \
         GET got {:?}",
        served.as_deref().unwrap_or("no answer")
    );
    assert_eq!(
        locked_out.as_deref(),
        Some("HTTP/1.1 503 Service Unavailable"),
        "with no header timeout the slots are never given back"
    );
    assert_eq!(served.as_deref(), Some("HTTP/1.1 200 OK"));
}
