//! The `text/event-stream` format, written byte by byte (WHATWG HTML §9.2, "Server-sent
//! events").
//!
//! An event stream is UTF-8 text made of **lines**; a line ends with CRLF, LF or CR
//! (§9.2.5: `end-of-line = ( cr lf / cr / lf )`). Each line is one of:
//!
//! ```text
//! event: note.created      ← the event type (the name addEventListener listens for)
//! id: k3x9q1abcdef-42      ← the id the browser echoes back as Last-Event-ID on reconnect
//! retry: 3000              ← how long (ms) the browser waits before reconnecting
//! data: {"text":"hi"}      ← one line of payload; several data lines are joined with "\n"
//! : keep-alive             ← a comment: ignored by the browser, keeps proxies from timing out
//!                          ← an empty line: dispatch the event built so far
//! ```
//!
//! A field line is `name: value`; the parser strips exactly **one** space after the colon
//! (§9.2.6), so we always write one, and a value that itself starts with a space survives.
//!
//! **Data may contain line breaks; fields may not.** A line break inside `data` would end
//! the line, so we split the payload on *every* line break (CR, LF and CRLF alike) and
//! write one `data:` line per piece. The browser joins the pieces with LF and removes one
//! final LF, so the round trip is exact up to line-break style: `"a\r\nb"` arrives as
//! `"a\nb"`, `"a\n"` (a trailing break gives an empty last `data:` line) arrives as `"a\n"`,
//! and `""` (one empty `data:` line) arrives as an event with empty data — whereas an event
//! with *no* `data:` line is never dispatched at all.
//!
//! An event type or an id cannot be split that way, so a value with a line break is
//! **rejected** ([`FieldError`]) when an [`Event`] is built. For ids the spec adds NUL:
//! the parser ignores an `id:` line containing U+0000 (§9.2.6), which would silently leave
//! the client resuming from an older id — so NUL is rejected too.
//!
//! [`SseFormat`] plugs this encoder into the transport-agnostic [`crate::hub`].

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::{
    hub::{Message, WireFormat},
    queue::Encoded,
};

/// Why a field value cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// An `event:` value contained CR or LF, which would end the line early.
    LineBreakInEventType(String),
    /// An `id:` value contained CR, LF or NUL (a NUL makes the browser ignore the id).
    ForbiddenCharInId(String),
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::LineBreakInEventType(v) => {
                write!(f, "event type {v:?} contains a line break (CR or LF)")
            }
            FieldError::ForbiddenCharInId(v) => {
                write!(f, "event id {v:?} contains CR, LF or NUL")
            }
        }
    }
}

impl std::error::Error for FieldError {}

// ANCHOR: event
/// One event, ready to be written.
///
/// ```
/// use phase_2_sse::sse::Event;
/// let bytes = Event::new("line 1\nline 2").event("note")?.id("e-7")?.encode();
/// assert_eq!(&bytes[..], b"event: note\nid: e-7\ndata: line 1\ndata: line 2\n\n");
/// # Ok::<(), phase_2_sse::sse::FieldError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    event: Option<String>,
    id: Option<String>,
    retry_ms: Option<u64>,
    data: String,
}

