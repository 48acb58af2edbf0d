//! An event-stream **parser**, following the browser's algorithm (WHATWG HTML §9.2.6,
//! "Interpreting an event stream") step by step.
//!
//! The server never parses SSE; this is here so that tests (and curious students) can read
//! a stream exactly as `EventSource` does, and prove that what [`crate::sse`] writes is what
//! a browser will see. It is incremental: bytes arrive in arbitrary chunks, and a line —
//! even a CRLF, or a UTF-8 character — may be split between two chunks.
//!
//! The algorithm, in short:
//! * strip one leading U+FEFF BOM; decode UTF-8 (invalid bytes become U+FFFD);
//! * split into lines at CRLF, LF or CR;
//! * empty line → **dispatch**: the last-event-id buffer becomes the stream's last event
//!   id; if the data buffer is empty nothing fires; otherwise remove one trailing LF from
//!   the data and fire an event of the buffered type (`message` if none);
//! * `:…` → comment, ignored (we report it, so tests can see keep-alives);
//! * `field: value` (one space after the colon removed) or `field` alone (empty value):
//!   `event` sets the type, `data` appends the value and an LF, `id` sets the last-event-id
//!   buffer unless the value contains NUL, `retry` sets the reconnection time if the value
//!   is all ASCII digits; any other field is ignored;
//! * at the end of the stream, an event without its blank line is discarded.

/// An event as `EventSource` would fire it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEvent {
    /// The `type` of the DOM event: the `event:` field, or `message`.
    pub event: String,
    /// The joined `data:` lines.
    pub data: String,
    /// `lastEventId` at dispatch: the most recent `id:`, kept across events.
    pub last_event_id: String,
}

/// What the parser saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A dispatched event.
    Event(ParsedEvent),
    /// A comment line's text (without the colon and one leading space).
    Comment(String),
    /// A valid `retry:` field: the new reconnection time in milliseconds.
    Retry(u64),
}

const BOM: &[u8] = "\u{FEFF}".as_bytes();

