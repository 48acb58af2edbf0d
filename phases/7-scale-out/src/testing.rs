//! [`RedisServer`] and [`NatsServer`]: a real `redis-server` and a real `nats-server`
//! for tests (feature `testing`).
//!
//! It listens on 127.0.0.1 only, on a free port (Redis cannot pick one itself: the port
//! is found by binding port 0, then handed over — another process may take it in
//! between, so a start that fails is tried on a new port), keeps its files in a temporary
//! directory, and persists like production must: `appendonly yes`, `appendfsync always`,
//! no RDB snapshots. [`RedisServer::kill`] and [`RedisServer::restart`] make the outage
//! tests: the same port, the same files. Dropping it kills the process it started, by its
//! PID, and removes the directory. [`NatsServer`] is the same for the bus (which keeps
//! nothing: core NATS has no files).

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long a started server may take to answer `PING`.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A `redis-server` process of this test.
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one and waits until it answers `PING`. Panics, saying why, if it cannot.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for Redis");
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn(port, dir.path()) {
                Ok(child) => {
                    return Self {
                        port,
                        dir,
                        child: Some(child),
                    }
                }
                Err(why) => last = why,
            }
        }
        panic!("cannot start redis-server: {last}");
    }

    /// Its URL, `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills it (SIGKILL: no chance to save anything more) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, with the same files. Panics if it cannot.
    pub fn restart(&mut self) {
        self.kill();
        match spawn(self.port, self.dir.path()) {
            Ok(child) => self.child = Some(child),
            Err(why) => panic!("cannot restart redis-server: {why}"),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `nats-server` process of this test, on 127.0.0.1 at a free port.
pub struct NatsServer {
    port: u16,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts one and waits until it greets a client (`INFO`). Panics, saying why, if it
    /// cannot.
    pub fn start() -> Self {
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn_nats(port) {
                Ok(child) => {
                    return Self {
                        port,
                        child: Some(child),
                    }
                }
                Err(why) => last = why,
            }
        }
        panic!("cannot start nats-server: {last}");
    }

    /// Its URL, `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills it (SIGKILL) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port. Panics if it cannot.
    pub fn restart(&mut self) {
        self.kill();
        match spawn_nats(self.port) {
            Ok(child) => self.child = Some(child),
            Err(why) => panic!("cannot restart nats-server: {why}"),
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `nats-server` on `port` and waits until a connection is greeted with `INFO`.
fn spawn_nats(port: u16) -> Result<Child, String> {
    use std::io::Read;
    let mut child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("nats-server could not be run: {e} (is it installed?)"))?;
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("nats-server exited ({status}) on port {port}"));
        }
        let greeted = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_millis(200)))?;
            let mut info = [0; 4];
            s.read_exact(&mut info)?;
            Ok(&info == b"INFO")
        });
        if greeted.unwrap_or(false) {
            return Ok(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("nats-server did not greet on port {port}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Starts `redis-server` on `port` in `dir` and waits until it answers `PING`.
fn spawn(port: u16, dir: &Path) -> Result<Child, String> {
    let mut child = Command::new("redis-server")
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
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .map_err(|e| format!("a Redis URL: {e}"))?;
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "redis-server exited ({status}) on port {port}: see {}",
                dir.join("redis.log").display()
            ));
        }
        let pong = client
            .get_connection_with_timeout(Duration::from_millis(200))
            .and_then(|mut con| redis::cmd("PING").query::<String>(&mut con));
        if pong.is_ok() {
            return Ok(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("redis-server did not answer PING on port {port}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
