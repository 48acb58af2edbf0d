//! Shared by the integration tests: the phase-4 server on 127.0.0.1:0 (modules 1–4,
//! composed and stopped exactly as `main.rs` does), a WebSocket client built on tokio-tungstenite, an SSE client
//! built on reqwest and phase 2's spec parser. Every wait has a timeout ([`WAIT`]).

#![allow(dead_code)] // each test file uses a different part

use std::{collections::VecDeque, path::Path, pin::Pin, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::{SinkExt, Stream, StreamExt};
use phase_1_foundations::{
    config::ServerConfig,
    testing::{self, spawn_app, TestServer},
    Composition,
};
use phase_2_sse::{
    parser::{Item, ParsedEvent, SseParser},
    Sse, SseConfig, SseState,
};
use phase_3_websocket::{WebSocket, WsConfig, WsState};
use phase_4_board::{access::AccessMode, Board, BoardConfig, BoardState};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, http::HeaderValue, Message},
    MaybeTlsStream, WebSocketStream,
};

/// The longest any single wait may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// `config` with `--board-access open`: for the tests that are not about access, whose
/// clients do not sign in (boards are private by default: they would be refused).
pub fn open_access(config: BoardConfig) -> BoardConfig {
    BoardConfig {
        access: AccessMode::Open,
        ..config
    }
}

/// The phase-4 server and its state.
pub struct Server {
    pub http: TestServer,
    pub board: Arc<BoardState>,
    pub ws: Arc<WsState>,
    pub sse: Arc<SseState>,
}

impl Server {
    /// Starts a server with `config` (its data dir, its limits).
    pub async fn start(config: BoardConfig) -> Self {
        Self::start_with_history(config, SseConfig::default().history).await
    }

    /// Starts a server whose hub keeps only `history` events per board in memory, so
    /// resumes from further back are served by the log.
    pub async fn start_with_history(config: BoardConfig, history: usize) -> Self {
        Self::start_composed(testing::server_config(), config, history).await
    }

    /// Starts a server that believes `X-Forwarded-For` from `proxies` (phase 1's
    /// `--trusted-proxies`; the tests connect from 127.0.0.1).
    pub async fn start_trusting(config: BoardConfig, proxies: &[&str]) -> Self {
        let server = ServerConfig {
            trusted_proxies: proxies
                .iter()
                .map(|p| p.parse().expect("an address or network"))
                .collect(),
            ..testing::server_config()
        };
        Self::start_composed(server, config, SseConfig::default().history).await
    }

    async fn start_composed(server: ServerConfig, config: BoardConfig, history: usize) -> Self {
        let sse_config = SseConfig {
            keepalive_ms: 60_000,
            history,
            ..SseConfig::default()
        };
        let ws_config = WsConfig {
            close_timeout_ms: 1_000,
            ..WsConfig::default()
        };
        let composition = Composition::new(server)
            .module(Sse::new(sse_config))
            .module(WebSocket::new(ws_config))
            .module(Board::new(config));
        let http = spawn_app(composition).await;
        let services = http.services().clone();
        Self {
            board: services
                .require::<Arc<BoardState>>()
                .expect("phase 4 stores its state")
                .clone(),
            ws: services
                .require::<Arc<WsState>>()
                .expect("phase 3 stores its state")
                .clone(),
            sse: services
                .require::<Arc<SseState>>()
                .expect("phase 2 stores its state")
                .clone(),
            http,
        }
    }

    /// A server keeping its boards in `dir`, every board open to everyone (see
    /// [`open_access`]).
    pub async fn in_dir(dir: &Path) -> Self {
        Self::start(open_access(BoardConfig::in_dir(dir))).await
    }

    /// Stops it as `main` does (the same modules' hooks): streams and sockets closed,
    /// the HTTP drain, the closing handshakes, the writer drained.
    pub async fn stop(self) {
        self.http.shutdown().await.expect("server stops");
    }

    pub fn url(&self, path: &str) -> String {
        self.http.url(path)
    }

    /// A `/ws` client with its `welcome` read.
    pub async fn client(&self) -> Client {
        Client::connect(&format!("ws://{}/ws", self.http.addr)).await
    }

    /// A `/ws` client whose handshake says, as a proxy would, that it forwards `client`.
    pub async fn client_forwarded_for(&self, client: &str) -> Client {
        let url = format!("ws://{}/ws", self.http.addr);
        Client::connect_with_headers(&url, &[("x-forwarded-for", client)]).await
    }

    /// `GET path` as JSON, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let res = tokio::time::timeout(WAIT, reqwest::get(self.url(path)))
            .await
            .expect("an answer in time")
            .expect("request sent");
        assert_eq!(res.status().as_u16(), status, "GET {path}");
        res.json().await.expect("a JSON body")
    }
}

/// A board protocol client: sends envelopes, reads every message into a buffer so that
/// acks and broadcasts (which may arrive in either order) can be picked out separately.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    inbox: VecDeque<Value>,
    next_id: u64,
}

impl Client {
    pub async fn connect(url: &str) -> Self {
        Self::connect_with_cookie(url, None).await
    }

    /// A client whose handshake carries `cookie` (`lb_session=...`: a signed session).
    pub async fn connect_with_cookie(url: &str, cookie: Option<&str>) -> Self {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        Self::connect_with_headers(url, &headers).await
    }

