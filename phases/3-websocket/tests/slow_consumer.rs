//! The failure a hub with backpressure avoids: one client that stops reading must not
//! delay anyone else, nor make the server buffer for it without bound.
//!
//! A busy board gets N broadcasts of 16 KiB. One subscriber reads everything; the other
//! (with a tiny receive buffer) reads nothing until the fast one is done. The server may
//! push the slow one's frames into the kernel's socket buffers (a few MiB) and then into
//! its hub queue (1 MiB); past that budget the hub cuts it. The fast subscriber must
//! get all N meanwhile, and the slow one, when it finally reads, finds the frames that
//! were already on their way and then Close 1013 with the slow-consumer reason.
//!
//! The second test is about *when*: the slow client's connection is blocked in a write
//! its client never reads, and the cut must not wait behind it. With a send deadline of
//! two minutes, the connection must still leave its board (presence says so) and the
//! server (`GET /ws/stats`) within the close deadline, and the client, when it reads
//! again, finds Close 1013 or the end of the stream — never a connection still open.

mod common;

use common::{RawClient, Server, WAIT};
use phase_3_websocket::FrameCodec;
use phase_3_websocket::{OpCode, WsConfig};
use serde_json::json;
use tokio::net::TcpSocket;

/// Broadcasts sent: 1000 × 16 KiB ≈ 16 MiB, well past what loopback socket buffers
/// (at most ~4 MiB sending + ~6 MiB receiving by Linux's defaults) and the queue hold.
const N: usize = 1000;
const TEXT_BYTES: usize = 16 * 1024;
/// Broadcasts per round of the publisher.
const ROUND: usize = 10;

