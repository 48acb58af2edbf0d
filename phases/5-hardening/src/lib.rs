//! # Phase 5 — Production hardening
//!
//! Phases 1–4 work on a good day. This phase is about the other days: the server restarts
//! and ten thousand clients come back at once; a laptop sleeps and its TCP connection dies
//! without a word; an orchestrator sends SIGTERM in the middle of a write.
//!
//! ## What this crate teaches
//! | concept | file |
//! |---|---|
//! | the reconnection contract: exponential backoff, full jitter that survives the cap, a counter reset only after a stable period, server hints | [`backoff`] |
//! | the server's heartbeat: pings and `heartbeat` messages from one shared task, dead peers closed within a deadline, first pings spread | [`heartbeat`] |
//! | what phase 5 adds to the wire: the connection policy, the app-level heartbeat, the retry hint in a close reason | [`protocol`] |
//! | graceful shutdown: retry hints spread over a window, against the thundering herd of a restart | [`shutdown`] |
//! | TypeScript generated from these types | [`generated`] |
//! | every setting with its default and trade-off | [`config`] |
//! | phase 5 as a module of the server | [`module`] |
//!
//! ## What it deliberately leaves out
//! Anything a library would hide: the point is to see each mechanism on its own.

#![forbid(unsafe_code)]

pub mod backoff;
pub mod config;
pub mod generated;
pub mod heartbeat;
pub mod module;
pub mod protocol;
pub mod shutdown;

pub use backoff::{BackoffPolicy, Jitter, ReconnectState};
pub use config::HardeningConfig;
pub use module::Hardening;

use phase_1_foundations::PhaseInfo;

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 5,
    slug: "hardening",
    title: "Production hardening",
};
