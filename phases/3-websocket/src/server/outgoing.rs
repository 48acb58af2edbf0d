//! What goes out to one client, said without saying how it is framed: [`Outgoing`]
//! messages, and the [`BroadcastFraming`] a transport wants the hub's broadcasts in.
//!
//! Until phase 6 every outbound path carried bytes already framed by our codec: a session's
//! replies, another task's direct sends and the heartbeat were RFC 6455 frames from the
//! moment they were made. That is the right shape for one transport, and the wrong one for
//! two: a library (tokio-tungstenite, phase 6) frames what it sends itself, and would
//! receive our frames as payload. So the seam carries *messages* — a text, a binary, a
//! ping, a pong — and each transport frames them where it writes them. The hand-rolled
//! connection does it in its gather step ([`crate::server::connection`]), into the same
//! buffer and with the same copy as before: the work moved, it did not grow.
//!
//! Broadcasts are the exception, on purpose. A broadcast is encoded once per room and
//! shared by every subscriber, so it cannot wait for each connection to frame it: the hub
//! must know the framing when it encodes. A transport therefore says which one it wants,
//! and the board session asks the hub for that ([`crate::board::ws_format::WsFormat`]).

use bytes::Bytes;

use crate::rfc6455::opcode::OpCode;

// ANCHOR: outgoing
/// One message for one client: a payload and its kind, never a frame.
///
/// Close is not a message: a close request ([`CloseRequest`](crate::server::registry::CloseRequest))
/// ends the conversation, and the transport sends it last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A text message. Its bytes are UTF-8: build it with [`Outgoing::text`].
    Text(Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A Ping (RFC 6455 §5.5.2; at most 125 bytes): the heartbeat's question.
    Ping(Bytes),
    /// A Pong (§5.5.3; at most 125 bytes): the answer to the peer's Ping.
    Pong(Bytes),
}
// ANCHOR_END: outgoing

impl Outgoing {
    /// A text message (`Bytes::from(String)` takes the string's buffer, no copy).
    pub fn text(text: impl Into<String>) -> Self {
        Outgoing::Text(Bytes::from(text.into()))
    }

    /// The opcode the message is framed with on the wire.
    pub fn opcode(&self) -> OpCode {
        match self {
            Outgoing::Text(_) => OpCode::Text,
            Outgoing::Binary(_) => OpCode::Binary,
            Outgoing::Ping(_) => OpCode::Ping,
            Outgoing::Pong(_) => OpCode::Pong,
        }
    }

    /// The payload.
    pub fn payload(&self) -> &Bytes {
        match self {
            Outgoing::Text(p) | Outgoing::Binary(p) | Outgoing::Ping(p) | Outgoing::Pong(p) => p,
        }
    }

    /// The payload, owned.
    pub fn into_payload(self) -> Bytes {
        match self {
            Outgoing::Text(p) | Outgoing::Binary(p) | Outgoing::Ping(p) | Outgoing::Pong(p) => p,
        }
    }
}

// ANCHOR: broadcast_framing
/// How a transport wants the hub's broadcasts: encoded once per room either way, shared by
/// every subscriber of that room who uses the same transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastFraming {
    /// Complete, unmasked RFC 6455 frames, one buffer each (header and payload joined once
    /// per broadcast), written as they are with a vectored write: the hand-rolled
    /// connection.
    Frames,
    /// The payload alone, **one buffer per message**: a transport that frames messages
    /// itself (a library) needs to know where each one ends, and a subscriber's queue
    /// hands out buffers back to back. Joining the pieces costs one copy per broadcast
    /// and room, not per subscriber.
    Payload,
}
// ANCHOR_END: broadcast_framing

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_message_keeps_the_strings_bytes_and_each_kind_its_opcode() {
        let text = Outgoing::text("héllo");
        assert_eq!(text.payload(), &Bytes::from("héllo"));
        assert_eq!(text.opcode(), OpCode::Text);
        assert_eq!(Outgoing::Binary(Bytes::new()).opcode(), OpCode::Binary);
        assert_eq!(Outgoing::Ping(Bytes::new()).opcode(), OpCode::Ping);
        assert_eq!(Outgoing::Pong(Bytes::from("x")).into_payload(), "x");
    }
}
