//! Phase 3's conformance suite (`phase_3_websocket::conformance`) against phase 3's own
//! server: the hand-rolled transport on `/ws` and `/ws/echo`. Phase 6 runs the same cases
//! against each transport it serves.

mod common;

use phase_3_websocket::{
    conformance::{Expectations, StartedServer, Transport},
    WsConfig,
};

/// Phase 3's server (modules 1–3) with `config`.
async fn start(config: WsConfig) -> StartedServer {
    let server = common::Server::start(config).await;
    StartedServer::new(server.addr(), server.state.clone(), server)
}

phase_3_websocket::conformance_suite!(
    start,
    Transport {
        name: "hand-rolled",
        board_path: "/ws",
        echo_path: "/ws/echo",
        expect: Expectations::hand_rolled(),
    }
);
