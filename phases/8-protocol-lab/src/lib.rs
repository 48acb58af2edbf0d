//! # Phase 8 — The protocol lab: polling and webhooks on the event log
//!
//! Phases 2–6 pushed: a stream or a socket stays open and the server writes into it. Some
//! clients cannot hold one — a script run by cron, a corporate proxy that buffers
//! `text/event-stream`, an embedded device, another company's server — and some should
//! not. This phase serves the same board's event log over the oldest real-time technique
//! there is, asking, and shows how far plain HTTP goes when the log has a cursor:
//!
//! * **short polling**: `GET /boards/demo/poll?after=k3x9q1-41` answers at once with what
//!   is new, and an unchanged poll costs a `304` and one read of the head;
//! * **long polling**: the same request with `&wait_ms=20000` is held until the board
//!   publishes or the wait passes — one round trip of latency, like a stream.
//!
//! Both read the log phase 4 keeps (through its async [`phase_4_board::store::BoardStore`]),
//! with the log's own sequence number as the cursor, so a client that loops on `next`
//! never misses an event and never sees one twice.
//!
//! ## What this crate teaches
//! | concept | file |
//! |---|---|
//! | short vs long polling, what a held request costs, subscribe-then-read | [`poll`] |
//! | the cursor: a position in the log, and a reset when it is from another epoch | [`cursor`] |
//! | `ETag`, `If-None-Match`, `304` (RFC 9110 §8.8.3, §13.1.2, §15.4.5) | [`etag`] |
//! | waking a held request from the hub's fan-out, without a timer | [`wake`] |
//! | webhooks: signed deliveries, the log as the outbox, retries, SSRF rules | [`webhooks`] |
//! | the lab receiver: a webhook receiver in the server, for the lab page (`--lab-receiver`) | [`lab`] |
//! | the answers' TypeScript types, generated (`web/lib/generated/protocolLab.ts`) | [`generated`] |
//! | the limits: page size, longest wait, held requests, webhook retries | [`config`] |
//! | phase 8 as a module of a server | [`module`] |
//!
//! ## What it deliberately leaves out
//! HTTP/2 and HTTP/3, which change what a held request costs (a stream, not a
//! connection), are discussed in the chapter, not served.

#![forbid(unsafe_code)]

pub mod config;
pub mod cursor;
pub mod etag;
pub mod generated;
pub mod lab;
pub mod module;
pub mod poll;
pub mod wake;
pub mod webhooks;

pub use config::ProtocolLabConfig;
pub use module::ProtocolLab;
pub use poll::PollState;
pub use webhooks::Webhooks;

use phase_1_foundations::PhaseInfo;

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 8,
    slug: "protocol-lab",
    title: "Protocol lab",
};
