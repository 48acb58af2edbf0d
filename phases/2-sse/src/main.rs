//! `cargo run -p phase-2-sse`: the server as of phase 2 — phase 1's `/health` plus event
//! streams, presence and a way to post messages. `--routes` prints the route table.
//!
//! ```text
//! curl -N http://127.0.0.1:8080/boards/demo/events              # watch
//! curl -H 'content-type: application/json' -d '{"text":"hi"}' \
//!      http://127.0.0.1:8080/boards/demo/messages                 # post
//! ```

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};
use phase_2_sse::{Sse, SseConfig};

/// Liveboard, phase 2: Server-Sent Events and presence.
#[derive(Parser)]
#[command(name = "phase-2-sse", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    sse: SseConfig,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.server.log);
    Composition::new(cli.server)
        .module(Sse::new(cli.sse))
        .run()
        .await
}
