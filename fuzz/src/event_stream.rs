//! Phase 2's incremental event-stream parser ([`SseParser`]).

use phase_2_sse::parser::{Item, SseParser};

/// Parses `data` (after its first byte, which picks a chunk boundary) whole and in two
/// chunks: a network may cut a stream anywhere — inside a CRLF, inside the byte order
/// mark, inside a UTF-8 character — and the events must not change. Also checks what the
/// HTML standard (§9.2.6) says of every dispatched event: its type is never empty
/// (`message` by default), and an `id:` holding U+0000 NULL never becomes the last event id.
pub fn event_stream(data: &[u8]) {
    let (at, bytes) = crate::split_point(data);
    let mut whole = SseParser::new();
    let items = whole.feed(bytes);
    let mut split = SseParser::new();
    let mut pieces = split.feed(&bytes[..at]);
    pieces.extend(split.feed(&bytes[at..]));
    assert_eq!(items, pieces, "a chunk boundary changed the parse");
    assert_eq!(whole.last_event_id(), split.last_event_id());
    assert!(!whole.last_event_id().contains('\0'));
    for item in &items {
        if let Item::Event(event) = item {
            assert!(
                !event.event.is_empty(),
                "an event without a type: {event:?}"
            );
            assert!(!event.last_event_id.contains('\0'), "{event:?}");
        }
    }
}
