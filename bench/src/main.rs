//! # `liveboard-bench`: Liveboard's benchmark tool
//!
//! Measures our server (the `liveboard` binary: phase 3's hand-rolled RFC 6455 codec and
//! phase 2's hub) beside two Rust peers built into this tool — tokio-tungstenite and
//! fastwebsockets on hyper 1 — **in the same run**, and prints Markdown tables of medians
//! and ratios for `docs/src/benchmarks.md`. The method (see the benchmarks chapter):
//!
//! * every server on one core (`taskset -c 0`, `TOKIO_WORKER_THREADS=1`), the load
//!   generator pinned to the other core on a current-thread runtime;
//! * server CPU time (from `/proc/PID/stat`) per message or delivery beside throughput;
//!   the client's own CPU % is reported, to show whether it was the bottleneck;
//! * median of 3 runs, servers in rotating order, ratios ours / peer;
//! * connections from 127.0.0.2–127.0.0.9 to a server on 127.0.0.1, the fd soft limit
//!   raised to the hard one (inherited by the servers).
//!
//! ```text
//! cargo build --release -p liveboard -p liveboard-bench
//! cargo run --release -p liveboard-bench -- echo                     # 64 conns × 10 s
//! cargo run --release -p liveboard-bench -- fanout --subs 1000,10000 # as fast as possible
//! cargo run --release -p liveboard-bench -- fanout --subs 1000 --rate 50
//! cargo run --release -p liveboard-bench -- fanout --subs 1000,10000 --window 32
//! cargo run --release -p liveboard-bench -- idle --conns 1000,10000,19500
//! cargo run --release -p liveboard-bench -- idle --transport sse --servers liveboard
//! cargo run --release -p liveboard-bench -- idle --servers liveboard --after-close-secs 30
//! cargo run --release -p liveboard-bench -- shutdown --conns 1000,10000
//! cargo run --release -p liveboard-bench -- echo --json results.jsonl  # also as JSON Lines
//! cargo run --release -p liveboard-bench -- chart --input results.jsonl --out charts/
//! cargo run --release -p liveboard-bench -- cluster --conns 2000     # smoke: 2 instances
//! cargo run --release -p liveboard-bench -- cluster                  # 100k over 6 instances
//! ```
//!
//! `cluster` is different: no peers, no pinning, one run. It starts Redis, NATS and several
//! `liveboard` instances, spreads up to 100,000 WebSockets over them from worker processes
//! (this tool again, as `cluster-worker`) and checks that every chat line reaches every
//! subscriber of its board: see [`cluster`].
//!
//! | module | holds |
//! |---|---|
//! | [`runner`] | runs a scenario against each server, medians, ratios, the table |
//! | [`report`] | the results as JSON Lines records, and their check |
//! | [`chart`] | SVG charts of the records, written by hand |
//! | [`server`] | starting, measuring and killing the server processes |
//! | [`client`] | a minimal WebSocket client and event-stream opener |
//! | [`echo`], [`fanout`], [`idle`], [`shutdown`] | the four scenarios |
//! | [`cluster`] | scale-out: many instances behind the bus, many processes of clients |
//! | [`peers`] | the tokio-tungstenite and fastwebsockets servers |
//! | [`procfs`], [`stats`], [`system`] | `/proc` parsing, percentiles, rlimit and CPU pinning |
//!
//! Tests cover the pure parts only; no test runs a benchmark or asserts a timing.

mod chart;
mod client;
mod cluster;
mod echo;
mod fanout;
mod idle;
mod peers;
mod procfs;
mod report;
mod runner;
mod server;
mod shutdown;
mod stats;
mod system;

use std::{process::ExitCode, sync::OnceLock, time::Instant};

use clap::{Parser, Subcommand};

use crate::{report::Scenario, runner::Common, server::ServerKind};

