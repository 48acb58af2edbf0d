//! `liveboard`: the production server. It owns no protocol code of its own: it is the
//! list of every phase's module (see `phase_1_foundations::module`), each adding its
//! configuration group to the command line, its routes and its start and stop.
//! `cargo run` at the workspace root starts it; `liveboard --routes` prints which phase
//! serves which route.
//!
//! | phase | what it adds here |
//! |---|---|
//! | 1 Foundations | HTTP server, router, CORS, `/health` |
//! | 2 Server-Sent Events | `/boards/:board/events` (SSE with replay), presence, `/stats` |
//! | 3 WebSocket | `/ws` (the board protocol), `/ws/echo`, `/ws/stats`, one hub for both transports |
//! | 4 The board | notes over `/ws`, `GET /boards`, `GET /boards/:board`, the event log on disk (`--data-dir`) |
//! | 5 Hardening | the reconnection contract advertised to every client, heartbeats, graceful shutdown |
//! | 6 Third party | `--ws-transport` (hand-rolled or tokio-tungstenite behind `/ws`), both side by side at `/ws/hand-rolled` and `/ws/tungstenite`, `/ws/transports` |
//! | 7 Scale-out | with `--redis-url`, boards in Redis shared by every instance; with `--nats-url` too, every instance's events fanned out to the others over NATS; `/health` reports both links; `/scale/instance` |
//! | 8 Protocol lab | `/boards/:board/poll`: the event log by short polling (`ETag`, `304`) and long polling (`wait_ms`, held requests capped); `/boards/:board/webhooks`: signed deliveries of the log, retried with backoff, resumed after a restart; with `--lab-receiver`, `/lab/receivers`: a webhook receiver in the server for the lab page |

// One call needs `unsafe`: glibc's `malloc_trim`, in `memory.rs`, allowed there alone.
#![deny(unsafe_code)]

mod memory;

use std::process::ExitCode;

use clap::Parser;
use phase_1_foundations::{logging, Composition, ServerConfig};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{WebSocket, WsConfig};
use phase_4_board::{Board, BoardConfig};
use phase_5_hardening::{Hardening, HardeningConfig};
use phase_6_third_party::{ThirdParty, ThirdPartyConfig};
use phase_7_scale_out::{ScaleOut, ScaleOutConfig};
use phase_8_protocol_lab::{ProtocolLab, ProtocolLabConfig};

// ANCHOR: backend_main
/// Liveboard: a real-time collaborative board, built phase by phase.
#[derive(Parser)]
#[command(name = "liveboard", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    sse: SseConfig,
    #[command(flatten)]
    ws: WsConfig,
    #[command(flatten)]
    scale: ScaleOutConfig,
    #[command(flatten)]
    board: BoardConfig,
    #[command(flatten)]
    hardening: HardeningConfig,
    #[command(flatten)]
    third_party: ThirdPartyConfig,
    #[command(flatten)]
    lab: ProtocolLabConfig,
    #[command(flatten)]
    memory: memory::MemoryConfig,
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli.server.memory_release = match cli.memory.release() {
        Ok(release) => release,
        Err(e) => {
            eprintln!("cannot start the server: {e}");
            return ExitCode::FAILURE;
        }
    };
    logging::init(&cli.server.log);
    Composition::new(cli.server)
        // First: with --redis-url / --nats-url it provides the store and the publisher
        // phase 4 takes, and the presence phases 2 and 3 take.
        .module(ScaleOut::new(cli.scale))
        .module(Sse::new(cli.sse))
        .module(WebSocket::new(cli.ws))
        .module(Board::new(cli.board))
        .module(Hardening::new(cli.hardening))
        .module(ThirdParty::new(cli.third_party))
        .module(ProtocolLab::new(cli.lab))
        .run()
        .await
}
// ANCHOR_END: backend_main

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// The configuration table of `docs/src/running.md`, rendered from the command line.
    fn flags_table() -> String {
        let mut out = String::from(
            "| flag | environment variable | default | meaning |\n|---|---|---|---|\n",
        );
        for arg in Cli::command().get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" || long == "version" {
                continue;
            }
            let env = arg
                .get_env()
                .map(|e| format!("`{}`", e.to_string_lossy()))
                .unwrap_or_default();
            let default = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",");
            let default = if default.is_empty() {
                "—".to_owned()
            } else {
                format!("`{default}`")
            };
            let help = arg
                .get_long_help()
                .or_else(|| arg.get_help())
                .map(|h| h.to_string().replace('\n', " ").replace('|', "\\|"))
                .unwrap_or_default();
            out.push_str(&format!("| `--{long}` | {env} | {default} | {help} |\n"));
        }
        out
    }

    #[test]
    #[cfg_attr(
        feature = "jemalloc",
        ignore = "the book lists the default build's flags (--release-memory-when-idle differs)"
    )]
    fn the_book_lists_every_flag_with_its_current_default() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/src/running.md");
        let doc = std::fs::read_to_string(path).expect("docs/src/running.md exists");
        let (begin, end) = ("<!-- flags:begin -->\n", "<!-- flags:end -->");
        let start = doc.find(begin).expect("flags:begin marker") + begin.len();
        let stop = doc.find(end).expect("flags:end marker");
        let table = flags_table();
        if std::env::var("LIVEBOARD_UPDATE_GENERATED").is_ok_and(|v| v == "1") {
            let updated = format!("{}{}{}", &doc[..start], table, &doc[stop..]);
            std::fs::write(path, updated).expect("write docs/src/running.md");
            return;
        }
        assert_eq!(
            &doc[start..stop],
            table,
            "docs/src/running.md's flag table is stale: LIVEBOARD_UPDATE_GENERATED=1 cargo test -p liveboard"
        );
    }
}
