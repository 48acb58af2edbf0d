//! Phase 2's limits, in one place: flags with `LIVEBOARD_SSE_*` environment variables.
//!
//! Every value says its default, its unit and what it trades. `--help` prints them too.

use std::time::Duration;

use crate::hub::HubLimits;

// ANCHOR: sse_config
/// The settings of event streams, their hub and presence.
#[derive(Debug, Clone, clap::Args)]
pub struct SseConfig {
    /// Milliseconds of silence after which a stream gets a `: keep-alive` comment.
    /// Default 15 000. Proxies and load balancers close connections idle for 30–120 s
    /// (nginx `proxy_read_timeout` 60 s, AWS ALB 60 s); a comment every 15 s keeps the
    /// stream open for about 1 byte/s, and also reveals a dead client (the write fails).
    /// Shorter costs wake-ups on every idle stream; longer risks proxy timeouts. A write
    /// still blocked after twice this interval closes the stream: nobody is reading.
    #[arg(
        long = "sse-keepalive-ms",
        env = "LIVEBOARD_SSE_KEEPALIVE_MS",
        default_value_t = 15_000
    )]
    pub keepalive_ms: u64,

    /// Milliseconds the browser should wait before reconnecting, sent as `retry:` when a
    /// stream opens. Default 2 000. Shorter recovers faster; but every client gets the
    /// same value, so after a restart they all come back together (phase 5 adds jitter).
    #[arg(
        long = "sse-retry-ms",
        env = "LIVEBOARD_SSE_RETRY_MS",
        default_value_t = 2_000
    )]
    pub retry_ms: u64,

    /// Bytes one stream may lag behind before it is cut as a slow consumer. Default
    /// 1 MiB (Centrifugo's default). Larger absorbs longer stalls, at the cost of up to
    /// this much memory per stream. (WebSockets on the same hub have their own budget,
    /// `--ws-queue-bytes`.)
    #[arg(long = "sse-queue-bytes", env = "LIVEBOARD_SSE_QUEUE_BYTES", default_value_t = 1024 * 1024)]
    pub queue_bytes: usize,

    /// Events kept per board for `Last-Event-ID` replay. Default 1 024. A client away for
    /// more events than this gets a `reset` and reloads; more costs memory per board.
    #[arg(
        long = "sse-history",
        env = "LIVEBOARD_SSE_HISTORY",
        default_value_t = 1024
    )]
    pub history: usize,

    /// Most open streams on one board. Default 1 000. Past it, `503 too_many_streams`:
    /// one noisy board cannot take every connection of the server.
    #[arg(
        long = "sse-max-streams-per-board",
        env = "LIVEBOARD_SSE_MAX_STREAMS_PER_BOARD",
        default_value_t = 1_000
    )]
    pub max_streams_per_board: usize,

    /// Most open streams in total. Default 9 000: below the server's 10 000 connections
    /// (`--max-connections`), because each stream holds a whole HTTP/1.1 connection and
    /// some must stay free for ordinary requests (posting a message!).
    #[arg(
        long = "sse-max-streams",
        env = "LIVEBOARD_SSE_MAX_STREAMS",
        default_value_t = 9_000
    )]
    pub max_streams: usize,

    /// Longest message text accepted by `POST /boards/:board/messages`, in characters.
    /// Default 500: a chat line, not a document. (The body as a whole is limited by
    /// four times that in bytes, UTF-8's worst case, plus room for the JSON around it,
    /// and never more than `--max-body-bytes`.)
    #[arg(
        long = "sse-max-message-chars",
        env = "LIVEBOARD_SSE_MAX_MESSAGE_CHARS",
        default_value_t = 500
    )]
    pub max_message_chars: usize,
}
// ANCHOR_END: sse_config

impl Default for SseConfig {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self {
            keepalive_ms: 15_000,
            retry_ms: 2_000,
            queue_bytes: 1024 * 1024,
            history: 1024,
            max_streams_per_board: 1_000,
            max_streams: 9_000,
            max_message_chars: 500,
        }
    }
}

impl SseConfig {
    /// The keep-alive interval as a [`Duration`] (at least 1 ms).
    pub fn keepalive(&self) -> Duration {
        Duration::from_millis(self.keepalive_ms.max(1))
    }

    /// The hub limits these settings imply.
    pub fn hub_limits(&self) -> HubLimits {
        HubLimits {
            history: self.history,
        }
    }

    /// The largest `POST .../messages` body, in bytes: what `max_message_chars` needs,
    /// never more than the server's `--max-body-bytes`.
    pub fn max_message_body_bytes(&self, server_max_body_bytes: usize) -> usize {
        (self.max_message_chars * 4 + 1024).min(server_max_body_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sse: SseConfig,
    }

    #[test]
    fn the_default_impl_matches_the_command_line_defaults() {
        if std::env::vars().any(|(k, _)| k.starts_with("LIVEBOARD_SSE_")) {
            return; // a developer's environment overrides the defaults
        }
        let parsed = Cli::parse_from(["test"]).sse;
        let default = SseConfig::default();
        assert_eq!(parsed.keepalive_ms, default.keepalive_ms);
        assert_eq!(parsed.retry_ms, default.retry_ms);
        assert_eq!(parsed.queue_bytes, default.queue_bytes);
        assert_eq!(parsed.history, default.history);
        assert_eq!(parsed.max_streams_per_board, default.max_streams_per_board);
        assert_eq!(parsed.max_streams, default.max_streams);
        assert_eq!(parsed.max_message_chars, default.max_message_chars);
    }

    #[test]
    fn flags_set_each_limit() {
        let c = Cli::parse_from(["test", "--sse-keepalive-ms", "50", "--sse-history", "3"]).sse;
        assert_eq!(c.keepalive(), Duration::from_millis(50));
        assert_eq!(c.hub_limits().history, 3);
    }
}
