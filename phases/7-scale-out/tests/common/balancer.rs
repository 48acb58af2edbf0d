//! HAProxy in front of instances, with the configuration `make scale` and Docker use:
//! `deploy/haproxy.cfg.in` rendered by `deploy/render-haproxy.sh` for 127.0.0.1 and a
//! free port. Killed by its PID when dropped.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    process::{Child, Command},
    time::{sleep, timeout, Duration, Instant},
};

use super::{Instance, START};

/// The repository's `deploy/` directory.
pub const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy");

/// What `deploy/render-haproxy.sh ARGS` prints: the balancer's configuration.
pub fn render(args: &[String]) -> String {
    let out = std::process::Command::new("sh")
        .arg(format!("{DEPLOY}/render-haproxy.sh"))
        .args(args)
        .output()
        .expect("sh runs deploy/render-haproxy.sh");
    assert!(
        out.status.success(),
        "render-haproxy.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the configuration is UTF-8")
}

/// HAProxy on 127.0.0.1, balancing over instances (each also reachable as `/i/<name>/…`).
pub struct Balancer {
    port: u16,
    _child: Child,
}

impl Balancer {
    /// Renders the configuration into `dir` for a free port and starts `haproxy` on it;
    /// ready once `GET /health` through it answers 200. A port taken between finding it
    /// and binding it makes HAProxy exit: then another port, up to five times.
    pub async fn start(dir: &Path, instances: &[&Instance]) -> Self {
        let servers: Vec<String> = instances
            .iter()
            .map(|i| format!("{}={}", i.name, i.addr))
            .collect();
        for _ in 0..5 {
            let port = free_port();
            let mut args = vec![format!("127.0.0.1:{port}")];
            args.extend(servers.iter().cloned());
            let config: PathBuf = dir.join(format!("haproxy-{port}.cfg"));
            std::fs::write(&config, render(&args)).expect("write the configuration");
            // -db: in the foreground, not as a daemon (its PID is the one we kill).
            let mut child = Command::new("haproxy")
                .arg("-db")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("haproxy runs (Debian: apt-get install haproxy)");
            let deadline = Instant::now() + START;
            while Instant::now() < deadline {
                if answers_health(port).await {
                    return Self {
                        port,
                        _child: child,
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: the port was taken meanwhile
                }
                sleep(Duration::from_millis(20)).await;
            }
        }
        panic!("haproxy did not start on a free port in 5 tries");
    }

    /// `ws://127.0.0.1:PORT{path}`.
    pub fn ws(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `GET path` through the balancer: the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let (status, _, body) = self.get_from(path, None).await;
        (status, body)
    }

    /// `GET path` as a page from `origin` would send it: status, headers, JSON body.
    pub async fn get_from(
        &self,
        path: &str,
        origin: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
        let mut request = reqwest::Client::new().get(self.url(path));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let res = timeout(START, request.send())
            .await
            .expect("an answer in time")
            .expect("request sent");
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        (status, headers, res.json().await.expect("a JSON body"))
    }
}

/// A port free at the moment of asking.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Whether `GET /health` through 127.0.0.1:`port` answers 200.
async fn answers_health(port: u16) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: balancer\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut status = [0; 12];
        stream.read_exact(&mut status).await.ok()?;
        Some(&status == b"HTTP/1.1 200")
    };
    matches!(
        timeout(Duration::from_millis(500), attempt).await,
        Ok(Some(true))
    )
}
