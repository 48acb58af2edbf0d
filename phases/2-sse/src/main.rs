//! `cargo run -p phase-2-sse`: the server as of phase 2 — phase 1's `/health` plus event
//! streams, presence and a way to post messages.
//!
//! ```text
//! curl -N http://127.0.0.1:8080/boards/demo/events              # watch
//! curl -H 'content-type: application/json' -d '{"text":"hi"}' \
//!      http://127.0.0.1:8080/boards/demo/messages                 # post
//! ```

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{health, logging, server, ServerConfig};
use phase_2_sse::{routes, SseConfig, SseState};

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
    let state = SseState::new(cli.sse.clone());
    let router = health::routes(vec![phase_1_foundations::PHASE, phase_2_sse::PHASE])
        .merge(routes(state.clone()));
    // Event streams never end by themselves: on shutdown, end them (each gets a last
    // comment) so the server's drain can finish instead of waiting out its deadline.
    let shutdown = async move {
        server::ctrl_c_or_term().await;
        state.close_streams();
    };
    server::run(&cli.server, router, shutdown).await
}
