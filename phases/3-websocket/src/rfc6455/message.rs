//! From frames to messages: fragmentation and control frames (RFC 6455 §5.4, §5.5).
//!
//! Applications think in *messages*; the wire carries *frames*. One message is one frame in
//! the common case (browsers always send one), but §5.4 lets a sender split a message into
//! fragments, "primarily to allow sending a message that is of unknown size when the message
//! is started":
//!
//! ```text
//! Text  FIN=0 "Hel"      <- starts the message, says its type
//! Ping  FIN=1 "?"        <- control frames may appear between fragments
//! Cont. FIN=0 "l"
//! Cont. FIN=1 "o"        <- FIN=1 ends it: the message is "Hello"
//! ```
//!
//! [`MessageAssembler`] enforces the rules that make this unambiguous:
//!
//! * a message starts with a text or binary frame and continues with continuation frames; a
//!   continuation with no message in progress, or a new text/binary frame in the middle of
//!   one, is a protocol error (1002), because "the fragments of one message MUST NOT be
//!   interleaved between the fragments of another message" (§5.4);
//! * control frames (ping, pong, close) "MAY be injected in the middle of a fragmented message"
//!   (§5.4) and are handed to the application at once, so a ping is answered promptly even
//!   during a long upload;
//! * the message's size is checked against [`Limits::max_message_size`] each time a fragment
//!   arrives, so an endless message is cut off (1009) as soon as it crosses the limit;
//! * text is validated fragment by fragment with a [`Utf8Validator`], so invalid UTF-8 fails
//!   the connection (1007) in the fragment that contains it, not at the end of the message;
//! * a Close frame's body is read by [`parse_close_payload`]: empty is fine (it means 1005,
//!   "no status"), one byte is a protocol error, the code must be one that may be sent
//!   (§7.4.2), and the reason must be UTF-8.
//!
//! The frame decoder has already checked everything that is visible in a single frame
//! (control frames are final and ≤ 125 bytes, RSV bits, masking).

use bytes::Bytes;

use crate::rfc6455::close::{is_valid_received_code, CloseFrame};
use crate::rfc6455::error::ProtocolError;
use crate::rfc6455::frame::Frame;
use crate::rfc6455::limits::Limits;
use crate::rfc6455::opcode::OpCode;
use crate::rfc6455::utf8::{Utf8Error, Utf8Validator};

/// An application-level message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A complete text message, validated as UTF-8.
    Text(String),
    /// A complete binary message.
    Binary(Bytes),
    /// A ping; the connection should answer with a pong carrying the same payload (§5.5.2).
    Ping(Bytes),
    /// A pong (§5.5.3); an unsolicited one is a heartbeat and needs no answer.
    Pong(Bytes),
    /// The peer started (or answered) the closing handshake. `None`: no status code (1005).
    Close(Option<CloseFrame>),
}

impl Message {
    /// The single frame that carries this message (how an echo server sends it back).
    pub fn into_frame(self) -> Frame {
        match self {
            Message::Text(text) => Frame::text(text),
            Message::Binary(data) => Frame::binary(data),
            Message::Ping(data) => Frame::ping(data),
            Message::Pong(data) => Frame::pong(data),
            Message::Close(Some(close)) => Frame::close(close.code, &close.reason),
            Message::Close(None) => Frame::close_empty(),
        }
    }
}

/// A fragmented data message being reassembled.
#[derive(Debug)]
struct PartialMessage {
    /// `Text` or `Binary`: the type given by the first fragment.
    opcode: OpCode,
    data: Vec<u8>,
    /// Used for text messages only.
    utf8: Utf8Validator,
}

/// Turns a stream of decoded [`Frame`]s into [`Message`]s.
#[derive(Debug)]
pub struct MessageAssembler {
    limits: Limits,
    /// Boxed: every connection has an assembler, and almost none ever receives a
    /// fragmented message (browsers do not fragment what they send). Inline, the
    /// half-built message's state would make every connection bigger for it.
    partial: Option<Box<PartialMessage>>,
}

fn utf8_error(err: Utf8Error) -> ProtocolError {
    match err {
        Utf8Error::Invalid { offset } => ProtocolError::InvalidUtf8 {
            context: "in a text message",
            offset,
        },
        Utf8Error::IncompleteAtEnd => ProtocolError::IncompleteUtf8,
    }
}

