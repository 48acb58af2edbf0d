//! Presence over real streams: people see each other arrive and leave; tabs do not flicker.

mod common;

use common::{config, eventually, get_json, post_message, start, SseClient};
use serde_json::json;

fn url(
    server: &phase_1_foundations::testing::TestServer,
    id: &str,
    name: &str,
    color: &str,
) -> String {
    let color = color.replace('#', "%23");
    server.url(&format!(
        "/boards/room/events?clientId={id}&name={name}&color={color}"
    ))
}

#[tokio::test]
async fn two_people_see_each_other_join_and_then_leave_when_a_stream_closes() {
    let (server, _state) = start(config()).await;
    let mut ana = SseClient::open(&url(&server, "a1", "Ana", "#FF0000")).await;
    let (_, people) = ana.handshake().await;
    assert_eq!(people, json!([]));
    // Her own arrival reaches her as a diff, like everyone else's.
    assert_eq!(
        ana.expect_json("presence.join").await,
        json!({"clientId": "a1", "name": "Ana", "color": "#ff0000"})
    );

    let mut bo = SseClient::open(&url(&server, "b2", "Bo+Li", "#00ff00")).await;
    let (_, people) = bo.handshake().await;
    assert_eq!(
        people,
        json!([{"clientId": "a1", "name": "Ana", "color": "#ff0000"}])
    );
    assert_eq!(bo.expect_json("presence.join").await["clientId"], "b2");
    assert_eq!(
        ana.expect_json("presence.join").await,
        json!({"clientId": "b2", "name": "Bo Li", "color": "#00ff00"})
    );

    let (_, snapshot) = get_json(&server, "/boards/room/presence").await;
    assert_eq!(snapshot["people"].as_array().unwrap().len(), 2);

    // Bo closes his tab: the server notices the closed socket and drops his stream.
    drop(bo);
    assert_eq!(
        ana.expect_json("presence.leave").await,
        json!({"clientId": "b2"})
    );
    let (_, snapshot) = get_json(&server, "/boards/room/presence").await;
    assert_eq!(
        snapshot,
        json!({"board": "room", "people": [{"clientId": "a1", "name": "Ana", "color": "#ff0000", "tabs": 1}]})
    );
}

#[tokio::test]
async fn two_tabs_of_one_person_join_once_and_leave_only_when_the_last_closes() {
    let (server, _state) = start(config()).await;
    let mut watcher = SseClient::open(&server.url("/boards/room/events")).await;
    watcher.handshake().await;

    let mut tab1 = SseClient::open(&url(&server, "a1", "Ana", "#ff0000")).await;
    tab1.handshake().await;
    assert_eq!(watcher.expect_json("presence.join").await["clientId"], "a1");

    let mut tab2 = SseClient::open(&url(&server, "a1", "Ana", "#ff0000")).await;
    let (_, people) = tab2.handshake().await;
    assert_eq!(people[0]["clientId"], "a1");
    // A marker after the second tab is in: had it caused a join, the join would come first.
    post_message(&server, "room", "marker 1").await;
    assert_eq!(watcher.expect_json("message").await["text"], "marker 1");

    drop(tab1);
    eventually("the first tab's stream is dropped", || async {
        get_json(&server, "/boards/room/presence").await.1["people"][0]["tabs"] == 1
    })
    .await;
    post_message(&server, "room", "marker 2").await;
    assert_eq!(watcher.expect_json("message").await["text"], "marker 2");

    drop(tab2);
    assert_eq!(
        watcher.expect_json("presence.leave").await,
        json!({"clientId": "a1"})
    );
}

#[tokio::test]
async fn a_bad_identity_is_a_400_naming_the_field() {
    let (server, _state) = start(config()).await;
    for (query, code) in [
        ("clientId=a1&name=Ana&color=red", "bad_color"),
        ("clientId=a1&name=%20%20&color=%23ff0000", "bad_name"),
        ("clientId=a1&color=%23ff0000", "bad_name"),
        ("clientId=a%20b&name=Ana&color=%23ff0000", "bad_client_id"),
        ("name=Ana&color=%23ff0000", "bad_client_id"),
    ] {
        let (status, body) = get_json(&server, &format!("/boards/room/events?{query}")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_head_request_does_not_make_anyone_appear_online() {
    let (server, _state) = start(config()).await;
    let res = reqwest::Client::new()
        .head(url(&server, "a1", "Ana", "#ff0000"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let (_, snapshot) = get_json(&server, "/boards/room/presence").await;
    assert_eq!(snapshot["people"], json!([]));
}
