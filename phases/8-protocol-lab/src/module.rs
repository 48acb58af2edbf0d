//! [`ProtocolLab`]: phase 8 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! * **takes** what phases 1–4 built: the board's log ([`SharedBoardStore`]), the hub
//!   whose rooms wake held requests, the access rules ([`SharedAccess`]), the retry advice
//!   and, if phase 5 is in the server, its shutdown advice, and the [`ShutdownTree`];
//! * **routes**: `GET /boards/:board/poll` ([`crate::poll`]);
//! * **stops** through the tree, with no hook of its own: held requests take the token of
//!   never-ending responses, so when the event streams end (after the WebSockets'
//!   goodbyes), every held poll answers at once and the HTTP drain can finish.

use std::sync::Arc;

use phase_1_foundations::{
    Module, PhaseInfo, RetryAdvice, Router, Services, ShutdownAdvice, ShutdownTree, StartError,
};
use phase_2_sse::{access::SharedAccess, Hub};
use phase_4_board::store::SharedBoardStore;
use tokio::sync::Semaphore;

use crate::{
    config::ProtocolLabConfig,
    poll::{poll, PollState},
};

// ANCHOR: protocol_lab_module
/// Phase 8's module: the board's log over plain HTTP.
#[derive(Debug, Clone)]
pub struct ProtocolLab {
    config: ProtocolLabConfig,
}

impl ProtocolLab {
    /// The module with these settings.
    pub fn new(config: ProtocolLabConfig) -> Self {
        Self { config }
    }
}

impl Module for ProtocolLab {
    fn phase(&self) -> PhaseInfo {
        crate::PHASE
    }

    fn build(&self, services: &mut Services) -> Result<Router, StartError> {
        let mut config = self.config.clone();
        // A semaphore counts at most `MAX_PERMITS` (2^61 - 1): more than any server holds.
        config.max_held = config.max_held.min(Semaphore::MAX_PERMITS);
        let state = Arc::new(PollState {
            store: services.require::<SharedBoardStore>()?.0.clone(),
            hub: services.require::<Arc<Hub>>()?.clone(),
            access: services.require::<SharedAccess>()?.clone(),
            held: Arc::new(Semaphore::new(config.max_held)),
            config,
            retry: services.require::<RetryAdvice>()?.clone(),
            shutdown_advice: services.get::<ShutdownAdvice>().cloned(),
            stop: services.require::<ShutdownTree>()?.streams(),
        });
        services.insert(state.clone());
        Ok(
            Router::new().get("/boards/:board/poll", move |req, params| {
                let state = state.clone();
                async move { poll(&state, req, params).await }
            }),
        )
    }
}
// ANCHOR_END: protocol_lab_module
