//! The RFC 6455 core: everything a WebSocket endpoint needs to speak the protocol, and
//! nothing about HTTP servers, hubs or boards. No module here imports phase 1 or 2.
//!
//! ## Layers
//!
//! The modules form layers, each importing only from the layers below it (no cycles), so
//! they can be read — and tested — bottom-up:
//!
//! | layer | module | imports from this crate |
//! |---|---|---|
//! | 0 | [`opcode`]: the opcode table (§5.2) | nothing |
//! | 0 | [`mask`] (§5.3), [`limits`] (§10.4), [`utf8`] (§8.1), [`accept`] (§4.2.2) | nothing |
//! | 1 | [`close`]: the close-code table (§7.4) | `opcode` (the 125-byte control limit) |
//! | 2 | [`frame`]: one frame as a value (§5.2) | `opcode`, `close` |
//! | 3 | [`error`]: every violation and its close code | `close`, `frame` |
//! | 4 | [`codec`]: bytes ⇄ frames | `opcode`, `frame`, `error`, `mask`, `limits` |
//! | 4 | [`message`]: frames ⇄ messages, Close bodies | `opcode`, `close`, `frame`, `error`, `limits`, `utf8` |
//!
//! * [`opcode`] and [`close`] are the tables: plain data and lookups, no errors (`close`
//!   takes only the control-frame size limit from `opcode`);
//! * [`frame`] builds frames from them;
//! * [`error`] names every violation, with the close code from the table and the Close
//!   [`frame::Frame`] to send;
//! * the functions that *read* untrusted bytes, and so can fail with a
//!   [`error::ProtocolError`], live at the top: the frame header in [`codec`], a Close
//!   frame's body in [`message`] (`parse_close_payload`), UTF-8 via [`utf8`].

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
