//! Every limit flag takes effect in the real `liveboard` binary: each test starts the
//! binary with a flag and observes its effect over a socket, so a flag that is parsed but
//! ignored (accepted by `--help`, never wired to the code it names) fails here.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use phase_1_foundations::testing;
use serde_json::{json, Value};
use tokio::{
    net::{TcpSocket, TcpStream},
    process::{Child, Command},
};
use tokio_tungstenite::{
    client_async,
    tungstenite::{
        client::IntoClientRequest, http::HeaderValue, protocol::frame::coding::CloseCode, Message,
    },
    MaybeTlsStream, WebSocketStream,
};

/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(20);

/// A running `liveboard` process, killed when dropped.
struct Liveboard {
    _child: Child,
    addr: String,
}

/// Starts the binary on port 0 with boards in memory, every board open (the clients here
/// do not sign in: these tests are about limits, not access), and `args`; reads its
/// address from the first line of stdout, which must be `listening on http://ADDR`.
async fn start(args: &[&str]) -> Liveboard {
    let base = [
        "--bind",
        "127.0.0.1:0",
        "--log",
        "warn",
        "--data-dir",
        ":memory:",
        "--board-access",
        "open",
    ];
    let (child, addr) =
        testing::spawn_binary(env!("CARGO_BIN_EXE_liveboard"), base.iter().chain(args)).await;
    Liveboard {
        _child: child,
        addr,
    }
}

type Ws<S> = WebSocketStream<S>;

/// A WebSocket handshake on `stream` to `path`, speaking `liveboard.v1` on `/ws`.
async fn handshake<S>(stream: S, addr: &str, path: &str) -> Ws<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    handshake_with(stream, addr, path, &[]).await
}

/// [`handshake`], with `headers` added to the request.
async fn handshake_with<S>(
    stream: S,
    addr: &str,
    path: &str,
    headers: &[(&'static str, &str)],
) -> Ws<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut req = format!("ws://{addr}{path}")
        .into_client_request()
        .expect("a ws url");
    req.headers_mut()
        .insert("origin", HeaderValue::from_static("http://localhost:3000"));
    for (name, value) in headers {
        req.headers_mut()
            .insert(*name, HeaderValue::from_str(value).expect("a header value"));
    }
    if path == "/ws" {
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("liveboard.v1"),
        );
    }
    let (ws, _) = tokio::time::timeout(WAIT, client_async(req, stream))
        .await
        .expect("handshake in time")
        .expect("handshake accepted");
    ws
}

/// The next message, failing after [`WAIT`].
async fn next<S>(ws: &mut Ws<S>) -> Message
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a message in time")
        .expect("the connection is open")
        .expect("a valid frame")
}

/// Sends one 4 MiB binary message to `/ws/echo`; returns what came back.
async fn echo_four_mib(server: &Liveboard) -> Message {
    let stream = TcpStream::connect(&server.addr).await.expect("connect");
    let mut ws = handshake(stream, &server.addr, "/ws/echo").await;
    ws.send(Message::binary(vec![7u8; 4 * 1024 * 1024]))
        .await
        .expect("send 4 MiB");
    next(&mut ws).await
}

#[tokio::test]
async fn ws_echo_conformance_lets_the_echo_route_take_a_4_mib_message_it_refuses_with_1009_otherwise(
) {
    let strict = start(&[]).await;
    match echo_four_mib(&strict).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Size, "{frame:?}"),
        other => panic!("expected a Close 1009 without the flag, got {other:?}"),
    }

    let conformance = start(&["--ws-echo-conformance"]).await;
    match echo_four_mib(&conformance).await {
        Message::Binary(data) => assert_eq!(data.len(), 4 * 1024 * 1024),
        other => panic!("expected the 4 MiB echo with the flag, got {other:?}"),
    }
}

/// Characters of each published message: 50 000 ASCII bytes.
const TEXT_CHARS: usize = 50_000;

