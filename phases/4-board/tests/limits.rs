//! Limits answer with clear errors and keep the connection: the request rate per
//! connection, text length and notes per board.

mod common;

use common::{create, open_access, rejected, Server};
use phase_4_board::BoardConfig;
use serde_json::json;

#[tokio::test]
async fn a_connection_over_its_request_rate_is_told_when_to_retry_and_keeps_working() {
    let server = Server::start(BoardConfig {
        rate_per_sec: 1,
        rate_burst: 3,
        ..open_access(BoardConfig::in_memory())
    })
    .await;
    let mut ana = server.client().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            ana.request(
                "note_create",
                create("demo", &format!("c{i}"), &format!("n{i}"), "Todo", i as f64),
            )
            .await,
        );
    }
    let mut answers = Vec::new();
    for id in &ids {
        answers.push(ana.answer(id).await);
    }
    let kinds: Vec<&str> = answers
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ack", "ack", "ack", "error", "error"]);
    let p = rejected(&answers[3], "rate_limited");
    assert_eq!(p["opId"], "c3");
    let wait = p["retryAfterMs"].as_u64().unwrap();
    assert!((1..=1_000).contains(&wait), "{p}");
    // The connection lives; phase 3's requests are not counted against the budget.
    assert_eq!(ana.call("ping", json!({})).await["type"], "pong");
    // Another connection has its own budget.
    let mut bo = server.client().await;
    let ok = bo
        .call("note_create", create("demo", "b0", "b0", "Todo", 9.0))
        .await;
    assert_eq!(ok["type"], "ack", "{ok}");
}

#[tokio::test]
async fn text_over_the_limit_and_notes_over_the_board_limit_tell_people_why_and_developers_which_setting(
) {
    let server = Server::start(BoardConfig {
        max_text_chars: 2_000,
        max_notes: 1,
        ..open_access(BoardConfig::in_memory())
    })
    .await;
    let mut ana = server.client().await;
    let mut long = create("demo", "c0", "n0", "Todo", 0.0);
    long["text"] = json!("x".repeat(10_000));
    let p = rejected(&ana.call("note_create", long).await, "validation").clone();
    // The person reads the numbers in their words; no setting, no field name.
    assert_eq!(
        p["message"], "This note is too long: 10,000 characters, at most 2,000.",
        "{p}"
    );
    // The developer reads the setting and its value.
    assert_eq!(
        p["detail"], "text is 10000 characters; LIVEBOARD_BOARD_MAX_TEXT_CHARS is 2000",
        "{p}"
    );
    let mut ok = create("demo", "c1", "n1", "Todo", 0.0);
    ok["text"] = json!("12345");
    assert_eq!(ana.call("note_create", ok).await["type"], "ack");
    let mut more = create("demo", "c2", "n2", "Todo", 1.0);
    more["text"] = json!("hi");
    let full = ana.call("note_create", more).await;
    let p = rejected(&full, "too_many_notes");
    assert_eq!(
        p["message"], "This board is full (1 note). Delete one to make room.",
        "{p}"
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("LIVEBOARD_BOARD_MAX_NOTES is 1"),
        "{p}"
    );
}
