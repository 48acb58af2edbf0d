//! The RFC 6455 core: everything a WebSocket endpoint needs to speak the protocol, and
//! nothing about HTTP servers, hubs or boards. No module here imports phase 1 or 2.
//!
//! Read it bottom-up: [`opcode`] and [`close`] (the tables), [`frame`] (one frame as a
//! value), [`mask`] and [`codec`] (bytes ↔ frames), [`utf8`] and [`message`] (frames ↔
//! messages), [`error`] (every violation and the close code it sends), [`accept`] (the
//! handshake's proof) and [`limits`].

pub mod accept;
pub mod close;
pub mod codec;
pub mod error;
pub mod frame;
pub mod limits;
pub mod mask;
pub mod message;
pub mod opcode;
pub mod utf8;
