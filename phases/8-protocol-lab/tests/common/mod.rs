//! Shared by the integration tests: the real server (phases 1–6 and 8 composed as the
//! phase-8 binary does, on 127.0.0.1:0), one HTTP call with an optional JSON body, and the
//! two writes most tests start from: a chat line on a board and a webhook for all its
//! events. Every wait has a timeout ([`WAIT`]); nothing asserts how long something took.

#![allow(dead_code)] // each test file uses a different part

use std::time::Duration;

use phase_1_foundations::{
    testing::{self, spawn_app, TestServer},
    Composition,
};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{access::AccessMode, Board, BoardConfig};
use phase_5_hardening::{Hardening, HardeningConfig};
use phase_6_third_party::{ThirdParty, ThirdPartyConfig};
use phase_8_protocol_lab::{ProtocolLab, ProtocolLabConfig};
use serde_json::{json, Value};
use tokio::time::timeout;

/// The longest any single wait may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// Boards in memory with this access mode.
pub fn boards(access: AccessMode) -> BoardConfig {
    BoardConfig {
        access,
        ..BoardConfig::in_memory()
    }
}

/// The server with these board and lab settings. A WebSocket peer that does not answer
/// the close handshake is dropped after a second, so a shutdown does not wait out the
/// default close timeout.
pub async fn start_board(board: BoardConfig, lab: ProtocolLabConfig) -> TestServer {
    spawn_app(
        Composition::new(testing::server_config())
            .module(Sse::new(SseConfig::default()))
            .module(WebSocket::new(WsConfig {
                close_timeout_ms: 1_000,
                ..WsConfig::default()
            }))
            .module(Board::new(board))
            .module(Hardening::new(HardeningConfig::default()))
            .module(ThirdParty::new(ThirdPartyConfig::default()))
            .module(ProtocolLab::new(lab)),
    )
    .await
}

/// A server whose boards are open to everyone: these clients do not sign in.
pub async fn start(lab: ProtocolLabConfig) -> TestServer {
    start_board(boards(AccessMode::Open), lab).await
}

/// `method path` with an optional JSON body: the status and the JSON answer (`Null` if none).
pub async fn call(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, server.url(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = timeout(WAIT, req.send())
        .await
        .expect("an answer in time")
        .expect("request sent");
    let status = res.status().as_u16();
    let text = timeout(WAIT, res.text())
        .await
        .expect("the body in time")
        .expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Registers a hook for every event of `board` to `url`: the status and the answer (the
/// hook, or the error saying why not).
pub async fn register(server: &TestServer, board: &str, url: &str) -> (u16, Value) {
    call(
        server,
        reqwest::Method::POST,
        &format!("/boards/{board}/webhooks"),
        Some(json!({"url": url, "events": ["*"]})),
    )
    .await
}

/// Posts a chat line on `board` (an event of the board's log); returns its sequence number.
pub async fn chat(server: &TestServer, board: &str, text: &str) -> u64 {
    let (status, body) = call(
        server,
        reqwest::Method::POST,
        &format!("/boards/{board}/messages"),
        Some(json!({"text": text, "name": "Bo"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let position = body["position"].as_str().expect("the line's position");
    position
        .rsplit_once('-')
        .expect("<epoch>-<seq>")
        .1
        .parse()
        .expect("a sequence number")
}
