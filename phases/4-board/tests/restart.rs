//! A restart keeps the board and every position: the epoch is in the database, so a
//! client's `<epoch>-<seq>` means the same thing to the new process, and the events it
//! missed are replayed from the log (the new hub's memory is empty).

mod common;

use common::{ack, create, Server};
use serde_json::json;

#[tokio::test]
async fn a_restarted_server_keeps_the_board_and_resumes_old_positions_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::in_dir(dir.path()).await;
    let mut ana = server.client().await;
    let first = ana
        .call("note_create", create("demo", "c0", "n0", "Todo", 0.0))
        .await;
    let position = ack(&first)["position"].as_str().unwrap().to_owned();
    ack(&ana
        .call("note_create", create("demo", "c1", "n1", "Todo", 1.0))
        .await);
    ack(&ana
        .call(
            "note_move",
            json!({"board": "demo", "opId": "m", "noteId": "n0",
            "baseVersion": 1, "column": "Done", "order": 0, "author": "Ana"}),
        )
        .await);
    let before = server.get_json("/boards/demo", 200).await;
    ana.close().await;
    server.stop().await;

    let server = Server::in_dir(dir.path()).await;
    assert_eq!(server.get_json("/boards/demo", 200).await, before);
    let boards = server.get_json("/boards", 200).await;
    assert_eq!(boards["boards"][0]["board"], "demo");
    assert_eq!(boards["boards"][0]["notes"], 2);
    assert_eq!(boards["boards"][0]["seq"], 3);

    // The old position is still valid: no reset, just the two missed events.
    let mut back = server.client().await;
    let ready = back.subscribe("demo", Some(&position)).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    assert_eq!(ready["payload"]["recovered"], true);
    assert_eq!(ready["payload"]["replayed"], 2);
    assert_eq!(back.note_event().await["payload"]["seq"], 2);
    let moved = back.note_event().await;
    assert_eq!(moved["type"], "note.moved");
    assert_eq!(moved["payload"]["seq"], 3);
    // And the log goes on from where it was.
    let next = back
        .call("note_create", create("demo", "c2", "n2", "Todo", 2.0))
        .await;
    assert_eq!(ack(&next)["seq"], 4);
}

#[tokio::test]
async fn a_server_on_a_fresh_data_directory_resets_positions_from_another_history() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = Server::in_dir(a.path()).await;
    let mut ana = server.client().await;
    let first = ana
        .call("note_create", create("demo", "c0", "n0", "Todo", 0.0))
        .await;
    let position = ack(&first)["position"].as_str().unwrap().to_owned();
    ana.close().await;
    server.stop().await;

    // The data was lost (another directory): the position must not be trusted.
    let server = Server::in_dir(b.path()).await;
    let mut back = server.client().await;
    let reset = back.subscribe("demo", Some(&position)).await;
    assert_eq!(reset["type"], "reset", "{reset}");
}
