//! # Phase 2 — Server-Sent Events and presence
//!
//! Phase 1's server can only answer. This crate makes it **push**: a browser opens
//! `new EventSource("/boards/demo/events")`, an ordinary `GET` whose response never ends,
//! and the server writes an event into it whenever something happens on the board. The
//! browser parses the stream, fires DOM events, and — the part students underestimate —
//! reconnects by itself after a drop, telling us the id of the last event it saw.
//!
//! ## What this crate teaches
//! | concept | file |
//! |---|---|
//! | the `text/event-stream` format, byte by byte (HTML §9.2) | [`sse`] |
//! | the browser's parsing algorithm, for tests and round trips | [`parser`] |
//! | a stream position `(epoch, seq)` and its wire form `epoch-seq` | [`position`] |
//! | a transport-agnostic hub: rooms, sequence, bounded history, replay-or-reset, fan-out | [`hub`] |
//! | per-connection queues bounded in bytes; cutting slow consumers; write coalescing | [`queue`] |
//! | waking a fan-out's subscribers from where a wake is cheap (a worker, not the writer thread) | [`wakeups`] |
//! | a never-ending response body: batches, keep-alive comments, a last word | [`stream`] |
//! | presence: one person, many tabs; full state, then diffs | [`presence`] |
//! | the routes, `Last-Event-ID` (header or query), limits as `503` | [`routes`], [`slots`] |
//! | who may look at a board: the seam a later phase fills with identities and rules | [`access`] |
//! | every limit with its default and trade-off | [`config`] |
//! | phase 2 as a module of a server: what it shares, starts and stops | [`module`] |
//!
//! ## What it deliberately leaves out
//! Persistence (history is in memory; a restart changes the epoch and clients `reset`),
//! authentication (presence trusts the name the browser sends), HTTP/2 (which lifts the
//! six-connections-per-origin limit; see the chapter), and client → server messages over
//! the stream: SSE is one-way, the browser posts with `fetch`. Phase 3's WebSocket plugs
//! into the same [`hub`] with its own [`hub::WireFormat`].
//!
//! ## Using it
//! ```no_run
//! # async fn demo() -> std::process::ExitCode {
//! use phase_1_foundations::{Composition, ServerConfig};
//! use phase_2_sse::{Sse, SseConfig};
//! Composition::new(ServerConfig::default())
//!     .module(Sse::new(SseConfig::default()))
//!     .run()
//!     .await
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod access;
pub mod board_name;
pub mod config;
pub mod hub;
pub mod module;
pub mod parser;
pub mod position;
pub mod presence;
pub mod query;
pub mod queue;
pub mod routes;
pub mod slots;
pub mod sse;
pub mod stream;
pub mod wakeups;

pub use config::SseConfig;
pub use hub::{Hub, HubLimits};
pub use module::Sse;
/// When a client should come back: phase 1's, re-exported where phase 2 first used it.
pub use phase_1_foundations::{retry, RetryAdvice};
pub use position::StreamPosition;
pub use routes::{routes, SseState};

use phase_1_foundations::PhaseInfo;

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 2,
    slug: "sse",
    title: "Server-Sent Events",
};
