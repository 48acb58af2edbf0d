//! What a case runs against: a transport (its name, its two endpoints, its
//! [`Expectations`]) served by a real server on 127.0.0.1, and the way to start another one
//! with a different [`WsConfig`].

use std::{net::SocketAddr, sync::Arc};

use futures_util::future::BoxFuture;

use super::{expectations::Expectations, raw_client::RawClient};
use crate::{WsConfig, WsState};

/// A transport as the suite sees it from outside: a name and where it is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// How the server names it, e.g. `"hand-rolled"` or `"tungstenite"`.
    pub name: &'static str,
    /// The path of its board endpoint (the protocol of [`crate::board`]), e.g. `"/ws"`.
    pub board_path: &'static str,
    /// The path of its echo endpoint ([`EchoSession`](crate::EchoSession)), e.g. `"/ws/echo"`.
    pub echo_path: &'static str,
    /// Its answers where RFC 6455 leaves a choice.
    pub expect: Expectations,
}

/// A server started for the suite: where it listens, phase 3's state inside it (one
/// registry, one [`WsStats`](crate::WsStats), one hub, whatever the transport), and the
/// handle that keeps it running.
pub struct StartedServer {
    addr: SocketAddr,
    state: Arc<WsState>,
    running: Box<dyn Send>,
}

impl StartedServer {
    /// `running` is whatever keeps the server alive (a test server handle); it is dropped,
    /// stopping the server, when the case ends.
    pub fn new(addr: SocketAddr, state: Arc<WsState>, running: impl Send + 'static) -> Self {
        StartedServer {
            addr,
            state,
            running: Box::new(running),
        }
    }
}

/// Starts a real server with the given WebSocket configuration. The
/// [`conformance_suite!`](crate::conformance_suite) macro builds one from an
/// `async fn(WsConfig) -> StartedServer`.
pub type StartServer = fn(WsConfig) -> BoxFuture<'static, StartedServer>;

/// One transport on one running server: what every case is given.
pub struct Target {
    /// The transport under test.
    pub transport: Transport,
    /// Where the server listens.
    pub addr: SocketAddr,
    /// Phase 3's state in that server: stats, the registry, shutdown.
    pub state: Arc<WsState>,
    start: StartServer,
    _running: Box<dyn Send>,
}

impl Target {
    /// Starts a server with `config` and aims at `transport` on it.
    pub async fn start(transport: Transport, start: StartServer, config: WsConfig) -> Target {
        let StartedServer {
            addr,
            state,
            running,
        } = start(config).await;
        Target {
            transport,
            addr,
            state,
            start,
            _running: running,
        }
    }

    /// The same transport on a fresh server with another configuration, for cases that
    /// need a small limit or a short deadline.
    pub async fn with_config(&self, config: WsConfig) -> Target {
        Target::start(self.transport, self.start, config).await
    }

    /// What the suite expects of this transport where the RFC leaves a choice.
    pub fn expect(&self) -> Expectations {
        self.transport.expect
    }

    /// A `ws://` URL for `path` on this server.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// A raw client after a completed handshake with the echo endpoint.
    pub async fn connect_echo(&self) -> RawClient {
        RawClient::connect(self.addr, self.transport.echo_path).await
    }

    /// A raw client after a completed handshake with the board endpoint (the `welcome`
    /// not yet read).
    pub async fn connect_board(&self) -> RawClient {
        RawClient::connect(self.addr, self.transport.board_path).await
    }
}
