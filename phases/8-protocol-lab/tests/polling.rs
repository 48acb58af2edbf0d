//! Polling on the event log against the real server (phases 1–6 and 8 on 127.0.0.1:0,
//! boards in memory): short polls with `ETag` and `304`, pages, long polls woken by writes
//! over HTTP and the WebSocket board protocol, the cap on held requests, shutdown, access,
//! bad cursors and resets. Every wait has a timeout; nothing asserts how long something took.

mod common;

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use common::{boards, chat, start, start_board, WAIT};
use futures_util::{SinkExt, StreamExt};
use phase_1_foundations::testing::{TestServer, TEST_ORIGIN};
use phase_4_board::{access::AccessMode, BoardConfig};
use phase_8_protocol_lab::{PollState, ProtocolLabConfig};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

fn poll_state(server: &TestServer) -> Arc<PollState> {
    server
        .services()
        .require::<Arc<PollState>>()
        .expect("phase 8 stores its state")
        .clone()
}

/// `GET path` with an optional `If-None-Match`: the status, the headers, the JSON body
/// (`Null` when there is none).
async fn get(
    server: &TestServer,
    path: &str,
    tag: Option<&str>,
) -> (StatusCode, header::HeaderMap, Value) {
    get_url(&server.url(path), tag).await
}

