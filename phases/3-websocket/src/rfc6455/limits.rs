//! The codec's limits, in one place.
//!
//! RFC 6455 lets a frame announce a payload of up to 2^63 - 1 bytes and a message span any
//! number of frames. A server that believed those numbers would let any client make it
//! allocate without bound, so §10.4 says: "implementations SHOULD impose implementation-specific
//! limits on frame sizes and the total message size after reassembly from multiple frames".
//!
//! Two limits, checked at two different moments:
//!
//! * [`Limits::max_frame_payload`] is checked by the decoder **from the header alone**, before a
//!   single payload byte is buffered. The decoder only ever reserves buffer space for a payload
//!   that passed this check, so a header claiming 8 EiB costs nothing but an error.
//! * [`Limits::max_message_size`] is checked by the [`crate::MessageAssembler`] as fragments
//!   arrive: as soon as the running total exceeds it, the message is rejected (close code 1009),
//!   without waiting for the final fragment.
//!
//! Worst-case memory for one connection is therefore about one frame in the read buffer plus
//! one message being assembled: `max_frame_payload + max_message_size`.
//!
//! What production servers use, for comparison: tungstenite defaults to 16 MiB frames and
//! 64 MiB messages; Node's `ws` to a 100 MiB `maxPayload`; gorilla/websocket has no limit until
//! the application calls `SetReadLimit`. Those are sized for "any application"; Liveboard knows
//! its traffic and can be much tighter.

/// Size limits for received frames and messages. All values are in **bytes**.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload accepted in one frame. **Default: 1 MiB (1,048,576 bytes).**
    ///
    /// Why 1 MiB: Liveboard's biggest client message is a note edit, a few KiB of JSON; 1 MiB
    /// leaves hundreds of times that for pasted text while bounding what one frame can make
    /// the server buffer. Browsers never fragment what `WebSocket.send()` sends, so for a
    /// browser this is effectively the message limit too.
    /// Trade-off: larger lets bigger single-frame messages through and lets each (possibly
    /// hostile) connection pin more memory; smaller closes legitimate large pastes with 1009.
    /// Production would size it from its largest real message, and meter memory globally too.
    pub max_frame_payload: usize,

    /// Largest message accepted after reassembling its fragments. **Default: 4 MiB
    /// (4,194,304 bytes).**
    ///
    /// Why 4 MiB: non-browser clients (tools, tests, other servers) may fragment; four
    /// maximum-size frames is room for a board import without letting a client stream an
    /// unbounded message. The assembler stops at the first fragment that takes the total
    /// past it. Trade-off: as for frames, memory per connection against the largest message a
    /// client may send. Must be at least `max_frame_payload` to be meaningful.
    pub max_message_size: usize,
}

impl Limits {
    /// One mebibyte, the unit the defaults are expressed in.
    pub const MIB: usize = 1024 * 1024;

    /// Limits large enough for the Autobahn|Testsuite, whose performance cases (9.x) send
    /// messages of up to 16 MiB, some as a single frame. For the `/ws/echo` conformance
    /// endpoint only: each connection may then hold 32 MiB.
    pub fn for_conformance_testing() -> Limits {
        Limits {
            max_frame_payload: 16 * Limits::MIB,
            max_message_size: 16 * Limits::MIB,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame_payload: Limits::MIB,
            max_message_size: 4 * Limits::MIB,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_one_mebibyte_per_frame_and_four_per_message() {
        let limits = Limits::default();
        assert_eq!(limits.max_frame_payload, 1_048_576);
        assert_eq!(limits.max_message_size, 4_194_304);
        assert!(limits.max_message_size >= limits.max_frame_payload);
    }
}
