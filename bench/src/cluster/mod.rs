//! `cluster`: scale-out, measured. Many WebSockets across several `liveboard` instances
//! behind the bus, on one machine, and every chat line must reach every subscriber of its
//! board, whichever instance holds it.
//!
//! ```text
//!  parent ─ publishers (one per instance) ──▶ instance k ──▶ Redis (appendfsync always)
//!                                                 └──▶ NATS ──▶ every instance ──▶ its subscribers
//!  workers (≤ 17k connections each, 127.0.0.2–254) ── subscribe ──▶ instances 0 … K−1
//! ```
//!
//! 1. Start `redis-server`, `nats-server` and K instances ([`deps`]); read their RSS.
//! 2. Start the workers ([`worker`]): this tool again, as `cluster-worker`, since 100k
//!    client sockets exceed one process's 20,000 files. They open every connection of the
//!    plan ([`plan`]) and subscribe; the time until all are subscribed is the handshake
//!    time. After `--settle-secs`, the instances' RSS again: (after − before) / connections
//!    is the server memory per connection.
//! 3. Publish `--rate` chat lines per second for `--duration` seconds, round-robin over the
//!    boards, each through the publisher of another instance ([`publish`]).
//! 4. Wait (at most `--drain-secs`) until every subscriber has every acknowledged message of
//!    its board; then each worker reports what its subscribers received, and the latency of
//!    every delivery (receive time − send time, on the machine's monotonic clock; it
//!    includes Redis's fsync before the instance publishes). The publishers also time
//!    each `ack` (send → ack: the commit alone), so the two can be told apart.
//!
//! **Missing** = Σ over boards of (messages acknowledged × subscribers) − distinct
//! messages received; **duplicates** = messages a subscriber received twice. Both must be
//! 0. Every process the tool starts is killed by its PID at the end (and by the kernel if
//! the tool dies first).

mod deps;
pub mod histogram;
mod plan;
mod publish;
pub mod worker;

use std::{
    io::Write as _,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, ChildStdin, Command},
};

use self::{
    deps::{start_instance, Dependency, InstanceSetup},
    histogram::Histogram,
    plan::{board_of, instance_of, mono_us, publisher_of, worker_ranges, PER_PROCESS},
    publish::{request, PublishBook, Publisher},
    worker::{WorkerFinal, WorkerLine},
};
use crate::{
    client::wide_source_addr,
    procfs,
    report::{self, Context, Scenario},
    runner::{fmt, Metrics},
    server::{die_with_parent, ServerProcess},
    system,
};

