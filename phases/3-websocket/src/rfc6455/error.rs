//! Everything that can go wrong while reading WebSocket frames and messages.
//!
//! RFC 6455 has one answer to almost every protocol violation: *"_Fail the WebSocket
//! Connection_"* (§7.1.7): send a Close frame with a status code that says what went wrong,
//! then drop the TCP connection. So each variant here does two jobs:
//!
//! 1. its `Display` message tells a *person* (a student debugging a client, an operator
//!    reading logs) what the peer did and which clause of the RFC forbids it;
//! 2. [`ProtocolError::close_code`] tells the *connection* which status code to put in the
//!    Close frame (§7.4.1): 1002 for a broken frame, 1007 for bad UTF-8, 1009 for something too
//!    big, and so on.
//!
//! The messages are deliberately long. The close *reason* sent on the wire is the short,
//! human reason from the close-code table (see [`crate::rfc6455::close`]), because a Close frame's
//! payload is limited to 125 bytes (§5.5).

use crate::rfc6455::close::CloseCode;
use crate::rfc6455::frame::Frame;

/// A violation of RFC 6455 by the peer (or an I/O failure underneath the codec).
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    // ----- framing (§5.2, §5.1) --------------------------------------------------------------
    /// A client sent a frame without a masking key.
    #[error(
        "frame is not masked: RFC 6455 §5.1 requires every client-to-server frame to be masked \
         (the MASK bit, the top bit of the second byte, must be 1)"
    )]
    UnmaskedClientFrame,

    /// A server sent a masked frame (seen only in the client role).
    #[error(
        "frame is masked: RFC 6455 §5.1 forbids a server from masking the frames it sends, \
         and a client must close the connection when it sees one"
    )]
    MaskedServerFrame,

    /// One of RSV1, RSV2, RSV3 was set although no extension was negotiated.
    #[error(
        "reserved bits set (RSV1-3 = {rsv:#05b}): RFC 6455 §5.2 requires them to be 0 unless an \
         extension that defines them was negotiated, and this server negotiates none \
         (for example, RSV1 means permessage-deflate, RFC 7692)"
    )]
    ReservedBitsSet {
        /// The three RSV bits, RSV1 as the most significant (`0b100`).
        rsv: u8,
    },

    /// The opcode is one of the reserved values 0x3-0x7 or 0xB-0xF.
    #[error(
        "reserved opcode {opcode:#x}: RFC 6455 §5.2 defines only 0x0 (continuation), 0x1 (text), \
         0x2 (binary), 0x8 (close), 0x9 (ping) and 0xA (pong); an endpoint receiving an unknown \
         opcode MUST fail the connection"
    )]
    ReservedOpcode {
        /// The 4-bit opcode as received.
        opcode: u8,
    },

    /// A control frame (close, ping, pong) had FIN = 0.
    #[error(
        "fragmented control frame ({opcode:#x} with FIN = 0): RFC 6455 §5.5 says all control \
         frames MUST NOT be fragmented"
    )]
    FragmentedControlFrame {
        /// The control frame's opcode.
        opcode: u8,
    },

    /// A control frame's payload was longer than 125 bytes.
    #[error(
        "control frame payload too long ({len} bytes): RFC 6455 §5.5 says all control frames \
         MUST have a payload length of 125 bytes or less"
    )]
    ControlFrameTooLong {
        /// The payload length (for a received frame, as far as the header announced it).
        len: u64,
    },

    /// The payload length used a longer encoding than needed.
    #[error(
        "non-minimal payload length: {len} was sent in the {width}-bit form, but RFC 6455 §5.2 \
         says the minimal number of bytes MUST be used (0-125 in 7 bits, up to 65535 in 16 bits, \
         64 bits only above that)"
    )]
    NonMinimalLength {
        /// The payload length that was announced.
        len: u64,
        /// The width of the extended length field that was used: 16 or 64.
        width: u8,
    },

    /// The 64-bit payload length had its most significant bit set.
    #[error(
        "64-bit payload length has its most significant bit set: RFC 6455 §5.2 says it MUST be 0"
    )]
    LengthMsbSet,

    /// The header announced a payload bigger than `Limits::max_frame_payload`.
    #[error(
        "frame too big: the header announces a {len}-byte payload but this server accepts at most \
         {limit} bytes per frame (Limits::max_frame_payload); rejected before reading the payload \
         (RFC 6455 §10.4: implementations SHOULD impose a limit on frame sizes)"
    )]
    FrameTooBig {
        /// The announced payload length.
        len: u64,
        /// The configured limit.
        limit: usize,
    },

    /// The connection ended in the middle of a frame.
    #[error(
        "connection closed in the middle of a frame ({buffered} bytes of an unfinished frame were \
         buffered): the peer went away without a closing handshake (RFC 6455 §7.1.5 calls this \
         code 1006, abnormal closure)"
    )]
    ConnectionClosedMidFrame {
        /// How many bytes of the unfinished frame had arrived.
        buffered: usize,
    },

    // ----- messages (§5.4) -------------------------------------------------------------------
    /// A continuation frame arrived while no fragmented message was in progress.
    #[error(
        "continuation frame without a message to continue: RFC 6455 §5.4 says a fragmented \
         message starts with a text or binary frame with FIN = 0"
    )]
    ContinuationWithoutStart,

    /// A text or binary frame arrived while a fragmented message was still in progress.
    #[error(
        "new {opcode:#x} data frame while a fragmented message is still in progress: RFC 6455 \
         §5.4 says the fragments of one message MUST NOT be interleaved with another message \
         (only control frames may appear between fragments)"
    )]
    DataFrameMidMessage {
        /// The opcode of the offending frame.
        opcode: u8,
    },

    /// The message grew past `Limits::max_message_size`.
    #[error(
        "message too big: it has reached at least {size} bytes but this server accepts at most \
         {limit} bytes per message (Limits::max_message_size); RFC 6455 §7.4.1 code 1009"
    )]
    MessageTooBig {
        /// The size reached when the limit was crossed.
        size: usize,
        /// The configured limit.
        limit: usize,
    },

    /// A text message (or a close reason) is not valid UTF-8.
    #[error(
        "invalid UTF-8 {context}: the bytes at offset {offset} are not a valid UTF-8 sequence \
         (RFC 6455 §8.1: an endpoint that finds invalid UTF-8 MUST fail the connection, code 1007)"
    )]
    InvalidUtf8 {
        /// What was being validated ("in a text message", "in a close reason").
        context: &'static str,
        /// Offset of the first invalid byte from the start of the message.
        offset: usize,
    },

    /// A text message ended in the middle of a multi-byte UTF-8 sequence.
    #[error(
        "text message ends in the middle of a UTF-8 code point: the final fragment leaves an \
         incomplete multi-byte sequence (RFC 6455 §5.6 and §8.1, code 1007)"
    )]
    IncompleteUtf8,

    // ----- the close frame (§5.5.1, §7.4) ---------------------------------------------------
    /// A Close frame had a 1-byte payload.
    #[error(
        "close frame with a 1-byte payload: RFC 6455 §5.5.1 says a close body, if present, MUST \
         start with a 2-byte status code"
    )]
    CloseFrameOneByte,

    /// A Close frame carried a status code that must not be sent on the wire.
    #[error(
        "invalid close code {code}: RFC 6455 §7.4 allows 1000-1003, 1007-1011, IANA-registered \
         1012-1014 and 3000-4999; 1004 is reserved and 1005, 1006, 1015 MUST NOT be sent in a \
         Close frame"
    )]
    InvalidCloseCode {
        /// The code as received.
        code: u16,
    },

    // ----- our own mistakes ------------------------------------------------------------------
    /// The application tried to send a pre-encoded (unmasked) server frame from a client.
    #[error(
        "a pre-encoded frame was sent through a client-role codec: pre-encoded frames are \
         unmasked server frames, but RFC 6455 §5.1 requires a client to mask every frame with a \
         fresh key; send a `Frame` instead"
    )]
    PreEncodedFrameInClientRole,

    // ----- below the protocol ---------------------------------------------------------------
    /// Reading or writing the transport failed.
    #[error("I/O error under the WebSocket codec: {0}")]
    Io(#[from] std::io::Error),
}