impl MessageAssembler {
    /// An assembler enforcing `limits.max_message_size`.
    pub fn new(limits: Limits) -> MessageAssembler {
        MessageAssembler {
            limits,
            partial: None,
        }
    }

    /// Whether a fragmented message has started and not yet finished.
    pub fn is_mid_message(&self) -> bool {
        self.partial.is_some()
    }

    /// Feeds one frame. Returns a message when one is complete, `None` when more fragments are
    /// needed, or the protocol error that must fail the connection.
    pub fn push(&mut self, frame: Frame) -> Result<Option<Message>, ProtocolError> {
        let result = self.push_inner(frame);
        if result.is_err() {
            // The connection is being failed; forget the half-built message.
            self.partial = None;
        }
        result
    }

    // ANCHOR: push_inner
    fn push_inner(&mut self, frame: Frame) -> Result<Option<Message>, ProtocolError> {
        match frame.opcode {
            // RFC 6455 §5.4: "Control frames MAY be injected in the middle of a fragmented
            // message." They never touch `self.partial`.
            OpCode::Ping => Ok(Some(Message::Ping(frame.payload))),
            OpCode::Pong => Ok(Some(Message::Pong(frame.payload))),
            OpCode::Close => Ok(Some(Message::Close(parse_close_payload(&frame.payload)?))),
            OpCode::Text | OpCode::Binary => self.start(frame),
            OpCode::Continuation => self.continue_with(frame),
        }
    }
    // ANCHOR_END: push_inner

    fn start(&mut self, frame: Frame) -> Result<Option<Message>, ProtocolError> {
        // RFC 6455 §5.4: "The fragments of one message MUST NOT be interleaved between the
        // fragments of another message unless an extension has been negotiated".
        if self.partial.is_some() {
            return Err(ProtocolError::DataFrameMidMessage {
                opcode: frame.opcode.as_u8(),
            });
        }
        check_message_size(frame.payload.len(), self.limits.max_message_size)?;

        if frame.fin {
            // The common case, one frame = one message: no copy for binary, one pass for text.
            return Ok(Some(match frame.opcode {
                OpCode::Text => {
                    let text = std::str::from_utf8(&frame.payload).map_err(|e| {
                        if e.error_len().is_some() {
                            utf8_error(Utf8Error::Invalid {
                                offset: e.valid_up_to(),
                            })
                        } else {
                            ProtocolError::IncompleteUtf8
                        }
                    })?;
                    Message::Text(text.to_owned())
                }
                _ => Message::Binary(frame.payload),
            }));
        }

        // RFC 6455 §5.4: "A fragmented message consists of a single frame with the FIN bit
        // clear and an opcode other than 0, followed by zero or more frames with the FIN bit
        // clear and the opcode set to 0, and terminated by a single frame with the FIN bit set
        // and an opcode of 0."
        let mut partial = Box::new(PartialMessage {
            opcode: frame.opcode,
            data: Vec::new(),
            utf8: Utf8Validator::new(),
        });
        if partial.opcode == OpCode::Text {
            partial.utf8.feed(&frame.payload).map_err(utf8_error)?;
        }
        append_bounded(
            &mut partial.data,
            &frame.payload,
            self.limits.max_message_size,
        );
        self.partial = Some(partial);
        Ok(None)
    }

