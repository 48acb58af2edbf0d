//! # Phase 1 — Foundations: an HTTP server we can read end to end
//!
//! Every later phase of Liveboard (Server-Sent Events, WebSocket, the board, scale-out)
//! is an HTTP request at its start: an `EventSource` is a `GET` that never ends, a
//! WebSocket is a `GET` with `Upgrade: websocket`. So before we push anything we build
//! the server those requests arrive at — on [`hyper`] 1.x, without a web framework, so
//! that every step a framework would hide is a file you can open.
//!
//! ## What this crate teaches
//! | concept | file |
//! |---|---|
//! | accept loop, one task per connection, stop accepting on shutdown, drain | [`server`] |
//! | limits against hostile clients: `503` past the caps, per-address counts, deadlines | [`refusal`], [`per_ip`], [`body`] |
//! | the client's address behind a reverse proxy: `X-Forwarded-For` from trusted proxies only | [`client_addr`] |
//! | long responses off hyper: the head written by hand, the body on the bare socket | [`handover`] |
//! | memory after load: count open sockets, hand freed memory back when they fall | [`memory_release`] |
//! | routing by method and path, path parameters, `404` / `405` + `Allow` | [`router`] |
//! | one error shape for every failure: `{"error":{"code","message"}}` | [`error`] |
//! | reading JSON safely: content type (`415`), size limit (`413`), parse errors with line/column (`400`) | [`json`] |
//! | CORS: why browsers ask, preflight, `Vary: Origin`, credentials for listed origins only | [`cors`] |
//! | signed cookies: HMAC-SHA256, constant-time checks, `HttpOnly; SameSite=Lax` | [`signed`] |
//! | one request's life: request id, span, CORS, dispatch, log line | [`app`] |
//! | `GET /health`: status, version, uptime, phases | [`health`] |
//! | configuration from flags and `LIVEBOARD_*` variables | [`config`] |
//! | structured logs with `tracing` | [`logging`] |
//! | a server as an ordered list of modules, one per phase; `--routes` | [`module`], [`composition`] |
//! | SIGTERM and SIGINT, one cancellation tree, the order a server stops in | [`shutdown`] |
//!
//! ## What it deliberately leaves out
//! TLS and HTTP/2 (a reverse proxy terminates them in production; HTTP/2 changes nothing
//! about what this book teaches until chapter 2's six-connection limit), who may
//! see which board (phase 4 decides it, with [`signed`] cookies), and any way for the server to *push*: that is exactly what HTTP request/response cannot
//! do, and what phases 2 and 3 add.
//!
//! ## Seams later phases use
//! * [`router::Router`] — phases add routes (`/events`, `/ws`, `/boards/:id`) to one router.
//! * [`body::Body`] — a boxed body type, so a handler may answer with a fixed JSON body or
//!   a never-ending SSE stream.
//! * [`module::Module`] — each phase crate exports one module (its configuration, routes,
//!   start and stop); [`composition::Composition`] makes a server of a list of them.
//! * [`health::PhaseInfo`] — each phase crate exports one, `/health` lists them.
//! * [`memory_release::MemoryRelease`] — the binary that knows its allocator says how to
//!   give memory back (`ServerConfig::memory_release`); phase 1 says when.

#![forbid(unsafe_code)]

pub mod app;
pub mod body;
pub mod client_addr;
pub mod composition;
pub mod config;
pub mod cors;
pub mod error;
pub mod handover;
pub mod health;
pub mod human;
pub mod json;
pub mod logging;
pub mod memory_release;
pub mod module;
pub mod per_ip;
pub mod refusal;
pub mod retry;
pub mod router;
pub mod server;
pub mod shutdown;
pub mod signed;
pub mod testing;

pub use app::App;
pub use body::Body;
pub use composition::Composition;
pub use config::ServerConfig;
pub use error::ApiError;
pub use health::PhaseInfo;
pub use module::{Module, Services, StartError};
pub use retry::RetryAdvice;
pub use router::{Params, Router};
pub use shutdown::{ShutdownAdvice, ShutdownTree};

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 1,
    slug: "foundations",
    title: "Foundations",
};