    /// A client whose handshake carries `headers` too.
    pub async fn connect_with_headers(url: &str, headers: &[(&'static str, &str)]) -> Self {
        let mut req = url.into_client_request().expect("a ws url");
        for (name, value) in headers {
            req.headers_mut()
                .insert(*name, HeaderValue::from_str(value).expect("a header value"));
        }
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("liveboard.v1"),
        );
        req.headers_mut()
            .insert("origin", HeaderValue::from_static("http://localhost:3000"));
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .expect("handshake in time")
            .expect("handshake accepted");
        let mut client = Self {
            ws,
            inbox: VecDeque::new(),
            next_id: 0,
        };
        let welcome = client.next().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        client
    }

    /// Sends one envelope as it is.
    pub async fn send(&mut self, envelope: Value) {
        self.ws
            .send(Message::text(envelope.to_string()))
            .await
            .expect("send");
    }

    /// Sends `{type, id, payload}` with a fresh id; returns the id.
    pub async fn request(&mut self, kind: &str, payload: Value) -> String {
        self.next_id += 1;
        let id = format!("r{}", self.next_id);
        self.send(json!({"type": kind, "id": id, "payload": payload}))
            .await;
        id
    }

    /// Reads one more message from the socket (not from the buffer).
    async fn read(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message in time")
                .expect("connection open")
                .expect("a valid frame");
            match msg {
                Message::Text(text) => {
                    return serde_json::from_str(text.as_str()).expect("JSON from the server")
                }
                Message::Close(frame) => panic!("server closed the connection: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next message, in arrival order.
    pub async fn next(&mut self) -> Value {
        match self.inbox.pop_front() {
            Some(v) => v,
            None => self.read().await,
        }
    }

    /// The first message (buffered or new) for which `pred` holds; others stay buffered.
    pub async fn take(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.inbox.iter().position(&pred) {
            return self.inbox.remove(i).expect("index in range");
        }
        loop {
            let v = self.read().await;
            if pred(&v) {
                return v;
            }
            self.inbox.push_back(v);
        }
    }

    /// The answer (ack, error, snapshot...) to request `id`.
    pub async fn answer(&mut self, id: &str) -> Value {
        self.take(|v| v["id"] == id).await
    }

    /// The next broadcast of type `kind`.
    pub async fn event(&mut self, kind: &str) -> Value {
        self.take(|v| v["type"] == kind && v.get("id").is_none())
            .await
    }

    /// The next `note.*` broadcast, whatever its kind.
    pub async fn note_event(&mut self) -> Value {
        self.take(|v| {
            v["type"].as_str().is_some_and(|t| t.starts_with("note.")) && v.get("id").is_none()
        })
        .await
    }

    /// Sends a request and returns its answer.
    pub async fn call(&mut self, kind: &str, payload: Value) -> Value {
        let id = self.request(kind, payload).await;
        self.answer(&id).await
    }

    /// Subscribes to `board` (from `since`, if given); returns the `ready` or `reset`,
    /// leaving any replayed events in the buffer, in order.
    pub async fn subscribe(&mut self, board: &str, since: Option<&str>) -> Value {
        let mut payload = json!({"board": board});
        if let Some(since) = since {
            payload["since"] = json!(since);
        }
        let ack = self.call("subscribe", payload).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        self.take(|v| v["type"] == "ready" || v["type"] == "reset")
            .await
    }

    /// The next raw WebSocket message (a Close included); `None` once the stream ends.
    pub async fn raw_next(&mut self) -> Option<Message> {
        self.ws.next().await.and_then(Result::ok)
    }

    /// Messages already received and not yet taken.
    pub fn buffered(&self) -> &VecDeque<Value> {
        &self.inbox
    }

    /// Closes the connection (normal closure) without waiting for the echo.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// A `note_create` payload.
pub fn create(board: &str, op: &str, note: &str, column: &str, order: f64) -> Value {
    json!({"board": board, "opId": op, "noteId": note, "text": format!("note {note}"),
           "color": "#fde68a", "column": column, "order": order, "author": "Ana"})
}

/// Asserts `answer` is an ack and returns its payload.
pub fn ack(answer: &Value) -> &Value {
    assert_eq!(answer["type"], "ack", "expected an ack, got {answer}");
    &answer["payload"]
}

/// Asserts `answer` is an error with `code` and returns its payload.
pub fn rejected<'a>(answer: &'a Value, code: &str) -> &'a Value {
    assert_eq!(answer["type"], "error", "expected an error, got {answer}");
    assert_eq!(answer["payload"]["code"], code, "{answer}");
    &answer["payload"]
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// An open event stream (the notification feed), parsed as `EventSource` would.
pub struct Feed {
    body: ByteStream,
    parser: SseParser,
    pending: VecDeque<Item>,
}

impl Feed {
    /// Opens `GET url`, optionally with a `Last-Event-ID`.
    pub async fn open(url: &str, last_event_id: Option<&str>) -> Self {
        let mut req = reqwest::Client::new().get(url);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let res = tokio::time::timeout(WAIT, req.send())
            .await
            .expect("headers in time")
            .expect("request sent");
        assert_eq!(res.status(), 200);
        Self {
            body: Box::pin(res.bytes_stream()),
            parser: SseParser::new(),
            pending: VecDeque::new(),
        }
    }

    /// The next event, skipping comments and retry hints.
    pub async fn next_event(&mut self) -> ParsedEvent {
        loop {
            if let Some(item) = self.pending.pop_front() {
                if let Item::Event(e) = item {
                    return e;
                }
                continue;
            }
            let chunk = tokio::time::timeout(WAIT, self.body.next())
                .await
                .expect("an SSE event in time")
                .expect("stream open")
                .expect("stream readable");
            self.pending.extend(self.parser.feed(&chunk));
        }
    }
}
