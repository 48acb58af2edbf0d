//! Webhooks: the board's log pushed to another server, one signed `POST` per event.
//!
//! The building blocks come first: how a delivery is signed and a receiver verifies it
//! ([`signature`]; `examples/webhook_receiver.py` does the same with Python's standard
//! library), where a hook may point ([`target`], the rules against server-side request
//! forgery), and where hooks, their cursors and their delivery logs are kept ([`store`]).

pub mod signature;
pub mod store;
pub mod target;
