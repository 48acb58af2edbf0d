//! Past the process's file-descriptor limit, a client is still answered `503` at once.
//!
//! The real binary runs under `prlimit --nofile=48` (util-linux), far below the
//! connections the test opens; every connection it accepts is silent and kept open, so
//! the process runs out of descriptors, and `accept()` fails with `EMFILE` for the rest.
//! Linux only; if `prlimit` is missing the test says so and returns.

#![cfg(target_os = "linux")]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use tokio::{io::AsyncReadExt, net::TcpStream};

const DESCRIPTORS: usize = 48;
const CLIENTS: usize = 2 * DESCRIPTORS;

/// The phase-1 binary, killed (by its PID) when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start_under_prlimit() -> Option<Self> {
        let mut child = Command::new("prlimit")
            .arg(format!("--nofile={DESCRIPTORS}:{DESCRIPTORS}"))
            .arg(env!("CARGO_BIN_EXE_phase-1-foundations"))
            .args(["--bind", "127.0.0.1:0", "--log", "error"])
            .args(["--max-connections-per-ip", "0"])
            .args(["--header-timeout-ms", "60000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).ok()?;
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        };
        let addr = addr.to_owned();
        Some(Self { child, addr })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_client_past_the_descriptor_limit_is_answered_503_instead_of_waiting() {
    let Some(server) = Server::start_under_prlimit() else {
        eprintln!("prlimit is not available here; skipping");
        return;
    };
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(TcpStream::connect(&server.addr).await.expect("connect"));
    }
    // The last client is past the limit whatever the process had open at start; without
    // the spare descriptor it would wait in the backlog for a minute, unanswered.
    let mut last = clients.pop().expect("clients");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), last.read_to_end(&mut answer))
        .await
        .expect("an answer within 5 s")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{answer}"
    );
    assert!(answer.contains(r#""code":"server_full""#), "{answer}");
}
