//! The opening handshake over a real socket: raw HTTP/1.1 in, status, headers and JSON
//! bodies asserted byte for byte (RFC 6455 §4).

mod common;

use common::{upgrade_headers, RawClient, Server, ALLOWED_ORIGIN, RFC_ACCEPT};
use phase_3_websocket::WsConfig;

async fn refused(path: &str, line: &str, headers: Vec<(&str, String)>) -> common::HttpResponse {
    let server = Server::start(WsConfig::default()).await;
    let (_client, res) =
        RawClient::request(server.addr(), &line.replace("{path}", path), &headers).await;
    assert_eq!(
        res.header("content-type"),
        Some("application/json"),
        "{res:?}"
    );
    res
}

fn without(name: &str) -> Vec<(&'static str, String)> {
    upgrade_headers()
        .into_iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
        .collect()
}

fn with(name: &'static str, value: &str) -> Vec<(&'static str, String)> {
    let mut h = without(name);
    h.push((name, value.to_owned()));
    h
}

#[tokio::test]
async fn the_rfc_example_key_is_answered_with_101_and_the_rfc_accept_value() {
    let server = Server::start(WsConfig::default()).await;
    let (_client, res) =
        RawClient::request(server.addr(), "GET /ws/echo HTTP/1.1", &upgrade_headers()).await;
    assert_eq!(res.status, 101);
    assert_eq!(res.header("sec-websocket-accept"), Some(RFC_ACCEPT));
    assert_eq!(res.header("upgrade"), Some("websocket"));
    assert_eq!(res.header("connection"), Some("Upgrade"));
    assert_eq!(res.header("sec-websocket-protocol"), None);
}

#[tokio::test]
async fn the_board_endpoint_picks_liveboard_v1_from_the_offered_subprotocols() {
    let server = Server::start(WsConfig::default()).await;
    let (_c, res) = RawClient::request(
        server.addr(),
        "GET /ws HTTP/1.1",
        &with("Sec-WebSocket-Protocol", "chat, liveboard.v1"),
    )
    .await;
    assert_eq!(res.status, 101);
    assert_eq!(res.header("sec-websocket-protocol"), Some("liveboard.v1"));
    // Only unknown protocols offered: accepted without the header (the client decides).
    let (_c, res) = RawClient::request(
        server.addr(),
        "GET /ws HTTP/1.1",
        &with("Sec-WebSocket-Protocol", "chat"),
    )
    .await;
    assert_eq!(res.status, 101);
    assert_eq!(res.header("sec-websocket-protocol"), None);
}

#[tokio::test]
async fn a_plain_get_is_426_naming_the_websocket_upgrade() {
    let res = refused("/ws", "GET {path} HTTP/1.1", vec![]).await;
    assert_eq!(res.status, 426);
    assert_eq!(res.header("upgrade"), Some("websocket"));
    assert_eq!(res.json()["error"]["code"], "upgrade_required");
}

#[tokio::test]
async fn a_wrong_version_is_426_with_sec_websocket_version_13() {
    let res = refused(
        "/ws/echo",
        "GET {path} HTTP/1.1",
        with("Sec-WebSocket-Version", "8"),
    )
    .await;
    assert_eq!(res.status, 426);
    assert_eq!(res.header("sec-websocket-version"), Some("13"));
    let body = res.json();
    assert_eq!(body["error"]["code"], "unsupported_websocket_version");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("version 13"));
}

#[tokio::test]
async fn a_missing_version_is_426_with_sec_websocket_version_13() {
    let res = refused(
        "/ws/echo",
        "GET {path} HTTP/1.1",
        without("Sec-WebSocket-Version"),
    )
    .await;
    assert_eq!(res.status, 426);
    assert_eq!(res.header("sec-websocket-version"), Some("13"));
}

#[tokio::test]
async fn a_post_is_405_allowing_get() {
    let res = refused("/ws/echo", "POST {path} HTTP/1.1", upgrade_headers()).await;
    assert_eq!(res.status, 405);
    assert!(res.header("allow").unwrap().contains("GET"));
}

#[tokio::test]
async fn an_http_1_0_request_is_400() {
    let res = refused("/ws/echo", "GET {path} HTTP/1.0", upgrade_headers()).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["code"], "http_version_not_supported");
}

