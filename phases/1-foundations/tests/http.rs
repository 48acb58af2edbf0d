//! The phase-1 server over a real socket: every answer a client can get, byte for byte
//! where it matters.

use std::sync::Arc;

use http::{Method, Response, StatusCode};
use phase_1_foundations::{body, health, json, testing::TestServer, Router, PHASE};
use serde_json::Value;
use tokio::sync::{oneshot, Mutex};

/// The phase-1 routes plus an echo route that reads JSON, as later phases will.
fn router() -> Router {
    health::routes(vec![PHASE], Default::default()).post("/echo", |req, _| async move {
        let v: Value = json::read_json(req, 1024).await?;
        Ok(json::json_response(StatusCode::OK, &v))
    })
}

async fn error_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    assert_eq!(res.headers()["content-type"], "application/json");
    (status, res.json().await.expect("error body is JSON"))
}

#[tokio::test]
async fn health_reports_ok_version_uptime_and_phases() {
    let server = TestServer::start(router()).await;
    let res = reqwest::get(server.url("/health")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["uptime_secs"].as_f64().unwrap() >= 0.0);
    assert_eq!(v["phases"][0]["number"], 1);
    assert_eq!(v["phases"][0]["slug"], "foundations");
    assert!(
        v.get("checks").is_none(),
        "no checks registered, none listed"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn health_says_degraded_and_why_while_a_registered_check_is_down() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use health::{CheckReport, HealthCheck, HealthChecks};
    /// A link whose state the test flips.
    struct Store(AtomicBool);
    impl HealthCheck for Store {
        fn name(&self) -> &str {
            "store"
        }
        fn report(&self) -> CheckReport {
            let up = self.0.load(Ordering::SeqCst);
            CheckReport {
                up,
                target: "redis://10.0.0.5:6379".into(),
                last_error: (!up).then(|| "connection refused".into()),
                disconnects: u64::from(!up),
            }
        }
    }
    let store = Arc::new(Store(AtomicBool::new(true)));
    let checks = HealthChecks::default();
    checks.register(store.clone());
    let server = TestServer::start(health::routes(vec![PHASE], checks)).await;
    let get = || async {
        let res = reqwest::get(server.url("/health")).await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "up or not, the process answers"
        );
        res.json::<Value>().await.unwrap()
    };
    let v = get().await;
    assert_eq!(v["status"], "ok");
    assert_eq!(v["checks"]["store"]["up"], true);
    store.0.store(false, Ordering::SeqCst);
    let v = get().await;
    assert_eq!(v["status"], "degraded");
    assert_eq!(v["checks"]["store"]["lastError"], "connection refused");
    assert_eq!(v["checks"]["store"]["disconnects"], 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let server = TestServer::start(router()).await;
    let (status, v) = error_of(reqwest::get(server.url("/nope")).await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
    assert!(v["error"]["message"].as_str().unwrap().contains("/nope"));
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405_with_allow() {
    let server = TestServer::start(router()).await;
    let res = reqwest::Client::new()
        .delete(server.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, HEAD");
    let (status, v) = error_of(res).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(v["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_cors_preflight_from_an_allowed_origin_is_answered() {
    let server = TestServer::start(router()).await;
    let res = reqwest::Client::new()
        .request(Method::OPTIONS, server.url("/echo"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let h = res.headers();
    assert_eq!(
        h.get_all("vary").iter().count(),
        1,
        "Vary: Origin exactly once"
    );
    assert_eq!(h["access-control-allow-origin"], "http://localhost:3000");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert!(h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("content-type"));
}

#[tokio::test]
async fn a_cors_preflight_from_a_foreign_origin_is_a_json_403() {
    let server = TestServer::start(router()).await;
    let res = reqwest::Client::new()
        .request(Method::OPTIONS, server.url("/echo"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let (status, v) = error_of(res).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["code"], "origin_not_allowed");
    // The person is told what happened; the setting behind it is for the operator.
    let (message, detail) = (
        v["error"]["message"].as_str(),
        v["error"]["detail"].as_str(),
    );
    assert!(!message.unwrap().contains("LIVEBOARD_"), "{v}");
    assert!(detail.unwrap().contains("LIVEBOARD_ALLOWED_ORIGINS"), "{v}");
}

#[tokio::test]
async fn a_simple_request_from_an_allowed_origin_gets_allow_origin() {
    let server = TestServer::start(router()).await;
    let res = reqwest::Client::new()
        .get(server.url("/health"))
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(res.headers()["vary"], "Origin");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_json_413() {
    let server = TestServer::start(router()).await;
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(2000));
    let res = reqwest::Client::new()
        .post(server.url("/echo"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, v) = error_of(res).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(v["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn malformed_json_is_a_json_400_with_line_and_column() {
    let server = TestServer::start(router()).await;
    let res = reqwest::Client::new()
        .post(server.url("/echo"))
        .header("content-type", "application/json")
        .body("{\"a\": 1,\n \"b\": }")
        .send()
        .await
        .unwrap();
    let (status, v) = error_of(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "malformed_json");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 2, column 7"),
        "{v}"
    );
}

#[tokio::test]
async fn a_wrong_content_type_is_a_json_415() {
    let server = TestServer::start(router()).await;
    let res = reqwest::Client::new()
        .post(server.url("/echo"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, v) = error_of(res).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(v["error"]["code"], "unsupported_media_type");
}

#[tokio::test]
async fn valid_json_is_echoed() {
    let server = TestServer::start(router()).await;
    let res = reqwest::Client::new()
        .post(server.url("/echo"))
        .header("content-type", "application/json")
        .body(r#"{"note":"hello"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["note"], "hello");
}

#[tokio::test]
async fn shutdown_stops_accepting_but_lets_the_in_flight_request_finish() {
    // A route that tells the test it has started, then waits for the test's go-ahead.
    let (entered_tx, entered_rx) = oneshot::channel::<()>();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let entered = Arc::new(Mutex::new(Some(entered_tx)));
    let release = Arc::new(Mutex::new(Some(release_rx)));
    let router = Router::new().get("/slow", move |_req, _| {
        let entered = entered.clone();
        let release = release.clone();
        async move {
            if let Some(tx) = entered.lock().await.take() {
                let _ = tx.send(());
            }
            if let Some(rx) = release.lock().await.take() {
                let _ = rx.await;
            }
            Ok(Response::new(body::full("finished")))
        }
    });
    let mut server = TestServer::start(router).await;
    let url = server.url("/slow");
    let in_flight = tokio::spawn(async move { reqwest::get(url).await?.text().await });

    entered_rx.await.expect("handler entered");
    server.begin_shutdown();
    server.wait_until_refusing().await;
    assert!(
        !in_flight.is_finished(),
        "the in-flight request must still be pending"
    );

    release_tx.send(()).unwrap();
    let text = in_flight
        .await
        .unwrap()
        .expect("in-flight request completes");
    assert_eq!(text, "finished");
    server.shutdown().await.unwrap();
}
