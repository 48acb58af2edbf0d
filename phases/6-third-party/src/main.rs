//! `cargo run -p phase-6-third-party`: the server as of phase 6 — phases 1–5, with `/ws`
//! served by the transport `--ws-transport` names and both transports side by side at
//! `/ws/hand-rolled` and `/ws/tungstenite`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{Board, BoardConfig};
use phase_5_hardening::{Hardening, HardeningConfig};
use phase_6_third_party::{ThirdParty, ThirdPartyConfig};

/// Liveboard, phase 6: a library's WebSocket transport beside ours.
#[derive(Parser)]
#[command(name = "phase-6-third-party", version, about)]
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
    #[command(flatten)]
    third_party: ThirdPartyConfig,
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
        .module(ThirdParty::new(cli.third_party))
        .run()
        .await
}
