//! Growth by request is bounded: the number of boards, the request rate of an address and
//! of a person over all their connections, and the size of a `GET /boards` answer.

mod common;

use std::collections::HashSet;

use common::{create, open_access, rejected, Client, Server};
use phase_4_board::BoardConfig;
use serde_json::{json, Value};

/// A `note_create` by `author`.
fn create_by(author: &str, board: &str, op: &str) -> Value {
    let mut payload = create(board, op, op, "Todo", 0.0);
    payload["author"] = json!(author);
    payload
}

/// Sends creates on `client` until one is refused (at most `most`); returns how many
/// were acked before, and the refusal.
async fn until_refused(
    client: &mut Client,
    author: &str,
    prefix: &str,
    most: usize,
) -> (usize, Value) {
    for i in 0..most {
        let answer = client
            .call(
                "note_create",
                create_by(author, "demo", &format!("{prefix}{i}")),
            )
            .await;
        if answer["type"] == "error" {
            return (i, answer);
        }
        assert_eq!(answer["type"], "ack", "{answer}");
    }
    panic!("{most} requests went through: no limit was hit");
}

#[tokio::test]
async fn a_note_create_on_a_new_board_past_the_cap_is_refused_with_too_many_boards_and_nothing_is_written(
) {
    let server = Server::start(BoardConfig {
        max_boards: 2,
        ..open_access(BoardConfig::in_memory())
    })
    .await;
    let mut ana = server.client().await;
    for board in ["one", "two"] {
        let ok = ana
            .call("note_create", create_by("Ana", board, board))
            .await;
        assert_eq!(ok["type"], "ack", "{ok}");
    }
    let refused = ana
        .call("note_create", create_by("Ana", "three", "c3"))
        .await;
    let p = rejected(&refused, "too_many_boards");
    assert_eq!(p["opId"], "c3");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("LIVEBOARD_BOARD_MAX_BOARDS")
            && !p["message"].as_str().unwrap().contains("LIVEBOARD_"),
        "{p}"
    );
    // A retry with the same opId is refused again: nothing was recorded the first time.
    let again = ana
        .call("note_create", create_by("Ana", "three", "c3"))
        .await;
    rejected(&again, "too_many_boards");
    // Nothing was written: no board, no note, no event.
    let list = server.get_json("/boards", 200).await;
    let names: Vec<&str> = list["boards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["board"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{list}");
    assert!(!names.contains(&"three"), "{list}");
    let three = server.get_json("/boards/three", 200).await;
    assert_eq!(three["seq"], 0, "{three}");
    assert_eq!(three["notes"], json!([]), "{three}");
    // The boards there are still take notes.
    let more = ana.call("note_create", create_by("Ana", "one", "c4")).await;
    assert_eq!(more["type"], "ack", "{more}");
}

/// Limits where only the per-address budget (6 at once, then 1 a second) can bite.
fn per_address_only() -> BoardConfig {
    BoardConfig {
        rate_per_sec: 1_000,
        rate_burst: 100,
        rate_per_ip: 1,
        rate_per_ip_burst: 6,
        rate_per_person: 0,
        ..open_access(BoardConfig::in_memory())
    }
}

#[tokio::test]
async fn three_connections_from_one_address_together_hit_the_per_address_limit() {
    // Each connection alone could send 100 at once: the address limit is what bites.
    let server = Server::start(per_address_only()).await;
    let (mut a, mut b, mut c) = (
        server.client().await,
        server.client().await,
        server.client().await,
    );
    for (client, who) in [(&mut a, "a"), (&mut b, "b")] {
        for i in 0..3 {
            let ok = client
                .call("note_create", create_by(who, "demo", &format!("{who}{i}")))
                .await;
            assert_eq!(ok["type"], "ack", "{ok}");
        }
    }
    // The third connection has sent nothing, yet the address's budget is spent.
    let (acked, refusal) = until_refused(&mut c, "c", "c", 50).await;
    assert!(acked < 50, "far below c's own burst of 100");
    let p = rejected(&refusal, "rate_limited");
    assert!(p["retryAfterMs"].as_u64().unwrap() >= 1, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("LIVEBOARD_BOARD_RATE_PER_IP")
            && !p["message"].as_str().unwrap().contains("LIVEBOARD_"),
        "{p}"
    );
    // Phase 3's own requests are not note requests: the connection is still served.
    assert_eq!(c.call("ping", json!({})).await["type"], "pong");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_per_address_budget() {
    // The tests connect from 127.0.0.1: here that is the balancer, forwarding two clients.
    let server = Server::start_trusting(per_address_only(), &["127.0.0.1"]).await;
    let mut ana = server.client_forwarded_for("203.0.113.7").await;
    let (acked, refusal) = until_refused(&mut ana, "ana", "a", 50).await;
    assert!((6..50).contains(&acked), "{acked}");
    let p = rejected(&refusal, "rate_limited");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("LIVEBOARD_BOARD_RATE_PER_IP"),
        "{p}"
    );
    // Another client behind the same balancer still has all of its own.
    let mut bo = server.client_forwarded_for("198.51.100.9").await;
    let (acked, _) = until_refused(&mut bo, "bo", "b", 50).await;
    assert!(
        acked >= 6,
        "the second client had {acked}: one budget for both"
    );
}

