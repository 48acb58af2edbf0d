//! Phase 3's settings, in one place: flags with `LIVEBOARD_WS_*` environment variables.
//!
//! Every value says its default, its unit and what it trades; `--help` prints them too.
//! The frame codec's own size limits live in [`Limits`]; this struct is where the server
//! chooses them, next to the limits of the connection around the codec.
//!
//! The replay history belongs to the hub ([`phase_2_sse::HubLimits`]), which SSE streams
//! and WebSockets share — one board, one history. The slow-consumer budget does not: each
//! subscription brings its transport's own to the hub, `--ws-queue-bytes` here and
//! `--sse-queue-bytes` for event streams, because a WebSocket client and an `EventSource`
//! may deserve different slack.

use std::time::Duration;

use crate::rfc6455::limits::Limits;

// ANCHOR: ws_config
/// The settings of WebSocket connections.
#[derive(Debug, Clone, clap::Args)]
pub struct WsConfig {
    /// Largest payload accepted in one received frame, in bytes. Default 1 MiB.
    /// Checked from the frame header alone, before any payload is buffered (RFC 6455 §10.4).
    /// Larger lets bigger single-frame messages in; each connection may then pin more memory.
    #[arg(id = "ws-max-frame-bytes", long = "ws-max-frame-bytes", env = "LIVEBOARD_WS_MAX_FRAME_BYTES", default_value_t = Limits::MIB)]
    pub max_frame_bytes: usize,

    /// Largest message accepted after reassembling fragments, in bytes. Default 4 MiB.
    /// A peer crossing it is closed with 1009. Worst-case read memory per connection is
    /// about `max_frame_bytes + max_message_bytes`.
    #[arg(id = "ws-max-message-bytes", long = "ws-max-message-bytes", env = "LIVEBOARD_WS_MAX_MESSAGE_BYTES", default_value_t = 4 * Limits::MIB)]
    pub max_message_bytes: usize,

    /// Milliseconds we wait for the peer's Close after sending ours, before dropping TCP.
    /// Default 5 000. RFC 6455 §7.1.1 wants the server to close TCP first, but only after
    /// the handshake; a peer that never answers must not hold the socket forever. Shorter
    /// frees sockets sooner; too short and slow clients see 1006 instead of our code.
    #[arg(
        id = "ws-close-timeout-ms",
        long = "ws-close-timeout-ms",
        env = "LIVEBOARD_WS_CLOSE_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub close_timeout_ms: u64,

    /// Milliseconds one write may take before the peer is declared dead and TCP dropped.
    /// Default 30 000. A peer that stopped reading fills the kernel's buffers, then our
    /// write waits; once the hub cuts its queue at the byte budget the write is abandoned
    /// and the peer closed with 1013 within --ws-close-timeout-ms, so this deadline frees
    /// the socket of a peer stalled *before* a cut (e.g. on one large message). Shorter
    /// evicts such peers faster; too short cuts clients on slow links receiving a large
    /// message. (Phase 5 adds pings to find dead peers that are idle.)
    #[arg(
        id = "ws-send-timeout-ms",
        long = "ws-send-timeout-ms",
        env = "LIVEBOARD_WS_SEND_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub send_timeout_ms: u64,

    /// Bytes a connection may lag behind one board's stream before it is cut (close 1013).
    /// Default 1 MiB (Centrifugo's default). Each subscription brings this budget to the
    /// hub it shares with SSE, whose streams use `--sse-queue-bytes`. Larger absorbs
    /// longer stalls, at the cost of up to this much memory per subscription.
    #[arg(id = "ws-queue-bytes", long = "ws-queue-bytes", env = "LIVEBOARD_WS_QUEUE_BYTES", default_value_t = Limits::MIB)]
    pub queue_bytes: usize,

