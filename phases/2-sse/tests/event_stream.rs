//! The event stream over a real socket: headers, replay, reset, keep-alive, slow readers.

mod common;

use bytes::Bytes;
use common::{config, get_json, post_message, start, SseClient};
use phase_2_sse::{parser::Item, SseConfig};

#[tokio::test]
async fn a_real_client_reads_the_retry_hint_ready_and_published_messages() {
    let (server, _state) = start(config()).await;
    let mut client = SseClient::open(&server.url("/boards/demo/events")).await;
    let h = &client.response_headers;
    assert_eq!(h["content-type"], "text/event-stream");
    assert_eq!(h["cache-control"], "no-cache");
    assert_eq!(h["x-accel-buffering"], "no");

    assert_eq!(client.next_item().await, Some(Item::Retry(1_500)));
    let (ready, people) = client.handshake().await;
    assert_eq!(ready.event, "ready");
    let ready_data: serde_json::Value = serde_json::from_str(&ready.data).unwrap();
    assert_eq!(ready_data["recovered"], false);
    assert!(ready.last_event_id.ends_with("-0"), "{ready:?}");
    assert_eq!(ready_data["position"], ready.last_event_id.as_str());
    assert_eq!(people, serde_json::json!([]));

    let posted = post_message(&server, "demo", "hello\nworld é").await;
    let msg = client.expect_event("message").await;
    assert_eq!(msg.last_event_id, posted["position"].as_str().unwrap());
    assert!(msg.last_event_id.ends_with("-1"));
    let data: serde_json::Value = serde_json::from_str(&msg.data).unwrap();
    assert_eq!(data["text"], "hello\nworld é");
    assert!(data["sentAtMs"].as_u64().unwrap() > 0);
}

/// On the wire: an HTTP/1.1 head written by phase 1 after the handover, no length and no
/// chunking (the body ends with the connection, RFC 9112 §6.3), then the event bytes as
/// they are — and the connection closed by the server when the stream ends.
#[tokio::test]
async fn the_body_follows_the_head_raw_and_ends_with_the_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (server, state) = start(config()).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /boards/raw/events HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:3000\r\n\r\n",
        server.addr
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&received).contains("event: ready") {
        let n = tokio::time::timeout(common::TIMEOUT, socket.read(&mut chunk))
            .await
            .expect("the opening arrives")
            .unwrap();
        assert!(
            n > 0,
            "closed early: {}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&received).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole head");
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"));
    let fields: Vec<&str> = lines.collect();
    for expected in [
        "content-type: text/event-stream",
        "connection: close",
        "access-control-allow-origin: http://localhost:3000",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing in {fields:?}"
        );
    }
    assert!(fields.iter().any(|f| f.starts_with("date: ")), "{fields:?}");
    assert!(
        !head.contains("transfer-encoding") && !head.contains("content-length"),
        "{head}"
    );
    // No chunk size before the first event: the body starts with the retry hint.
    assert!(body.starts_with("retry: 1500\n\n"), "{body:?}");

    // The server ends the stream: the goodbye, then end-of-file (the close delimits).
    state.close_streams();
    loop {
        let n = tokio::time::timeout(common::TIMEOUT, socket.read(&mut chunk))
            .await
            .expect("the server closes the connection")
            .unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
    }
    assert!(String::from_utf8_lossy(&received).ends_with(": closed: server shutting down\n"));
}

/// Opens, reads the opening, posts three messages and reads them; returns the ids.
async fn three_messages(
    server: &phase_1_foundations::testing::TestServer,
    board: &str,
) -> Vec<String> {
    let mut client = SseClient::open(&server.url(&format!("/boards/{board}/events"))).await;
    client.handshake().await;
    let mut ids = Vec::new();
    for text in ["m1", "m2", "m3"] {
        post_message(server, board, text).await;
        ids.push(client.expect_event("message").await.last_event_id);
    }
    ids
}

