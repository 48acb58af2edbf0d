//! Step 5.1 on the wire: the server advertises its reconnection contract and spreads the
//! advice it gives, over a real socket on 127.0.0.1:0 with the modules of phases 1–5.
//! Every wait has a timeout; nothing asserts a timing.

use std::{collections::HashSet, time::Duration};

use futures_util::StreamExt;
use phase_1_foundations::{
    testing::{self, spawn_app, TestServer},
    Composition,
};
use phase_2_sse::{
    parser::{Item, SseParser},
    retry::retry_hint,
    Sse, SseConfig,
};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{access::AccessMode, Board, BoardConfig};
use phase_5_hardening::{BackoffPolicy, Hardening, HardeningConfig};
use serde_json::Value;
use tokio_tungstenite::{
    connect_async,
    tungstenite::{client::IntoClientRequest, http::HeaderValue, Message},
};

const WAIT: Duration = Duration::from_secs(10);

async fn start(hardening: HardeningConfig, ws: WsConfig) -> TestServer {
    let composition = Composition::new(testing::server_config())
        .module(Sse::new(SseConfig {
            keepalive_ms: 60_000,
            ..SseConfig::default()
        }))
        .module(WebSocket::new(ws))
        .module(Board::new(BoardConfig {
            // The clients here do not sign in: this is not about access.
            access: AccessMode::Open,
            ..BoardConfig::in_memory()
        }))
        .module(Hardening::new(hardening));
    spawn_app(composition).await
}

fn request(server: &TestServer) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = format!("ws://{}/ws", server.addr)
        .into_client_request()
        .expect("a ws url");
    let headers = req.headers_mut();
    headers.insert("origin", HeaderValue::from_static("http://localhost:3000"));
    headers.insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("liveboard.v1"),
    );
    req
}

async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = msg {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

#[tokio::test]
async fn every_connection_is_told_the_configured_contract_right_after_welcome() {
    let config = HardeningConfig {
        backoff_base_ms: 700,
        backoff_cap_ms: 12_000,
        heartbeat_interval_ms: 9_000,
        heartbeat_deadline_ms: 21_000,
        ..HardeningConfig::default()
    };
    let server = start(config, WsConfig::default()).await;
    let (mut ws, _) = connect_async(request(&server)).await.expect("connects");
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    let policy = next_json(&mut ws).await;
    assert_eq!(policy["type"], "connection.policy");
    let p = &policy["payload"];
    assert_eq!(p["backoff"]["baseMs"], 700.0);
    assert_eq!(p["backoff"]["capMs"], 12_000.0);
    assert_eq!(p["backoff"]["jitter"]["kind"], "full");
    assert_eq!(p["heartbeat"]["intervalMs"], 9_000);
    assert_eq!(p["heartbeat"]["deadlineMs"], 21_000);
    let parsed: BackoffPolicy =
        serde_json::from_value(p["backoff"].clone()).expect("the Rust type reads it back");
    assert_eq!(parsed.window_ms(10), 12_000.0);
}

/// The `retry:` a new event stream opens with.
async fn first_retry(server: &TestServer) -> u64 {
    let res = tokio::time::timeout(WAIT, reqwest::get(server.url("/boards/demo/events")))
        .await
        .expect("an answer in time")
        .expect("request sent");
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let mut parser = SseParser::new();
    loop {
        let chunk = tokio::time::timeout(WAIT, body.next())
            .await
            .expect("bytes in time")
            .expect("the stream is open")
            .expect("a chunk");
        for item in parser.feed(&chunk) {
            if let Item::Retry(ms) = item {
                return ms;
            }
        }
    }
}

#[tokio::test]
async fn event_streams_are_told_different_retry_delays_inside_the_window() {
    let policy = HardeningConfig::default().backoff();
    let server = start(HardeningConfig::default(), WsConfig::default()).await;
    let mut seen = HashSet::new();
    for _ in 0..12 {
        let ms = first_retry(&server).await;
        let (lo, hi) = (
            policy.min_ms as u64,
            (policy.min_ms + policy.window_ms(1)) as u64,
        );
        assert!((lo..hi).contains(&ms), "retry {ms} outside [{lo}, {hi})");
        seen.insert(ms);
    }
    // Twelve draws from a 1,000 ms window: a fixed value would give one.
    assert!(seen.len() >= 6, "retry values barely spread: {seen:?}");
}

#[tokio::test]
async fn a_refused_websocket_gets_retry_after_from_the_drawn_advice() {
    let server = start(
        HardeningConfig::default(),
        WsConfig {
            max_connections: 1,
            ..WsConfig::default()
        },
    )
    .await;
    let (_first, _) = connect_async(request(&server))
        .await
        .expect("the first fits");
    let err = connect_async(request(&server))
        .await
        .expect_err("the second is refused");
    let tokio_tungstenite::tungstenite::Error::Http(res) = err else {
        panic!("expected an HTTP refusal, got {err}");
    };
    assert_eq!(res.status(), 503);
    let secs: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ASCII")
        .parse()
        .expect("whole seconds");
    // The second window with the defaults is [250, 1250) ms: 1 or 2 seconds, rounded up.
    assert!((1..=2).contains(&secs), "Retry-After: {secs}");
}

#[test]
fn a_close_reason_hint_is_what_the_client_parses() {
    // The slow-consumer close (phase 3) appends the hint with phase 2's helper; the
    // client's parser (web/lib) reads the same suffix, exported in hardening.ts.
    let reason = phase_2_sse::retry::with_retry_hint("slow consumer: queue over budget", 812);
    assert_eq!(retry_hint(&reason), Some(812));
    assert!(
        reason.len() <= 123,
        "a close reason fits in a control frame"
    );
}
