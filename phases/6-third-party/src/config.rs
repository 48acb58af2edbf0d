//! Phase 6's settings: which WebSocket transport serves `/ws`, and the one setting
//! tokio-tungstenite has that our transport does not. Flags with `LIVEBOARD_WS_*`
//! environment variables; every value says its default, its unit and what it trades.
//!
//! The limits both transports share — frame and message size, close and send deadlines,
//! the slow-consumer budget, the connection cap — stay phase 3's (`--ws-max-frame-bytes`
//! and the rest): the library is configured *from* them
//! ([`tungstenite_config`](crate::tungstenite::tungstenite_config)), so one flag means the
//! same thing whichever transport serves a connection.

// ANCHOR: third_party_config
/// The settings of phase 6.
#[derive(Debug, Clone, clap::Args)]
pub struct ThirdPartyConfig {
    /// Which transport serves `/ws` and `/ws/echo`: `hand-rolled` (phase 3's codec) or
    /// `tungstenite` (tokio-tungstenite). Default `hand-rolled`. Both are also served side
    /// by side, whatever this says, at `/ws/hand-rolled[/echo]` and
    /// `/ws/tungstenite[/echo]`, so a page or a test can compare them on one server.
    #[arg(
        long = "ws-transport",
        env = "LIVEBOARD_WS_TRANSPORT",
        value_enum,
        default_value_t = TransportChoice::HandRolled
    )]
    pub transport: TransportChoice,

    /// tokio-tungstenite's read buffer per connection, in bytes. Default 4 096, the size
    /// phase 3 reads in. The library's own default, 128 KiB, is allocated when a
    /// connection opens and kept for its life: 10,000 idle connections would hold 1.25 GiB.
    /// Larger reads a burst of big messages in fewer system calls.
    #[arg(
        long = "ws-tungstenite-read-buffer-bytes",
        env = "LIVEBOARD_WS_TUNGSTENITE_READ_BUFFER_BYTES",
        default_value_t = 4_096
    )]
    pub tungstenite_read_buffer_bytes: usize,
}
// ANCHOR_END: third_party_config

impl Default for ThirdPartyConfig {
    fn default() -> Self {
        Self {
            transport: TransportChoice::HandRolled,
            tungstenite_read_buffer_bytes: 4_096,
        }
    }
}

/// A WebSocket transport, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransportChoice {
    /// Phase 3's codec and connection loop, written from RFC 6455.
    HandRolled,
    /// tokio-tungstenite, behind the same seam.
    Tungstenite,
}

impl TransportChoice {
    /// Both, in the order pages and tables list them.
    pub const ALL: [TransportChoice; 2] =
        [TransportChoice::HandRolled, TransportChoice::Tungstenite];

    /// The name in paths (`/ws/<name>`), `/ws/stats` and logs.
    pub fn name(self) -> &'static str {
        match self {
            TransportChoice::HandRolled => "hand-rolled",
            TransportChoice::Tungstenite => "tungstenite",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: ThirdPartyConfig,
    }

    #[test]
    fn the_defaults_on_the_command_line_are_the_defaults_in_code() {
        let parsed = Cli::parse_from(["phase-6"]).config;
        let default = ThirdPartyConfig::default();
        assert_eq!(parsed.transport, default.transport);
        assert_eq!(
            parsed.tungstenite_read_buffer_bytes,
            default.tungstenite_read_buffer_bytes
        );
    }

    #[test]
    fn the_transport_flag_takes_the_names_used_in_paths() {
        for choice in TransportChoice::ALL {
            let parsed = Cli::parse_from(["phase-6", "--ws-transport", choice.name()]).config;
            assert_eq!(parsed.transport, choice);
        }
    }
}
