//! A real server on `127.0.0.1:0` for integration tests — this crate's and every later
//! phase's, so no phase copies the start-up dance.
//!
//! Tests talk to it over a real socket with real clients (reqwest, raw `TcpStream`,
//! tokio-tungstenite...), never by calling handlers directly.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{
    app::App,
    cors::CorsPolicy,
    router::Router,
    server::{serve, ServeOptions},
};

/// A running server; dropping it without [`TestServer::shutdown`] aborts it.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts `router` with CORS allowing `http://localhost:3000` and a 5 s drain.
    pub async fn start(router: Router) -> Self {
        Self::start_with(
            router,
            CorsPolicy::new(["http://localhost:3000"]),
            Self::options(),
        )
        .await
    }

    /// The options [`TestServer::start`] uses.
    pub fn options() -> ServeOptions {
        ServeOptions {
            drain_timeout: Duration::from_secs(5),
            max_connections: 1_000,
            header_read_timeout: Duration::from_secs(5),
        }
    }

    /// Starts `router` with an explicit policy and options.
    pub async fn start_with(router: Router, cors: CorsPolicy, opts: ServeOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Arc::new(App::new(router, cors));
        let task = tokio::spawn(serve(
            listener,
            app,
            async move {
                let _ = stopped.await;
            },
            opts,
        ));
        Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Fires the shutdown future without waiting for the drain.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Fires shutdown and waits (at most 10 s) for `serve` to return.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.begin_shutdown();
        let task = self.task.take().expect("task present until shutdown");
        match tokio::time::timeout(Duration::from_secs(10), task).await {
            Ok(joined) => joined.expect("serve task panicked"),
            Err(_) => panic!("serve did not return within 10 s of shutdown"),
        }
    }

    /// Waits (at most 5 s) until the port refuses new connections.
    pub async fn wait_until_refusing(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if tokio::net::TcpStream::connect(self.addr).await.is_err() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "server still accepting 5 s after shutdown"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
