//! Phase 3's conformance suite (`phase_3_websocket::conformance`: every close path, an
//! independent client's view, the board protocol) against both transports phase 6 serves,
//! side by side in one server: phases 1–3 and phase 6, with `/ws/hand-rolled[/echo]` and
//! `/ws/tungstenite[/echo]`. One list of cases, two runs; where RFC 6455 lets the two
//! answer differently, `Expectations` says how, and each answer is asserted exactly.

use std::sync::Arc;

use phase_1_foundations::{
    testing::{self, spawn_app},
    Composition,
};
use phase_2_sse::{Sse, SseConfig};
use phase_3_websocket::{
    conformance::{Expectations, StartedServer, Transport},
    WebSocket, WsConfig, WsState,
};
use phase_6_third_party::{ThirdParty, ThirdPartyConfig};

/// Phases 1–3 and 6 with `config` (the board protocol of phase 3, without phase 4's notes:
/// the suite is about the transport).
async fn start(config: WsConfig) -> StartedServer {
    let server = spawn_app(
        Composition::new(testing::server_config())
            .module(Sse::new(SseConfig::default()))
            .module(WebSocket::new(config))
            .module(ThirdParty::new(ThirdPartyConfig::default())),
    )
    .await;
    let state = server
        .services()
        .require::<Arc<WsState>>()
        .expect("phase 3 stores its state")
        .clone();
    StartedServer::new(server.addr, state, server)
}

mod hand_rolled {
    use super::*;

    phase_3_websocket::conformance_suite!(
        start,
        Transport {
            name: "hand-rolled",
            board_path: "/ws/hand-rolled",
            echo_path: "/ws/hand-rolled/echo",
            expect: Expectations::hand_rolled(),
        }
    );
}

mod tungstenite {
    use super::*;

    phase_3_websocket::conformance_suite!(
        start,
        Transport {
            name: "tungstenite",
            board_path: "/ws/tungstenite",
            echo_path: "/ws/tungstenite/echo",
            expect: Expectations::tungstenite(),
        }
    );
}
