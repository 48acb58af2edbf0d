//! Interoperability with an independent implementation: tokio-tungstenite's client, the
//! library phase 6 also serves with. If both agree on every case here, neither can be
//! wrong in the same way by accident.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    connect_async,
    tungstenite::{
        client::IntoClientRequest,
        protocol::{
            frame::{
                coding::{CloseCode, Data, OpCode},
                CloseFrame, Frame,
            },
            Message,
        },
    },
    MaybeTlsStream, WebSocketStream,
};

use super::{quick_config, Target, WAIT};
use crate::WsConfig;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(target: &Target, path: &str) -> Ws {
    let (ws, response) = tokio::time::timeout(WAIT, connect_async(target.ws_url(path)))
        .await
        .expect("handshake in time")
        .expect("handshake accepted");
    assert_eq!(response.status(), 101);
    ws
}

async fn next(ws: &mut Ws) -> Message {
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a message within the wait")
        .expect("the stream is open")
        .expect("a valid message")
}

/// tokio-tungstenite's text and binary messages come back from the echo endpoint unchanged.
pub async fn text_and_binary_messages_are_echoed_with_their_type(target: &Target) {
    let mut ws = connect(target, target.transport.echo_path).await;
    ws.send(Message::text("héllo, board"))
        .await
        .expect("tungstenite sends it");
    assert_eq!(next(&mut ws).await, Message::text("héllo, board"));
    ws.send(Message::binary(vec![0u8, 1, 2, 255]))
        .await
        .expect("tungstenite sends it");
    assert_eq!(next(&mut ws).await, Message::binary(vec![0u8, 1, 2, 255]));
    ws.close(None).await.expect("tungstenite sends it");
}

/// A 1 MiB binary and a 1 MB text message survive framing, masking and reassembly.
pub async fn a_one_mebibyte_message_is_echoed_intact(target: &Target) {
    let mut ws = connect(target, target.transport.echo_path).await;
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    ws.send(Message::binary(big.clone()))
        .await
        .expect("tungstenite sends it");
    assert_eq!(next(&mut ws).await, Message::binary(big));
    let text = "ab€".repeat(200_000); // 1 MB of text with multi-byte code points
    ws.send(Message::text(text.clone()))
        .await
        .expect("tungstenite sends it");
    assert_eq!(next(&mut ws).await, Message::text(text));
}

/// RFC 6455 §5.4: tungstenite's fragments, split inside a code point with a ping between, make one message.
pub async fn a_message_fragmented_by_tungstenite_comes_back_whole(target: &Target) {
    let mut ws = connect(target, target.transport.echo_path).await;
    // "Hello, €!" split inside the euro sign, with a ping between the fragments.
    let bytes = "Hello, €!".as_bytes().to_vec();
    let (a, b) = bytes.split_at(8); // 'H'..' ' + first byte of €
    ws.send(Message::Frame(Frame::message(
        a.to_vec(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await
    .expect("tungstenite sends it");
    ws.send(Message::Ping(b"mid".to_vec().into()))
        .await
        .expect("tungstenite sends it");
    ws.send(Message::Frame(Frame::message(
        b.to_vec(),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await
    .expect("tungstenite sends it");
    assert_eq!(next(&mut ws).await, Message::Pong(b"mid".to_vec().into()));
    assert_eq!(next(&mut ws).await, Message::text("Hello, €!"));
}

/// RFC 6455 §5.5.2, §5.5.3: tungstenite's ping gets our pong.
pub async fn a_ping_from_tungstenite_gets_a_pong_with_the_same_payload(target: &Target) {
    let mut ws = connect(target, target.transport.echo_path).await;
    ws.send(Message::Ping(b"12345".to_vec().into()))
        .await
        .expect("tungstenite sends it");
    assert_eq!(next(&mut ws).await, Message::Pong(b"12345".to_vec().into()));
}

/// RFC 6455 §7.1.2: tungstenite's closing handshake completes and it sees the stream end cleanly.
pub async fn tungstenites_close_is_echoed_and_it_sees_the_clean_end(target: &Target) {
    let mut ws = connect(target, target.transport.echo_path).await;
    ws.close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "tab closed".into(),
    }))
    .await
    .expect("tungstenite sends it");
    match next(&mut ws).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected the echoed close, got {other:?}"),
    }
    let end = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("stream ends");
    assert!(
        end.is_none(),
        "clean end after the closing handshake, got {end:?}"
    );
}

/// RFC 6455 §7.4.1: tungstenite reads our 1009 as `CloseCode::Size`.
pub async fn tungstenite_observes_1009_when_a_message_is_too_big(target: &Target) {
    let target = target
        .with_config(WsConfig {
            max_frame_bytes: 1000,
            ..quick_config()
        })
        .await;
    let mut ws = connect(&target, target.transport.echo_path).await;
    ws.send(Message::binary(vec![7u8; 1001]))
        .await
        .expect("tungstenite sends it");
    match next(&mut ws).await {
        Message::Close(Some(frame)) => {
            assert_eq!(frame.code, CloseCode::Size);
            assert_eq!(frame.reason.as_str(), "message too big");
        }
        other => panic!("expected close 1009, got {other:?}"),
    }
}

/// RFC 6455 §7.4.1: tungstenite reads our shutdown Close as `CloseCode::Away` and answers it.
pub async fn tungstenite_observes_1001_on_shutdown(target: &Target) {
    let mut ws = connect(target, target.transport.echo_path).await;
    let state = target.state.clone();
    let done = tokio::spawn(async move { state.shutdown(WAIT).await });
    match next(&mut ws).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected close 1001, got {other:?}"),
    }
    // tungstenite answers the Close by itself; the server then finishes.
    assert!(tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("end")
        .is_none());
    assert!(done.await.expect("the shutdown task ran"));
}

/// RFC 6455 §4.2.2: tungstenite asks for `liveboard.v1` and gets it, then the welcome.
pub async fn the_board_endpoint_negotiates_liveboard_v1_with_tungstenite(target: &Target) {
    let mut request = target
        .ws_url(target.transport.board_path)
        .into_client_request()
        .expect("a valid ws:// URL");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        http::HeaderValue::from_static("liveboard.v1"),
    );
    let (mut ws, response) = tokio::time::timeout(WAIT, connect_async(request))
        .await
        .expect("handshake in time")
        .expect("handshake accepted");
    assert_eq!(response.headers()["sec-websocket-protocol"], "liveboard.v1");
    let Message::Text(welcome) = next(&mut ws).await else {
        panic!("expected the welcome text message")
    };
    let welcome: serde_json::Value = serde_json::from_str(&welcome).expect("a JSON welcome");
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["payload"]["subprotocol"], "liveboard.v1");
}
