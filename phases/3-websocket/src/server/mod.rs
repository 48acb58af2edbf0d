//! The server around the RFC core: the opening handshake on hyper's upgrade, the
//! [`transport::WsTransport`] seam that serves a connection after it (phase 3's own
//! transport: one task per connection, [`connection`]), the registry of open connections,
//! the [`session::Session`] seam that applications plug into, the routes and the phase's
//! composition.

pub mod app;
pub mod config;
pub mod connection;
pub mod echo;
pub mod feeds;
pub mod handshake;
pub mod liveness;
pub mod outgoing;
pub mod registry;
pub mod routes;
pub mod session;
pub mod stats;
pub mod transport;
pub mod unsent;
