//! [`RedisServer`] and [`NatsServer`]: a real `redis-server` and a real `nats-server`
//! for tests (feature `testing`).
//!
//! Each listens on 127.0.0.1 only, on a free port (neither can be told to pick one and say
//! which: the port is found by binding port 0, then handed over — another process may take
//! it in between, so a start that fails is tried on a new port), and a start returns only
//! once the server answers (Redis `PING`, NATS's `INFO` greeting). `kill` and `restart`
//! make the outage tests: SIGKILL, then the same port again. Dropping one kills the process
//! it started, by its PID. That part is the same for both and lives in one private keeper,
//! `Managed`; the two differ only in how a process is spawned and known to be ready.
//!
//! Redis keeps its files in a temporary directory (removed on drop, after the process is
//! gone) and persists like production must: `appendonly yes`, `appendfsync always`, no RDB
//! snapshots, so a restart finds what was acknowledged before the kill. Core NATS keeps
//! nothing.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long a started server may take to answer.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// How many free ports a start tries before it gives up.
const START_ATTEMPTS: usize = 5;

/// A `redis-server` process of this test.
pub struct RedisServer {
    // Declared first, so dropped first: the process is gone before its directory is.
    process: Managed,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts one and waits until it answers `PING`. Panics, saying why, if it cannot.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for Redis");
        let files = dir.path().to_owned();
        Self {
            process: Managed::start("redis-server", move |port| spawn_redis(port, &files)),
            _dir: dir,
        }
    }

    /// Its URL, `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.process.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.process.port
    }

    /// Kills it (SIGKILL: no chance to save anything more) and waits for it to exit.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts it again on the same port, with the same files. Panics if it cannot.
    pub fn restart(&mut self) {
        self.process.restart();
    }
}

/// A `nats-server` process of this test, on 127.0.0.1 at a free port.
pub struct NatsServer {
    process: Managed,
}

impl NatsServer {
    /// Starts one and waits until it greets a client (`INFO`). Panics, saying why, if it
    /// cannot.
    pub fn start() -> Self {
        Self {
            process: Managed::start("nats-server", spawn_nats),
        }
    }

    /// Its URL, `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.process.port)
    }

    /// Kills it (SIGKILL) and waits for it to exit.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts it again on the same port. Panics if it cannot.
    pub fn restart(&mut self) {
        self.process.restart();
    }
}

/// Spawns a server on a port and returns once it is ready, or says why it is not.
type Spawn = Box<dyn Fn(u16) -> Result<Child, String> + Send + Sync>;

/// One server process: its name (for messages), its port, the running child (`None`
/// while killed) and how to spawn it again on that port.
struct Managed {
    name: &'static str,
    port: u16,
    child: Option<Child>,
    spawn: Spawn,
}

impl Managed {
    /// Spawns it on a free port, trying a new one when a start fails. Panics if none works.
    fn start(
        name: &'static str,
        spawn: impl Fn(u16) -> Result<Child, String> + Send + Sync + 'static,
    ) -> Self {
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            match spawn(port) {
                Ok(child) => {
                    return Self {
                        name,
                        port,
                        child: Some(child),
                        spawn: Box::new(spawn),
                    }
                }
                Err(why) => last = why,
            }
        }
        panic!("cannot start {name}: {last}");
    }

    /// Kills the process it started (by its PID) and waits for it to exit.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills it, then spawns it again on the same port. Panics if it cannot.
    fn restart(&mut self) {
        self.kill();
        match (self.spawn)(self.port) {
            Ok(child) => self.child = Some(child),
            Err(why) => panic!("cannot restart {}: {why}", self.name),
        }
    }
}

impl Drop for Managed {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Polls `answers` until it holds. If the process exits first or does not answer within
/// [`READY_WITHIN`], it is killed and the error says which (`exit_hint` tells where to look).
fn until_ready(
    mut child: Child,
    name: &str,
    port: u16,
    exit_hint: &str,
    answers: impl Fn() -> bool,
) -> Result<Child, String> {
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{name} exited ({status}) on port {port}{exit_hint}"
            ));
        }
        if answers() {
            return Ok(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{name} did not answer on port {port} within {READY_WITHIN:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `redis-server` on `port` in `dir` and waits until it answers `PING`.
fn spawn_redis(port: u16, dir: &Path) -> Result<Child, String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .map_err(|e| format!("a Redis URL: {e}"))?;
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args([
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("redis-server could not be run: {e} (is it installed?)"))?;
    let log = format!(": see {}", dir.join("redis.log").display());
    until_ready(child, "redis-server", port, &log, || {
        client
            .get_connection_with_timeout(Duration::from_millis(200))
            .and_then(|mut con| redis::cmd("PING").query::<String>(&mut con))
            .is_ok()
    })
}

/// Starts `nats-server` on `port` and waits until a connection is greeted with `INFO`.
fn spawn_nats(port: u16) -> Result<Child, String> {
    use std::io::Read;
    let child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("nats-server could not be run: {e} (is it installed?)"))?;
    until_ready(child, "nats-server", port, "", || {
        std::net::TcpStream::connect(("127.0.0.1", port))
            .and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_millis(200)))?;
                let mut info = [0; 4];
                s.read_exact(&mut info)?;
                Ok(&info == b"INFO")
            })
            .unwrap_or(false)
    })
}