    /// Most WebSocket connections open at once. Default 9 000: below the HTTP server's
    /// 10 000 connections, because every WebSocket keeps its TCP connection. Past it, the
    /// upgrade is refused with `503 too_many_websockets` before any 101.
    #[arg(
        id = "ws-max-connections",
        long = "ws-max-connections",
        env = "LIVEBOARD_WS_MAX_CONNECTIONS",
        default_value_t = 9_000
    )]
    pub max_connections: usize,

    /// Most boards one connection may subscribe to at once. Default 16. Each costs a queue
    /// and a wake-up source in the connection's task.
    #[arg(
        id = "ws-max-boards-per-connection",
        long = "ws-max-boards-per-connection",
        env = "LIVEBOARD_WS_MAX_BOARDS_PER_CONNECTION",
        default_value_t = 16
    )]
    pub max_boards_per_connection: usize,

    /// Longest text accepted by a `publish` request, in characters. Default 500, like
    /// phase 2's `POST /boards/:board/messages`: a chat line, not a document.
    #[arg(
        id = "ws-max-text-chars",
        long = "ws-max-text-chars",
        env = "LIVEBOARD_WS_MAX_TEXT_CHARS",
        default_value_t = 500
    )]
    pub max_text_chars: usize,

    /// Let `/ws/echo` accept 16 MiB frames and messages (`Limits::for_conformance_testing`)
    /// for the Autobahn|Testsuite. Default off: each echo connection may then pin 32 MiB.
    #[arg(
        id = "ws-echo-conformance",
        long = "ws-echo-conformance",
        env = "LIVEBOARD_WS_ECHO_CONFORMANCE"
    )]
    pub echo_conformance: bool,
}
// ANCHOR_END: ws_config

impl Default for WsConfig {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self {
            max_frame_bytes: Limits::MIB,
            max_message_bytes: 4 * Limits::MIB,
            close_timeout_ms: 5_000,
            send_timeout_ms: 30_000,
            queue_bytes: Limits::MIB,
            max_connections: 9_000,
            max_boards_per_connection: 16,
            max_text_chars: 500,
            echo_conformance: false,
        }
    }
}

impl WsConfig {
    /// The codec limits for `/ws`.
    pub fn limits(&self) -> Limits {
        Limits {
            max_frame_payload: self.max_frame_bytes,
            max_message_size: self.max_message_bytes.max(self.max_frame_bytes),
        }
    }

    /// The codec limits for `/ws/echo`.
    pub fn echo_limits(&self) -> Limits {
        if self.echo_conformance {
            Limits::for_conformance_testing()
        } else {
            self.limits()
        }
    }

    /// How long to wait for the peer's Close.
    pub fn close_timeout(&self) -> Duration {
        Duration::from_millis(self.close_timeout_ms)
    }

    /// How long one write may take.
    pub fn send_timeout(&self) -> Duration {
        Duration::from_millis(self.send_timeout_ms.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The phase-3 binary's command line: every phase's settings side by side.
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        server: phase_1_foundations::ServerConfig,
        #[command(flatten)]
        sse: phase_2_sse::SseConfig,
        #[command(flatten)]
        ws: WsConfig,
    }

    #[test]
    fn the_flags_do_not_collide_with_phase_1_and_phase_2_flags() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::parse_from([
            "test",
            "--ws-max-connections",
            "7",
            "--max-connections",
            "9",
        ]);
        assert_eq!((cli.ws.max_connections, cli.server.max_connections), (7, 9));
    }

    #[test]
    fn the_default_impl_matches_the_command_line_defaults() {
        if std::env::vars().any(|(k, _)| k.starts_with("LIVEBOARD_WS_")) {
            return; // a developer's environment overrides the defaults
        }
        let parsed = Cli::parse_from(["test"]).ws;
        let d = WsConfig::default();
        assert_eq!(parsed.max_frame_bytes, d.max_frame_bytes);
        assert_eq!(parsed.max_message_bytes, d.max_message_bytes);
        assert_eq!(parsed.close_timeout_ms, d.close_timeout_ms);
        assert_eq!(parsed.send_timeout_ms, d.send_timeout_ms);
        assert_eq!(parsed.queue_bytes, d.queue_bytes);
        assert_eq!(parsed.max_connections, d.max_connections);
        assert_eq!(
            parsed.max_boards_per_connection,
            d.max_boards_per_connection
        );
        assert_eq!(parsed.max_text_chars, d.max_text_chars);
        assert_eq!(parsed.echo_conformance, d.echo_conformance);
    }

    #[test]
    fn the_default_codec_limits_are_the_codec_defaults() {
        assert_eq!(WsConfig::default().limits(), Limits::default());
        let echo = WsConfig {
            echo_conformance: true,
            ..WsConfig::default()
        };
        assert_eq!(echo.echo_limits(), Limits::for_conformance_testing());
    }
}
