//! The server as of phase 4: phase 3's composition ([`Phase3App`]) on a hub numbered by
//! the board's event log, with the notes extension on `/ws` and the board's HTTP routes.
//! `cargo run -p phase-4-board` and the production `liveboard` binary both start it here.

use std::{process::ExitCode, sync::Arc};

use phase_1_foundations::{health, PhaseInfo, Router};
use phase_3_websocket::server::app::{Phase3App, Phase3Config};

use crate::{store::StoreError, BoardConfig, BoardState};

/// Every option of phases 1–4, flattened into one command line.
#[derive(Debug, Clone, clap::Args)]
pub struct Phase4Config {
    /// Phases 1–3: HTTP server, event streams, WebSockets.
    #[command(flatten)]
    pub base: Phase3Config,
    /// The board: data directory and limits.
    #[command(flatten)]
    pub board: BoardConfig,
}

/// Phases 1–4 wired together.
pub struct Phase4App {
    /// The board: store, event log, writer; it owns the hub.
    pub board: Arc<BoardState>,
    /// Phases 2–3 sharing the board's hub.
    pub base: Phase3App,
}

impl Phase4App {
    /// The phases this app serves, for `/health`.
    pub const PHASES: [PhaseInfo; 4] = [
        phase_1_foundations::PHASE,
        phase_2_sse::PHASE,
        phase_3_websocket::PHASE,
        crate::PHASE,
    ];

    /// Opens the store (creating the data directory if needed) and builds the state.
    pub fn open(config: &Phase4Config) -> Result<Self, StoreError> {
        let board = BoardState::open(config.board.clone(), config.base.sse.hub_limits())?;
        let base = Phase3App::with_hub(&config.base, board.hub().clone());
        Ok(Self { board, base })
    }

    /// Phase 2's routes and the board's (`/ws` with notes, `/ws/echo`, `/ws/stats`,
    /// `/boards`, `/boards/:board`) — phase 4's `/ws` replaces phase 3's.
    pub fn routes(&self) -> Router {
        phase_2_sse::routes(self.base.sse.clone())
            .merge(crate::routes(self.board.clone(), self.base.ws.clone()))
    }

    /// Builds everything and serves it until Ctrl-C/SIGTERM, then drains and commits
    /// what the writer still has queued: the whole of phase 4's `main`.
    pub async fn run(config: &Phase4Config) -> ExitCode {
        let app = match Self::open(config) {
            Ok(app) => app,
            Err(e) => {
                eprintln!(
                    "cannot open the board store in {}: {e}",
                    config.board.data_dir
                );
                return ExitCode::FAILURE;
            }
        };
        let router = health::routes(Self::PHASES.to_vec()).merge(app.routes());
        let code = app.base.serve(&config.base, router).await;
        // Commit what is queued (those clients were acked or will retry), then stop.
        app.board.close();
        code
    }
}