    // ANCHOR: continue_with
    fn continue_with(&mut self, frame: Frame) -> Result<Option<Message>, ProtocolError> {
        let limit = self.limits.max_message_size;
        // RFC 6455 §5.4: a continuation frame only makes sense after a first fragment.
        let Some(partial) = self.partial.as_mut() else {
            return Err(ProtocolError::ContinuationWithoutStart);
        };
        // Checked before buffering the fragment: the total never exceeds the limit in memory.
        check_message_size(
            partial.data.len().saturating_add(frame.payload.len()),
            limit,
        )?;
        if partial.opcode == OpCode::Text {
            // RFC 6455 §8.1 with fail-fast: validate this fragment now, carrying a code point
            // that is cut at its end over to the next fragment.
            partial.utf8.feed(&frame.payload).map_err(utf8_error)?;
        }
        append_bounded(&mut partial.data, &frame.payload, limit);
        if !frame.fin {
            return Ok(None);
        }

        let Some(partial) = self.partial.take() else {
            return Err(ProtocolError::ContinuationWithoutStart);
        };
        let mut partial = *partial;
        Ok(Some(if partial.opcode == OpCode::Text {
            partial.utf8.finish().map_err(utf8_error)?;
            // Validated fragment by fragment above; `String::from_utf8` checks once more
            // (a second pass over a rare, fragmented message keeps this crate free of `unsafe`).
            let text = String::from_utf8(partial.data).map_err(|e| {
                utf8_error(Utf8Error::Invalid {
                    offset: e.utf8_error().valid_up_to(),
                })
            })?;
            Message::Text(text)
        } else {
            Message::Binary(Bytes::from(partial.data))
        }))
    }
    // ANCHOR_END: continue_with
}

fn check_message_size(size: usize, limit: usize) -> Result<(), ProtocolError> {
    // RFC 6455 §10.4: limit "the total message size after reassembly from multiple frames".
    if size > limit {
        return Err(ProtocolError::MessageTooBig { size, limit });
    }
    Ok(())
}

/// Appends, growing the buffer geometrically like `Vec` does but never beyond `limit`, so a
/// message being assembled never holds more memory than the largest message we accept.
fn append_bounded(buf: &mut Vec<u8>, data: &[u8], limit: usize) {
    let needed = buf.len() + data.len();
    if needed > buf.capacity() {
        let target = buf.capacity().saturating_mul(2).min(limit).max(needed);
        buf.reserve_exact(target - buf.len());
    }
    buf.extend_from_slice(data);
}