fn text_of(e: &phase_2_sse::parser::ParsedEvent) -> String {
    let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
    v["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn reconnecting_with_the_last_event_id_header_replays_exactly_the_missed_events() {
    let (server, _state) = start(config()).await;
    let ids = three_messages(&server, "b").await;
    // The client saw m1 only, then lost its connection.
    let mut client = SseClient::open_with(
        reqwest::Client::new()
            .get(server.url("/boards/b/events"))
            .header("Last-Event-ID", &ids[0]),
    )
    .await;
    let m2 = client.expect_event("message").await;
    let m3 = client.expect_event("message").await;
    assert_eq!((text_of(&m2), text_of(&m3)), ("m2".into(), "m3".into()));
    assert_eq!((&m2.last_event_id, &m3.last_event_id), (&ids[1], &ids[2]));
    let ready = client.expect_json("ready").await;
    assert_eq!(ready["recovered"], true);
    assert_eq!(ready["replayed"], 2);
    client.expect_event("presence.list").await;
    // Then live, with nothing duplicated.
    post_message(&server, "b", "m4").await;
    assert_eq!(text_of(&client.expect_event("message").await), "m4");
}

#[tokio::test]
async fn the_last_event_id_query_parameter_replays_the_same_way() {
    let (server, _state) = start(config()).await;
    let ids = three_messages(&server, "b").await;
    let url = server.url(&format!("/boards/b/events?lastEventId={}", ids[1]));
    let mut client = SseClient::open(&url).await;
    assert_eq!(text_of(&client.expect_event("message").await), "m3");
    assert_eq!(client.expect_json("ready").await["replayed"], 1);
    // Up to date: nothing to replay, still `recovered`.
    let url = server.url(&format!("/boards/b/events?lastEventId={}", ids[2]));
    let mut client = SseClient::open(&url).await;
    let ready = client.expect_json("ready").await;
    assert_eq!(
        (ready["recovered"].clone(), ready["replayed"].clone()),
        (true.into(), 0.into())
    );
}

#[tokio::test]
async fn a_gap_older_than_the_history_gets_a_reset_carrying_the_current_position() {
    let (server, state) = start(SseConfig {
        history: 3,
        ..config()
    })
    .await;
    for i in 0..6 {
        state
            .hub()
            .publish("b", "message", Bytes::from(format!("{i}")));
    }
    let epoch = state.hub().epoch().to_owned();
    let mut client = SseClient::open_with(
        reqwest::Client::new()
            .get(server.url("/boards/b/events"))
            .header("Last-Event-ID", format!("{epoch}-1")),
    )
    .await;
    let reset = client.expect_event("reset").await;
    assert_eq!(reset.last_event_id, format!("{epoch}-6"));
    assert!(reset.data.contains("older than the history"), "{reset:?}");
    // No partial replay: the next thing is the presence snapshot, not events 4..6.
    client.expect_event("presence.list").await;
}

#[tokio::test]
async fn a_position_from_another_epoch_gets_a_reset() {
    let (server, state) = start(config()).await;
    state
        .hub()
        .publish("b", "message", Bytes::from_static(b"1"));
    let url = server.url("/boards/b/events?lastEventId=restartedearlier-1");
    let mut client = SseClient::open(&url).await;
    let reset = client.expect_json("reset").await;
    assert!(
        reset["reason"]
            .as_str()
            .unwrap()
            .contains("another history"),
        "{reset}"
    );
}

#[tokio::test]
async fn a_malformed_last_event_id_is_a_400_json_error() {
    let (server, _state) = start(config()).await;
    let res = reqwest::Client::new()
        .get(server.url("/boards/b/events"))
        .header("Last-Event-ID", "not a position")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_last_event_id");
    let (status, body) = get_json(&server, "/boards/b/events?lastEventId=42").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_last_event_id"))
    );
}

#[tokio::test]
async fn a_keep_alive_comment_arrives_when_the_stream_is_idle() {
    let (server, _state) = start(SseConfig {
        keepalive_ms: 50,
        ..config()
    })
    .await;
    let mut client = SseClient::open(&server.url("/boards/quiet/events")).await;
    client.handshake().await;
    // Nothing is published: the next item must be the comment (each wait has a timeout).
    assert_eq!(
        client.next_item().await,
        Some(Item::Comment("keep-alive".into()))
    );
    // And again after the same silence.
    assert_eq!(
        client.next_item().await,
        Some(Item::Comment("keep-alive".into()))
    );
}

