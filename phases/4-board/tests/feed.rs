//! The SSE notification feed: phase 2's `GET /boards/:board/events` carries the note
//! events too, with a human summary, and `id:` taken from the same log — so
//! `Last-Event-ID` resumes from the log, across restarts.

mod common;

use common::{ack, create, open_access, Feed, Server};
use phase_4_board::BoardConfig;
use serde_json::{json, Value};

#[tokio::test]
async fn the_feed_gets_each_note_event_with_its_summary_and_its_log_position_as_id() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut feed = Feed::open(&server.url("/boards/demo/events"), None).await;
    assert_eq!(feed.next_event().await.event, "ready");
    assert_eq!(feed.next_event().await.event, "presence.list");

    let mut ana = server.client().await;
    let created = ana
        .call("note_create", create("demo", "c", "n1", "Todo", 1.0))
        .await;
    let moved = ana
        .call(
            "note_move",
            json!({"board": "demo", "opId": "m", "noteId": "n1",
            "baseVersion": 1, "column": "Done", "order": 1, "author": "Ana"}),
        )
        .await;

    let e = feed.next_event().await;
    assert_eq!(e.event, "note.created");
    assert_eq!(e.last_event_id, ack(&created)["position"].as_str().unwrap());
    let data: Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(data["summary"], "Ana added a note to Todo");
    assert_eq!(data["note"]["id"], "n1");

    let e = feed.next_event().await;
    assert_eq!(e.event, "note.moved");
    assert_eq!(e.last_event_id, ack(&moved)["position"].as_str().unwrap());
    let data: Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(data["summary"], "Ana moved a note to Done");
}

#[tokio::test]
async fn a_feed_reconnecting_with_last_event_id_after_a_restart_gets_what_it_missed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::in_dir(dir.path()).await;
    let mut feed = Feed::open(&server.url("/boards/demo/events"), None).await;
    feed.next_event().await; // ready
    feed.next_event().await; // presence.list
    let mut ana = server.client().await;
    ack(&ana
        .call("note_create", create("demo", "c0", "n0", "Todo", 0.0))
        .await);
    let seen = feed.next_event().await.last_event_id;
    drop(feed);
    ack(&ana
        .call("note_create", create("demo", "c1", "n1", "Todo", 1.0))
        .await);
    ana.close().await;
    server.stop().await;

    let server = Server::in_dir(dir.path()).await;
    let mut feed = Feed::open(&server.url("/boards/demo/events"), Some(&seen)).await;
    let missed = feed.next_event().await;
    assert_eq!(missed.event, "note.created");
    assert!(missed.last_event_id.ends_with("-2"), "{missed:?}");
    let ready = feed.next_event().await;
    assert_eq!(ready.event, "ready");
    let data: Value = serde_json::from_str(&ready.data).unwrap();
    assert_eq!(data["recovered"], true, "{data}");
}
