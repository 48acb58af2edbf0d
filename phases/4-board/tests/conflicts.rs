//! The conflict rule, end to end: two users, one note. Per field group — a move and a text
//! edit based on the same version both land; two text edits cannot both land, and the
//! loser is told the current text so nothing is lost unseen.

mod common;

use common::{ack, create, open_access, rejected, Server};
use phase_4_board::BoardConfig;
use serde_json::json;

#[tokio::test]
async fn a_move_and_a_text_edit_made_on_the_same_version_both_succeed() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    let mut bo = server.client().await;
    ana.subscribe("demo", None).await;
    ack(&ana
        .call("note_create", create("demo", "c", "n1", "Todo", 1.0))
        .await);
    // Both look at version 1.
    let moved = ana
        .call(
            "note_move",
            json!({"board": "demo", "opId": "a1", "noteId": "n1",
            "baseVersion": 1, "column": "Done", "order": 1, "author": "Ana"}),
        )
        .await;
    let edited = bo
        .call(
            "note_update",
            json!({"board": "demo", "opId": "b1", "noteId": "n1",
            "baseVersion": 1, "text": "typo fixed", "author": "Bo"}),
        )
        .await;
    assert_eq!(ack(&moved)["version"], 2);
    let after = &ack(&edited)["note"];
    assert_eq!(after["version"], 3);
    assert_eq!(after["column"], "Done", "Ana's move is kept");
    assert_eq!(after["text"], "typo fixed", "Bo's edit is kept");
    // "Bo changed this note": who made the last version travels with the note.
    assert_eq!(
        (&after["author"], &after["updatedBy"]),
        (&json!("Ana"), &json!("Bo"))
    );
    let created = ana.event("note.created").await;
    assert_eq!(
        created["payload"]["note"]["updatedBy"], "Ana",
        "the author on creation"
    );
    let moved = ana.event("note.moved").await;
    assert_eq!(moved["payload"]["note"]["updatedBy"], "Ana");
    let updated = ana.event("note.updated").await;
    assert_eq!(updated["payload"]["note"]["updatedBy"], "Bo");
    let snapshot = server.get_json("/boards/demo", 200).await;
    assert_eq!(snapshot["notes"][0]["updatedBy"], "Bo");
}

#[tokio::test]
async fn of_two_text_edits_on_the_same_version_the_second_conflicts_and_can_rebase() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    let mut bo = server.client().await;
    bo.subscribe("demo", None).await;
    ack(&ana
        .call("note_create", create("demo", "c", "n1", "Todo", 1.0))
        .await);
    ack(&ana
        .call(
            "note_update",
            json!({"board": "demo", "opId": "a1", "noteId": "n1",
            "baseVersion": 1, "text": "Ana's words", "author": "Ana"}),
        )
        .await);
    let lost = bo
        .call(
            "note_update",
            json!({"board": "demo", "opId": "b1", "noteId": "n1",
            "baseVersion": 1, "text": "Bo's words", "author": "Bo"}),
        )
        .await;
    let p = rejected(&lost, "version_conflict");
    assert_eq!(p["opId"], "b1");
    assert_eq!(p["current"]["text"], "Ana's words");
    assert_eq!(p["current"]["version"], 2);
    // Bo's client rebases on `current` (here: keeps both) and sends a new op.
    let merged = bo
        .call(
            "note_update",
            json!({"board": "demo", "opId": "b2", "noteId": "n1",
            "baseVersion": 2, "text": "Ana's words + Bo's words", "author": "Bo"}),
        )
        .await;
    assert_eq!(ack(&merged)["version"], 3);
    // The refused op left no trace in the log: created, Ana's edit, Bo's rebased edit.
    let seqs: Vec<u64> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(bo.note_event().await["payload"]["seq"].as_u64().unwrap());
        }
        v
    };
    assert_eq!(seqs, [1, 2, 3]);
}

#[tokio::test]
async fn a_delete_of_a_note_changed_since_it_was_seen_is_a_conflict() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    ack(&ana
        .call("note_create", create("demo", "c", "n1", "Todo", 1.0))
        .await);
    ack(&ana
        .call(
            "note_update",
            json!({"board": "demo", "opId": "u", "noteId": "n1",
            "baseVersion": 1, "color": "#000000", "author": "Ana"}),
        )
        .await);
    let del = ana
        .call(
            "note_delete",
            json!({"board": "demo", "opId": "d", "noteId": "n1",
            "baseVersion": 1, "author": "Bo"}),
        )
        .await;
    rejected(&del, "version_conflict");
}
