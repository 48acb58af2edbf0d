//! Instances of the phase 7 binary for the multi-instance tests, pointed at a real
//! `redis-server` and `nats-server` (this crate's `testing` module starts those), and
//! HAProxy in front of them ([`balancer`]). Each process is killed when dropped — by its
//! PID, and only it. Every wait has a timeout.

#![allow(dead_code)] // each test file uses a different part

pub mod balancer;

use std::time::Duration;

use phase_1_foundations::testing::spawn_binary;

use crate::board::{ack, create, Client};
pub use phase_7_scale_out::testing::{NatsServer, RedisServer};
use tokio::{
    process::Child,
    time::{sleep, timeout, Instant},
};

/// The longest one request to an instance may take.
pub const START: Duration = Duration::from_secs(10);

/// Waits until `ready` says yes, checking every 20 ms, for at most `limit`.
pub async fn until<F, Fut>(limit: Duration, what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !ready().await {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        sleep(Duration::from_millis(20)).await;
    }
}

/// Creates `n` notes on `board` through the board WebSocket at `ws` (an instance's, or
/// the balancer's); returns their acks' sequence numbers.
pub async fn write_notes(ws: &str, board: &str, tag: &str, n: usize) -> Vec<u64> {
    let mut writer = Client::connect(ws).await;
    let mut seqs = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("{tag}{i}");
        let answer = writer
            .call("note_create", create(board, &id, &id, "Todo", i as f64))
            .await;
        seqs.push(ack(&answer)["seq"].as_u64().expect("an acked seq"));
    }
    writer.close().await;
    seqs
}

/// The `seq` of the next `n` note events `client` receives, in arrival order.
pub async fn next_seqs(client: &mut Client, n: usize) -> Vec<u64> {
    let mut seqs = Vec::with_capacity(n);
    for _ in 0..n {
        let event = client.note_event().await;
        seqs.push(event["payload"]["seq"].as_u64().expect("a seq"));
    }
    seqs
}

/// One instance of the phase 7 server.
pub struct Instance {
    pub name: String,
    pub addr: String,
    child: Child,
}

impl Instance {
    /// Starts instance `name` on 127.0.0.1:0 with the shared store and the bus; boards
    /// open to everyone (access is not under test), rate limits lifted (the writers type
    /// as fast as acks come back), quick resynchronisation and reconnection.
    pub async fn start(name: &str, redis: &RedisServer, nats: &NatsServer) -> Self {
        let args = [
            "--bind",
            "127.0.0.1:0",
            "--instance-id",
            name,
            "--redis-url",
            &redis.url(),
            "--nats-url",
            &nats.url(),
            "--bus-resync-ms",
            "300",
            "--presence-ttl-ms",
            "1500",
            "--scale-retry-base-ms",
            "50",
            "--scale-retry-cap-ms",
            "300",
            "--board-access",
            "open",
            "--max-connections-per-ip",
            "0",
            "--board-rate-per-sec",
            "100000",
            "--board-rate-burst",
            "100000",
            "--board-rate-per-ip",
            "100000",
            "--board-rate-per-ip-burst",
            "100000",
            "--board-rate-per-person",
            "100000",
            "--board-rate-per-person-burst",
            "100000",
        ];
        let (child, addr) = spawn_binary(env!("CARGO_BIN_EXE_phase-7-scale-out"), args).await;
        Self {
            name: name.to_owned(),
            addr,
            child,
        }
    }

    /// `ws://ADDR/ws`.
    pub fn ws(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET path` as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let res = timeout(START, reqwest::get(self.url(path)))
            .await
            .expect("an answer in time")
            .expect("request sent");
        res.json().await.expect("a JSON body")
    }

    /// Kills it with SIGKILL (a crash: no goodbye to anyone).
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}
