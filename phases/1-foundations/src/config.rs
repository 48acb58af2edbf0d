//! Configuration: command-line flags, each with a `LIVEBOARD_*` environment variable and
//! a documented default.
//!
//! Flags win over environment variables, which win over defaults (clap's rule). The
//! defaults need nothing outside this machine: the server binds to loopback and allows
//! the web app's development origins. `--help` prints all of it.
//!
//! Later phases add their own option groups (`SseConfig`, `WsConfig`, ...), one per
//! module (see [`crate::module`]); every binary flattens the groups of its modules into
//! one command line.

use std::{net::SocketAddr, time::Duration};

use crate::{client_addr::IpNetwork, memory_release::MemoryRelease};

// ANCHOR: config_defaults
/// Default bind address: loopback only, so a development server is not reachable from
/// the network by accident. Production sets `0.0.0.0:8080` behind a proxy.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default allowed origins: where `npm run dev` serves the web app.
pub const DEFAULT_ALLOWED_ORIGINS: &str = "http://localhost:3000,http://127.0.0.1:3000";
/// Default JSON body limit: 64 KiB. A note is a few hundred bytes; anything near this is
/// a mistake or an attack, and the limit bounds the memory one request can pin.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// Default drain deadline on shutdown: 5 s, below the 10 s most orchestrators wait
/// between SIGTERM and SIGKILL.
pub const DEFAULT_DRAIN_TIMEOUT_MS: u64 = 5_000;
/// Default cap on open HTTP connections: 10,000. Each costs a socket (a file descriptor,
/// ~4 KiB of kernel buffers) and a task; past the cap a new client is answered `503` at
/// once and closed, instead of the server failing with EMFILE.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default cap on open HTTP connections from one client address: 256. A browser opens
/// six per origin, a busy office behind one NAT a few hundred; one host holding
/// thousands is a slowloris. Behind a reverse proxy every client has the proxy's
/// address: set 0 (no per-address cap) and let the proxy limit clients.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;
/// Default header deadline: 10 s from the first byte the server waits for to the end of
/// the request's headers. Headers are a few hundred bytes; a client that takes longer is
/// on a dead network or holding a slot on purpose.
pub const DEFAULT_HEADER_TIMEOUT_MS: u64 = 10_000;
/// Default body deadline: 10 s from the end of the headers to the end of the body. A
/// 64 KiB body needs 52 kbit/s to make it.
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 10_000;
/// Default listen backlog: 4,096 handshakes the kernel completes and queues for us before
/// we accept them (Linux caps it at `net.core.somaxconn`, 4,096 by default since 5.4).
/// tokio's `bind` asks for 1,024: a burst of thousands of clients reconnecting at once
/// overflows that, and the kernel drops the rest's handshakes, which retry after 1, 3,
/// 7 s…
pub const DEFAULT_LISTEN_BACKLOG: u32 = 4_096;
// ANCHOR_END: config_defaults

