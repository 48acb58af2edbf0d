//! The server around the RFC core: the opening handshake on hyper's upgrade, one task per
//! connection, the registry of open connections, the [`session::Session`] seam that
//! applications plug into, the routes and the phase's composition.

pub mod app;
pub mod config;
pub mod connection;
pub mod echo;
pub mod handshake;
pub mod liveness;
pub mod registry;
pub mod routes;
pub mod session;
pub mod stats;
pub mod unsent;
