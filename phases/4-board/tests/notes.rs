//! Each note operation over a real `/ws` socket: its ack, its broadcast, and each way it
//! can be refused — with nothing changed and the connection still open.

mod common;

use common::{ack, create, open_access, rejected, Server};
use phase_4_board::BoardConfig;
use serde_json::json;

#[tokio::test]
async fn a_created_note_is_acked_with_its_position_and_broadcast_to_everyone_on_the_board() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    let mut bo = server.client().await;
    ana.subscribe("demo", None).await;
    bo.subscribe("demo", None).await;

    let answer = ana
        .call("note_create", create("demo", "op-1", "n1", "Todo", 1.0))
        .await;
    let a = ack(&answer);
    assert_eq!(a["request"], "note_create");
    assert_eq!(a["seq"], 1);
    assert_eq!(a["opId"], "op-1");
    assert_eq!(a["version"], 1);
    assert_eq!(a["duplicate"], false);
    assert_eq!(a["note"]["text"], "note n1");
    assert_eq!(a["note"]["author"], "Ana");
    let position = a["position"].as_str().unwrap().to_owned();
    assert!(position.ends_with("-1"), "{position}");

    for client in [&mut ana, &mut bo] {
        let event = client.event("note.created").await;
        let p = &event["payload"];
        assert_eq!(p["position"], position.as_str());
        assert_eq!(p["seq"], 1);
        assert_eq!(p["opId"], "op-1");
        assert_eq!(p["author"], "Ana");
        assert_eq!(p["summary"], "Ana added a note to Todo");
        assert_eq!(p["board"], "demo");
        assert_eq!(p["note"], a["note"]);
    }
}

#[tokio::test]
async fn an_update_a_move_and_a_delete_each_take_the_next_sequence_number() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut bo = server.client().await;
    bo.subscribe("demo", None).await;
    let mut ana = server.client().await;
    ack(&ana
        .call("note_create", create("demo", "c", "n1", "Todo", 1.0))
        .await);

    let up = ana
        .call(
            "note_update",
            json!({"board": "demo", "opId": "u", "noteId": "n1",
            "baseVersion": 1, "text": "new text", "color": "#BFDBFE", "author": "Ana"}),
        )
        .await;
    assert_eq!(ack(&up)["seq"], 2);
    assert_eq!(ack(&up)["note"]["color"], "#bfdbfe");
    assert_eq!(ack(&up)["version"], 2);

    let mv = ana
        .call(
            "note_move",
            json!({"board": "demo", "opId": "m", "noteId": "n1",
            "baseVersion": 2, "column": "Done", "order": 0.5, "author": "Ana"}),
        )
        .await;
    assert_eq!(ack(&mv)["seq"], 3);
    assert_eq!(ack(&mv)["note"]["column"], "Done");

    let del = ana
        .call(
            "note_delete",
            json!({"board": "demo", "opId": "d", "noteId": "n1",
            "baseVersion": 3, "author": "Ana"}),
        )
        .await;
    assert_eq!(ack(&del)["seq"], 4);
    assert_eq!(ack(&del)["note"], serde_json::Value::Null);
    assert_eq!(ack(&del)["version"], 3);

    // Bo sees the four events in sequence order, each with what changed.
    let kinds: Vec<(String, u64, String)> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            let e = bo.note_event().await;
            v.push((
                e["type"].as_str().unwrap().to_owned(),
                e["payload"]["seq"].as_u64().unwrap(),
                e["payload"]["summary"].as_str().unwrap().to_owned(),
            ));
        }
        v
    };
    assert_eq!(
        kinds,
        [
            ("note.created".into(), 1, "Ana added a note to Todo".into()),
            ("note.updated".into(), 2, "Ana edited a note in Todo".into()),
            ("note.moved".into(), 3, "Ana moved a note to Done".into()),
            (
                "note.deleted".into(),
                4,
                "Ana deleted a note from Done".into()
            ),
        ]
    );
    let snap = server.get_json("/boards/demo", 200).await;
    assert_eq!(snap["seq"], 4);
    assert_eq!(snap["notes"], json!([]));
}

