//! The lab receiver against the real server (phases 1–6 and 8 on 127.0.0.1:0): a hook
//! registered to the server's own receiver is delivered, verified and streamed; unsigned,
//! tampered and oversized deliveries are refused and not recorded; receivers are bounded;
//! and without `--lab-receiver` there are no receivers and loopback stays closed. Every
//! wait has a timeout; nothing asserts how long something took.

mod common;

use common::{call, chat, register, WAIT};
use phase_1_foundations::testing::TestServer;
use phase_8_protocol_lab::{
    lab::{MAX_DELIVERY_BYTES, MAX_RECEIVERS},
    webhooks::signature::{self, DELIVERY_HEADER, SIGNATURE_HEADER},
    ProtocolLabConfig,
};
use serde_json::{json, Value};
use tokio::time::timeout;

/// A server with open boards, its lab receiver on or off; private webhook targets are
/// *not* allowed.
async fn start_lab(lab_receiver: bool) -> TestServer {
    common::start(ProtocolLabConfig {
        lab_receiver,
        ..ProtocolLabConfig::default()
    })
    .await
}

/// Makes a receiver: its id and URL.
async fn receiver(server: &TestServer) -> (String, String) {
    let (status, made) = call(server, reqwest::Method::POST, "/lab/receivers", None).await;
    assert_eq!(status, 201, "{made}");
    (
        made["id"].as_str().unwrap().to_owned(),
        made["url"].as_str().unwrap().to_owned(),
    )
}

