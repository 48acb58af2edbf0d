//! `cargo run -p phase-1-foundations`: the server as of phase 1 — `/health` and nothing
//! else, with the router, JSON errors, CORS, logs and graceful stop around it.
//! `--routes` prints the route table and exits.

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};

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
    Composition::new(cli.server).run().await
}
