//! `cargo run -p phase-5-hardening`: the server as of phase 5 — phases 1–4, plus the
//! reconnection contract (advertised to every client), heartbeats and a graceful shutdown.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{Board, BoardConfig};
use phase_5_hardening::{Hardening, HardeningConfig};

/// Liveboard, phase 5: production hardening.
#[derive(Parser)]
#[command(name = "phase-5-hardening", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    sse: SseConfig,
    #[command(flatten)]
    ws: WsConfig,
    #[command(flatten)]
    board: BoardConfig,
    #[command(flatten)]
    hardening: HardeningConfig,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.server.log);
    Composition::new(cli.server)
        .module(Sse::new(cli.sse))
        .module(WebSocket::new(cli.ws))
        .module(Board::new(cli.board))
        .module(Hardening::new(cli.hardening))
        .run()
        .await
}
