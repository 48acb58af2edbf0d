//! # Phase 6 — Third-party strategies
//!
//! Phases 1–5 wrote every byte of the WebSocket protocol by hand. This phase asks what a
//! library buys and what it costs, by measuring instead of guessing: tokio-tungstenite —
//! the Rust counterpart of Go's gorilla/websocket — serves the same board, through the
//! same hub, with the same handshake, heartbeat, backoff hints and shutdown, side by side
//! with phase 3's codec on one server. The same conformance suite and the same benchmark
//! run against both.
//!
//! It can do that without forking the app because phase 6 starts by cutting a seam in
//! phase 3 ([`phase_3_websocket::server::transport`]): what the hub, the board protocol,
//! heartbeat and shutdown need from "a WebSocket connection" — send a message, close with
//! a code, hand over each message and the end. Everything above the seam is shared;
//! below it, one transport is ours and one is a library's.
//!
//! ## What this crate teaches
//! | concept | file |
//! |---|---|
//! | a library behind the seam: what it does (frames, masks, pings, UTF-8) and what stays ours (handshake, fan-out, limits, closing policy) | [`tungstenite`] |
//! | a decorator on the seam: counting each transport's connections | [`counted`] |
//! | choosing the transport at run time, serving both side by side | [`config`], [`module`] |
//!
//! ## What it deliberately leaves out
//! A third transport (fastwebsockets, `axum`'s WebSocket): the seam takes one in about a
//! hundred lines, which the chapter leaves as an exercise.

#![forbid(unsafe_code)]

pub mod config;
pub mod counted;
pub mod module;
pub mod tungstenite;

pub use config::{ThirdPartyConfig, TransportChoice};
pub use module::ThirdParty;
pub use tungstenite::TungsteniteTransport;

use phase_1_foundations::PhaseInfo;

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 6,
    slug: "third-party",
    title: "Third-party strategies",
};
