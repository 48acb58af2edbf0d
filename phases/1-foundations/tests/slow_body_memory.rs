//! Memory grows with the bytes a client sends, not with the TCP segments they arrive in.
//!
//! Alone in its own test binary, so no other test allocates while it measures: the
//! process's resident set (`/proc/self/statm`) is read once the server is up, and again
//! while every trickling client has sent all of its body but the last byte — the moment
//! the server holds the most. Linux only (elsewhere the test returns early). The bound is
//! loose on purpose (100 KiB a client, where the fixed server needs about 30 KiB): what it
//! catches is a cost per *segment*, which for these 2,000-segment bodies is megabytes.

use std::time::Duration;

use http::StatusCode;
use phase_1_foundations::{
    cors::CorsPolicy, json, server::ServeOptions, testing::TestServer, testing::TEST_ORIGIN, Router,
};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::Barrier,
};

const CLIENTS: usize = 100;
const BODY_BYTES: usize = 2_000;

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_one_byte_per_segment_costs_memory_in_proportion_to_its_bytes() {
    let Some(before) = resident_bytes() else {
        return;
    };
    let router = Router::new().post("/echo", |req, _| async move {
        let v: Value = json::read_json(req, 4 * BODY_BYTES).await?;
        Ok(json::json_response(StatusCode::OK, &v))
    });
    // The clients take seconds on purpose; this test is about memory, not the deadline.
    let options = ServeOptions {
        body_read_timeout: Duration::from_secs(120),
        ..TestServer::options()
    };
    let server = TestServer::start_with(router, CorsPolicy::new([TEST_ORIGIN]), options).await;
    let body = format!("\"{}\"", "x".repeat(BODY_BYTES - 2));
    let all_but_one_sent = std::sync::Arc::new(Barrier::new(CLIENTS + 1));
    let measured = std::sync::Arc::new(Barrier::new(CLIENTS + 1));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (addr, body) = (server.addr, body.clone());
        let (sent, measured) = (all_but_one_sent.clone(), measured.clone());
        clients.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            s.set_nodelay(true).expect("nodelay");
            let head = format!(
                "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).await.expect("head");
            let (most, last) = body.as_bytes().split_at(body.len() - 1);
            for byte in most {
                s.write_all(std::slice::from_ref(byte)).await.expect("byte");
                s.flush().await.expect("flush");
                // Give the server the time to read this byte on its own.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            sent.wait().await;
            measured.wait().await;
            s.write_all(last).await.expect("last byte");
            let mut answer = String::new();
            s.read_to_string(&mut answer).await.expect("answer");
            answer
        }));
    }
    all_but_one_sent.wait().await;
    // Let the server read what is in flight.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = resident_bytes().expect("statm");
    measured.wait().await;
    for c in clients {
        let answer = c.await.expect("client");
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    }
    let grown = during.saturating_sub(before);
    println!("resident set grew by {grown} bytes for {CLIENTS} clients x {BODY_BYTES} bytes");
    // Per client: the body (2 KB, in a buffer of at most 4 KB), hyper's read buffer
    // (8 KiB), a task, both ends' sockets. 100 KiB is several times that; keeping every
    // 1-byte chunk (the bug this guards against) measured about 8 MiB per client.
    let bound = CLIENTS as u64 * 100 * 1024;
    assert!(
        grown < bound,
        "the resident set grew by {grown} bytes for {CLIENTS} clients of {BODY_BYTES} bytes \
         (bound {bound}): the server keeps memory per segment, not per byte"
    );
}
