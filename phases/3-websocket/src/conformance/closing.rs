//! Every close path over a real socket (RFC 6455 §5.5, §7): the frames the server sends
//! are asserted as raw bytes, and so is the TCP close that follows.

use super::{quick_config, Target};
use crate::{server::registry::CloseRequest, CloseCode, Frame, FrameCodec, OpCode, WsConfig};

fn masked(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    // A hand-built client frame with the masking key 0 (masking is then the identity,
    // which keeps the payload readable in the test; the MASK bit is still set).
    assert!(payload.len() < 126);
    let mut out = vec![
        (u8::from(fin) << 7) | opcode,
        0x80 | payload.len() as u8,
        0,
        0,
        0,
        0,
    ];
    out.extend_from_slice(payload);
    out
}

/// RFC 6455 §5.1: a server MUST close the connection upon receiving an unmasked frame.
pub async fn an_unmasked_frame_gets_close_1002_then_tcp_close(target: &Target) {
    let mut client = target.connect_echo().await;
    // RFC 6455 §5.7's unmasked "Hello", which only a server may send.
    client
        .send_raw(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'])
        .await;
    let frame = client.recv().await;
    assert_eq!(frame.opcode, OpCode::Close);
    let mut expected = vec![0x88, 16, 0x03, 0xea];
    expected.extend_from_slice(b"protocol error");
    assert_eq!(
        [&[0x88, frame.payload.len() as u8][..], &frame.payload[..]].concat(),
        expected
    );
    client.send(Frame::close(1002u16, "")).await;
    client.expect_eof().await;
    assert_eq!(target.state.stats().protocol_errors, 1);
}

/// RFC 6455 §8.1: text that is not UTF-8 fails the connection with 1007.
pub async fn invalid_utf8_in_a_text_message_gets_close_1007(target: &Target) {
    let mut client = target.connect_echo().await;
    client
        .send_raw(&masked(0x1, true, &[b'o', b'k', 0xff]))
        .await;
    let (code, reason) = client.recv_close().await;
    assert_eq!(code, 1007);
    assert!(reason.contains("UTF-8"), "{reason}");
    client.send(Frame::close(1007u16, "")).await;
    client.expect_eof().await;
}

/// RFC 6455 §5.6: UTF-8 is a property of the whole message, not of each fragment.
pub async fn a_code_point_split_across_fragments_is_valid(target: &Target) {
    let mut client = target.connect_echo().await;
    let euro = "€".as_bytes(); // e2 82 ac
    client.send_raw(&masked(0x1, false, &euro[..1])).await;
    client.send_raw(&masked(0x0, true, &euro[1..])).await;
    let frame = client.recv().await;
    assert_eq!((frame.opcode, &frame.payload[..]), (OpCode::Text, euro));
}

/// RFC 6455 §10.4: a length is checked before anything is buffered for it.
pub async fn a_frame_over_the_frame_limit_gets_close_1009_from_its_header_alone(target: &Target) {
    let target = target
        .with_config(WsConfig {
            max_frame_bytes: 1024,
            ..quick_config()
        })
        .await;
    let mut client = target.connect_echo().await;
    // The header: a masked binary frame announcing 2048 bytes (16-bit length).
    client
        .send_raw(&[0x82, 0x80 | 126, 0x08, 0x00, 1, 2, 3, 4])
        .await;
    if !target.expect().closes_frame_over_limit_from_header {
        client.send_raw(&[0u8; 2048]).await;
    }
    let (code, reason) = client.recv_close().await;
    assert_eq!(code, 1009);
    assert_eq!(reason, "message too big");
}

/// RFC 6455 §10.4: the message limit holds across fragments, each under the frame limit.
pub async fn a_fragmented_message_over_the_message_limit_gets_close_1009(target: &Target) {
    let target = target
        .with_config(WsConfig {
            max_frame_bytes: 100,
            max_message_bytes: 150,
            ..quick_config()
        })
        .await;
    let mut client = target.connect_echo().await;
    client
        .send(Frame::new(false, OpCode::Binary, vec![0u8; 100]))
        .await;
    client
        .send(Frame::new(true, OpCode::Continuation, vec![0u8; 100]))
        .await;
    assert_eq!(client.recv_close().await.0, 1009);
}

/// RFC 6455 §5.5.1: the answering Close "typically echos the status code it received".
pub async fn a_client_close_is_echoed_with_its_code_then_tcp_closes(target: &Target) {
    let after_empty_close = target.expect().answers_an_empty_close_with;
    for (sent, echoed) in [
        (Some(1000u16), Some(1000u16)),
        (Some(4321), Some(4321)),
        (None, after_empty_close),
    ] {
        let mut client = target.connect_echo().await;
        match sent {
            Some(code) => client.send(Frame::close(code, "bye")).await,
            None => client.send(Frame::close_empty()).await,
        }
        let answer = client.recv_close_body().await;
        assert_eq!(
            answer.as_ref().map(|(code, _)| *code),
            echoed,
            "after a close with {sent:?}"
        );
        if sent.is_some() {
            let reason = answer.map(|(_, reason)| reason);
            assert_eq!(reason.as_deref(), Some("bye"), "the reason is echoed too");
        }
        client.expect_eof().await;
    }
}

/// RFC 6455 §7.4.1: 1005, 1006 and codes outside the defined ranges never appear on the wire.
pub async fn a_close_with_a_code_that_must_not_be_sent_gets_1002(target: &Target) {
    for bad in [1005u16, 1006, 999, 2000] {
        let mut client = target.connect_echo().await;
        client
            .send_raw(&masked(0x8, true, &bad.to_be_bytes()))
            .await;
        let (code, reason) = client.recv_close().await;
        assert_eq!(code, 1002, "close code {bad}");
        assert_eq!(
            reason,
            target.expect().forbidden_close_code_reason,
            "close code {bad}"
        );
    }
}

/// RFC 6455 §5.5.1: a Close body starts with a two-byte code; one byte is no body at all.
pub async fn a_one_byte_close_payload_gets_1002(target: &Target) {
    let mut client = target.connect_echo().await;
    client.send_raw(&masked(0x8, true, &[0x03])).await;
    assert_eq!(client.recv_close().await.0, 1002);
}

/// RFC 6455 §5.5.3: a Pong has "Application data identical to" the Ping's.
pub async fn a_ping_is_answered_by_a_pong_with_the_same_payload(target: &Target) {
    let mut client = target.connect_echo().await;
    client.send_raw(&masked(0x9, true, b"are you there?")).await;
    // Raw bytes: FIN + pong, unmasked, 14 bytes, the same payload.
    let frame = client.recv().await;
    assert_eq!(frame.opcode, OpCode::Pong);
    assert_eq!(&frame.payload[..], b"are you there?");
    let mut raw = vec![0x8a, 14];
    raw.extend_from_slice(b"are you there?");
    let mut encoded = bytes::BytesMut::new();
    tokio_util::codec::Encoder::encode(
        &mut FrameCodec::server(Default::default()),
        frame,
        &mut encoded,
    )
    .expect("a pong the server codec can encode");
    assert_eq!(&encoded[..], &raw[..]);
}

/// RFC 6455 §5.4: control frames MAY be injected in the middle of a fragmented message.
pub async fn a_ping_between_fragments_is_answered_before_the_message_completes(target: &Target) {
    let mut client = target.connect_echo().await;
    client.send_raw(&masked(0x1, false, b"Hel")).await;
    client.send_raw(&masked(0x9, true, b"p")).await;
    let pong = client.recv().await;
    assert_eq!((pong.opcode, &pong.payload[..]), (OpCode::Pong, &b"p"[..]));
    client.send_raw(&masked(0x0, true, b"lo")).await;
    let text = client.recv().await;
    assert_eq!(
        (text.opcode, &text.payload[..]),
        (OpCode::Text, &b"Hello"[..])
    );
}

/// RFC 6455 §7.1.1: the server closes TCP, at the latest when the close deadline passes.
pub async fn a_peer_that_never_answers_our_close_is_dropped_at_the_close_deadline(target: &Target) {
    let target = target
        .with_config(WsConfig {
            close_timeout_ms: 200,
            ..WsConfig::default()
        })
        .await;
    let mut client = target.connect_board().await;
    let welcome = client.recv_json().await;
    let id = welcome["payload"]["connectionId"]
        .as_u64()
        .expect("a welcome with the connection id");
    // The server starts the closing handshake (as it does on shutdown) and waits for ours.
    assert!(target
        .state
        .registry()
        .close(id, CloseRequest::from_code(CloseCode::GoingAway)));
    assert_eq!(client.recv_close().await.0, 1001);
    // We do not answer; the server gives up after 200 ms and closes TCP.
    client.expect_eof().await;
    assert_eq!(target.state.stats().close_timeouts, 1);
}

/// RFC 6455 §7.4.1: 1001 "indicates that an endpoint is 'going away', such as a server going down".
pub async fn shutdown_closes_every_connection_with_1001(target: &Target) {
    let mut a = target.connect_echo().await;
    let mut b = target.connect_board().await;
    let _welcome = b.recv_json().await;
    let state = target.state.clone();
    let shutdown =
        tokio::spawn(async move { state.shutdown(std::time::Duration::from_secs(5)).await });
    for client in [&mut a, &mut b] {
        let (code, reason) = client.recv_close().await;
        assert_eq!((code, reason.as_str()), (1001, "server shutting down"));
        client.send(Frame::close(1001u16, "")).await;
        client.expect_eof().await;
    }
    assert!(
        shutdown.await.expect("the shutdown task ran"),
        "every closing handshake finished in time"
    );
}