#[tokio::test]
async fn a_forwarded_address_from_a_peer_nobody_trusts_is_ignored() {
    // No --trusted-proxies: the header is anyone's to write, so both share 127.0.0.1's.
    let server = Server::start(per_address_only()).await;
    let mut ana = server.client_forwarded_for("203.0.113.7").await;
    let (acked, _) = until_refused(&mut ana, "ana", "a", 50).await;
    assert!(acked >= 6, "{acked}");
    let mut forger = server.client_forwarded_for("198.51.100.9").await;
    let (acked, refusal) = until_refused(&mut forger, "eve", "e", 50).await;
    // Less than a fresh budget: only what refilled since (1 a second) went through.
    assert!(acked < 6, "a forged header bought {acked} requests");
    rejected(&refusal, "rate_limited");
}

#[tokio::test]
async fn one_person_on_two_connections_hits_the_per_person_limit_and_others_keep_their_budget() {
    let server = Server::start(BoardConfig {
        rate_per_sec: 1_000,
        rate_burst: 100,
        rate_per_ip: 0,
        rate_per_person: 1,
        rate_per_person_burst: 4,
        ..open_access(BoardConfig::in_memory())
    })
    .await;
    let (mut tab1, mut tab2) = (server.client().await, server.client().await);
    for i in 0..2 {
        let ok = tab1
            .call("note_create", create_by("Ana", "demo", &format!("t1-{i}")))
            .await;
        assert_eq!(ok["type"], "ack", "{ok}");
    }
    let (acked, refusal) = until_refused(&mut tab2, "Ana", "t2-", 50).await;
    assert!(acked < 50, "far below the second tab's own burst of 100");
    let p = rejected(&refusal, "rate_limited");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("LIVEBOARD_BOARD_RATE_PER_PERSON"), "{p}");
    assert!(detail.contains("Ana"), "{p}");
    // Bo, on the same connection as Ana's first tab, has his own budget.
    let bo = tab1
        .call("note_create", create_by("Bo", "demo", "bo"))
        .await;
    assert_eq!(bo["type"], "ack", "{bo}");
}

#[tokio::test]
async fn walking_get_boards_page_by_page_lists_every_board_exactly_once_most_recent_first() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    let mut ana = server.client().await;
    let names: Vec<String> = (0..7).map(|i| format!("board-{i}")).collect();
    for name in &names {
        let ok = ana.call("note_create", create_by("Ana", name, name)).await;
        assert_eq!(ok["type"], "ack", "{ok}");
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut path = "/boards?limit=3".to_owned();
    loop {
        let page = server.get_json(&path, 200).await;
        pages += 1;
        let rows = page["boards"].as_array().unwrap();
        assert!(rows.len() <= 3, "{page}");
        for row in rows {
            let at = row["updatedAtMs"].as_u64().unwrap();
            seen.push((row["board"].as_str().unwrap().to_owned(), at));
            assert_eq!(row["notes"], 1, "{row}");
        }
        match page["next"].as_str() {
            Some(next) => path = format!("/boards?limit=3&after={next}"),
            None => break,
        }
        assert!(pages < 10, "the walk ends");
    }
    assert_eq!(pages, 3);
    let listed: HashSet<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(seen.len(), names.len(), "no board twice: {seen:?}");
    assert_eq!(listed, names.iter().map(String::as_str).collect());
    assert!(
        seen.windows(2).all(|w| w[0].1 >= w[1].1),
        "most recently changed first: {seen:?}"
    );
    // The default page holds them all, and says there is no next page.
    let all = server.get_json("/boards", 200).await;
    assert_eq!(all["boards"].as_array().unwrap().len(), 7);
    assert_eq!(all["next"], Value::Null);
}

#[tokio::test]
async fn a_bad_limit_or_cursor_is_a_400_that_says_what_is_accepted() {
    let server = Server::start(open_access(BoardConfig::in_memory())).await;
    for (query, code) in [
        ("limit=0", "bad_limit"),
        ("limit=501", "bad_limit"),
        ("limit=ten", "bad_limit"),
        ("after=yesterday", "bad_cursor"),
    ] {
        let body = server.get_json(&format!("/boards?{query}"), 400).await;
        assert_eq!(body["error"]["code"], code, "{query}: {body}");
    }
    let max = server.get_json("/boards?limit=500", 200).await;
    assert_eq!(max["boards"], json!([]));
}
