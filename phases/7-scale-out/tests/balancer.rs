//! The deployment's load balancer: a real HAProxy, configured from `deploy/haproxy.cfg.in`
//! exactly as `make scale` and Docker configure it, in front of instances of the phase 7
//! server over a real `nats-server` and `redis-server`, all on 127.0.0.1. A client whose
//! instance is killed comes back through the balancer on another and resumes without
//! losing an event; event streams pass unbuffered; `/i/<name>/…` pins a request to one
//! instance. Clients are phase 4's test clients; every wait has a timeout.

#[path = "../../4-board/tests/common/mod.rs"]
mod board;
mod common;

use board::{ack, create, Client, Feed, WAIT};
use common::{
    balancer::{render, Balancer, DEPLOY},
    next_seqs, until, write_notes, Instance, NatsServer, RedisServer,
};
use tokio::time::{sleep, timeout, Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// How many WebSockets each instance holds (`GET /ws/stats`, asked of each directly).
async fn open_sockets(instances: &[Instance]) -> Vec<u64> {
    let mut counts = Vec::with_capacity(instances.len());
    for instance in instances {
        let stats = instance.get_json("/ws/stats").await;
        counts.push(stats["websockets"]["open"].as_u64().expect("an open count"));
    }
    counts
}

/// The index of the instance holding the one open WebSocket, once exactly one is open.
async fn holder_of_the_only_socket(instances: &[Instance]) -> usize {
    let deadline = Instant::now() + WAIT;
    loop {
        let counts = open_sockets(instances).await;
        if counts.iter().sum::<u64>() == 1 {
            return counts.iter().position(|&c| c == 1).expect("one count is 1");
        }
        assert!(
            Instant::now() < deadline,
            "not exactly one WebSocket open within {WAIT:?}: {counts:?}"
        );
        sleep(Duration::from_millis(20)).await;
    }
}

// ANCHOR: balancer_failover_test
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_backend_killed_its_clients_reconnect_through_the_balancer_to_another_and_resume_without_loss(
) {
    let dir = tempfile::tempdir().unwrap();
    let (store, bus) = (RedisServer::start(), NatsServer::start());
    let mut instances = Vec::new();
    for name in ["a", "b", "c"] {
        instances.push(Instance::start(name, &store, &bus).await);
    }
    let balancer = Balancer::start(dir.path(), &instances.iter().collect::<Vec<_>>()).await;

    let mut ana = Client::connect(&balancer.ws("/ws")).await;
    ana.subscribe("demo", None).await;
    let holder = holder_of_the_only_socket(&instances).await;
    assert_eq!(
        write_notes(&balancer.ws("/ws"), "demo", "before", 3).await,
        [1, 2, 3]
    );
    let mut position = String::new();
    for _ in 0..3 {
        position = ana.note_event().await["payload"]["position"]
            .as_str()
            .expect("a position")
            .to_owned();
    }

    // Ana's instance crashes: the balancer drops her connection.
    instances.remove(holder).kill().await;
    let dropped = timeout(WAIT, async {
        while let Some(message) = ana.raw_next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    assert!(dropped.is_ok(), "Ana's connection outlived her instance");
    // While she is away the board goes on, through the balancer, on the live instances
    // (a request sent to the dead one before its health check fails is redispatched).
    assert_eq!(
        write_notes(&balancer.ws("/ws"), "demo", "during", 4).await,
        [4, 5, 6, 7]
    );

    // She reconnects to the same address and resumes from her last position.
    let mut back = Client::connect(&balancer.ws("/ws")).await;
    let ready = back.subscribe("demo", Some(&position)).await;
    assert_eq!(
        ready["type"], "ready",
        "the position is valid elsewhere: {ready}"
    );
    assert_eq!(ready["payload"]["recovered"], true, "{ready}");
    assert_eq!(
        next_seqs(&mut back, 4).await,
        [4, 5, 6, 7],
        "exactly the missed events"
    );
    // And live again: the next event is the next number (nothing replayed twice).
    write_notes(&balancer.ws("/ws"), "demo", "after", 1).await;
    assert_eq!(next_seqs(&mut back, 1).await, [8]);
}
// ANCHOR_END: balancer_failover_test

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_through_the_balancer_delivers_each_event_while_it_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let (store, bus) = (RedisServer::start(), NatsServer::start());
    let a = Instance::start("a", &store, &bus).await;
    let b = Instance::start("b", &store, &bus).await;
    let balancer = Balancer::start(dir.path(), &[&a, &b]).await;

    // A buffering proxy would hold these bytes until the response ends, which it never
    // does: the first event arriving is the proof.
    let mut feed = Feed::open(&balancer.url("/boards/feed/events"), None).await;
    assert_eq!(feed.next_event().await.event, "ready");
    let mut writer = Client::connect(&balancer.ws("/ws")).await;
    let answer = writer
        .call(
            "note_create",
            create("feed", "op-1", "streamed", "Todo", 1.0),
        )
        .await;
    ack(&answer);
    let mut kinds = Vec::new();
    let created = loop {
        let event = feed.next_event().await;
        if event.event == "note.created" {
            break event;
        }
        kinds.push(event.event);
        assert!(kinds.len() < 10, "no note.created among {kinds:?}");
    };
    assert!(created.data.contains("streamed"), "{}", created.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_path_reaches_only_its_instance_and_a_dead_pin_answers_503_instead_of_another() {
    let dir = tempfile::tempdir().unwrap();
    let (store, bus) = (RedisServer::start(), NatsServer::start());
    let a = Instance::start("a", &store, &bus).await;
    let b = Instance::start("b", &store, &bus).await;
    let balancer = Balancer::start(dir.path(), &[&a, &b]).await;

    // Never alternating: balancing alone could pass an alternating sequence.
    for name in ["a", "a", "a", "b", "b", "b"] {
        let (status, body) = balancer.get(&format!("/i/{name}/scale/instance")).await;
        assert_eq!(
            (status, body["instance"].as_str()),
            (200, Some(name)),
            "{body}"
        );
    }
    let (status, body) = balancer.get("/i/nobody/health").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "unknown_instance", "{body}");

    // A WebSocket pinned to b is held by b.
    let _pinned = Client::connect(&balancer.ws("/i/b/ws")).await;
    let mut instances = vec![a, b];
    assert_eq!(holder_of_the_only_socket(&instances).await, 1);

    instances.remove(0).kill().await;
    until(WAIT, "a's pin answers 503", || async {
        balancer.get("/i/a/scale/instance").await.0 == 503
    })
    .await;
    let (_, body) = balancer.get("/i/a/scale/instance").await;
    assert_eq!(body["error"]["code"], "no_instance", "{body}");
    let (status, body) = balancer.get("/scale/instance").await;
    assert_eq!(
        (status, body["instance"].as_str()),
        (200, Some("b")),
        "{body}"
    );
}

/// The `Access-Control-Allow-Origin` values of a response (one, or none).
fn allowed_origins(headers: &reqwest::header::HeaderMap) -> Vec<String> {
    headers
        .get_all("access-control-allow-origin")
        .iter()
        .map(|v| v.to_str().unwrap_or("(not text)").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_balancer_s_own_answers_carry_cors_headers_for_an_allowed_origin_only() {
    // The instances' default --allowed-origins, and the renderer's default --origins.
    const PAGE: &str = "http://localhost:3000";
    let dir = tempfile::tempdir().unwrap();
    let (store, bus) = (RedisServer::start(), NatsServer::start());
    let a = Instance::start("a", &store, &bus).await;
    let balancer = Balancer::start(dir.path(), &[&a]).await;

    // HAProxy's own 404 (an unknown pin): the page may read it, another site may not.
    let (status, headers, body) = balancer.get_from("/i/nobody/health", Some(PAGE)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "unknown_instance", "{body}");
    assert_eq!(allowed_origins(&headers), [PAGE], "{headers:?}");
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let mut vary = headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok());
    assert!(vary.any(|v| v.contains("Origin")), "{headers:?}");
    let (_, headers, _) = balancer
        .get_from("/i/nobody/health", Some("http://elsewhere.example"))
        .await;
    assert!(allowed_origins(&headers).is_empty(), "{headers:?}");

    // An instance's answer passes as it is: one Access-Control-Allow-Origin, not two.
    let (status, headers, _) = balancer.get_from("/health", Some(PAGE)).await;
    assert_eq!(status, 200);
    assert_eq!(allowed_origins(&headers), [PAGE], "{headers:?}");

    // No instance left: HAProxy's 503 (an `http-error` of its defaults) is readable too.
    a.kill().await;
    until(WAIT, "the balancer answers 503", || async {
        balancer.get("/health").await.0 == 503
    })
    .await;
    let (_, headers, body) = balancer.get_from("/health", Some(PAGE)).await;
    assert_eq!(body["error"]["code"], "no_instance", "{body}");
    assert_eq!(allowed_origins(&headers), [PAGE], "{headers:?}");
}

#[test]
fn the_compose_balancer_configuration_is_the_template_rendered_for_three_containers() {
    let args = [
        "--resolver",
        "127.0.0.11:53",
        ":8000",
        "a=backend-a:8080",
        "b=backend-b:8080",
        "c=backend-c:8080",
    ]
    .map(str::to_owned);
    let rendered = render(&args);
    let path = format!("{DEPLOY}/haproxy.cfg");
    if std::env::var("LIVEBOARD_UPDATE_GENERATED").is_ok_and(|v| v == "1") {
        std::fs::write(&path, rendered).expect("write deploy/haproxy.cfg");
        return;
    }
    let committed = std::fs::read_to_string(&path).expect("deploy/haproxy.cfg exists");
    assert!(
        committed == rendered,
        "deploy/haproxy.cfg is stale: LIVEBOARD_UPDATE_GENERATED=1 cargo test -p phase-7-scale-out --test balancer"
    );
}