/// Parses and validates a received Close frame's payload.
///
/// Returns `Ok(None)` for an empty payload, which the application sees as 1005 "no status
/// received". The payload's length (≤ 125) was already checked by the frame decoder.
pub fn parse_close_payload(payload: &[u8]) -> Result<Option<CloseFrame>, ProtocolError> {
    // EXERCISE(ch3-close-payload): parse and validate a received Close frame
    match payload {
        // RFC 6455 §5.5.1: "The Close frame MAY contain a body".
        [] => Ok(None),
        // RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST be a
        // 2-byte unsigned integer (in network byte order) representing a status code".
        [_] => Err(ProtocolError::CloseFrameOneByte),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            // RFC 6455 §7.4.2 / §7.4.1: codes below 1000 are not used, 1004 is reserved,
            // 1005/1006/1015 MUST NOT be sent, 1016-2999 are unassigned.
            if !is_valid_received_code(code) {
                return Err(ProtocolError::InvalidCloseCode { code });
            }
            // RFC 6455 §5.5.1: the body after the code "MAY contain UTF-8-encoded data";
            // §8.1: invalid UTF-8 fails the connection (Autobahn expects 1007).
            let reason = std::str::from_utf8(reason).map_err(|e| ProtocolError::InvalidUtf8 {
                context: "in a close reason",
                offset: 2 + e.valid_up_to(),
            })?;
            Ok(Some(CloseFrame {
                code,
                reason: reason.to_owned(),
            }))
        }
    }
    // EXERCISE_END(ch3-close-payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc6455::close::{close_payload, CloseCode};

    fn frame(fin: bool, opcode: OpCode, payload: &[u8]) -> Frame {
        Frame::new(fin, opcode, Bytes::copy_from_slice(payload))
    }

    #[test]
    fn a_single_frame_is_a_whole_message() {
        let mut asm = MessageAssembler::new(Limits::default());
        assert_eq!(
            asm.push(Frame::text("Hello")).unwrap(),
            Some(Message::Text("Hello".into()))
        );
        assert_eq!(
            asm.push(Frame::binary(&b"\x00\xff"[..])).unwrap(),
            Some(Message::Binary(Bytes::from_static(b"\x00\xff")))
        );
    }

    #[test]
    fn control_frames_between_fragments_are_delivered_at_once() {
        let mut asm = MessageAssembler::new(Limits::default());
        assert_eq!(asm.push(frame(false, OpCode::Text, b"Hel")).unwrap(), None);
        assert_eq!(
            asm.push(Frame::ping(&b"?"[..])).unwrap(),
            Some(Message::Ping(Bytes::from_static(b"?")))
        );
        assert_eq!(
            asm.push(frame(false, OpCode::Continuation, b"l")).unwrap(),
            None
        );
        assert_eq!(
            asm.push(Frame::pong(&b""[..])).unwrap(),
            Some(Message::Pong(Bytes::new()))
        );
        assert!(asm.is_mid_message());
        assert_eq!(
            asm.push(frame(true, OpCode::Continuation, b"o")).unwrap(),
            Some(Message::Text("Hello".into()))
        );
        assert!(!asm.is_mid_message());
    }

    #[test]
    fn a_close_frame_yields_its_parsed_code_and_reason() {
        let mut asm = MessageAssembler::new(Limits::default());
        assert_eq!(
            asm.push(Frame::close(1001u16, "bye")).unwrap(),
            Some(Message::Close(Some(CloseFrame {
                code: 1001,
                reason: "bye".into()
            })))
        );
        assert_eq!(
            asm.push(Frame::close_empty()).unwrap(),
            Some(Message::Close(None))
        );
    }

    #[test]
    fn the_assembly_buffer_never_grows_past_the_message_limit() {
        let limits = Limits {
            max_frame_payload: 1000,
            max_message_size: 1000,
        };
        let mut asm = MessageAssembler::new(limits);
        asm.push(frame(false, OpCode::Binary, &[0; 300])).unwrap();
        for _ in 0..2 {
            asm.push(frame(false, OpCode::Continuation, &[0; 300]))
                .unwrap();
        }
        let capacity = asm.partial.as_ref().unwrap().data.capacity();
        assert!(capacity <= 1000, "capacity {capacity}");
        let done = asm
            .push(frame(true, OpCode::Continuation, &[0; 100]))
            .unwrap();
        assert_eq!(done, Some(Message::Binary(Bytes::from(vec![0u8; 1000]))));
    }

    #[test]
    fn every_message_becomes_one_frame_again() {
        let mut asm = MessageAssembler::new(Limits::default());
        for message in [
            Message::Text("é".into()),
            Message::Binary(Bytes::from_static(b"\x01")),
            Message::Ping(Bytes::from_static(b"p")),
            Message::Pong(Bytes::new()),
            Message::Close(None),
            Message::Close(Some(CloseFrame {
                code: 4000,
                reason: "app".into(),
            })),
        ] {
            let frame = message.clone().into_frame();
            assert_eq!(asm.push(frame).unwrap(), Some(message));
        }
    }

    #[test]
    fn an_empty_close_payload_means_no_status() {
        assert_eq!(parse_close_payload(&[]).unwrap(), None);
    }

    #[test]
    fn a_one_byte_close_payload_is_a_protocol_error() {
        let err = parse_close_payload(&[0x03]).unwrap_err();
        assert!(matches!(err, ProtocolError::CloseFrameOneByte));
        assert_eq!(err.close_code(), CloseCode::ProtocolError);
    }

    #[test]
    fn a_code_and_reason_parse_back() {
        let payload = close_payload(1001, "bye");
        assert_eq!(&payload[..], b"\x03\xe9bye");
        assert_eq!(
            parse_close_payload(&payload).unwrap(),
            Some(CloseFrame {
                code: 1001,
                reason: "bye".into()
            })
        );
    }

    #[test]
    fn only_codes_valid_to_receive_are_accepted() {
        for code in 0..=u16::MAX {
            let expected = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            let parsed = parse_close_payload(&code.to_be_bytes());
            assert_eq!(parsed.is_ok(), expected, "code {code}");
            if let Err(err) = parsed {
                assert!(matches!(err, ProtocolError::InvalidCloseCode { code: c } if c == code));
                assert_eq!(err.close_code(), CloseCode::ProtocolError);
            }
        }
    }

    #[test]
    fn a_close_reason_that_is_not_utf8_fails_with_1007() {
        let err = parse_close_payload(b"\x03\xe8ok\xff").unwrap_err();
        assert!(matches!(err, ProtocolError::InvalidUtf8 { offset: 4, .. }));
        assert_eq!(err.close_code(), CloseCode::InvalidPayload);
    }
}