// ANCHOR: slow_reader_test
#[tokio::test]
async fn a_slow_reader_does_not_delay_a_fast_reader_and_is_cut_with_a_final_comment() {
    let (server, state) = start(SseConfig {
        queue_bytes: 64 * 1024,
        history: 8,
        ..config()
    })
    .await;
    let url = server.url("/boards/race/events");
    let mut slow = SseClient::open(&url).await;
    slow.handshake().await; // subscribed; from now on it reads nothing

    let mut fast = SseClient::open(&url).await;
    fast.handshake().await;
    let padding = "x".repeat(32 * 1024);
    let mut published = 0u64;
    // Publish in lock-step with the fast reader: each event must reach it before the next
    // is sent. The slow reader's socket buffers fill, then its 64 KiB queue, then it is cut.
    while state.hub().stats().slow_consumers_cut == 0 {
        assert!(published < 4_000, "the slow reader was never cut");
        let data = format!(r#"{{"n":{published},"pad":"{padding}"}}"#);
        state.hub().publish("race", "message", Bytes::from(data));
        published += 1;
        let got = fast.expect_json("message").await;
        assert_eq!(got["n"], published - 1);
    }
    // The fast reader is still subscribed and still served.
    state
        .hub()
        .publish("race", "message", Bytes::from_static(b"{\"n\":\"after\"}"));
    assert_eq!(fast.expect_json("message").await["n"], "after");

    // The slow reader now reads what reached its socket: a gap-free prefix, then the
    // goodbye, then the end of the stream.
    let items = slow.until_end().await;
    let seen: Vec<u64> = items
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) if e.event == "message" => {
                serde_json::from_str::<serde_json::Value>(&e.data).ok()?["n"].as_u64()
            }
            _ => None,
        })
        .collect();
    assert_eq!(seen, (0..seen.len() as u64).collect::<Vec<_>>());
    assert!((seen.len() as u64) < published);
    match items.last() {
        Some(Item::Comment(c)) => {
            assert_eq!(c, "closed: slow consumer: fell too far behind the stream")
        }
        other => panic!("expected the closing comment last, got {other:?}"),
    }
    // It can resume from where it was cut (the browser would, after `retry` ms)... or,
    // with history this short, learns it must reload: all or nothing either way.
    let mut again = SseClient::open_with(
        reqwest::Client::new()
            .get(&url)
            .header("Last-Event-ID", slow.last_event_id()),
    )
    .await;
    assert_eq!(again.next_event().await.event, "reset");
}
// ANCHOR_END: slow_reader_test