async fn subscribe(client: &mut RawClient, board: &str) {
    let welcome = client.recv_json().await;
    assert_eq!(welcome["type"], "welcome");
    client
        .send_json(json!({"type": "subscribe", "id": "s", "payload": {"board": board}}))
        .await;
    for expected in ["ack", "ready", "presence.list"] {
        assert_eq!(client.recv_json().await["type"], expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_on_a_busy_board_is_cut_with_1013_and_does_not_delay_the_others() {
    let server = Server::start(WsConfig {
        // 64 messages of slack: a *fast* reader never lags that far behind, even on a
        // loaded two-core machine, while the slow one overflows it for sure.
        queue_bytes: 1024 * 1024,
        max_text_chars: TEXT_BYTES,
        // Long enough that the Close, given the close deadline to get through the slow
        // client's full socket once it is cut, is still waiting when the client finally
        // reads, so it receives its Close frame.
        send_timeout_ms: 120_000,
        close_timeout_ms: 60_000,
        ..WsConfig::default()
    })
    .await;

    let mut fast = RawClient::connect(server.addr(), "/ws").await;
    subscribe(&mut fast, "busy").await;

    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr()).await.unwrap();
    let (mut slow, res) = RawClient::request_on(
        stream,
        server.addr(),
        "GET /ws HTTP/1.1",
        &common::upgrade_headers(),
    )
    .await;
    assert_eq!(res.status, 101);
    subscribe(&mut slow, "busy").await;

    // The publisher is a third client: it does not subscribe, it only publishes, in
    // rounds of ROUND messages; the fast subscriber reads each round before the next is
    // sent. (Unpaced, a publisher on this same two-thread test runtime can outrun *any*
    // reader by the whole budget in milliseconds; real clients are other machines.) If the
    // stalled reader could block fan-out, a round would never arrive and the wait times out.
    let mut publisher = RawClient::connect(server.addr(), "/ws").await;
    let _welcome = publisher.recv_json().await;
    let text = "x".repeat(TEXT_BYTES);
    let all_delivered = tokio::time::timeout(WAIT * 6, async {
        let mut got = 0;
        for round in 0..N / ROUND {
            for i in 0..ROUND {
                let id = (round * ROUND + i).to_string();
                publisher
                    .send_json(json!({"type": "publish", "id": id, "payload": {"board": "busy", "text": text}}))
                    .await;
            }
            for _ in 0..ROUND {
                assert_eq!(publisher.recv_json().await["type"], "ack");
                // Frames are only decoded, not parsed as JSON: cheap, as a fast reader is.
                let frame = fast.recv().await;
                assert_eq!(frame.opcode, OpCode::Text, "after {got} messages: {:?}", frame.payload.get(..60));
                assert!(frame.payload.starts_with(br#"{"type":"message","payload":{"board":"busy""#));
                got += 1;
            }
        }
        got
    })
    .await
    .expect("the fast subscriber got every broadcast in time");
    assert_eq!(all_delivered, N);
    assert_eq!(server.state.hub().stats().slow_consumers_cut, 1);

    // Now the slow one reads: what was already in flight, then the Close.
    let (messages, close) = tokio::time::timeout(WAIT * 3, async {
        let mut messages = 0;
        loop {
            let frame = slow.recv().await;
            match frame.opcode {
                OpCode::Text => messages += 1,
                OpCode::Close => return (messages, frame),
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await
    .expect("the slow subscriber reached its Close");
    assert!(
        messages < N,
        "the slow consumer was cut before receiving everything"
    );
    let code = u16::from_be_bytes([close.payload[0], close.payload[1]]);
    let reason = std::str::from_utf8(&close.payload[2..]).unwrap();
    assert_eq!(code, 1013);
    assert!(reason.starts_with("slow consumer"), "{reason}");
    assert_eq!(
        server.state.stats().slow_consumers,
        0,
        "no write ever hit the send deadline"
    );
}

/// A connection with a 4 KiB receive buffer that completed the handshake.
async fn tiny_window_client(server: &Server) -> RawClient {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr()).await.unwrap();
    let (client, res) = RawClient::request_on(
        stream,
        server.addr(),
        "GET /ws HTTP/1.1",
        &common::upgrade_headers(),
    )
    .await;
    assert_eq!(res.status, 101);
    client
}

/// `GET /ws/stats` over a real socket: how many WebSockets are open.
async fn open_websockets(server: &Server) -> u64 {
    let (_c, res) = RawClient::request(server.addr(), "GET /ws/stats HTTP/1.1", &[]).await;
    assert_eq!(res.status, 200);
    res.json()["websockets"]["open"]
        .as_u64()
        .expect("websockets.open")
}

/// What a client that resumes reading finds at the end: `Some(code)` of a Close frame,
/// or `None` if the stream ended (EOF or reset) without one.
async fn read_to_the_end(client: &mut RawClient) -> Option<u16> {
    use tokio::io::AsyncReadExt;
    use tokio_util::codec::Decoder;
    let mut codec = FrameCodec::client(phase_3_websocket::Limits::for_conformance_testing());
    loop {
        while let Some(frame) = codec.decode(&mut client.buf).expect("valid frames") {
            if frame.opcode == OpCode::Close {
                return Some(u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
            }
        }
        match tokio::time::timeout(WAIT, client.stream.read_buf(&mut client.buf))
            .await
            .expect("the server ended the stream within the wait")
        {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_subscriber_blocked_in_a_write_is_closed_within_the_close_deadline_not_the_send_deadline(
) {
    let server = Server::start(WsConfig {
        queue_bytes: 256 * 1024,
        max_text_chars: TEXT_BYTES,
        // Two minutes: if the connection waited for its blocked write, every wait below
        // (at most WAIT each) would time out first.
        send_timeout_ms: 120_000,
        close_timeout_ms: 2_000,
        ..WsConfig::default()
    })
    .await;

    let mut watcher = RawClient::connect(server.addr(), "/ws").await;
    subscribe(&mut watcher, "stall").await;
    let mut slow = tiny_window_client(&server).await;
    let welcome = slow.recv_json().await;
    assert_eq!(welcome["type"], "welcome");
    let person = json!({"clientId": "stuck", "name": "Stuck", "color": "#00aa00"});
    slow.send_json(
        json!({"type": "subscribe", "id": "s", "payload": {"board": "stall", "person": person}}),
    )
    .await;
    // From here on the slow client reads nothing.
    let joined = watcher.recv_json().await;
    assert_eq!(
        (
            joined["type"].as_str(),
            joined["payload"]["clientId"].as_str()
        ),
        (Some("presence.join"), Some("stuck"))
    );
    assert_eq!(open_websockets(&server).await, 2);

    // Publish in rounds the watcher keeps up with, until the hub cuts the slow client.
    let mut publisher = RawClient::connect(server.addr(), "/ws").await;
    let _welcome = publisher.recv_json().await;
    let text = "x".repeat(TEXT_BYTES);
    let mut left = None;
    let mut published = 0;
    while server.state.hub().stats().slow_consumers_cut == 0 {
        assert!(published < N, "the slow subscriber was never cut");
        for _ in 0..ROUND {
            publisher
                .send_json(json!({"type": "publish", "id": published.to_string(), "payload": {"board": "stall", "text": text}}))
                .await;
            published += 1;
        }
        let mut got = 0;
        while got < ROUND {
            let event = watcher.recv_json().await;
            match event["type"].as_str() {
                Some("message") => got += 1,
                Some("presence.leave") => left = Some(event),
                other => panic!("unexpected {other:?}"),
            }
        }
        for _ in 0..ROUND {
            assert_eq!(publisher.recv_json().await["type"], "ack");
        }
    }

    // The cut connection leaves its board: the watcher hears it (each read bounded by WAIT).
    let left = match left {
        Some(event) => event,
        None => loop {
            let event = watcher.recv_json().await;
            if event["type"] == "presence.leave" {
                break event;
            }
        },
    };
    assert_eq!(left["payload"]["clientId"], "stuck");
    // ...and the server: within the close deadline, though its write never finished.
    let deadline = tokio::time::Instant::now() + WAIT;
    while open_websockets(&server).await != 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the cut connection is still open"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Reading again, the client finds what was in flight, then Close 1013 if the server
    // could still get it into the socket, else the end of the stream: closed either way.
    if let Some(code) = read_to_the_end(&mut slow).await {
        assert_eq!(code, 1013);
    }
    assert_eq!(
        server.state.stats().slow_consumers,
        0,
        "no send deadline hit"
    );
}
