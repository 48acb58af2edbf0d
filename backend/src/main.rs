//! `liveboard`: the production server. It owns no protocol code of its own — it parses
//! the configuration of every phase and starts the composition of the latest phase,
//! which builds on the earlier ones. `cargo run` at the workspace root starts it.
//!
//! | phase | what it adds here |
//! |---|---|
//! | 1 Foundations | HTTP server, router, CORS, `/health` |
//! | 2 Server-Sent Events | `/boards/:board/events` (SSE with replay), presence, `/stats` |
//! | 3 WebSocket | `/ws` (the board protocol), `/ws/echo`, `/ws/stats`, one hub for both transports |

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::logging;
use phase_3_websocket::app::{Phase3App, Phase3Config};

/// Liveboard: a real-time collaborative board, built phase by phase.
#[derive(Parser)]
#[command(name = "liveboard", version, about)]
struct Cli {
    #[command(flatten)]
    config: Phase3Config,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.config.server.log);
    Phase3App::run(&cli.config).await
}
