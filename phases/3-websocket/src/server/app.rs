//! The server as of phase 3, as one value: configuration in, a router and a shutdown
//! sequence out. `cargo run -p phase-3-websocket` and the production `liveboard` binary
//! both start it from here, so the composition is written once; phase 4 builds on
//! [`Phase3App`] instead of repeating it.

use std::{process::ExitCode, sync::Arc};

use phase_1_foundations::{cors::CorsPolicy, health, server, PhaseInfo, Router, ServerConfig};
use phase_2_sse::{Hub, SseConfig, SseState};

use crate::{routes, CloseCode, WsConfig, WsState};

/// Every option of phases 1–3, flattened into one command line.
#[derive(Debug, Clone, clap::Args)]
pub struct Phase3Config {
    /// HTTP server (phase 1).
    #[command(flatten)]
    pub server: ServerConfig,
    /// Event streams and the hub (phase 2).
    #[command(flatten)]
    pub sse: SseConfig,
    /// WebSockets (phase 3).
    #[command(flatten)]
    pub ws: WsConfig,
}

/// Phases 1–3 wired together on one hub.
pub struct Phase3App {
    /// Phase 2's state: it owns the hub and presence.
    pub sse: Arc<SseState>,
    /// Phase 3's state, sharing phase 2's hub and presence.
    pub ws: Arc<WsState>,
}

impl Phase3App {
    /// The phases this app serves, for `/health`.
    pub const PHASES: [PhaseInfo; 3] =
        [phase_1_foundations::PHASE, phase_2_sse::PHASE, crate::PHASE];

    /// Builds the shared state: one in-memory hub for both transports.
    pub fn new(config: &Phase3Config) -> Self {
        Self::with_hub(config, Hub::new(config.sse.hub_limits()))
    }

    /// Builds the shared state on an existing hub (phase 4's hub is numbered by its
    /// event log on disk).
    pub fn with_hub(config: &Phase3Config, hub: Arc<Hub>) -> Self {
        let sse = SseState::with_hub(hub, config.sse.clone());
        let ws = WsState::with_hub(
            config.ws.clone(),
            CorsPolicy::new(config.server.allowed_origins.clone()),
            sse.hub().clone(),
            sse.presence().clone(),
        );
        Self { sse, ws }
    }

    /// Phase 2's and phase 3's routes (without `/health`, which the caller builds with
    /// the full list of its phases).
    pub fn routes(&self) -> Router {
        phase_2_sse::routes(self.sse.clone()).merge(routes(self.ws.clone()))
    }

    /// What to do when shutdown begins: end SSE streams (each gets a last comment) and
    /// send every WebSocket a 1001, so the HTTP drain can finish.
    pub fn begin_shutdown(&self) {
        self.sse.close_streams();
        self.ws.registry().close_all(CloseCode::GoingAway);
    }

    /// Serves `router` (which should include [`Phase3App::routes`]) until Ctrl-C/SIGTERM,
    /// then drains: HTTP requests under the server's deadline, then the upgraded
    /// WebSockets' closing handshakes under the close deadline.
    pub async fn serve(&self, config: &Phase3Config, router: Router) -> ExitCode {
        let shutdown = async {
            server::ctrl_c_or_term().await;
            self.begin_shutdown();
        };
        let code = server::run(&config.server, router, shutdown).await;
        // Upgraded connections are no longer the HTTP server's: wait for their closing
        // handshakes here, within the close deadline.
        self.ws.shutdown(config.ws.close_timeout()).await;
        code
    }

    /// Builds everything and serves it: the whole of phase 3's `main`.
    pub async fn run(config: &Phase3Config) -> ExitCode {
        let app = Self::new(config);
        let router = health::routes(Self::PHASES.to_vec()).merge(app.routes());
        app.serve(config, router).await
    }
}
