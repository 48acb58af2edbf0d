//! `cluster-worker`: one process of subscribers, started by `cluster` (never by hand).
//!
//! A process may hold 20,000 open files here, so 100,000 client sockets need several
//! processes. Each worker opens connections `first .. first + count` of the plan
//! ([`super::plan`]): connection `i` from `127.0.0.(2 + i % 253)` to its instance, board
//! protocol `subscribe` to its board, then waits for the hub's `ready`. Every subscriber
//! then counts what it receives and answers the server's heartbeat Pings (a client that
//! did not would be cut after `--heartbeat-deadline-ms`, however fast it read).
//!
//! It talks to the parent in JSON lines on stdout ([`WorkerLine`]): `progress` every
//! 250 ms, `connected` once every connection has been tried, and `final` (per-board counts
//! of distinct messages received, duplicates, subscribers cut, the latency histogram) when
//! the parent writes `report` on its stdin; then it exits, closing every connection.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use futures_util::{stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{
    histogram::Histogram,
    plan::{board_name, board_of, instance_of, mono_us},
};
use crate::{
    client::{close_code, wide_source_addr, WsClient, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT},
    fanout::parse_marker,
};

/// `cluster-worker`'s arguments (the parent writes them).
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Every instance's address, in instance order.
    #[arg(long, value_delimiter = ',', required = true)]
    pub servers: Vec<SocketAddr>,
    /// Boards in the plan.
    #[arg(long)]
    pub boards: usize,
    /// This worker's first connection number.
    #[arg(long)]
    pub first: usize,
    /// How many connections this worker opens.
    #[arg(long)]
    pub count: usize,
    /// Handshakes in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
}

/// One line from a worker to the parent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkerLine {
    /// Every 250 ms.
    Progress {
        connected: u64,
        failed: u64,
        /// Distinct messages received, all subscribers together.
        unique: u64,
    },
    /// Once, when every connection has been tried.
    Connected {
        subscribed_per_board: Vec<u64>,
        failed: u64,
        first_error: Option<String>,
    },
    /// On `report`.
    Final(WorkerFinal),
}

/// What a worker's subscribers received, all together.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WorkerFinal {
    /// Per board: distinct messages received, summed over its subscribers here.
    pub unique_per_board: Vec<u64>,
    /// Messages a subscriber received a second time.
    pub duplicates: u64,
    /// Subscribers whose connection ended (Close, EOF, error) before the report.
    pub cut: u64,
    pub first_cut: Option<String>,
    /// Publish → receive, in µs, of every delivery.
    pub latency: Histogram,
}

/// What every subscriber of this worker reports into.
struct Tally {
    connected: AtomicU64,
    failed: AtomicU64,
    unique: AtomicU64,
    fin: Mutex<WorkerFinal>,
}

impl Tally {
    fn cut(&self, why: String) {
        let mut fin = self.fin.lock().expect("tally lock");
        fin.cut += 1;
        fin.first_cut.get_or_insert(why);
    }
}

/// Which of a board's messages one subscriber has seen: a bitset by message number.
#[derive(Default)]
struct Seen(Vec<u64>);

impl Seen {
    /// Marks `k`; whether it was new.
    fn insert(&mut self, k: u64) -> bool {
        let (word, bit) = ((k / 64) as usize, 1u64 << (k % 64));
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        let new = self.0[word] & bit == 0;
        self.0[word] |= bit;
        new
    }
}

fn emit(line: &WorkerLine) {
    // stdout is line-buffered: one write per line, read by the parent as it comes.
    if let Ok(json) = serde_json::to_string(line) {
        println!("{json}");
    }
}

/// Runs the worker; the process's exit code says whether it could start.
pub fn main(args: &WorkerArgs) -> std::process::ExitCode {
    let _ = crate::system::raise_open_files_limit();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cluster-worker: cannot start a tokio runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args.clone()));
    std::process::ExitCode::SUCCESS
}

