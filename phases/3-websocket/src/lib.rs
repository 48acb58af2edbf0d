//! # Phase 3: WebSocket, byte by byte
//!
//! This crate implements the framing layer of **RFC 6455, The WebSocket Protocol** from
//! scratch, small enough to read in an afternoon and strict enough to serve real browsers.
//! Liveboard's phase-3 server (and, later, the backend) uses it for every WebSocket
//! connection; phase 6 puts tokio-tungstenite beside it.
//!
//! ## What it teaches
//!
//! * **The handshake's proof** ([`accept`], §1.3, §4.2.2): why the server hashes the client's
//!   nonce with a fixed GUID.
//! * **Framing** ([`frame`], [`opcode`], [`codec`], §5.2): FIN, RSV, opcodes, 7/16/64-bit
//!   lengths and the rule that they be minimal, read incrementally from a `BytesMut` as a
//!   `tokio_util::codec` decoder that never trusts a length before checking it.
//! * **Masking** ([`mask`], §5.3, §10.3): why clients mask, why servers must reject unmasked
//!   frames, and the naive versus word-at-a-time implementation.
//! * **Fragmentation and control frames** ([`message`], §5.4, §5.5): reassembling messages
//!   while pings and pongs arrive between the fragments.
//! * **UTF-8 one fragment at a time** ([`utf8`], §5.6, §8.1): code points split across
//!   fragments, failing fast on invalid bytes.
//! * **Closing** ([`close`], §5.5.1, §7): status codes, the one close-code table shared with
//!   the web client, and the reconnect verdict behind each code.
//! * **Limits** ([`limits`], §10.4): how a server stays alive when clients lie about sizes.
//! * **Errors a student can act on** ([`error`]): every violation names the clause it breaks
//!   and maps to the close code to send.
//! * **The opening handshake on hyper** ([`handshake`], §4): every header checked, each
//!   refusal a JSON error with the right status (400/403/405/426), `Origin` checked because
//!   CORS does not protect WebSockets, subprotocol negotiation, hyper's upgrade.
//! * **A connection** ([`connection`], §5.5, §7): one task reading frames, answering pings,
//!   writing everything queued in one vectored write, closing in both directions with a
//!   deadline.
//! * **Backpressure** ([`connection`], [`registry`]): broadcasts come through phase 2's hub
//!   in byte-bounded queues, encoded once ([`ws_format`]); a slow consumer is cut with 1013,
//!   never buffered for.
//! * **An application protocol** ([`protocol`], [`board`]): a typed JSON envelope, requests
//!   answered by `ack` or `error`, with TypeScript generated from the Rust types
//!   ([`generated`]).
//!
//! ## What it deliberately leaves out
//!
//! * heartbeats (server pings and a pong deadline), resume tokens and graceful draining in
//!   batches: phase 5;
//! * TLS (`wss://`): a reverse proxy terminates it;
//! * extensions, permessage-deflate (RFC 7692) included: RSV bits must be 0;
//! * streaming a frame's payload before it is complete (Autobahn's "fail fast inside a frame"
//!   cases report this as non-strict);
//! * a cryptographically strong masking key for the client role, which exists for tests.
//!
//! ## Modules
//!
//! | module      | holds                                                                   |
//! |-------------|-------------------------------------------------------------------------|
//! | [`accept`]  | `Sec-WebSocket-Accept` computation, `Sec-WebSocket-Key` validation        |
//! | [`opcode`]  | [`OpCode`]: the six defined opcodes, reserved ones rejected              |
//! | [`frame`]   | [`Frame`] and its constructors                                          |
//! | [`mask`]    | masking, naive and word-at-a-time                                       |
//! | [`limits`]  | [`Limits`]: frame and message size limits with their defaults            |
//! | [`codec`]   | [`FrameCodec`]: `Decoder`/`Encoder`, roles, encode-once broadcasts        |
//! | [`utf8`]    | [`Utf8Validator`]: incremental UTF-8 validation                          |
//! | [`message`] | [`MessageAssembler`] and [`Message`]: frames to messages                  |
//! | [`close`]   | [`CloseCode`] table, [`ReconnectVerdict`], Close payload parsing         |
//! | [`error`]   | [`ProtocolError`] and the close code each error sends                    |
//! | [`handshake`] | upgrade request checks, subprotocol choice, the 101 response           |
//! | [`session`] | [`Session`]: what runs inside a connection; [`Outbox`], [`Feed`]          |
//! | [`connection`] | the connection loop: read, ping/pong, coalesced writes, closing      |
//! | [`registry`] | [`ConnectionRegistry`]: connection limit, direct sends, close requests |
//! | [`stats`]   | [`WsStats`]: counters served by `GET /ws/stats`                          |
//! | [`echo`]    | [`EchoSession`] for `/ws/echo`                                           |
//! | [`protocol`] | the board protocol's envelope, requests, events (serde + ts-rs)        |
//! | [`ws_format`] | [`WsFormat`]: a hub event as one text frame, encoded once             |
//! | [`board`]   | [`BoardSession`] for `/ws`: subscribe, publish, ping; extension point     |
//! | [`generated`] | the TypeScript files generated into `web/lib/generated/`              |
//! | [`config`]  | [`WsConfig`]: `LIVEBOARD_WS_*` flags with defaults                       |
//! | [`mod@routes`] | [`routes()`] and [`WsState`]: `/ws`, `/ws/echo`, `/ws/stats`              |
//!
//! ## A complete round trip
//!
//! ```
//! use bytes::BytesMut;
//! use phase_3_websocket::{FrameCodec, Frame, Limits, Message, MessageAssembler};
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! // A client masks and encodes a text frame...
//! let mut client = FrameCodec::client_with_mask_keys(Limits::default(), || [0x37, 0xfa, 0x21, 0x3d]);
//! let mut wire = BytesMut::new();
//! client.encode(Frame::text("Hello"), &mut wire).unwrap();
//! // ... which is the masked example of RFC 6455 §5.7, byte for byte.
//! assert_eq!(&wire[..], [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
//!
//! // The server decodes the frame and assembles the message.
//! let mut server = FrameCodec::server(Limits::default());
//! let mut messages = MessageAssembler::new(Limits::default());
//! let frame = server.decode(&mut wire).unwrap().unwrap();
//! assert_eq!(messages.push(frame).unwrap(), Some(Message::Text("Hello".into())));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod accept;
pub mod app;
pub mod board;
pub mod close;
pub mod codec;
pub mod config;
pub mod connection;
pub mod echo;
pub mod error;
pub mod frame;
pub mod generated;
pub mod handshake;
pub mod limits;
pub mod mask;
pub mod message;
pub mod opcode;
pub mod protocol;
pub mod registry;
pub mod routes;
pub mod session;
pub mod stats;
pub mod utf8;
pub mod ws_format;

pub use accept::{accept_key, is_valid_client_key, WEBSOCKET_GUID};
pub use close::{
    close_code_table, is_valid_received_code, parse_close_payload, CloseCode, CloseCodeInfo,
    CloseFrame, ReconnectVerdict,
};
pub use codec::{
    encode_server_frame, EncodedFrame, FrameCodec, MaskKeySource, RandomMaskKeys, Role,
    MAX_HEADER_LEN,
};
pub use error::ProtocolError;
pub use frame::{Frame, MAX_CONTROL_PAYLOAD};
pub use limits::Limits;
pub use mask::{apply_mask, apply_mask_at, apply_mask_naive};
pub use message::{Message, MessageAssembler};
pub use opcode::OpCode;
pub use utf8::{Utf8Error, Utf8Validator};

pub use board::{BoardExtension, BoardSession};
pub use config::WsConfig;
pub use echo::EchoSession;
pub use registry::ConnectionRegistry;
pub use routes::{routes, WsState};
pub use session::{Feed, Outbox, Session};
pub use stats::WsStats;
pub use ws_format::WsFormat;

use phase_1_foundations::PhaseInfo;

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 3,
    slug: "websocket",
    title: "WebSocket",
};