/// Reads the receiver's event stream until `n` deliveries arrived: their JSON.
async fn stream_deliveries(server: &TestServer, id: &str, n: usize) -> Vec<Value> {
    let mut res = reqwest::get(server.url(&format!("/lab/receivers/{id}/events")))
        .await
        .expect("the stream opens");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    timeout(WAIT, async {
        loop {
            let found: Vec<Value> = text
                .split("\n\n")
                .filter(|e| e.contains("event: delivery"))
                .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
                .filter_map(|d| serde_json::from_str(d).ok())
                .collect();
            if found.len() >= n {
                return found;
            }
            let chunk = res
                .chunk()
                .await
                .expect("the stream reads")
                .expect("the stream goes on");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{n} deliveries did not arrive in time: {text:?}"))
}

/// Posts `body` to a receiver with these headers: the status and the JSON answer.
async fn deliver(
    server: &TestServer,
    id: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(server.url(&format!("/lab/receivers/{id}")))
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let res = timeout(WAIT, req.send())
        .await
        .expect("an answer in time")
        .expect("sent");
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_hook_to_the_servers_own_receiver_is_delivered_verified_and_streamed() {
    let server = start_lab(true).await;
    let (id, url) = receiver(&server).await;
    assert_eq!(url, format!("http://{}/lab/receivers/{id}", server.addr));
    let (status, hook) = register(&server, "lab", &url).await;
    assert_eq!(status, 201, "{hook}");
    chat(&server, "lab", "one").await;
    chat(&server, "lab", "two").await;
    let got = stream_deliveries(&server, &id, 2).await;
    let hook_id = hook["id"].as_str().unwrap();
    assert_eq!(got[0]["deliveryId"], format!("lab-1-{hook_id}"));
    assert_eq!(got[1]["seq"], 2);
    assert_eq!(got[1]["event"], "message");
    assert_eq!(got[1]["duplicate"], false);
    assert!(got[0]["bodyBytes"].as_u64().unwrap() > 0 && got[0]["headBytes"].as_u64().unwrap() > 0);
    // The hook's own log agrees: both delivered, with the receiver's 204.
    let (status, log) = call(
        &server,
        reqwest::Method::GET,
        &format!("/boards/lab/webhooks/{hook_id}/deliveries"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{log}");
    let rows = log["deliveries"].as_array().unwrap();
    assert!(
        rows.len() == 2
            && rows
                .iter()
                .all(|r| r["outcome"] == "delivered" && r["statusCode"] == 204),
        "{log}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn only_the_exact_url_of_a_live_receiver_passes_the_private_address_rule() {
    let server = start_lab(true).await;
    let (id, url) = receiver(&server).await;
    for other in [
        format!(
            "http://{}/lab/receivers/rx_00000000000000000000000000000000",
            server.addr
        ),
        format!("http://{}/boards/lab/messages", server.addr),
        format!("http://127.0.0.1:1/lab/receivers/{id}"),
        format!("{url}?x=1"),
    ] {
        let (status, error) = register(&server, "lab", &other).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some("private_address")),
            "{other}: {error}"
        );
    }
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        &format!("/lab/receivers/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, error) = register(&server, "lab", &url).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("private_address")),
        "a deleted receiver: {error}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unsigned_tampered_stale_and_oversized_deliveries_are_refused_and_not_recorded() {
    let server = start_lab(true).await;
    let (id, url) = receiver(&server).await;
    let (_, hook) = register(&server, "lab", &url).await;
    let (hook_id, secret) = (
        hook["id"].as_str().unwrap(),
        hook["secret"].as_str().unwrap(),
    );
    let delivery = format!("lab-7-{hook_id}");
    let body = serde_json::to_vec(
        &json!({"id": delivery, "board": "lab", "seq": 7, "event": "message", "data": {}}),
    )
    .unwrap();
    let now = signature::unix_now();
    let signed = |secret: &str, t: u64, body: &[u8]| signature::sign(secret, t, body);

    let (status, e) = deliver(
        &server,
        &id,
        &[(DELIVERY_HEADER, delivery.clone())],
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("missing_signature")),
        "{e}"
    );
    let wrong_secret = signed("whsec_not_the_hooks", now, &body);
    let (status, e) = deliver(
        &server,
        &id,
        &[
            (DELIVERY_HEADER, delivery.clone()),
            (SIGNATURE_HEADER, wrong_secret),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("bad_signature")),
        "{e}"
    );
    let mut tampered = body.clone();
    let at = tampered.len() - 2;
    tampered.insert(at, b' ');
    let (status, e) = deliver(
        &server,
        &id,
        &[
            (DELIVERY_HEADER, delivery.clone()),
            (SIGNATURE_HEADER, signed(secret, now, &body)),
        ],
        tampered,
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("bad_signature")),
        "tampered: {e}"
    );
    let stale = signed(secret, now - signature::TOLERANCE_SECS - 60, &body);
    let (status, e) = deliver(
        &server,
        &id,
        &[
            (DELIVERY_HEADER, delivery.clone()),
            (SIGNATURE_HEADER, stale),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("bad_signature")),
        "stale: {e}"
    );
    let other_hook = "lab-7-wh_0000000000000000".to_owned();
    let (status, e) = deliver(
        &server,
        &id,
        &[
            (DELIVERY_HEADER, other_hook),
            (SIGNATURE_HEADER, signed(secret, now, &body)),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("unknown_webhook")),
        "{e}"
    );
    let huge = vec![b' '; MAX_DELIVERY_BYTES + 1];
    let (status, e) = deliver(
        &server,
        &id,
        &[
            (DELIVERY_HEADER, delivery.clone()),
            (SIGNATURE_HEADER, signed(secret, now, &huge)),
        ],
        huge,
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{e}"
    );
    let (status, e) = deliver(&server, "rx_gone", &[], body.clone()).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (410, Some("no_such_receiver")),
        "{e}"
    );

    // The genuine one is recorded — and the same delivery again is marked a duplicate.
    for _ in 0..2 {
        let (status, e) = deliver(
            &server,
            &id,
            &[
                (DELIVERY_HEADER, delivery.clone()),
                (SIGNATURE_HEADER, signed(secret, now, &body)),
            ],
            body.clone(),
        )
        .await;
        assert_eq!(status, 204, "{e}");
    }
    let got = stream_deliveries(&server, &id, 2).await;
    assert_eq!(
        got.len(),
        2,
        "only the genuine deliveries were recorded: {got:?}"
    );
    assert_eq!(
        (got[0]["n"].as_u64(), got[0]["duplicate"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(
        (got[1]["n"].as_u64(), got[1]["duplicate"].as_bool()),
        (Some(2), Some(true))
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn making_more_receivers_than_the_cap_evicts_the_oldest() {
    let server = start_lab(true).await;
    let (first, _) = receiver(&server).await;
    for _ in 0..MAX_RECEIVERS {
        receiver(&server).await;
    }
    let (status, e) = call(
        &server,
        reqwest::Method::GET,
        &format!("/lab/receivers/{first}/events"),
        None,
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (410, Some("no_such_receiver")),
        "{e}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_the_flag_there_are_no_receivers_and_loopback_stays_closed() {
    let server = start_lab(false).await;
    let (status, _) = call(&server, reqwest::Method::POST, "/lab/receivers", None).await;
    assert_eq!(status, 404);
    let url = format!(
        "http://{}/lab/receivers/rx_00000000000000000000000000000000",
        server.addr
    );
    let (status, e) = register(&server, "lab", &url).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (400, Some("private_address")),
        "{e}"
    );
    server.shutdown().await.unwrap();
}
