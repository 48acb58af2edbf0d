//! The opcode: the 4 low bits of a frame's first byte, saying how to read its payload.
//!
//! RFC 6455 §5.2 defines six opcodes in two families:
//!
//! | value | name         | family  | meaning                                          |
//! |-------|--------------|---------|--------------------------------------------------|
//! | 0x0   | continuation | data    | the next fragment of the message in progress     |
//! | 0x1   | text         | data    | first (or only) frame of a UTF-8 text message     |
//! | 0x2   | binary       | data    | first (or only) frame of a binary message         |
//! | 0x8   | close        | control | start or answer the closing handshake (§5.5.1)   |
//! | 0x9   | ping         | control | "are you there?" (§5.5.2)                         |
//! | 0xA   | pong         | control | "yes", echoing the ping's payload (§5.5.3)        |
//!
//! Control frames are the ones with the high bit of the opcode set (0x8-0xF, §5.5). Values
//! 0x3-0x7 and 0xB-0xF are reserved for future use; "if an unknown opcode is received, the
//! receiving endpoint MUST _Fail the WebSocket Connection_" (§5.2), so [`OpCode::from_u8`]
//! has no variant to give them: it returns `None`, and the decoder turns that into the
//! error that fails the connection.
//!
//! This module sits at the bottom of [`crate::rfc6455`]: it imports nothing from the crate.

/// RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A frame's opcode (RFC 6455 §5.2). Reserved values cannot be represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpCode {
    /// 0x0: a continuation fragment.
    Continuation = 0x0,
    /// 0x1: a text frame (UTF-8 payload).
    Text = 0x1,
    /// 0x2: a binary frame.
    Binary = 0x2,
    /// 0x8: a connection close.
    Close = 0x8,
    /// 0x9: a ping.
    Ping = 0x9,
    /// 0xA: a pong.
    Pong = 0xA,
}

impl OpCode {
    /// Reads the 4-bit opcode; `None` for the reserved values.
    pub fn from_u8(nibble: u8) -> Option<OpCode> {
        match nibble {
            0x0 => Some(OpCode::Continuation),
            0x1 => Some(OpCode::Text),
            0x2 => Some(OpCode::Binary),
            0x8 => Some(OpCode::Close),
            0x9 => Some(OpCode::Ping),
            0xA => Some(OpCode::Pong),
            // RFC 6455 §5.2: "%x3-7 are reserved for further non-control frames",
            // "%xB-F are reserved for further control frames".
            _ => None,
        }
    }

    /// The 4-bit wire value.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Close, ping and pong: "Control frames are identified by opcodes where the most
    /// significant bit of the opcode is 1" (RFC 6455 §5.5).
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }

    /// Continuation, text and binary: the frames that carry a message (RFC 6455 §5.6).
    pub fn is_data(self) -> bool {
        !self.is_control()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_six_defined_opcodes_round_trip_and_the_ten_reserved_ones_are_rejected() {
        let mut defined = 0;
        for nibble in 0u8..16 {
            match OpCode::from_u8(nibble) {
                Some(op) => {
                    defined += 1;
                    assert_eq!(op.as_u8(), nibble);
                    assert_eq!(op.is_control(), nibble >= 8);
                }
                None => assert!(matches!(nibble, 0x3..=0x7 | 0xB..=0xF), "{nibble:#x}"),
            }
        }
        assert_eq!(defined, 6);
    }

    #[test]
    fn close_ping_and_pong_are_control_frames_and_the_rest_are_data() {
        assert!(
            OpCode::Close.is_control() && OpCode::Ping.is_control() && OpCode::Pong.is_control()
        );
        assert!(
            OpCode::Continuation.is_data() && OpCode::Text.is_data() && OpCode::Binary.is_data()
        );
    }
}
