//! [`WebSocket`]: phase 3 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! * **builds** [`WsState`] on the hub and presence phase 2 left in the services (or a
//!   hub and presence of its own, for a server without phase 2), checking origins
//!   against the server's `--allowed-origins` and boards against the access rules a later
//!   phase may provide, and stores it for the modules after it; its connections are
//!   served by the [`WsTransport`] a later phase provides (phase 6 may), or
//!   [`HandRolled`](crate::HandRolled);
//! * **routes**: `/ws` (with a later phase's [`BoardExtensionFactory`], if one was
//!   provided: phase 4's notes), `/ws/echo`, `/ws/stats`;
//! * **stops**: when shutdown begins, every WebSocket gets a Close 1001 (going away),
//!   whose reason carries a retry hint if a later phase provided [`ShutdownAdvice`]. The
//!   connection tasks run on the server's tracker, so the server's drain waits for their
//!   closing handshakes (each within `--ws-close-timeout-ms`) — upgraded connections are
//!   no longer the HTTP server's.

use std::sync::Arc;

use phase_1_foundations::{
    cors::CorsPolicy, module::ShutdownFuture, Module, PhaseInfo, Router, ServerConfig, Services,
    ShutdownAdvice, ShutdownTree, StartError,
};
use phase_2_sse::{
    access::SharedAccess,
    presence::{BoardPresence, Presence},
    Hub, HubLimits, RetryAdvice,
};

use crate::{
    board::session::Greeting,
    routes,
    server::routes::{BoardExtensionFactory, DEFAULT_RETRY_MS},
    server::transport::WsTransport,
    WsConfig, WsState,
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
        let presence = services
            .get_or_insert_with(|| -> Arc<dyn BoardPresence> { Presence::new(hub.clone()) });
        // What later phases provide: advice on when to come back (phase 2 stores its own
        // if no later phase gave better) and a greeting after `welcome` (phase 5).
        let retry = services.get_or_insert_with(|| RetryAdvice::fixed(DEFAULT_RETRY_MS));
        let greeting = services.get::<Greeting>().cloned().unwrap_or_default();
        let access = services.get_or_insert_with(SharedAccess::default);
        let tasks = services.require::<ShutdownTree>()?.tasks().clone();
        let state = WsState::with_advice(
            self.config.clone(),
            origins,
            hub,
            presence,
            tasks,
            retry,
            greeting,
            access,
        );
        let state = match services.get::<Arc<dyn WsTransport>>() {
            Some(transport) => state.with_transport(transport.clone()),
            None => state,
        };
        services.insert(state.clone());
        Ok(match services.get::<BoardExtensionFactory>() {
            Some(extension) => extension.routes(state),
            None => routes(state),
        })
    }

    fn begin_shutdown<'a>(&'a self, services: &'a Services) -> ShutdownFuture<'a> {
        Box::pin(async move {
            if let Some(state) = services.get::<Arc<WsState>>() {
                state.close_all(services.get::<ShutdownAdvice>()).await;
            }
        })
    }
}
// ANCHOR_END: websocket_module