/// Liveboard's benchmark tool: our server beside tokio-tungstenite and fastwebsockets.
#[derive(Parser)]
#[command(name = "liveboard-bench", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// N connections echoing 32-byte text messages in a closed loop.
    Echo {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        opts: echo::EchoOptions,
    },
    /// S subscribers of one board, one publisher.
    Fanout {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        opts: fanout::FanoutOptions,
    },
    /// Server memory per idle WebSocket (or event stream).
    Idle {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        opts: idle::IdleOptions,
    },
    /// Time until every client has Close 1001 after SIGTERM.
    Shutdown {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        opts: shutdown::ShutdownOptions,
    },
    /// Many WebSockets over several instances behind Redis and NATS: delivery latency,
    /// nothing missing, memory per connection (one run, nothing pinned).
    Cluster(cluster::ClusterArgs),
    /// One process of the cluster's subscribers (the tool starts it itself).
    #[command(hide = true)]
    ClusterWorker(cluster::worker::WorkerArgs),
    /// Render SVG charts from the JSON Lines that `--json` wrote.
    Chart(chart::ChartArgs),
    /// Check the JSON Lines that `--json` wrote: every scenario named has a record, and no
    /// run lost a message, cut a subscriber or left a client without its Close (no timings).
    CheckResults(CheckArgs),
    /// Run the tokio-tungstenite peer server (the tool starts it itself).
    ServeTungstenite(peers::tungstenite::TungsteniteArgs),
    /// Run the fastwebsockets peer server (the tool starts it itself).
    ServeFastwebsockets(peers::PeerArgs),
}

/// `check-results`'s arguments.
#[derive(clap::Args)]
struct CheckArgs {
    /// The JSON Lines file.
    #[arg(long)]
    input: std::path::PathBuf,
    /// Scenarios that must have at least one record, comma-separated.
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
}

const AFTER_HELP: &str = "\
Each scenario starts every server fresh, pinned to CPU 0 with one worker thread, drives it
from CPU 1, repeats (--runs 3), and prints Markdown tables of medians and ratios (ours /
peer) on stdout; progress and the load average go to stderr. Build first:

  cargo build --release -p liveboard -p liveboard-bench
  target/release/liveboard-bench echo
  target/release/liveboard-bench fanout --subs 1000,10000
  target/release/liveboard-bench idle --conns 1000,10000,19500
  target/release/liveboard-bench cluster --conns 2000      # Redis, NATS, 2 instances

--json FILE appends each table's results to FILE (JSON Lines); `chart` renders them as
SVG. `make bench` runs the whole suite and renders the charts.

The method and the figures: docs/src/benchmarks.md.";

static START: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds on the tool's clock (monotonic, shared by publisher and subscribers).
pub fn clock_ns() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// The most connections one measurement may open: the fd limit, less room for the
/// runtime, the publisher and stdio.
fn max_connections(limit: u64) -> usize {
    limit.saturating_sub(200) as usize
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let common = match &cli.command {
        Command::ServeTungstenite(args) => return peers::tungstenite::serve(args),
        Command::ServeFastwebsockets(args) => return peers::fastwebsockets::serve(args),
        Command::Chart(args) => return report_outcome(chart::run(args)),
        Command::Cluster(args) => return report_outcome(cluster::main(args)),
        Command::ClusterWorker(args) => return cluster::worker::main(args),
        Command::CheckResults(args) => {
            let outcome = report::read_all(&args.input)
                .and_then(|records| report::check(&records, &args.scenarios));
            return report_outcome(outcome.map(|summary| print!("{summary}")));
        }
        Command::Echo { common, .. }
        | Command::Fanout { common, .. }
        | Command::Idle { common, .. }
        | Command::Shutdown { common, .. } => common.clone(),
    };
    report_outcome(prepare(&common).and_then(|limit| run(cli.command, limit)))
}

