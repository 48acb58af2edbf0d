//! Webhooks against the real server (phases 1–6 and 8 on 127.0.0.1:0) and real receivers
//! on 127.0.0.1: the Python example receiver (an independent HMAC implementation), a Rust
//! receiver that answers what a test scripts, a restart on the same data directory, a hook
//! disabled after its attempts, the URL rules and access. Every wait has a timeout;
//! nothing asserts how long something took.

mod common;

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{boards, call, chat, register, start, start_board, WAIT};
use phase_1_foundations::testing::TestServer;
use phase_4_board::{access::AccessMode, BoardConfig};
use phase_8_protocol_lab::{
    config::WebhookConfig,
    webhooks::signature::{self, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER},
    ProtocolLabConfig,
};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines},
    net::TcpListener,
    process::ChildStdout,
    sync::mpsc,
    time::timeout,
};

/// Webhook settings for tests: receivers on 127.0.0.1, quick retries.
fn lab(max_attempts: u32) -> ProtocolLabConfig {
    ProtocolLabConfig {
        webhooks: WebhookConfig {
            allow_private_targets: true,
            max_attempts,
            backoff_base_ms: 20,
            backoff_cap_ms: 100,
            timeout_ms: 5_000,
            ..WebhookConfig::default()
        },
        ..ProtocolLabConfig::default()
    }
}

/// Asks `GET path` until `done` holds for its JSON answer (or fails after `WAIT`).
async fn until(server: &TestServer, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    timeout(WAIT, async {
        loop {
            let (status, body) = call(server, reqwest::Method::GET, path, None).await;
            assert_eq!(status, 200, "{body}");
            if done(&body) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{path} did not reach the expected state in time"))
}

/// A request a [`Receiver`] got.
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON delivery")
    }
}

/// An HTTP receiver on 127.0.0.1 that answers the n-th request (from 0) with
/// `status(n)` and reports every request.
struct Receiver {
    url: String,
    requests: mpsc::UnboundedReceiver<Received>,
}

async fn receiver_on(
    listener: TcpListener,
    status: impl Fn(usize) -> u16 + Send + Sync + 'static,
) -> Receiver {
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, requests) = mpsc::unbounded_channel();
    let count = Arc::new(AtomicUsize::new(0));
    let status = Arc::new(status);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, count, status) = (tx.clone(), count.clone(), status.clone());
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((n, v)) = line.split_once(':') {
                        headers.push((n.trim().to_owned(), v.trim().to_owned()));
                    }
                }
                let length = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                if stream.read_exact(&mut body).await.is_err() {
                    return;
                }
                let code = status(count.fetch_add(1, Ordering::SeqCst));
                let _ = tx.send(Received { headers, body });
                let answer = format!(
                    "HTTP/1.1 {code} Scripted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.get_mut().write_all(answer.as_bytes()).await;
            });
        }
    });
    Receiver { url, requests }
}

async fn receiver(status: impl Fn(usize) -> u16 + Send + Sync + 'static) -> Receiver {
    receiver_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), status).await
}

