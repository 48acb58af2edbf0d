//! `cargo run -p phase-1-foundations`: the server as of phase 1 — `/health` and nothing
//! else, with the router, JSON errors, CORS, logs and graceful stop around it.

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{health, logging, server, ServerConfig, PHASE};

/// Liveboard, phase 1: the HTTP skeleton.
#[derive(Parser)]
#[command(name = "phase-1-foundations", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.server.log);
    let router = health::routes(vec![PHASE]);
    server::run(&cli.server, router, server::ctrl_c_or_term()).await
}
