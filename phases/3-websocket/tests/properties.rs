//! Property tests for the codec and the assembler: round trip, any byte stream
//! never panics nor over-reserves, any chunking gives the same frames, any fragmentation gives
//! back the message.

use bytes::{Bytes, BytesMut};
use phase_3_websocket::{
    Frame, FrameCodec, Limits, Message, MessageAssembler, OpCode, ProtocolError, MAX_HEADER_LEN,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use tokio_util::codec::{Decoder, Encoder};

/// Small limits so that the strategies reach them.
const LIMITS: Limits = Limits {
    max_frame_payload: 1024,
    max_message_size: 4096,
};

/// Any frame that may legally be sent: data frames with any FIN, control frames final and
/// at most 125 bytes.
fn valid_frame() -> impl Strategy<Value = Frame> {
    let data = (
        any::<bool>(),
        prop_oneof![
            Just(OpCode::Continuation),
            Just(OpCode::Text),
            Just(OpCode::Binary)
        ],
        vec(any::<u8>(), 0..1024),
    )
        .prop_map(|(fin, opcode, payload)| Frame::new(fin, opcode, payload));
    let control = (
        prop_oneof![Just(OpCode::Close), Just(OpCode::Ping), Just(OpCode::Pong)],
        vec(any::<u8>(), 0..=125),
    )
        .prop_map(|(opcode, payload)| Frame::new(true, opcode, payload));
    // Lengths around the 7/16-bit boundaries matter most; make sure they appear.
    let boundary = (
        prop_oneof![Just(125usize), Just(126), Just(127), Just(1023), Just(1024)],
        any::<u8>(),
    )
        .prop_map(|(len, byte)| Frame::binary(vec![byte; len]));
    prop_oneof![4 => data, 2 => control, 1 => boundary]
}

/// Encodes frames as a client would, each with the next key of `keys`.
fn client_encode(frames: &[Frame], keys: Vec<[u8; 4]>) -> BytesMut {
    let mut keys = keys.into_iter().cycle();
    let mut client =
        FrameCodec::client_with_mask_keys(LIMITS, move || keys.next().unwrap_or([0, 0, 0, 0]));
    let mut wire = BytesMut::new();
    for frame in frames {
        client.encode(frame.clone(), &mut wire).unwrap();
    }
    wire
}

/// Turns sorted cut points into chunks of `bytes`.
fn chunks<'a>(bytes: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts {
        out.push(&bytes[start..cut]);
        start = cut;
    }
    out.push(&bytes[start..]);
    out
}

/// Feeds chunks to a server decoder, like a socket delivering reads, and collects the frames
/// until the first error. Checks on every call that the decoder never grows the buffer by
/// more than one frame within the limit (on top of `BytesMut`'s own doubling).
fn server_decode_chunks(chunks: &[&[u8]]) -> Result<Vec<Frame>, ProtocolError> {
    server_decode_chunks_with(LIMITS, chunks)
}

fn server_decode_chunks_with(
    limits: Limits,
    chunks: &[&[u8]],
) -> Result<Vec<Frame>, ProtocolError> {
    let mut codec = FrameCodec::server(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let capacity_before = buf.capacity();
            let decoded = codec.decode(&mut buf);
            let bound = 2 * capacity_before + limits.max_frame_payload + MAX_HEADER_LEN;
            assert!(
                buf.capacity() <= bound,
                "capacity grew from {capacity_before} to {}",
                buf.capacity()
            );
            match decoded? {
                Some(frame) => frames.push(frame),
                None => break,
            }
        }
    }
    Ok(frames)
}