impl Receiver {
    async fn next(&mut self) -> Received {
        timeout(WAIT, self.requests.recv())
            .await
            .expect("a delivery in time")
            .expect("the receiver runs")
    }
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("lb-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The next line a child process printed.
async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    timeout(WAIT, lines.next_line())
        .await
        .expect("a line in time")
        .expect("stdout is readable")
        .expect("the receiver is running")
}

#[tokio::test]
async fn the_python_receiver_verifies_a_real_delivery_and_refuses_a_tampered_or_stale_one() {
    let server = start(lab(8)).await;
    let dir = TempDir::new("py-receiver");
    let secret_file = dir.path().join("secret");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/webhook_receiver.py");
    let mut python = tokio::process::Command::new("python3")
        .args([script, "--port", "0", "--secret-file"])
        .arg(&secret_file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs");
    let mut lines = BufReader::new(python.stdout.take().unwrap()).lines();
    let url = next_line(&mut lines)
        .await
        .strip_prefix("listening on ")
        .expect("the receiver's address")
        .to_owned();
    let (status, hook) = register(&server, "py", &format!("{url}/hook")).await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    std::fs::write(&secret_file, &secret).unwrap();

    let seq = chat(&server, "py", "hello, receiver").await;
    let verified: Value = serde_json::from_str(&next_line(&mut lines).await).unwrap();
    let id = format!("py-{seq}-{}", hook["id"].as_str().unwrap());
    assert_eq!(verified["delivery"], id);
    assert_eq!(verified["event"], "message");
    assert_eq!(verified["payload"]["seq"], seq);
    assert_eq!(verified["payload"]["data"]["text"], "hello, receiver");

    // The test signs its own requests, with the crate's signer, to the same receiver.
    let http = reqwest::Client::new();
    let send = |header: String, body: &'static str| {
        http.post(format!("{url}/hook"))
            .header(SIGNATURE_HEADER, header)
            .header(DELIVERY_HEADER, format!("manual-{}", body.len()))
            .header(EVENT_HEADER, "message")
            .body(body)
            .send()
    };
    let now = signature::unix_now();
    let body = r#"{"seq":1,"text":"pay 10"}"#;
    let tampered = r#"{"seq":1,"text":"pay 99"}"#;
    let res = send(signature::sign(&secret, now, body.as_bytes()), tampered)
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a tampered body is refused");
    assert!(res.text().await.unwrap().contains("mismatch"));
    let stale = now - signature::TOLERANCE_SECS - 60;
    let res = send(signature::sign(&secret, stale, body.as_bytes()), body)
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a stale timestamp is refused");
    assert!(res.text().await.unwrap().contains("stale"));
    let res = send(signature::sign(&secret, now, body.as_bytes()), body)
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the same body, signed now, is accepted");
    let accepted: Value = serde_json::from_str(&next_line(&mut lines).await).unwrap();
    assert_eq!(accepted["payload"]["text"], "pay 10");

    python.kill().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt_and_the_next_in_order() {
    let server = start(lab(8)).await;
    let mut rx = receiver(|n| if n < 2 { 500 } else { 200 }).await;
    let (status, hook) = register(&server, "retry", &rx.url).await;
    assert_eq!(status, 201, "{hook}");
    let (id, secret) = (
        hook["id"].as_str().unwrap(),
        hook["secret"].as_str().unwrap(),
    );
    let first = chat(&server, "retry", "one").await;
    let second = chat(&server, "retry", "two").await;

    let mut seen = Vec::new();
    for _ in 0..4 {
        let got = rx.next().await;
        signature::verify(
            secret,
            got.header(SIGNATURE_HEADER),
            &got.body,
            signature::unix_now(),
        )
        .expect("every attempt is signed");
        assert_eq!(
            got.header(DELIVERY_HEADER),
            format!("retry-{}-{id}", got.json()["seq"])
        );
        seen.push(got.json()["seq"].as_u64().unwrap());
    }
    assert_eq!(
        seen,
        [first, first, first, second],
        "retried in place, then in order"
    );

    let log = until(
        &server,
        &format!("/boards/retry/webhooks/{id}/deliveries"),
        |b| b["deliveries"].as_array().is_some_and(|d| d.len() == 2),
    )
    .await;
    let rows = log["deliveries"].as_array().unwrap();
    assert_eq!(rows[0]["seq"], second);
    assert_eq!(
        (rows[0]["attempts"].as_u64(), rows[0]["statusCode"].as_u64()),
        (Some(1), Some(200))
    );
    assert_eq!(rows[1]["seq"], first);
    assert_eq!(rows[1]["attempts"], 3);
    assert_eq!(rows[1]["outcome"], "delivered");
    assert_eq!(rows[1]["statusCode"], 200);
    assert_eq!(rows[1]["id"], format!("retry-{first}-{id}"));
    assert!(rows[1]["latencyMs"].is_u64());
    let listed = until(&server, "/boards/retry/webhooks", |b| {
        b["webhooks"][0]["cursor"] == second
    })
    .await;
    assert_eq!(listed["webhooks"][0]["status"], "enabled");
    assert_eq!(listed["webhooks"][0]["consecutiveFailures"], 0);
    assert!(
        listed["webhooks"][0].get("secret").is_none(),
        "the secret is shown once"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_delivery_pending_at_a_restart_is_delivered_after_it() {
    let dir = TempDir::new("hooks-restart");
    let board = || BoardConfig {
        access: AccessMode::Open,
        ..BoardConfig::in_dir(dir.path())
    };
    // A port nobody listens on (yet): the receiver is down.
    let reserved = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let url = format!("http://{addr}/hook");

    let server = start_board(board(), lab(100)).await;
    let (status, hook) = register(&server, "restart", &url).await;
    assert_eq!(status, 201, "{hook}");
    let id = hook["id"].as_str().unwrap().to_owned();
    let seq = chat(&server, "restart", "while you were out").await;
    // At least one attempt failed: the delivery is pending, not lost.
    until(
        &server,
        &format!("/boards/restart/webhooks/{id}/deliveries"),
        |b| b["deliveries"][0]["outcome"] == "retrying",
    )
    .await;
    server.shutdown().await.unwrap();

    let mut rx = receiver_on(TcpListener::bind(addr).await.unwrap(), |_| 200).await;
    let server = start_board(board(), lab(100)).await;
    let got = rx.next().await;
    assert_eq!(got.json()["seq"], seq);
    assert_eq!(got.header(DELIVERY_HEADER), format!("restart-{seq}-{id}"));
    let log = until(
        &server,
        &format!("/boards/restart/webhooks/{id}/deliveries"),
        |b| b["deliveries"][0]["outcome"] == "delivered",
    )
    .await;
    assert!(log["deliveries"][0]["attempts"].as_u64().unwrap() >= 2);
    until(&server, "/boards/restart/webhooks", |b| {
        b["webhooks"][0]["cursor"] == seq
    })
    .await;
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_receiver_that_always_fails_disables_the_hook_after_the_max_attempts_and_410_at_once() {
    let server = start(lab(3)).await;
    let mut failing = receiver(|_| 503).await;
    let (status, hook) = register(&server, "down", &failing.url).await;
    assert_eq!(status, 201, "{hook}");
    let id = hook["id"].as_str().unwrap();
    let seq = chat(&server, "down", "anyone?").await;
    for _ in 0..3 {
        failing.next().await;
    }
    let listed = until(&server, "/boards/down/webhooks", |b| {
        b["webhooks"][0]["status"] == "disabled"
    })
    .await;
    let reason = listed["webhooks"][0]["disabledReason"].as_str().unwrap();
    assert!(
        reason.contains("3 of 3 attempts failed") && reason.contains("HTTP 503"),
        "{reason}"
    );
    assert_eq!(listed["webhooks"][0]["consecutiveFailures"], 3);
    assert_eq!(
        listed["webhooks"][0]["cursor"],
        seq - 1,
        "the failed event stays pending"
    );
    let (_, log) = call(
        &server,
        reqwest::Method::GET,
        &format!("/boards/down/webhooks/{id}/deliveries"),
        None,
    )
    .await;
    assert_eq!(log["deliveries"][0]["outcome"], "failed");
    assert_eq!(log["deliveries"][0]["attempts"], 3);

    let mut gone = receiver(|_| 410).await;
    let (status, hook) = register(&server, "gone", &gone.url).await;
    assert_eq!(status, 201, "{hook}");
    chat(&server, "gone", "hello?").await;
    gone.next().await;
    let listed = until(&server, "/boards/gone/webhooks", |b| {
        b["webhooks"][0]["status"] == "disabled"
    })
    .await;
    assert!(listed["webhooks"][0]["disabledReason"]
        .as_str()
        .unwrap()
        .contains("410"));
    assert_eq!(listed["webhooks"][0]["consecutiveFailures"], 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn target_urls_are_refused_by_each_rule_unless_private_targets_are_allowed() {
    let strict = start(ProtocolLabConfig::default()).await;
    for (url, code) in [
        ("not a url", "bad_url"),
        ("ftp://example.com/hook", "bad_scheme"),
        ("https://user:pass@example.com/hook", "credentials_in_url"),
        ("https://example.com/hook#top", "fragment_in_url"),
        ("http://nothing.invalid/hook", "unresolvable_host"),
        ("http://127.0.0.1:9/hook", "private_address"),
        ("http://localhost:9/hook", "private_address"),
        ("http://[::1]:9/hook", "private_address"),
        ("http://10.0.0.8/hook", "private_address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "private_address",
        ),
    ] {
        let (status, body) = call(
            &strict,
            reqwest::Method::POST,
            "/boards/b/webhooks",
            Some(json!({"url": url, "events": ["*"]})),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{url}: {body}"
        );
    }
    let (status, body) = call(
        &strict,
        reqwest::Method::POST,
        "/boards/b/webhooks",
        Some(json!({"url": "https://example.com/", "events": ["note.teleported"]})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_events"))
    );
    strict.shutdown().await.unwrap();

    let allowing = start(lab(8)).await;
    let (status, hook) = register(&allowing, "b", "http://127.0.0.1:9/hook").await;
    assert_eq!(status, 201, "{hook}");
    assert_eq!(hook["status"], "enabled");
    let id = hook["id"].as_str().unwrap();
    let (status, _) = call(
        &allowing,
        reqwest::Method::DELETE,
        &format!("/boards/b/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = call(
        &allowing,
        reqwest::Method::DELETE,
        &format!("/boards/b/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("no_such_webhook"))
    );
    allowing.shutdown().await.unwrap();
}

#[tokio::test]
async fn on_a_private_board_someone_who_may_not_write_it_gets_403() {
    let server = start_board(boards(AccessMode::Private), lab(8)).await;
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/boards/secret/webhooks",
            Some(json!({"url": "http://127.0.0.1:9/", "events": ["*"]})),
        ),
        (reqwest::Method::GET, "/boards/secret/webhooks", None),
        (
            reqwest::Method::DELETE,
            "/boards/secret/webhooks/wh_1",
            None,
        ),
        (
            reqwest::Method::GET,
            "/boards/secret/webhooks/wh_1/deliveries",
            None,
        ),
    ] {
        let (status, answer) = call(&server, method, path, body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
    }
    server.shutdown().await.unwrap();
}
