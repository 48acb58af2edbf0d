//! The board protocol on top of a connection: a typed JSON envelope ([`protocol`]), the
//! `/ws` session that speaks it ([`session`]), a hub event as one text frame
//! ([`ws_format`]) and the TypeScript generated from the Rust types ([`generated`]).

pub mod generated;
pub mod protocol;
pub mod session;
pub mod ws_format;
