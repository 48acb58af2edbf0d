//! Identity and access against the real server: signed sessions, private boards, share
//! links with edit and view rights, revoking — enforced alike over HTTP, the event stream
//! and the WebSocket — and the Origin checks that stop cross-site WebSocket hijacking.

mod common;

use common::{ack, create, rejected, Client, Server, WAIT};
use phase_1_foundations::testing::TEST_ORIGIN;
use phase_4_board::{access::AccessMode, BoardConfig};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue};

fn private() -> BoardConfig {
    BoardConfig {
        access: AccessMode::Private,
        ..BoardConfig::in_memory()
    }
}

/// A request with an optional session cookie and JSON body; the status and the JSON body
/// (`Null` when there is none).
async fn call(
    server: &Server,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, header::HeaderMap) {
    let mut req = reqwest::Client::new().request(method, server.url(path));
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = tokio::time::timeout(WAIT, req.send())
        .await
        .expect("an answer in time")
        .expect("request sent");
    let (status, headers) = (res.status(), res.headers().clone());
    let text = res.text().await.expect("a body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, json, headers)
}

/// Signs in as `name`; returns the `Cookie` header value and the session's clientId.
async fn sign_in(server: &Server, name: &str) -> (String, String) {
    let (status, body, headers) = call(
        server,
        Method::POST,
        "/session",
        None,
        Some(json!({"name": name, "color": "#3b82f6"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    let pair = set.split(';').next().unwrap().to_owned();
    (pair, body["clientId"].as_str().unwrap().to_owned())
}

async fn ws(server: &Server, cookie: &str) -> Client {
    Client::connect_with_cookie(&format!("ws://{}/ws", server.http.addr), Some(cookie)).await
}

/// The status of opening the board's event stream with this cookie.
async fn stream_status(server: &Server, board: &str, cookie: Option<&str>) -> StatusCode {
    let mut req = reqwest::Client::new().get(server.url(&format!("/boards/{board}/events")));
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    tokio::time::timeout(WAIT, req.send())
        .await
        .expect("headers in time")
        .expect("request sent")
        .status()
}

/// The owner (`owner`'s cookie) makes a `role` link to board `b`, and `member` joins through it.
async fn join_by_link(server: &Server, owner: &str, member: &str, role: &str) {
    let (status, link, _) = call(
        server,
        Method::POST,
        "/boards/b/links",
        Some(owner),
        Some(json!({ "role": role })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let (status, joined, _) = call(
        server,
        Method::POST,
        "/boards/b/join",
        Some(member),
        Some(json!({"token": link["token"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
}

/// Ana signs in and opens board `b` over the WebSocket (which makes it hers) with a note.
async fn anas_board(server: &Server) -> (String, Client) {
    let (ana, _) = sign_in(server, "Ana").await;
    let mut client = ws(server, &ana).await;
    client.subscribe("b", None).await;
    ack(&client
        .call("note_create", create("b", "op-1", "n1", "Todo", 1.0))
        .await);
    (ana, client)
}

#[tokio::test]
async fn signing_in_sets_an_http_only_same_site_cookie_and_a_rename_keeps_the_client_id() {
    let server = Server::start(private()).await;
    let (status, body, headers) = call(
        &server,
        Method::POST,
        "/session",
        None,
        Some(json!({"name": " Ana ", "color": "#3B82F6"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["name"].as_str(), body["color"].as_str()),
        (Some("Ana"), Some("#3b82f6"))
    );
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("lb_session="), "{set}");
    assert!(
        set.contains("; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap();
    let (status, me, _) = call(&server, Method::GET, "/session", Some(cookie), None).await;
    assert_eq!((status, &me), (StatusCode::OK, &body));

    let (status, renamed, headers) = call(
        &server,
        Method::POST,
        "/session",
        Some(cookie),
        Some(json!({"name": "Ana B", "color": "#000000"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        renamed["clientId"], body["clientId"],
        "a rename keeps the id"
    );
    assert!(headers.contains_key(header::SET_COOKIE));

    let (status, err, _) = call(&server, Method::GET, "/session", None, None).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("no_session"))
    );
    let (status, _, headers) = call(&server, Method::DELETE, "/session", Some(cookie), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let (status, err, _) = call(
        &server,
        Method::POST,
        "/session",
        None,
        Some(json!({"name": "", "color": "#000000"})),
    )
    .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_name"))
    );
}

#[tokio::test]
async fn a_forged_session_is_nobody_and_nobody_may_open_a_board_on_a_private_server() {
    let server = Server::start(private()).await;
    let (ana, _) = sign_in(&server, "Ana").await;
    // Flip the last hex digit of the signature.
    let last = ana.chars().last().unwrap();
    let forged = format!(
        "{}{}",
        &ana[..ana.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let (status, _, _) = call(&server, Method::GET, "/session", Some(&forged), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        stream_status(&server, "b", Some(&forged)).await,
        StatusCode::FORBIDDEN
    );
    let (status, err, _) = call(&server, Method::GET, "/boards/b", None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error"]["code"], "forbidden");
    let mut anon = server.client().await;
    let answer = anon.call("subscribe", json!({"board": "b"})).await;
    rejected(&answer, "forbidden");
}

#[tokio::test]
async fn a_private_board_is_refused_to_outsiders_over_http_the_event_stream_and_the_websocket() {
    let server = Server::start(private()).await;
    let (ana, _ana_ws) = anas_board(&server).await;
    let (bo, _) = sign_in(&server, "Bo").await;

    let (status, err, _) = call(&server, Method::GET, "/boards/b", Some(&bo), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("This board is private"),
        "{err}"
    );
    assert_eq!(
        stream_status(&server, "b", Some(&bo)).await,
        StatusCode::FORBIDDEN
    );
    let (status, _, _) = call(&server, Method::GET, "/boards/b/presence", Some(&bo), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(
        &server,
        Method::POST,
        "/boards/b/messages",
        Some(&bo),
        Some(json!({"text": "hi"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mut bo_ws = ws(&server, &bo).await;
    let answer = bo_ws.call("subscribe", json!({"board": "b"})).await;
    assert!(rejected(&answer, "forbidden")["message"]
        .as_str()
        .unwrap()
        .contains("private"));
    let answer = bo_ws
        .call("note_create", create("b", "op-bo", "n2", "Todo", 2.0))
        .await;
    rejected(&answer, "forbidden");
    let answer = bo_ws.call("board_snapshot", json!({"board": "b"})).await;
    rejected(&answer, "forbidden");
    // The connection lives on.
    let pong = bo_ws.call("ping", json!({})).await;
    assert_eq!(pong["type"], "pong", "{pong}");

    let (_, list, _) = call(&server, Method::GET, "/boards", Some(&bo), None).await;
    assert_eq!(list["boards"], json!([]), "Bo's list hides Ana's board");
    let (_, list, _) = call(&server, Method::GET, "/boards", Some(&ana), None).await;
    assert_eq!(list["boards"][0]["board"], "b");
    let (status, snap, _) = call(&server, Method::GET, "/boards/b", Some(&ana), None).await;
    assert_eq!(
        (status, snap["notes"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
}

#[tokio::test]
async fn a_view_link_lets_its_holder_read_but_refuses_each_change_and_revoking_it_removes_them() {
    let server = Server::start(private()).await;
    let (ana, _ana_ws) = anas_board(&server).await;
    let (bo, _) = sign_in(&server, "Bo").await;
    let (status, err, _) = call(
        &server,
        Method::POST,
        "/boards/b/links",
        Some(&bo),
        Some(json!({"role": "view"})),
    )
    .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_owner"))
    );
    let (status, link, _) = call(
        &server,
        Method::POST,
        "/boards/b/links",
        Some(&ana),
        Some(json!({"role": "view"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["role"], "view");
    let token = link["token"].as_str().unwrap();
    assert!(link["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("invite={token}")));

    let (status, joined, _) = call(
        &server,
        Method::POST,
        "/boards/b/join",
        Some(&bo),
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(
        (status, joined["role"].as_str()),
        (StatusCode::OK, Some("view"))
    );
    let (status, _, _) = call(&server, Method::GET, "/boards/b", Some(&bo), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stream_status(&server, "b", Some(&bo)).await, StatusCode::OK);
    let (_, access, _) = call(&server, Method::GET, "/boards/b/access", Some(&bo), None).await;
    assert_eq!(
        (access["role"].as_str(), access["owner"].as_bool()),
        (Some("view"), Some(false))
    );

    let mut bo_ws = ws(&server, &bo).await;
    bo_ws.subscribe("b", None).await;
    let answer = bo_ws
        .call("note_create", create("b", "op-bo", "n2", "Todo", 2.0))
        .await;
    let err = rejected(&answer, "forbidden");
    assert_eq!(err["message"], "You can view this board but not change it.");
    assert_eq!(err["opId"], "op-bo");
    let answer = bo_ws
        .call("publish", json!({"board": "b", "text": "hi"}))
        .await;
    rejected(&answer, "forbidden");

    let (_, links, _) = call(&server, Method::GET, "/boards/b/links", Some(&ana), None).await;
    let id = links["links"][0]["id"].as_str().unwrap().to_owned();
    let (status, revoked, _) = call(
        &server,
        Method::DELETE,
        &format!("/boards/b/links/{id}"),
        Some(&ana),
        None,
    )
    .await;
    assert_eq!(
        (status, revoked["removed"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    // Bo's open socket on the board is closed by the server at once.
    let mut closed = false;
    while let Ok(Some(msg)) = tokio::time::timeout(WAIT, bo_ws.raw_next()).await {
        if msg.is_close() {
            closed = true;
            break;
        }
    }
    assert!(closed, "Bo's socket was closed");
    let (status, _, _) = call(&server, Method::GET, "/boards/b", Some(&bo), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "revoking removed Bo");
    let (status, err, _) = call(
        &server,
        Method::POST,
        "/boards/b/join",
        Some(&bo),
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("bad_link"))
    );
}

#[tokio::test]
async fn an_edit_link_lets_its_holder_write_as_the_session_whatever_author_or_person_they_send() {
    let server = Server::start(private()).await;
    let (ana, _ana_ws) = anas_board(&server).await;
    let (ana_id, bo_id) = {
        let (_, me, _) = call(&server, Method::GET, "/session", Some(&ana), None).await;
        let (bo, bo_id) = sign_in(&server, "Bo").await;
        join_by_link(&server, &ana, &bo, "edit").await;
        let mut bo_ws = ws(&server, &bo).await;
        // Bo claims to be Ana, in the subscribe and in the note.
        let answer = bo_ws
            .call("subscribe", json!({"board": "b", "person": {"clientId": me["clientId"], "name": "Ana", "color": "#000000"}}))
            .await;
        ack(&answer);
        let mut note = create("b", "op-bo", "n2", "Todo", 2.0);
        note["author"] = json!("Ana");
        ack(&bo_ws.call("note_create", note).await);
        let (_, people, _) =
            call(&server, Method::GET, "/boards/b/presence", Some(&ana), None).await;
        let names: Vec<(&str, &str)> = people["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["clientId"].as_str().unwrap(), p["name"].as_str().unwrap()))
            .collect();
        assert!(names.contains(&(bo_id.as_str(), "Bo")), "{people}");
        (me["clientId"].as_str().unwrap().to_owned(), bo_id)
    };
    assert_ne!(ana_id, bo_id);
    let (_, snap, _) = call(&server, Method::GET, "/boards/b", Some(&ana), None).await;
    let n2 = snap["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "n2")
        .unwrap();
    assert_eq!(n2["author"], "Bo", "{n2}");
}

#[tokio::test]
async fn a_websocket_handshake_from_an_origin_not_allowed_is_refused_even_with_a_valid_cookie() {
    let server = Server::start(private()).await;
    let (ana, _) = sign_in(&server, "Ana").await;
    let mut req = format!("ws://{}/ws", server.http.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("liveboard.v1"),
    );
    req.headers_mut()
        .insert("origin", HeaderValue::from_static("http://evil.example"));
    req.headers_mut()
        .insert("cookie", HeaderValue::from_str(&ana).unwrap());
    let err = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
        .await
        .expect("an answer in time")
        .expect_err("the handshake is refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => assert_eq!(res.status(), 403),
        other => panic!("expected a 403, got {other:?}"),
    }
}

#[tokio::test]
async fn an_event_stream_asked_for_by_another_origin_gets_no_cors_headers_so_its_page_cannot_read_it(
) {
    let server = Server::start(private()).await;
    let (ana, _ana_ws) = anas_board(&server).await;
    let open = |origin: &'static str| {
        let req = reqwest::Client::new()
            .get(server.url("/boards/b/events"))
            .header(header::ORIGIN, origin)
            .header(header::COOKIE, ana.clone());
        async move {
            tokio::time::timeout(WAIT, req.send())
                .await
                .unwrap()
                .unwrap()
        }
    };
    let foreign = open("http://evil.example").await;
    assert!(!foreign
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    assert!(!foreign
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    let ours = open(TEST_ORIGIN).await;
    assert_eq!(
        ours.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        TEST_ORIGIN
    );
    assert_eq!(
        ours.headers()[header::ACCESS_CONTROL_ALLOW_CREDENTIALS],
        "true"
    );
}

#[tokio::test]
async fn sessions_owners_and_members_survive_a_restart_and_the_key_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let config = || BoardConfig {
        access: AccessMode::Private,
        ..BoardConfig::in_dir(dir.path())
    };
    let server = Server::start(config()).await;
    let (ana, ana_ws) = anas_board(&server).await;
    let (bo, _) = sign_in(&server, "Bo").await;
    let (cy, _) = sign_in(&server, "Cy").await;
    join_by_link(&server, &ana, &bo, "view").await;
    ana_ws.close().await;
    server.stop().await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("session.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let server = Server::start(config()).await;
    let (status, _, _) = call(&server, Method::GET, "/session", Some(&ana), None).await;
    assert_eq!(status, StatusCode::OK, "the key was kept");
    let (status, _, _) = call(&server, Method::GET, "/boards/b", Some(&bo), None).await;
    assert_eq!(status, StatusCode::OK, "Bo is still a member");
    let (status, _, _) = call(&server, Method::GET, "/boards/b", Some(&cy), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Cy is still out");
    let (_, access, _) = call(&server, Method::GET, "/boards/b/access", Some(&ana), None).await;
    assert_eq!(access["owner"], true);
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_key_keeps_everyone_signed_in_and_get_session_moves_them_to_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let (old_key, new_key) = (dir.path().join("old.key"), dir.path().join("new.key"));
    let config = |key: &std::path::Path, previous: &[&std::path::Path]| BoardConfig {
        access: AccessMode::Private,
        session_secret_file: Some(key.to_owned()),
        session_secret_previous_files: previous.iter().map(|p| p.to_path_buf()).collect(),
        ..BoardConfig::in_dir(dir.path())
    };
    let server = Server::start(config(&old_key, &[])).await;
    let (ana_old, ana_ws) = anas_board(&server).await;
    ana_ws.close().await;
    server.stop().await;

    // Rotation: a new key signs, the old one still verifies.
    let server = Server::start(config(&new_key, &[&old_key])).await;
    let (status, me, headers) = call(&server, Method::GET, "/session", Some(&ana_old), None).await;
    assert_eq!(
        (status, me["name"].as_str()),
        (StatusCode::OK, Some("Ana")),
        "{me}"
    );
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    let ana_new = set.split(';').next().unwrap().to_owned();
    assert_ne!(ana_new, ana_old, "re-signed");
    assert!(set.contains("HttpOnly"), "{set}");
    // Meanwhile the old cookie is still Ana everywhere: her board, over the WebSocket.
    let (_, access, _) = call(
        &server,
        Method::GET,
        "/boards/b/access",
        Some(&ana_old),
        None,
    )
    .await;
    assert_eq!(access["owner"], true, "{access}");
    let mut client = ws(&server, &ana_old).await;
    client.subscribe("b", None).await;
    ack(&client
        .call("note_create", create("b", "op-2", "n2", "Todo", 2.0))
        .await);
    // The new cookie is current: nothing to renew.
    let (status, _, headers) = call(&server, Method::GET, "/session", Some(&ana_new), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::SET_COOKIE).is_none(), "{headers:?}");
    client.close().await;
    server.stop().await;

    // The old key dropped: its cookies are nobody's, the re-signed one is still Ana.
    let server = Server::start(config(&new_key, &[])).await;
    let (status, _, _) = call(&server, Method::GET, "/session", Some(&ana_old), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, access, _) = call(
        &server,
        Method::GET,
        "/boards/b/access",
        Some(&ana_new),
        None,
    )
    .await;
    assert_eq!(access["owner"], true, "{access}");
    server.stop().await;
}

#[tokio::test]
async fn an_open_server_lets_everyone_in_but_still_believes_a_session_over_a_claimed_name() {
    let server = Server::start(BoardConfig {
        access: AccessMode::Open,
        ..BoardConfig::in_memory()
    })
    .await;
    let (ana, _) = sign_in(&server, "Ana").await;
    let (status, _, _) = call(&server, Method::GET, "/boards/b", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let mut client = ws(&server, &ana).await;
    client.subscribe("b", None).await;
    let mut note = create("b", "op-1", "n1", "Todo", 1.0);
    note["author"] = json!("Mallory");
    ack(&client.call("note_create", note).await);
    let (_, snap, _) = call(&server, Method::GET, "/boards/b", None, None).await;
    assert_eq!(snap["notes"][0]["author"], "Ana");
}
