//! [`ProtocolLab`]: phase 8 as a module of a server (see [`phase_1_foundations::module`]).
//!
//! * **takes** what phases 1–4 built: the board's log ([`SharedBoardStore`]), the hub
//!   whose rooms wake held requests, the access rules ([`SharedAccess`]), the retry advice
//!   and, if phase 5 is in the server, its shutdown advice, and the [`ShutdownTree`];
//! * **routes**: `GET /boards/:board/poll` ([`crate::poll`]), the webhooks' API
//!   ([`crate::webhooks`]) and, with `--lab-receiver`, the lab receiver ([`crate::lab`]);
//! * **starts** a worker per enabled webhook, on the tree's task tracker, with the
//!   background token — unless the server only lists its routes (`--routes`);
//! * **stops** through the tree, with no hook of its own: held requests take the token of
//!   never-ending responses, so when the event streams end (after the WebSockets'
//!   goodbyes), every held poll answers at once and the HTTP drain can finish; webhook
//!   workers stop when shutdown begins (an attempt in flight is abandoned and sent again
//!   after the restart: delivery is at least once), and the server waits for them.

use std::{path::PathBuf, sync::Arc};

use http::Method;
use phase_1_foundations::{
    Module, PhaseInfo, RetryAdvice, Router, ServerConfig, Services, ShutdownAdvice, ShutdownTree,
    StartError,
};
use phase_2_sse::{access::SharedAccess, Hub};
use phase_4_board::{config::IN_MEMORY, store::SharedBoardStore, BoardState};
use tokio::sync::Semaphore;

use phase_2_sse::stream::StreamStop;

use crate::{
    config::ProtocolLabConfig,
    lab::{
        routes::{self as lab_api, LabState},
        LabReceivers,
    },
    poll::{poll, PollState},
    webhooks::{routes as hooks, WebhookParts, Webhooks},
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
        let lab = self
            .config
            .lab_receiver
            .then(|| Arc::new(LabReceivers::default()));
        let webhooks = self.webhooks(services, lab.clone())?;
        services.insert(webhooks.clone());
        let router = match lab {
            Some(receivers) => {
                let tree = services.require::<ShutdownTree>()?;
                let lab = Arc::new(LabState {
                    receivers,
                    webhooks: webhooks.clone(),
                    stop: StreamStop {
                        token: tree.streams(),
                        advice: services.get::<ShutdownAdvice>().cloned(),
                    },
                });
                services.insert(lab.clone());
                lab_routes(Router::new(), lab)
            }
            None => Router::new(),
        };
        let (w1, w2, w3, w4) = (
            webhooks.clone(),
            webhooks.clone(),
            webhooks.clone(),
            webhooks,
        );
        Ok(router
            .get("/boards/:board/poll", move |req, params| {
                let state = state.clone();
                async move { poll(&state, req, params).await }
            })
            .post("/boards/:board/webhooks", move |req, params| {
                let w = w1.clone();
                async move { hooks::register(&w, req, params).await }
            })
            .get("/boards/:board/webhooks", move |req, params| {
                let w = w2.clone();
                async move { hooks::list(&w, req, params).await }
            })
            .route(
                Method::DELETE,
                "/boards/:board/webhooks/:id",
                move |req, params| {
                    let w = w3.clone();
                    async move { hooks::delete(&w, req, params).await }
                },
            )
            .get(
                "/boards/:board/webhooks/:id/deliveries",
                move |req, params| {
                    let w = w4.clone();
                    async move { hooks::deliveries(&w, req, params).await }
                },
            ))
    }
}
// ANCHOR_END: protocol_lab_module

/// The lab receiver's routes (`--lab-receiver`).
fn lab_routes(router: Router, lab: Arc<LabState>) -> Router {
    let (l1, l2, l3, l4) = (lab.clone(), lab.clone(), lab.clone(), lab);
    router
        .post("/lab/receivers", move |req, _params| {
            let lab = l1.clone();
            async move { lab_api::create(&lab, &req) }
        })
        .post("/lab/receivers/:id", move |req, params| {
            let lab = l2.clone();
            async move { lab_api::receive(&lab, req, params).await }
        })
        .get("/lab/receivers/:id/events", move |req, params| {
            let lab = l3.clone();
            async move { lab_api::events(&lab, &req, &params) }
        })
        .route(Method::DELETE, "/lab/receivers/:id", move |_req, params| {
            let lab = l4.clone();
            async move { lab_api::delete(&lab, &params) }
        })
}

impl ProtocolLab {
    /// Opens the webhooks' store next to the boards' (in memory when they are) and, in a
    /// serving server, resumes every enabled hook's worker.
    fn webhooks(
        &self,
        services: &Services,
        lab: Option<Arc<LabReceivers>>,
    ) -> Result<Arc<Webhooks>, StartError> {
        let board = services.require::<Arc<BoardState>>()?;
        let data_dir = &board.config().data_dir;
        let tree = services.require::<ShutdownTree>()?;
        let webhooks = Webhooks::open(
            self.config.clone(),
            WebhookParts {
                data_dir: (data_dir != IN_MEMORY).then(|| PathBuf::from(data_dir)),
                store: services.require::<SharedBoardStore>()?.0.clone(),
                hub: services.require::<Arc<Hub>>()?.clone(),
                access: services.require::<SharedAccess>()?.clone(),
                stop: tree.background(),
                tasks: tree.tasks().clone(),
                lab,
            },
        )
        .map_err(StartError::new)?;
        if !services.require::<ServerConfig>()?.list_routes {
            webhooks
                .resume_all()
                .map_err(|e| StartError::new(format!("cannot resume the webhooks: {e}")))?;
        }
        Ok(webhooks)
    }
}