/// Byte streams that get past the first checks: mostly-valid encodings with some bytes
/// overwritten, plus plain noise.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let mutated = (
        vec(valid_frame(), 0..4),
        vec((any::<Index>(), any::<u8>()), 0..6),
    )
        .prop_map(|(frames, edits)| {
            let mut wire = client_encode(&frames, vec![[1, 2, 3, 4]]).to_vec();
            if !wire.is_empty() {
                for (at, byte) in edits {
                    let i = at.index(wire.len());
                    wire[i] = byte;
                }
            }
            wire
        });
    // Headers that announce huge or odd lengths, with the MASK bit set.
    let headers = (
        any::<u8>(),
        prop_oneof![Just(126u8), Just(127u8), any::<u8>()],
        vec(any::<u8>(), 0..32),
    )
        .prop_map(|(b0, len7, rest)| {
            let mut wire = vec![b0 & 0x8F, 0x80 | (len7 & 0x7F)];
            wire.extend(rest);
            wire
        });
    prop_oneof![vec(any::<u8>(), 0..512), mutated, headers]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // Integration tests have no lib.rs beside them to persist regressions next to.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn frames_encoded_by_a_client_decode_unchanged_on_the_server(
        frames in vec(valid_frame(), 0..8),
        keys in vec(any::<[u8; 4]>(), 1..8),
    ) {
        let wire = client_encode(&frames, keys);
        let decoded = server_decode_chunks(&[&wire[..]]).unwrap();
        prop_assert_eq!(decoded, frames);
    }

    #[test]
    fn frames_encoded_by_the_server_decode_unchanged_on_a_client(
        frames in vec(valid_frame(), 0..8),
    ) {
        let mut server = FrameCodec::server(LIMITS);
        let mut wire = BytesMut::new();
        for frame in &frames {
            server.encode(frame.clone(), &mut wire).unwrap();
        }
        let mut client = FrameCodec::client(LIMITS);
        let mut decoded = Vec::new();
        while let Some(frame) = client.decode(&mut wire).unwrap() {
            decoded.push(frame);
        }
        prop_assert!(wire.is_empty());
        prop_assert_eq!(decoded, frames);
    }

    #[test]
    fn any_chunking_of_a_valid_stream_yields_the_same_frames(
        frames in vec(valid_frame(), 1..6),
        cuts in vec(any::<Index>(), 0..12),
    ) {
        let wire = client_encode(&frames, vec![[0xde, 0xad, 0xbe, 0xef]]);
        let whole = server_decode_chunks(&[&wire[..]]).unwrap();
        let chunked = server_decode_chunks(&chunks(&wire, &cuts)).unwrap();
        prop_assert_eq!(&chunked, &whole);
        prop_assert_eq!(whole, frames);
    }

    #[test]
    fn one_byte_at_a_time_yields_the_same_frames(frames in vec(valid_frame(), 1..4)) {
        let wire = client_encode(&frames, vec![[7, 7, 7, 7]]);
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        prop_assert_eq!(server_decode_chunks(&bytes).unwrap(), frames);
    }

    #[test]
    fn any_byte_stream_never_panics_and_never_over_reserves(
        bytes in hostile_bytes(),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        // Panics and over-reservation are caught inside; errors are the expected outcome.
        let whole = server_decode_chunks(&[&bytes[..]]);
        let chunked = server_decode_chunks(&chunks(&bytes, &cuts));
        // Chunking never changes the outcome either.
        match (whole, chunked) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "whole {:?} vs chunked {:?}", a, b),
        }
    }

    #[test]
    fn any_byte_stream_through_the_whole_pipeline_never_panics(bytes in hostile_bytes()) {
        let mut codec = FrameCodec::server(LIMITS);
        let mut assembler = MessageAssembler::new(LIMITS);
        let mut buf = BytesMut::from(&bytes[..]);
        while let Ok(Some(frame)) = codec.decode(&mut buf) {
            if assembler.push(frame).is_err() {
                break;
            }
        }
        let _ = codec.decode_eof(&mut buf);
    }

    #[test]
    fn any_fragmentation_of_a_message_assembles_back_into_it(
        message in prop_oneof![
            any::<String>().prop_map(Message::Text),
            vec(any::<u8>(), 0..3000).prop_map(|b| Message::Binary(Bytes::from(b))),
        ],
        cuts in vec(any::<Index>(), 0..8),
        pings in vec(any::<bool>(), 9),
    ) {
        let (opcode, payload): (OpCode, Vec<u8>) = match &message {
            Message::Text(text) => (OpCode::Text, text.clone().into_bytes()),
            Message::Binary(data) => (OpCode::Binary, data.to_vec()),
            _ => unreachable!(),
        };
        // Fragments at arbitrary byte positions (splitting code points too), with a ping
        // injected before some of them.
        let pieces = chunks(&payload, &cuts);
        let mut frames = Vec::new();
        let mut expected = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            if pings[i] {
                frames.push(Frame::ping(Bytes::from(vec![i as u8])));
                expected.push(Message::Ping(Bytes::from(vec![i as u8])));
            }
            let fin = i + 1 == pieces.len();
            let op = if i == 0 { opcode } else { OpCode::Continuation };
            frames.push(Frame::new(fin, op, Bytes::copy_from_slice(piece)));
        }
        expected.push(message);

        // Through the wire and back: client encode, server decode, assemble.
        let wire = client_encode(&frames, vec![[3, 1, 4, 1], [5, 9, 2, 6]]);
        // One fragment may hold the whole message here.
        let limits = Limits { max_frame_payload: 4096, max_message_size: 4096 };
        let decoded = server_decode_chunks_with(limits, &[&wire[..]]).unwrap();
        let mut assembler = MessageAssembler::new(limits);
        let mut messages = Vec::new();
        for frame in decoded {
            if let Some(message) = assembler.push(frame).unwrap() {
                messages.push(message);
            }
        }
        prop_assert_eq!(messages, expected);
        prop_assert!(!assembler.is_mid_message());
    }
}
