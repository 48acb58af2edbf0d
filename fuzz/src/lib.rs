//! What each of Liveboard's parsers must guarantee for **any** input, one function per
//! fuzz target. The functions panic when a guarantee breaks; "no panic" alone is the
//! weakest of them.
//!
//! Two callers share them, so a finding is checked the same way everywhere:
//!
//! * the cargo-fuzz targets in `fuzz/targets/fuzz_targets/` (nightly, libFuzzer), which search
//!   for inputs that break them (`make fuzz`);
//! * this crate's test `tests/corpus.rs` (stable, part of `cargo test --workspace`),
//!   which replays the committed seed corpus and every input a fuzzer ever found
//!   (`fuzz/regressions/`), so CI exercises each finding forever.
//!
//! | function | parser | guarantees beyond "no panic" |
//! |---|---|---|
//! | [`websocket_frames`] | phase 3's RFC 6455 frame decoder | never consumes more than it was given; a decoded frame re-encodes to exactly the bytes it came from; splitting the input anywhere changes nothing |
//! | [`websocket_handshake`] | phase 3's upgrade request checks | an accepted handshake has one valid key, the right `Sec-WebSocket-Accept`, an allowed origin, and a subprotocol the client offered |
//! | [`board_envelope`] | phase 3's `RequestEnvelope::parse` | an accepted envelope has a `type`; a refusal carries the id only when there was one |
//! | [`note_request`] | phase 4's note requests and rules | a validated change respects every limit the rules state; its JSON round-trips |
//! | [`event_stream`] | phase 2's SSE parser | splitting the stream anywhere yields the same events, comments and retries |

#![forbid(unsafe_code)]

mod board;
mod event_stream;
mod handshake;
mod websocket;

pub use board::{board_envelope, note_request};
pub use event_stream::event_stream;
pub use handshake::websocket_handshake;
pub use websocket::websocket_frames;

/// A check: panics when `data` breaks a guarantee of its parser.
pub type Check = fn(&[u8]);

/// The fuzz targets by name (the names of `fuzz/targets/fuzz_targets/*.rs` and of the corpus
/// folders), with their checks.
pub const TARGETS: [(&str, Check); 5] = [
    ("websocket_frames", websocket_frames),
    ("websocket_handshake", websocket_handshake),
    ("board_envelope", board_envelope),
    ("note_request", note_request),
    ("event_stream", event_stream),
];

/// The first byte as a split point into the rest: the inputs' way of choosing where a
/// chunk boundary falls.
fn split_point(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((&at, rest)) if !rest.is_empty() => (usize::from(at) % rest.len(), rest),
        Some((_, rest)) => (0, rest),
        None => (0, data),
    }
}
