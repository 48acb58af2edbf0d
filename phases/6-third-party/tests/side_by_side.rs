//! Both transports in one server (phases 1–6 on 127.0.0.1:0, the board in memory): the
//! same board, the same notes, the same heartbeat and shutdown, whichever transport a
//! client came through. The clients are tokio-tungstenite (which answers pings while it
//! reads). Every wait has a timeout; nothing asserts how long something took.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use phase_1_foundations::{
    testing::{self, spawn_app, TestServer},
    Composition,
};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{access::AccessMode, Board, BoardConfig};
use phase_5_hardening::{Hardening, HardeningConfig};
use phase_6_third_party::{ThirdParty, ThirdPartyConfig, TransportChoice};
use serde_json::{json, Value};
use tokio::{net::TcpStream, time::timeout};
use tokio_tungstenite::{
    tungstenite::{
        client::IntoClientRequest, http::HeaderValue, protocol::frame::coding::CloseCode, Message,
    },
    MaybeTlsStream, WebSocketStream,
};

/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(10);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start(transport: TransportChoice, hardening: HardeningConfig) -> TestServer {
    let ws = WsConfig {
        close_timeout_ms: 1_000,
        ..WsConfig::default()
    };
    spawn_app(
        Composition::new(testing::server_config())
            .module(Sse::new(SseConfig::default()))
            .module(WebSocket::new(ws))
            // Not a test of access: clients without a session may open any board.
            .module(Board::new(BoardConfig {
                access: AccessMode::Open,
                ..BoardConfig::in_memory()
            }))
            .module(Hardening::new(hardening))
            .module(ThirdParty::new(ThirdPartyConfig {
                transport,
                ..ThirdPartyConfig::default()
            })),
    )
    .await
}

async fn connect(server: &TestServer, path: &str) -> Ws {
    let mut req = format!("ws://{}{path}", server.addr)
        .into_client_request()
        .expect("a ws url");
    let headers = req.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("liveboard.v1"),
    );
    headers.insert("origin", HeaderValue::from_static(testing::TEST_ORIGIN));
    let (ws, response) = timeout(WAIT, tokio_tungstenite::connect_async(req))
        .await
        .expect("handshake in time")
        .expect("handshake accepted");
    assert_eq!(response.status(), 101);
    ws
}

/// The next text message as JSON (pings are answered by the library meanwhile).
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("the stream is open")
            .expect("a valid message");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("JSON");
        }
    }
}

/// The first message of `type_` (earlier ones are skipped).
async fn until_type(ws: &mut Ws, type_: &str) -> Value {
    loop {
        let v = next_json(ws).await;
        if v["type"] == type_ {
            return v;
        }
    }
}

async fn send(ws: &mut Ws, value: Value) {
    ws.send(Message::text(value.to_string()))
        .await
        .expect("send");
}

async fn subscribe(ws: &mut Ws, board: &str, who: &str) {
    send(
        ws,
        json!({"type": "subscribe", "id": "s1", "payload": {"board": board,
        "person": {"clientId": who, "name": who, "color": "#336699"}}}),
    )
    .await;
    until_type(ws, "ready").await;
}

async fn transports(server: &TestServer) -> Value {
    let res = timeout(WAIT, reqwest::get(server.url("/ws/transports")))
        .await
        .expect("an answer in time")
        .expect("request sent");
    assert_eq!(res.status(), 200);
    res.json().await.expect("JSON")
}

fn open_on(counts: &Value, name: &str) -> u64 {
    counts["transports"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|t| t["name"] == name)
        .and_then(|t| t["open"].as_u64())
        .unwrap_or_else(|| panic!("no {name} in {counts}"))
}

#[tokio::test]
async fn a_note_made_through_one_transport_reaches_a_client_of_the_other() {
    let server = start(TransportChoice::HandRolled, HardeningConfig::default()).await;
    let mut ana = connect(&server, "/ws/hand-rolled").await;
    let mut bo = connect(&server, "/ws/tungstenite").await;
    subscribe(&mut ana, "shared", "ana").await;
    subscribe(&mut bo, "shared", "bo").await;
    let counts = transports(&server).await;
    assert_eq!(open_on(&counts, "hand-rolled"), 1, "{counts}");
    assert_eq!(open_on(&counts, "tungstenite"), 1, "{counts}");

    for (author, ws, note) in [("ana", &mut ana, "n1"), ("bo", &mut bo, "n2")] {
        send(
            ws,
            json!({"type": "note_create", "id": format!("c-{note}"), "payload": {
            "board": "shared", "opId": format!("op-{note}"), "noteId": note,
            "text": format!("from {author}"), "color": "#fde68a", "column": "Todo",
            "order": 1.0, "author": author}}),
        )
        .await;
    }
    // Each sees both notes, in the board's order, whichever transport made them.
    for ws in [&mut ana, &mut bo] {
        let first = until_type(ws, "note.created").await;
        let second = until_type(ws, "note.created").await;
        assert_eq!(first["payload"]["note"]["id"], "n1", "{first}");
        assert_eq!(second["payload"]["note"]["id"], "n2", "{second}");
        assert!(
            second["payload"]["seq"].as_u64() > first["payload"]["seq"].as_u64(),
            "{first} {second}"
        );
    }
}

#[tokio::test]
async fn the_ws_transport_flag_decides_what_serves_ws() {
    for choice in TransportChoice::ALL {
        let server = start(choice, HardeningConfig::default()).await;
        let mut ws = connect(&server, "/ws").await;
        assert_eq!(until_type(&mut ws, "welcome").await["type"], "welcome");
        let counts = transports(&server).await;
        assert_eq!(counts["serving"], choice.name(), "{counts}");
        assert_eq!(open_on(&counts, choice.name()), 1, "{counts}");
        for other in TransportChoice::ALL.into_iter().filter(|c| *c != choice) {
            assert_eq!(open_on(&counts, other.name()), 0, "{counts}");
        }
    }
}

#[tokio::test]
async fn the_heartbeat_pings_a_tungstenite_connection_and_shutdown_closes_it_with_1001() {
    let hardening = HardeningConfig {
        heartbeat_interval_ms: 200,
        heartbeat_deadline_ms: 2_000,
        ..HardeningConfig::default()
    };
    let server = start(TransportChoice::HandRolled, hardening).await;
    let mut ws = connect(&server, "/ws/tungstenite").await;
    // Phase 5's RFC 6455 ping, through the seam's heartbeat slot.
    loop {
        let message = timeout(WAIT, ws.next())
            .await
            .expect("a ping in time")
            .expect("open")
            .expect("valid");
        if matches!(message, Message::Ping(_)) {
            break;
        }
    }
    let addr = server.addr;
    let stop = tokio::spawn(server.shutdown());
    let close = loop {
        match timeout(WAIT, ws.next()).await.expect("a close in time") {
            Some(Ok(Message::Close(frame))) => break frame.expect("a close code"),
            Some(Ok(_)) => {}
            other => panic!("expected a Close from {addr}, got {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::Away);
    assert!(
        close.reason.starts_with("server shutting down"),
        "{}",
        close.reason
    );
    drop(ws);
    timeout(WAIT, stop)
        .await
        .expect("stopped in time")
        .expect("stop task")
        .expect("served without error");
}
