//! "Ana is editing": `note_editing` in, `note.editing` out to the board's room (WebSocket
//! and SSE), never stored, and announced closed when the sender's connection goes.

mod common;

use common::{ack, create, open_access, rejected, Client, Feed, Server};
use phase_4_board::BoardConfig;
use serde_json::{json, Value};

/// Subscribes `client` to `board` as a person; returns the `ready`.
async fn join(client: &mut Client, board: &str, client_id: &str, name: &str) -> Value {
    let person = json!({"clientId": client_id, "name": name, "color": "#3B82F6"});
    let answer = client
        .call("subscribe", json!({"board": board, "person": person}))
        .await;
    ack(&answer);
    client.take(|v| v["type"] == "ready").await
}

fn editing(note: &str, open: bool) -> Value {
    json!({"board": "demo", "noteId": note, "editing": open})
}

#[tokio::test]
async fn an_open_editor_reaches_the_others_with_the_name_the_sender_subscribed_as() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut feed = Feed::open(&server.url("/boards/demo/events"), None).await;
    assert_eq!(feed.next_event().await.event, "ready");
    let (mut ana, mut bo) = (server.client().await, server.client().await);
    join(&mut ana, "demo", "ana-1", "Ana").await;
    join(&mut bo, "demo", "bo-1", "Bo").await;

    let answer = ana.call("note_editing", editing("n1", true)).await;
    assert_eq!(ack(&answer)["request"], "note_editing", "{answer}");
    assert_eq!(answer["payload"]["board"], "demo");

    let seen = bo.event("note.editing").await;
    assert_eq!(
        seen["payload"],
        json!({"board": "demo", "noteId": "n1", "clientId": "ana-1", "name": "Ana",
               "color": "#3b82f6", "editing": true}),
        "no position: it is not in the board's log"
    );
    // The SSE readers of the room get the same event.
    let sse = loop {
        let event = feed.next_event().await;
        if event.event == "note.editing" {
            break event;
        }
    };
    let data: Value = serde_json::from_str(&sse.data).unwrap();
    assert_eq!(data, seen["payload"], "{sse:?}");

    ack(&ana.call("note_editing", editing("n1", false)).await);
    let closed = bo.event("note.editing").await;
    assert_eq!(closed["payload"]["editing"], false, "{closed}");
    assert_eq!(closed["payload"]["clientId"], "ana-1");
}

#[tokio::test]
async fn a_connection_that_closes_with_an_editor_open_announces_it_closed() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let (mut ana, mut bo) = (server.client().await, server.client().await);
    join(&mut ana, "demo", "ana-1", "Ana").await;
    join(&mut bo, "demo", "bo-1", "Bo").await;
    ack(&ana.call("note_editing", editing("n1", true)).await);
    ack(&ana.call("note_editing", editing("n2", true)).await);
    ack(&ana.call("note_editing", editing("n2", false)).await);
    for expected in [("n1", true), ("n2", true), ("n2", false)] {
        let e = bo.event("note.editing").await;
        assert_eq!(
            (
                e["payload"]["noteId"].as_str(),
                e["payload"]["editing"].as_bool()
            ),
            (Some(expected.0), Some(expected.1))
        );
    }

    // Ana's tab goes away without a word about n1.
    ana.close().await;
    let gone = bo.event("note.editing").await;
    assert_eq!(
        gone["payload"],
        json!({"board": "demo", "noteId": "n1", "clientId": "ana-1", "name": "Ana",
               "color": "#3b82f6", "editing": false}),
    );
    // Only the editor still open is announced: n2 was closed already.
    assert_eq!(bo.call("ping", json!({})).await["type"], "pong");
    assert!(
        !bo.buffered().iter().any(|v| v["type"] == "note.editing"),
        "{:?}",
        bo.buffered()
    );
}