impl ProtocolError {
    /// The status code to put in the Close frame that fails the connection (RFC 6455 §7.4.1).
    ///
    /// [`CloseCode::Abnormal`] (1006) means "no Close frame can be sent": the transport is
    /// already gone. Use [`ProtocolError::close_frame`] to get `None` in that case.
    pub fn close_code(&self) -> CloseCode {
        use ProtocolError::*;
        match self {
            UnmaskedClientFrame
            | MaskedServerFrame
            | ReservedBitsSet { .. }
            | ReservedOpcode { .. }
            | FragmentedControlFrame { .. }
            | ControlFrameTooLong { .. }
            | NonMinimalLength { .. }
            | LengthMsbSet
            | ContinuationWithoutStart
            | DataFrameMidMessage { .. }
            | CloseFrameOneByte
            | InvalidCloseCode { .. } => CloseCode::ProtocolError,
            // RFC 6455 §7.4.1: 1009 "indicates that an endpoint is terminating the connection
            // because it has received a message that is too big for it to process".
            FrameTooBig { .. } | MessageTooBig { .. } => CloseCode::MessageTooBig,
            // RFC 6455 §7.4.1: 1007 "data within a message that was not consistent with the
            // type of the message (e.g., non-UTF-8 [RFC3629] data within a text message)".
            InvalidUtf8 { .. } | IncompleteUtf8 => CloseCode::InvalidPayload,
            // Our own bug, not the peer's.
            PreEncodedFrameInClientRole => CloseCode::InternalError,
            ConnectionClosedMidFrame { .. } | Io(_) => CloseCode::Abnormal,
        }
    }

    /// The Close frame to send before dropping the connection, or `None` when the transport
    /// failed and nothing can be sent (RFC 6455 §7.1.7).
    pub fn close_frame(&self) -> Option<Frame> {
        let code = self.close_code();
        code.is_sendable()
            .then(|| Frame::close(code.code(), code.reason()))
    }
}