// ANCHOR: server_config
/// The HTTP server's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port (printed on stdout at start).
    #[arg(long, env = "LIVEBOARD_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,

    /// Origins (scheme://host:port) whose pages may call this server, comma-separated;
    /// `*` allows any origin.
    #[arg(
        long,
        env = "LIVEBOARD_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = DEFAULT_ALLOWED_ORIGINS
    )]
    pub allowed_origins: Vec<String>,

    /// Largest JSON request body any route reads, in bytes (413 above it); a route may
    /// read less (phase 2's messages stop at what their character limit needs).
    #[arg(long, env = "LIVEBOARD_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Handshakes the kernel may queue before the server accepts them (the `listen()`
    /// backlog; the kernel caps it at `net.core.somaxconn`).
    #[arg(long, env = "LIVEBOARD_LISTEN_BACKLOG", default_value_t = DEFAULT_LISTEN_BACKLOG)]
    pub listen_backlog: u32,

    /// How long shutdown waits for in-flight requests, in milliseconds.
    #[arg(long, env = "LIVEBOARD_DRAIN_TIMEOUT_MS", default_value_t = DEFAULT_DRAIN_TIMEOUT_MS)]
    pub drain_timeout_ms: u64,

    /// Most HTTP connections served at once; more are answered `503` with `Retry-After`
    /// and closed.
    #[arg(long, env = "LIVEBOARD_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Most HTTP connections open at once from one client IP address; more are answered
    /// `503` with `Retry-After` and closed. 0 means no per-address cap (behind a proxy).
    #[arg(
        long,
        env = "LIVEBOARD_MAX_CONNECTIONS_PER_IP",
        default_value_t = DEFAULT_MAX_CONNECTIONS_PER_IP
    )]
    pub max_connections_per_ip: usize,

    /// Reverse proxies (addresses or networks: `10.0.0.5`, `10.0.0.0/8`, `::1`) whose
    /// `X-Forwarded-For` header names the client, comma-separated; from anyone else the
    /// header is ignored. Per-address limits after the handshake (phase 4's note rate)
    /// then count the client's address, not the proxy's. None by default.
    #[arg(long, env = "LIVEBOARD_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpNetwork>,

    /// How long a client may take to send a request's headers, in milliseconds; then the
    /// connection is closed (slowloris defence).
    #[arg(long, env = "LIVEBOARD_HEADER_TIMEOUT_MS", default_value_t = DEFAULT_HEADER_TIMEOUT_MS)]
    pub header_timeout_ms: u64,

    /// How long a client may take to send a request's body after its headers, in
    /// milliseconds; then `408 Request Timeout`.
    #[arg(long, env = "LIVEBOARD_BODY_TIMEOUT_MS", default_value_t = DEFAULT_BODY_TIMEOUT_MS)]
    pub body_timeout_ms: u64,

    /// Log filter, in tracing's EnvFilter syntax (e.g. `info`, `debug,hyper=info`).
    #[arg(long, env = "LIVEBOARD_LOG", default_value = "info")]
    pub log: String,

    /// Print which phase serves which route (method, path, phase) and exit.
    #[arg(long = "routes")]
    pub list_routes: bool,

    /// How to give freed memory back to the operating system after load; not a flag of
    /// its own, since only the binary knows its allocator (`liveboard`'s
    /// `--release-memory-when-idle` sets it).
    #[arg(skip)]
    pub memory_release: Option<MemoryRelease>,
}
// ANCHOR_END: server_config

impl ServerConfig {
    /// The drain deadline as a [`Duration`].
    pub fn drain_timeout(&self) -> Duration {
        Duration::from_millis(self.drain_timeout_ms)
    }
}

impl Default for ServerConfig {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allowed_origins: DEFAULT_ALLOWED_ORIGINS
                .split(',')
                .map(str::to_owned)
                .collect(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            listen_backlog: DEFAULT_LISTEN_BACKLOG,
            drain_timeout_ms: DEFAULT_DRAIN_TIMEOUT_MS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            trusted_proxies: Vec::new(),
            header_timeout_ms: DEFAULT_HEADER_TIMEOUT_MS,
            body_timeout_ms: DEFAULT_BODY_TIMEOUT_MS,
            log: "info".to_owned(),
            list_routes: false,
            memory_release: None,
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
        server: ServerConfig,
    }

    #[test]
    fn the_default_impl_matches_the_command_line_defaults() {
        let parsed = Cli::parse_from(["test"]).server;
        let default = ServerConfig::default();
        // Environment variables may be set on a developer's machine; only compare when not.
        if std::env::vars().all(|(k, _)| !k.starts_with("LIVEBOARD_")) {
            assert_eq!(parsed.bind, default.bind);
            assert_eq!(parsed.allowed_origins, default.allowed_origins);
            assert_eq!(parsed.max_body_bytes, default.max_body_bytes);
            assert_eq!(parsed.drain_timeout_ms, default.drain_timeout_ms);
            assert_eq!(parsed.max_connections, default.max_connections);
            assert_eq!(
                parsed.max_connections_per_ip,
                default.max_connections_per_ip
            );
            assert_eq!(parsed.trusted_proxies, default.trusted_proxies);
            assert_eq!(parsed.header_timeout_ms, default.header_timeout_ms);
            assert_eq!(parsed.body_timeout_ms, default.body_timeout_ms);
        }
    }

    #[test]
    fn flags_parse_a_comma_separated_origin_list() {
        let c = Cli::parse_from([
            "test",
            "--bind",
            "127.0.0.1:0",
            "--allowed-origins",
            "http://a:1,http://b:2",
        ])
        .server;
        assert_eq!(c.bind.port(), 0);
        assert_eq!(c.allowed_origins, vec!["http://a:1", "http://b:2"]);
    }

    #[test]
    fn trusted_proxies_parse_a_comma_separated_list_and_refuse_a_bad_one() {
        let c = Cli::parse_from(["test", "--trusted-proxies", "127.0.0.1,10.0.0.0/8,::1"]).server;
        let shown: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["127.0.0.1", "10.0.0.0/8", "::1"]);
        let Err(e) = Cli::try_parse_from(["test", "--trusted-proxies", "10.0.0.0/40"]) else {
            panic!("a prefix over 32 was accepted");
        };
        assert!(e.to_string().contains("prefix length"), "{e}");
    }
}
