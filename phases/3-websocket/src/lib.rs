//! # Phase 3: WebSocket, byte by byte
//!
//! This crate implements the framing layer of **RFC 6455, The WebSocket Protocol** from
//! scratch, small enough to read in an afternoon and strict enough to serve real browsers.
//! Liveboard's phase-3 server (and, later, the backend) uses it for every WebSocket
//! connection; phase 6 puts tokio-tungstenite beside it.
//!
//! ## What it teaches
//!
//! * **The handshake's proof** ([`accept`](rfc6455::accept), §1.3, §4.2.2): why the server hashes the client's
//!   nonce with a fixed GUID.
//! * **Framing** ([`frame`](rfc6455::frame), [`opcode`](rfc6455::opcode), [`codec`](rfc6455::codec), §5.2): FIN, RSV, opcodes, 7/16/64-bit
//!   lengths and the rule that they be minimal, read incrementally from a `BytesMut` as a
//!   `tokio_util::codec` decoder that never trusts a length before checking it.
//! * **Masking** ([`mask`](rfc6455::mask), §5.3, §10.3): why clients mask, why servers must reject unmasked
//!   frames, and the naive versus word-at-a-time implementation.
//! * **Fragmentation and control frames** ([`message`](rfc6455::message), §5.4, §5.5): reassembling messages
//!   while pings and pongs arrive between the fragments.
//! * **UTF-8 one fragment at a time** ([`utf8`](rfc6455::utf8), §5.6, §8.1): code points split across
//!   fragments, failing fast on invalid bytes.
//! * **Closing** ([`close`](rfc6455::close), §5.5.1, §7): status codes, the one close-code table shared with
//!   the web client, and the reconnect verdict behind each code.
//! * **Limits** ([`limits`](rfc6455::limits), §10.4): how a server stays alive when clients lie about sizes.
//! * **Errors a student can act on** ([`error`](rfc6455::error)): every violation names the clause it breaks
//!   and maps to the close code to send.
//! * **The opening handshake on hyper** ([`handshake`](server::handshake), §4): every header checked, each
//!   refusal a JSON error with the right status (400/403/405/426), `Origin` checked because
//!   CORS does not protect WebSockets, subprotocol negotiation, hyper's upgrade.
//! * **A connection** ([`connection`](server::connection), §5.5, §7): one task reading frames, answering pings,
//!   writing everything queued in one vectored write, closing in both directions with a
//!   deadline.
//! * **A seam under the application** ([`transport`](server::transport)): what the hub, the
//!   board protocol, heartbeat and shutdown need from a connection — messages, not frames
//!   ([`Outgoing`]) — so that another transport (phase 6: tokio-tungstenite) can serve the
//!   same sessions, and why the seam was cut only once the fast paths were measured.
//! * **Backpressure** ([`connection`](server::connection), [`registry`](server::registry)): broadcasts come through phase 2's hub
//!   in byte-bounded queues, encoded once ([`ws_format`](board::ws_format)); a slow consumer is cut with 1013,
//!   never buffered for.
//! * **An application protocol** ([`protocol`](board::protocol), [`board::session`]): a typed JSON envelope, requests
//!   answered by `ack` or `error`, with TypeScript generated from the Rust types
//!   ([`generated`](board::generated)).
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
//! ## Modules: three layers
//!
//! The crate is three folders, each depending only on the ones above it:
//!
//! **[`rfc6455`] — the protocol itself** (no HTTP server, no hub: nothing from phases 1–2)
//!
//! | module      | holds                                                                   |
//! |-------------|-------------------------------------------------------------------------|
//! | [`rfc6455::opcode`]  | [`OpCode`]: the six defined opcodes; the control-frame size limit |
//! | [`rfc6455::close`]   | [`CloseCode`] table, [`ReconnectVerdict`], building a Close payload |
//! | [`rfc6455::frame`]   | [`Frame`] and its constructors                                 |
//! | [`rfc6455::error`]   | [`ProtocolError`] and the close code each error sends          |
//! | [`rfc6455::mask`]    | masking, naive and word-at-a-time                              |
//! | [`rfc6455::limits`]  | [`Limits`]: frame and message size limits with their defaults   |
//! | [`rfc6455::codec`]   | [`FrameCodec`]: `Decoder`/`Encoder`, roles, encode-once broadcasts |
//! | [`rfc6455::utf8`]    | [`Utf8Validator`]: incremental UTF-8 validation                 |
//! | [`rfc6455::message`] | [`MessageAssembler`] and [`Message`]: frames to messages; reading a Close payload |
//! | [`rfc6455::accept`]  | `Sec-WebSocket-Accept` computation, `Sec-WebSocket-Key` validation |
//!
//! Tables at the bottom, readers of untrusted bytes at the top: the import graph is a DAG
//! (see [`rfc6455`]).
//!
//! **[`server`] — a WebSocket server on phase 1's HTTP server and phase 2's hub**
//!
//! | module      | holds                                                                   |
//! |-------------|-------------------------------------------------------------------------|
//! | [`server::handshake`]  | upgrade request checks, subprotocol choice, the 101 response |
//! | [`server::outgoing`]   | [`Outgoing`]: a message for one client; [`BroadcastFraming`] |
//! | [`server::session`]    | [`Session`]: what runs inside a connection; [`SessionContext`], [`BoardFeed`] |
//! | [`server::transport`]  | [`WsTransport`]: what serves a connection; what a transport must do |
//! | [`server::feeds`]      | waiting on a connection's boards, the slow-consumer cut and its 1013 |
//! | [`server::connection`] | [`HandRolled`]: the connection loop: read, ping/pong, coalesced writes, closing |
//! | [`server::registry`]   | [`ConnectionRegistry`]: connection limit, direct sends, close requests |
//! | [`server::stats`]      | [`WsStats`]: counters served by `GET /ws/stats`               |
//! | [`server::echo`]       | [`EchoSession`] for `/ws/echo`                                |
//! | [`server::config`]     | [`WsConfig`]: `LIVEBOARD_WS_*` flags with defaults            |
//! | [`server::routes`]     | [`routes()`] and [`WsState`]: `/ws`, `/ws/echo`, `/ws/stats`   |
//! | [`server::app`]        | [`WebSocket`]: phase 3 as a module of a server              |
//!
//! **[`board`] — the board protocol spoken over a connection**
//!
//! | module      | holds                                                                   |
//! |-------------|-------------------------------------------------------------------------|
//! | [`board::protocol`]  | the envelope, requests, events (serde + ts-rs)                  |
//! | [`board::session`]   | [`BoardSession`] for `/ws`: subscribe, publish, ping; extension point |
//! | [`board::ws_format`] | [`WsFormat`]: a hub event as one text frame (or payload), encoded once |
//! | [`board::generated`] | the TypeScript files generated into `web/lib/generated/`        |
//!
//! With the `conformance` feature, `conformance` holds the close, interop and board-protocol
//! cases as one suite any transport can run (`conformance_suite!`).
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

