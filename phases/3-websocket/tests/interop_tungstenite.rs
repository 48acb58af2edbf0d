//! Interoperability with an independent implementation: tokio-tungstenite, the client
//! half of the library phase 6 plugs in beside ours. If both agree on every case here,
//! neither can be wrong in the same way by accident.

mod common;

use common::{quick_config, Server, WAIT};
use futures_util::{SinkExt, StreamExt};
use phase_3_websocket::WsConfig;
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

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(server: &Server, path: &str) -> Ws {
    let (ws, response) = tokio::time::timeout(WAIT, connect_async(server.ws_url(path)))
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

#[tokio::test]
async fn text_and_binary_messages_are_echoed_with_their_type() {
    let server = Server::start(quick_config()).await;
    let mut ws = connect(&server, "/ws/echo").await;
    ws.send(Message::text("héllo, board")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("héllo, board"));
    ws.send(Message::binary(vec![0u8, 1, 2, 255]))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await, Message::binary(vec![0u8, 1, 2, 255]));
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn a_one_mebibyte_message_is_echoed_intact() {
    let server = Server::start(quick_config()).await;
    let mut ws = connect(&server, "/ws/echo").await;
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    ws.send(Message::binary(big.clone())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::binary(big));
    let text = "ab€".repeat(200_000); // 1 MB of text with multi-byte code points
    ws.send(Message::text(text.clone())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text(text));
}

#[tokio::test]
async fn a_message_fragmented_by_tungstenite_comes_back_whole() {
    let server = Server::start(quick_config()).await;
    let mut ws = connect(&server, "/ws/echo").await;
    // "Hello, €!" split inside the euro sign, with a ping between the fragments.
    let bytes = "Hello, €!".as_bytes().to_vec();
    let (a, b) = bytes.split_at(8); // 'H'..' ' + first byte of €
    ws.send(Message::Frame(Frame::message(
        a.to_vec(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await
    .unwrap();
    ws.send(Message::Ping(b"mid".to_vec().into()))
        .await
        .unwrap();
    ws.send(Message::Frame(Frame::message(
        b.to_vec(),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await, Message::Pong(b"mid".to_vec().into()));
    assert_eq!(next(&mut ws).await, Message::text("Hello, €!"));
}

#[tokio::test]
async fn a_ping_from_tungstenite_gets_a_pong_with_the_same_payload() {
    let server = Server::start(quick_config()).await;
    let mut ws = connect(&server, "/ws/echo").await;
    ws.send(Message::Ping(b"12345".to_vec().into()))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await, Message::Pong(b"12345".to_vec().into()));
}

#[tokio::test]
async fn tungstenites_close_is_echoed_and_it_sees_the_clean_end() {
    let server = Server::start(quick_config()).await;
    let mut ws = connect(&server, "/ws/echo").await;
    ws.close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "tab closed".into(),
    }))
    .await
    .unwrap();
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

#[tokio::test]
async fn tungstenite_observes_1009_when_a_message_is_too_big() {
    let server = Server::start(WsConfig {
        max_frame_bytes: 1000,
        ..quick_config()
    })
    .await;
    let mut ws = connect(&server, "/ws/echo").await;
    ws.send(Message::binary(vec![7u8; 1001])).await.unwrap();
    match next(&mut ws).await {
        Message::Close(Some(frame)) => {
            assert_eq!(frame.code, CloseCode::Size);
            assert_eq!(frame.reason.as_str(), "message too big");
        }
        other => panic!("expected close 1009, got {other:?}"),
    }
}

#[tokio::test]
async fn tungstenite_observes_1001_on_shutdown() {
    let server = Server::start(quick_config()).await;
    let mut ws = connect(&server, "/ws/echo").await;
    let state = server.state.clone();
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
    assert!(done.await.unwrap());
}

#[tokio::test]
async fn the_board_endpoint_negotiates_liveboard_v1_with_tungstenite() {
    let server = Server::start(quick_config()).await;
    let mut request = server.ws_url("/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "liveboard.v1".parse().unwrap());
    let (mut ws, response) = connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "liveboard.v1");
    let Message::Text(welcome) = next(&mut ws).await else {
        panic!("expected the welcome text message")
    };
    let welcome: serde_json::Value = serde_json::from_str(&welcome).unwrap();
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["payload"]["subprotocol"], "liveboard.v1");
}