/// `cluster`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// WebSockets, spread over the instances (each subscribes to one board).
    #[arg(long, default_value_t = 100_000)]
    pub conns: usize,
    /// `liveboard` instances. Default: enough for ≤ 18,000 connections each, at least 2.
    #[arg(long)]
    pub instances: Option<usize>,
    /// Boards; connection i subscribes to board i % boards.
    #[arg(long, default_value_t = 20)]
    pub boards: usize,
    /// Chat lines per second, all boards together.
    #[arg(long, default_value_t = 10)]
    pub rate: u32,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Most connections per worker process (the fd limit is 20,000 per process).
    #[arg(long, default_value_t = 17_000)]
    pub conns_per_worker: usize,
    /// Handshakes in flight at once, per worker.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds to wait after connecting before reading memory.
    #[arg(long, default_value_t = 3)]
    pub settle_secs: u64,
    /// Longest wait for the last deliveries after publishing stops, in seconds.
    #[arg(long, default_value_t = 30)]
    pub drain_secs: u64,
    /// Longest wait for every connection to be subscribed, in seconds.
    #[arg(long, default_value_t = 900)]
    pub connect_timeout_secs: u64,
    /// The `liveboard` binary (built with phase 7). Default: the one next to this tool.
    #[arg(long)]
    pub liveboard_bin: Option<PathBuf>,
    /// One more argument for every instance (repeat for several).
    #[arg(long = "liveboard-arg", allow_hyphen_values = true)]
    pub liveboard_args: Vec<String>,
    /// The `redis-server` program.
    #[arg(long, default_value = "redis-server")]
    pub redis_server: PathBuf,
    /// Redis's `appendfsync`: `always` (every write on disk before Redis answers, what
    /// phase 7 requires), or `everysec` to see the latency without the disk's fsync.
    #[arg(long, default_value = "always", value_parser = ["always", "everysec"])]
    pub redis_appendfsync: String,
    /// The `nats-server` program.
    #[arg(long, default_value = "nats-server")]
    pub nats_server: PathBuf,
    /// Where every process's log goes.
    #[arg(long, default_value = "target/liveboard-bench")]
    pub log_dir: PathBuf,
    /// Append the results to this file as one JSON line.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl ClusterArgs {
    /// The number of instances: `--instances` or the default for `--conns`.
    fn instance_count(&self) -> usize {
        self.instances
            .unwrap_or_else(|| plan::instances_for(self.conns))
    }

    /// Checks the sizes against what one process may hold.
    fn check(&self) -> Result<(), String> {
        let k = self.instance_count();
        if self.conns == 0 || self.boards == 0 || self.boards > self.conns || k == 0 {
            return Err("--conns ≥ --boards ≥ 1 and --instances ≥ 1".into());
        }
        if self.rate == 0 || self.duration == 0 {
            return Err("--rate and --duration must be above 0".into());
        }
        let busiest = per_instance(self.conns, self.boards, k)
            .into_iter()
            .max()
            .unwrap_or(0);
        if busiest > PER_PROCESS {
            return Err(format!(
                "{} connections on {k} instances puts {busiest} on one: at most {PER_PROCESS} \
                 fit under the 20,000-file limit (use --instances {} or more)",
                self.conns,
                plan::instances_for(self.conns)
            ));
        }
        if self.conns_per_worker == 0 || self.conns_per_worker > PER_PROCESS {
            return Err(format!("--conns-per-worker: 1 to {PER_PROCESS}"));
        }
        Ok(())
    }
}

/// How many connections each instance gets.
fn per_instance(conns: usize, boards: usize, instances: usize) -> Vec<usize> {
    let mut counts = vec![0; instances];
    for i in 0..conns {
        counts[instance_of(i, boards, instances)] += 1;
    }
    counts
}

/// Runs the scenario (the `cluster` subcommand).
pub fn main(args: &ClusterArgs) -> Result<(), String> {
    args.check()?;
    let limit = system::raise_open_files_limit().map_err(|e| format!("setrlimit: {e}"))?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "liveboard-bench cluster: {} CPUs, open files ≤ {limit} per process, load average {}",
        system::online_cpus(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    runtime.block_on(async {
        tokio::select! {
            // Returning drops every process guard, which kills its child.
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
            result = run(args) => result,
        }
    })
}

/// A directory removed when dropped (Redis's append-only file, the instances' data).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One worker process and what it has said so far.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    seen: Arc<Mutex<Heard>>,
}

/// What a worker has reported.
#[derive(Default)]
struct Heard {
    connected: u64,
    failed: u64,
    unique: u64,
    subscribed_per_board: Option<Vec<u64>>,
    first_error: Option<String>,
    fin: Option<WorkerFinal>,
    ended: bool,
}

impl Worker {
    fn start(
        args: &ClusterArgs,
        servers: &str,
        range: std::ops::Range<usize>,
    ) -> Result<Self, String> {
        let me =
            std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
        let log_path = args
            .log_dir
            .join(format!("cluster-worker-{}.stderr.log", range.start));
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let mut cmd = Command::new(me);
        cmd.args([
            "cluster-worker",
            "--servers",
            servers,
            "--boards",
            &args.boards.to_string(),
            "--first",
            &range.start.to_string(),
            "--count",
            &range.len().to_string(),
            "--concurrency",
            &args.concurrency.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true);
        die_with_parent(cmd.as_std_mut());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start a worker: {e}"))?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let seen = Arc::new(Mutex::new(Heard::default()));
        let heard = seen.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(parsed) = serde_json::from_str::<WorkerLine>(&line) else {
                    continue;
                };
                let mut h = heard.lock().expect("worker state lock");
                match parsed {
                    WorkerLine::Progress {
                        connected,
                        failed,
                        unique,
                    } => (h.connected, h.failed, h.unique) = (connected, failed, unique),
                    WorkerLine::Connected {
                        subscribed_per_board,
                        failed,
                        first_error,
                    } => {
                        h.connected = subscribed_per_board.iter().sum();
                        h.failed = failed;
                        h.subscribed_per_board = Some(subscribed_per_board);
                        h.first_error = first_error;
                    }
                    WorkerLine::Final(fin) => {
                        h.unique = fin.unique_per_board.iter().sum();
                        h.fin = Some(fin);
                    }
                }
            }
            heard.lock().expect("worker state lock").ended = true;
        });
        Ok(Worker { child, stdin, seen })
    }

    fn heard(&self) -> std::sync::MutexGuard<'_, Heard> {
        self.seen.lock().expect("worker state lock")
    }

    fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }
}

