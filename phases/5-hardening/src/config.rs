//! Phase 5's settings, in one place: flags with `LIVEBOARD_BACKOFF_*`,
//! `LIVEBOARD_HEARTBEAT_*` and `LIVEBOARD_SHUTDOWN_*` environment variables. Every value says its default, its unit
//! and what it trades. The backoff parameters are *advertised*: the server tells each client
//! the policy when it connects, so changing a flag here changes every client's behaviour.

use std::time::Duration;

use crate::{
    backoff::{BackoffPolicy, Jitter},
    protocol::{ConnectionPolicy, HeartbeatPolicy},
    shutdown::Spread,
};

// ANCHOR: hardening_config
/// The settings of reconnection and heartbeats.
#[derive(Debug, Clone, clap::Args)]
pub struct HardeningConfig {
    /// The window of a client's first retry, in milliseconds. Default 500. Smaller brings
    /// clients back sooner after a blip; larger spreads a mass reconnect wider.
    #[arg(
        long = "backoff-base-ms",
        env = "LIVEBOARD_BACKOFF_BASE_MS",
        default_value_t = 500
    )]
    pub backoff_base_ms: u64,

    /// How much the window grows per failed attempt. Default 2.
    #[arg(
        long = "backoff-factor",
        env = "LIVEBOARD_BACKOFF_FACTOR",
        default_value_t = 2.0
    )]
    pub backoff_factor: f64,

    /// The largest retry window, in milliseconds. Default 30 000: a server that stays down
    /// is asked about twice a minute per client. Larger is gentler on a struggling server
    /// and slower to notice it is back.
    #[arg(
        long = "backoff-cap-ms",
        env = "LIVEBOARD_BACKOFF_CAP_MS",
        default_value_t = 30_000
    )]
    pub backoff_cap_ms: u64,

    /// Added to every retry delay, in milliseconds. Default 250: no tight loops.
    #[arg(
        long = "backoff-min-ms",
        env = "LIVEBOARD_BACKOFF_MIN_MS",
        default_value_t = 250
    )]
    pub backoff_min_ms: u64,

    /// How long a connection must stay up before a client resets its attempt counter, in
    /// milliseconds. Default 5 000: a server that accepts and then crashes is not retried at
    /// the minimum delay forever.
    #[arg(
        long = "backoff-stable-ms",
        env = "LIVEBOARD_BACKOFF_STABLE_MS",
        default_value_t = 5_000
    )]
    pub backoff_stable_ms: u64,

    /// How often the server pings each WebSocket and sends it an app-level `heartbeat`, in
    /// milliseconds. Default 20 000: under the 30–60 s after which proxies drop idle
    /// connections. Shorter finds dead peers sooner and costs a wake-up per connection per
    /// interval.
    #[arg(
        long = "heartbeat-interval-ms",
        env = "LIVEBOARD_HEARTBEAT_INTERVAL_MS",
        default_value_t = 20_000
    )]
    pub heartbeat_interval_ms: u64,

    /// A connection that showed no sign of life (no pong, no frame at all) for this long is
    /// closed, in milliseconds; clients give up on a silent server after the same time.
    /// Default 50 000 (two and a half intervals: one lost heartbeat is not a dead link).
    #[arg(
        long = "heartbeat-deadline-ms",
        env = "LIVEBOARD_HEARTBEAT_DEADLINE_MS",
        default_value_t = 50_000
    )]
    pub heartbeat_deadline_ms: u64,

    /// On shutdown, each client is told to come back after a delay drawn uniformly from
    /// `[0, this]`, in milliseconds (a WebSocket in its Close reason, an event stream in a
    /// last `retry:`). Default 5 000: a restart meets its clients over five seconds, not
    /// all at once. Larger is gentler on the new process and keeps clients away longer.
    #[arg(
        long = "shutdown-spread-ms",
        env = "LIVEBOARD_SHUTDOWN_SPREAD_MS",
        default_value_t = 5_000
    )]
    pub shutdown_spread_ms: u64,
}
// ANCHOR_END: hardening_config

impl Default for HardeningConfig {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self {
            backoff_base_ms: 500,
            backoff_factor: 2.0,
            backoff_cap_ms: 30_000,
            backoff_min_ms: 250,
            backoff_stable_ms: 5_000,
            heartbeat_interval_ms: 20_000,
            heartbeat_deadline_ms: 50_000,
            shutdown_spread_ms: 5_000,
        }
    }
}

impl HardeningConfig {
    /// The backoff policy these settings advertise (always full jitter).
    pub fn backoff(&self) -> BackoffPolicy {
        BackoffPolicy {
            base_ms: self.backoff_base_ms as f64,
            factor: self.backoff_factor.max(1.0),
            cap_ms: self.backoff_cap_ms.max(self.backoff_base_ms) as f64,
            min_ms: self.backoff_min_ms as f64,
            jitter: Jitter::Full,
            stable_after_ms: self.backoff_stable_ms as f64,
        }
    }

    /// The heartbeat timing these settings advertise.
    pub fn heartbeat(&self) -> HeartbeatPolicy {
        HeartbeatPolicy {
            interval_ms: self.heartbeat_interval_ms.max(1),
            deadline_ms: self.heartbeat_deadline_ms.max(1),
        }
    }

    /// Everything a client is told when it connects.
    pub fn connection_policy(&self) -> ConnectionPolicy {
        ConnectionPolicy {
            backoff: self.backoff(),
            heartbeat: self.heartbeat(),
        }
    }

    /// The window shutdown retry hints are drawn from.
    pub fn shutdown_spread(&self) -> Spread {
        Spread {
            window_ms: self.shutdown_spread_ms,
        }
    }

    /// The heartbeat interval as a [`Duration`].
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_millis(self.heartbeat().interval_ms)
    }

    /// The heartbeat deadline as a [`Duration`].
    pub fn heartbeat_deadline(&self) -> Duration {
        Duration::from_millis(self.heartbeat().deadline_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        hardening: HardeningConfig,
    }

    #[test]
    fn the_default_impl_matches_the_command_line_defaults() {
        if std::env::vars().any(|(k, _)| {
            k.starts_with("LIVEBOARD_BACKOFF_")
                || k.starts_with("LIVEBOARD_HEARTBEAT_")
                || k.starts_with("LIVEBOARD_SHUTDOWN_")
        }) {
            return; // a developer's environment overrides the defaults
        }
        let parsed = Cli::parse_from(["test"]).hardening;
        let d = HardeningConfig::default();
        assert_eq!(parsed.connection_policy(), d.connection_policy());
        assert_eq!(parsed.shutdown_spread(), d.shutdown_spread());
    }

    #[test]
    fn the_advertised_default_is_the_contract_default() {
        assert_eq!(
            HardeningConfig::default().backoff(),
            BackoffPolicy::default()
        );
    }
}
