//! The worked examples of RFC 6455, byte for byte: §5.7 (framing) and §1.3 (the accept key).
//!
//! Each example is checked in both directions: our encoder produces exactly the RFC's bytes,
//! and our decoder turns the RFC's bytes back into the frame.

use bytes::{Bytes, BytesMut};
use phase_3_websocket::{accept_key, Frame, FrameCodec, Limits, Message, MessageAssembler, OpCode};
use tokio_util::codec::{Decoder, Encoder};

/// The masking key used by every masked example of §5.7.
const RFC_KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn server_encode(frame: Frame) -> Vec<u8> {
    let mut dst = BytesMut::new();
    FrameCodec::server(Limits::default())
        .encode(frame, &mut dst)
        .unwrap();
    dst.to_vec()
}

fn client_encode(frame: Frame) -> Vec<u8> {
    let mut dst = BytesMut::new();
    FrameCodec::client_with_mask_keys(Limits::default(), || RFC_KEY)
        .encode(frame, &mut dst)
        .unwrap();
    dst.to_vec()
}

fn decode_all(mut codec: FrameCodec, bytes: &[u8]) -> Vec<Frame> {
    let mut buf = BytesMut::from(bytes);
    let mut frames = Vec::new();
    while let Some(frame) = codec.decode(&mut buf).unwrap() {
        frames.push(frame);
    }
    assert!(buf.is_empty(), "every byte belongs to a frame");
    frames
}

/// What a client sees when it reads these server bytes.
fn as_client(bytes: &[u8]) -> Vec<Frame> {
    decode_all(FrameCodec::client(Limits::default()), bytes)
}

/// What the server sees when it reads these client bytes.
fn as_server(bytes: &[u8]) -> Vec<Frame> {
    decode_all(FrameCodec::server(Limits::default()), bytes)
}

#[test]
fn a_single_frame_unmasked_text_message_is_0x81_0x05_hello() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(server_encode(Frame::text("Hello")), wire);
    assert_eq!(as_client(&wire), [Frame::text("Hello")]);
}

#[test]
fn a_single_frame_masked_text_message_is_0x81_0x85_key_then_masked_hello() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(client_encode(Frame::text("Hello")), wire);
    assert_eq!(as_server(&wire), [Frame::text("Hello")]);
}

#[test]
fn a_fragmented_unmasked_text_message_is_hel_then_lo() {
    let first = [0x01, 0x03, 0x48, 0x65, 0x6c];
    let last = [0x80, 0x02, 0x6c, 0x6f];
    let hel = Frame::new(false, OpCode::Text, Bytes::from_static(b"Hel"));
    let lo = Frame::new(true, OpCode::Continuation, Bytes::from_static(b"lo"));
    assert_eq!(server_encode(hel.clone()), first);
    assert_eq!(server_encode(lo.clone()), last);

    let wire = [&first[..], &last[..]].concat();
    let frames = as_client(&wire);
    assert_eq!(frames, [hel, lo]);

    let mut assembler = MessageAssembler::new(Limits::default());
    let messages: Vec<Message> = frames
        .into_iter()
        .filter_map(|frame| assembler.push(frame).unwrap())
        .collect();
    assert_eq!(messages, [Message::Text("Hello".into())]);
}

#[test]
fn an_unmasked_ping_is_0x89_0x05_hello() {
    let wire = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(server_encode(Frame::ping(&b"Hello"[..])), wire);
    assert_eq!(as_client(&wire), [Frame::ping(&b"Hello"[..])]);
}

#[test]
fn a_masked_pong_is_0x8a_0x85_key_then_masked_hello() {
    let wire = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(client_encode(Frame::pong(&b"Hello"[..])), wire);
    assert_eq!(as_server(&wire), [Frame::pong(&b"Hello"[..])]);
}

#[test]
fn a_256_byte_binary_message_uses_the_16_bit_length_0x7e_0x0100() {
    let payload: Vec<u8> = (0..=255).collect();
    let wire = server_encode(Frame::binary(payload.clone()));
    assert_eq!(wire[..4], [0x82, 0x7E, 0x01, 0x00]);
    assert_eq!(wire.len(), 4 + 256);
    assert_eq!(wire[4..], payload[..]);
    assert_eq!(as_client(&wire), [Frame::binary(payload)]);
}

#[test]
fn a_64_kib_binary_message_uses_the_64_bit_length_0x7f_0x0000000000010000() {
    let payload: Vec<u8> = (0..65536u32).map(|i| i as u8).collect();
    let wire = server_encode(Frame::binary(payload.clone()));
    assert_eq!(
        wire[..10],
        [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
    );
    assert_eq!(wire.len(), 10 + 65536);
    assert_eq!(as_client(&wire), [Frame::binary(payload)]);
}

#[test]
fn the_section_1_3_key_gives_the_section_1_3_accept_value() {
    // RFC 6455 §1.3: "the server would append the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    // ... This value is then base64-encoded ... to give the value "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="".
    assert_eq!(
        accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}
