//! A real server on `127.0.0.1:0` for integration tests — this crate's and every later
//! phase's, so no phase copies the start-up dance.
//!
//! [`spawn_app`] starts a [`Composition`] — the very modules a binary runs, built and
//! stopped by the same code — and [`TestServer::start`] a bare router (phase 1's own
//! tests of the router and the accept loop). Tests talk to it over a real socket with
//! real clients (reqwest, raw `TcpStream`, tokio-tungstenite...), never by calling
//! handlers directly.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{
    app::App,
    composition::Composition,
    config::ServerConfig,
    cors::CorsPolicy,
    module::Services,
    router::Router,
    server::{serve, ServeOptions},
};

/// The origin test servers allow.
pub const TEST_ORIGIN: &str = "http://localhost:3000";

/// Server settings for tests: port 0, [`TEST_ORIGIN`] allowed, a 5 s drain.
pub fn server_config() -> ServerConfig {
    ServerConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        allowed_origins: vec![TEST_ORIGIN.to_owned()],
        drain_timeout_ms: 5_000,
        max_connections: 1_000,
        max_connections_per_ip: 1_000,
        ..ServerConfig::default()
    }
}

// ANCHOR: spawn_binary
/// Starts a server *binary* — `program` with `args`, which should make it listen on
/// `127.0.0.1:0` — and reads its address from the first line of its stdout, the
/// `listening on http://ADDR` contract of [`crate::server::announce`]. For tests that need
/// a real process (signals, `kill -9`, flags exactly as a user types them). The child is
/// killed when dropped, and only it: by its PID. Its stderr is discarded.
pub async fn spawn_binary<I, S>(program: &str, args: I) -> (tokio::process::Child, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        tokio::io::BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the server announces its address in time")
    .expect("stdout is readable");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line from {program}: {line:?}"))
        .to_owned();
    (child, addr)
}
// ANCHOR_END: spawn_binary

// ANCHOR: spawn_app
/// Builds `composition` and serves it on `127.0.0.1:0` (whatever its `bind` says): the
/// same modules, passes and shutdown hooks as the binary. Panics if it cannot start.
pub async fn spawn_app(composition: Composition) -> TestServer {
    let built = composition
        .build()
        .unwrap_or_else(|e| panic!("the composition does not build: {e}"));
    let services = built.services().clone();
    TestServer::spawn(Some(services), |listener, stopped| {
        built.serve(listener, stopped)
    })
    .await
}
// ANCHOR_END: spawn_app

/// A running server; dropping it without [`TestServer::shutdown`] aborts it.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    services: Option<Arc<Services>>,
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
            max_connections_per_ip: 1_000,
            header_read_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(5),
            memory_release: None,
        }
    }

    /// Starts `router` with an explicit policy and options.
    pub async fn start_with(router: Router, cors: CorsPolicy, opts: ServeOptions) -> Self {
        let app = Arc::new(App::new(router, cors));
        Self::spawn(None, move |listener, stopped| {
            serve(listener, app, stopped, opts)
        })
        .await
    }

    /// Binds `127.0.0.1:0` and spawns `serve(listener, stopped)`, where `stopped`
    /// resolves on [`TestServer::begin_shutdown`].
    async fn spawn<S, F>(services: Option<Arc<Services>>, serve: S) -> Self
    where
        S: FnOnce(TcpListener, StopSignal) -> F,
        F: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped: StopSignal = Box::pin(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(serve(listener, stopped));
        Self {
            addr,
            services,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The services the modules built (started with [`spawn_app`]), to read a module's
    /// state: `server.services().require::<Arc<SseState>>()`.
    pub fn services(&self) -> &Arc<Services> {
        self.services
            .as_ref()
            .expect("a server started with spawn_app has services; TestServer::start has none")
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

    /// Fires shutdown and waits (at most 10 s) for `serve` to return (with
    /// [`spawn_app`]: every module's shutdown hooks included).
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

/// The shutdown future a test server is served with.
type StopSignal = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