#[tokio::test]
async fn an_upgrade_to_another_protocol_is_400() {
    let res = refused("/ws/echo", "GET {path} HTTP/1.1", with("Upgrade", "h2c")).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["code"], "not_a_websocket_upgrade");
}

#[tokio::test]
async fn a_connection_header_without_upgrade_is_400() {
    let res = refused(
        "/ws/echo",
        "GET {path} HTTP/1.1",
        with("Connection", "keep-alive"),
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["code"], "connection_not_upgrade");
}

#[tokio::test]
async fn tokens_in_comma_lists_and_any_case_are_accepted() {
    let server = Server::start(WsConfig::default()).await;
    let mut h = with("Connection", "keep-alive, UPGRADE");
    h.retain(|(n, _)| *n != "Upgrade");
    h.push(("Upgrade", "WebSocket".into()));
    let (_c, res) = RawClient::request(server.addr(), "GET /ws/echo HTTP/1.1", &h).await;
    assert_eq!(res.status, 101);
}

#[tokio::test]
async fn a_key_that_is_not_16_base64_bytes_is_400() {
    for key in ["tooshort", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""] {
        let res = refused(
            "/ws/echo",
            "GET {path} HTTP/1.1",
            with("Sec-WebSocket-Key", key),
        )
        .await;
        assert_eq!(res.status, 400, "{key:?}");
        assert_eq!(res.json()["error"]["code"], "bad_websocket_key");
    }
    let res = refused(
        "/ws/echo",
        "GET {path} HTTP/1.1",
        without("Sec-WebSocket-Key"),
    )
    .await;
    assert_eq!(res.status, 400);
}

#[tokio::test]
async fn a_page_from_a_foreign_origin_is_403() {
    let res = refused(
        "/ws",
        "GET {path} HTTP/1.1",
        with("Origin", "https://evil.example"),
    )
    .await;
    assert_eq!(res.status, 403);
    let body = res.json();
    assert_eq!(body["error"]["code"], "origin_not_allowed");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("evil.example"));
}

#[tokio::test]
async fn a_second_key_version_or_origin_header_is_400_naming_it_and_never_101() {
    // Each case: the valid headers plus a second copy of one single-valued header
    // (RFC 6455 §11.3.1 for the key, RFC 6454 §7.3 for Origin).
    let cases = [
        ("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA==".to_owned()),
        ("Sec-WebSocket-Version", "13".to_owned()),
        ("Origin", ALLOWED_ORIGIN.to_owned()),
    ];
    for (name, second) in cases {
        let mut headers = with("Origin", ALLOWED_ORIGIN);
        headers.push((name, second));
        let res = refused("/ws", "GET {path} HTTP/1.1", headers).await;
        assert_eq!(res.status, 400, "{name}: {res:?}");
        assert_eq!(res.header("sec-websocket-accept"), None);
        let body = res.json();
        assert_eq!(body["error"]["code"], "repeated_header", "{name}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(name), "{name}: {message}");
    }
}

#[tokio::test]
async fn the_allowed_origin_and_no_origin_at_all_are_both_accepted() {
    let server = Server::start(WsConfig::default()).await;
    for headers in [with("Origin", ALLOWED_ORIGIN), upgrade_headers()] {
        let (_c, res) = RawClient::request(server.addr(), "GET /ws/echo HTTP/1.1", &headers).await;
        assert_eq!(res.status, 101);
        assert_eq!(res.header("sec-websocket-accept"), Some(RFC_ACCEPT));
    }
}

#[tokio::test]
async fn past_the_connection_limit_the_upgrade_is_503_before_any_101() {
    let server = Server::start(WsConfig {
        max_connections: 1,
        ..WsConfig::default()
    })
    .await;
    let _first = RawClient::connect(server.addr(), "/ws/echo").await;
    let (_c, res) =
        RawClient::request(server.addr(), "GET /ws/echo HTTP/1.1", &upgrade_headers()).await;
    assert_eq!(res.status, 503);
    let body = res.json();
    assert_eq!(body["error"]["code"], "too_many_websockets");
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("LIVEBOARD_"),
        "{body}"
    );
    assert!(
        body["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("LIVEBOARD_WS_MAX_CONNECTIONS"),
        "{body}"
    );
    assert!(res.header("retry-after").is_some());
    assert_eq!(server.state.stats().refused, 1);
}