/// Posts one large message to board `slow`; returns how many subscribers got it.
async fn publish(http: &reqwest::Client, server: &Liveboard) -> u64 {
    let res = tokio::time::timeout(
        WAIT,
        http.post(format!("http://{}/boards/slow/messages", server.addr))
            .json(&json!({ "text": "x".repeat(TEXT_CHARS) }))
            .send(),
    )
    .await
    .expect("an answer in time")
    .expect("request sent");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("a JSON answer");
    body["delivered"].as_u64().expect("a delivered count")
}

/// A `/ws` client on a socket with a 4 KiB receive buffer, subscribed to board `slow`
/// (its `ready` read), that then reads nothing until the test says so.
async fn non_reading_subscriber(server: &Liveboard) -> Ws<MaybeTlsStream<TcpStream>> {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let addr = server.addr.parse().expect("a socket address");
    let stream = socket.connect(addr).await.expect("connect");
    let mut ws = handshake(MaybeTlsStream::Plain(stream), &server.addr, "/ws").await;
    let subscribe = json!({"type": "subscribe", "id": "1", "payload": {"board": "slow"}});
    ws.send(Message::text(subscribe.to_string()))
        .await
        .expect("send subscribe");
    loop {
        if let Message::Text(text) = next(&mut ws).await {
            let v: Value = serde_json::from_str(text.as_str()).expect("JSON");
            if v["type"] == "ready" {
                return ws;
            }
        }
    }
}

#[tokio::test]
async fn ws_queue_bytes_is_each_websocket_subscriptions_budget_a_tiny_one_cuts_with_1013() {
    let chars = TEXT_CHARS.to_string();
    // SSE streams keep the default 1 MiB budget: only the WebSocket budget is tiny.
    let tiny = start(&[
        "--ws-queue-bytes",
        "16384",
        "--sse-max-message-chars",
        &chars,
    ])
    .await;
    let http = reqwest::Client::new();
    let mut slow = non_reading_subscriber(&tiny).await;
    // Publish until the hub stops delivering to the subscriber: once the kernel's
    // buffers are full, its queue fills past 16 KiB and it is cut.
    let mut published = 0;
    loop {
        published += 1;
        assert!(published <= 2_000, "never cut: --ws-queue-bytes is ignored");
        if publish(&http, &tiny).await == 0 {
            break;
        }
    }
    let close = loop {
        if let Message::Close(frame) = next(&mut slow).await {
            break frame.expect("a close code");
        }
    };
    assert_eq!(close.code, CloseCode::Again, "{close:?}");

    // The same load, twice over, against a 64 MiB budget: delivered every time, and the
    // subscriber, reading at last, gets every message and no Close.
    let large = start(&[
        "--ws-queue-bytes",
        "67108864",
        "--sse-max-message-chars",
        &chars,
    ])
    .await;
    let mut patient = non_reading_subscriber(&large).await;
    let rounds = 2 * published;
    for _ in 0..rounds {
        assert_eq!(
            publish(&http, &large).await,
            1,
            "cut despite a 64 MiB budget"
        );
    }
    let mut received = 0;
    while received < rounds {
        match next(&mut patient).await {
            Message::Text(text) => {
                let v: Value = serde_json::from_str(text.as_str()).expect("JSON");
                if v["type"] == "message" {
                    received += 1;
                }
            }
            Message::Close(frame) => panic!("cut despite a 64 MiB budget: {frame:?}"),
            _ => {}
        }
    }
}

/// Sends `note_create`s on a `/ws` connection until one is refused (at most `most`);
/// returns how many were acked before, and the refusal's payload.
async fn creates_until_refused<S>(ws: &mut Ws<S>, prefix: &str, most: usize) -> (usize, Value)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    for i in 0..most {
        let id = format!("{prefix}{i}");
        let payload = json!({"board": "demo", "opId": id, "noteId": id, "text": "n",
            "color": "#fde68a", "column": "Todo", "order": 0.0, "author": prefix});
        let envelope = json!({"type": "note_create", "id": id, "payload": payload});
        ws.send(Message::text(envelope.to_string()))
            .await
            .expect("send");
        let answer = loop {
            let Message::Text(text) = next(ws).await else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).expect("JSON");
            if v["id"] == id.as_str() {
                break v;
            }
        };
        if answer["type"] == "error" {
            return (i, answer["payload"].clone());
        }
        assert_eq!(answer["type"], "ack", "{answer}");
    }
    panic!("{most} creates went through: no limit was hit");
}

