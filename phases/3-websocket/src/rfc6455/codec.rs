//! The frame codec: bytes on the wire ⇄ [`Frame`]s, as a `tokio_util::codec` pair.
//!
//! `tokio_util::codec` splits network code in two: a transport that moves bytes, and a codec
//! that turns a growing `BytesMut` into items ([`Decoder`]) and items into bytes
//! ([`Encoder`]). `FramedRead`/`FramedWrite`/`Framed` glue the two together. The codec never
//! touches a socket, which is why everything here can be tested with plain byte arrays.
//!
//! # Decoding (RFC 6455 §5.2), incrementally
//!
//! The decoder is called whenever new bytes arrive, with *everything received so far*; it
//! returns `Ok(None)` to say "not enough yet". Like tokio-util's `LengthDelimitedCodec` it is
//! a two-state machine:
//!
//! * **`Head`**: read and check the 2-14 byte header. Every check is made as soon as the bytes
//!   it needs are there: RSV, opcode, MASK and FIN from the first two bytes; the length (minimal
//!   encoding, top bit clear, control frames ≤ 125, the [`Limits`]) as soon as the extended length
//!   field is complete, *before the masking key and long before the payload*. A header that
//!   passes is consumed and remembered.
//! * **`Payload`**: wait until the whole payload is buffered, reserving room for exactly the
//!   announced length (which has passed the limit check, so a hostile header cannot make us
//!   allocate), then split it off the buffer without copying, unmask it in place, and yield
//!   the frame.
//!
//! Because the decision depends only on the bytes, not on how they were chunked, any split of
//! the input yields the same frames (a property test checks it), and because every index is
//! guarded by a length check, no input can make the decoder panic (another property test).
//!
//! # Roles (§5.1)
//!
//! "A client MUST mask all frames that it sends to the server", "a server MUST NOT mask any
//! frames that it sends to a client", and each side MUST fail the connection when the other
//! breaks its rule. [`Role::Server`] therefore demands masked input and writes unmasked output;
//! [`Role::Client`] (for tests and tools) does the opposite, taking masking keys from a
//! [`MaskKeySource`] so that tests can inject fixed keys.
//!
//! # Encoding once for many subscribers
//!
//! A server frame is the same bytes for every recipient (no mask), so a broadcast can be
//! encoded once with [`encode_server_frame`] into an [`EncodedFrame`] (a `Bytes`), and the same
//! allocation shared by every subscriber's queue; `FrameCodec` implements
//! `Encoder<EncodedFrame>` to write it.
//!
//! What this codec leaves out: extensions (permessage-deflate, RFC 7692, would give RSV1 a
//! meaning), and streaming a single frame's payload to the application before it is complete.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::rfc6455::error::ProtocolError;
use crate::rfc6455::frame::Frame;
use crate::rfc6455::limits::Limits;
use crate::rfc6455::mask::apply_mask;
use crate::rfc6455::opcode::{OpCode, MAX_CONTROL_PAYLOAD};

/// The largest possible frame header: 2 bytes, 8 bytes of extended length, 4 of masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// Which end of the connection this codec is (RFC 6455 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Receives masked frames, sends unmasked ones.
    Server,
    /// Receives unmasked frames, sends masked ones.
    Client,
}

/// Where a client gets the 4-byte masking key for each frame it sends.
///
/// RFC 6455 §5.3: "The masking key is a 32-bit value chosen at random by the client ... the
/// masking key MUST be derived from a strong source of entropy". Any `FnMut() -> [u8; 4]`
/// closure is a source, so a test can write `|| [1, 2, 3, 4]`.
pub trait MaskKeySource: Send {
    /// The key for the next frame.
    fn next_key(&mut self) -> [u8; 4];
}

impl<F: FnMut() -> [u8; 4] + Send> MaskKeySource for F {
    fn next_key(&mut self) -> [u8; 4] {
        self()
    }
}

/// Masking keys from a xorshift64* generator seeded by std's per-process random hash keys.
///
/// Unpredictable enough for the tests and tools that use the client role, but *not* the
/// cryptographically strong source §10.3 asks of a real client (a browser uses its CSPRNG;
/// a Rust client would use the `getrandom` crate). The server, the role Liveboard ships,
/// never masks.
#[derive(Debug, Clone)]
pub struct RandomMaskKeys {
    state: u64,
}

