//! Phase 7's settings: where the shared store and the bus are, who this instance is, and
//! how a lost link is retried. Flags with `LIVEBOARD_REDIS_*`, `LIVEBOARD_NATS_*` and
//! `LIVEBOARD_INSTANCE_ID` environment variables. Without `--redis-url` and
//! `--nats-url` nothing changes: the embedded store and this process's hub, as in phase 4.

use phase_5_hardening::backoff::{BackoffPolicy, Jitter};

// ANCHOR: scale_config
/// The settings of phase 7.
#[derive(Debug, Clone, clap::Args)]
pub struct ScaleOutConfig {
    /// The shared store, e.g. `redis://127.0.0.1:6379/0`. Unset (the default): boards
    /// live in the embedded store (`--data-dir`). Set it on every instance that serves
    /// the same boards; Redis must persist every write (`appendonly yes`,
    /// `appendfsync always`) or an acknowledged change can be lost in a Redis crash.
    #[arg(long = "redis-url", env = "LIVEBOARD_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key (and of the bus's subjects). Default `liveboard`. Two
    /// deployments sharing one Redis and one NATS keep apart with different prefixes.
    #[arg(
        long = "scale-prefix",
        env = "LIVEBOARD_SCALE_PREFIX",
        default_value = "liveboard",
        value_parser = parse_prefix
    )]
    pub prefix: String,

    /// The message bus, e.g. `nats://127.0.0.1:4222`. Unset (the default): events go to
    /// this process's hub only. Set it on every instance behind one load balancer, with
    /// `--redis-url`: an instance's events then reach the clients of every other.
    #[arg(long = "nats-url", env = "LIVEBOARD_NATS_URL")]
    pub nats_url: Option<String>,

    /// This instance's name in the bus's messages, `/health` and logs. Default: the
    /// host name and process id. Must differ between instances.
    #[arg(long = "instance-id", env = "LIVEBOARD_INSTANCE_ID")]
    pub instance_id: Option<String>,

    /// Longest one request to the shared store may take, in milliseconds. Default 2 000.
    /// Past it the request failed: a change is refused with `unavailable` (retried by
    /// the client with the same opId), and the link is reconnected.
    #[arg(
        long = "redis-timeout-ms",
        env = "LIVEBOARD_REDIS_TIMEOUT_MS",
        default_value_t = 2_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub redis_timeout_ms: u64,

    /// How often each instance compares the rooms it serves with the store's heads, in
    /// milliseconds. Default 5 000. A bus message lost while the bus was away leaves a
    /// room behind until the next event of its board, or until this check; it then
    /// replays what is missing from the log. 0 turns the check off.
    #[arg(
        long = "bus-resync-ms",
        env = "LIVEBOARD_BUS_RESYNC_MS",
        default_value_t = 5_000
    )]
    pub resync_ms: u64,

    /// How long another instance may stay silent on the bus before its people are
    /// presumed gone, in milliseconds. Default 15 000; each instance says it is alive
    /// every third of it. Shorter: ghosts of a crashed instance vanish sooner, for more
    /// bus traffic.
    #[arg(
        long = "presence-ttl-ms",
        env = "LIVEBOARD_PRESENCE_TTL_MS",
        default_value_t = 15_000,
        value_parser = clap::value_parser!(u64).range(30..)
    )]
    pub presence_ttl_ms: u64,

    /// First reconnection window for a lost store or bus link, in milliseconds. Default
    /// 250. Each failed attempt doubles the window up to `--scale-retry-cap-ms`, with full
    /// jitter (phase 5's contract): instances that lost Redis together do not return
    /// together.
    #[arg(
        long = "scale-retry-base-ms",
        env = "LIVEBOARD_SCALE_RETRY_BASE_MS",
        default_value_t = 250,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub retry_base_ms: u64,

    /// Largest reconnection window, in milliseconds. Default 5 000: a server-side link
    /// comes back within seconds of its peer.
    #[arg(
        long = "scale-retry-cap-ms",
        env = "LIVEBOARD_SCALE_RETRY_CAP_MS",
        default_value_t = 5_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub retry_cap_ms: u64,
}
// ANCHOR_END: scale_config

impl Default for ScaleOutConfig {
    fn default() -> Self {
        Self {
            redis_url: None,
            prefix: "liveboard".into(),
            nats_url: None,
            instance_id: None,
            redis_timeout_ms: 2_000,
            resync_ms: 5_000,
            presence_ttl_ms: 15_000,
            retry_base_ms: 250,
            retry_cap_ms: 5_000,
        }
    }
}

impl ScaleOutConfig {
    /// The reconnection policy: phase 5's, with this phase's windows.
    pub fn backoff(&self) -> BackoffPolicy {
        BackoffPolicy {
            base_ms: self.retry_base_ms as f64,
            factor: 2.0,
            cap_ms: self.retry_cap_ms.max(self.retry_base_ms) as f64,
            min_ms: 50.0,
            jitter: Jitter::Full,
            stable_after_ms: 5_000.0,
        }
    }

    /// This instance's name: `--instance-id`, or host name and process id.
    pub fn instance(&self) -> String {
        self.instance_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "liveboard".into());
            format!("{host}-{}", std::process::id())
        })
    }
}

/// A prefix is a Redis key part and a NATS subject token: `A-Z a-z 0-9 _ -`, 1–32.
fn parse_prefix(text: &str) -> Result<String, String> {
    let ok = (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(text.to_owned())
    } else {
        Err("1 to 32 of A-Z a-z 0-9 _ - (it names Redis keys and NATS subjects)".into())
    }
}
