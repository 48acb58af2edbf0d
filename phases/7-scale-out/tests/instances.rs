//! Several instances of the phase 7 server over a real `nats-server` and a real
//! `redis-server` on 127.0.0.1: each sees the others' changes in one order, they race on
//! one board without sharing a sequence number, a client of a killed instance resumes on
//! another, and the bus or the store can go away and come back without losing an
//! acknowledged change. Clients are phase 4's test clients (the board protocol over
//! tokio-tungstenite); every wait has a timeout.

#[path = "../../4-board/tests/common/mod.rs"]
mod board;
mod common;

use std::collections::BTreeSet;

use board::{ack, create, rejected, Client, Feed, WAIT};
use common::{next_seqs, until, write_notes, Instance, NatsServer, RedisServer};
use serde_json::Value;

/// The next presence event (`presence.*`) on `feed`: its type and its data as JSON.
async fn next_presence(feed: &mut Feed) -> (String, Value) {
    loop {
        let event = feed.next_event().await;
        if event.event.starts_with("presence.") {
            let data = serde_json::from_str(&event.data).expect("JSON data");
            return (event.event, data);
        }
    }
}

/// An event stream of `board` on `instance`, as the person `who`.
async fn present(instance: &Instance, board: &str, who: &str) -> Feed {
    let url = instance.url(&format!(
        "/boards/{board}/events?clientId={who}&name={who}&color=%23aabbcc"
    ));
    Feed::open(&url, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_on_two_instances_get_unique_gap_free_numbers_and_every_client_sees_them_in_order()
{
    const EACH: usize = 40;
    let (store, bus) = (RedisServer::start(), NatsServer::start());
    let a = Instance::start("a", &store, &bus).await;
    let b = Instance::start("b", &store, &bus).await;
    let mut on_a = Client::connect(&a.ws()).await;
    let mut on_b = Client::connect(&b.ws()).await;
    on_a.subscribe("race", None).await;
    on_b.subscribe("race", None).await;

    let (ws_a, ws_b) = (a.ws(), b.ws());
    let (from_a, from_b) = tokio::join!(
        write_notes(&ws_a, "race", "a", EACH),
        write_notes(&ws_b, "race", "b", EACH)
    );
    let acked: BTreeSet<u64> = from_a.iter().chain(&from_b).copied().collect();
    assert_eq!(
        acked,
        (1..=2 * EACH as u64).collect(),
        "each number handed out once, none skipped"
    );
    let everything: Vec<u64> = (1..=2 * EACH as u64).collect();
    assert_eq!(next_seqs(&mut on_a, 2 * EACH).await, everything);
    assert_eq!(next_seqs(&mut on_b, 2 * EACH).await, everything);
    // Both instances serve the same board.
    assert_eq!(
        a.get_json("/boards/race").await,
        b.get_json("/boards/race").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_a_killed_instance_resumes_on_another_without_losing_an_event() {
    let (store, bus) = (RedisServer::start(), NatsServer::start());
    let a = Instance::start("a", &store, &bus).await;
    let b = Instance::start("b", &store, &bus).await;
    let mut ana = Client::connect(&a.ws()).await;
    ana.subscribe("demo", None).await;
    write_notes(&b.ws(), "demo", "before", 5).await;
    let mut position = String::new();
    for _ in 0..5 {
        position = ana.note_event().await["payload"]["position"]
            .as_str()
            .expect("a position")
            .to_owned();
    }
    a.kill().await;
    // While Ana is away, the board goes on on B.
    write_notes(&b.ws(), "demo", "during", 7).await;
    let mut back = Client::connect(&b.ws()).await;
    let ready = back.subscribe("demo", Some(&position)).await;
    assert_eq!(
        ready["type"], "ready",
        "the position is valid on B: {ready}"
    );
    assert_eq!(ready["payload"]["recovered"], true, "{ready}");
    assert_eq!(next_seqs(&mut back, 7).await, (6..=12).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_bus_restarts_every_change_made_meanwhile_reaches_the_other_instance() {
    let (store, mut bus) = (RedisServer::start(), NatsServer::start());
    let a = Instance::start("a", &store, &bus).await;
    let b = Instance::start("b", &store, &bus).await;
    let mut on_b = Client::connect(&b.ws()).await;
    on_b.subscribe("demo", None).await;
    write_notes(&a.ws(), "demo", "up", 2).await;
    assert_eq!(next_seqs(&mut on_b, 2).await, [1, 2]);

    bus.kill();
    until(WAIT, "A reports the bus down", || async {
        a.get_json("/health").await["checks"]["bus"]["up"] == false
    })
    .await;
    // Acknowledged while the bus is away: in Redis, not on the wire.
    assert_eq!(write_notes(&a.ws(), "demo", "away", 3).await, [3, 4, 5]);
    bus.restart();
    until(WAIT, "A and B report the bus up", || async {
        a.get_json("/health").await["status"] == "ok"
            && b.get_json("/health").await["status"] == "ok"
    })
    .await;
    assert_eq!(
        next_seqs(&mut on_b, 3).await,
        [3, 4, 5],
        "caught up from the log"
    );
    write_notes(&a.ws(), "demo", "again", 1).await;
    assert_eq!(next_seqs(&mut on_b, 1).await, [6], "and live again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_a_change_is_refused_as_unavailable_and_the_same_change_succeeds_after()
{
    let (mut store, bus) = (RedisServer::start(), NatsServer::start());
    let a = Instance::start("a", &store, &bus).await;
    // The bus connects in the background; the store before the server listens.
    assert_eq!(a.get_json("/health").await["checks"]["store"]["up"], true);
    until(WAIT, "A reports both links up", || async {
        a.get_json("/health").await["status"] == "ok"
    })
    .await;
    let mut ana = Client::connect(&a.ws()).await;
    let kept = ana
        .call("note_create", create("demo", "kept", "kept", "Todo", 0.0))
        .await;
    assert_eq!(ack(&kept)["seq"], 1);

    store.kill();
    let refused = ana
        .call("note_create", create("demo", "later", "later", "Todo", 1.0))
        .await;
    let error = rejected(&refused, "unavailable");
    assert!(error["retryAfterMs"].as_u64().is_some(), "{refused}");
    let health: Value = a.get_json("/health").await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["checks"]["store"]["up"], false, "{health}");

    store.restart();
    until(WAIT, "A reports the store up", || async {
        a.get_json("/health").await["checks"]["store"]["up"] == true
    })
    .await;
    // The client retries with the same opId, as `retryAfterMs` tells it to.
    let retried = ana
        .call("note_create", create("demo", "later", "later", "Todo", 1.0))
        .await;
    assert_eq!(ack(&retried)["seq"], 2, "{retried}");
    let board = a.get_json("/boards/demo").await;
    let ids: Vec<&str> = board["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(
        ids,
        ["kept", "later"],
        "the change acked before the restart is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_on_other_instances_are_on_the_list_and_leave_when_their_instance_dies() {
    let (store, bus) = (RedisServer::start(), NatsServer::start());
    let a = Instance::start("a", &store, &bus).await;
    let b = Instance::start("b", &store, &bus).await;
    let mut bo = present(&b, "demo", "bo").await;
    assert_eq!(next_presence(&mut bo).await.0, "presence.list");
    assert_eq!(next_presence(&mut bo).await.1["clientId"], "bo");

    let _ana = present(&a, "demo", "ana").await;
    let (kind, who) = next_presence(&mut bo).await;
    assert_eq!(
        (kind.as_str(), &who["clientId"]),
        ("presence.join", &"ana".into())
    );
    let list = b.get_json("/boards/demo/presence").await;
    let mut ids: Vec<&str> = list["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| p["clientId"].as_str().expect("a clientId"))
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["ana", "bo"], "{list}");

    // A crash says nothing: B hears no more from A, and after the TTL Ana leaves.
    a.kill().await;
    let (kind, who) = next_presence(&mut bo).await;
    assert_eq!(
        (kind.as_str(), &who["clientId"]),
        ("presence.leave", &"ana".into())
    );
}