async fn get_url(url: &str, tag: Option<&str>) -> (StatusCode, header::HeaderMap, Value) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(tag) = tag {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let res = timeout(WAIT, req.send())
        .await
        .expect("an answer in time")
        .expect("request sent");
    let (status, headers) = (res.status(), res.headers().clone());
    let text = timeout(WAIT, res.text())
        .await
        .expect("the body in time")
        .expect("a body");
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn seqs(answer: &Value) -> Vec<u64> {
    answer["events"]
        .as_array()
        .expect("an events array")
        .iter()
        .map(|e| e["seq"].as_u64().expect("a seq"))
        .collect()
}

/// Waits until `n` long polls are held.
async fn until_held(state: &PollState, n: usize) {
    timeout(WAIT, async {
        while state.held_now() != n {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the long polls are held in time");
}

#[tokio::test]
async fn an_unchanged_short_poll_is_304_and_a_write_makes_it_200_with_the_new_event() {
    let server = start(ProtocolLabConfig::default()).await;
    chat(&server, "b", "one").await;
    let (status, headers, first) = get(&server, "/boards/b/poll?after=0", None).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(seqs(&first), [1]);
    assert_eq!(first["events"][0]["event"], "message");
    assert_eq!(
        first["events"][0]["data"]["text"], "one",
        "the event's JSON, as JSON"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    let tag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(tag, format!("\"{}-1\"", first["epoch"].as_str().unwrap()));

    let next = first["next"].as_str().unwrap().to_owned();
    let path = format!("/boards/b/poll?after={next}");
    let (status, headers, caught_up) = get(&server, &path, None).await;
    assert_eq!((status, seqs(&caught_up)), (StatusCode::OK, vec![]));
    assert_eq!(
        caught_up["next"],
        next.as_str(),
        "nothing new: the same cursor"
    );
    assert_eq!(headers[header::ETAG].to_str().unwrap(), tag);

    let (status, headers, body) = get(&server, &path, Some(&tag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(body, Value::Null, "a 304 has no body");
    assert_eq!(headers[header::ETAG].to_str().unwrap(), tag);

    chat(&server, "b", "two").await;
    let (status, headers, fresh) = get(&server, &path, Some(&tag)).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(seqs(&fresh), [2]);
    assert_eq!(fresh["events"][0]["data"]["text"], "two");
    assert_ne!(headers[header::ETAG].to_str().unwrap(), tag);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_client_behind_gets_pages_and_follows_next_to_the_head() {
    let server = start(ProtocolLabConfig {
        max_events: 3,
        ..ProtocolLabConfig::default()
    })
    .await;
    for i in 1..=7 {
        chat(&server, "b", &format!("line {i}")).await;
    }
    let mut after = "0".to_owned();
    let mut pages = Vec::new();
    loop {
        let (status, _, page) = get(&server, &format!("/boards/b/poll?after={after}"), None).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["head"], 7);
        pages.push(seqs(&page));
        after = page["next"].as_str().unwrap().to_owned();
        if page["more"] == false {
            break;
        }
        assert!(pages.len() < 5, "paging ends");
    }
    assert_eq!(pages, [vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_long_poll_is_answered_by_a_write_made_while_it_was_held() {
    let server = start(ProtocolLabConfig::default()).await;
    let url = server.url("/boards/b/poll?after=0&wait_ms=20000");
    let held = tokio::spawn(async move { get_url(&url, None).await });
    until_held(&poll_state(&server), 1).await;
    chat(&server, "b", "wake up").await;
    let (status, _, answer) = timeout(WAIT, held)
        .await
        .expect("answered in time")
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(seqs(&answer), [1]);
    assert_eq!(answer["events"][0]["data"]["text"], "wake up");
    assert_eq!(
        poll_state(&server).held_now(),
        0,
        "the held slot is given back"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_long_poll_that_waits_out_its_time_answers_nothing_new_with_the_same_cursor() {
    let server = start(ProtocolLabConfig {
        // The cap applies: the client asks for a minute and is answered within the cap.
        max_wait_ms: 50,
        ..ProtocolLabConfig::default()
    })
    .await;
    chat(&server, "b", "one").await;
    let (status, headers, answer) =
        get(&server, "/boards/b/poll?after=1&wait_ms=60000", None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(seqs(&answer), Vec::<u64>::new());
    assert!(answer["next"].as_str().unwrap().ends_with("-1"), "{answer}");
    let tag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, _, _) = get(&server, "/boards/b/poll?after=1&wait_ms=60000", Some(&tag)).await;
    assert_eq!(
        status,
        StatusCode::NOT_MODIFIED,
        "still unchanged when the wait ends"
    );
    server.shutdown().await.unwrap();
}

/// A board-protocol client on `/ws` that creates notes and waits for each ack.
struct Writer {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Writer {
    async fn connect(server: &TestServer) -> Self {
        let mut req = format!("ws://{}/ws", server.addr)
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("liveboard.v1"),
        );
        req.headers_mut()
            .insert("origin", HeaderValue::from_static(TEST_ORIGIN));
        let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .expect("handshake in time")
            .expect("handshake accepted");
        Self { ws }
    }

    async fn create(&mut self, board: &str, id: &str) {
        let request = json!({"type": "note_create", "id": id, "payload": {
            "board": board, "opId": id, "noteId": id, "text": id, "color": "#fde68a",
            "column": "Todo", "order": 1.0, "author": "Ana"}});
        self.ws
            .send(Message::text(request.to_string()))
            .await
            .expect("send");
        loop {
            let msg = timeout(WAIT, self.ws.next())
                .await
                .expect("the ack in time")
                .expect("connection open")
                .expect("a valid frame");
            let Message::Text(text) = msg else { continue };
            let answer: Value = serde_json::from_str(text.as_str()).expect("JSON");
            if answer["id"] == id {
                assert_eq!(answer["type"], "ack", "{answer}");
                return;
            }
        }
    }
}

#[tokio::test]
async fn no_event_is_missed_by_long_polling_under_concurrent_writes() {
    const WRITERS: usize = 4;
    const NOTES_EACH: usize = 25;
    const TOTAL: u64 = (WRITERS * NOTES_EACH) as u64;
    // Every writer is one person on one address, writing as fast as acks come back: the
    // rate limits, which are not under test here, are lifted.
    let unlimited = BoardConfig {
        access: AccessMode::Open,
        rate_per_sec: 10_000,
        rate_burst: 10_000,
        rate_per_ip: 10_000,
        rate_per_ip_burst: 10_000,
        rate_per_person: 10_000,
        rate_per_person_burst: 10_000,
        ..BoardConfig::in_memory()
    };
    let server = start_board(
        unlimited,
        ProtocolLabConfig {
            // Small pages: catching up after a burst takes several polls.
            max_events: 7,
            ..ProtocolLabConfig::default()
        },
    )
    .await;
    let reader_url = server.url("/boards/race/poll");
    let reader = tokio::spawn(async move {
        let (mut after, mut seen, mut polls) = ("0".to_owned(), Vec::new(), 0);
        while (seen.len() as u64) < TOTAL {
            let url = format!("{reader_url}?after={after}&wait_ms=5000");
            let (status, _, answer) = get_url(&url, None).await;
            assert_eq!(status, 200, "{answer}");
            for event in answer["events"].as_array().unwrap() {
                // The note event's own header says the same sequence number.
                assert_eq!(event["data"]["seq"], event["seq"], "{event}");
                seen.push(event["seq"].as_u64().unwrap());
            }
            after = answer["next"].as_str().unwrap().to_owned();
            polls += 1;
            assert!(polls < 1_000, "the reader converges");
        }
        (seen, polls)
    });
    until_held(&poll_state(&server), 1).await;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let mut writer = Writer::connect(&server).await;
        writers.push(tokio::spawn(async move {
            for n in 0..NOTES_EACH {
                writer.create("race", &format!("w{w}n{n}")).await;
            }
        }));
    }
    for writer in writers {
        timeout(WAIT * 3, writer)
            .await
            .expect("the writers finish")
            .unwrap();
    }
    let (seen, polls) = timeout(WAIT * 3, reader)
        .await
        .expect("the reader catches up")
        .unwrap();
    let distinct: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(seen.len(), distinct.len(), "no event twice: {seen:?}");
    assert_eq!(
        seen,
        (1..=TOTAL).collect::<Vec<_>>(),
        "every event once, in order ({polls} polls)"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_long_poll_past_the_cap_is_503_with_retry_after_and_short_polls_still_work() {
    let server = start(ProtocolLabConfig {
        max_held: 1,
        ..ProtocolLabConfig::default()
    })
    .await;
    let url = server.url("/boards/b/poll?wait_ms=20000");
    let first = tokio::spawn(async move { get_url(&url, None).await });
    until_held(&poll_state(&server), 1).await;
    let (status, headers, refused) = get(&server, "/boards/b/poll?wait_ms=20000", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    assert_eq!(refused["error"]["code"], "too_many_held_polls");
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let (status, _, _) = get(&server, "/boards/b/poll", None).await;
    assert_eq!(status, 200, "a short poll holds nothing and is served");
    chat(&server, "b", "release").await;
    let (status, _, answer) = timeout(WAIT, first).await.expect("answered").unwrap();
    assert_eq!((status, seqs(&answer)), (StatusCode::OK, vec![1]));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_answers_a_held_poll_at_once_with_a_retry_hint() {
    let mut server = start(ProtocolLabConfig::default()).await;
    chat(&server, "b", "one").await;
    let url = server.url("/boards/b/poll?after=1&wait_ms=25000");
    let held = tokio::spawn(async move { get_url(&url, None).await });
    let state = poll_state(&server);
    until_held(&state, 1).await;
    server.begin_shutdown();
    let (status, headers, answer) = timeout(WAIT, held)
        .await
        .expect("the held poll is answered well before its wait ends")
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(seqs(&answer), Vec::<u64>::new());
    assert!(answer["next"].as_str().unwrap().ends_with("-1"), "{answer}");
    assert!(answer["retryAfterMs"].as_u64().is_some(), "{answer}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    server.shutdown().await.expect("the drain finishes");
}

#[tokio::test]
async fn a_private_board_is_403_without_the_session_cookie() {
    let server = start_board(boards(AccessMode::Private), ProtocolLabConfig::default()).await;
    for path in ["/boards/secret/poll", "/boards/secret/poll?wait_ms=1000"] {
        let (status, _, body) = get(&server, path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_bad_cursor_or_wait_is_400_saying_what_is_wrong() {
    let server = start(ProtocolLabConfig::default()).await;
    let (status, _, body) = get(&server, "/boards/b/poll?after=abc", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_cursor");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("abc"),
        "{body}"
    );
    let (status, _, body) = get(&server, "/boards/b/poll?after=0&wait_ms=soon", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_wait");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_cursor_from_another_epoch_or_ahead_of_the_log_is_a_reset() {
    let server = start(ProtocolLabConfig::default()).await;
    chat(&server, "b", "one").await;
    for cursor in ["someotherlog-1", "5"] {
        let (status, _, body) = get(
            &server,
            &format!("/boards/b/poll?after={cursor}&wait_ms=1000"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::GONE, "{body}");
        assert_eq!(body["error"]["code"], "reset");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("GET /boards/b"),
            "{body}"
        );
    }
    // The board's snapshot gives a position to poll from.
    let (_, _, snapshot) = get(&server, "/boards/b", None).await;
    let position = snapshot["position"].as_str().unwrap();
    let (status, _, body) = get(&server, &format!("/boards/b/poll?after={position}"), None).await;
    assert_eq!((status, seqs(&body)), (StatusCode::OK, vec![]));
    server.shutdown().await.unwrap();
}
