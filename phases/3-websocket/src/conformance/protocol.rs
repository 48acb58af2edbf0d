//! The board protocol on a transport's board endpoint (`/ws` in phase 3), over real
//! sockets: requests and their answers, broadcasts between clients, and bad messages that
//! get an `error` while the connection lives on.

use serde_json::{json, Value};

use super::{quick_config, RawClient, Target};
use crate::{Frame, WsConfig};

/// A connection to the board endpoint with its `welcome` already read.
async fn join(target: &Target) -> RawClient {
    let mut client = target.connect_board().await;
    let welcome = client.recv_json().await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    client
}

/// Subscribes and reads the ack, `ready` and `presence.list`; returns `ready`'s payload.
async fn subscribe(client: &mut RawClient, id: &str, payload: Value) -> Value {
    client
        .send_json(json!({"type": "subscribe", "id": id, "payload": payload}))
        .await;
    let ack = client.recv_json().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["id"], id);
    let mut ready = client.recv_json().await;
    while ready["type"] == "message" {
        ready = client.recv_json().await; // a replay comes before `ready`
    }
    assert!(
        ready["type"] == "ready" || ready["type"] == "reset",
        "{ready}"
    );
    let list = client.recv_json().await;
    assert_eq!(list["type"], "presence.list", "{list}");
    ready["payload"].clone()
}

/// The server speaks first: who you are and how much you may send.
pub async fn the_first_message_is_a_welcome_with_the_connection_id_and_limits(target: &Target) {
    let mut client = target.connect_board().await;
    let welcome = client.recv_json().await;
    assert_eq!(welcome["type"], "welcome");
    assert!(
        welcome["payload"]["connectionId"]
            .as_u64()
            .expect("a numeric connectionId")
            >= 1
    );
    assert_eq!(welcome["payload"]["maxMessageBytes"], 4 * 1024 * 1024);
}

/// A publish is acknowledged to its sender and broadcast to every subscriber, the sender included.
pub async fn a_message_published_by_one_client_reaches_another_and_the_ack_carries_the_request_id(
    target: &Target,
) {
    let mut ana = join(target).await;
    let mut bo = join(target).await;
    let ready = subscribe(&mut ana, "a1", json!({"board": "demo"})).await;
    assert_eq!(ready["board"], "demo");
    assert_eq!(ready["recovered"], false);
    subscribe(&mut bo, "b1", json!({"board": "demo"})).await;

    ana.send_json(json!({"type": "publish", "id": "p-42", "payload": {"board": "demo", "text": "hello", "name": "Ana"}}))
        .await;
    let ack = ana.recv_json().await;
    assert_eq!(ack["type"], "ack");
    assert_eq!(ack["id"], "p-42");
    assert_eq!(ack["payload"]["request"], "publish");
    let position = ack["payload"]["position"]
        .as_str()
        .expect("an ack with a position")
        .to_owned();

    for client in [&mut bo, &mut ana] {
        let msg = client.recv_json().await;
        assert_eq!(msg["type"], "message", "{msg}");
        assert!(msg.get("id").is_none(), "broadcasts carry no request id");
        assert_eq!(msg["payload"]["board"], "demo");
        assert_eq!(msg["payload"]["text"], "hello");
        assert_eq!(msg["payload"]["name"], "Ana");
        assert_eq!(msg["payload"]["position"], position.as_str());
    }
}

/// A `since` position replays exactly the messages after it, then says how many.
pub async fn a_subscriber_resuming_from_a_position_gets_exactly_what_it_missed(target: &Target) {
    let mut publisher = join(target).await;
    let mut positions = Vec::new();
    for i in 0..3 {
        publisher
            .send_json(json!({"type": "publish", "id": i.to_string(), "payload": {"board": "r", "text": format!("m{i}")}}))
            .await;
        let ack = publisher.recv_json().await;
        positions.push(
            ack["payload"]["position"]
                .as_str()
                .expect("an ack with a position")
                .to_owned(),
        );
    }
    let mut late = join(target).await;
    late.send_json(
        json!({"type": "subscribe", "id": "s", "payload": {"board": "r", "since": positions[0]}}),
    )
    .await;
    assert_eq!(late.recv_json().await["type"], "ack");
    for (i, position) in positions.iter().enumerate().skip(1) {
        let msg = late.recv_json().await;
        assert_eq!(msg["payload"]["text"], format!("m{i}"));
        assert_eq!(msg["payload"]["position"], position.as_str());
    }
    let ready = late.recv_json().await;
    assert_eq!(ready["type"], "ready");
    assert_eq!(ready["payload"]["recovered"], true);
    assert_eq!(ready["payload"]["replayed"], 2);
}