#[tokio::test]
async fn trusted_proxies_give_each_forwarded_client_its_own_per_address_budget() {
    let server = start(&[
        "--trusted-proxies",
        "127.0.0.1",
        "--board-rate-per-ip",
        "1",
        "--board-rate-per-ip-burst",
        "3",
        "--board-rate-per-person",
        "0",
    ])
    .await;
    let mut acked_by = Vec::new();
    for (client, who) in [("203.0.113.7", "ana"), ("198.51.100.9", "bo")] {
        let stream = TcpStream::connect(&server.addr).await.expect("connect");
        let headers = [("x-forwarded-for", client)];
        let mut ws = handshake_with(stream, &server.addr, "/ws", &headers).await;
        assert_eq!(
            serde_json::from_str::<Value>(next(&mut ws).await.to_text().expect("text"))
                .expect("JSON")["type"],
            "welcome"
        );
        let (acked, refusal) = creates_until_refused(&mut ws, who, 50).await;
        assert_eq!(refusal["code"], "rate_limited", "{refusal}");
        acked_by.push(acked);
    }
    // Both from 127.0.0.1: one shared budget would leave the second with (almost) none.
    assert!(
        acked_by.iter().all(|&n| n >= 3),
        "acked per client: {acked_by:?}"
    );
}

#[tokio::test]
async fn a_previous_session_key_that_cannot_be_read_stops_the_server_at_start_saying_which() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let missing = dir.path().join("old.key");
    let output = tokio::time::timeout(
        WAIT,
        Command::new(env!("CARGO_BIN_EXE_liveboard"))
            .args(["--bind", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .arg("--session-secret-previous-files")
            .arg(&missing)
            .output(),
    )
    .await
    .expect("it exits in time")
    .expect("it runs");
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("previous session key") && stderr.contains("old.key"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "it never listened: {output:?}");
}

#[tokio::test]
async fn routes_prints_which_phase_serves_which_route_and_exits_0() {
    let output = tokio::time::timeout(
        WAIT,
        Command::new(env!("CARGO_BIN_EXE_liveboard"))
            .args(["--routes", "--data-dir", ":memory:"])
            .output(),
    )
    .await
    .expect("it exits in time")
    .expect("it runs");
    assert!(output.status.success(), "{output:?}");
    let table = String::from_utf8(output.stdout).expect("UTF-8");
    let row = |path: &str| {
        table
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(path))
            .unwrap_or_else(|| panic!("no row for {path} in\n{table}"))
            .to_owned()
    };
    assert!(table.starts_with("method"), "{table}");
    assert!(row("/health").ends_with("1 Foundations"), "{table}");
    assert!(row("/boards/:board/events").ends_with("2 Server-Sent Events"));
    assert!(row("/ws").ends_with("3 WebSocket"));
    assert!(row("/boards").ends_with("4 The board"));
    assert!(row("/boards/:board/poll").ends_with("8 Protocol lab"));
}