async fn run(args: WorkerArgs) {
    let tally = Arc::new(Tally {
        connected: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        unique: AtomicU64::new(0),
        fin: Mutex::new(WorkerFinal {
            unique_per_board: vec![0; args.boards],
            ..WorkerFinal::default()
        }),
    });
    let progress = tokio::spawn({
        let tally = tally.clone();
        async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                emit(&WorkerLine::Progress {
                    connected: tally.connected.load(Ordering::Relaxed),
                    failed: tally.failed.load(Ordering::Relaxed),
                    unique: tally.unique.load(Ordering::Relaxed),
                });
            }
        }
    });

    let mut subscribed_per_board = vec![0u64; args.boards];
    let mut first_error = None;
    let (servers, boards) = (&args.servers, args.boards);
    let mut attempts = stream::iter(args.first..args.first + args.count)
        .map(|i| async move {
            let board = board_of(i, boards);
            let server = servers[instance_of(i, boards, servers.len())];
            let outcome = tokio::time::timeout(
                Duration::from_secs(60),
                subscribe(server, i, &board_name(board)),
            )
            .await
            .unwrap_or_else(|_| Err("no `ready` within 60 s".into()));
            (board, outcome)
        })
        .buffer_unordered(args.concurrency.max(1));
    while let Some((board, outcome)) = attempts.next().await {
        match outcome {
            Ok(client) => {
                subscribed_per_board[board] += 1;
                tally.connected.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(subscriber(client, board, tally.clone()));
            }
            Err(e) => {
                tally.failed.fetch_add(1, Ordering::Relaxed);
                first_error.get_or_insert(e);
            }
        }
    }
    drop(attempts);
    emit(&WorkerLine::Connected {
        subscribed_per_board,
        failed: tally.failed.load(Ordering::Relaxed),
        first_error,
    });

    // Wait for `report` (or for the parent to go away: EOF).
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim() == "report" {
            break;
        }
    }
    progress.abort();
    let fin = std::mem::take(&mut *tally.fin.lock().expect("tally lock"));
    emit(&WorkerLine::Final(fin));
}

/// Connects connection `i` to `server`, subscribes to `board`, waits for `ready`.
async fn subscribe(server: SocketAddr, i: usize, board: &str) -> Result<WsClient, String> {
    let mut c = WsClient::connect_from(server, wide_source_addr(i), "/ws", Some("liveboard.v1"))
        .await
        .map_err(|e| format!("{server} from {}: {e}", wide_source_addr(i)))?;
    let request = format!(r#"{{"type":"subscribe","payload":{{"board":"{board}"}}}}"#);
    c.send_text(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match c.next_frame().await.map_err(|e| e.to_string())? {
            Some((OP_TEXT, p)) if contains(&p, br#""type":"ready""#) => return Ok(c),
            Some((OP_TEXT, p)) if contains(&p, br#""type":"error""#) => {
                return Err(String::from_utf8_lossy(&p).into_owned())
            }
            Some((OP_PING, p)) => c.send(OP_PONG, &p).await.map_err(|e| e.to_string())?,
            Some(_) => {}
            None => return Err("closed while subscribing".into()),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One subscriber of `board`: counts its messages, answers Pings, until its connection
/// ends.
async fn subscriber(mut c: WsClient, board: usize, tally: Arc<Tally>) {
    let mut seen = Seen::default();
    loop {
        match c.next_frame().await {
            Ok(Some((OP_TEXT, payload))) => {
                let Some((k, sent_us)) = parse_marker(&payload) else {
                    continue;
                };
                let latency = mono_us().saturating_sub(sent_us);
                let mut fin = tally.fin.lock().expect("tally lock");
                if seen.insert(k) {
                    fin.unique_per_board[board] += 1;
                    tally.unique.fetch_add(1, Ordering::Relaxed);
                } else {
                    fin.duplicates += 1;
                }
                fin.latency.record(latency);
            }
            // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong
            // frame in response", with the Ping's payload.
            Ok(Some((OP_PING, payload))) => {
                if let Err(e) = c.send(OP_PONG, &payload).await {
                    tally.cut(format!("answering a Ping: {e}"));
                    return;
                }
            }
            Ok(Some((OP_CLOSE, payload))) => {
                tally.cut(format!("closed with {:?}", close_code(&payload)));
                return;
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                tally.cut("EOF".into());
                return;
            }
            Err(e) => {
                tally.cut(e.to_string());
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_seen_twice_is_new_only_the_first_time() {
        let mut seen = Seen::default();
        assert!(seen.insert(0));
        assert!(seen.insert(130));
        assert!(!seen.insert(130));
        assert!(!seen.insert(0));
        assert!(seen.insert(1));
    }

    #[test]
    fn worker_lines_are_tagged_json_the_parent_reads_back() {
        let mut latency = Histogram::default();
        latency.record(1500);
        let line = WorkerLine::Final(WorkerFinal {
            unique_per_board: vec![3, 4],
            duplicates: 1,
            cut: 0,
            first_cut: None,
            latency,
        });
        let json = serde_json::to_string(&line).unwrap();
        assert!(json.starts_with(r#"{"event":"final","#), "{json}");
        match serde_json::from_str::<WorkerLine>(&json).unwrap() {
            WorkerLine::Final(f) => {
                assert_eq!(f.unique_per_board, [3, 4]);
                assert_eq!(f.latency.count(), 1);
            }
            other => panic!("{other:?}"),
        }
        let progress = r#"{"event":"progress","connected":5,"failed":0,"unique":9}"#;
        assert!(matches!(
            serde_json::from_str(progress).unwrap(),
            WorkerLine::Progress { unique: 9, .. }
        ));
    }
}