impl RandomMaskKeys {
    /// A generator with a fresh random seed.
    pub fn new() -> RandomMaskKeys {
        // `RandomState` is seeded from the OS once per thread, then varied per instance.
        let seed = RandomState::new().hash_one(0x5EED_u64);
        RandomMaskKeys { state: seed | 1 } // xorshift must not start at 0
    }
}

impl Default for RandomMaskKeys {
    fn default() -> RandomMaskKeys {
        RandomMaskKeys::new()
    }
}

impl MaskKeySource for RandomMaskKeys {
    fn next_key(&mut self) -> [u8; 4] {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        let out = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // The high bits of xorshift64* are the good ones.
        ((out >> 32) as u32).to_be_bytes()
    }
}

/// A frame header that has passed every check, waiting for its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FrameHeader {
    fin: bool,
    rsv: u8,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    /// Already checked against `Limits::max_frame_payload`, so it fits in `usize`.
    payload_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecodeState {
    Head,
    Payload(FrameHeader),
}

/// The RFC 6455 frame codec: `Decoder<Item = Frame>` and `Encoder<Frame>`.
pub struct FrameCodec {
    role: Role,
    limits: Limits,
    state: DecodeState,
    /// `Some` in the client role only.
    mask_keys: Option<Box<dyn MaskKeySource>>,
}

impl fmt::Debug for FrameCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameCodec")
            .field("role", &self.role)
            .field("limits", &self.limits)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl FrameCodec {
    /// The server side: incoming frames must be masked, outgoing frames are not.
    pub fn server(limits: Limits) -> FrameCodec {
        FrameCodec {
            role: Role::Server,
            limits,
            state: DecodeState::Head,
            mask_keys: None,
        }
    }

    /// The client side, masking with [`RandomMaskKeys`].
    pub fn client(limits: Limits) -> FrameCodec {
        FrameCodec::client_with_mask_keys(limits, RandomMaskKeys::new())
    }

    /// The client side, masking with keys from `keys` (inject fixed keys in tests).
    pub fn client_with_mask_keys(limits: Limits, keys: impl MaskKeySource + 'static) -> FrameCodec {
        FrameCodec {
            role: Role::Client,
            limits,
            state: DecodeState::Head,
            mask_keys: Some(Box::new(keys)),
        }
    }

    /// This codec's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// This codec's limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether a header has been read and its payload is still awaited.
    pub fn is_mid_frame(&self) -> bool {
        matches!(self.state, DecodeState::Payload(_))
    }

    // ANCHOR: decode_header
    /// Reads and checks a header from the front of `src`; consumes it only when complete.
    fn decode_header(&self, src: &mut BytesMut) -> Result<Option<FrameHeader>, ProtocolError> {
        // EXERCISE(ch3-frame-header): decode and check a frame header
        let [b0, b1, ..] = src[..] else {
            return Ok(None);
        };
        let fin = b0 & 0x80 != 0;
        let rsv = (b0 >> 4) & 0x07;
        // RFC 6455 §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that defines
        // meanings for non-zero values. If a nonzero value is received and none of the
        // negotiated extensions defines the meaning of such a nonzero value, the receiving
        // endpoint MUST _Fail the WebSocket Connection_."
        if rsv != 0 {
            return Err(ProtocolError::ReservedBitsSet { rsv });
        }
        // RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST
        // _Fail the WebSocket Connection_."
        let nibble = b0 & 0x0F;
        let opcode =
            OpCode::from_u8(nibble).ok_or(ProtocolError::ReservedOpcode { opcode: nibble })?;
        // RFC 6455 §5.5: "All control frames ... MUST NOT be fragmented."
        if opcode.is_control() && !fin {
            return Err(ProtocolError::FragmentedControlFrame {
                opcode: opcode.as_u8(),
            });
        }
        let masked = b1 & 0x80 != 0;
        match (self.role, masked) {
            // RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that
            // is not masked."
            (Role::Server, false) => return Err(ProtocolError::UnmaskedClientFrame),
            // RFC 6455 §5.1: "A client MUST close a connection if it detects a masked frame."
            (Role::Client, true) => return Err(ProtocolError::MaskedServerFrame),
            _ => {}
        }

        // RFC 6455 §5.2, "Payload length: 7 bits, 7+16 bits, or 7+64 bits": 0-125 is the
        // length; 126 means a 16-bit length follows, 127 a 64-bit one.
        let len7 = b1 & 0x7F;
        let ext_len = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        if src.len() < 2 + ext_len {
            return Ok(None);
        }
        let payload_len: u64 = match len7 {
            126 => {
                let len = u64::from(u16::from_be_bytes([src[2], src[3]]));
                // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the
                // length, for example, the length of a 124-byte-long string can't be encoded
                // as the sequence 126, 0, 124."
                if len < 126 {
                    return Err(ProtocolError::NonMinimalLength { len, width: 16 });
                }
                len
            }
            127 => {
                let mut be = [0u8; 8];
                be.copy_from_slice(&src[2..10]);
                let len = u64::from_be_bytes(be);
                // RFC 6455 §5.2: "the most significant bit MUST be 0".
                if len >> 63 != 0 {
                    return Err(ProtocolError::LengthMsbSet);
                }
                if len <= u64::from(u16::MAX) {
                    return Err(ProtocolError::NonMinimalLength { len, width: 64 });
                }
                len
            }
            len => u64::from(len),
        };
        // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
        if opcode.is_control() && payload_len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(ProtocolError::ControlFrameTooLong { len: payload_len });
        }
        // RFC 6455 §10.4: "implementations SHOULD impose implementation-specific limits on
        // frame sizes". Checked on the header alone: nothing of the payload is buffered yet.
        let payload_len = match usize::try_from(payload_len) {
            Ok(len) if len <= self.limits.max_frame_payload => len,
            _ => {
                tracing::debug!(
                    payload_len,
                    limit = self.limits.max_frame_payload,
                    "frame too big"
                );
                return Err(ProtocolError::FrameTooBig {
                    len: payload_len,
                    limit: self.limits.max_frame_payload,
                });
            }
        };

        let key_at = 2 + ext_len;
        let header_len = key_at + if masked { 4 } else { 0 };
        if src.len() < header_len {
            return Ok(None);
        }
        let mask = masked.then(|| {
            [
                src[key_at],
                src[key_at + 1],
                src[key_at + 2],
                src[key_at + 3],
            ]
        });
        src.advance(header_len);
        Ok(Some(FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        }))
        // EXERCISE_END(ch3-frame-header)
    }
    // ANCHOR_END: decode_header

    fn next_mask(&mut self) -> Option<[u8; 4]> {
        self.mask_keys.as_mut().map(|keys| keys.next_key())
    }
}

