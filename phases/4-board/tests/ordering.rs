//! The event log is the spine: every client sees the same changes in the same order, a
//! snapshot's position fits the events after it, and a resume from any position replays
//! exactly what was missed — from memory or from the log.

mod common;

use std::collections::BTreeMap;

use common::{ack, create, open_access, Client, Server};
use phase_4_board::BoardConfig;
use serde_json::{json, Value};

/// The `(seq, opId)` of the next `n` note events `client` receives.
async fn note_events(client: &mut Client, n: usize) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let e = client.note_event().await;
        out.push((
            e["payload"]["seq"].as_u64().unwrap(),
            e["payload"]["opId"].as_str().unwrap().to_owned(),
        ));
    }
    out
}

#[tokio::test]
async fn two_clients_editing_at_once_see_each_others_changes_in_one_sequence_order() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    let mut bo = server.client().await;
    ana.subscribe("demo", None).await;
    bo.subscribe("demo", None).await;
    // Both fire 15 creates without waiting for answers.
    for i in 0..15 {
        ana.request(
            "note_create",
            create(
                "demo",
                &format!("a{i}"),
                &format!("an{i}"),
                "Todo",
                i as f64,
            ),
        )
        .await;
        bo.request(
            "note_create",
            create(
                "demo",
                &format!("b{i}"),
                &format!("bn{i}"),
                "Todo",
                i as f64,
            ),
        )
        .await;
    }
    let seen_by_ana = note_events(&mut ana, 30).await;
    let seen_by_bo = note_events(&mut bo, 30).await;
    assert_eq!(seen_by_ana, seen_by_bo, "one order for everyone");
    let seqs: Vec<u64> = seen_by_ana.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (1..=30).collect::<Vec<_>>(), "no gap, no repeat");
    // Each client's own ops are applied in the order it sent them.
    let ana_ops: Vec<&str> = seen_by_ana
        .iter()
        .filter(|(_, op)| op.starts_with('a'))
        .map(|(_, op)| op.as_str())
        .collect();
    let expected: Vec<String> = (0..15).map(|i| format!("a{i}")).collect();
    assert_eq!(ana_ops, expected);
}

#[tokio::test]
async fn a_snapshot_plus_the_events_after_its_position_is_the_board() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut writer = server.client().await;
    let mut reader = server.client().await;
    for i in 0..10 {
        writer
            .request(
                "note_create",
                create("demo", &format!("w{i}"), &format!("n{i}"), "Todo", i as f64),
            )
            .await;
    }
    // Subscribe, then snapshot — while the writes above are still being applied.
    reader.subscribe("demo", None).await;
    let snap = reader
        .call("board_snapshot", json!({"board": "demo"}))
        .await;
    assert_eq!(snap["type"], "snapshot", "{snap}");
    let base = snap["payload"]["seq"].as_u64().unwrap();
    let mut notes: BTreeMap<String, Value> = snap["payload"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap().to_owned(), n.clone()))
        .collect();
    for i in 10..20 {
        writer
            .request(
                "note_create",
                create("demo", &format!("w{i}"), &format!("n{i}"), "Todo", i as f64),
            )
            .await;
    }
    // Apply the events after the snapshot's seq, skipping those it already reflects.
    let mut last = base;
    while last < 20 {
        let e = reader.note_event().await;
        let seq = e["payload"]["seq"].as_u64().unwrap();
        if seq <= base {
            continue;
        }
        assert_eq!(
            seq,
            last + 1,
            "events after the snapshot come in order, none missing"
        );
        let note = &e["payload"]["note"];
        notes.insert(note["id"].as_str().unwrap().to_owned(), note.clone());
        last = seq;
    }
    let board = server.get_json("/boards/demo", 200).await;
    assert_eq!(board["seq"], 20);
    let truth: BTreeMap<String, Value> = board["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap().to_owned(), n.clone()))
        .collect();
    assert_eq!(notes, truth);
}

#[tokio::test]
async fn a_client_resuming_from_an_old_position_gets_the_missed_changes_from_the_log() {
    // The hub keeps 2 events in memory: a resume from further back reads the log.
    let server = Server::start_with_history(open_access(BoardConfig::in_memory()), 2).await;
    let mut ana = server.client().await;
    let first = ana
        .call("note_create", create("demo", "c0", "n0", "Todo", 0.0))
        .await;
    let position = ack(&first)["position"].as_str().unwrap().to_owned();
    for i in 1..6 {
        ack(&ana
            .call(
                "note_create",
                create("demo", &format!("c{i}"), &format!("n{i}"), "Todo", i as f64),
            )
            .await);
    }
    let mut back = server.client().await;
    let ready = back.subscribe("demo", Some(&position)).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    assert_eq!(ready["payload"]["recovered"], true);
    assert_eq!(ready["payload"]["replayed"], 5);
    // The replay came before `ready`, in order, as the very events broadcast live.
    let replayed: Vec<u64> = back
        .buffered()
        .iter()
        .filter(|v| v["type"] == "note.created")
        .map(|v| v["payload"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(replayed, [2, 3, 4, 5, 6]);
    // And live events follow.
    ack(&ana
        .call("note_create", create("demo", "c6", "n6", "Todo", 6.0))
        .await);
    let mut seqs = Vec::new();
    for _ in 0..6 {
        seqs.push(back.note_event().await["payload"]["seq"].as_u64().unwrap());
    }
    assert_eq!(seqs, [2, 3, 4, 5, 6, 7]);
}

#[tokio::test]
async fn a_position_further_back_than_a_replay_may_reach_gets_a_reset() {
    let config = BoardConfig {
        max_replay_events: 3,
        ..open_access(BoardConfig::in_memory())
    };
    let server = Server::start_with_history(config, 1).await;
    let mut ana = server.client().await;
    let first = ana
        .call("note_create", create("demo", "c0", "n0", "Todo", 0.0))
        .await;
    let position = ack(&first)["position"].as_str().unwrap().to_owned();
    for i in 1..6 {
        ack(&ana
            .call(
                "note_create",
                create("demo", &format!("c{i}"), &format!("n{i}"), "Todo", i as f64),
            )
            .await);
    }
    let mut back = server.client().await;
    let reset = back.subscribe("demo", Some(&position)).await;
    assert_eq!(reset["type"], "reset", "{reset}");
    assert!(
        reset["payload"]["reason"]
            .as_str()
            .unwrap()
            .contains("LIVEBOARD_BOARD_MAX_REPLAY_EVENTS"),
        "{reset}"
    );
    assert!(
        back.buffered().iter().all(|v| v["type"] != "note.created"),
        "nothing partial"
    );
}
