//! The board over plain HTTP: the list of boards and one board's snapshot.

mod common;

use common::{ack, create, open_access, Server};
use phase_4_board::BoardConfig;
use serde_json::json;

#[tokio::test]
async fn get_boards_lists_every_changed_board_most_recent_first_with_its_note_count_and_position() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    assert_eq!(
        server.get_json("/boards", 200).await,
        json!({"boards": [], "next": null})
    );
    let mut ana = server.client().await;
    ack(&ana
        .call("note_create", create("b2", "c0", "n0", "Todo", 0.0))
        .await);
    ack(&ana
        .call("note_create", create("b1", "c0", "n0", "Todo", 0.0))
        .await);
    ack(&ana
        .call("note_create", create("b1", "c1", "n1", "Todo", 1.0))
        .await);
    let list = server.get_json("/boards", 200).await;
    let rows: Vec<(String, u64, u64)> = list["boards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["board"].as_str().unwrap().to_owned(),
                b["notes"].as_u64().unwrap(),
                b["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("b1".into(), 2, 2), ("b2".into(), 1, 1)]);
    assert!(list["boards"][0]["position"]
        .as_str()
        .unwrap()
        .ends_with("-2"));
}

#[tokio::test]
async fn an_unknown_board_is_an_empty_snapshot_at_seq_zero_and_a_bad_name_is_400() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let snap = server.get_json("/boards/nothing-here", 200).await;
    assert_eq!(snap["board"], "nothing-here");
    assert_eq!(snap["seq"], 0);
    assert_eq!(snap["notes"], json!([]));
    let epoch = server.board.store().epoch().to_owned();
    assert_eq!(snap["position"], format!("{epoch}-0"));
    let err = server.get_json("/boards/a%20b", 400).await;
    assert_eq!(err["error"]["code"], "bad_board_name");
}

#[tokio::test]
async fn health_lists_every_phase_the_server_is_built_from_in_order() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let health = server.get_json("/health", 200).await;
    let slugs: Vec<&str> = health["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        ["foundations", "sse", "websocket", "board"],
        "{health}"
    );
}