// ANCHOR: decoder
impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = ProtocolError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        let header = match self.state {
            DecodeState::Payload(header) => header,
            DecodeState::Head => match self.decode_header(src)? {
                Some(header) => {
                    self.state = DecodeState::Payload(header);
                    header
                }
                None => return Ok(None),
            },
        };

        let len = header.payload_len;
        if src.len() < len {
            // Room for exactly the rest of this payload; `len` passed the limit check, so
            // this reservation is bounded by `Limits::max_frame_payload`.
            src.reserve(len - src.len());
            return Ok(None);
        }
        // `split_to` hands over the first `len` bytes without copying them.
        let mut payload = src.split_to(len);
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key);
        }
        self.state = DecodeState::Head;
        tracing::trace!(opcode = ?header.opcode, fin = header.fin, len, "frame decoded");
        Ok(Some(Frame {
            fin: header.fin,
            rsv: header.rsv,
            opcode: header.opcode,
            payload: payload.freeze(),
        }))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() && !self.is_mid_frame() => Ok(None),
            None => Err(ProtocolError::ConnectionClosedMidFrame {
                buffered: src.len(),
            }),
        }
    }
}
// ANCHOR_END: decoder

/// Checks the rules a frame must follow before it may be sent.
fn check_outgoing(opcode: OpCode, fin: bool, rsv: u8, len: usize) -> Result<(), ProtocolError> {
    if rsv != 0 {
        return Err(ProtocolError::ReservedBitsSet { rsv });
    }
    if opcode.is_control() {
        // RFC 6455 §5.5: control frames "MUST have a payload length of 125 bytes or less and
        // MUST NOT be fragmented".
        if !fin {
            return Err(ProtocolError::FragmentedControlFrame {
                opcode: opcode.as_u8(),
            });
        }
        if len > MAX_CONTROL_PAYLOAD {
            return Err(ProtocolError::ControlFrameTooLong { len: len as u64 });
        }
    }
    Ok(())
}

/// How many header bytes a frame with this payload length needs.
pub fn header_len(payload_len: usize, masked: bool) -> usize {
    let ext = match payload_len {
        0..=125 => 0,
        126..=0xFFFF => 2,
        _ => 8,
    };
    2 + ext + if masked { 4 } else { 0 }
}

