//! A WebSocket frame: the unit the wire carries (RFC 6455 §5.2).
//!
//! ```text
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-------+-+-------------+-------------------------------+
//!  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//!  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//!  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//!  | |1|2|3|       |K|             |                               |
//!  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//!  |     Extended payload length continued, if payload len == 127  |
//!  + - - - - - - - - - - - - - - - +-------------------------------+
//!  |                               |Masking-key, if MASK set to 1  |
//!  +-------------------------------+-------------------------------+
//!  | Masking-key (continued)       |          Payload Data         |
//!  +-------------------------------- - - - - - - - - - - - - - - - +
//! ```
//!
//! A [`Frame`] holds what is left once the wire details are dealt with: FIN, the three RSV
//! bits, the opcode and the *unmasked* payload. The MASK bit, the masking key and the length
//! encoding belong to the codec ([`crate::rfc6455::codec`]), which adds or checks them according to the
//! connection's role: a client masks every frame it sends, a server never does (§5.1).
//!
//! The payload is a [`bytes::Bytes`]: cheap to clone and to slice, so a decoded payload can be
//! handed to the application without copying it out of the read buffer.

use bytes::Bytes;

use crate::rfc6455::close::close_payload;
use crate::rfc6455::opcode::OpCode;

/// One WebSocket frame, payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// FIN: this is the final fragment of a message (always true for control frames, §5.5).
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as three bits, RSV1 the most significant (`0b100`). Always 0 here:
    /// they belong to extensions and this codec negotiates none (§5.2).
    pub rsv: u8,
    /// How to interpret the payload.
    pub opcode: OpCode,
    /// The application data, already unmasked.
    pub payload: Bytes,
}

impl Frame {
    /// A frame with the RSV bits clear.
    pub fn new(fin: bool, opcode: OpCode, payload: impl Into<Bytes>) -> Frame {
        Frame {
            fin,
            rsv: 0,
            opcode,
            payload: payload.into(),
        }
    }

    /// A single-frame text message. Taking a `String` guarantees the UTF-8 that §5.6 demands;
    /// `Bytes::from(String)` reuses the string's allocation.
    pub fn text(text: impl Into<String>) -> Frame {
        Frame::new(true, OpCode::Text, text.into())
    }

    /// A single-frame binary message.
    pub fn binary(data: impl Into<Bytes>) -> Frame {
        Frame::new(true, OpCode::Binary, data)
    }

    /// A ping (§5.5.2). The payload must be at most 125 bytes; the encoder checks.
    pub fn ping(data: impl Into<Bytes>) -> Frame {
        Frame::new(true, OpCode::Ping, data)
    }

    /// A pong (§5.5.3), normally echoing the payload of the ping it answers.
    pub fn pong(data: impl Into<Bytes>) -> Frame {
        Frame::new(true, OpCode::Pong, data)
    }

    /// A Close frame with a status code and a reason (§5.5.1). The reason is cut at a
    /// character boundary so the payload fits in 125 bytes. Use codes for which
    /// [`crate::CloseCode::is_sendable`] holds, or application codes 3000-4999.
    pub fn close(code: impl Into<u16>, reason: &str) -> Frame {
        Frame::new(true, OpCode::Close, close_payload(code.into(), reason))
    }

    /// A Close frame with an empty payload, meaning "no status code" (§5.5.1).
    pub fn close_empty() -> Frame {
        Frame::new(true, OpCode::Close, Bytes::new())
    }

    /// Whether this is a close, ping or pong.
    pub fn is_control(&self) -> bool {
        self.opcode.is_control()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CloseCode;

    #[test]
    fn the_helpers_build_final_frames_with_clear_reserved_bits() {
        for frame in [
            Frame::text("hi"),
            Frame::binary(&b"\x00\x01"[..]),
            Frame::ping(&b"p"[..]),
            Frame::pong(&b"p"[..]),
            Frame::close(CloseCode::GoingAway, "restart"),
            Frame::close_empty(),
        ] {
            assert!(frame.fin);
            assert_eq!(frame.rsv, 0);
        }
    }

    #[test]
    fn a_close_frame_carries_the_code_big_endian_then_the_reason() {
        let frame = Frame::close(CloseCode::Normal, "done");
        assert_eq!(frame.opcode, OpCode::Close);
        assert_eq!(&frame.payload[..], b"\x03\xe8done");
    }
}
