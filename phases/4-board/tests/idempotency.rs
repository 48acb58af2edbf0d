//! Op ids make a retry harmless: the first answer again, applied once — also after a
//! restart, because the op-id record is committed with the change.

mod common;

use common::{ack, create, open_access, rejected, Server};
use phase_4_board::BoardConfig;
use serde_json::json;

#[tokio::test]
async fn a_retried_op_gets_the_first_ack_again_and_is_applied_once() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut watcher = server.client().await;
    watcher.subscribe("demo", None).await;
    let mut ana = server.client().await;
    let first = ana
        .call("note_create", create("demo", "op-1", "n1", "Todo", 1.0))
        .await;
    // The ack was "lost": the client sends the very same request again.
    let again = ana
        .call("note_create", create("demo", "op-1", "n1", "Todo", 1.0))
        .await;
    let (a, b) = (ack(&first), ack(&again));
    assert_eq!(b["duplicate"], true);
    assert_eq!(a["seq"], b["seq"]);
    assert_eq!(a["position"], b["position"]);
    assert_eq!(a["note"], b["note"]);

    // Applied once: one event, one note, and the next change gets seq 2.
    let next = ana
        .call("note_create", create("demo", "op-2", "n2", "Todo", 2.0))
        .await;
    assert_eq!(ack(&next)["seq"], 2);
    assert_eq!(watcher.note_event().await["payload"]["seq"], 1);
    assert_eq!(watcher.note_event().await["payload"]["seq"], 2);
    let snap = server.get_json("/boards/demo", 200).await;
    assert_eq!(snap["notes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_retried_move_is_not_mistaken_for_a_conflict_with_itself() {
    // Without op ids the retry (baseVersion 1) would hit the version its own first
    // attempt created, and be refused as a conflict.
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    ack(&ana
        .call("note_create", create("demo", "c", "n1", "Todo", 1.0))
        .await);
    let mv = json!({"board": "demo", "opId": "m", "noteId": "n1", "baseVersion": 1,
                    "column": "Done", "order": 1, "author": "Ana"});
    let first = ana.call("note_move", mv.clone()).await;
    let retry = ana.call("note_move", mv).await;
    assert_eq!(ack(&retry)["seq"], ack(&first)["seq"]);
    assert_eq!(ack(&retry)["duplicate"], true);
}

#[tokio::test]
async fn an_op_id_reused_for_a_different_request_is_refused() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    ack(&ana
        .call("note_create", create("demo", "op-1", "n1", "Todo", 1.0))
        .await);
    let other = ana
        .call("note_create", create("demo", "op-1", "n2", "Todo", 2.0))
        .await;
    let p = rejected(&other, "validation");
    assert!(
        p["message"].as_str().unwrap().contains("already used"),
        "{p}"
    );
}

#[tokio::test]
async fn a_retry_after_a_server_restart_still_gets_the_first_ack() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::in_dir(dir.path()).await;
    let mut ana = server.client().await;
    let first = ana
        .call("note_create", create("demo", "op-1", "n1", "Todo", 1.0))
        .await;
    ana.close().await;
    server.stop().await;

    let server = Server::in_dir(dir.path()).await;
    let mut ana = server.client().await;
    let retry = ana
        .call("note_create", create("demo", "op-1", "n1", "Todo", 1.0))
        .await;
    assert_eq!(ack(&retry)["duplicate"], true);
    assert_eq!(ack(&retry)["position"], ack(&first)["position"]);
    assert_eq!(server.get_json("/boards/demo", 200).await["seq"], 1);
}