/// A stream whose client reads nothing at all after the response head has its write
/// blocked on a full socket — yet once cut, its slot and its presence entry must go at
/// once, and its connection must end (after the goodbye) as soon as the client reads again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_reader_that_reads_nothing_frees_its_slot_and_presence_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (server, state) = start(SseConfig {
        queue_bytes: 64 * 1024,
        max_streams_per_board: 2,
        ..config()
    })
    .await;
    let mut watcher = SseClient::open(&server.url("/boards/jam/events")).await;
    watcher.handshake().await;

    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stuck = socket.connect(server.addr).await.unwrap();
    let request = format!(
        "GET /boards/jam/events?clientId=stuck&name=Stuck&color=%2300aa00 HTTP/1.1\r\n\
         Host: {}\r\n\r\n",
        server.addr
    );
    stuck.write_all(request.as_bytes()).await.unwrap();
    // From here on `stuck` reads nothing. The watcher sees it arrive; the board is full.
    assert_eq!(
        watcher.expect_json("presence.join").await["clientId"],
        "stuck"
    );
    let (status, body) = get_json(&server, "/boards/jam/events").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("too_many_streams"))
    );

    let padding = "x".repeat(32 * 1024);
    let mut published = 0u64;
    let mut left = None;
    while state.hub().stats().slow_consumers_cut == 0 {
        assert!(published < 4_000, "the stuck reader was never cut");
        let data = format!(r#"{{"n":{published},"pad":"{padding}"}}"#);
        state.hub().publish("jam", "message", Bytes::from(data));
        published += 1;
        loop {
            let event = watcher.next_event().await;
            match event.event.as_str() {
                "message" => break,
                "presence.leave" => left = Some(event),
                other => panic!("unexpected {other}"),
            }
        }
    }
    // Presence announces the leave, though the stream's write is still blocked.
    let left = match left {
        Some(event) => event,
        None => watcher.expect_event("presence.leave").await,
    };
    assert_eq!(left.data, r#"{"clientId":"stuck"}"#);
    let (_, snapshot) = get_json(&server, "/boards/jam/presence").await;
    assert_eq!(snapshot["people"], serde_json::json!([]));
    // Its slot is free: a new stream on the full board is accepted.
    let mut next = SseClient::open(&server.url("/boards/jam/events")).await;
    next.handshake().await;

    // When the stuck client reads again: what was in flight, the goodbye, then the end
    // of the connection (`Connection: close`).
    let mut received = Vec::new();
    loop {
        let mut chunk = [0u8; 64 * 1024];
        let n = tokio::time::timeout(common::TIMEOUT, stuck.read(&mut chunk))
            .await
            .expect("the server ended the connection within the wait")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains("connection: close"), "{}", &text[..200]);
    assert!(
        text.contains(": closed: slow consumer: fell too far behind the stream\n"),
        "no goodbye at the end: {:?}",
        &text[text.len().saturating_sub(200)..]
    );
}

#[tokio::test]
async fn closing_the_streams_for_shutdown_ends_them_with_a_comment() {
    let (server, state) = start(config()).await;
    let mut client = SseClient::open(&server.url("/boards/b/events")).await;
    client.handshake().await;
    state.close_streams();
    let items = client.until_end().await;
    assert_eq!(
        items,
        vec![Item::Comment("closed: server shutting down".into())]
    );
}

#[tokio::test]
async fn the_stream_limits_answer_503_and_a_closed_stream_frees_its_place() {
    let (server, _state) = start(SseConfig {
        max_streams_per_board: 1,
        ..config()
    })
    .await;
    let mut first = SseClient::open(&server.url("/boards/b/events")).await;
    first.handshake().await;
    let (status, body) = get_json(&server, "/boards/b/events").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("too_many_streams"))
    );
    // Another board still has room.
    let mut other = SseClient::open(&server.url("/boards/c/events")).await;
    other.handshake().await;
    drop(first);
    common::eventually("the closed stream's place is free", || async {
        get_json(&server, "/stats").await.1["streams"]["open"] == 1
    })
    .await;
    let mut again = SseClient::open(&server.url("/boards/b/events")).await;
    again.handshake().await;
}

#[tokio::test]
async fn bad_board_names_queries_and_messages_are_json_errors() {
    let (server, _state) = start(config()).await;
    let (status, body) = get_json(&server, "/boards/a%20b/events").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_board_name"))
    );
    let (status, body) = get_json(&server, "/boards/demo/events?name=%zz").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_query"))
    );

    let client = reqwest::Client::new();
    let url = server.url("/boards/demo/messages");
    let post = |body: String, ct: &'static str| {
        client
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let res = post(r#"{"text":"hi"}"#.into(), "text/plain").await.unwrap();
    assert_eq!(res.status(), 415);
    let res = post(
        format!(r#"{{"text":"{}"}}"#, "x".repeat(501)),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "text_too_long");
    let res = post(
        format!(r#"{{"text":"{}"}}"#, "x".repeat(10_000)),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 413);
    let res = post(r#"{"text":"   "}"#.into(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = post(r#"{"txt":"hi"}"#.into(), "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn stats_count_subscribers_streams_and_deliveries() {
    let (server, _state) = start(config()).await;
    let mut client = SseClient::open(&server.url("/boards/b/events")).await;
    client.handshake().await;
    post_message(&server, "b", "hi").await;
    client.expect_event("message").await;
    let (status, stats) = get_json(&server, "/stats").await;
    assert_eq!(status, 200);
    assert_eq!(stats["hub"]["subscribers"], 1);
    assert_eq!(stats["streams"]["open"], 1);
    assert!(stats["hub"]["delivered"].as_u64().unwrap() >= 1);
}
