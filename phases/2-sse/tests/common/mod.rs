//! Shared by the integration tests: the phase-2 server on 127.0.0.1:0 (modules 1 and 2,
//! composed and stopped exactly as `main.rs` does), and an SSE client built from reqwest
//! (reading the body as it arrives) and our spec parser.
#![allow(dead_code)] // each test file uses a different part

use std::{collections::VecDeque, pin::Pin, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use phase_1_foundations::{
    testing::{self, spawn_app, TestServer},
    Composition, ServerConfig,
};
use phase_2_sse::{
    parser::{Item, ParsedEvent, SseParser},
    Sse, SseConfig, SseState,
};

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A running phase-2 server and its state (to publish or inspect directly).
pub async fn start(config: SseConfig) -> (TestServer, Arc<SseState>) {
    start_with(testing::server_config(), config).await
}

/// The same, with explicit server settings.
pub async fn start_with(server: ServerConfig, config: SseConfig) -> (TestServer, Arc<SseState>) {
    let server = spawn_app(Composition::new(server).module(Sse::new(config))).await;
    let state = server
        .services()
        .require::<Arc<SseState>>()
        .expect("phase 2 stores its state")
        .clone();
    (server, state)
}

/// Test defaults: a long keep-alive (so it never interleaves unless a test wants it).
pub fn config() -> SseConfig {
    SseConfig {
        keepalive_ms: 60_000,
        retry_ms: 1_500,
        ..SseConfig::default()
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// One open event stream, read incrementally.
pub struct SseClient {
    pub response_headers: reqwest::header::HeaderMap,
    body: ByteStream,
    parser: SseParser,
    pending: VecDeque<Item>,
}

impl SseClient {
    /// Opens `url` and checks the answer is a `200` event stream.
    pub async fn open(url: &str) -> Self {
        Self::open_with(reqwest::Client::new().get(url)).await
    }

    /// Opens a prepared request (e.g. with a `Last-Event-ID` header).
    pub async fn open_with(req: reqwest::RequestBuilder) -> Self {
        let res = tokio::time::timeout(TIMEOUT, req.send())
            .await
            .expect("response headers within the timeout")
            .expect("request sent");
        assert_eq!(res.status(), 200, "event stream refused");
        let response_headers = res.headers().clone();
        Self {
            response_headers,
            body: Box::pin(res.bytes_stream()),
            parser: SseParser::new(),
            pending: VecDeque::new(),
        }
    }

    /// The next item, or `None` when the stream ended. Fails after [`TIMEOUT`].
    pub async fn next_item(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            let chunk = tokio::time::timeout(TIMEOUT, self.body.next())
                .await
                .expect("an SSE item within the timeout");
            match chunk {
                Some(Ok(bytes)) => self.pending.extend(self.parser.feed(&bytes)),
                Some(Err(e)) => panic!("stream failed: {e}"),
                None => return None,
            }
        }
    }

    /// The next dispatched event, skipping comments and retry hints.
    pub async fn next_event(&mut self) -> ParsedEvent {
        loop {
            match self.next_item().await.expect("stream still open") {
                Item::Event(e) => return e,
                Item::Comment(_) | Item::Retry(_) => {}
            }
        }
    }

    /// The next event, which must be of type `name`.
    pub async fn expect_event(&mut self, name: &str) -> ParsedEvent {
        let e = self.next_event().await;
        assert_eq!(e.event, name, "unexpected event {e:?}");
        e
    }

    /// The next event's data as JSON, checking its type.
    pub async fn expect_json(&mut self, name: &str) -> serde_json::Value {
        let e = self.expect_event(name).await;
        serde_json::from_str(&e.data).expect("event data is JSON")
    }

    /// Reads the `ready` (or `reset`) opening and the presence snapshot; returns the
    /// opening event and the snapshot's people.
    pub async fn handshake(&mut self) -> (ParsedEvent, serde_json::Value) {
        let opening = self.next_event().await;
        assert!(
            opening.event == "ready" || opening.event == "reset",
            "{opening:?}"
        );
        let list = self.expect_json("presence.list").await;
        (opening, list["people"].clone())
    }

    /// Everything until the server ends the stream.
    pub async fn until_end(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        while let Some(item) = self.next_item().await {
            items.push(item);
        }
        items
    }

    /// The last event id seen, as the browser would send it back.
    pub fn last_event_id(&self) -> &str {
        self.parser.last_event_id()
    }
}

/// `POST /boards/{board}/messages` with `{"text": text}`; returns the JSON answer.
pub async fn post_message(server: &TestServer, board: &str, text: &str) -> serde_json::Value {
    let res = reqwest::Client::new()
        .post(server.url(&format!("/boards/{board}/messages")))
        .json(&serde_json::json!({ "text": text }))
        .send()
        .await
        .expect("post sent");
    assert_eq!(res.status(), 200);
    res.json().await.expect("JSON answer")
}

/// `GET path` → (status, JSON body).
pub async fn get_json(server: &TestServer, path: &str) -> (u16, serde_json::Value) {
    let res = reqwest::get(server.url(path)).await.expect("request sent");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON body"))
}

/// Waits until `check` holds, asking again every 10 ms; fails after [`TIMEOUT`]. For
/// conditions the server does not announce as an event (e.g. a tab count).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
