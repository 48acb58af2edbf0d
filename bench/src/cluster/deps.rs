//! The real parts of the cluster: `redis-server`, `nats-server` and K `liveboard`
//! instances, each a child process killed (by its PID, and only it) when dropped.
//!
//! * **Redis** persists every write before it answers (`appendonly yes`,
//!   `appendfsync always`), as phase 7 requires of it: a chat line is acknowledged only
//!   once it is on disk, in a temporary directory the tool removes at the end.
//!   (`--redis-appendfsync everysec` measures without the disk, for comparison only.)
//! * **NATS** is a bare `nats-server` on 127.0.0.1.
//! * **Instances** are the release `liveboard` binary with `--redis-url`, `--nats-url`
//!   and an `--instance-id`, boards open (the clients do not sign in), no per-address
//!   connection cap (every client is on 127.0.0.0/8), rate limits lifted (the publishers
//!   write as fast as the scenario asks), and the connection caps raised to the fd limit.
//!   They are not pinned: the instances, the workers, Redis and NATS share the machine's
//!   cores, as they would share a host.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    procfs,
    server::{die_with_parent, ServerKind, ServerProcess},
};

/// A dependency (`redis-server`, `nats-server`) on 127.0.0.1.
pub struct Dependency {
    name: &'static str,
    child: Child,
    port: u16,
}

impl Dependency {
    /// `redis-server` persisting every write in `dir`, fsyncing as `appendfsync` says.
    pub async fn redis(
        program: &Path,
        appendfsync: &str,
        dir: &Path,
        log_dir: &Path,
    ) -> Result<Self, String> {
        let dir = dir.display().to_string();
        Self::start("redis", program, log_dir, b"PING\r\n", b"+PONG", |port| {
            [
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                appendfsync,
                "--dir",
                &dir,
            ]
            .map(str::to_owned)
            .to_vec()
        })
        .await
    }

    /// `nats-server` (it greets every connection with `INFO`).
    pub async fn nats(program: &Path, log_dir: &Path) -> Result<Self, String> {
        Self::start("nats", program, log_dir, b"", b"INFO", |port| {
            ["-a", "127.0.0.1", "-p", &port.to_string()]
                .map(str::to_owned)
                .to_vec()
        })
        .await
    }

    /// Starts `program` on a free port (five tries: another process may take the port
    /// between our asking and its binding), ready once it answers `probe` with `expect`.
    async fn start(
        name: &'static str,
        program: &Path,
        log_dir: &Path,
        probe: &[u8],
        expect: &[u8],
        args: impl Fn(u16) -> Vec<String>,
    ) -> Result<Self, String> {
        let log_path = log_dir.join(format!("cluster-{name}.log"));
        for _ in 0..5 {
            let port = free_port()?;
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
            let mut cmd = Command::new(program);
            cmd.args(args(port))
                .stdin(Stdio::null())
                .stdout(log.try_clone().map_err(|e| e.to_string())?)
                .stderr(log);
            die_with_parent(&mut cmd);
            let child = cmd.spawn().map_err(|e| {
                format!(
                    "cannot start {} ({e}): install it or pass its path",
                    program.display()
                )
            })?;
            let mut dep = Dependency { name, child, port };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if answers(port, probe, expect).await {
                    return Ok(dep);
                }
                if let Ok(Some(_)) = dep.child.try_wait() {
                    break; // exited: most likely the port was taken meanwhile
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Err(format!(
            "{name} did not start in 5 tries; see {}",
            log_path.display()
        ))
    }

    /// `scheme://127.0.0.1:PORT`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time it has used so far.
    pub fn cpu(&self) -> Duration {
        procfs::process_cpu(self.pid()).unwrap_or_default()
    }

    /// Its resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        procfs::process_rss_kib(self.pid()).unwrap_or(0)
    }
}

impl Drop for Dependency {
    fn drop(&mut self) {
        // Our own child, by PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("   stopped {} (PID {})", self.name, self.child.id());
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// Whether something on `port` answers `probe` with a reply starting `expect`.
async fn answers(port: u16, probe: &[u8], expect: &[u8]) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        if !probe.is_empty() {
            stream.write_all(probe).await.ok()?;
        }
        let mut reply = vec![0; expect.len()];
        stream.read_exact(&mut reply).await.ok()?;
        Some(reply == expect)
    };
    matches!(
        tokio::time::timeout(Duration::from_millis(500), attempt).await,
        Ok(Some(true))
    )
}

/// How the instances are started.
pub struct InstanceSetup<'a> {
    pub bin: &'a Path,
    pub redis_url: String,
    pub nats_url: String,
    /// Each instance's data directory goes under this one.
    pub data_dir: &'a Path,
    pub log_dir: &'a Path,
    /// More arguments, after ours (`--liveboard-arg`).
    pub extra_args: &'a [String],
}