impl Event {
    /// An event of the default type (`message`) carrying `data`.
    pub fn new(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            ..Self::default()
        }
    }

    /// Sets the event type (`event:`); rejects CR and LF.
    pub fn event(mut self, name: impl Into<String>) -> Result<Self, FieldError> {
        let name = name.into();
        check_event_type(&name)?;
        self.event = Some(name);
        Ok(self)
    }

    /// Sets the id (`id:`); rejects CR, LF and NUL.
    pub fn id(mut self, id: impl Into<String>) -> Result<Self, FieldError> {
        let id = id.into();
        check_id(&id)?;
        self.id = Some(id);
        Ok(self)
    }

    /// Sets the reconnection delay hint (`retry:`), in milliseconds.
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry_ms = Some(ms);
        self
    }

    /// The bytes of this event, ending with the blank line that dispatches it.
    pub fn encode(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.data.len() + 64);
        self.write_to(&mut buf);
        buf.freeze()
    }

    /// Appends this event's bytes to `buf`.
    pub fn write_to(&self, buf: &mut BytesMut) {
        // EXERCISE(ch2-event-encoder): write one event in the text/event-stream format
        self.write_fields(buf);
        // HTML §9.2.6: each `data:` line appends its value and one LF to the data buffer;
        // so one line per piece of the payload reproduces the payload.
        for line in lines(&self.data) {
            field(buf, "data", line);
        }
        // The empty line: "dispatch the event".
        buf.put_u8(b'\n');
        // EXERCISE_END(ch2-event-encoder)
    }

    /// The `event:`, `id:` and `retry:` lines, the ones before the data.
    fn write_fields(&self, buf: &mut BytesMut) {
        if let Some(event) = &self.event {
            field(buf, "event", event);
        }
        if let Some(id) = &self.id {
            field(buf, "id", id);
        }
        if let Some(ms) = self.retry_ms {
            field(buf, "retry", &ms.to_string());
        }
    }
}
// ANCHOR_END: event

// ANCHOR: comment
/// A comment block: `: text` lines. Browsers ignore comments; we send them as keep-alives
/// (an idle connection that a proxy would otherwise time out) and as a last word before
/// closing a stream. A multi-line text becomes several comment lines.
pub fn comment(text: &str) -> Bytes {
    let mut buf = BytesMut::with_capacity(text.len() + 4);
    for line in lines(text) {
        buf.put_u8(b':');
        if !line.is_empty() {
            buf.put_u8(b' ');
            buf.put_slice(line.as_bytes());
        }
        buf.put_u8(b'\n');
    }
    buf.freeze()
}

/// A `retry:` block on its own: tells the browser how long to wait before reconnecting.
/// The trailing blank line dispatches nothing (no data), it just ends the block.
pub fn retry_hint(ms: u64) -> Bytes {
    Bytes::from(format!("retry: {ms}\n\n"))
}
// ANCHOR_END: comment

fn field(buf: &mut BytesMut, name: &str, value: &str) {
    buf.put_slice(name.as_bytes());
    // One space after the colon; the parser removes exactly one (§9.2.6), so a value that
    // starts with a space keeps it.
    buf.put_slice(b": ");
    buf.put_slice(value.as_bytes());
    buf.put_u8(b'\n');
}

// ANCHOR: lines
/// Splits `text` at every line break the event-stream grammar knows — CRLF, LF and a lone
/// CR — keeping empty pieces: `"a\n"` gives `["a", ""]`, `""` gives `[""]`.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            None => {
                rest = None;
                Some(current)
            }
            Some(i) => {
                let next = if current[i..].starts_with("\r\n") {
                    i + 2
                } else {
                    i + 1
                };
                rest = Some(&current[next..]);
                Some(&current[..i])
            }
        }
    })
}
// ANCHOR_END: lines

// ANCHOR: sse_format
/// The hub's [`Message`] as an SSE event: the stream position becomes `id:`
/// (`<epoch>-<seq>`, what the browser sends back as `Last-Event-ID`), the event name
/// becomes `event:`, the JSON text becomes `data:` lines. Ephemeral messages (presence)
/// have no position and so no `id:` — the browser keeps the last id it saw.
///
/// The JSON is not copied: the encoded event is three buffers, the fields up to
/// `data: `, **the message's own `data` bytes**, and the blank line that dispatches the
/// event. JSON from `serde_json` holds no line break (a break inside a string is written
/// `\n`), so it is one `data:` line; data that does contain a break, or is not UTF-8,
/// takes the general path of [`Event`], which splits it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SseFormat;

