//! # Phase 7 — Scale-out: many instances over a real bus and a shared store
//!
//! One server holds every connection of every board; a second server behind a load
//! balancer would hold half of them — and Ana, on server A, would never see what Bo does
//! on server B. A WebSocket or an event stream is *state held by one process*: copying the
//! process does not copy it. This phase keeps each connection where it is and moves the
//! two things every server must agree on out of the process:
//!
//! * **the board's log and notes** go to a shared store (Redis, [`redis_store`]), which
//!   decides every change atomically — the op-id check, the conflict rule, the next
//!   sequence number — so two servers never hand out the same number and a client
//!   resumes on any server;
//! * **the fan-out** goes over a message bus (NATS, [`bus`]): every server publishes the
//!   events it committed and hands the others' to its own hub, in order, filling any gap
//!   from the log.
//!
//! Phases 2–4 do not change: this module provides phase 4's seams (the
//! [`phase_4_board::store::BoardStore`] and the
//! [`phase_4_board::publish::BoardPublisher`]) before phase 4 takes them.
//!
//! ## What this crate teaches
//! | concept | file |
//! |---|---|
//! | a shared store that decides atomically: `WATCH`/`MULTI`/`EXEC` around phase 4's rules | [`redis_store`] |
//! | where each part of a board lives in Redis, and why a board counter | [`redis_keys`] |
//! | phase 4's transaction over values read ahead, its writes queued for `EXEC` | [`staged`] |
//! | pub/sub fan-out between servers, ordering, gaps filled from the log | [`bus`] |
//! | who is on a board across instances: remote tabs, heartbeats, expiry | [`presence`] |
//! | a link's state in `/health`, retries with phase 5's backoff | [`link`] |
//! | the settings | [`config`] |
//! | phase 7 as a module of a server, listed first | [`module`] |
//! | a real `redis-server` and `nats-server` for tests (feature `testing`) | `testing` |

#![forbid(unsafe_code)]

pub mod bus;
pub mod config;
pub mod link;
pub mod module;
pub mod presence;
pub mod redis_keys;
pub mod redis_store;
pub mod staged;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::ScaleOutConfig;
pub use module::ScaleOut;

use phase_1_foundations::PhaseInfo;

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 7,
    slug: "scale-out",
    title: "Scale-out",
};
