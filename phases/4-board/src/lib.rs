//! # Phase 4 — The board
//!
//! The product the phases exist for: a board of notes several people edit at once. Phase 3
//! gave us a connection and a protocol; this phase gives the board **state**, and with
//! state come the three questions every collaborative app must answer:
//!
//! * **Ordering** — in which order did the changes happen? Every accepted change gets the
//!   board's next **sequence number** in an **event log**, and everybody sees the changes
//!   in that order, live or replayed, over WebSocket or SSE, before or after a restart.
//! * **Idempotency** — a client that lost an ack cannot know whether its change was
//!   applied. It sends it again with the same **op id**; the server answers with the
//!   first ack and applies nothing twice.
//! * **Conflicts** — two people change the same note at once. A change names the version
//!   it was based on, and a **per-field rule** decides ([`rules`]).
//!
//! Then it makes the answers durable: SQLite, `fsync` before every ack.
//!
//! ## What this crate teaches
//! | concept | file |
//! |---|---|
//! | a note, client-chosen ids, fractional order | [`note`] |
//! | the protocol: requests, acks, typed errors, events (TypeScript generated) | [`protocol`], [`generated`] |
//! | validation and the conflict rule, as pure functions | [`rules`] |
//! | the event as logged and broadcast, with a human summary | [`events`] |
//! | the store seam (async); one change = one transaction | [`store`] |
//! | SQLite: WAL, `synchronous=FULL`, what fsync buys | [`sqlite`] |
//! | the same store in memory | [`memory`] |
//! | a blocking store behind the async seam: where each call runs | [`embedded`] |
//! | the log as the hub's history: replays across restarts | [`history`] |
//! | one writer thread: commit, publish, answer — in order | [`writer`] |
//! | where an accepted change is published: this hub, or every server's | [`publish`] |
//! | note requests on phase 3's `/ws`, answered after the commit | [`extension`] |
//! | a per-connection token bucket | [`rate`] |
//! | every limit with default and trade-off | [`config`] |
//! | `GET /boards`, `GET /boards/:board` | [`routes`] |
//! | signed sessions: who a person is, decided by the server | [`identity`] |
//! | private boards, share links (edit or view), revoking | [`access`], [`access_routes`], [`access_sqlite`] |
//! | phase 4 as a module: the log's hub and the notes on `/ws` for earlier phases | [`app`] |
//! | note ops built in one line for store tests, here and in later phases (feature `testing`) | `testing` |
//!
//! ## What it deliberately leaves out
//! Accounts and passwords (a session is a name the server signed, not a proven
//! identity: see the security chapter), rich text and
//! character-level merging (CRDTs/OT: a text edit here replaces the text, and concurrent
//! edits of one text conflict), group commit, expiring op-id records, and sharing a board
//! between servers (phase 7 puts a shared store behind [`store::BoardStore`] and a message
//! bus behind [`publish::BoardPublisher`]).
//!
//! ## Using it
//! ```no_run
//! # async fn demo() -> std::process::ExitCode {
//! use phase_1_foundations::{Composition, ServerConfig};
//! use phase_2_sse::{Sse, SseConfig};
//! use phase_3_websocket::{WebSocket, WsConfig};
//! use phase_4_board::{Board, BoardConfig};
//!
//! Composition::new(ServerConfig::default())
//!     .module(Sse::new(SseConfig::default()))
//!     .module(WebSocket::new(WsConfig::default()))
//!     .module(Board::new(BoardConfig::default()))
//!     .run()
//!     .await
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod access;
pub mod access_routes;
pub mod access_sqlite;
pub mod app;
pub mod config;
pub mod embedded;
pub mod events;
pub mod extension;
pub mod generated;
pub mod history;
pub mod identity;
pub mod memory;
pub mod note;
pub mod protocol;
pub mod publish;
pub mod rate;
pub mod routes;
pub mod rules;
pub mod sqlite;
pub mod state;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod writer;

pub use app::Board;
pub use config::BoardConfig;
pub use extension::NotesExtension;
pub use note::Note;
pub use routes::routes;
pub use state::BoardState;
pub use store::BoardStore;

use phase_1_foundations::PhaseInfo;

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 4,
    slug: "board",
    title: "The board",
};
