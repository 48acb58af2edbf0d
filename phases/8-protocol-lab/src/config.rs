//! Phase 8's settings: how much a poll answers and how long, and how many, requests may be
//! held. Flags with `LIVEBOARD_POLL_*` environment variables; every value says its
//! default, its unit and what it trades.

// ANCHOR: poll_config
/// The settings of phase 8.
#[derive(Debug, Clone, clap::Args)]
pub struct ProtocolLabConfig {
    /// Most events one poll answers, 1–10 000. Default 500. A client further behind gets
    /// a page and `"more": true`, and asks again from `next`: one answer never holds a
    /// whole log in memory. Larger: fewer round trips to catch up, bigger answers.
    #[arg(
        long = "poll-max-events",
        env = "LIVEBOARD_POLL_MAX_EVENTS",
        default_value_t = 500,
        value_parser = clap::value_parser!(u64).range(1..=10_000)
    )]
    pub max_events: u64,

    /// Longest a long poll is held, in milliseconds: a larger `wait_ms` is cut to this.
    /// Default 25 000, under the 30 s after which many proxies and load balancers drop an
    /// idle response. Longer: fewer empty answers; shorter: survives stricter proxies.
    #[arg(
        long = "poll-max-wait-ms",
        env = "LIVEBOARD_POLL_MAX_WAIT_MS",
        default_value_t = 25_000
    )]
    pub max_wait_ms: u64,

    /// Most long polls held at once, over all boards. Default 1 000. Each holds a
    /// connection, a task and a hub subscription; past the cap a long poll is refused
    /// with `503` and `Retry-After` (short polls, which hold nothing, are still served).
    /// 0 turns long polling off.
    #[arg(
        long = "poll-max-held",
        env = "LIVEBOARD_POLL_MAX_HELD",
        default_value_t = 1_000
    )]
    pub max_held: usize,
}
// ANCHOR_END: poll_config

impl Default for ProtocolLabConfig {
    fn default() -> Self {
        Self {
            max_events: 500,
            max_wait_ms: 25_000,
            max_held: 1_000,
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
        config: ProtocolLabConfig,
    }

    #[test]
    fn the_defaults_on_the_command_line_are_the_defaults_in_code() {
        let parsed = Cli::parse_from(["phase-8"]).config;
        let default = ProtocolLabConfig::default();
        assert_eq!(parsed.max_events, default.max_events);
        assert_eq!(parsed.max_wait_ms, default.max_wait_ms);
        assert_eq!(parsed.max_held, default.max_held);
    }

    #[test]
    fn a_page_of_no_events_is_refused_at_start() {
        assert!(Cli::try_parse_from(["phase-8", "--poll-max-events", "0"]).is_err());
    }
}