fn report_outcome(outcome: Result<(), String>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("liveboard-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Checks the machine, raises the fd limit, pins us to the client CPU.
fn prepare(common: &Common) -> Result<u64, String> {
    let taskset = std::process::Command::new("taskset")
        .arg("--version")
        .output()
        .map_err(|e| format!("`taskset` not found ({e}): install util-linux"))?;
    if !taskset.status.success() {
        return Err("`taskset --version` failed: install util-linux".into());
    }
    let cpus = system::online_cpus();
    if cpus < 2 || common.client_cpu == common.server.server_cpu {
        eprintln!(
            "warning: {cpus} CPU(s); server and client share a core, figures will be pessimistic"
        );
    }
    let limit = system::raise_open_files_limit().map_err(|e| format!("setrlimit: {e}"))?;
    system::pin_to_cpu(common.client_cpu)
        .map_err(|e| format!("cannot pin to CPU {}: {e}", common.client_cpu))?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "liveboard-bench: {cpus} CPUs, server on CPU {}, client on CPU {}, open files ≤ {limit}, load average {}",
        common.server.server_cpu,
        common.client_cpu,
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    clock_ns();
    Ok(limit)
}

fn run(command: Command, fd_limit: u64) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    runtime.block_on(async move {
        tokio::select! {
            // Returning drops every ServerProcess, which kills its child.
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
            result = scenario(command, fd_limit) => result,
        }
    })
}

fn check_size(n: usize, fd_limit: u64) -> Result<(), String> {
    let max = max_connections(fd_limit);
    if n == 0 || n > max {
        return Err(format!(
            "{n} connections: between 1 and {max} (open-file limit {fd_limit})"
        ));
    }
    Ok(())
}

async fn scenario(command: Command, fd_limit: u64) -> Result<(), String> {
    match command {
        Command::Echo { common, opts } => {
            check_size(opts.conns, fd_limit)?;
            let scenario = Scenario {
                name: "echo",
                params: vec![
                    ("conns", opts.conns.into()),
                    ("size", opts.size.into()),
                    ("secs", opts.secs.into()),
                    ("warmup_secs", opts.warmup_secs.into()),
                ],
                title: format!(
                    "echo: {} connections, {}-byte text, closed loop, {} s",
                    opts.conns, opts.size, opts.secs
                ),
            };
            let o = &opts;
            runner::compare(&scenario, &common, &common.servers, move |s| {
                echo::measure(s, o)
            })
            .await
        }
        Command::Fanout { common, opts } => {
            for &subs in &opts.subs {
                check_size(subs + 1, fd_limit)?;
                let how = if opts.rate == 0 {
                    format!("as fast as possible, window {}", opts.window)
                } else {
                    format!("{} messages/s", opts.rate)
                };
                let scenario = Scenario {
                    name: "fanout",
                    params: vec![
                        ("subs", subs.into()),
                        ("rate", opts.rate.into()),
                        ("window", opts.window.into()),
                        ("secs", opts.secs.into()),
                        ("peer_payload", opts.peer_payload.into()),
                    ],
                    title: format!(
                        "fanout: {subs} subscribers, one board, {how}, {} s",
                        opts.secs
                    ),
                };
                let o = &opts;
                runner::compare(&scenario, &common, &common.servers, move |s| {
                    fanout::measure(s, o, subs)
                })
                .await?;
            }
            Ok(())
        }
        Command::Idle { common, opts } => {
            let kinds: Vec<ServerKind> = match opts.transport {
                idle::Transport::Ws => common.servers.clone(),
                // Only our server speaks SSE.
                idle::Transport::Sse => vec![ServerKind::Liveboard],
            };
            for &n in &opts.conns {
                check_size(n, fd_limit)?;
                let (what, transport) = match opts.transport {
                    idle::Transport::Ws => ("WebSockets", "ws"),
                    idle::Transport::Sse => ("event streams", "sse"),
                };
                let scenario = Scenario {
                    name: "idle",
                    params: vec![
                        ("conns", n.into()),
                        ("transport", transport.into()),
                        ("settle_secs", opts.settle_secs.into()),
                    ],
                    title: format!("idle: {n} {what}"),
                };
                let o = &opts;
                runner::compare(&scenario, &common, &kinds, move |s| idle::measure(s, o, n))
                    .await?;
            }
            Ok(())
        }
        Command::Shutdown { common, opts } => {
            for &n in &opts.conns {
                check_size(n, fd_limit)?;
                let scenario = Scenario {
                    name: "shutdown",
                    params: vec![("conns", n.into())],
                    title: format!("shutdown: {n} WebSockets, SIGTERM → Close 1001"),
                };
                let o = &opts;
                runner::compare(&scenario, &common, &common.servers, move |s| {
                    shutdown::measure(s, o, n)
                })
                .await?;
            }
            Ok(())
        }
        Command::ServeTungstenite(_)
        | Command::ServeFastwebsockets(_)
        | Command::Chart(_)
        | Command::Cluster(_)
        | Command::ClusterWorker(_)
        | Command::CheckResults(_) => Ok(()),
    }
}
