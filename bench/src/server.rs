//! The servers under test, each a child process the tool starts, measures and kills.
//!
//! Every server is started the same way: `taskset -c 0 <program> --bind 127.0.0.1:0` with
//! `TOKIO_WORKER_THREADS=1`, so it has one core and one worker thread; it prints
//! `listening on http://ADDR` as its first line on stdout (the contract phase 1's server
//! keeps), which is how we learn its port. `taskset` *execs* the server, so the child's PID
//! is the server's and `/proc/PID/*` describes it.
//!
//! **We kill only what we started, always.** [`ServerProcess`]'s `Drop` sends SIGKILL to
//! its own child by PID (and reaps it) unless it already exited — on success, on error and
//! on panic. As a backstop if the tool itself is killed, each child asks the kernel to
//! SIGKILL it when its parent dies (`PR_SET_PDEATHSIG`).

use std::{
    fmt,
    io::{BufRead, BufReader},
    net::SocketAddr,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use crate::procfs;

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServerKind {
    /// Our `liveboard` binary: every phase, with the hand-rolled RFC 6455 codec and the hub.
    Liveboard,
    /// The same binary with `--ws-transport tungstenite`: phase 6's tokio-tungstenite
    /// transport behind the same hub and board protocol.
    LiveboardTungstenite,
    /// tokio-tungstenite, `liveboard-bench serve-tungstenite`.
    Tungstenite,
    /// fastwebsockets on hyper 1, `liveboard-bench serve-fastwebsockets`.
    Fastwebsockets,
}

impl ServerKind {
    /// All four, ours first.
    pub const ALL: [ServerKind; 4] = [
        ServerKind::Liveboard,
        ServerKind::LiveboardTungstenite,
        ServerKind::Tungstenite,
        ServerKind::Fastwebsockets,
    ];

    /// The name in tables.
    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Liveboard => "liveboard",
            ServerKind::LiveboardTungstenite => "liveboard-tungstenite",
            ServerKind::Tungstenite => "tungstenite",
            ServerKind::Fastwebsockets => "fastwebsockets",
        }
    }
}

