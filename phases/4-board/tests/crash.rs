//! `kill -9` loses no acknowledged change: the real binary, killed with SIGKILL while
//! changes are in flight, restarted on the same data directory.

mod common;

use common::{create, Client, WAIT};
use serde_json::Value;
use tokio::process::Child;

/// Starts the phase-4 binary on port 0 in `dir`, every board open (the clients here do
/// not sign in: this test is about durability, not access); returns it and its address.
async fn start(dir: &std::path::Path) -> (Child, String) {
    let args = [
        "--bind",
        "127.0.0.1:0",
        "--log",
        "warn",
        "--board-access",
        "open",
        "--data-dir",
    ];
    let args = args
        .iter()
        .map(std::ffi::OsStr::new)
        .chain([dir.as_os_str()]);
    phase_1_foundations::testing::spawn_binary(env!("CARGO_BIN_EXE_phase-4-board"), args).await
}

#[tokio::test]
async fn a_server_killed_with_sigkill_keeps_every_change_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path()).await;
    let mut ana = Client::connect(&format!("ws://{addr}/ws")).await;
    // 30 creates in flight at once; read answers until 20 acks are in, then kill.
    for i in 0..30 {
        ana.request(
            "note_create",
            create("demo", &format!("c{i}"), &format!("n{i}"), "Todo", i as f64),
        )
        .await;
    }
    let mut acked: Vec<(String, u64)> = Vec::new();
    while acked.len() < 20 {
        let v = ana.take(|v| v["type"] == "ack").await;
        acked.push((
            v["payload"]["noteId"].as_str().unwrap().to_owned(),
            v["payload"]["seq"].as_u64().unwrap(),
        ));
    }
    child.start_kill().expect("SIGKILL");
    tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("the process dies in time")
        .expect("wait");

    let (_child, addr) = start(dir.path()).await;
    let snap: Value = tokio::time::timeout(WAIT, async {
        reqwest::get(format!("http://{addr}/boards/demo"))
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON")
    })
    .await
    .expect("an answer in time");
    let ids: Vec<&str> = snap["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    for (id, seq) in &acked {
        assert!(
            ids.contains(&id.as_str()),
            "acknowledged note {id} (seq {seq}) was lost"
        );
    }
    // Whatever else was committed is there whole: one note per sequence number.
    assert_eq!(snap["seq"].as_u64().unwrap(), ids.len() as u64);
}
