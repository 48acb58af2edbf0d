//! The failure a hub with backpressure avoids: one client that stops reading must not
//! delay anyone else, nor make the server buffer for it without bound.
//!
//! A busy board gets N broadcasts of 16 KiB. One subscriber reads everything; the other
//! (with a tiny receive buffer) reads nothing until the fast one is done. The server may
//! push the slow one's frames into the kernel's socket buffers (a few MiB) and then into
//! its hub queue (1 MiB); past that budget the hub cuts it. The fast subscriber must
//! get all N meanwhile, and the slow one, when it finally reads, finds the frames that
//! were already on their way and then Close 1013 with the slow-consumer reason.

mod common;

use common::{RawClient, Server, WAIT};
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
        // Long enough that the slow client's blocked write is still waiting when it
        // finally reads, so it can receive its Close frame.
        send_timeout_ms: 120_000,
        close_timeout_ms: 2_000,
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
