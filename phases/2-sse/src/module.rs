//! [`Sse`]: phase 2 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! * **provides** the hub's limits, for a later phase that builds the hub itself (phase 4
//!   numbers it by its event log);
//! * **builds** the hub and presence (or takes those a later phase provided: phase 4's
//!   hub numbered by its log; an `Arc<dyn BoardPresence>` shared by servers) and
//!   [`SseState`] (checking the [`SharedAccess`] rules a later phase may provide), and
//!   stores all three for the modules after it: phase 3's WebSockets join the same rooms
//!   and the same presence lists;
//! * **routes**: `/boards/:board/events`, `/boards/:board/presence`,
//!   `/boards/:board/messages`, `/stats`;
//! * **stops** through the server's cancellation tree (no hook of its own): after the
//!   WebSockets' goodbyes every event stream sends what is queued, a last `retry:` drawn
//!   from the [`ShutdownAdvice`] a later phase may provide, and a last comment, so the
//!   HTTP drain does not wait out its deadline on bodies that never end.

use std::sync::Arc;

use phase_1_foundations::{
    Module, PhaseInfo, Router, ServerConfig, Services, ShutdownAdvice, ShutdownTree, StartError,
};

use crate::{
    access::SharedAccess,
    config::SseConfig,
    hub::Hub,
    presence::{BoardPresence, Presence},
    retry::RetryAdvice,
    routes,
    stream::StreamStop,
    HubLimits, SseState,
};

// ANCHOR: sse_module
/// Phase 2's module: event streams and presence on a hub.
#[derive(Debug, Clone)]
pub struct Sse {
    config: SseConfig,
}

impl Sse {
    /// The module with these settings.
    pub fn new(config: SseConfig) -> Self {
        Self { config }
    }
}

impl Module for Sse {
    fn phase(&self) -> PhaseInfo {
        crate::PHASE
    }

    fn provide(&self, services: &mut Services) -> Result<(), StartError> {
        services.insert::<HubLimits>(self.config.hub_limits());
        Ok(())
    }

    fn build(&self, services: &mut Services) -> Result<Router, StartError> {
        let max_body_bytes = services.require::<ServerConfig>()?.max_body_bytes;
        let hub = services.get_or_insert_with(|| Hub::new(self.config.hub_limits()));
        // A later phase may have provided better advice than the fixed `--sse-retry-ms`.
        let retry = services.get_or_insert_with(|| RetryAdvice::fixed(self.config.retry_ms));
        let stop = StreamStop {
            token: services.require::<ShutdownTree>()?.streams(),
            advice: services.get::<ShutdownAdvice>().cloned(),
        };
        // A later phase may have provided access rules (phase 4: owners and share links).
        let access = services.get_or_insert_with(SharedAccess::default);
        // A later phase may have provided presence shared by several servers (phase 7).
        let presence = services
            .get_or_insert_with(|| -> Arc<dyn BoardPresence> { Presence::new(hub.clone()) });
        let state = SseState::with_advice(
            hub,
            self.config.clone(),
            max_body_bytes,
            retry,
            stop,
            access,
            presence,
        );
        services.insert(state.clone());
        Ok(routes(state))
    }
}
// ANCHOR_END: sse_module
