//! Chat lines on a board: numbered by the board's log, between the note changes, so that
//! each has its own position and a resume — SSE `Last-Event-ID`, WebSocket `since`, after
//! a restart — replays them like any other event.

mod common;

use common::{ack, create, open_access, rejected, Feed, Server, WAIT};
use phase_4_board::BoardConfig;
use serde_json::{json, Value};

/// `POST /boards/:board/messages` with `text`; returns the status and the JSON body.
async fn post_message(server: &Server, board: &str, text: &str) -> (u16, Value) {
    let res = tokio::time::timeout(
        WAIT,
        reqwest::Client::new()
            .post(server.url(&format!("/boards/{board}/messages")))
            .json(&json!({"text": text, "name": "Bo"}))
            .send(),
    )
    .await
    .expect("an answer in time")
    .expect("request sent");
    let status = res.status().as_u16();
    (status, res.json().await.expect("a JSON body"))
}

/// The sequence number of a position `<epoch>-<seq>`.
fn seq_of(position: &Value) -> u64 {
    let text = position.as_str().expect("a position string");
    let (_, seq) = text.rsplit_once('-').expect("<epoch>-<seq>");
    seq.parse().expect("a number")
}

/// A note change, a chat line over HTTP, one over `/ws`, another note change on `demo`:
/// returns the four positions.
async fn note_chat_chat_note(server: &Server) -> Vec<Value> {
    let mut ana = server.client().await;
    let first = ana
        .call("note_create", create("demo", "c1", "n1", "Todo", 1.0))
        .await;
    let (status, posted) = post_message(server, "demo", "over http").await;
    assert_eq!(status, 200, "{posted}");
    let published = ana
        .call("publish", json!({"board": "demo", "text": "over ws"}))
        .await;
    let last = ana
        .call("note_create", create("demo", "c2", "n2", "Todo", 2.0))
        .await;
    ana.close().await;
    vec![
        ack(&first)["position"].clone(),
        posted["position"].clone(),
        ack(&published)["position"].clone(),
        ack(&last)["position"].clone(),
    ]
}

#[tokio::test]
async fn chat_lines_over_http_and_ws_get_consecutive_sequences_in_the_log_of_note_changes() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let positions = note_chat_chat_note(&server).await;
    assert_eq!(
        positions.iter().map(seq_of).collect::<Vec<_>>(),
        [1, 2, 3, 4],
        "{positions:?}"
    );
    let logged = server.board.store().events("demo", 0, 4).await.unwrap();
    let kinds: Vec<_> = logged.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        ["note.created", "message", "message", "note.created"]
    );
    let line: Value = serde_json::from_slice(&logged[1].data).unwrap();
    assert_eq!(line["text"], "over http");
    assert_eq!(line["name"], "Bo");
    // The snapshot's notes are the notes; its seq counts the chat lines too.
    let snapshot = server.get_json("/boards/demo", 200).await;
    assert_eq!(snapshot["seq"], 4);
    assert_eq!(snapshot["notes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_sse_reader_resuming_before_the_chat_lines_receives_them_again_in_order() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let positions = note_chat_chat_note(&server).await;
    let since = positions[0].as_str().unwrap();
    let mut feed = Feed::open(&server.url("/boards/demo/events"), Some(since)).await;
    let mut replayed = Vec::new();
    for _ in 0..3 {
        let e = feed.next_event().await;
        replayed.push((e.event, e.last_event_id));
    }
    let want: Vec<_> = [("message", 1), ("message", 2), ("note.created", 3)]
        .iter()
        .map(|(kind, i)| (kind.to_string(), positions[*i].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(replayed, want);
    let ready = feed.next_event().await;
    assert_eq!(ready.event, "ready");
    let data: Value = serde_json::from_str(&ready.data).unwrap();
    assert_eq!(data["recovered"], true, "{data}");
    assert_eq!(data["replayed"], 3, "{data}");
}

#[tokio::test]
async fn a_websocket_subscribe_with_since_replays_the_chat_lines_from_the_log() {
    // Memory keeps one event per board: the replay comes from the log.
    let server = Server::start_with_history(open_access(BoardConfig::in_memory()), 1).await;
    let positions = note_chat_chat_note(&server).await;
    let mut bo = server.client().await;
    let ready = bo
        .subscribe("demo", Some(positions[0].as_str().unwrap()))
        .await;
    assert_eq!(ready["type"], "ready", "{ready}");
    assert_eq!(ready["payload"]["replayed"], 3, "{ready}");
    let replayed: Vec<_> = bo
        .buffered()
        .iter()
        .filter(|v| v["type"] == "message" || v["type"] == "note.created")
        .map(|v| (v["type"].clone(), v["payload"]["position"].clone()))
        .collect();
    assert_eq!(
        replayed,
        [
            (json!("message"), positions[1].clone()),
            (json!("message"), positions[2].clone()),
            (json!("note.created"), positions[3].clone()),
        ]
    );
    let texts: Vec<_> = bo
        .buffered()
        .iter()
        .filter(|v| v["type"] == "message")
        .map(|v| v["payload"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("over http"), json!("over ws")]);
}

#[tokio::test]
async fn chat_lines_are_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::in_dir(dir.path()).await;
    let positions = note_chat_chat_note(&server).await;
    server.stop().await;

    let server = Server::in_dir(dir.path()).await;
    let since = positions[0].as_str().unwrap();
    let mut feed = Feed::open(&server.url("/boards/demo/events"), Some(since)).await;
    let first = feed.next_event().await;
    assert_eq!(first.event, "message");
    assert_eq!(first.last_event_id, positions[1].as_str().unwrap());
    let data: Value = serde_json::from_str(&first.data).unwrap();
    assert_eq!(data["text"], "over http");
    let second = feed.next_event().await;
    assert_eq!(second.last_event_id, positions[2].as_str().unwrap());
    // And the numbering goes on from the log's head.
    let (status, posted) = post_message(&server, "demo", "after the restart").await;
    assert_eq!(status, 200, "{posted}");
    assert_eq!(seq_of(&posted["position"]), 5);
}

#[tokio::test]
async fn a_chat_line_that_would_make_a_board_past_the_cap_is_refused_and_not_sent() {
    let config = BoardConfig {
        max_boards: 1,
        ..open_access(BoardConfig::in_memory())
    };
    let server = Server::start(config).await;
    let (status, _) = post_message(&server, "first", "makes the board").await;
    assert_eq!(status, 200);
    let (status, body) = post_message(&server, "second", "one board too many").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "refused", "{body}");
    let mut ana = server.client().await;
    let answer = ana
        .call(
            "publish",
            json!({"board": "second", "text": "still too many"}),
        )
        .await;
    rejected(&answer, "refused");
    assert_eq!(
        server.board.store().snapshot("second").await.unwrap().seq,
        0
    );
}
