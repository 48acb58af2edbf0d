//! `cargo run -p phase-8-protocol-lab`: the server as of phase 8 — phases 1–6, and the
//! board's event log polled over plain HTTP at `/boards/:board/poll`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{Board, BoardConfig};
use phase_5_hardening::{Hardening, HardeningConfig};
use phase_6_third_party::{ThirdParty, ThirdPartyConfig};
use phase_8_protocol_lab::{ProtocolLab, ProtocolLabConfig};

/// Liveboard, phase 8: the board's event log over short and long polling.
#[derive(Parser)]
#[command(name = "phase-8-protocol-lab", version, about)]
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
    #[command(flatten)]
    lab: ProtocolLabConfig,
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
        .module(ProtocolLab::new(cli.lab))
        .run()
        .await
}
