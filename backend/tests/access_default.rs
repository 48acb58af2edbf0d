//! Boards are private by default: the real `liveboard` binary, started without
//! `--board-access`, gives a board to the signed-in person who first opens it and refuses
//! everyone else — over HTTP (403 JSON), the event stream (403) and the WebSocket
//! (`forbidden`, the connection lives on) — while its owner reads and writes as usual.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use phase_1_foundations::testing;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use tokio::{net::TcpStream, process::Child};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{client::IntoClientRequest, http::HeaderValue, Message},
    MaybeTlsStream, WebSocketStream,
};

/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(20);
/// The origin the binary allows by default (the web app's development address).
const ORIGIN: &str = "http://localhost:3000";

/// A running `liveboard` process, killed when dropped.
struct Liveboard {
    _child: Child,
    addr: String,
}

/// Starts the binary with boards in memory and no `--board-access` flag (nor
/// `LIVEBOARD_BOARD_ACCESS`, which would stand in for it).
async fn start_with_defaults() -> Liveboard {
    assert!(
        std::env::var_os("LIVEBOARD_BOARD_ACCESS").is_none(),
        "unset LIVEBOARD_BOARD_ACCESS: this test is about the default"
    );
    let args = [
        "--bind",
        "127.0.0.1:0",
        "--log",
        "warn",
        "--data-dir",
        ":memory:",
    ];
    let (child, addr) = testing::spawn_binary(env!("CARGO_BIN_EXE_liveboard"), args.iter()).await;
    Liveboard {
        _child: child,
        addr,
    }
}

impl Liveboard {
    /// `GET path` with an optional `Cookie`; the status and the JSON body (`Null` if none).
    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, Value) {
        let mut req = reqwest::Client::new().get(format!("http://{}{path}", self.addr));
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        let res = tokio::time::timeout(WAIT, req.send())
            .await
            .expect("an answer in time")
            .expect("request sent");
        let status = res.status();
        if path.ends_with("/events") {
            return (status, Value::Null); // a stream that never ends: the status is enough
        }
        let text = res.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Signs in as `name`: the `Cookie` header value that carries the session.
    async fn sign_in(&self, name: &str) -> String {
        let res = tokio::time::timeout(
            WAIT,
            reqwest::Client::new()
                .post(format!("http://{}/session", self.addr))
                .json(&json!({"name": name, "color": "#3b82f6"}))
                .send(),
        )
        .await
        .expect("an answer in time")
        .expect("request sent");
        assert_eq!(res.status(), StatusCode::OK, "POST /session");
        let set = res.headers()[header::SET_COOKIE]
            .to_str()
            .expect("an ASCII cookie");
        set.split(';').next().expect("name=value").to_owned()
    }

    /// A `/ws` connection carrying `cookie`, with its `welcome` read.
    async fn ws(&self, cookie: &str) -> Ws {
        let mut req = format!("ws://{}/ws", self.addr)
            .into_client_request()
            .expect("a ws url");
        let headers = req.headers_mut();
        headers.insert("origin", HeaderValue::from_static(ORIGIN));
        headers.insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("liveboard.v1"),
        );
        headers.insert("cookie", HeaderValue::from_str(cookie).expect("a header"));
        let (stream, _) = tokio::time::timeout(WAIT, connect_async(req))
            .await
            .expect("handshake in time")
            .expect("handshake accepted");
        let mut ws = Ws { stream };
        assert_eq!(ws.next_json().await["type"], "welcome");
        ws
    }
}

/// A board protocol connection.
struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    async fn next_json(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a message in time")
                .expect("the connection stays open")
                .expect("a valid frame");
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).expect("JSON from the server");
            }
        }
    }

    /// Sends request `id` and returns the answer with that id (skipping broadcasts).
    async fn call(&mut self, id: &str, kind: &str, payload: Value) -> Value {
        let request = json!({"id": id, "type": kind, "payload": payload});
        self.stream
            .send(Message::text(request.to_string()))
            .await
            .expect("sent");
        loop {
            let answer = self.next_json().await;
            if answer["id"] == id {
                return answer;
            }
        }
    }
}

fn a_note(op: &str) -> Value {
    json!({
        "board": "plans", "opId": op, "noteId": op, "text": "hello", "color": "#fde68a",
        "column": "To do", "order": 1.0, "author": "whoever"
    })
}

#[tokio::test]
async fn without_the_flag_a_board_is_its_first_openers_and_an_outsider_is_refused_everywhere() {
    let server = start_with_defaults().await;

    // Ana signs in and opens the board: it becomes hers, and she writes on it.
    let ana = server.sign_in("Ana").await;
    let mut anas = server.ws(&ana).await;
    let subscribed = anas.call("s", "subscribe", json!({"board": "plans"})).await;
    assert_eq!(subscribed["type"], "ack", "{subscribed}");
    let written = anas.call("w", "note_create", a_note("op-ana")).await;
    assert_eq!(written["type"], "ack", "{written}");
    let (status, access) = server.get("/boards/plans/access", Some(&ana)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(access["mode"], "private", "{access}");
    assert_eq!(access["owner"], true, "{access}");

    // Bo, signed in but without a link, may neither read, follow nor write it.
    let bo = server.sign_in("Bo").await;
    let (status, body) = server.get("/boards/plans", Some(&bo)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    let (status, _) = server.get("/boards/plans/events", Some(&bo)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut bos = server.ws(&bo).await;
    let refused = bos.call("s", "subscribe", json!({"board": "plans"})).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"]["code"], "forbidden", "{refused}");
    let refused = bos.call("w", "note_create", a_note("op-bo")).await;
    assert_eq!(refused["payload"]["code"], "forbidden", "{refused}");
    // The connection lives on: a ping is still answered.
    assert_eq!(bos.call("p", "ping", json!({})).await["type"], "pong");

    // Nobody signed in sees nothing at all.
    let (status, body) = server.get("/boards/plans", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, boards) = server.get("/boards", Some(&bo)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !boards.to_string().contains("plans"),
        "GET /boards lists only boards Bo may read: {boards}"
    );

    // The owner reads her board, with her note, and only hers.
    let (status, snapshot) = server.get("/boards/plans", Some(&ana)).await;
    assert_eq!(status, StatusCode::OK, "{snapshot}");
    let notes = snapshot["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{snapshot}");
    assert_eq!(notes[0]["author"], "Ana", "the session names the author");
    let (status, _) = server.get("/boards/plans/events", Some(&ana)).await;
    assert_eq!(status, StatusCode::OK);
}
