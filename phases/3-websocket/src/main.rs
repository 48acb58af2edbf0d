//! `cargo run -p phase-3-websocket`: the server as of phase 3 — phase 1's `/health`,
//! phase 2's event streams, presence and messages, and phase 3's WebSockets, all on one
//! hub, so a message posted over HTTP reaches WebSocket clients and vice versa.
//! `--routes` prints which phase serves which route.
//!
//! ```text
//! websocat -v ws://127.0.0.1:8080/ws/echo                       # echo
//! websocat --protocol liveboard.v1 ws://127.0.0.1:8080/ws       # the board protocol
//!   {"type":"subscribe","id":"1","payload":{"board":"demo"}}
//!   {"type":"publish","id":"2","payload":{"board":"demo","text":"hi"}}
//! curl -N http://127.0.0.1:8080/boards/demo/events              # the same board over SSE
//! ```

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};

/// Liveboard, phase 3: WebSocket from scratch.
#[derive(Parser)]
#[command(name = "phase-3-websocket", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    sse: SseConfig,
    #[command(flatten)]
    ws: WsConfig,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.server.log);
    Composition::new(cli.server)
        .module(Sse::new(cli.sse))
        .module(WebSocket::new(cli.ws))
        .run()
        .await
}
