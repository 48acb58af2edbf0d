//! [`Hardening`]: phase 5 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! It comes after phases 2–4 in the list and changes none of their wiring: it *provides*
//! what they ask for at build time (the messages every `/ws` connection gets after
//! `welcome`), and *builds* on their state.

use phase_1_foundations::{Module, PhaseInfo, Router, Services, StartError};

use crate::{config::HardeningConfig, protocol::HardeningServerEvent};

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

    fn build(&self, _services: &mut Services) -> Result<Router, StartError> {
        Ok(Router::new())
    }
}
// ANCHOR_END: hardening_module
