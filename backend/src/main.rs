//! `liveboard`: the production server. It owns no protocol code of its own — it parses
//! the configuration of every phase, composes the phases' routers into one, and serves
//! them. `cargo run` at the workspace root starts it.
//!
//! | phase | what it adds here |
//! |---|---|
//! | 1 Foundations | HTTP server, router, CORS, `/health` |
//! | 2 Server-Sent Events | `/boards/:board/events` (SSE with replay), presence, `/stats` |

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{health, logging, server, PhaseInfo, ServerConfig};
use phase_2_sse::{SseConfig, SseState};

/// Liveboard: a real-time collaborative board, built phase by phase.
#[derive(Parser)]
#[command(name = "liveboard", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    sse: SseConfig,
}

/// The phases compiled into this binary, as `/health` lists them.
fn phases() -> Vec<PhaseInfo> {
    vec![phase_1_foundations::PHASE, phase_2_sse::PHASE]
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.server.log);
    let sse = SseState::new(cli.sse.clone());
    let router = health::routes(phases()).merge(phase_2_sse::routes(sse.clone()));
    // Long-lived responses do not end by themselves: on shutdown, end them (each stream
    // gets a last comment) so the drain finishes instead of waiting out its deadline.
    let shutdown = async move {
        server::ctrl_c_or_term().await;
        sse.close_streams();
    };
    server::run(&cli.server, router, shutdown).await
}
