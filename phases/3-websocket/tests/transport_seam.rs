//! The transport seam, used from outside the crate as phase 6 will: a transport written
//! here, provided by a module of its own, serves the phase-3 server's connections. It
//! hands the connection on to the hand-rolled transport, wrapping the session it was
//! given, so every piece it touches is public API.

mod common;

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use bytes::Bytes;
use common::{quick_config, WAIT};
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use phase_1_foundations::{
    testing::{self, spawn_app},
    Composition, Module, PhaseInfo, Router, Services, StartError,
};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{
    AcceptedConnection, BroadcastFraming, HandRolled, Session, SessionContext, WebSocket, WsState,
    WsTransport,
};
use tokio_tungstenite::{connect_async, tungstenite::Message};
use tokio_util::task::TaskTracker;

/// Counts the connections it serves and greets each one first.
struct Greeter {
    served: Arc<AtomicUsize>,
}

/// The session the route built, with a greeting of the transport's in front.
struct Greeted(Box<dyn Session>);

impl Session for Greeted {
    fn on_open(&mut self, cx: &mut SessionContext) {
        cx.send_text(format!(
            "served by the greeter, connection {}",
            cx.connection_id()
        ));
        self.0.on_open(cx);
    }
    fn on_text(&mut self, text: String, cx: &mut SessionContext) {
        self.0.on_text(text, cx);
    }
    fn on_binary(&mut self, data: Bytes, cx: &mut SessionContext) {
        self.0.on_binary(data, cx);
    }
}

impl WsTransport for Greeter {
    fn name(&self) -> &'static str {
        "greeter"
    }
    fn broadcast_framing(&self) -> BroadcastFraming {
        HandRolled.broadcast_framing()
    }
    fn spawn(&self, tasks: &TaskTracker, upgrade: OnUpgrade, mut connection: AcceptedConnection) {
        self.served.fetch_add(1, Ordering::Relaxed);
        connection.session = Box::new(Greeted(connection.session));
        HandRolled.spawn(tasks, upgrade, connection);
    }
}

/// A later phase's module: it provides the transport phase 3 serves with.
struct ProvidesTransport(Arc<dyn WsTransport>);

impl Module for ProvidesTransport {
    fn phase(&self) -> PhaseInfo {
        PhaseInfo {
            number: 6,
            slug: "transport-test",
            title: "A test transport",
        }
    }
    fn provide(&self, services: &mut Services) -> Result<(), StartError> {
        services.insert(self.0.clone());
        Ok(())
    }
    fn build(&self, _services: &mut Services) -> Result<Router, StartError> {
        Ok(Router::new())
    }
}

async fn next<S: StreamExt<Item = Result<Message, E>> + Unpin, E: std::fmt::Debug>(
    ws: &mut S,
) -> Message {
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a message in time")
        .expect("the connection is open")
        .expect("a valid message")
}

#[tokio::test]
async fn a_transport_provided_by_a_later_module_serves_the_connections_with_their_sessions() {
    let served = Arc::new(AtomicUsize::new(0));
    let transport: Arc<dyn WsTransport> = Arc::new(Greeter {
        served: served.clone(),
    });
    let composition = Composition::new(testing::server_config())
        .module(Sse::new(SseConfig::default()))
        .module(WebSocket::new(quick_config()))
        .module(ProvidesTransport(transport));
    let server = spawn_app(composition).await;
    let state = server.services().require::<Arc<WsState>>().unwrap().clone();
    assert_eq!(state.transport().name(), "greeter");

    let url = format!("ws://{}/ws/echo", server.addr);
    let (mut ws, _) = tokio::time::timeout(WAIT, connect_async(url))
        .await
        .expect("handshake in time")
        .expect("handshake accepted");
    let greeting = next(&mut ws).await;
    assert!(
        greeting
            .to_text()
            .unwrap()
            .starts_with("served by the greeter"),
        "{greeting:?}"
    );
    ws.send(Message::text("through the seam")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("through the seam"));
    assert_eq!(served.load(Ordering::Relaxed), 1);
    ws.close(None).await.unwrap();
}
