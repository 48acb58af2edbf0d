//! [`Hardening`]: phase 5 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! It comes after phases 2–4 in the list and changes none of their wiring: in the
//! *provide* pass it hands them what they ask for when they build —
//!
//! * a [`Greeting`]: the `connection.policy` message every `/ws` connection gets right
//!   after `welcome`, so every client learns the backoff contract and the heartbeat timing
//!   from the server it talks to;
//! * a [`RetryAdvice`] drawn at random for every client (full jitter over the window of a
//!   second attempt), which phase 2 sends as each stream's `retry:` and phase 2 and 3 as
//!   the `Retry-After` of a `503` and the retry hint of a 1013 — instead of one fixed
//!   number that brings every client back at the same instant —
//!
//! * a [`ShutdownAdvice`](phase_1_foundations::ShutdownAdvice) that the goodbyes of phases
//!   2 and 3 draw their retry hints from, spread over `--shutdown-spread-ms` —
//!
//! and in the *build* pass it starts the [`heartbeat`](crate::heartbeat) task on phase 3's
//! registry, on a branch of the server's cancellation tree.

use std::sync::Arc;

use phase_1_foundations::{Module, PhaseInfo, Router, Services, ShutdownTree, StartError};
use phase_2_sse::RetryAdvice;
use phase_3_websocket::{Greeting, WsState};

use crate::{
    backoff::BackoffPolicy, config::HardeningConfig, heartbeat, protocol::HardeningServerEvent,
};

// ANCHOR: hardening_module
/// Phase 5's module: the reconnection contract and heartbeats.
#[derive(Debug, Clone)]
pub struct Hardening {
    config: HardeningConfig,
}

impl Hardening {
    /// The module with these settings.
    pub fn new(config: HardeningConfig) -> Self {
        Self { config }
    }

    /// The settings.
    pub fn config(&self) -> &HardeningConfig {
        &self.config
    }

    /// The `connection.policy` message every `/ws` connection gets after `welcome`.
    pub fn policy_message(&self) -> String {
        HardeningServerEvent::ConnectionPolicy(self.config.connection_policy()).to_json()
    }
}

impl Module for Hardening {
    fn phase(&self) -> PhaseInfo {
        crate::PHASE
    }

    fn provide(&self, services: &mut Services) -> Result<(), StartError> {
        services.insert(Greeting(Arc::from([self.policy_message()])));
        services.insert(drawn_advice(self.config.backoff()));
        // Phases 2 and 3 build before this module does: they find the advice here.
        services.insert(self.config.shutdown_spread().advice());
        Ok(())
    }

    fn build(&self, services: &mut Services) -> Result<Router, StartError> {
        let ws = services.require::<Arc<WsState>>()?;
        let stop = services.require::<ShutdownTree>()?.background();
        heartbeat::spawn(ws.registry(), self.config.heartbeat(), stop);
        Ok(Router::new())
    }
}
// ANCHOR_END: hardening_module

// ANCHOR: drawn_advice
/// Advice drawn for each client: the delay of a *second* attempt under `policy` (a client
/// that is refused or cut has failed once), with full jitter, so clients told at the same
/// moment come back spread over the whole window.
pub fn drawn_advice(policy: BackoffPolicy) -> RetryAdvice {
    RetryAdvice::from_fn(move || policy.delay_ms(1, fastrand::f64()))
}
// ANCHOR_END: drawn_advice

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_advice_spreads_over_the_second_window() {
        let policy = BackoffPolicy::default();
        let advice = drawn_advice(policy);
        let draws: Vec<u64> = (0..200).map(|_| advice.next_ms()).collect();
        let (lo, hi) = (
            policy.min_ms as u64,
            (policy.min_ms + policy.window_ms(1)) as u64,
        );
        assert!(draws.iter().all(|d| (lo..hi).contains(d)), "{draws:?}");
        let distinct: std::collections::HashSet<_> = draws.iter().collect();
        assert!(
            distinct.len() > 50,
            "200 draws should not repeat much: {}",
            distinct.len()
        );
    }
}