// ANCHOR: put_header
/// Writes a header using the minimal length encoding (RFC 6455 §5.2).
fn put_header(
    dst: &mut BytesMut,
    fin: bool,
    rsv: u8,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    len: usize,
) {
    dst.put_u8(u8::from(fin) << 7 | (rsv & 0x07) << 4 | opcode.as_u8());
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    match len {
        0..=125 => dst.put_u8(mask_bit | len as u8),
        126..=0xFFFF => {
            dst.put_u8(mask_bit | 126);
            dst.put_u16(len as u16);
        }
        _ => {
            dst.put_u8(mask_bit | 127);
            dst.put_u64(len as u64);
        }
    }
    if let Some(key) = mask {
        dst.put_slice(&key);
    }
}
// ANCHOR_END: put_header

impl Encoder<Frame> for FrameCodec {
    type Error = ProtocolError;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        let len = frame.payload.len();
        check_outgoing(frame.opcode, frame.fin, frame.rsv, len)?;
        // RFC 6455 §5.1: clients mask every frame, servers none.
        let mask = self.next_mask();
        dst.reserve(header_len(len, mask.is_some()) + len);
        put_header(dst, frame.fin, frame.rsv, frame.opcode, mask, len);
        let start = dst.len();
        dst.put_slice(&frame.payload);
        if let Some(key) = mask {
            apply_mask(&mut dst[start..], key);
        }
        Ok(())
    }
}

/// A complete, unmasked server frame, encoded once and shareable: cloning it clones a
/// reference-counted `Bytes`, not the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame(Bytes);

impl EncodedFrame {
    /// The wire bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// The wire bytes, owned.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

// ANCHOR: encode_server_frame
/// Encodes a final (FIN = 1) server frame once, for sending the same bytes to many clients.
pub fn encode_server_frame(opcode: OpCode, payload: &[u8]) -> Result<EncodedFrame, ProtocolError> {
    check_outgoing(opcode, true, 0, payload.len())?;
    let mut buf = BytesMut::with_capacity(header_len(payload.len(), false) + payload.len());
    put_header(&mut buf, true, 0, opcode, None, payload.len());
    buf.put_slice(payload);
    Ok(EncodedFrame(buf.freeze()))
}
// ANCHOR_END: encode_server_frame

/// The header alone of a final (FIN = 1) server frame carrying `payload_len` bytes, for a
/// payload written separately — in pieces, with a vectored write — so that a payload
/// shared with other connections (a broadcast's JSON) is sent without being copied.
pub fn server_frame_header(opcode: OpCode, payload_len: usize) -> Result<Bytes, ProtocolError> {
    check_outgoing(opcode, true, 0, payload_len)?;
    let mut buf = BytesMut::with_capacity(header_len(payload_len, false));
    put_header(&mut buf, true, 0, opcode, None, payload_len);
    Ok(buf.freeze())
}

impl Encoder<EncodedFrame> for FrameCodec {
    type Error = ProtocolError;

