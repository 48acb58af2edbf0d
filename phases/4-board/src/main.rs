//! `cargo run -p phase-4-board`: the server as of phase 4 — phase 1's `/health`, phase 2's
//! event streams and presence, phase 3's WebSockets, and the board: notes over `/ws`,
//! `GET /boards`, `GET /boards/:board`, all on one hub numbered by the event log on disk.
//! `--routes` prints which phase serves which route.
//!
//! ```text
//! cargo run -p phase-4-board -- --data-dir ./data
//! websocat --protocol liveboard.v1 ws://127.0.0.1:8080/ws
//!   {"type":"subscribe","id":"1","payload":{"board":"demo"}}
//!   {"type":"note_create","id":"2","payload":{"board":"demo","opId":"o1","noteId":"n1","text":"hi","color":"#fde68a","column":"Todo","order":1,"author":"Ana"}}
//! curl -N http://127.0.0.1:8080/boards/demo/events               # the notification feed
//! curl http://127.0.0.1:8080/boards/demo                          # the snapshot
//! ```

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{Board, BoardConfig};

/// Liveboard, phase 4: the board.
#[derive(Parser)]
#[command(name = "phase-4-board", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    sse: SseConfig,
    #[command(flatten)]
    ws: WsConfig,
    #[command(flatten)]
    board: BoardConfig,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.server.log);
    Composition::new(cli.server)
        .module(Sse::new(cli.sse))
        .module(WebSocket::new(cli.ws))
        .module(Board::new(cli.board))
        .run()
        .await
}
