//! [`WebSocket`]: phase 3 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! * **builds** [`WsState`] on the hub and presence phase 2 left in the services (or a
//!   hub and presence of its own, for a server without phase 2), checking origins
//!   against the server's `--allowed-origins`, and stores it for the modules after it;
//! * **routes**: `/ws` (with a later phase's [`BoardExtensionFactory`], if one was
//!   provided: phase 4's notes), `/ws/echo`, `/ws/stats`;
//! * **stops** in two steps: when shutdown begins, every WebSocket gets a Close 1001
//!   (going away); after the HTTP drain — upgraded connections are no longer the HTTP
//!   server's — it waits for their closing handshakes, within `--ws-close-timeout-ms`.

use std::sync::Arc;

use phase_1_foundations::{
    cors::CorsPolicy, module::ShutdownFuture, Module, PhaseInfo, Router, ServerConfig, Services,
    StartError,
};
use phase_2_sse::{presence::Presence, Hub, HubLimits, RetryAdvice};

use crate::{
    board::session::Greeting,
    routes,
    server::routes::{BoardExtensionFactory, DEFAULT_RETRY_MS},
    CloseCode, WsConfig, WsState,
};

// ANCHOR: websocket_module
/// Phase 3's module: WebSockets on the shared hub.
#[derive(Debug, Clone)]
pub struct WebSocket {
    config: WsConfig,
}

impl WebSocket {
    /// The module with these settings.
    pub fn new(config: WsConfig) -> Self {
        Self { config }
    }
}

impl Module for WebSocket {
    fn phase(&self) -> PhaseInfo {
        crate::PHASE
    }

    fn build(&self, services: &mut Services) -> Result<Router, StartError> {
        let origins = CorsPolicy::new(services.require::<ServerConfig>()?.allowed_origins.clone());
        let hub = services.get_or_insert_with(|| Hub::new(HubLimits::default()));
        let presence = services.get_or_insert_with(|| Presence::new(hub.clone()));
        // What later phases provide: advice on when to come back (phase 2 stores its own
        // if no later phase gave better) and a greeting after `welcome` (phase 5).
        let retry = services.get_or_insert_with(|| RetryAdvice::fixed(DEFAULT_RETRY_MS));
        let greeting = services.get::<Greeting>().cloned().unwrap_or_default();
        let state =
            WsState::with_advice(self.config.clone(), origins, hub, presence, retry, greeting);
        services.insert(state.clone());
        Ok(match services.get::<BoardExtensionFactory>() {
            Some(extension) => extension.routes(state),
            None => routes(state),
        })
    }

    fn begin_shutdown(&self, services: &Services) {
        if let Some(state) = services.get::<Arc<WsState>>() {
            state.registry().close_all(CloseCode::GoingAway);
        }
    }

    fn finish_shutdown<'a>(&'a self, services: &'a Services) -> ShutdownFuture<'a> {
        Box::pin(async move {
            if let Some(state) = services.get::<Arc<WsState>>() {
                if !state.shutdown(self.config.close_timeout()).await {
                    tracing::warn!("websocket closing handshakes passed their deadline");
                }
            }
        })
    }
}
// ANCHOR_END: websocket_module