/// The command line of instance `k`.
pub fn instance_args(setup: &InstanceSetup<'_>, k: usize) -> Vec<String> {
    let data_dir: PathBuf = setup.data_dir.join(format!("i{k}"));
    let lifted = "1000000";
    let mut args: Vec<String> = [
        "--bind",
        "127.0.0.1:0",
        "--log",
        "warn",
        "--instance-id",
        &format!("i{k}"),
        "--redis-url",
        &setup.redis_url,
        "--nats-url",
        &setup.nats_url,
        "--data-dir",
        &data_dir.display().to_string(),
        // Boards open: the clients do not sign in (and --redis-url requires it).
        "--board-access",
        "open",
        // Every client comes from 127.0.0.0/8, and 18k of them to each instance.
        "--max-connections-per-ip",
        "0",
        "--max-connections",
        "20000",
        "--ws-max-connections",
        "20000",
        // The publishers write at the scenario's rate, whatever the budgets would allow.
        "--board-rate-per-sec",
        lifted,
        "--board-rate-burst",
        lifted,
        "--board-rate-per-ip",
        lifted,
        "--board-rate-per-ip-burst",
        lifted,
        "--board-rate-per-person",
        lifted,
        "--board-rate-per-person-burst",
        lifted,
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(setup.extra_args.iter().cloned());
    args
}

/// Starts instance `k` with one tokio worker thread (six instances share two cores).
pub fn start_instance(setup: &InstanceSetup<'_>, k: usize) -> Result<ServerProcess, String> {
    if !setup.bin.exists() {
        return Err(format!(
            "{} does not exist: build it with `cargo build --release -p liveboard` or pass \
             --liveboard-bin",
            setup.bin.display()
        ));
    }
    let mut cmd = Command::new(setup.bin);
    cmd.args(instance_args(setup, k))
        .env("TOKIO_WORKER_THREADS", "1");
    let log_path = setup.log_dir.join(format!("cluster-i{k}.stderr.log"));
    ServerProcess::spawn(ServerKind::Liveboard, cmd, &log_path)
}

/// The address of every instance, in order.
pub fn addresses(instances: &[ServerProcess]) -> Vec<SocketAddr> {
    instances.iter().map(ServerProcess::addr).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_gets_the_store_the_bus_its_name_and_lifted_caps() {
        let extra = vec!["--heartbeat-interval-ms=5000".to_owned()];
        let setup = InstanceSetup {
            bin: Path::new("liveboard"),
            redis_url: "redis://127.0.0.1:1".into(),
            nats_url: "nats://127.0.0.1:2".into(),
            data_dir: Path::new("data"),
            log_dir: Path::new("logs"),
            extra_args: &extra,
        };
        let args = instance_args(&setup, 3).join(" ");
        for expected in [
            "--instance-id i3",
            "--redis-url redis://127.0.0.1:1",
            "--nats-url nats://127.0.0.1:2",
            "--data-dir data/i3",
            "--board-access open",
            "--max-connections-per-ip 0",
            "--ws-max-connections 20000",
        ] {
            assert!(args.contains(expected), "{expected} missing from {args}");
        }
        assert!(args.ends_with("--heartbeat-interval-ms=5000"), "{args}");
    }
}