/// The incremental parser. Feed it bytes as they arrive.
#[derive(Debug, Default)]
pub struct SseParser {
    pending: Vec<u8>,
    started: bool,
    /// The previous chunk ended with CR: a LF starting the next chunk belongs to it.
    after_cr: bool,
    data: String,
    event_type: String,
    last_event_id_buffer: String,
    last_event_id: String,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stream's last event id (what a reconnecting browser would send).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    // ANCHOR: feed
    /// Consumes `chunk`, returning what the complete lines in it produced.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Item> {
        self.pending.extend_from_slice(chunk);
        let mut items = Vec::new();
        if !self.started {
            // §9.2.6: "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark".
            if self.pending.len() < BOM.len() && BOM.starts_with(&self.pending) {
                return items; // could still become a BOM
            }
            if self.pending.starts_with(BOM) {
                self.pending.drain(..BOM.len());
            }
            self.started = true;
        }
        let mut start = 0;
        if self.after_cr && !self.pending.is_empty() {
            self.after_cr = false;
            if self.pending[0] == b'\n' {
                start = 1; // the LF of a CRLF split across chunks
            }
        }
        while let Some(offset) = self.pending[start..]
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
        {
            let end = start + offset;
            let line = String::from_utf8_lossy(&self.pending[start..end]).into_owned();
            start = end + 1;
            if self.pending[end] == b'\r' {
                match self.pending.get(start) {
                    Some(b'\n') => start += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            if let Some(item) = self.line(&line) {
                items.push(item);
            }
        }
        self.pending.drain(..start);
        items
    }
    // ANCHOR_END: feed

    /// Like [`SseParser::feed`], keeping only the events.
    pub fn feed_events(&mut self, chunk: &[u8]) -> Vec<ParsedEvent> {
        self.feed(chunk)
            .into_iter()
            .filter_map(|i| match i {
                Item::Event(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    // ANCHOR: line
    fn line(&mut self, line: &str) -> Option<Item> {
        if line.is_empty() {
            return self.dispatch();
        }
        if let Some(text) = line.strip_prefix(':') {
            return Some(Item::Comment(
                text.strip_prefix(' ').unwrap_or(text).to_owned(),
            ));
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event_type = value.to_owned(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.last_event_id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // A value too large for u64 is, in practice, "never"; saturate.
                return Some(Item::Retry(value.parse().unwrap_or(u64::MAX)));
            }
            _ => {} // unknown fields (and bad id/retry values) are ignored
        }
        None
    }

    fn dispatch(&mut self) -> Option<Item> {
        self.last_event_id = self.last_event_id_buffer.clone();
        if self.data.is_empty() {
            self.event_type.clear();
            return None;
        }
        if self.data.ends_with('\n') {
            self.data.pop();
        }
        let event = if self.event_type.is_empty() {
            "message".to_owned()
        } else {
            std::mem::take(&mut self.event_type)
        };
        self.event_type.clear();
        Some(Item::Event(ParsedEvent {
            event,
            data: std::mem::take(&mut self.data),
            last_event_id: self.last_event_id.clone(),
        }))
    }
    // ANCHOR_END: line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event: &str, data: &str, id: &str) -> Item {
        Item::Event(ParsedEvent {
            event: event.into(),
            data: data.into(),
            last_event_id: id.into(),
        })
    }

    #[test]
    fn the_spec_example_with_two_data_lines_is_one_event() {
        let mut p = SseParser::new();
        let items = p.feed(b"data: YHOO\ndata: +2\ndata: 10\n\n");
        assert_eq!(items, vec![event("message", "YHOO\n+2\n10", "")]);
    }

    #[test]
    fn the_spec_example_with_ids_and_an_id_reset() {
        // HTML §9.2.6, the second example: an `id:` line with no value resets the id.
        let mut p = SseParser::new();
        let items = p.feed(
            b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
        );
        assert_eq!(
            items,
            vec![
                Item::Comment("test stream".into()),
                event("message", "first event", "1"),
                event("message", "second event", ""),
                event("message", " third event", ""),
            ]
        );
    }

    #[test]
    fn the_spec_example_fires_an_empty_event_for_a_bare_data_line_and_none_without_data() {
        // HTML §9.2.6: "data\n\ndata\ndata\n\ndata:" fires "" and "\n"; the last is cut off.
        let mut p = SseParser::new();
        let items = p.feed(b"data\n\ndata\ndata\n\ndata:");
        assert_eq!(
            items,
            vec![event("message", "", ""), event("message", "\n", "")]
        );
        // An event with no data line at all is never dispatched.
        let mut p = SseParser::new();
        assert_eq!(p.feed(b"\n\nevent: x\nid: 1\n\n"), vec![]);
        assert_eq!(p.last_event_id(), "1", "but the id still counts");
    }

    #[test]
    fn cr_lf_and_crlf_all_end_lines_even_split_across_chunks() {
        let stream = b"data: a\r\ndata: b\rdata: c\n\r\n";
        for split in 0..=stream.len() {
            let mut p = SseParser::new();
            let mut items = p.feed(&stream[..split]);
            items.extend(p.feed(&stream[split..]));
            assert_eq!(
                items,
                vec![event("message", "a\nb\nc", "")],
                "split {split}"
            );
        }
    }

    #[test]
    fn a_utf8_character_or_bom_split_across_chunks_is_decoded_whole() {
        let stream = "\u{FEFF}data: é👋\n\n".as_bytes();
        for split in 0..=stream.len() {
            let mut p = SseParser::new();
            let mut items = p.feed(&stream[..split]);
            items.extend(p.feed(&stream[split..]));
            assert_eq!(items, vec![event("message", "é👋", "")], "split {split}");
        }
    }

    #[test]
    fn an_id_with_nul_is_ignored_and_the_previous_id_kept() {
        let mut p = SseParser::new();
        let items = p.feed(b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n");
        assert_eq!(
            items,
            vec![event("message", "a", "1"), event("message", "b", "1")]
        );
        assert_eq!(p.last_event_id(), "1");
    }

    #[test]
    fn retry_must_be_all_digits() {
        let mut p = SseParser::new();
        let items = p.feed(b"retry: 1500\nretry: 15s\nretry: -1\nretry:\n\n");
        assert_eq!(items, vec![Item::Retry(1500)]);
    }

    #[test]
    fn the_event_type_applies_to_one_event_only() {
        let mut p = SseParser::new();
        let items = p.feed(b"event: a\ndata: 1\n\ndata: 2\n\n");
        assert_eq!(items, vec![event("a", "1", ""), event("message", "2", "")]);
    }

    #[test]
    fn an_event_cut_off_by_the_end_of_the_stream_is_not_dispatched() {
        let mut p = SseParser::new();
        assert_eq!(p.feed(b"data: half\n"), vec![]);
    }
}