#[tokio::test]
async fn editing_leaves_nothing_in_the_board_log_the_snapshot_or_a_replay() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    let start = join(&mut ana, "demo", "ana-1", "Ana").await;
    let from = start["payload"]["position"].as_str().unwrap().to_owned();
    ack(&ana
        .call("note_create", create("demo", "c1", "n1", "Todo", 1.0))
        .await);
    let before = server.get_json("/boards/demo", 200).await;
    for open in [true, false, true] {
        ack(&ana.call("note_editing", editing("n1", open)).await);
    }
    let after = server.get_json("/boards/demo", 200).await;
    assert_eq!(before, after, "the snapshot and its position did not move");
    assert_eq!(after["seq"], 1);

    // A client resuming from before everything gets the note, and no editing.
    let mut late = server.client().await;
    let ready = late.subscribe("demo", Some(&from)).await;
    assert_eq!(ready["payload"]["replayed"], 1, "{ready}");
    let replayed: Vec<&Value> = late
        .buffered()
        .iter()
        .filter(|v| v["type"].as_str().is_some_and(|t| t.starts_with("note.")))
        .collect();
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    assert_eq!(replayed[0]["type"], "note.created");
}

#[tokio::test]
async fn a_connection_not_subscribed_as_a_person_is_refused_and_keeps_working() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut watcher = server.client().await;
    // Not subscribed at all.
    let refused = watcher.call("note_editing", editing("n1", true)).await;
    let p = rejected(&refused, "not_subscribed");
    assert!(
        !p["message"].as_str().unwrap().contains("note_editing"),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("person"), "{p}");
    // Subscribed, but as nobody: there is no name to show.
    watcher.subscribe("demo", None).await;
    let refused = watcher.call("note_editing", editing("n1", true)).await;
    rejected(&refused, "not_subscribed");
    // Subscribed as a person to another board only.
    join(&mut watcher, "other", "w-1", "Wes").await;
    rejected(
        &watcher.call("note_editing", editing("n1", true)).await,
        "not_subscribed",
    );
    assert_eq!(watcher.call("ping", json!({})).await["type"], "pong");
}

#[tokio::test]
async fn editing_spends_the_connections_own_budget_not_the_addresss_or_the_persons() {
    let server = Server::start(BoardConfig {
        rate_per_sec: 1,
        rate_burst: 3,
        rate_per_ip: 1,
        rate_per_ip_burst: 1,
        rate_per_person: 1,
        rate_per_person_burst: 1,
        ..open_access(BoardConfig::in_memory())
    })
    .await;
    let mut ana = server.client().await;
    join(&mut ana, "demo", "ana-1", "Ana").await;
    // Three, past the address's burst of one: only the connection's bucket counts.
    for open in [true, false, true] {
        ack(&ana.call("note_editing", editing("n1", open)).await);
    }
    let refused = ana.call("note_editing", editing("n1", false)).await;
    let p = rejected(&refused, "rate_limited");
    assert!(p["retryAfterMs"].as_u64().unwrap() >= 1, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("LIVEBOARD_BOARD_RATE_PER_SEC"),
        "{p}"
    );
    // Nothing of the person's change budget was spent: another connection's first
    // change by Ana goes through.
    let mut tab2 = server.client().await;
    ack(&tab2
        .call("note_create", create("demo", "c1", "n1", "Todo", 1.0))
        .await);
}

#[tokio::test]
async fn a_connection_opening_more_editors_than_its_cap_closes_its_oldest() {
    use phase_4_board::extension::MAX_OPEN_EDITORS;
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let (mut ana, mut bo) = (server.client().await, server.client().await);
    join(&mut ana, "demo", "ana-1", "Ana").await;
    join(&mut bo, "demo", "bo-1", "Bo").await;
    for i in 0..=MAX_OPEN_EDITORS {
        ack(&ana
            .call("note_editing", editing(&format!("n{i}"), true))
            .await);
    }
    let mut seen = Vec::new();
    for _ in 0..MAX_OPEN_EDITORS + 2 {
        let e = bo.event("note.editing").await;
        seen.push((
            e["payload"]["noteId"].as_str().unwrap().to_owned(),
            e["payload"]["editing"].as_bool().unwrap(),
        ));
    }
    let last = format!("n{MAX_OPEN_EDITORS}");
    assert_eq!(
        seen[MAX_OPEN_EDITORS..],
        [("n0".to_owned(), false), (last, true)],
        "the oldest is closed before the newest opens"
    );
    // Closing the connection closes the ones still open, and not n0 a second time.
    ana.close().await;
    let mut closed = Vec::new();
    for _ in 0..MAX_OPEN_EDITORS {
        let e = bo.event("note.editing").await;
        assert_eq!(e["payload"]["editing"], false, "{e}");
        closed.push(e["payload"]["noteId"].as_str().unwrap().to_owned());
    }
    assert!(!closed.contains(&"n0".to_owned()), "{closed:?}");
}