impl ServerKind {
    /// Whether this is our server (either transport): it speaks the board protocol.
    pub fn is_liveboard(self) -> bool {
        matches!(
            self,
            ServerKind::Liveboard | ServerKind::LiveboardTungstenite
        )
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How servers are started.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerOptions {
    /// The `liveboard` binary to measure. Default: the `liveboard` next to this tool, which
    /// `cargo build --release -p liveboard -p liveboard-bench` puts in target/release/.
    #[arg(long)]
    pub liveboard_bin: Option<PathBuf>,
    /// The CPU the server is pinned to (`taskset -c`).
    #[arg(long, default_value_t = 0)]
    pub server_cpu: usize,
    /// Where each server's stderr goes (one file per server, appended).
    #[arg(long, default_value = "target/liveboard-bench")]
    pub log_dir: PathBuf,
    /// tokio-tungstenite's read buffer, in bytes. Its default, 128 KiB, is allocated per
    /// connection; 4 KiB is the size our own server reads in.
    #[arg(long, default_value_t = 4096)]
    pub tungstenite_read_buffer: usize,
    /// One more argument for `liveboard`, after the tool's own (repeat for several), e.g.
    /// `--liveboard-arg=--heartbeat-interval-ms=1000` to measure with frequent heartbeats.
    #[arg(long = "liveboard-arg", allow_hyphen_values = true)]
    pub liveboard_args: Vec<String>,
    /// A program every server is started through: it gets the server's command line as
    /// its arguments (e.g. a script that runs it under valgrind, to count instructions).
    /// The CPU time and memory the tool reads are then the wrapper's process's.
    #[arg(long)]
    pub server_wrapper: Option<PathBuf>,
    /// Tokio worker threads per server (`TOKIO_WORKER_THREADS`). 1 matches the single
    /// core it is pinned to; more shows what several allocator arenas keep after load.
    #[arg(long, default_value_t = 1)]
    pub server_worker_threads: usize,
}

impl ServerOptions {
    /// The `liveboard` binary: `--liveboard-bin`, or the one next to this executable.
    fn liveboard_bin(&self) -> Result<PathBuf, String> {
        if let Some(bin) = &self.liveboard_bin {
            return Ok(bin.clone());
        }
        let me = std::env::current_exe()
            .map_err(|e| format!("cannot find this executable: {e}; pass --liveboard-bin"))?;
        Ok(me.with_file_name("liveboard"))
    }
}

/// One running server.
pub struct ServerProcess {
    kind: ServerKind,
    child: Child,
    addr: SocketAddr,
    exited: Option<ExitStatus>,
}

impl ServerProcess {
    /// Starts `kind` pinned to one core and waits (at most 15 s) for its address.
    pub fn start(kind: ServerKind, opts: &ServerOptions) -> Result<Self, String> {
        std::fs::create_dir_all(&opts.log_dir)
            .map_err(|e| format!("cannot create {}: {e}", opts.log_dir.display()))?;
        let log_path = opts.log_dir.join(format!("{kind}.stderr.log"));

        let mut cmd = Command::new("taskset");
        cmd.arg("-c").arg(opts.server_cpu.to_string());
        if let Some(wrapper) = &opts.server_wrapper {
            cmd.arg(wrapper);
        }
        match kind {
            ServerKind::Liveboard | ServerKind::LiveboardTungstenite => {
                let bin = opts.liveboard_bin()?;
                if !bin.exists() {
                    return Err(format!(
                        "{} does not exist: build it with `cargo build --release -p liveboard` \
                         or pass --liveboard-bin",
                        bin.display()
                    ));
                }
                cmd.arg(&bin).args([
                    "--bind",
                    "127.0.0.1:0",
                    // Per-connection info lines would cost CPU the peers (which log
                    // nothing) do not spend.
                    "--log",
                    "warn",
                    // The defaults (10k HTTP, 9k WebSockets, 1k streams per board) protect
                    // a production server; a benchmark may go up to the fd limit.
                    "--max-connections",
                    "20000",
                    "--ws-max-connections",
                    "20000",
                    "--sse-max-streams",
                    "20000",
                    "--sse-max-streams-per-board",
                    "20000",
                    // Every benchmark client comes from 127.0.0.1: no per-address cap.
                    "--max-connections-per-ip",
                    "0",
                    // The benchmark's clients do not sign in (boards are private by
                    // default): every board open, as in the peers' echo servers.
                    "--board-access",
                    "open",
                ]);
                if kind == ServerKind::LiveboardTungstenite {
                    cmd.args(["--ws-transport", "tungstenite"]);
                }
                cmd.args(&opts.liveboard_args);
            }
            ServerKind::Tungstenite | ServerKind::Fastwebsockets => {
                let me = std::env::current_exe()
                    .map_err(|e| format!("cannot find this executable: {e}"))?;
                let sub = match kind {
                    ServerKind::Tungstenite => "serve-tungstenite",
                    _ => "serve-fastwebsockets",
                };
                cmd.arg(me).args([sub, "--bind", "127.0.0.1:0"]);
                if kind == ServerKind::Tungstenite {
                    cmd.args(["--read-buffer", &opts.tungstenite_read_buffer.to_string()]);
                }
            }
        }
        cmd.env(
            "TOKIO_WORKER_THREADS",
            opts.server_worker_threads.max(1).to_string(),
        );
        let server = Self::spawn(kind, cmd, &log_path)?;
        // By now taskset has exec'd the server: the PID must be the server's.
        let comm =
            std::fs::read_to_string(format!("/proc/{}/comm", server.pid())).unwrap_or_default();
        if comm.trim() == "taskset" {
            return Err(format!("{kind}: PID {} is still taskset", server.pid()));
        }
        Ok(server)
    }

    /// Starts `cmd` (a server of `kind`, its stderr appended to `log_path`) and waits (at
    /// most 15 s) for the address it prints first.
    pub fn spawn(kind: ServerKind, mut cmd: Command, log_path: &Path) -> Result<Self, String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(log);
        die_with_parent(&mut cmd);
        let program = cmd.get_program().to_string_lossy().into_owned();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {program} for {kind}: {e}"))?;

        // Read the first line on a thread, so a server that never prints cannot hang us;
        // the thread then drains stdout until the server exits.
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let mut server = ServerProcess {
            kind,
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            exited: None,
        };
        let line = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(Some(Ok(line))) => line,
            other => {
                return Err(format!(
                    "{kind} did not print `listening on http://…` within 15 s ({other:?}); \
                     see {}",
                    log_path.display()
                ))
            }
        };
        server.addr = line
            .strip_prefix("listening on http://")
            .and_then(|a| a.trim().parse().ok())
            .ok_or_else(|| format!("{kind} printed {line:?}, not `listening on http://ADDR`"))?;
        Ok(server)
    }

    /// Which server this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// CPU time it has used so far (all threads).
    pub fn cpu(&self) -> Duration {
        procfs::process_cpu(self.pid()).unwrap_or_default()
    }

    /// Its resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        procfs::process_rss_kib(self.pid()).unwrap_or(0)
    }

    /// Asks it to shut down gracefully (SIGTERM).
    pub fn terminate(&self) {
        // SAFETY: kill(2) on our own child's PID, which we have not reaped yet.
        unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGTERM) };
    }

    /// Whether it has exited (reaping it if so).
    pub fn has_exited(&mut self) -> bool {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited.is_some()
    }

    /// Waits up to `timeout` for it to exit; returns how long that took, if it did.
    pub async fn wait_exit(&mut self, since: Instant, timeout: Duration) -> Option<Duration> {
        while since.elapsed() < timeout {
            if self.has_exited() {
                return Some(since.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        None
    }
}

/// Asks the kernel to SIGKILL the process `cmd` starts when this tool dies
/// (`PR_SET_PDEATHSIG`): the backstop for a tool killed before its `Drop`s ran.
pub fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if !self.has_exited() {
            // Our own child, by PID: Child::kill sends SIGKILL to exactly it.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