/// Every malformed or refused request gets a typed `error` with its request id; the connection lives on.
pub async fn bad_messages_get_error_events_and_the_connection_keeps_working(target: &Target) {
    let mut client = join(target).await;
    let cases = [
        ("{not json", "malformed_json", None),
        (r#"{"id":"u1","type":"dance"}"#, "unknown_type", Some("u1")),
        (
            r#"{"id":"v1","type":"publish","payload":{"board":"demo"}}"#,
            "invalid_payload",
            Some("v1"),
        ),
        (
            r#"{"id":"v2","type":"publish","payload":{"board":"../etc","text":"x"}}"#,
            "bad_board_name",
            Some("v2"),
        ),
        (
            r#"{"id":"v3","type":"publish","payload":{"board":"demo","text":"  "}}"#,
            "empty_text",
            Some("v3"),
        ),
        (
            r#"{"id":"v4","type":"unsubscribe","payload":{"board":"demo"}}"#,
            "not_subscribed",
            Some("v4"),
        ),
        (
            r#"{"id":"v5","type":"subscribe","payload":{"board":"demo","since":"nope"}}"#,
            "bad_position",
            Some("v5"),
        ),
        (r#"["type","ping"]"#, "invalid_envelope", None),
    ];
    for (text, code, id) in cases {
        client.send(Frame::text(text)).await;
        let err = client.recv_json().await;
        assert_eq!(err["type"], "error", "{text} → {err}");
        assert_eq!(err["payload"]["code"], code, "{text} → {err}");
        assert!(!err["payload"]["message"]
            .as_str()
            .expect("an error with a message")
            .is_empty());
        assert_eq!(err.get("id").and_then(Value::as_str), id, "{text}");
    }
    // Binary is valid WebSocket but not this protocol: an error, not a close.
    client.send(Frame::binary(vec![1u8, 2, 3])).await;
    let err = client.recv_json().await;
    assert_eq!(err["payload"]["code"], "unsupported_binary");
    // Still alive: an application ping is answered.
    client
        .send_json(json!({"type": "ping", "id": "alive?"}))
        .await;
    let pong = client.recv_json().await;
    assert_eq!(
        (pong["type"].as_str(), pong["id"].as_str()),
        (Some("pong"), Some("alive?"))
    );
    assert_eq!(target.state.stats().protocol_errors, 0);
}

/// A second subscribe to the same board is refused; after unsubscribing, no more events arrive.
pub async fn subscribing_twice_is_an_error_and_unsubscribing_stops_the_events(target: &Target) {
    let mut client = join(target).await;
    subscribe(&mut client, "1", json!({"board": "b"})).await;
    client
        .send_json(json!({"type": "subscribe", "id": "2", "payload": {"board": "b"}}))
        .await;
    assert_eq!(
        client.recv_json().await["payload"]["code"],
        "already_subscribed"
    );
    client
        .send_json(json!({"type": "unsubscribe", "id": "3", "payload": {"board": "b"}}))
        .await;
    let ack = client.recv_json().await;
    assert_eq!(
        (ack["type"].as_str(), ack["id"].as_str()),
        (Some("ack"), Some("3"))
    );
    client
        .send_json(json!({"type": "publish", "id": "4", "payload": {"board": "b", "text": "x"}}))
        .await;
    assert_eq!(client.recv_json().await["type"], "ack");
    // The next frame is the pong, not the message we are no longer subscribed to.
    client.send_json(json!({"type": "ping", "id": "5"})).await;
    assert_eq!(client.recv_json().await["type"], "pong");
}

/// `presence.join`, `presence.list` and `presence.leave` reach everyone on the board.
pub async fn presence_is_shared_by_everyone_on_the_board(target: &Target) {
    let mut ana = join(target).await;
    subscribe(
        &mut ana,
        "1",
        json!({"board": "p", "person": {"clientId": "ana", "name": "Ana", "color": "#AA0000"}}),
    )
    .await;
    let join_event = ana.recv_json().await;
    assert_eq!(join_event["type"], "presence.join");
    assert_eq!(join_event["payload"]["clientId"], "ana");
    let mut bo = join(target).await;
    bo.send_json(json!({"type": "subscribe", "id": "x", "payload": {"board": "p"}}))
        .await;
    assert_eq!(bo.recv_json().await["type"], "ack");
    assert_eq!(bo.recv_json().await["type"], "ready");
    let list = bo.recv_json().await;
    assert_eq!(list["payload"]["people"][0]["name"], "Ana");
    drop(ana); // TCP goes away without a close: ana leaves
    let leave = bo.recv_json().await;
    assert_eq!(leave["type"], "presence.leave");
    assert_eq!(leave["payload"]["clientId"], "ana");
}

/// A limit's refusal has a message for people and a `detail` naming the setting for developers.
pub async fn a_refused_limit_tells_the_person_the_numbers_and_the_developer_the_setting(
    target: &Target,
) {
    let target = target
        .with_config(WsConfig {
            max_text_chars: 2_000,
            max_boards_per_connection: 1,
            ..quick_config()
        })
        .await;
    let mut client = join(&target).await;
    client
        .send_json(json!({"type": "publish", "id": "long",
            "payload": {"board": "demo", "text": "x".repeat(10_000)}}))
        .await;
    let err = client.recv_json().await;
    assert_eq!(err["payload"]["code"], "text_too_long", "{err}");
    assert_eq!(
        err["payload"]["message"],
        "This message is too long: 10,000 characters, at most 2,000."
    );
    assert_eq!(
        err["payload"]["detail"],
        "text is 10000 characters; LIVEBOARD_WS_MAX_TEXT_CHARS is 2000"
    );
    subscribe(&mut client, "1", json!({"board": "one"})).await;
    client
        .send_json(json!({"type": "subscribe", "id": "2", "payload": {"board": "two"}}))
        .await;
    let err = client.recv_json().await;
    assert_eq!(err["payload"]["code"], "too_many_boards", "{err}");
    let message = err["payload"]["message"]
        .as_str()
        .expect("an error with a message");
    assert!(!message.contains("LIVEBOARD_"), "{message}");
    assert!(
        err["payload"]["detail"]
            .as_str()
            .expect("an error with a detail")
            .contains("LIVEBOARD_WS_MAX_BOARDS_PER_CONNECTION is 1"),
        "{err}"
    );
    // An error without more to say has no detail at all.
    client
        .send_json(json!({"type": "unsubscribe", "id": "3", "payload": {"board": "two"}}))
        .await;
    let err = client.recv_json().await;
    assert_eq!(err["payload"]["code"], "not_subscribed", "{err}");
    assert!(err["payload"].get("detail").is_none(), "{err}");
}