/// Sums a figure over processes.
fn sum<T>(items: &[T], f: impl Fn(&T) -> u64) -> u64 {
    items.iter().map(f).sum()
}

fn cpu_of(pids: &[u32]) -> Duration {
    pids.iter()
        .map(|pid| procfs::process_cpu(*pid).unwrap_or_default())
        .sum()
}

async fn run(a: &ClusterArgs) -> Result<(), String> {
    let k = a.instance_count();
    let context = Context::for_binary(a.liveboard_bin.as_deref(), &a.liveboard_args);
    std::fs::create_dir_all(&a.log_dir)
        .map_err(|e| format!("cannot create {}: {e}", a.log_dir.display()))?;
    let tmp = TempDir(
        std::env::temp_dir().join(format!("liveboard-bench-cluster-{}", std::process::id())),
    );
    std::fs::create_dir_all(&tmp.0)
        .map_err(|e| format!("cannot create {}: {e}", tmp.0.display()))?;

    // 1. Redis, NATS, the instances.
    let redis =
        Dependency::redis(&a.redis_server, &a.redis_appendfsync, &tmp.0, &a.log_dir).await?;
    let nats = Dependency::nats(&a.nats_server, &a.log_dir).await?;
    let bin = match &a.liveboard_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()
            .map_err(|e| format!("cannot find this executable: {e}; pass --liveboard-bin"))?
            .with_file_name("liveboard"),
    };
    let setup = InstanceSetup {
        bin: &bin,
        redis_url: redis.url("redis"),
        nats_url: nats.url("nats"),
        data_dir: &tmp.0,
        log_dir: &a.log_dir,
        extra_args: &a.liveboard_args,
    };
    let instances = (0..k)
        .map(|i| start_instance(&setup, i))
        .collect::<Result<Vec<ServerProcess>, String>>()?;
    let addrs = deps::addresses(&instances);
    eprintln!(
        "== cluster: redis (PID {}), nats (PID {}), {k} instances (PIDs {})",
        redis.pid(),
        nats.pid(),
        instances
            .iter()
            .map(|s| s.pid().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss0 = sum(&instances, ServerProcess::rss_kib);
    let slab0 = procfs::slab_kib();

    // 2. The workers: every connection subscribed.
    let servers = addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let t_connect = Instant::now();
    let mut workers = worker_ranges(a.conns, a.conns_per_worker)
        .into_iter()
        .map(|range| Worker::start(a, &servers, range))
        .collect::<Result<Vec<_>, String>>()?;
    let deadline = t_connect + Duration::from_secs(a.connect_timeout_secs);
    let mut last_note = Instant::now();
    loop {
        let done = workers
            .iter()
            .all(|w| w.heard().subscribed_per_board.is_some());
        if done {
            break;
        }
        if let Some(w) = workers.iter().find(|w| w.heard().ended) {
            return Err(format!(
                "worker PID {} ended while connecting; see {}",
                w.pid(),
                a.log_dir.display()
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "not every connection subscribed within {} s",
                a.connect_timeout_secs
            ));
        }
        if last_note.elapsed() >= Duration::from_secs(5) {
            last_note = Instant::now();
            let (c, f) = workers.iter().fold((0, 0), |(c, f), w| {
                let h = w.heard();
                (c + h.connected, f + h.failed)
            });
            eprintln!(
                "   {:>5.0} s: {c} subscribed, {f} failed, load {}",
                t_connect.elapsed().as_secs_f64(),
                load1()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let handshake = t_connect.elapsed();
    let mut subscribed = vec![0u64; a.boards];
    let mut failed = 0;
    for w in &workers {
        let h = w.heard();
        for (b, n) in h.subscribed_per_board.iter().flatten().enumerate() {
            subscribed[b] += n;
        }
        failed += h.failed;
        if let Some(e) = &h.first_error {
            eprintln!("   a connection failed, e.g.: {e}");
        }
    }
    let connected: u64 = subscribed.iter().sum();
    eprintln!(
        "   {connected} subscribed in {:.1} s ({failed} failed); settling {} s",
        handshake.as_secs_f64(),
        a.settle_secs
    );
    let server_pids: Vec<u32> = instances.iter().map(ServerProcess::pid).collect();
    let idle0 = cpu_of(&server_pids);
    tokio::time::sleep(Duration::from_secs(a.settle_secs)).await;
    let idle_cpu = (cpu_of(&server_pids) - idle0).as_secs_f64() / a.settle_secs.max(1) as f64;
    let rss1 = sum(&instances, ServerProcess::rss_kib);
    let slab1 = procfs::slab_kib();
    let worker_pids: Vec<u32> = workers.iter().map(Worker::pid).collect();
    let clients_rss = worker_pids
        .iter()
        .map(|pid| procfs::process_rss_kib(*pid).unwrap_or(0))
        .sum::<u64>();

    // 3. Publish.
    let book = Arc::new(Mutex::new(PublishBook::new(a.boards)));
    let mut publishers = Vec::with_capacity(k);
    for (i, addr) in addrs.iter().enumerate() {
        let source = wide_source_addr(a.conns + i);
        publishers.push(Publisher::connect(*addr, source, book.clone()).await?);
    }
    let (cpu0, bus0, store0, clients0, me0) = (
        cpu_of(&server_pids),
        nats.cpu(),
        redis.cpu(),
        cpu_of(&worker_pids),
        procfs::self_cpu(),
    );
    eprintln!(
        "   publishing {} chat lines/s for {} s (load {})",
        a.rate,
        a.duration,
        load1()
    );
    let t0 = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(a.rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut next_on_board = vec![0u64; a.boards];
    let publish_for = Duration::from_secs(a.duration);
    loop {
        ticker.tick().await;
        if t0.elapsed() >= publish_for {
            break;
        }
        let m = book.lock().expect("book lock").sent_count();
        let board = board_of(m as usize, a.boards);
        let kth = next_on_board[board];
        next_on_board[board] += 1;
        let now = mono_us();
        book.lock().expect("book lock").sent(board, now);
        let text = request(m, board, kth, now);
        publishers[publisher_of(m, a.boards, k)].send(&text).await?;
    }
    let published = book.lock().expect("book lock").sent_count();

    // 4. Wait for every delivery (bounded), then ask the workers.
    let drain_deadline = Instant::now() + Duration::from_secs(a.drain_secs);
    let (mut last_unique, mut last_change) = (0, t0.elapsed());
    loop {
        let (answered, expected) = {
            let b = book.lock().expect("book lock");
            let expected: u64 = b
                .acked_per_board
                .iter()
                .zip(&subscribed)
                .map(|(m, s)| m * s)
                .sum();
            (b.answered, expected)
        };
        let unique: u64 = workers.iter().map(|w| w.heard().unique).sum();
        if unique != last_unique {
            (last_unique, last_change) = (unique, t0.elapsed());
        }
        if (answered == published && unique >= expected) || Instant::now() > drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wall = last_change.max(Duration::from_millis(1));
    let (cpu1, bus1, store1, clients1, me1) = (
        cpu_of(&server_pids),
        nats.cpu(),
        redis.cpu(),
        cpu_of(&worker_pids),
        procfs::self_cpu(),
    );
    let rss2 = sum(&instances, ServerProcess::rss_kib);
    for w in &mut workers {
        w.stdin
            .write_all(b"report\n")
            .await
            .map_err(|e| format!("cannot ask worker PID {} to report: {e}", w.pid()))?;
    }
    let report_deadline = Instant::now() + Duration::from_secs(60);
    while workers.iter().any(|w| w.heard().fin.is_none()) {
        if Instant::now() > report_deadline
            || workers.iter().any(|w| {
                let h = w.heard();
                h.ended && h.fin.is_none()
            })
        {
            return Err("a worker did not report".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut unique_per_board = vec![0u64; a.boards];
    let (mut duplicates, mut cut, mut first_cut) = (0, 0, None);
    let mut latency = Histogram::default();
    for w in &workers {
        let h = w.heard();
        let fin = h.fin.as_ref().expect("every worker reported");
        for (b, n) in fin.unique_per_board.iter().enumerate() {
            unique_per_board[b] += n;
        }
        duplicates += fin.duplicates;
        cut += fin.cut;
        if first_cut.is_none() {
            first_cut.clone_from(&fin.first_cut);
        }
        latency.merge(&fin.latency);
    }
    let book = std::mem::take(&mut *book.lock().expect("book lock"));
    let missing = missing(&book.acked_per_board, &subscribed, &unique_per_board);
    if let Some(why) = &first_cut {
        eprintln!("   {cut} subscribers were cut, e.g.: {why}");
    }
    if let Some(why) = &book.first_refusal {
        eprintln!("   {} publishes refused, e.g.: {why}", book.refused);
    }
    drop(publishers);
    drop(workers);
    drop(instances);

    let delivered: u64 = unique_per_board.iter().sum();
    let secs = wall.as_secs_f64();
    let ms = |us: Option<u64>| us.map_or(f64::NAN, |us| us as f64 / 1e3);
    let per_conn = |kib: u64| kib as f64 / connected.max(1) as f64;
    let slab = match (slab0, slab1) {
        (Some(s0), Some(s1)) => s1.saturating_sub(s0) as f64 / (2 * connected.max(1)) as f64,
        _ => f64::NAN,
    };
    let server_cpu = (cpu1 - cpu0).as_secs_f64();
    let metrics: Metrics = vec![
        ("connections", connected as f64),
        ("connections failed", failed as f64),
        ("instances", k as f64),
        ("boards", a.boards as f64),
        ("handshake s (all connections)", handshake.as_secs_f64()),
        ("handshakes/s", connected as f64 / handshake.as_secs_f64()),
        (
            "server RSS before MiB (all instances)",
            rss0 as f64 / 1024.0,
        ),
        ("server RSS connected MiB", rss1 as f64 / 1024.0),
        ("server KiB/connection", per_conn(rss1.saturating_sub(rss0))),
        ("server RSS after publishing MiB", rss2 as f64 / 1024.0),
        ("client KiB/connection (workers)", per_conn(clients_rss)),
        ("kernel slab KiB/socket (noisy)", slab),
        ("messages sent", published as f64),
        ("messages acknowledged", book.acked() as f64),
        ("publishes refused", book.refused as f64),
        ("publishes unanswered", (published - book.answered) as f64),
        ("deliveries", delivered as f64),
        ("deliveries/s", delivered as f64 / secs),
        ("missing", missing as f64),
        ("duplicates", duplicates as f64),
        ("subscribers cut", cut as f64),
        ("latency p50 ms", ms(latency.percentile(50.0))),
        ("latency p99 ms", ms(latency.percentile(99.0))),
        (
            "latency max ms",
            ms(Some(latency.max()).filter(|_| latency.count() > 0)),
        ),
        (
            "commit latency p50 ms",
            ms(book.commit_latency.percentile(50.0)),
        ),
        (
            "commit latency p99 ms",
            ms(book.commit_latency.percentile(99.0)),
        ),
        (
            "server CPU µs/delivery",
            server_cpu * 1e6 / delivered.max(1) as f64,
        ),
        ("server CPU % (all instances)", server_cpu * 100.0 / secs),
        ("server CPU % idle (heartbeats, resync)", idle_cpu * 100.0),
        ("NATS CPU %", (bus1 - bus0).as_secs_f64() * 100.0 / secs),
        (
            "Redis CPU %",
            (store1 - store0).as_secs_f64() * 100.0 / secs,
        ),
        (
            "workers CPU %",
            (clients1 - clients0).as_secs_f64() * 100.0 / secs,
        ),
        ("publisher CPU %", (me1 - me0).as_secs_f64() * 100.0 / secs),
        ("NATS RSS MiB", nats.rss_kib() as f64 / 1024.0),
        ("Redis RSS MiB", redis.rss_kib() as f64 / 1024.0),
    ];
    drop(nats);
    drop(redis);
    drop(tmp);

    let scenario = Scenario {
        name: "cluster",
        params: vec![
            ("conns", a.conns.into()),
            ("instances", k.into()),
            ("boards", a.boards.into()),
            ("rate", a.rate.into()),
            ("duration", a.duration.into()),
            ("redis_appendfsync", a.redis_appendfsync.clone().into()),
        ],
        title: format!(
            "cluster: {} WebSockets over {k} instances (Redis + NATS), {} boards, {} chat lines/s, {} s",
            a.conns, a.boards, a.rate, a.duration
        ) + &match a.redis_appendfsync.as_str() {
            "always" => String::new(),
            other => format!(" (Redis appendfsync {other})"),
        },
    };
    println!("{}", table(&scenario.title, &metrics));
    let _ = std::io::stdout().flush();
    if let Some(path) = &a.json {
        let record = context.finish(&scenario, vec![("liveboard".into(), vec![metrics])]);
        report::append(path, &record)?;
    }
    if missing > 0 || duplicates > 0 || cut > 0 || failed > 0 {
        return Err(format!(
            "{missing} deliveries missing, {duplicates} duplicates, {cut} subscribers cut, \
             {failed} connections failed"
        ));
    }
    Ok(())
}

/// The 1-minute load average, for progress lines.
fn load1() -> String {
    report::load_average().map_or("?".into(), |l| format!("{:.2}", l[0]))
}

/// Σ over boards of (acknowledged × subscribers − distinct received), never negative per
/// board (a message sent but never answered may still arrive).
fn missing(acked: &[u64], subscribers: &[u64], received: &[u64]) -> u64 {
    acked
        .iter()
        .zip(subscribers)
        .zip(received)
        .map(|((a, s), r)| (a * s).saturating_sub(*r))
        .sum()
}

/// The figures as a two-column Markdown table.
fn table(title: &str, metrics: &Metrics) -> String {
    let mut out = format!("\n### {title}\n\n| figure | value |\n|---|---:|\n");
    for (name, v) in metrics {
        // Counts are whole numbers: print them so.
        let v = if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{v:.0}")
        } else {
            fmt(*v)
        };
        out += &format!("| {name} | {v} |\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(conns: usize, instances: Option<usize>) -> ClusterArgs {
        ClusterArgs {
            conns,
            instances,
            boards: 20,
            rate: 10,
            duration: 30,
            conns_per_worker: 17_000,
            concurrency: 64,
            settle_secs: 3,
            drain_secs: 30,
            connect_timeout_secs: 900,
            liveboard_bin: None,
            liveboard_args: vec![],
            redis_server: "redis-server".into(),
            redis_appendfsync: "always".into(),
            nats_server: "nats-server".into(),
            log_dir: "logs".into(),
            json: None,
        }
    }

    #[test]
    fn a_hundred_thousand_fit_on_six_instances_but_not_on_five() {
        assert!(args(100_000, None).check().is_ok());
        assert_eq!(args(100_000, None).instance_count(), 6);
        let err = args(100_000, Some(5)).check().unwrap_err();
        assert!(err.contains("--instances 6"), "{err}");
        assert!(args(2_000, None).check().is_ok());
        assert!(
            args(10, Some(2)).check().is_err(),
            "fewer connections than boards"
        );
    }

    #[test]
    fn missing_counts_every_subscriber_without_every_acknowledged_message() {
        // Board 0: 3 messages × 4 subscribers, 11 received; board 1 complete.
        assert_eq!(missing(&[3, 2], &[4, 5], &[11, 10]), 1);
        // More received than acknowledged (an unanswered publish arrived): not negative.
        assert_eq!(missing(&[1], &[2], &[3]), 0);
    }

    #[test]
    fn the_table_has_one_row_per_figure() {
        let t = table(
            "cluster",
            &vec![("missing", 0.0), ("latency p99 ms", 12.345)],
        );
        assert!(t.contains("| missing | 0 |"), "{t}");
        assert!(t.contains("| latency p99 ms | 12.35 |"), "{t}");
    }
}
