//! The phase-2 server as its binary composes it: which phases `/health` reports, and the
//! server-wide `--max-body-bytes` reaching phase 2's message route.

mod common;

use common::{config, get_json, start_with};
use phase_1_foundations::{testing, ServerConfig};

#[tokio::test]
async fn health_lists_both_phases_the_server_is_built_from() {
    let (server, _state) = start_with(testing::server_config(), config()).await;
    let (status, health) = get_json(&server, "/health").await;
    assert_eq!(status, 200);
    let slugs: Vec<&str> = health["phases"]
        .as_array()
        .expect("a list of phases")
        .iter()
        .map(|p| p["slug"].as_str().expect("a slug"))
        .collect();
    assert_eq!(slugs, ["foundations", "sse"]);
}

#[tokio::test]
async fn the_server_body_limit_caps_a_message_below_the_character_limit() {
    let server_config = ServerConfig {
        max_body_bytes: 100,
        ..testing::server_config()
    };
    let (server, _state) = start_with(server_config, config()).await;
    // 200 characters: within --sse-max-message-chars (500), over --max-body-bytes (100).
    let res = reqwest::Client::new()
        .post(server.url("/boards/b/messages"))
        .json(&serde_json::json!({ "text": "x".repeat(200) }))
        .send()
        .await
        .expect("request sent");
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "payload_too_large");
    // A short message still goes through (post_message asserts the 200).
    common::post_message(&server, "b", "hi").await;
}