    fn encode(&mut self, frame: EncodedFrame, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        // RFC 6455 §5.1: a client MUST mask every frame with a fresh key, so shared,
        // unmasked bytes are for servers only.
        if self.role == Role::Client {
            return Err(ProtocolError::PreEncodedFrameInClientRole);
        }
        dst.extend_from_slice(&frame.0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut FrameCodec, bytes: &[u8]) -> Vec<Frame> {
        let mut buf = BytesMut::from(bytes);
        let mut frames = Vec::new();
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
        assert!(buf.is_empty());
        frames
    }

    #[test]
    fn the_header_length_grows_at_126_and_65536_bytes() {
        assert_eq!(header_len(0, false), 2);
        assert_eq!(header_len(125, false), 2);
        assert_eq!(header_len(126, false), 4);
        assert_eq!(header_len(65535, false), 4);
        assert_eq!(header_len(65536, false), 10);
        assert_eq!(header_len(65536, true), MAX_HEADER_LEN);
    }

    #[test]
    fn a_client_frame_decodes_on_the_server_with_its_payload_unmasked() {
        let mut client = FrameCodec::client_with_mask_keys(Limits::default(), || [9, 8, 7, 6]);
        let mut wire = BytesMut::new();
        client
            .encode(Frame::text("hello, board"), &mut wire)
            .unwrap();
        assert_eq!(wire[1] & 0x80, 0x80, "client frames carry the MASK bit");
        let frames = decode_all(&mut FrameCodec::server(Limits::default()), &wire);
        assert_eq!(frames, [Frame::text("hello, board")]);
    }

    #[test]
    fn a_server_frame_is_never_masked_and_decodes_on_the_client() {
        let mut server = FrameCodec::server(Limits::default());
        let mut wire = BytesMut::new();
        server
            .encode(Frame::binary(vec![1u8; 300]), &mut wire)
            .unwrap();
        assert_eq!(&wire[..4], [0x82, 126, 0x01, 0x2c]);
        let frames = decode_all(&mut FrameCodec::client(Limits::default()), &wire);
        assert_eq!(frames, [Frame::binary(vec![1u8; 300])]);
    }

    #[test]
    fn a_broadcast_encoded_once_is_byte_identical_to_a_normal_server_encoding() {
        let once = encode_server_frame(OpCode::Text, b"{\"seq\":1}").unwrap();
        let mut wire = BytesMut::new();
        FrameCodec::server(Limits::default())
            .encode(Frame::text("{\"seq\":1}"), &mut wire)
            .unwrap();
        assert_eq!(once.as_bytes(), &wire[..]);
        // Every subscriber gets a clone of the same allocation.
        let copy = once.clone();
        assert_eq!(copy.as_bytes().as_ptr(), once.as_bytes().as_ptr());
        let mut out = BytesMut::new();
        FrameCodec::server(Limits::default())
            .encode(copy, &mut out)
            .unwrap();
        assert_eq!(&out[..], &wire[..]);
    }

    #[test]
    fn a_header_for_a_separate_payload_is_the_start_of_the_whole_frame() {
        let payload = vec![b'x'; 300];
        let whole = encode_server_frame(OpCode::Text, &payload).unwrap();
        let header = server_frame_header(OpCode::Text, payload.len()).unwrap();
        assert_eq!(&whole.as_bytes()[..header.len()], &header[..]);
        assert_eq!(header.len() + payload.len(), whole.as_bytes().len());
        assert!(server_frame_header(OpCode::Ping, 126).is_err());
    }

    #[test]
    fn a_client_refuses_to_send_pre_encoded_unmasked_bytes() {
        let once = encode_server_frame(OpCode::Text, b"x").unwrap();
        let err = FrameCodec::client(Limits::default())
            .encode(once, &mut BytesMut::new())
            .unwrap_err();
        assert!(matches!(err, ProtocolError::PreEncodedFrameInClientRole));
    }

    #[test]
    fn the_encoder_refuses_invalid_control_frames() {
        let mut server = FrameCodec::server(Limits::default());
        let mut dst = BytesMut::new();
        let err = server
            .encode(Frame::ping(vec![0u8; 126]), &mut dst)
            .unwrap_err();
        assert!(matches!(
            err,
            ProtocolError::ControlFrameTooLong { len: 126 }
        ));
        let err = server
            .encode(Frame::new(false, OpCode::Pong, Bytes::new()), &mut dst)
            .unwrap_err();
        assert!(matches!(err, ProtocolError::FragmentedControlFrame { .. }));
        assert!(encode_server_frame(OpCode::Close, &[0u8; 126]).is_err());
        assert!(dst.is_empty());
    }

    #[test]
    fn random_mask_keys_differ_from_frame_to_frame() {
        let mut keys = RandomMaskKeys::new();
        let drawn: std::collections::HashSet<[u8; 4]> = (0..100).map(|_| keys.next_key()).collect();
        assert!(drawn.len() > 95);
    }

    #[test]
    fn eof_between_frames_is_clean_and_eof_inside_a_frame_is_an_error() {
        let mut server = FrameCodec::server(Limits::default());
        assert!(server.decode_eof(&mut BytesMut::new()).unwrap().is_none());
        // A complete header announcing 5 bytes, then the connection ends.
        let mut buf = BytesMut::from(&[0x81, 0x85, 1, 2, 3, 4][..]);
        assert!(server.decode(&mut buf).unwrap().is_none());
        assert!(buf.is_empty());
        let err = server.decode_eof(&mut buf).unwrap_err();
        assert!(matches!(
            err,
            ProtocolError::ConnectionClosedMidFrame { .. }
        ));
        assert!(
            err.close_frame().is_none(),
            "nothing can be sent on a dead connection"
        );
    }
}
