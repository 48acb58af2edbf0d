//! Phase 8's settings: how much a poll answers and how long, and how many, requests may be
//! held; how webhooks are delivered, retried, given up on and where they may go. Flags
//! with `LIVEBOARD_POLL_*` and `LIVEBOARD_WEBHOOK_*` environment variables; every value
//! says its default, its unit and what it trades.

use phase_5_hardening::backoff::{BackoffPolicy, Jitter};

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

    /// How webhooks are delivered.
    #[command(flatten)]
    pub webhooks: WebhookConfig,

    /// Serves the lab receiver (`/lab/receivers`): a webhook receiver inside the server,
    /// so the lab page can show deliveries arriving. Off by default: it lets anyone who
    /// can reach the server make (bounded, in-memory) receivers, and lets webhooks target
    /// this server's own receiver URLs (and nothing else private).
    #[arg(long = "lab-receiver", env = "LIVEBOARD_LAB_RECEIVER")]
    pub lab_receiver: bool,
}
// ANCHOR_END: poll_config

// ANCHOR: webhook_config
/// How webhooks are delivered, retried, given up on, and where they may go.
#[derive(Debug, Clone, clap::Args)]
/// (Each argument's `id` is prefixed: phase 5's settings already use `backoff_base_ms`.)
pub struct WebhookConfig {
    /// Attempts at one delivery before its webhook is disabled, 1–100. Default 8: with
    /// the default backoff, seven waits in windows of 1, 2, 4 … 64 s — a receiver down
    /// for up to about two minutes loses nothing. Each attempt after
    /// the first waits longer (`--webhook-backoff-*`); a disabled hook says why in its
    /// listing and delivers nothing until it is registered again.
    #[arg(
        id = "webhook_max_attempts",
        long = "webhook-max-attempts",
        env = "LIVEBOARD_WEBHOOK_MAX_ATTEMPTS",
        default_value_t = 8,
        value_parser = clap::value_parser!(u32).range(1..=100)
    )]
    pub max_attempts: u32,

    /// How long one delivery may take, connecting included, in milliseconds. Default
    /// 10 000. Past it the attempt failed (the receiver may still have acted on it:
    /// receivers drop duplicates by delivery id). Shorter frees the hook's queue sooner
    /// from a slow receiver; longer tolerates one.
    #[arg(
        id = "webhook_timeout_ms",
        long = "webhook-timeout-ms",
        env = "LIVEBOARD_WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub timeout_ms: u64,

    /// The window of the first retry of a failed delivery, in milliseconds (phase 5's
    /// backoff: the window doubles per failure up to the cap, the wait is drawn inside it).
    /// Default 1 000.
    #[arg(
        id = "webhook_backoff_base_ms",
        long = "webhook-backoff-base-ms",
        env = "LIVEBOARD_WEBHOOK_BACKOFF_BASE_MS",
        default_value_t = 1_000
    )]
    pub backoff_base_ms: u64,

    /// The largest retry window of a failed delivery, in milliseconds. Default 300 000:
    /// a receiver that stays down is asked about once every few minutes.
    #[arg(
        id = "webhook_backoff_cap_ms",
        long = "webhook-backoff-cap-ms",
        env = "LIVEBOARD_WEBHOOK_BACKOFF_CAP_MS",
        default_value_t = 300_000
    )]
    pub backoff_cap_ms: u64,

    /// Most webhooks one board may have. Default 16. Each is a task, a hub subscription
    /// and an outgoing request per event.
    #[arg(
        id = "webhook_max_per_board",
        long = "webhook-max-per-board",
        env = "LIVEBOARD_WEBHOOK_MAX_PER_BOARD",
        default_value_t = 16
    )]
    pub max_per_board: usize,

    /// Lets webhooks target loopback, private (RFC 1918, fc00::/7), link-local,
    /// unspecified and multicast addresses. Off by default: a webhook is a request the
    /// *server* makes, and without this rule anyone who may register one could make it
    /// call the services inside its network (SSRF). On for a receiver on the same machine
    /// (development, tests).
    #[arg(
        id = "webhook_allow_private_targets",
        long = "webhook-allow-private-targets",
        env = "LIVEBOARD_WEBHOOK_ALLOW_PRIVATE_TARGETS"
    )]
    pub allow_private_targets: bool,
}
// ANCHOR_END: webhook_config

impl WebhookConfig {
    /// The retry schedule of failed deliveries: phase 5's contract with these windows
    /// (full jitter, doubling; the smallest wait is a tenth of the first window).
    pub fn backoff(&self) -> BackoffPolicy {
        let base = self.backoff_base_ms as f64;
        BackoffPolicy {
            base_ms: base,
            factor: 2.0,
            cap_ms: self.backoff_cap_ms.max(self.backoff_base_ms) as f64,
            min_ms: base / 10.0,
            jitter: Jitter::Full,
            stable_after_ms: 0.0,
        }
    }
}

impl Default for ProtocolLabConfig {
    fn default() -> Self {
        Self {
            max_events: 500,
            max_wait_ms: 25_000,
            max_held: 1_000,
            webhooks: WebhookConfig::default(),
            lab_receiver: false,
        }
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            timeout_ms: 10_000,
            backoff_base_ms: 1_000,
            backoff_cap_ms: 300_000,
            max_per_board: 16,
            allow_private_targets: false,
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
        assert_eq!(parsed.webhooks.max_attempts, default.webhooks.max_attempts);
        assert_eq!(parsed.webhooks.timeout_ms, default.webhooks.timeout_ms);
        assert_eq!(
            parsed.webhooks.backoff_base_ms,
            default.webhooks.backoff_base_ms
        );
        assert_eq!(
            parsed.webhooks.backoff_cap_ms,
            default.webhooks.backoff_cap_ms
        );
        assert_eq!(
            parsed.webhooks.max_per_board,
            default.webhooks.max_per_board
        );
        assert!(!parsed.webhooks.allow_private_targets);
        assert_eq!(parsed.lab_receiver, default.lab_receiver);
    }

    #[test]
    fn a_page_of_no_events_is_refused_at_start() {
        assert!(Cli::try_parse_from(["phase-8", "--poll-max-events", "0"]).is_err());
    }
}
