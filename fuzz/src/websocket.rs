//! The RFC 6455 frame decoder ([`FrameCodec`]) and message assembler.

use bytes::BytesMut;
use phase_3_websocket::{Frame, FrameCodec, Limits, MessageAssembler, ProtocolError};
use tokio_util::codec::{Decoder, Encoder};

/// Small limits, so inputs reach the size checks without megabytes of payload.
const LIMITS: Limits = Limits {
    max_frame_payload: 4096,
    max_message_size: 8192,
};

/// Decodes `data` (after its first byte, which picks a chunk boundary) as frames a server
/// would receive, and checks:
///
/// * the decoder never reports consuming more bytes than it was given;
/// * fed in two chunks split anywhere, it produces the same frames and the same error;
/// * the same bytes, decoded as a client would (unmasked frames allowed), re-encode to
///   exactly the bytes they were decoded from — the header is minimal and nothing is lost;
/// * messages assembled from the frames respect the message size limit, and text is UTF-8.
pub fn websocket_frames(data: &[u8]) {
    let (at, bytes) = crate::split_point(data);
    let whole = decode_all(FrameCodec::server(LIMITS), &[bytes]);
    let split = decode_all(FrameCodec::server(LIMITS), &[&bytes[..at], &bytes[at..]]);
    assert_eq!(whole, split, "a chunk boundary changed what was decoded");
    let (frames, _) = &whole;
    let mut assembler = MessageAssembler::new(LIMITS);
    for frame in frames {
        match assembler.push(frame.clone()) {
            Ok(Some(phase_3_websocket::Message::Text(text))) => {
                assert!(text.len() <= LIMITS.max_message_size);
            }
            Ok(Some(phase_3_websocket::Message::Binary(bin))) => {
                assert!(bin.len() <= LIMITS.max_message_size);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    reencode_unmasked(bytes);
}

type Decoded = (Vec<Frame>, Option<String>);

/// Every frame in `chunks`, fed one chunk at a time, and the error that stopped decoding.
fn decode_all(mut codec: FrameCodec, chunks: &[&[u8]]) -> Decoded {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(buf.len() < before, "a frame was decoded from nothing");
                    assert!(frame.payload.len() <= LIMITS.max_frame_payload);
                    frames.push(frame);
                }
                Ok(None) => {
                    assert!(buf.len() <= before, "decoding grew the input");
                    break;
                }
                Err(e) => return (frames, Some(describe(&e))),
            }
        }
    }
    (frames, None)
}

fn describe(e: &ProtocolError) -> String {
    format!("{e:?}")
}

// ANCHOR: reencode
/// Decodes as a client (unmasked frames are what a server sends) and re-encodes each frame
/// with the server's encoder: the bytes must be the very bytes consumed.
fn reencode_unmasked(bytes: &[u8]) {
    let mut decoder = FrameCodec::client(LIMITS);
    let mut encoder = FrameCodec::server(LIMITS);
    let mut buf = BytesMut::from(bytes);
    loop {
        let before = buf.len();
        let Ok(Some(frame)) = decoder.decode(&mut buf) else {
            return;
        };
        let consumed = before - buf.len();
        let start = bytes.len() - before;
        let original = &bytes[start..start + consumed];
        let mut encoded = BytesMut::new();
        encoder
            .encode(frame.clone(), &mut encoded)
            .unwrap_or_else(|e| panic!("a decoded frame cannot be re-encoded: {e}; {frame:?}"));
        assert_eq!(&encoded[..], original, "re-encoding changed the frame");
    }
}
// ANCHOR_END: reencode
