//! `liveboard`: the production server. It owns no protocol code of its own — it parses
//! the configuration of every phase, composes the phases' routers into one, and serves
//! them. `cargo run` at the workspace root starts it.
//!
//! | phase | what it adds here |
//! |---|---|
//! | 1 Foundations | HTTP server, router, CORS, `/health` |

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{health, logging, server, Router, ServerConfig};

/// Liveboard: a real-time collaborative board, built phase by phase.
#[derive(Parser)]
#[command(name = "liveboard", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
}

/// The phases compiled into this binary, as `/health` lists them.
fn phases() -> Vec<phase_1_foundations::PhaseInfo> {
    vec![phase_1_foundations::PHASE]
}

/// Every route of every phase.
fn router(_cli: &Cli) -> Router {
    health::routes(phases())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.server.log);
    let router = router(&cli);
    server::run(&cli.server, router, server::ctrl_c_or_term()).await
}
