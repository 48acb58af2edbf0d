//! [`ThirdParty`]: phase 6 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! * **provides**, before phase 3 builds, the transport that serves `/ws` and `/ws/echo`
//!   (`--ws-transport`), so phase 3 mounts its routes exactly as before, on whichever
//!   transport was chosen;
//! * **routes**: both transports side by side — `/ws/hand-rolled`, `/ws/hand-rolled/echo`,
//!   `/ws/tungstenite`, `/ws/tungstenite/echo` — on phase 3's state (one hub, one registry,
//!   one connection limit, one shutdown), with phase 4's notes on the board paths when
//!   phase 4 is in the server; and `/ws/transports`, the connections each one served.
//!
//! Nothing else changes: phase 4's notes, phase 5's heartbeat and shutdown reach
//! connections through the registry and the session, which both transports share.

use std::sync::Arc;

use phase_1_foundations::{json::json_response, Module, PhaseInfo, Router, Services, StartError};
use phase_3_websocket::{
    server::connection::HandRolled, server::routes::BoardExtensionFactory, WsState, WsTransport,
};
use serde::Serialize;

use crate::{
    config::{ThirdPartyConfig, TransportChoice},
    counted::{Counted, TransportCounts},
    tungstenite::TungsteniteTransport,
};

// ANCHOR: third_party_module
/// Phase 6's module: a library's WebSocket transport beside ours.
pub struct ThirdParty {
    config: ThirdPartyConfig,
    hand_rolled: Arc<Counted>,
    tungstenite: Arc<Counted>,
}

impl ThirdParty {
    /// The module with these settings.
    pub fn new(config: ThirdPartyConfig) -> Self {
        let tungstenite = TungsteniteTransport {
            read_buffer_bytes: config.tungstenite_read_buffer_bytes,
        };
        Self {
            config,
            hand_rolled: Counted::new(Arc::new(HandRolled)),
            tungstenite: Counted::new(Arc::new(tungstenite)),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ThirdPartyConfig {
        &self.config
    }

    fn transport(&self, choice: TransportChoice) -> &Arc<Counted> {
        match choice {
            TransportChoice::HandRolled => &self.hand_rolled,
            TransportChoice::Tungstenite => &self.tungstenite,
        }
    }
}

impl Module for ThirdParty {
    fn phase(&self) -> PhaseInfo {
        crate::PHASE
    }

    fn provide(&self, services: &mut Services) -> Result<(), StartError> {
        // Phase 3 builds after this pass and serves `/ws` with it.
        let serving: Arc<dyn WsTransport> = self.transport(self.config.transport).clone();
        services.insert(serving);
        Ok(())
    }

    fn build(&self, services: &mut Services) -> Result<Router, StartError> {
        let ws = services.require::<Arc<WsState>>()?.clone();
        let notes = services.get::<BoardExtensionFactory>().cloned();
        let mut router = Router::new();
        for choice in TransportChoice::ALL {
            let state = ws.with_transport(self.transport(choice).clone());
            let base = format!("/ws/{}", choice.name());
            router = router.merge(match &notes {
                Some(notes) => notes.routes_at(state, &base),
                None => phase_3_websocket::server::routes::routes_at(state, &base),
            });
        }
        let serving = self.config.transport;
        let counted = [self.hand_rolled.clone(), self.tungstenite.clone()];
        Ok(router.get("/ws/transports", move |_req, _params| {
            let body = Transports {
                serving: serving.name(),
                transports: counted.iter().map(|t| t.snapshot()).collect(),
            };
            async move { Ok(json_response(http::StatusCode::OK, &body)) }
        }))
    }
}
// ANCHOR_END: third_party_module

/// `GET /ws/transports`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Transports {
    /// The transport behind `/ws` and `/ws/echo` (`--ws-transport`).
    serving: &'static str,
    /// Each transport's connections, whichever path they came by.
    transports: Vec<TransportCounts>,
}