impl WireFormat for SseFormat {
    fn name(&self) -> &'static str {
        "sse"
    }

    fn encode(&self, msg: &Message) -> Encoded {
        // Event names are constants in our code and positions are `[a-z0-9]+-[0-9]+`, so
        // neither check can fail; `encode` has no way to report an error, so if one ever
        // does (a bug), it is logged and the field sanitized rather than written broken.
        let mut event = Event {
            event: Some(checked(&msg.event, check_event_type)),
            id: msg
                .position
                .as_ref()
                .map(|p| checked(&p.to_string(), check_id)),
            retry_ms: None,
            data: String::new(),
        };
        let one_line = std::str::from_utf8(&msg.data).is_ok_and(|d| !d.contains(['\r', '\n']));
        if !one_line {
            event.data = String::from_utf8_lossy(&msg.data).into_owned();
            return event.encode().into();
        }
        let mut head = BytesMut::with_capacity(64);
        event.write_fields(&mut head);
        head.put_slice(b"data: ");
        Encoded::new([head.freeze(), msg.data.clone(), Bytes::from_static(b"\n\n")])
    }
}
// ANCHOR_END: sse_format

/// Checks an `event:` value: no CR or LF.
pub fn check_event_type(value: &str) -> Result<(), FieldError> {
    if value.contains(['\r', '\n']) {
        return Err(FieldError::LineBreakInEventType(value.to_owned()));
    }
    Ok(())
}

/// Checks an `id:` value: no CR, LF or NUL.
pub fn check_id(value: &str) -> Result<(), FieldError> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(FieldError::ForbiddenCharInId(value.to_owned()));
    }
    Ok(())
}

