//! Chapter 6's failure story, run for real: `make failures` (or
//! `cargo test -p phase-6-third-party --test failures -- --ignored`).
//!
//! A library comes with limits of its own, and they are not yours: tokio-tungstenite accepts
//! frames of 16 MiB and messages of 64 MiB unless told otherwise, where phase 3 refuses more
//! than 1 MiB and 4 MiB (`--ws-max-frame-bytes`, `--ws-max-message-bytes`). A transport
//! that hands the library its defaults serves a server whose flags lie. Here the real
//! library, server role, over a real socket on 127.0.0.1: a client sends a 5 MiB message
//! (one frame, as tungstenite's client sends it), first to the library at its defaults,
//! then to the library configured from phase 3's limits (`tungstenite_config`), which
//! refuses it from the frame header: it is over both limits.

use futures_util::{SinkExt, StreamExt};
use phase_3_websocket::Limits;
use phase_6_third_party::tungstenite::tungstenite_config;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::{
    tungstenite::{
        protocol::{Role, WebSocketConfig},
        Error, Message,
    },
    WebSocketStream,
};

const MESSAGE: usize = 5 * 1024 * 1024;
const WAIT: Duration = Duration::from_secs(30);

/// What the server-role library reads when a client sends one 5 MiB message.
async fn server_reads_5_mib(config: WebSocketConfig) -> Result<Message, Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = tokio::spawn(async move {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        // After a handshake (not the point here): both ends start at the first frame.
        let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Client, None).await;
        // The peer may close on us mid-send: that is the outcome being shown.
        let _ = ws.send(Message::binary(vec![7u8; MESSAGE])).await;
        ws
    });
    let (tcp, _) = listener.accept().await.expect("accept");
    let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Server, Some(config)).await;
    let read = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("an answer in time")
        .expect("a message or an error");
    drop(client);
    read
}

#[tokio::test]
#[ignore = "a demonstration: run with `make failures`"]
async fn failure_the_librarys_defaults_let_in_a_message_our_limit_refuses() {
    let at_defaults = server_reads_5_mib(WebSocketConfig::default()).await;
    println!(
        "FAILURE library defaults: a 5 MiB message is {} although phase 3 refuses frames over 1 MiB and messages over 4 MiB",
        match &at_defaults {
            Ok(m) => format!("accepted ({} bytes)", m.len()),
            Err(e) => format!("refused ({e})"),
        }
    );
    assert!(matches!(&at_defaults, Ok(m) if m.len() == MESSAGE));

    let ours = server_reads_5_mib(tungstenite_config(&Limits::default(), 4096)).await;
    println!(
        "FAILURE configured from phase 3's limits: the same message is {} — the transport closes with 1009",
        match &ours {
            Ok(m) => format!("accepted ({} bytes)", m.len()),
            Err(e) => format!("refused ({e})"),
        }
    );
    assert!(matches!(ours, Err(Error::Capacity(_))));
}
