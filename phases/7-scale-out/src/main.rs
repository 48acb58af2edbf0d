//! `cargo run -p phase-7-scale-out`: the server as of phase 7 — phases 1–6, and, with
//! `--redis-url` and `--nats-url`, one of many instances sharing boards through Redis
//! and NATS. Without them it is phase 6's server.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{Board, BoardConfig};
use phase_5_hardening::{Hardening, HardeningConfig};
use phase_6_third_party::{ThirdParty, ThirdPartyConfig};
use phase_7_scale_out::{ScaleOut, ScaleOutConfig};

/// Liveboard, phase 7: many instances over a shared store and a message bus.
#[derive(Parser)]
#[command(name = "phase-7-scale-out", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    sse: SseConfig,
    #[command(flatten)]
    ws: WsConfig,
    #[command(flatten)]
    scale: ScaleOutConfig,
    #[command(flatten)]
    board: BoardConfig,
    #[command(flatten)]
    hardening: HardeningConfig,
    #[command(flatten)]
    third_party: ThirdPartyConfig,
}

// ANCHOR: phase7_main
#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.server.log);
    Composition::new(cli.server)
        // First: it provides the store and the publisher phase 4 takes, and the
        // presence phases 2 and 3 take.
        .module(ScaleOut::new(cli.scale))
        .module(Sse::new(cli.sse))
        .module(WebSocket::new(cli.ws))
        .module(Board::new(cli.board))
        .module(Hardening::new(cli.hardening))
        .module(ThirdParty::new(cli.third_party))
        .run()
        .await
}
// ANCHOR_END: phase7_main
