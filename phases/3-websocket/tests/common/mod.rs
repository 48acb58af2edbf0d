//! Helpers shared by the integration tests: the real phase-3 server on 127.0.0.1:0
//! (modules 1–3, composed and stopped exactly as `main.rs` does), and the raw-bytes client
//! of the conformance suite, so assertions are about exactly what crosses the wire.
//! Every wait has a timeout ([`WAIT`]); nothing sleeps.

#![allow(dead_code, unused_imports)] // each test file uses a different subset

use std::{net::SocketAddr, sync::Arc};

use phase_1_foundations::{
    testing::{self, spawn_app, TestServer},
    Composition,
};
use phase_2_sse::{Sse, SseConfig};
pub use phase_3_websocket::conformance::{
    quick_config, upgrade_headers, HttpResponse, RawClient, RFC_KEY, WAIT,
};
use phase_3_websocket::{WebSocket, WsConfig, WsState};

/// The origin the test server allows.
pub const ALLOWED_ORIGIN: &str = testing::TEST_ORIGIN;

/// The accept value of RFC 6455 §1.3's key ([`RFC_KEY`]).
pub const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A running phase-3 server and phase 3's state.
pub struct Server {
    pub server: TestServer,
    pub state: Arc<WsState>,
}

impl Server {
    pub async fn start(config: WsConfig) -> Self {
        let composition = Composition::new(testing::server_config())
            .module(Sse::new(SseConfig::default()))
            .module(WebSocket::new(config));
        let server = spawn_app(composition).await;
        let state = server
            .services()
            .require::<Arc<WsState>>()
            .expect("phase 3 stores its state")
            .clone();
        Self { server, state }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.server.addr, path)
    }
}