/// `GET path` on `server`: the status and the JSON body.
async fn get_json(server: &Liveboard, path: &str) -> (u16, Value) {
    let res = tokio::time::timeout(WAIT, reqwest::get(format!("http://{}{path}", server.addr)))
        .await
        .expect("an answer in time")
        .expect("request sent");
    let status = res.status().as_u16();
    (status, res.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn the_poll_flags_cut_pages_and_waits_and_cap_held_requests() {
    let small = start(&["--poll-max-events", "2", "--poll-max-wait-ms", "1"]).await;
    let http = reqwest::Client::new();
    for text in ["one", "two", "three"] {
        let res = http
            .post(format!("http://{}/boards/b/messages", small.addr))
            .json(&json!({ "text": text }))
            .send()
            .await
            .expect("posted");
        assert_eq!(res.status(), 200);
    }
    let (status, page) = get_json(&small, "/boards/b/poll?after=0").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["events"].as_array().map(Vec::len), Some(2), "{page}");
    assert_eq!(page["more"], true);
    // A ten-minute wait is cut to 1 ms: answered, nothing new, long before WAIT.
    let (status, caught_up) = get_json(&small, "/boards/b/poll?after=3&wait_ms=600000").await;
    assert_eq!(status, 200, "{caught_up}");
    assert_eq!(caught_up["events"], json!([]));

    let none_held = start(&["--poll-max-held", "0"]).await;
    let (status, refused) = get_json(&none_held, "/boards/b/poll?wait_ms=1000").await;
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["error"]["code"], "too_many_held_polls");
}

#[tokio::test]
async fn the_webhook_flags_allow_local_targets_cap_hooks_and_give_up_after_the_attempts() {
    let http = reqwest::Client::new();
    let register = |server: &Liveboard| {
        http.post(format!("http://{}/boards/b/webhooks", server.addr))
            // Port 9 (discard) on loopback: nothing listens, every attempt fails.
            .json(&json!({ "url": "http://127.0.0.1:9/hook", "events": ["*"] }))
            .send()
    };
    let strict = start(&[]).await;
    let res = register(&strict).await.expect("sent");
    assert_eq!(res.status(), 400);
    let refused: Value = res.json().await.expect("a JSON body");
    assert_eq!(refused["error"]["code"], "private_address");

    let local = start(&[
        "--webhook-allow-private-targets",
        "--webhook-max-attempts",
        "1",
        "--webhook-max-per-board",
        "1",
    ])
    .await;
    assert_eq!(register(&local).await.expect("sent").status(), 201);
    let res = register(&local).await.expect("sent");
    assert_eq!(res.status(), 409, "--webhook-max-per-board 1");
    let res = http
        .post(format!("http://{}/boards/b/messages", local.addr))
        .json(&json!({ "text": "to nobody" }))
        .send()
        .await
        .expect("posted");
    assert_eq!(res.status(), 200);
    // One failed attempt is all --webhook-max-attempts 1 allows: the hook is disabled.
    let listed = tokio::time::timeout(WAIT, async {
        loop {
            let (_, listed) = get_json(&local, "/boards/b/webhooks").await;
            if listed["webhooks"][0]["status"] == "disabled" {
                return listed;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the hook is disabled in time");
    let reason = listed["webhooks"][0]["disabledReason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.starts_with("1 of 1 attempts failed"), "{reason}");
}

#[tokio::test]
async fn lab_receiver_serves_the_lab_receiver_and_lets_a_hook_target_only_its_own_url() {
    let http = reqwest::Client::new();
    let make = |server: &Liveboard| {
        http.post(format!("http://{}/lab/receivers", server.addr))
            .send()
    };
    let without = start(&[]).await;
    assert_eq!(make(&without).await.expect("sent").status(), 404);

    let with = start(&["--lab-receiver"]).await;
    let res = make(&with).await.expect("sent");
    assert_eq!(res.status(), 201);
    let receiver: Value = res.json().await.expect("a JSON body");
    let url = receiver["url"].as_str().expect("its URL");
    assert_eq!(
        url,
        format!(
            "http://{}/lab/receivers/{}",
            with.addr,
            receiver["id"].as_str().unwrap()
        )
    );
    let register = |url: String| {
        http.post(format!("http://{}/boards/b/webhooks", with.addr))
            .json(&json!({ "url": url, "events": ["*"] }))
            .send()
    };
    assert_eq!(register(url.to_owned()).await.expect("sent").status(), 201);
    // Loopback in general stays closed.
    let other = register(format!("http://{}/boards/b/messages", with.addr))
        .await
        .expect("sent");
    assert_eq!(other.status(), 400);
}
