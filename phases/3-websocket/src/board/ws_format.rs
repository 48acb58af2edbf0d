//! How a hub event becomes a WebSocket frame: [`WsFormat`], the WebSocket twin of phase 2's
//! `SseFormat`.
//!
//! The hub hands every subscriber the *bytes to write*, encoded once per format and shared
//! (`Bytes` is reference-counted). For WebSocket those bytes are a complete, unmasked
//! server frame (RFC 6455 §5.1: servers never mask, so one encoding serves everyone):
//!
//! ```text
//! hub Message { event: "message", position: e-42, data: {"text":"hi",...} }
//!      │  WsFormat::encode — once per broadcast, not once per subscriber
//!      ▼
//! 0x81 0x7e 0x00 0x5c {"type":"message","payload":{"board":"demo","position":"e-42","text":"hi",...}}
//! └─ FIN+text, 16-bit length ─┘
//! ```
//!
//! The payload is the event's JSON object plus the `board` it belongs to (a connection may
//! follow several boards) and its `position`, the value a client sends back as `since`.

use bytes::Bytes;
use phase_2_sse::hub::{Message, WireFormat};
use serde_json::{Map, Value};

use crate::{rfc6455::codec::encode_server_frame, rfc6455::opcode::OpCode};

// ANCHOR: ws_format
/// Encodes hub events for the subscribers of one board.
#[derive(Debug, Clone)]
pub struct WsFormat {
    board: String,
}

impl WsFormat {
    /// The format for `board`'s subscribers. All subscribers of a room share a format
    /// *name*, and so one encoding: the board is the room, so it is the same for all.
    pub fn new(board: impl Into<String>) -> Self {
        Self {
            board: board.into(),
        }
    }

    /// The JSON text of the envelope for `msg`.
    pub fn envelope(&self, msg: &Message) -> String {
        let mut payload = match serde_json::from_slice::<Value>(&msg.data) {
            Ok(Value::Object(fields)) => fields,
            // Events are JSON objects by convention; anything else is wrapped, not lost.
            Ok(other) => Map::from_iter([("data".to_owned(), other)]),
            Err(_) => Map::from_iter([(
                "data".to_owned(),
                Value::String(String::from_utf8_lossy(&msg.data).into_owned()),
            )]),
        };
        payload.insert("board".into(), Value::String(self.board.clone()));
        if let Some(position) = &msg.position {
            payload
                .entry("position")
                .or_insert_with(|| Value::String(position.to_string()));
        }
        let mut envelope = Map::with_capacity(2);
        envelope.insert("type".into(), Value::String(msg.event.clone()));
        envelope.insert("payload".into(), Value::Object(payload));
        Value::Object(envelope).to_string()
    }
}

impl WireFormat for WsFormat {
    fn name(&self) -> &'static str {
        "websocket-json"
    }

    fn encode(&self, msg: &Message) -> Bytes {
        let text = self.envelope(msg);
        // A text frame of any length encodes; only control frames have a size rule.
        match encode_server_frame(OpCode::Text, text.as_bytes()) {
            Ok(frame) => frame.into_bytes(),
            Err(e) => {
                tracing::error!(error = %e, "could not encode a hub event as a frame");
                Bytes::new()
            }
        }
    }
}
// ANCHOR_END: ws_format

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::protocol::{BoardMessage, ServerEnvelope, ServerEvent};
    use phase_2_sse::position::StreamPosition;

    #[test]
    fn a_hub_message_becomes_one_text_frame_holding_a_typed_event() {
        let msg = Message {
            position: Some(StreamPosition::new("ep", 42)),
            event: "message".into(),
            data: Bytes::from_static(br#"{"text":"hi","name":null,"sentAtMs":5}"#),
        };
        let bytes = WsFormat::new("demo").encode(&msg);
        assert_eq!(bytes[0], 0x81, "FIN + text opcode");
        let len = usize::from(bytes[1]);
        assert_eq!(bytes[1] & 0x80, 0, "server frames are never masked");
        let parsed: ServerEnvelope = serde_json::from_slice(&bytes[2..2 + len]).unwrap();
        assert_eq!(
            parsed.event,
            ServerEvent::Message(BoardMessage {
                board: "demo".into(),
                position: "ep-42".into(),
                text: "hi".into(),
                name: None,
                sent_at_ms: 5,
            })
        );
    }

    #[test]
    fn the_hubs_ready_and_presence_events_fit_the_typed_protocol() {
        let f = WsFormat::new("b");
        for (event, data, position) in [
            (
                "ready",
                r#"{"position":"e-0","recovered":false,"replayed":0}"#,
                Some(0),
            ),
            (
                "reset",
                r#"{"position":"e-3","reason":"restarted"}"#,
                Some(3),
            ),
            (
                "presence.list",
                r##"{"people":[{"clientId":"a","name":"A","color":"#000000"}]}"##,
                None,
            ),
            (
                "presence.join",
                r##"{"clientId":"a","name":"A","color":"#000000"}"##,
                None,
            ),
            ("presence.leave", r#"{"clientId":"a"}"#, None),
        ] {
            let msg = Message {
                position: position.map(|s| StreamPosition::new("e", s)),
                event: event.into(),
                data: Bytes::from(data),
            };
            let text = f.envelope(&msg);
            let parsed: Result<ServerEnvelope, _> = serde_json::from_str(&text);
            assert!(parsed.is_ok(), "{event}: {text} → {parsed:?}");
        }
    }
}