/// `value` if it passes `check`, else `value` with CR, LF and NUL replaced by U+FFFD.
fn checked(value: &str, check: fn(&str) -> Result<(), FieldError>) -> String {
    match check(value) {
        Ok(()) => value.to_owned(),
        Err(err) => {
            tracing::error!(%err, "unencodable SSE field; sanitized");
            value.replace(['\r', '\n', '\0'], "\u{FFFD}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parser::SseParser, position::StreamPosition};

    fn text(b: &Bytes) -> &str {
        std::str::from_utf8(b).expect("utf-8")
    }

    #[test]
    fn a_plain_event_is_one_data_line_and_a_blank_line() {
        assert_eq!(text(&Event::new("hello").encode()), "data: hello\n\n");
    }

    #[test]
    fn every_field_is_written_name_colon_space_value() {
        let e = Event::new("x")
            .event("note.created")
            .unwrap()
            .id("abc-7")
            .unwrap()
            .retry(2500);
        assert_eq!(
            text(&e.encode()),
            "event: note.created\nid: abc-7\nretry: 2500\ndata: x\n\n"
        );
    }

    #[test]
    fn data_is_split_on_lf_cr_and_crlf_alike() {
        for data in ["a\nb\nc", "a\rb\rc", "a\r\nb\r\nc", "a\nb\r\nc", "a\rb\nc"] {
            assert_eq!(
                text(&Event::new(data).encode()),
                "data: a\ndata: b\ndata: c\n\n",
                "{data:?}"
            );
        }
    }

    #[test]
    fn cr_then_lf_is_one_break_but_lf_then_cr_is_two() {
        assert_eq!(
            text(&Event::new("a\n\rb").encode()),
            "data: a\ndata: \ndata: b\n\n"
        );
    }

    #[test]
    fn a_trailing_line_break_gives_an_empty_last_data_line() {
        assert_eq!(text(&Event::new("a\n").encode()), "data: a\ndata: \n\n");
        assert_eq!(text(&Event::new("\n").encode()), "data: \ndata: \n\n");
    }

    #[test]
    fn empty_data_is_one_empty_data_line_so_the_event_still_fires() {
        assert_eq!(text(&Event::new("").encode()), "data: \n\n");
    }

    #[test]
    fn a_leading_space_in_data_survives_because_one_space_is_always_written() {
        assert_eq!(text(&Event::new("  two").encode()), "data:   two\n\n");
    }

    #[test]
    fn unicode_is_written_as_utf8_unchanged() {
        let e = Event::new("héllo 👋\n日本").event("ünï").unwrap();
        assert_eq!(
            e.encode().as_ref(),
            "event: ünï\ndata: héllo 👋\ndata: 日本\n\n".as_bytes()
        );
    }

    #[test]
    fn comments_are_colon_lines_split_like_data() {
        assert_eq!(text(&comment("keep-alive")), ": keep-alive\n");
        assert_eq!(text(&comment("a\r\nb")), ": a\n: b\n");
        assert_eq!(text(&comment("")), ":\n");
    }

    #[test]
    fn a_retry_hint_is_a_block_of_its_own() {
        assert_eq!(text(&retry_hint(3000)), "retry: 3000\n\n");
    }

    #[test]
    fn line_breaks_in_an_event_type_are_rejected() {
        assert!(matches!(
            Event::new("x").event("a\nb"),
            Err(FieldError::LineBreakInEventType(_))
        ));
        assert!(Event::new("x").event("a\rb").is_err());
    }

    #[test]
    fn cr_lf_and_nul_in_an_id_are_rejected() {
        for id in ["a\nb", "a\rb", "a\0b"] {
            assert!(
                matches!(
                    Event::new("x").id(id),
                    Err(FieldError::ForbiddenCharInId(_))
                ),
                "{id:?}"
            );
        }
    }

    #[test]
    fn the_sse_format_writes_position_event_and_json_data() {
        let msg = Message {
            position: Some(StreamPosition::new("k3x9", 42)),
            event: "message".into(),
            data: Bytes::from_static(br#"{"text":"hi"}"#),
        };
        assert_eq!(
            text(&SseFormat.encode(&msg).to_bytes()),
            "event: message\nid: k3x9-42\ndata: {\"text\":\"hi\"}\n\n"
        );
    }

    #[test]
    fn an_ephemeral_message_has_no_id_line() {
        let msg = Message {
            position: None,
            event: "presence.join".into(),
            data: Bytes::from_static(b"{}"),
        };
        assert_eq!(
            text(&SseFormat.encode(&msg).to_bytes()),
            "event: presence.join\ndata: {}\n\n"
        );
    }

    #[test]
    fn an_unencodable_event_name_from_the_hub_is_sanitized_not_written_broken() {
        let msg = Message {
            position: None,
            event: "bad\nname".into(),
            data: Bytes::from_static(b"1"),
        };
        assert_eq!(
            text(&SseFormat.encode(&msg).to_bytes()),
            "event: bad\u{FFFD}name\ndata: 1\n\n"
        );
    }

    #[test]
    fn the_sse_format_writes_the_messages_own_json_bytes_not_a_copy() {
        let msg = Message {
            position: Some(StreamPosition::new("e", 1)),
            event: "message".into(),
            data: Bytes::from_static(br#"{"text":"same bytes"}"#),
        };
        let encoded = SseFormat.encode(&msg);
        let shared = encoded
            .parts()
            .iter()
            .find(|part| part.as_ptr() == msg.data.as_ptr())
            .expect("one part is the message's data itself");
        assert_eq!(shared.len(), msg.data.len());
    }

    #[test]
    fn data_with_a_line_break_is_split_into_data_lines() {
        let msg = Message {
            position: None,
            event: "note".into(),
            data: Bytes::from_static(b"line 1\nline 2"),
        };
        assert_eq!(
            text(&SseFormat.encode(&msg).to_bytes()),
            "event: note\ndata: line 1\ndata: line 2\n\n"
        );
    }

    // ANCHOR: round_trip_test
    #[test]
    fn what_the_encoder_writes_the_parser_reads_back_up_to_line_break_style() {
        let pieces = [
            "", "a", " lead", "trail ", "é👋", "\n", "\r", "\r\n", ":", "data: x",
        ];
        // Every sequence of up to three pieces: covers breaks at the start, the end, doubled.
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let data = format!("{a}{b}{c}");
                    let bytes = Event::new(data.as_str())
                        .event("t")
                        .unwrap()
                        .id("e-1")
                        .unwrap()
                        .encode();
                    let mut parser = SseParser::new();
                    let events = parser.feed_events(&bytes);
                    assert_eq!(events.len(), 1, "{data:?}");
                    let expected = data.replace("\r\n", "\n").replace('\r', "\n");
                    assert_eq!(events[0].data, expected, "{data:?}");
                    assert_eq!(events[0].event, "t");
                    assert_eq!(events[0].last_event_id, "e-1");
                }
            }
        }
    }
    // ANCHOR_END: round_trip_test
}