pub mod board;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod rfc6455;
pub mod server;

pub use rfc6455::accept::{accept_key, is_valid_client_key, WEBSOCKET_GUID};
pub use rfc6455::close::{
    close_code_table, is_valid_received_code, CloseCode, CloseCodeInfo, CloseFrame,
    ReconnectVerdict,
};
pub use rfc6455::codec::{
    encode_server_frame, server_frame_header, EncodedFrame, FrameCodec, MaskKeySource,
    RandomMaskKeys, Role, MAX_HEADER_LEN,
};
pub use rfc6455::error::ProtocolError;
pub use rfc6455::frame::Frame;
pub use rfc6455::limits::Limits;
pub use rfc6455::mask::{apply_mask, apply_mask_at, apply_mask_naive};
pub use rfc6455::message::{parse_close_payload, Message, MessageAssembler};
pub use rfc6455::opcode::{OpCode, MAX_CONTROL_PAYLOAD};
pub use rfc6455::utf8::{Utf8Error, Utf8Validator};

pub use board::session::{BoardExtension, BoardSession, Greeting};
pub use board::ws_format::WsFormat;
pub use server::app::WebSocket;
pub use server::config::WsConfig;
pub use server::connection::HandRolled;
pub use server::echo::EchoSession;
pub use server::outgoing::{BroadcastFraming, Outgoing};
pub use server::registry::ConnectionRegistry;
pub use server::routes::{routes, BoardExtensionFactory, WsState};
pub use server::session::{BoardFeed, Session, SessionContext};
pub use server::stats::WsStats;
pub use server::transport::{AcceptedConnection, ConnectionOptions, WsTransport};

use phase_1_foundations::PhaseInfo;

/// This phase, as `/health` lists it.
pub const PHASE: PhaseInfo = PhaseInfo {
    number: 3,
    slug: "websocket",
    title: "WebSocket",
};