#[tokio::test]
async fn each_refusal_has_its_code_changes_nothing_and_keeps_the_connection() {
    let server = Server::start(BoardConfig {
        max_notes: 1,
        max_text_chars: 10,
        ..open_access(BoardConfig::in_memory())
    })
    .await;
    let mut ana = server.client().await;
    ack(&ana
        .call("note_create", create("demo", "c1", "n1", "Todo", 1.0))
        .await);
    ack(&ana
        .call(
            "note_update",
            json!({"board": "demo", "opId": "u1", "noteId": "n1",
            "baseVersion": 1, "text": "v2", "author": "Ana"}),
        )
        .await);

    // validation: a field breaks its rule (checked before the store is asked)
    let mut bad = create("demo", "c2", "n2", "Todo", 1.0);
    bad["color"] = json!("red");
    let e = rejected(&ana.call("note_create", bad).await, "validation").clone();
    assert!(e["detail"].as_str().unwrap().contains("#rrggbb"), "{e}");
    assert_eq!(e["opId"], "c2");
    let mut long = create("demo", "c3", "n3", "Todo", 1.0);
    long["text"] = json!("x".repeat(11));
    rejected(&ana.call("note_create", long).await, "validation");
    rejected(
        &ana.call("note_create", create("demo", "c4", "n1", "Todo", 2.0))
            .await,
        "validation",
    ); // n1 exists
    rejected(
        &ana.call("note_create", create("../etc", "c5", "n5", "Todo", 2.0))
            .await,
        "validation",
    );
    // too_many_notes: the board holds max_notes already
    rejected(
        &ana.call("note_create", create("demo", "c6", "n6", "Todo", 2.0))
            .await,
        "too_many_notes",
    );
    // not_found
    rejected(
        &ana.call(
            "note_move",
            json!({"board": "demo", "opId": "m1", "noteId": "ghost",
            "baseVersion": 1, "column": "Done", "order": 1, "author": "Ana"}),
        )
        .await,
        "not_found",
    );
    // version_conflict, with the note as it is now
    let conflict = ana
        .call(
            "note_update",
            json!({"board": "demo", "opId": "u2", "noteId": "n1",
            "baseVersion": 1, "text": "stale", "author": "Bo"}),
        )
        .await;
    let p = rejected(&conflict, "version_conflict");
    assert_eq!(p["current"]["text"], "v2");
    assert_eq!(p["current"]["version"], 2);
    // a payload that does not parse is phase 3's invalid_payload
    let broken = ana
        .call("note_move", json!({"board": "demo", "noteId": "n1"}))
        .await;
    assert_eq!(broken["payload"]["code"], "invalid_payload", "{broken}");

    // Nothing changed, and the connection still answers.
    let snap = server.get_json("/boards/demo", 200).await;
    assert_eq!(snap["seq"], 2);
    assert_eq!(snap["notes"].as_array().unwrap().len(), 1);
    assert_eq!(ana.call("ping", json!({})).await["type"], "pong");
}

#[tokio::test]
async fn a_snapshot_over_the_socket_is_the_one_http_serves() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    for (i, column) in ["Todo", "Done", "Todo"].iter().enumerate() {
        ack(&ana
            .call(
                "note_create",
                create("demo", &format!("c{i}"), &format!("n{i}"), column, i as f64),
            )
            .await);
    }
    let answer = ana.call("board_snapshot", json!({"board": "demo"})).await;
    assert_eq!(answer["type"], "snapshot", "{answer}");
    let over_http = server.get_json("/boards/demo", 200).await;
    assert_eq!(answer["payload"], over_http);
    let ids: Vec<&str> = over_http["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["n1", "n0", "n2"], "by column, then order");
    let bad = ana.call("board_snapshot", json!({"board": "a b"})).await;
    rejected(&bad, "validation");
}
