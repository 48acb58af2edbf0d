//! [`Board`]: phase 4 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! Phase 4 changes what earlier phases build, without touching their wiring:
//!
//! * **provides** (pass 1, before phase 2 builds its hub): it opens the store and
//!   provides the hub *numbered and replayed by the event log*, which phase 2 and phase 3
//!   then take instead of a plain one; and a [`BoardExtensionFactory`], with which phase
//!   3 mounts `/ws` speaking the note requests too; and a [`SharedAccess`]: people's
//!   signed sessions and the access rules ([`crate::access`]) phases 2 and 3 check every way into a
//!   board against;
//! * **takes** (pass 1, from a module listed before it): the seams a second server needs
//!   — a [`SharedBoardStore`] (where boards' logs and notes live) and a
//!   [`PublisherFactory`] (where an accepted change is published). Without them, the
//!   embedded defaults: the store `--data-dir` names, and this process's hub. A module
//!   that scales the board out provides both in its own `provide`, and is listed before
//!   this one — phases 2–4 stay as they are;
//! * **routes**: `GET /boards`, `GET /boards/:board`, `/session` and the share links;
//! * **stops**: after the HTTP drain and the WebSockets' close, the writer commits what
//!   it still holds (those clients were acked or will retry) — a blocking join, so it
//!   runs on tokio's blocking pool, not on a runtime thread.

use std::sync::Arc;

use phase_1_foundations::{
    module::ShutdownFuture, Module, PhaseInfo, Router, ServerConfig, Services, StartError,
};
use phase_2_sse::{access::SharedAccess, presence::BoardPresence, Hub, HubLimits};
use phase_3_websocket::BoardExtensionFactory;

use crate::{
    config::IN_MEMORY, publish::PublisherFactory, routes, store::SharedBoardStore, BoardConfig,
    BoardState, NotesExtension,
};

// ANCHOR: board_module
/// Phase 4's module: the board, its store and its event log.
#[derive(Debug, Clone)]
pub struct Board {
    config: BoardConfig,
}

impl Board {
    /// The module with these settings.
    pub fn new(config: BoardConfig) -> Self {
        Self { config }
    }
}

impl Module for Board {
    fn phase(&self) -> PhaseInfo {
        crate::PHASE
    }

    fn provide(&self, services: &mut Services) -> Result<(), StartError> {
        let mut config = self.config.clone();
        if services.require::<ServerConfig>()?.list_routes {
            // `--routes` only lists the routes: it must not create a database on disk.
            config.data_dir = IN_MEMORY.to_owned();
        }
        let limits = services.get::<HubLimits>().copied().unwrap_or_default();
        let data_dir = config.data_dir.clone();
        let publisher = services.get_or_insert_with(PublisherFactory::default);
        let board = match services.get::<SharedBoardStore>() {
            Some(shared) => BoardState::with_store(config, limits, shared.0.clone(), &publisher),
            None => BoardState::open(config, limits, &publisher),
        }
        .map_err(|e| StartError::new(format!("cannot open the board store in {data_dir}: {e}")))?;
        services.insert(SharedBoardStore(board.store().clone()));
        services.insert::<Arc<Hub>>(board.hub().clone());
        // Phases 2 and 3 check every stream, subscribe and message against these rules.
        services.insert(SharedAccess(board.access().clone()));
        let notes = board.clone();
        services.insert(BoardExtensionFactory::new(move |ws, peer| {
            NotesExtension::new(notes.clone(), ws.registry().clone(), peer)
        }));
        services.insert(board);
        Ok(())
    }

    fn build(&self, services: &mut Services) -> Result<Router, StartError> {
        let presence = services.require::<Arc<dyn BoardPresence>>()?.clone();
        Ok(routes(
            services.require::<Arc<BoardState>>()?.clone(),
            presence,
        ))
    }

    fn finish_shutdown<'a>(&'a self, services: &'a Services) -> ShutdownFuture<'a> {
        Box::pin(async move {
            if let Some(board) = services.get::<Arc<BoardState>>().cloned() {
                if let Err(e) = tokio::task::spawn_blocking(move || board.close()).await {
                    tracing::error!(error = %e, "the board writer did not close cleanly");
                }
            }
        })
    }
}
// ANCHOR_END: board_module
